/**
 * Kuma's base endpoints, in Kuma's shapes (its API server's `who-am-i`, `_resources` and `global-insight`):
 *
 *   GET /who-am-i        who the request authenticated as: the admin (`mesh-system:admin`) or anonymous
 *   GET /_resources      every resource type: name, REST path, display names, scope, read-only, whether it
 *                        syncs from global to the zones (`includeInFederation`), and for policies their
 *                        targetRef shape
 *   GET /global-insight  counts across the control plane: meshes, policies, resources by policy type,
 *                        dataplanes and services (online / offline), zones and their zone proxies
 */
import { DESCRIPTORS, isPolicyType, type Resource, type ResourceDescriptor, SERVICE_TAG } from '@causeway/core';
import { listAll, type ResourceStore } from '@causeway/store';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { hasAdminToken } from './auth.js';
import { dataplaneOnline, zoneOnline } from './inspect.js';

export interface KumaEndpointsOptions {
  store: ResourceStore;
  adminToken: string;
  mode: 'global' | 'zone';
}

/** "ExternalService" -> "External Service". */
function displayName(type: string): string {
  return type.replace(/([a-z0-9])([A-Z])/g, '$1 $2');
}

/** One entry of `GET /_resources`. */
export function resourceTypeInfo(d: ResourceDescriptor, mode: 'global' | 'zone'): Record<string, unknown> {
  const singular = displayName(d.type);
  const readOnly = d.system || (mode === 'zone' && d.owner === 'global') || (mode === 'global' && d.owner === 'zone');
  return {
    name: d.type,
    path: d.path,
    singularDisplayName: singular,
    pluralDisplayName: singular.endsWith('s') ? `${singular}es` : singular.endsWith('y') ? `${singular.slice(0, -1)}ies` : `${singular}s`,
    scope: d.scope === 'mesh' ? 'Mesh' : 'Global',
    readOnly,
    shortName: d.cli.aliases.find((a) => a.length <= 4) ?? '',
    includeInFederation: d.sync === 'global-to-zones',
    ...(isPolicyType(d.type)
      ? {
          policy: {
            isTargetRef: true,
            hasToTargetRef: d.type !== 'MeshTrafficPermission',
            hasFromTargetRef: d.type !== 'MeshRetry',
            hasRulesTargetRef: false,
            isFromAsRules: false,
          },
        }
      : {}),
  };
}

export async function kumaEndpoints(app: FastifyInstance, opts: KumaEndpointsOptions): Promise<void> {
  const { store } = opts;

  app.get('/who-am-i', { schema: { tags: ['Control plane'], summary: 'Who the request authenticated as' } }, async (req: FastifyRequest) =>
    hasAdminToken(req, opts.adminToken)
      ? { name: 'mesh-system:admin', groups: ['mesh-system:admin', 'mesh-system:authenticated'] }
      : { name: 'mesh-system:anonymous', groups: ['mesh-system:unauthenticated'] },
  );

  app.get('/_resources', { schema: { tags: ['Control plane'], summary: 'Every resource type this control plane serves' } }, async () => ({
    resources: [...DESCRIPTORS].sort((a, b) => (a.type < b.type ? -1 : 1)).map((d) => resourceTypeInfo(d, opts.mode)),
  }));

  app.get('/global-insight', { schema: { tags: ['Control plane'], summary: 'Counts across the control plane (Kuma GlobalInsight)' } }, async () => {
    const now = Date.now();
    const [meshes, dataplanes, insights, externals, zones, zoneInsights, ingresses, egresses] = await Promise.all([
      store.list('Mesh', { size: 1 }),
      listAll(store, 'Dataplane'),
      listAll(store, 'DataplaneInsight'),
      listAll(store, 'ExternalService'),
      listAll(store, 'Zone'),
      listAll(store, 'ZoneInsight'),
      listAll(store, 'ZoneIngress'),
      listAll(store, 'ZoneEgress'),
    ]);
    const insightOf = new Map(insights.map((i) => [`${i.mesh}/${i.name}`, i]));
    const online = (dp: Resource<'Dataplane'>) => dataplaneOnline(insightOf.get(`${dp.mesh}/${dp.name}`));
    const up = dataplanes.filter(online).length;
    // A service is online when one of its dataplanes is, offline when it has some and none is.
    const services = new Map<string, boolean>();
    for (const dp of dataplanes) {
      for (const ib of dp.spec.networking.inbound ?? []) {
        const key = `${dp.mesh}/${ib.tags[SERVICE_TAG]}`;
        services.set(key, (services.get(key) ?? false) || online(dp));
      }
    }
    const servicesOnline = [...services.values()].filter(Boolean).length;
    const zoneUp = new Map(zoneInsights.map((z) => [z.name, zoneOnline(z, now)]));
    const proxyOnline = (r: Resource<'ZoneIngress'> | Resource<'ZoneEgress'>) => {
      const zone = r.spec.zone ?? r.labels['causeway.io/zone'];
      // A zone's own control plane knows its proxies are connected; at global a zone proxy counts while its zone is online.
      return opts.mode === 'zone' || (zone !== undefined && zoneUp.get(zone) === true);
    };
    const resources: Record<string, { total: number }> = {};
    let policies = 0;
    for (const d of DESCRIPTORS) {
      if (!isPolicyType(d.type)) continue;
      const total = (await store.list(d.type, { size: 1 })).total;
      policies += total;
      if (total > 0) resources[d.type] = { total };
    }
    return {
      createdAt: new Date(now).toISOString(),
      meshes: { total: meshes.total },
      policies: { total: policies },
      resources,
      dataplanes: { standard: { total: dataplanes.length, online: up, offline: dataplanes.length - up, partiallyDegraded: 0 } },
      services: {
        internal: { total: services.size, online: servicesOnline, offline: services.size - servicesOnline, partiallyDegraded: 0 },
        external: { total: new Set(externals.map((e) => `${e.mesh}/${e.spec.tags[SERVICE_TAG]}`)).size },
      },
      zones: {
        controlPlanes: { total: zones.length, online: zones.filter((z) => zoneUp.get(z.name) === true).length },
        zoneIngresses: { total: ingresses.length, online: ingresses.filter(proxyOnline).length },
        zoneEgresses: { total: egresses.length, online: egresses.filter(proxyOnline).length },
      },
    };
  });
}
