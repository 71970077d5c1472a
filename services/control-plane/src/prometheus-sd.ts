/**
 * Prometheus HTTP service discovery of a zone's proxies (`http_sd_configs`; Kuma's monitoring assignment
 * service in the shape Prometheus reads without an adapter): `GET /prometheus/sd` answers a JSON list of
 * target groups, one per proxy of this zone — sidecars (Dataplanes), ZoneIngresses and ZoneEgresses —
 * whose admin port is known:
 *
 *   [{"targets": ["127.0.0.1:9901"],
 *     "labels": {"__metrics_path__": "/metrics", "zone": "zone-1", "proxy_type": "sidecar",
 *                "mesh": "default", "service": "web", "dataplane": "web-1"}}, ...]
 *
 * The list is read from the zone's store, not from this replica's ADS streams: replicas of a zone share
 * the store, so every replica lists the proxies connected to any of them. A proxy's address and port are
 * what it announced when it registered (`@causeway/xds` admin-endpoint.ts: the admin address when it is a
 * specific one, else `networking.address`; `networking.admin.port`); a Dataplane applied over the API
 * with `networking.admin.port` is listed too. A proxy that disconnected stays listed until the zone
 * deletes its resource (30 s later): Prometheus shows it `up == 0` meanwhile. ZoneIngresses of other
 * zones (relayed by global) are not this zone's and are left out.
 *
 * No token is needed (like the API's other reads): the list names proxies and addresses, which
 * `GET /meshes/{mesh}/dataplanes` shows as well. A token sent with it (Prometheus' `authorization`) is
 * accepted and ignored.
 */
import { ORIGIN_LABEL, type Resource } from '@causeway/core';
import { listAll, type ResourceStore } from '@causeway/store';
import { metricsTarget } from '@causeway/xds';
import type { FastifyInstance } from 'fastify';

export const PROMETHEUS_SD_PATH = '/prometheus/sd';

/** One target group of Prometheus' HTTP SD format. */
export interface TargetGroup {
  targets: string[];
  labels: Record<string, string>;
}

const PROXY_TYPE = { Dataplane: 'sidecar', ZoneIngress: 'ingress', ZoneEgress: 'egress' } as const;
type ProxyResourceType = keyof typeof PROXY_TYPE;

function hostPort(host: string, port: number): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** The `kuma.io/service` of a Dataplane's first inbound (Kuma's `service` of a monitoring assignment). */
function serviceOf(r: Resource): string | undefined {
  const inbound = (r.spec as { networking?: { inbound?: { tags?: Record<string, string> }[] } }).networking?.inbound ?? [];
  for (const ib of inbound) {
    const s = ib.tags?.['kuma.io/service'];
    if (s) return s;
  }
  return undefined;
}

/**
 * The target groups of the proxies among `resources` (Dataplanes, ZoneIngresses, ZoneEgresses of the
 * zone's store) that belong to `zone` and have a known admin port; sorted by type, mesh and name.
 */
export function prometheusTargets(resources: readonly Resource[], zone: string, opts: { mesh?: string | undefined } = {}): TargetGroup[] {
  const out: { key: string; group: TargetGroup }[] = [];
  for (const r of resources) {
    const type = r.type as ProxyResourceType;
    if (!(type in PROXY_TYPE)) continue;
    // another zone's ZoneIngress, relayed by global, or anything else that came from global
    if (r.labels[ORIGIN_LABEL] === 'global') continue;
    const ownZone = (r.spec as { zone?: unknown }).zone;
    if (type !== 'Dataplane' && typeof ownZone === 'string' && ownZone !== zone) continue;
    if (opts.mesh !== undefined && (type !== 'Dataplane' || r.mesh !== opts.mesh)) continue;
    const target = metricsTarget(r);
    if (!target) continue;
    const labels: Record<string, string> = { __metrics_path__: '/metrics', zone, proxy_type: PROXY_TYPE[type], dataplane: r.name };
    if (type === 'Dataplane') {
      if (r.mesh) labels.mesh = r.mesh;
      const service = serviceOf(r);
      if (service) labels.service = service;
    } else labels.service = type === 'ZoneIngress' ? 'zone-ingress' : 'zone-egress';
    out.push({ key: `${type}\u0000${r.mesh ?? ''}\u0000${r.name}`, group: { targets: [hostPort(target.host, target.port)], labels } });
  }
  out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return out.map((o) => o.group);
}

export interface PrometheusSdOptions {
  store: ResourceStore;
  zone: string;
}

/** `GET /prometheus/sd[?mesh=NAME]`: the zone's proxies for Prometheus' `http_sd_configs` (`?mesh=` keeps one mesh's sidecars). */
export async function prometheusSdRoutes(app: FastifyInstance, opts: PrometheusSdOptions): Promise<void> {
  app.get<{ Querystring: { mesh?: string } }>(PROMETHEUS_SD_PATH, async (req, reply) => {
    const mesh = typeof req.query.mesh === 'string' && req.query.mesh !== '' ? req.query.mesh : undefined;
    const [dataplanes, ingresses, egresses] = await Promise.all([
      listAll(opts.store, 'Dataplane', mesh !== undefined ? { mesh } : {}),
      mesh !== undefined ? Promise.resolve([]) : listAll(opts.store, 'ZoneIngress'),
      mesh !== undefined ? Promise.resolve([]) : listAll(opts.store, 'ZoneEgress'),
    ]);
    const groups = prometheusTargets([...dataplanes, ...ingresses, ...egresses] as Resource[], opts.zone, { mesh });
    return reply.header('cache-control', 'no-store').type('application/json').send(JSON.stringify(groups));
  });
}
