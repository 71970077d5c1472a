/**
 * `causeway inspect <policy-type> NAME [-m MESH] [-o table|yaml|json] [--size N] [--offset X]`: the
 * dataplanes a policy selects (kumactl's `inspect meshtrafficpermission NAME`; Kuma's
 * `GET /meshes/{mesh}/{policy-path}/{name}/_resources/dataplanes`, a list `{total, items: [{mesh, name, ...}], next}`).
 */
import { CausewayError, descriptorByCliName, isPolicyType, type ResourceDescriptor } from '@causeway/core';
import { renderTable } from './format.js';
import { nextPageHint } from './get.js';
import type { CliIo } from './io.js';
import { type OutputFormat, printStructured } from './output.js';
import { type CliClient, isNoRoute } from './transport.js';

/** The policy type a name spells (`meshtrafficpermission`, `mtp`, `meshtimeouts`, ...), or undefined. */
export function policyDescriptor(name: string): ResourceDescriptor | undefined {
  const d = descriptorByCliName(name);
  return d && isPolicyType(d.type) ? d : undefined;
}

export interface InspectPolicyOptions {
  mesh?: string;
  output: OutputFormat;
  size?: number;
  offset?: string;
}

interface Item {
  type?: unknown;
  mesh?: unknown;
  name?: unknown;
  labels?: unknown;
}

function zoneOf(i: Item): string {
  const labels = typeof i.labels === 'object' && i.labels !== null ? (i.labels as Record<string, unknown>) : {};
  const zone = labels['kuma.io/zone'];
  return typeof zone === 'string' ? zone : '-';
}

export async function inspectPolicyCommand(client: CliClient, d: ResourceDescriptor, name: string, opts: InspectPolicyOptions, io: CliIo): Promise<void> {
  const mesh = opts.mesh ?? 'default';
  const q = new URLSearchParams();
  if (opts.size !== undefined) q.set('size', String(opts.size));
  if (opts.offset !== undefined) q.set('offset', opts.offset);
  const base = `/meshes/${encodeURIComponent(mesh)}/${d.path}/${encodeURIComponent(name)}/_resources/dataplanes`;
  let body: { total?: number; items?: Item[]; next?: string | null };
  try {
    body = await client.getJson(q.size > 0 ? `${base}?${q}` : base);
  } catch (e) {
    if (isNoRoute(e)) throw new CausewayError('NOT_FOUND', `the control plane at ${client.address} does not serve GET ${base}; it may be older than this CLI`);
    throw e;
  }
  if (opts.output !== 'table') {
    printStructured(body, opts.output, io);
    return;
  }
  const items = Array.isArray(body.items) ? body.items : [];
  const rows = items.map((i) => [typeof i.type === 'string' ? i.type : 'Dataplane', String(i.mesh ?? mesh), String(i.name ?? '-'), zoneOf(i)]);
  io.stdout(`${d.type} "${name}" (mesh ${mesh}) selects:\n`);
  io.stdout(renderTable(['TYPE', 'MESH', 'NAME', 'ZONE'], rows));
  io.stdout(`Total: ${body.total ?? items.length}\n`);
  if (body.next) {
    const offset = new URL(body.next, client.address).searchParams.get('offset');
    if (offset) io.stdout(`\n${nextPageHint(['inspect', d.cli.singular, name], { mesh, ...(opts.size !== undefined ? { size: opts.size } : {}) }, offset)}`);
  }
}
