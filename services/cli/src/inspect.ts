/**
 * `causeway inspect meshes|zones|zone-ingresses|zone-egresses|dataplanes|services`: the API's overview
 * routes (resources joined with their insights; Kuma's service insights) as tables, or their JSON/YAML as is.
 */
import type { CausewayClient } from '@causeway/client';
import { CausewayError } from '@causeway/core';
import { age, renderTable } from './format.js';
import { nextPageHint } from './get.js';
import type { CliIo } from './io.js';
import { type OutputFormat, printStructured } from './output.js';
import { usageError } from './usage.js';

interface ListBody<T> {
  total: number;
  items: T[];
  next: string | null;
}

type Dict = Record<string, unknown>;

interface View {
  /** Path of the list; `mesh` given when `-m` is. */
  path(mesh: string | undefined): string;
  /** `-m` allowed. */
  meshFilter: boolean;
  /** A `-m` answer is a single item, not a list. */
  singleWithMesh?: boolean;
  /** The mesh when `-m` is left out (a per-mesh route). */
  defaultMesh?: string;
  headers: string[];
  row(item: Dict, now: number): string[];
}

function obj(v: unknown): Dict {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Dict) : {};
}

function str(v: unknown): string {
  return v === undefined || v === null ? '-' : String(v);
}

function tagsText(tags: unknown): string {
  return Object.entries(obj(tags))
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(' ');
}

function dataplaneRow(item: Dict, now: number): string[] {
  const networking = obj(obj(item.dataplane).networking);
  const inbound = Array.isArray(networking.inbound) ? networking.inbound.map(obj) : [];
  const tags = [...new Set(inbound.map((i) => tagsText(i.tags)))].join(', ');
  const subs = (Array.isArray(obj(item.dataplaneInsight).subscriptions) ? (obj(item.dataplaneInsight).subscriptions as unknown[]) : []).map(obj);
  const last = subs.at(-1);
  let updates = 0;
  let rejected = 0;
  for (const s of subs) {
    updates += Number(obj(s.status).responsesSent ?? 0);
    rejected += Number(obj(s.status).responsesRejected ?? 0);
  }
  return [
    str(item.mesh),
    str(item.name),
    tags,
    str(item.status),
    last ? `${age(last.connectTime as string | undefined, now)} ago` : 'never',
    String(updates),
    String(rejected),
    age(item.creationTime as string | undefined, now),
  ];
}

export const INSPECT_VIEWS: Record<string, View> = {
  meshes: {
    path: (mesh) => (mesh === undefined ? '/mesh-insights' : `/mesh-insights/${encodeURIComponent(mesh)}`),
    meshFilter: true,
    singleWithMesh: true,
    headers: ['NAME', 'SERVICES', 'EXTERNAL SERVICES', 'DATAPLANES', 'ONLINE', 'OFFLINE', 'POLICIES'],
    row: (m) => {
      const dps = obj(m.dataplanes);
      const policies = Object.values(obj(m.policies)).reduce<number>((n, p) => n + Number(obj(p).total ?? 0), 0);
      return [str(m.name), str(obj(m.services).total), str(obj(m.externalServices).total), str(dps.total), str(dps.online), str(dps.offline), String(policies)];
    },
  },
  zones: {
    path: () => '/zones+insights',
    meshFilter: false,
    headers: ['NAME', 'STATUS', 'ENABLED', 'VERSION', 'LAST HEARTBEAT', 'AGE'],
    row: (z, now) => {
      const insight = obj(z.zoneInsight);
      return [
        str(z.name),
        str(z.status),
        String(obj(z.zone).enabled ?? true),
        str(insight.controlPlaneVersion),
        insight.heartbeatTime ? `${age(insight.heartbeatTime as string, now)} ago` : 'never',
        age(z.creationTime as string | undefined, now),
      ];
    },
  },
  'zone-ingresses': {
    path: () => '/zoneingresses+insights',
    meshFilter: false,
    headers: ['NAME', 'ZONE', 'ADDRESS', 'SERVICES', 'STATUS', 'AGE'],
    row: (i, now) => {
      const spec = obj(i.zoneIngress);
      const n = obj(spec.networking);
      const services = Array.isArray(spec.availableServices) ? spec.availableServices.length : 0;
      return [str(i.name), str(i.zone), `${str(n.advertisedAddress ?? n.address)}:${str(n.advertisedPort ?? n.port)}`, String(services), str(i.zoneStatus), age(i.creationTime as string | undefined, now)];
    },
  },
  'zone-egresses': {
    path: () => '/zoneegresses+insights',
    meshFilter: false,
    headers: ['NAME', 'ZONE', 'ADDRESS', 'STATUS', 'AGE'],
    row: (e, now) => {
      const n = obj(obj(e.zoneEgress).networking);
      return [str(e.name), str(e.zone), `${str(n.address)}:${str(n.port)}`, str(e.zoneStatus), age(e.creationTime as string | undefined, now)];
    },
  },
  dataplanes: {
    path: (mesh) => (mesh === undefined ? '/dataplanes+insights' : `/meshes/${encodeURIComponent(mesh)}/dataplanes+insights`),
    meshFilter: true,
    headers: ['MESH', 'NAME', 'TAGS', 'STATUS', 'LAST CONNECTED', 'UPDATES', 'REJECTED', 'AGE'],
    row: dataplaneRow,
  },
  services: {
    // Kuma's service insights of one mesh (kumactl's `inspect services`, mesh "default" unless -m).
    path: (mesh) => `/meshes/${encodeURIComponent(mesh ?? 'default')}/service-insights`,
    meshFilter: true,
    defaultMesh: 'default',
    headers: ['SERVICE', 'TYPE', 'STATUS', 'DATAPLANES'],
    row: (s) => {
      const dps = obj(s.dataplanes);
      return [str(s.name), str(s.serviceType ?? 'internal'), str(s.status), `${str(dps.online ?? 0)}/${str(dps.total ?? 0)}`];
    },
  },
};

/** Spellings accepted for each view. */
const VIEW_ALIASES: Record<string, string> = {
  mesh: 'meshes',
  zone: 'zones',
  'zone-ingress': 'zone-ingresses',
  zoneingress: 'zone-ingresses',
  zoneingresses: 'zone-ingresses',
  'zone-egress': 'zone-egresses',
  zoneegress: 'zone-egresses',
  zoneegresses: 'zone-egresses',
  dataplane: 'dataplanes',
  dp: 'dataplanes',
  dps: 'dataplanes',
  service: 'services',
  svc: 'services',
  'service-insights': 'services',
};

/** The view `name` spells, or undefined. */
export function findView(name: string): string | undefined {
  const key = name.toLowerCase();
  return INSPECT_VIEWS[key] ? key : VIEW_ALIASES[key];
}

export function resolveView(name: string): string {
  const view = findView(name);
  if (!view)
    throw new CausewayError('INVALID', `cannot inspect "${name}"`, [
      { field: 'WHAT', reason: `must be one of ${Object.keys(INSPECT_VIEWS).join(', ')}, external-service NAME, or a policy type with a NAME` },
    ]);
  return view;
}

export interface InspectOptions {
  mesh?: string;
  output: OutputFormat;
  size?: number;
  offset?: string;
}

export async function inspectCommand(client: CausewayClient, what: string, opts: InspectOptions, io: CliIo): Promise<void> {
  const name = resolveView(what);
  const view = INSPECT_VIEWS[name]!;
  if (opts.mesh !== undefined && !view.meshFilter)
    throw usageError('--mesh', `${name} are not mesh-scoped`, `does not apply to inspect ${name}; leave it out`);
  const single = view.singleWithMesh === true && opts.mesh !== undefined;
  const q = new URLSearchParams();
  if (!single) {
    if (opts.size !== undefined) q.set('size', String(opts.size));
    if (opts.offset !== undefined) q.set('offset', opts.offset);
  }
  const qs = q.toString();
  const path = view.path(opts.mesh);
  const body = await client.getJson<unknown>(qs ? `${path}?${qs}` : path);
  if (opts.output !== 'table') {
    printStructured(body, opts.output, io);
    return;
  }
  const now = io.now();
  if (single) {
    io.stdout(renderTable(view.headers, [view.row(obj(body), now)]));
    return;
  }
  const list = body as ListBody<unknown>;
  io.stdout(renderTable(view.headers, list.items.map((i) => view.row(obj(i), now))));
  if (list.next) {
    const offset = new URL(list.next).searchParams.get('offset');
    if (offset) io.stdout(`\n${nextPageHint(['inspect', name], { ...(opts.mesh !== undefined ? { mesh: opts.mesh } : {}), ...(opts.size !== undefined ? { size: opts.size } : {}) }, offset)}`);
  }
}
