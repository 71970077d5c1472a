/**
 * Kuma's service insights (its ServiceInsight, expanded per service as the API serves it), computed on
 * every read from the Dataplanes, DataplaneInsights and ExternalServices of the store — on global from
 * every zone's, on a zone from its own:
 *
 *   GET /meshes/{mesh}/service-insights          one item per service of the mesh
 *   GET /meshes/{mesh}/service-insights/{name}   one service
 *   GET /service-insights                        every mesh's services
 *
 * An item: `{type: "ServiceInsight", mesh, name, creationTime, modificationTime, status, dataplanes:
 * {total, online, offline}, serviceType, addressPort?, zones?}`:
 * - a mesh service (a `kuma.io/service` of Dataplane inbounds) is `internal`, with the address the
 *   sidecars' builtin DNS gives it (`<service>.mesh:80`); an ExternalService's is `external`, with its
 *   `networking.address`;
 * - a Dataplane is online when its proxy is connected and one of its inbounds is ready (Kuma's rule; a
 *   proxy with some inbounds not ready is "partially degraded" and counts as offline, as in Kuma); each
 *   Dataplane counts once per service it serves (Kuma counts once per inbound);
 * - status: `not_available` for an external service, `offline` when no dataplane is online, `online`
 *   when all are, `partially_degraded` otherwise;
 * - zones: the `kuma.io/zone` tags of the service's inbounds (or the zone a Dataplane came from, at
 *   global) and of its ExternalServices, sorted;
 * - times: the earliest creation and the latest modification of the resources it was computed from.
 * Lists are paged like the other lists (`size`, opaque `offset`, `next`); `name=` keeps the services whose
 * name contains it; `type=internal,external` (Kuma's values: also `gateway_builtin`, `gateway_delegated`,
 * which no Causeway service has) keeps those types. An unknown mesh or service is a 404.
 */
import { CausewayError, type FieldError, nameError, type Resource, SERVICE_TAG, ZONE_LABEL, ZONE_TAG } from '@causeway/core';
import { listAll, type ResourceStore } from '@causeway/store';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { dataplaneOnline } from './inspect.js';
import { PAGE_QUERY_PROPERTIES, pageOf } from './paging.js';
import { nextUrl, parseListQuery } from './resources.js';

type Query = Record<string, string | string[] | undefined>;

export type ServiceStatus = 'online' | 'offline' | 'partially_degraded' | 'not_available';
/** Kuma's ServiceInsight.Service.Type values (Causeway has no gateways: the last two never occur). */
export const SERVICE_TYPES = ['internal', 'external', 'gateway_delegated', 'gateway_builtin'] as const;
export type ServiceType = (typeof SERVICE_TYPES)[number];

export interface ServiceInsightItem {
  type: 'ServiceInsight';
  mesh: string;
  name: string;
  creationTime: string;
  modificationTime: string;
  status: ServiceStatus;
  dataplanes: { total: number; online: number; offline: number };
  serviceType: ServiceType;
  addressPort?: string;
  zones?: string[];
}

/** The port the builtin DNS's VIPs of mesh services listen on (`<service>.mesh:80`). */
const MESH_DNS_SUFFIX = '.mesh';
const MESH_VIP_PORT = 80;

/** Kuma's status of a Dataplane: online when connected and at least one inbound is ready, degraded when not all are. */
export function dataplaneStatus(dp: Resource<'Dataplane'>, insight: Resource<'DataplaneInsight'> | undefined): 'online' | 'offline' | 'partially_degraded' {
  const inbound = dp.spec.networking.inbound ?? [];
  const ready = inbound.filter((ib) => ib.health?.ready !== false).length;
  if (!dataplaneOnline(insight) || ready === 0) return 'offline';
  return ready < inbound.length ? 'partially_degraded' : 'online';
}

interface Acc {
  mesh: string;
  name: string;
  serviceType: ServiceType;
  online: number;
  offline: number;
  addressPort?: string;
  zones: Set<string>;
  created: string;
  modified: string;
}

/** The service insights of one mesh, computed from its resources. */
export function computeServiceInsights(
  mesh: string,
  dataplanes: readonly Resource<'Dataplane'>[],
  insights: readonly Resource<'DataplaneInsight'>[],
  externals: readonly Resource<'ExternalService'>[],
): ServiceInsightItem[] {
  const insightByName = new Map(insights.map((i) => [i.name, i]));
  const services = new Map<string, Acc>();
  const touch = (name: string, serviceType: ServiceType, r: Resource): Acc => {
    let acc = services.get(name);
    if (!acc) {
      acc = { mesh, name, serviceType, online: 0, offline: 0, zones: new Set(), created: r.creationTime ?? '', modified: r.modificationTime ?? '' };
      services.set(name, acc);
    }
    if (r.creationTime && (acc.created === '' || r.creationTime < acc.created)) acc.created = r.creationTime;
    if (r.modificationTime && r.modificationTime > acc.modified) acc.modified = r.modificationTime;
    return acc;
  };
  for (const dp of dataplanes) {
    const online = dataplaneStatus(dp, insightByName.get(dp.name)) === 'online';
    const counted = new Set<string>();
    for (const ib of dp.spec.networking.inbound ?? []) {
      const service = ib.tags[SERVICE_TAG];
      if (!service) continue;
      const acc = touch(service, 'internal', dp);
      const zone = ib.tags[ZONE_TAG] ?? dp.labels[ZONE_LABEL];
      if (zone) acc.zones.add(zone);
      if (counted.has(service)) continue;
      counted.add(service);
      if (online) acc.online++;
      else acc.offline++;
    }
  }
  for (const es of externals) {
    const service = es.spec.tags[SERVICE_TAG];
    if (!service) continue;
    // A name both a mesh service and an ExternalService: the mesh service's entry keeps its type (as in Kuma).
    const acc = touch(service, 'external', es);
    if (acc.serviceType === 'external') acc.addressPort ??= es.spec.networking.address;
    const zone = es.spec.tags[ZONE_TAG];
    if (zone) acc.zones.add(zone);
  }
  return [...services.values()].map((s) => {
    const total = s.online + s.offline;
    const status: ServiceStatus =
      s.serviceType === 'external' ? 'not_available' : s.online === 0 ? 'offline' : s.online === total ? 'online' : 'partially_degraded';
    const addressPort = s.serviceType === 'internal' ? `${s.name}${MESH_DNS_SUFFIX}:${MESH_VIP_PORT}` : s.addressPort;
    return {
      type: 'ServiceInsight',
      mesh: s.mesh,
      name: s.name,
      creationTime: s.created,
      modificationTime: s.modified,
      status,
      dataplanes: { total, online: s.online, offline: s.offline },
      serviceType: s.serviceType,
      ...(addressPort ? { addressPort } : {}),
      ...(s.zones.size > 0 ? { zones: [...s.zones].sort() } : {}),
    };
  });
}

function asList(v: string | string[] | undefined): string[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

/** `type=internal,external` (Kuma's comma list; repeating `type=` works too). */
export function parseServiceTypes(q: Query): Set<ServiceType> | undefined {
  const values = asList(q.type).flatMap((v) => v.split(',')).map((v) => v.trim().toLowerCase()).filter((v) => v !== '');
  if (values.length === 0) return undefined;
  const bad = values.filter((v) => !(SERVICE_TYPES as readonly string[]).includes(v));
  if (bad.length > 0) {
    const errors: FieldError[] = bad.map((v) => ({ field: 'type', reason: `"${v}" is not a service type: use ${SERVICE_TYPES.join(', ')}` }));
    throw new CausewayError('INVALID', 'unsupported service type', errors);
  }
  return new Set(values as ServiceType[]);
}

function checkedMesh(mesh: string): string {
  const err = nameError(mesh);
  if (err) throw new CausewayError('INVALID', 'invalid mesh in the path', [{ field: 'mesh', reason: err }]);
  return mesh;
}

export async function serviceInsightRoutes(app: FastifyInstance, opts: { store: ResourceStore }): Promise<void> {
  const { store } = opts;

  const ofMesh = async (mesh: string): Promise<ServiceInsightItem[]> => {
    const [dataplanes, insights, externals] = await Promise.all([
      listAll(store, 'Dataplane', { mesh }),
      listAll(store, 'DataplaneInsight', { mesh }),
      listAll(store, 'ExternalService', { mesh }),
    ]);
    return computeServiceInsights(mesh, dataplanes, insights, externals);
  };
  const requireMesh = async (mesh: string) => {
    if (!(await store.get('Mesh', undefined, checkedMesh(mesh)))) throw new CausewayError('NOT_FOUND', `Mesh "${mesh}" not found`);
  };

  const list = async (req: FastifyRequest<{ Params: { mesh?: string }; Querystring: Query }>) => {
    const { tags: _tags, labels: _labels, nameContains, ...q } = parseListQuery(req.query);
    const types = parseServiceTypes(req.query);
    let items: ServiceInsightItem[];
    if (req.params.mesh !== undefined) {
      await requireMesh(req.params.mesh);
      items = await ofMesh(req.params.mesh);
    } else {
      const meshes = await listAll(store, 'Mesh');
      items = (await Promise.all(meshes.map((m) => ofMesh(m.name)))).flat();
    }
    const needle = nameContains?.toLowerCase();
    const kept = items.filter((s) => (needle === undefined || s.name.toLowerCase().includes(needle)) && (types === undefined || types.has(s.serviceType)));
    const page = pageOf(kept, q);
    return { total: page.total, items: page.items, next: nextUrl(req, page.next) };
  };

  const query = {
    type: 'object',
    properties: {
      ...PAGE_QUERY_PROPERTIES,
      name: { type: 'string', description: 'service name contains (case-insensitive)' },
      type: { type: 'string', description: `comma-separated service types: ${SERVICE_TYPES.join(', ')}` },
    },
  };
  const item = {
    type: 'object',
    required: ['type', 'mesh', 'name', 'status', 'dataplanes', 'serviceType'],
    properties: {
      type: { type: 'string', enum: ['ServiceInsight'] },
      mesh: { type: 'string' },
      name: { type: 'string', description: 'the service (kuma.io/service)' },
      creationTime: { type: 'string', format: 'date-time' },
      modificationTime: { type: 'string', format: 'date-time' },
      status: { type: 'string', enum: ['online', 'offline', 'partially_degraded', 'not_available'] },
      dataplanes: { type: 'object', properties: { total: { type: 'integer' }, online: { type: 'integer' }, offline: { type: 'integer' } } },
      serviceType: { type: 'string', enum: [...SERVICE_TYPES] },
      addressPort: { type: 'string', description: 'internal: <service>.mesh:80 (builtin DNS); external: the ExternalService address' },
      zones: { type: 'array', items: { type: 'string' } },
    },
  };
  const listResponse = { 200: { type: 'object', properties: { total: { type: 'integer' }, items: { type: 'array', items: item }, next: { type: ['string', 'null'] } } } };
  const tags = ['Service insights'];

  app.get('/meshes/:mesh/service-insights', { schema: { tags, summary: "The mesh's services with their dataplanes' status (Kuma ServiceInsight)", querystring: query, response: listResponse } }, list);
  app.get('/service-insights', { schema: { tags, summary: "Every mesh's services with their dataplanes' status", querystring: query, response: listResponse } }, list);
  app.get(
    '/meshes/:mesh/service-insights/:name',
    { schema: { tags, summary: 'One service with its dataplanes status', response: { 200: item } } },
    async (req: FastifyRequest<{ Params: { mesh: string; name: string } }>) => {
      const { mesh, name } = req.params;
      await requireMesh(mesh);
      const found = (await ofMesh(mesh)).find((s) => s.name === name);
      if (!found) throw new CausewayError('NOT_FOUND', `service "${name}" not found in mesh "${mesh}": no Dataplane inbound or ExternalService has kuma.io/service "${name}"`);
      return found;
    },
  );
}
