/**
 * `causeway import -f FILE|DIR|- [-f ...] [-m MESH] [-o yaml|json] [--apply [--dry-run]] [-v key=value]...`:
 * converts Istio and Gloo Mesh YAML (convert.ts) and prints the Causeway resources (default, to review
 * or to save for `causeway apply -f`) or applies them like `causeway apply`. What could not be mapped is
 * printed on standard error, one `not mapped: ...` / `note: ...` line each. Exits 1 when nothing could be
 * converted.
 */
import type { CausewayClient } from '@causeway/client';
import { CausewayError, encodeYaml, nameError, parseDocuments, toUniversal } from '@causeway/core';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { type Applied, ApplyError, applyOne, parseVars, plannedOutcome, printWarnings, readInputs } from '../apply.js';
import { describeResource } from '../format.js';
import type { CliIo } from '../io.js';
import { formatNote, type InputDocument } from './common.js';
import { convertDocuments, type ImportedResource, type ImportResult } from './convert.js';

export const IMPORT_OUTPUT_FORMATS = ['yaml', 'json'] as const;
export type ImportOutput = (typeof IMPORT_OUTPUT_FORMATS)[number];

export interface ImportFlags {
  file: string[];
  var: string[];
  mesh: string;
  output: ImportOutput;
  apply: boolean;
  dryRun: boolean;
}

/** Reads and converts every input (no server involved). */
export async function importFiles(flags: Pick<ImportFlags, 'file' | 'var' | 'mesh'>, io: CliIo): Promise<ImportResult> {
  if (flags.file.length === 0)
    throw new CausewayError('INVALID', 'nothing to import', [{ field: '-f', reason: 'give a file, a directory or - for standard input (Istio or Gloo Mesh YAML)' }]);
  const meshError = nameError(flags.mesh);
  if (meshError) throw new CausewayError('INVALID', `invalid mesh name ${JSON.stringify(flags.mesh)}`, [{ field: '--mesh', reason: meshError }]);
  const vars = parseVars(flags.var);
  const docs: InputDocument[] = [];
  for (const input of await readInputs(flags.file, io))
    for (const d of parseDocuments(input.text, { vars, source: input.source })) docs.push({ source: input.source, index: d.index, line: d.line, value: d.value, lineOf: d.lineOf });
  return convertDocuments(docs, { mesh: flags.mesh });
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : word.endsWith('s') ? 'es' : 's'}`;
}

/** `3 resources (2 ExternalServices, 1 MeshTimeout) from 2 of 3 objects; 1 not mapped, 2 notes` */
export function summary(result: ImportResult): string {
  const byType = new Map<string, number>();
  for (const r of result.resources) byType.set(r.resource.type, (byType.get(r.resource.type) ?? 0) + 1);
  const types = [...byType].map(([t, n]) => plural(n, t)).join(', ');
  const notMapped = result.notes.filter((n) => n.kind === 'not mapped').length;
  const notes = result.notes.length - notMapped;
  return `imported ${plural(result.resources.length, 'resource')}${types ? ` (${types})` : ''} from ${result.recognised} of ${plural(result.objects, 'object')}; ${notMapped} not mapped, ${plural(notes, 'note')}`;
}

/** The resources as YAML documents `causeway apply -f` takes, each after a comment naming its sources. */
export function renderYaml(resources: ImportedResource[]): string {
  return resources.map((r) => `${r.from.map((f) => `# from ${f}\n`).join('')}${encodeYaml([r.resource], { omitMeta: true })}`).join('---\n');
}

export function renderJson(resources: ImportedResource[]): string {
  return `${JSON.stringify({ total: resources.length, items: resources.map((r) => toUniversal(r.resource, { omitMeta: true })) }, null, 2)}\n`;
}

export async function importCommand(flags: ImportFlags, client: () => CausewayClient, io: CliIo): Promise<void> {
  const result = await importFiles(flags, io);
  for (const n of result.notes) io.stderr(`${formatNote(n)}\n`);
  io.stderr(`${summary(result)}\n`);
  if (result.resources.length === 0)
    throw new CausewayError('INVALID', 'nothing could be converted', [
      { field: '-f', reason: 'no ServiceEntry or Gloo Mesh ExternalService of the input became an ExternalService: see the lines above' },
    ]);
  if (!flags.apply) {
    io.stdout(flags.output === 'json' ? renderJson(result.resources) : renderYaml(result.resources));
    return;
  }
  const api = client();
  for (const r of result.resources) {
    const what = describeResource(r.resource);
    let applied: Applied;
    try {
      applied = flags.dryRun ? await plannedOutcome(api, r.resource) : await applyOne(api, r.resource);
    } catch (e) {
      throw new ApplyError(`${what} (from ${r.from.join(', ')})`, e);
    }
    io.stdout(`${what} ${applied.outcome}${flags.dryRun ? ' (dry run)' : ''}\n`);
    printWarnings(applied.warnings, io);
  }
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function meshName(value: string): string {
  const err = nameError(value);
  if (err) throw new InvalidArgumentError(err);
  return value;
}

/** Adds `import` to the program; `client` makes the API client from the command's global flags. */
export function registerImportCommand(program: Command, io: CliIo, client: (cmd: Command) => CausewayClient): void {
  program
    .command('import')
    .description('convert Istio ServiceEntry/VirtualService/DestinationRule and Gloo Mesh ExternalService/ExternalEndpoint YAML into ExternalService, MeshTimeout and MeshRetry')
    .option('-f, --file <file|dir|->', 'file, directory (*.yaml, *.yml, *.json, sorted) or - for standard input; repeatable', collect, [])
    .option('-m, --mesh <mesh>', 'mesh of the resources made', meshName, 'default')
    .addOption(new Option('-o, --output <format>', 'how to print the resources (without --apply)').choices(IMPORT_OUTPUT_FORMATS as unknown as string[]).default('yaml'))
    .option('--apply', 'apply the resources (like causeway apply) instead of printing them', false)
    .option('--dry-run', 'with --apply: print what would change, without writing', false)
    .option('-v, --var <key=value>', 'value for {{ key }} in the files; repeatable', collect, [])
    .addHelpText(
      'after',
      `
What could not be mapped, and why, is printed on standard error ("not mapped: ..." / "note: ..." lines
naming the file, document, object and field). Exits 1 when nothing could be converted.

Examples:
  $ causeway import -f istio/ > causeway.yaml          # review, then: causeway apply -f causeway.yaml
  $ causeway import -f service-entry.yaml -f virtual-service.yaml --apply
  $ kubectl get serviceentries,virtualservices,destinationrules -A -o yaml | causeway import -f - -m payments`,
    )
    .action(async (o: ImportFlags, cmd: Command) => {
      // Usage errors (exit 2), like commander's own.
      if (o.dryRun && !o.apply) cmd.error("error: option '--dry-run' goes with '--apply' (without --apply nothing is written)", { exitCode: 2 });
      if (o.apply && cmd.getOptionValueSource('output') === 'cli')
        cmd.error("error: option '-o, --output' prints the converted resources instead of applying them: leave it out with '--apply'", { exitCode: 2 });
      await importCommand(o, () => client(cmd), io);
    });
}
