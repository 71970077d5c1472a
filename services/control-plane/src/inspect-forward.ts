/**
 * Global's view of a zone's proxies: the zone API's reads of a proxy (its config dump, the policies that
 * apply to it) asked for at global, by the global name (`web-1.zone-1`), and forwarded over NATS to the
 * zone that owns it (@causeway/sync inspect.ts), which answers from its own API:
 *
 *   GET /meshes/{mesh}/dataplanes/{name}/xds        GET /meshes/{mesh}/dataplanes/{name}/policies
 *   GET /zoneingresses/{name}/xds                   GET /zoneegresses/{name}/xds
 *
 * `includeSecrets=true` needs the admin token here, as on the zone. A zone that answers nothing in time
 * (the proxy is connected to none of its control planes, or the zone is offline) gives 404 or 503.
 */
import { CausewayError, DISPLAY_NAME_LABEL, type ResourceType, ZONE_LABEL } from '@causeway/core';
import { hasAdminToken } from '@causeway/api';
import type { ResourceStore } from '@causeway/store';
import type { InspectRequester } from '@causeway/sync';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

export interface InspectForwardOptions {
  store: ResourceStore;
  adminToken: string;
  /** Undefined when global runs without NATS: every read is a 503. */
  requester: InspectRequester | undefined;
}

type Req = FastifyRequest<{ Params: { mesh?: string; name: string }; Querystring: Record<string, string | string[] | undefined> }>;

export async function inspectForwardRoutes(app: FastifyInstance, opts: InspectForwardOptions): Promise<void> {
  const forward = async (type: ResourceType, what: 'xds' | 'policies', req: Req, reply: FastifyReply) => {
    const { mesh, name } = req.params;
    const query = new URLSearchParams();
    for (const [k, v] of Object.entries(req.query ?? {})) for (const x of Array.isArray(v) ? v : v === undefined ? [] : [v]) query.append(k, x);
    if (query.get('includeSecrets') === 'true' && !hasAdminToken(req, opts.adminToken))
      throw new CausewayError('UNAUTHORIZED', 'includeSecrets=true needs "Authorization: Bearer <admin token>"');
    const r = await opts.store.get(type, mesh, name);
    if (!r) throw new CausewayError('NOT_FOUND', `${type} "${name}"${mesh !== undefined ? ` in mesh "${mesh}"` : ''} not found`);
    const zone = r.labels[ZONE_LABEL];
    if (!zone) throw new CausewayError('NOT_FOUND', `${type} "${name}" belongs to no zone: it has no config to show`);
    if (!opts.requester) throw new CausewayError('UNAVAILABLE', 'global runs without NATS (--nats-url): it cannot ask the zones');
    const local = r.labels[DISPLAY_NAME_LABEL] ?? name;
    const base = type === 'Dataplane' ? `/meshes/${encodeURIComponent(mesh ?? '')}/dataplanes` : type === 'ZoneIngress' ? '/zoneingresses' : '/zoneegresses';
    const qs = query.toString();
    const answer = await opts.requester.ask(zone, { url: `${base}/${encodeURIComponent(local)}/${what}${qs ? `?${qs}` : ''}` });
    if (answer === 'unreachable') throw new CausewayError('UNAVAILABLE', 'global is not connected to NATS: it cannot ask the zones now');
    if (answer === 'no-answer') {
      throw new CausewayError('NOT_FOUND', `no control plane of zone "${zone}" answered for ${type} "${local}": it is not connected to any of them, or the zone is offline`);
    }
    return reply.status(answer.status).type(answer.contentType).send(answer.body);
  };
  app.get('/meshes/:mesh/dataplanes/:name/xds', (req: Req, reply) => forward('Dataplane', 'xds', req, reply));
  app.get('/meshes/:mesh/dataplanes/:name/policies', (req: Req, reply) =>
    forward('Dataplane', 'policies', req, reply),
  );
  app.get('/zoneingresses/:name/xds', (req: Req, reply) => forward('ZoneIngress', 'xds', req, reply));
  app.get('/zoneegresses/:name/xds', (req: Req, reply) => forward('ZoneEgress', 'xds', req, reply));
}
