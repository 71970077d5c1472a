/**
 * Read-only overview routes in Kuma's shapes: resources joined with their insights, and per-mesh counts.
 *   GET /meshes/{mesh}/dataplanes+insights, GET /dataplanes+insights
 *   GET /zones+insights, GET /zoneingresses+insights, GET /zoneegresses+insights (alias /zoneegressoverviews)
 *   GET /mesh-insights, GET /mesh-insights/{mesh}
 */
import { CausewayError, DESCRIPTORS, parseDuration, type Resource, type ResourceType, SERVICE_TAG } from '@causeway/core';
import { listAll, type ResourceStore } from '@causeway/store';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { nextUrl, parseListQuery } from './resources.js';
import { listWithTags } from './tag-filter.js';

type Query = Record<string, string | string[] | undefined>;

export function dataplaneOnline(insight: Resource<'DataplaneInsight'> | undefined): boolean {
  const subs = insight?.spec.subscriptions ?? [];
  return subs.some((s) => s.disconnectTime === undefined);
}

/** A zone is online while its heartbeat is younger than three heartbeat intervals. */
export function zoneOnline(insight: Resource<'ZoneInsight'> | undefined, now = Date.now()): boolean {
  const s = insight?.spec;
  if (!s?.heartbeatTime) return false;
  const interval = (s.heartbeatInterval ? parseDuration(s.heartbeatInterval) : undefined) ?? 5000;
  return now - Date.parse(s.heartbeatTime) <= 3 * interval;
}

export async function inspectRoutes(app: FastifyInstance, opts: { store: ResourceStore }): Promise<void> {
  const { store } = opts;

  const page = async <T extends ResourceType>(type: T, req: FastifyRequest<{ Params: { mesh?: string }; Querystring: Query }>) => {
    const q = parseListQuery(req.query);
    if (req.params.mesh !== undefined) q.mesh = req.params.mesh;
    return listWithTags(store, type, q);
  };

  const dataplanesWithInsights = async (req: FastifyRequest<{ Params: { mesh?: string }; Querystring: Query }>) => {
    const p = await page('Dataplane', req);
    const items = await Promise.all(
      p.items.map(async (dp) => {
        const insight = await store.get('DataplaneInsight', dp.mesh, dp.name);
        return {
          type: 'DataplaneOverview',
          mesh: dp.mesh,
          name: dp.name,
          labels: dp.labels,
          creationTime: dp.creationTime,
          modificationTime: dp.modificationTime,
          dataplane: dp.spec,
          dataplaneInsight: insight?.spec ?? {},
          status: dataplaneOnline(insight) ? 'Online' : 'Offline',
        };
      }),
    );
    return { total: p.total, items, next: nextUrl(req, p.next) };
  };
  app.get('/meshes/:mesh/dataplanes+insights', { schema: { tags: ['Inspect'] } }, dataplanesWithInsights);
  app.get('/dataplanes+insights', { schema: { tags: ['Inspect'] } }, dataplanesWithInsights);

  app.get('/zones+insights', { schema: { tags: ['Inspect'] } }, async (req: FastifyRequest<{ Params: { mesh?: string }; Querystring: Query }>) => {
    const p = await page('Zone', req);
    const now = Date.now();
    const items = await Promise.all(
      p.items.map(async (z) => {
        const insight = await store.get('ZoneInsight', undefined, z.name);
        return {
          type: 'ZoneOverview',
          name: z.name,
          creationTime: z.creationTime,
          modificationTime: z.modificationTime,
          zone: z.spec,
          zoneInsight: insight?.spec ?? {},
          status: zoneOnline(insight, now) ? 'Online' : 'Offline',
        };
      }),
    );
    return { total: p.total, items, next: nextUrl(req, p.next) };
  });

  for (const [type, paths] of [
    ['ZoneIngress', ['/zoneingresses+insights']],
    ['ZoneEgress', ['/zoneegresses+insights', '/zoneegressoverviews']],
  ] as const) {
    for (const path of paths) {
      app.get(path, { schema: { tags: ['Inspect'] } }, async (req: FastifyRequest<{ Params: { mesh?: string }; Querystring: Query }>) => {
        const p = await page(type, req);
        const zones = new Map<string, boolean>();
        const now = Date.now();
        const items = await Promise.all(
          p.items.map(async (r) => {
            const zone = r.spec.zone ?? r.labels['causeway.io/zone'];
            let online: boolean | undefined;
            if (zone) {
              if (!zones.has(zone)) zones.set(zone, zoneOnline(await store.get('ZoneInsight', undefined, zone), now));
              online = zones.get(zone);
            }
            const key = type === 'ZoneIngress' ? 'zoneIngress' : 'zoneEgress';
            return { type: `${type}Overview`, name: r.name, creationTime: r.creationTime, modificationTime: r.modificationTime, [key]: r.spec, zone: zone ?? null, ...(online === undefined ? {} : { zoneStatus: online ? 'Online' : 'Offline' }) };
          }),
        );
        return { total: p.total, items, next: nextUrl(req, p.next) };
      });
    }
  }

  const meshInsight = async (mesh: Resource<'Mesh'>) => {
    const name = mesh.name;
    const [dataplanes, insights, externals] = await Promise.all([
      listAll(store, 'Dataplane', { mesh: name }),
      listAll(store, 'DataplaneInsight', { mesh: name }),
      listAll(store, 'ExternalService', { mesh: name }),
    ]);
    const insightByName = new Map(insights.map((i) => [i.name, i]));
    const online = dataplanes.filter((dp) => dataplaneOnline(insightByName.get(dp.name))).length;
    const internal = new Set(dataplanes.flatMap((dp) => (dp.spec.networking.inbound ?? []).map((i) => i.tags[SERVICE_TAG])));
    const external = new Set(externals.map((e) => e.spec.tags[SERVICE_TAG]));
    const policies: Record<string, { total: number }> = {};
    for (const d of DESCRIPTORS) {
      if (!d.specField) continue;
      const p = await store.list(d.type, { mesh: name, size: 1 });
      policies[d.type] = { total: p.total };
    }
    return {
      type: 'MeshInsight',
      name,
      dataplanes: { total: dataplanes.length, online, offline: dataplanes.length - online },
      services: { total: internal.size + external.size, internal: internal.size, external: external.size },
      externalServices: { total: externals.length },
      policies,
    };
  };

  app.get('/mesh-insights', { schema: { tags: ['Inspect'] } }, async (req: FastifyRequest<{ Querystring: Query }>) => {
    const p = await store.list('Mesh', parseListQuery(req.query));
    return { total: p.total, items: await Promise.all(p.items.map(meshInsight)), next: nextUrl(req, p.next) };
  });
  app.get('/mesh-insights/:mesh', { schema: { tags: ['Inspect'] } }, async (req: FastifyRequest<{ Params: { mesh: string } }>) => {
    const mesh = await store.get('Mesh', undefined, req.params.mesh);
    if (!mesh) throw new CausewayError('NOT_FOUND', `Mesh "${req.params.mesh}" not found`);
    return meshInsight(mesh);
  });
}
