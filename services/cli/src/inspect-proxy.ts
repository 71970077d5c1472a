/**
 * `causeway inspect dataplane NAME [-m MESH] [--type policies|config-dump|stats|clusters|config]`
 * (kumactl's types, default policies) and `inspect zone-ingress|zone-egress NAME [--type config-dump|stats|clusters]`
 * (default config-dump; /zoneingresses/{n}/xds, /stats, /clusters).
 * Works against global (which forwards to the zone that owns the proxy, named `NAME.ZONE` there) and a zone.
 *
 *   policies     GET /meshes/{m}/dataplanes/{n}/policies   text (like kumactl), -o json|yaml
 *   config-dump  GET /meshes/{m}/dataplanes/{n}/xds        JSON (Envoy's /config_dump), -o yaml
 *   config       GET /meshes/{m}/dataplanes/{n}/_config    JSON (Kuma's `{xds}`: the xDS config the zone computes), -o yaml
 *   stats        GET /meshes/{m}/dataplanes/{n}/stats      text (Envoy's /stats), no -o
 *   clusters     GET /meshes/{m}/dataplanes/{n}/clusters   text (Envoy's /clusters), no -o
 */
import { CausewayError } from '@causeway/core';
import type { CliIo } from './io.js';
import { type OutputFormat, outputRefused, printStructured } from './output.js';
import { type DataplanePoliciesBody, renderDataplanePolicies } from './policies-text.js';
import { type CliClient, isNoRoute } from './transport.js';
import { usageError } from './usage.js';

export const INSPECT_ONE_TYPES = ['policies', 'config-dump', 'stats', 'clusters', 'config'] as const;
export type InspectOneType = (typeof INSPECT_ONE_TYPES)[number];

/** The proxies `inspect KIND NAME` takes, and the types each supports (the first is the default). */
const PROXY_TYPES: Record<string, readonly InspectOneType[]> = {
  dataplanes: INSPECT_ONE_TYPES,
  'zone-ingresses': ['config-dump', 'stats', 'clusters'],
  'zone-egresses': ['config-dump', 'stats', 'clusters'],
};

const SUFFIX: Record<InspectOneType, string> = { policies: 'policies', 'config-dump': 'xds', config: '_config', stats: 'stats', clusters: 'clusters' };

/** The -o formats each type can be printed with (`table` of policies is its text). */
const FORMATS: Record<InspectOneType, readonly OutputFormat[]> = {
  policies: ['table', 'json', 'yaml'],
  'config-dump': ['json', 'yaml'],
  config: ['json', 'yaml'],
  stats: [],
  clusters: [],
};

export interface InspectOneOptions {
  mesh?: string;
  /** Undefined: the kind's default (policies for a dataplane, config-dump for a zone proxy). */
  type?: InspectOneType;
  output: OutputFormat;
  /** Whether -o was given (a text type refuses any -o; a JSON type refuses -o table). */
  outputGiven: boolean;
}

/** The type to show, checked against the kind. */
export function inspectOneType(view: string, type: InspectOneType | undefined): InspectOneType {
  const types = PROXY_TYPES[view];
  if (!types) throw new CausewayError('INVALID', `cannot inspect one of ${view}`, [{ field: 'WHAT', reason: 'must be dataplane, zone-ingress or zone-egress with a NAME' }]);
  const t = type ?? (types[0] as InspectOneType);
  if (!types.includes(t)) throw usageError('--type', `--type ${t} applies to dataplanes only`, `${view} support only ${types.join(', ')}`);
  return t;
}

/** Path on the API of one proxy's view. */
export function inspectOnePath(view: string, name: string, opts: { mesh?: string; type?: InspectOneType }): string {
  const type = inspectOneType(view, opts.type);
  const n = encodeURIComponent(name);
  if (view === 'dataplanes') return `/meshes/${encodeURIComponent(opts.mesh ?? 'default')}/dataplanes/${n}/${SUFFIX[type]}`;
  if (opts.mesh !== undefined) throw usageError('--mesh', `${view} are not mesh-scoped`, 'leave it out');
  return `/${view === 'zone-ingresses' ? 'zoneingresses' : 'zoneegresses'}/${n}/${SUFFIX[type]}`;
}

/** Prints one proxy's view. `view` is a resolved inspect view (dataplanes, zone-ingresses, zone-egresses). */
export async function inspectOneCommand(client: CliClient, view: string, name: string, opts: InspectOneOptions, io: CliIo): Promise<void> {
  const type = inspectOneType(view, opts.type);
  const formats = FORMATS[type];
  if (opts.outputGiven && !formats.includes(opts.output)) throw outputRefused(opts.output, `--type ${type}`, formats);
  const path = inspectOnePath(view, name, { ...opts, type });
  try {
    if (formats.length === 0) {
      const text = await client.getText(path);
      io.stdout(text.endsWith('\n') || text === '' ? text : `${text}\n`);
      return;
    }
    const body = await client.getJson<unknown>(path);
    if (type === 'policies' && opts.output === 'table') io.stdout(renderDataplanePolicies(body as DataplanePoliciesBody));
    else printStructured(body, opts.output === 'yaml' ? 'yaml' : 'json', io);
  } catch (e) {
    if (isNoRoute(e)) throw new CausewayError('NOT_FOUND', `the control plane at ${client.address} does not serve GET ${path.split('?')[0]} (--type ${type}); it may be older than this CLI`);
    throw e;
  }
}
