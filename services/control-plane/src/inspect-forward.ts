/**
 * Global's view of a zone's proxies: the zone API's reads of a proxy (its config dump, the policies and
 * Kuma's rules that apply to it, its stats and clusters) asked for at global and forwarded over NATS to
 * the zone that owns it (@causeway/sync inspect.ts), which answers from its own API:
 *
 *   GET /meshes/{mesh}/dataplanes/{name}/xds        GET /meshes/{mesh}/dataplanes/{name}/policies
 *   GET /meshes/{mesh}/dataplanes/{name}/_config    (Kuma's; Kuma's own global refuses it with 405)
 *   GET /meshes/{mesh}/dataplanes/{name}/_rules     GET /meshes/{mesh}/dataplanes/{name}/stats
 *   GET /meshes/{mesh}/dataplanes/{name}/clusters
 *   GET /zoneingresses/{name}/{xds,stats,clusters}  GET /zoneegresses/{name}/{xds,stats,clusters}
 *
 * The proxy is named as global names it (`web-1.zone-1`) or by its name in its zone (`web-1`) when only
 * one zone has a proxy of that name (several: a 409 listing the global names to use). The answer (status,
 * content type, body: text/plain for stats and clusters) is the zone's. `includeSecrets=true` needs the
 * admin token here, as on the zone. A zone that answers nothing in time (the proxy is connected to none
 * of its control planes, or the zone is offline) gives 404 or 503.
 */
import { CausewayError, DISPLAY_NAME_LABEL, nameError, type Resource, type ResourceType, ZONE_LABEL } from '@causeway/core';
import { hasAdminToken } from '@causeway/api';
import type { ResourceStore } from '@causeway/store';
import type { InspectRequester } from '@causeway/sync';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

export interface InspectForwardOptions {
  store: ResourceStore;
  adminToken: string;
  /** Undefined when global runs without NATS: every read is a 503. */
  requester: Pick<InspectRequester, 'ask'> | undefined;
}

type Req = FastifyRequest<{ Params: { mesh?: string; name: string }; Querystring: Record<string, string | string[] | undefined> }>;

/** What global forwards of a Dataplane (the zone's routes of the same names). */
const DATAPLANE_READS = ['xds', '_config', 'policies', '_rules', 'stats', 'clusters'] as const;
type Read = (typeof DATAPLANE_READS)[number];

const SUMMARIES: Record<Read, string> = {
  xds: "The proxy's config (Envoy /config_dump shape), from its zone",
  _config: "The proxy's xDS config as its zone computes it (Kuma's DataplaneXDSConfig: {xds, diff}), from its zone",
  policies: 'The traffic policies that apply to the proxy and why, from its zone',
  _rules: 'The rules of each policy type that apply to the proxy (Kuma InspectRules), from its zone',
  stats: "The proxy's statistics (its admin endpoint, text/plain), from its zone",
  clusters: "The proxy's clusters and hosts (its admin endpoint, text/plain), from its zone",
};

/**
 * The resource a read names: by its global name, or by its name in its zone when exactly one zone has a
 * proxy of that name (the global copies carry it in the display-name label).
 */
async function resolve(store: ResourceStore, type: ResourceType, mesh: string | undefined, name: string): Promise<Resource> {
  const r = await store.get(type, mesh, name);
  if (r) return r;
  const byLocalName = await store.list(type, { ...(mesh !== undefined ? { mesh } : {}), labels: { [DISPLAY_NAME_LABEL]: name }, size: 100 });
  const [only, ...more] = byLocalName.items;
  if (only && more.length === 0) return only;
  if (only)
    throw new CausewayError(
      'CONFLICT',
      `${type} "${name}"${mesh !== undefined ? ` in mesh "${mesh}"` : ''} is a name in several zones (${byLocalName.items.map((x) => x.labels[ZONE_LABEL] ?? '?').join(', ')}): use its global name (${byLocalName.items.map((x) => x.name).join(', ')})`,
    );
  throw new CausewayError('NOT_FOUND', `${type} "${name}"${mesh !== undefined ? ` in mesh "${mesh}"` : ''} not found`);
}

export async function inspectForwardRoutes(app: FastifyInstance, opts: InspectForwardOptions): Promise<void> {
  const forward = async (type: ResourceType, what: Read, req: Req, reply: FastifyReply) => {
    const { mesh, name } = req.params;
    for (const [field, value] of [
      ['mesh', mesh],
      ['name', name],
    ] as const) {
      const err = value === undefined ? undefined : nameError(value);
      if (err) throw new CausewayError('INVALID', `invalid ${field} in the path`, [{ field, reason: err }]);
    }
    const query = new URLSearchParams();
    for (const [k, v] of Object.entries(req.query ?? {})) for (const x of Array.isArray(v) ? v : v === undefined ? [] : [v]) query.append(k, x);
    if (query.get('includeSecrets') === 'true' && !hasAdminToken(req, opts.adminToken))
      throw new CausewayError('UNAUTHORIZED', 'includeSecrets=true needs "Authorization: Bearer <admin token>"');
    const r = await resolve(opts.store, type, mesh, name);
    const zone = r.labels[ZONE_LABEL];
    if (!zone) throw new CausewayError('NOT_FOUND', `${type} "${r.name}" belongs to no zone: it has no proxy to inspect`);
    if (!opts.requester) throw new CausewayError('UNAVAILABLE', 'global runs without NATS (--nats-url): it cannot ask the zones');
    const local = r.labels[DISPLAY_NAME_LABEL] ?? r.name;
    const base = type === 'Dataplane' ? `/meshes/${encodeURIComponent(mesh ?? '')}/dataplanes` : type === 'ZoneIngress' ? '/zoneingresses' : '/zoneegresses';
    const qs = query.toString();
    const answer = await opts.requester.ask(zone, { url: `${base}/${encodeURIComponent(local)}/${what}${qs ? `?${qs}` : ''}` });
    if (answer === 'unreachable') throw new CausewayError('UNAVAILABLE', 'global is not connected to NATS: it cannot ask the zones now');
    if (answer === 'no-answer') {
      throw new CausewayError('NOT_FOUND', `no control plane of zone "${zone}" answered for ${type} "${local}": it is not connected to any of them, or the zone is offline`);
    }
    return reply.status(answer.status).type(answer.contentType).send(answer.body);
  };
  const params = {
    type: 'object',
    properties: { mesh: { type: 'string' }, name: { type: 'string', description: "global name (web-1.zone-1), or the zone's name (web-1) when one zone has it" } },
  };
  for (const what of DATAPLANE_READS)
    app.get(`/meshes/:mesh/dataplanes/:name/${what}`, { schema: { tags: ['Inspect'], summary: SUMMARIES[what], params } }, (req: Req, reply) => forward('Dataplane', what, req, reply));
  for (const what of ['xds', 'stats', 'clusters'] as const) {
    app.get(`/zoneingresses/:name/${what}`, { schema: { tags: ['Inspect'], summary: SUMMARIES[what], params } }, (req: Req, reply) => forward('ZoneIngress', what, req, reply));
    app.get(`/zoneegresses/:name/${what}`, { schema: { tags: ['Inspect'], summary: SUMMARIES[what], params } }, (req: Req, reply) => forward('ZoneEgress', what, req, reply));
  }
}
