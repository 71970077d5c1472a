/**
 * Resource type names on the command line: singular, plural and aliases from the descriptor table.
 */
import { CausewayError, cliTypeNames, descriptorByCliName, type ResourceDescriptor } from '@causeway/core';

export function resolveType(name: string): ResourceDescriptor {
  const d = descriptorByCliName(name);
  if (!d) {
    throw new CausewayError('INVALID', `unknown resource type "${name}"`, [{ field: 'TYPE', reason: `must be one of ${cliTypeNames().join(', ')}` }]);
  }
  return d;
}

/** Help text listing every type with its spellings. */
export function typesHelp(): string {
  return cliTypeNames()
    .map((plural) => {
      const d = descriptorByCliName(plural)!;
      const other = [d.cli.singular, ...d.cli.aliases].filter((n) => n !== plural);
      return `  ${plural}${other.length > 0 ? ` (${other.join(', ')})` : ''}`;
    })
    .join('\n');
}
