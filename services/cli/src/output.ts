/**
 * `-o, --output table|yaml|json`: every command that prints data takes it, and either honours each format
 * or refuses the ones that make no sense for what it prints, naming `-o` (a usage error, exit 2).
 */
import { stringify } from 'yaml';
import type { CliIo } from './io.js';
import { UsageError } from './usage.js';

export type OutputFormat = 'table' | 'yaml' | 'json';
export const OUTPUT_FORMATS: readonly OutputFormat[] = ['table', 'yaml', 'json'];

/** Prints data as JSON or YAML. */
export function printStructured(body: unknown, output: 'yaml' | 'json', io: CliIo): void {
  if (output === 'json') io.stdout(`${JSON.stringify(body, null, 2)}\n`);
  else io.stdout(stringify(body, { lineWidth: 0 }));
}

/** The error for a format `what` cannot be printed as. `allowed` are the ones it can. */
export function outputRefused(output: string, what: string, allowed: readonly string[]): UsageError {
  return new UsageError( `-o ${output} does not apply to ${what}`, [
    {
      field: '-o, --output',
      reason: allowed.length === 0 ? `${what} is printed as it comes (text): leave out -o` : `${what} can be printed with ${allowed.map((f) => `-o ${f}`).join(' or ')}`,
    },
  ]);
}
