/** Loaders shared by several views. */
import type { ApiClient } from './lib/api.js';
import { zoneOf } from './lib/format.js';
import type { PathTopology } from './lib/path.js';
import type { IndexInfo, ZoneEgressOverview, ZoneIngressOverview, ZoneOverview } from './lib/types.js';

export interface Topology extends PathTopology {
  zoneOverviews: ZoneOverview[];
  ingressOverviews: ZoneIngressOverview[];
  egressOverviews: ZoneEgressOverview[];
}

/** Zones, ZoneIngresses and ZoneEgresses as this control plane knows them. */
export async function loadTopology(api: ApiClient, index: IndexInfo, signal: AbortSignal): Promise<Topology> {
  const [zoneOverviews, ingressOverviews, egressOverviews] = await Promise.all([
    index.mode === 'global' ? api.listAll<ZoneOverview>('/zones+insights', { signal }) : Promise.resolve([]),
    api.listAll<ZoneIngressOverview>('/zoneingresses+insights', { signal }),
    api.listAll<ZoneEgressOverview>('/zoneegresses+insights', { signal }),
  ]);
  const local = index.mode === 'zone' ? (index.zone ?? '') : undefined;
  const zones =
    index.mode === 'global'
      ? zoneOverviews.map((z) => ({ name: z.name, online: z.status === 'Online' }))
      : [{ name: local as string, online: true }];
  const proxyZone = (r: { zone: string | null; zoneIngress?: { zone?: string }; zoneEgress?: { zone?: string } }) =>
    zoneOf({ zone: r.zone ?? r.zoneIngress?.zone ?? r.zoneEgress?.zone }) ?? local ?? '';
  return {
    zones,
    ingresses: ingressOverviews.map((i) => ({ name: i.name, zone: proxyZone(i) })),
    egresses: egressOverviews.map((e) => ({ name: e.name, zone: proxyZone(e) })),
    ...(local !== undefined ? { viewFrom: local } : {}),
    zoneOverviews,
    ingressOverviews,
    egressOverviews,
  };
}
