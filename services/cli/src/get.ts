/**
 * `causeway get TYPE [NAME]` and `causeway delete TYPE NAME`.
 */
import { CausewayClient } from '@causeway/client';
import { encodeYaml, type ResourceDescriptor } from '@causeway/core';
import { describeResource, resourceTable } from './format.js';
import type { CliIo } from './io.js';
import type { OutputFormat } from './output.js';
import { resolveType } from './types.js';
import { usageError } from './usage.js';

export { OUTPUT_FORMATS, type OutputFormat } from './output.js';

export interface GetOptions {
  mesh?: string;
  output: OutputFormat;
  size?: number;
  offset?: string;
}

/** `-m` only makes sense for mesh-scoped types; a mesh-scoped item without `-m` is in mesh `default`. */
function meshFor(d: ResourceDescriptor, mesh: string | undefined, forItem: boolean): string | undefined {
  if (d.scope !== 'mesh') {
    if (mesh !== undefined)
      throw usageError('--mesh', `${d.cli.plural} are not mesh-scoped`, `does not apply to ${d.type}; leave it out`);
    return undefined;
  }
  return mesh ?? (forItem ? 'default' : undefined);
}

function listPath(d: ResourceDescriptor, mesh: string | undefined, opts: { size?: number; offset?: string }): string {
  const base = d.scope === 'mesh' && mesh === undefined ? `/${d.path}` : CausewayClient.itemPath(d.type, mesh);
  const q = new URLSearchParams();
  if (opts.size !== undefined) q.set('size', String(opts.size));
  if (opts.offset !== undefined) q.set('offset', opts.offset);
  const qs = q.toString();
  return qs ? `${base}?${qs}` : base;
}

function json(v: unknown): string {
  return `${JSON.stringify(v, null, 2)}\n`;
}

/** The command that shows the next page (kumactl's "Rest of the list" hint). */
export function nextPageHint(words: string[], opts: { mesh?: string; size?: number }, next: string): string {
  const parts = ['causeway', ...words];
  if (opts.mesh !== undefined) parts.push('--mesh', opts.mesh);
  if (opts.size !== undefined) parts.push('--size', String(opts.size));
  parts.push('--offset', next);
  return `Rest of the list: ${parts.join(' ')}\n`;
}

export async function getCommand(client: CausewayClient, typeName: string, name: string | undefined, opts: GetOptions, io: CliIo): Promise<void> {
  const d = resolveType(typeName);
  const mesh = meshFor(d, opts.mesh, name !== undefined);
  if (name !== undefined) {
    if (opts.size !== undefined || opts.offset !== undefined)
      throw usageError('--size', '--size and --offset apply to lists', 'leave out the name to list, or drop --size/--offset');
    if (opts.output === 'json') {
      io.stdout(json(await client.getJson(CausewayClient.itemPath(d.type, mesh, name))));
      return;
    }
    const r = await client.get(d.type, mesh, name);
    io.stdout(opts.output === 'yaml' ? encodeYaml([r]) : resourceTable(d.type, [r], io.now()));
    return;
  }
  if (opts.output === 'json') {
    io.stdout(json(await client.getJson(listPath(d, mesh, opts))));
    return;
  }
  const page = await client.list(d.type, {
    ...(mesh !== undefined ? { mesh } : {}),
    ...(opts.size !== undefined ? { size: opts.size } : {}),
    ...(opts.offset !== undefined ? { offset: opts.offset } : {}),
  });
  const hint = page.next ? nextPageHint(['get', d.cli.plural], { ...(mesh !== undefined ? { mesh } : {}), ...(opts.size !== undefined ? { size: opts.size } : {}) }, page.next) : '';
  if (opts.output === 'yaml') {
    io.stdout(encodeYaml(page.items));
    // Keep standard output a clean multi-document file that applies as is.
    if (hint) io.stderr(hint);
    return;
  }
  io.stdout(resourceTable(d.type, page.items, io.now()));
  if (hint) io.stdout(`\n${hint}`);
}

export async function deleteCommand(client: CausewayClient, typeName: string, name: string, opts: { mesh?: string }, io: CliIo): Promise<void> {
  const d = resolveType(typeName);
  const mesh = meshFor(d, opts.mesh, true);
  await client.delete(d.type, mesh, name);
  io.stdout(`${describeResource({ type: d.type, mesh, name })} deleted\n`);
}
