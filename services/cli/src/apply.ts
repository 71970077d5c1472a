/**
 * `causeway apply -f FILE|DIR|- [-v key=value]... [--dry-run]`: every document of every input is
 * validated locally first; only then are they sent, in order, one PUT each.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ApiError, type CausewayClient, type PutOutcome } from '@causeway/client';
import { CausewayError, decodeResources, jsonEqual, type Resource, unappliedFields, warningText } from '@causeway/core';
import { describeResource } from './format.js';
import type { CliIo } from './io.js';

export interface ApplyInput {
  /** File name (as given, or `DIR/file`), or `<stdin>`. */
  source: string;
  text: string;
}

const RESOURCE_FILE = /\.(ya?ml|json)$/i;

/** Reads every `-f` argument: a file, a directory (its *.yaml/*.yml/*.json, sorted) or `-` (stdin, once). */
export async function readInputs(files: string[], io: CliIo): Promise<ApplyInput[]> {
  if (files.length === 0) throw new CausewayError('INVALID', 'nothing to apply', [{ field: '-f', reason: 'give a file, a directory or - for standard input' }]);
  const out: ApplyInput[] = [];
  let stdinUsed = false;
  for (const f of files) {
    if (f === '-') {
      if (stdinUsed) throw new CausewayError('INVALID', 'standard input can be given only once', [{ field: '-f', reason: '"-" appears more than once' }]);
      stdinUsed = true;
      out.push({ source: '<stdin>', text: await io.readStdin() });
      continue;
    }
    const path = resolve(io.cwd, f);
    let isDir: boolean;
    try {
      isDir = statSync(path).isDirectory();
    } catch (e) {
      throw new CausewayError('INVALID', `cannot read ${f}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    if (isDir) {
      const names = readdirSync(path, { withFileTypes: true })
        .filter((e) => e.isFile() && RESOURCE_FILE.test(e.name))
        .map((e) => e.name)
        .sort();
      if (names.length === 0) throw new CausewayError('INVALID', `directory ${f} has no *.yaml, *.yml or *.json files`);
      for (const n of names) out.push({ source: join(f, n), text: readFileSync(join(path, n), 'utf8') });
    } else {
      out.push({ source: f, text: readFileSync(path, 'utf8') });
    }
  }
  return out;
}

/** Parses `-v key=value` arguments. The value may contain `=`; the key may not be empty. */
export function parseVars(args: string[]): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const a of args) {
    const i = a.indexOf('=');
    if (i <= 0) throw new CausewayError('INVALID', `invalid variable "${a}"`, [{ field: '-v', reason: 'must be written key=value' }]);
    vars[a.slice(0, i)] = a.slice(i + 1);
  }
  return vars;
}

export interface PlannedResource {
  source: string;
  index: number;
  /** Line where the document starts. */
  line: number;
  resource: Resource;
}

/** Decodes and validates everything; throws at the first invalid document (its index, line and fields). */
export function decodeInputs(inputs: ApplyInput[], vars: Record<string, string>): PlannedResource[] {
  const out: PlannedResource[] = [];
  for (const input of inputs) {
    for (const doc of decodeResources(input.text, { vars, source: input.source })) out.push({ source: input.source, index: doc.index, line: doc.line, resource: doc.resource });
  }
  return out;
}

function sameContent(a: Resource, b: Resource): boolean {
  return jsonEqual(a.labels ?? {}, b.labels ?? {}) && jsonEqual(a.spec, b.spec);
}

async function current(client: CausewayClient, r: Resource): Promise<Resource | undefined> {
  try {
    return await client.get(r.type, r.mesh, r.name);
  } catch (e) {
    if (e instanceof ApiError && e.httpStatus === 404) return undefined;
    throw e;
  }
}

/**
 * What one resource's apply did (or, with --dry-run, would do), and Kuma's `warnings`: one `<field>:
 * <reason>` per field it holds that Causeway accepts and stores but does not apply.
 */
export interface Applied {
  outcome: PutOutcome;
  warnings: string[];
}

/** The warnings of `r` as the API would answer them (core's `unappliedFields`), for the paths that send no PUT. */
function localWarnings(r: Resource): string[] {
  return unappliedFields(r).map(warningText);
}

/** What applying `r` would do, from the server's current copy; the warnings the write would answer. */
export async function plannedOutcome(client: CausewayClient, r: Resource): Promise<Applied> {
  const existing = await current(client, r);
  const outcome = !existing ? 'created' : sameContent(existing, r) ? 'unchanged' : 'updated';
  return { outcome, warnings: localWarnings(r) };
}

/**
 * Applies one resource. A `version` in the file makes the write conditional (409 when the stored copy
 * moved on); an unchanged resource is not rewritten either way. The warnings are the API's answer (core's
 * when no PUT was sent).
 */
export async function applyOne(client: CausewayClient, r: Resource): Promise<Applied> {
  if (r.version > 0) {
    const existing = await current(client, r);
    if (existing && existing.version === r.version && sameContent(existing, r)) return { outcome: 'unchanged', warnings: localWarnings(r) };
  }
  const { outcome, warnings } = await client.put(r);
  return { outcome, warnings };
}

/** Prints a resource's warnings to stderr, one line each, as kumactl does (`Warning: <field>: <reason>`); the exit code is unchanged. */
export function printWarnings(warnings: readonly string[], io: CliIo): void {
  for (const w of warnings) io.stderr(`Warning: ${w}\n`);
}

export interface ApplyOptions {
  dryRun: boolean;
}

/** Sends each resource in order, printing one line each; stops at the first failure (rethrown with context). */
export async function applyAll(client: CausewayClient, planned: PlannedResource[], opts: ApplyOptions, io: CliIo): Promise<void> {
  for (const p of planned) {
    const what = describeResource(p.resource);
    let applied: Applied;
    try {
      applied = opts.dryRun ? await plannedOutcome(client, p.resource) : await applyOne(client, p.resource);
    } catch (e) {
      throw new ApplyError(`${p.source}: document ${p.index} (line ${p.line}), ${what}`, e);
    }
    io.stdout(`${what} ${applied.outcome}${opts.dryRun ? ' (dry run)' : ''}\n`);
    printWarnings(applied.warnings, io);
  }
}

/** A failure while sending one resource: `context` says which. */
export class ApplyError extends Error {
  readonly context: string;
  constructor(context: string, cause: unknown) {
    super(`${context}: ${(cause as Error).message}`, { cause });
    this.context = context;
  }
}
