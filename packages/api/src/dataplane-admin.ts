/**
 * A zone's reads of one of its proxies that Kuma's API has and the resource routes do not (global forwards
 * them to the zone that owns the proxy: services/control-plane inspect-forward.ts):
 *
 *   GET /meshes/{mesh}/dataplanes/{name}/stats     the proxy's own statistics (its admin `/stats`)
 *   GET /meshes/{mesh}/dataplanes/{name}/clusters  its clusters and hosts (its admin `/clusters`)
 *   GET /meshes/{mesh}/dataplanes/{name}/_rules    Kuma's inspect rules, from `.../policies` (rules.ts)
 *   GET /zoneingresses/{name}/stats, /clusters     the same reads of a ZoneIngress
 *   GET /zoneegresses/{name}/stats, /clusters      and of a ZoneEgress
 *
 * `stats` and `clusters` are read from the proxy's admin endpoint where the zone recorded it when the
 * proxy connected (node metadata `dataplane.admin.port` / `.address`, @causeway/xds `metricsTarget`) and
 * returned as the proxy answered (text/plain, like Kuma and Envoy; `?format=json` is passed on, as are
 * `usedonly` and `filter` for stats). A proxy without a `/stats` (causeway-dp serves Prometheus text at
 * `/stats/prometheus`) is answered with its Prometheus text. A Dataplane whose admin address is not known
 * is a 409 saying so; an admin endpoint that does not answer within 3 s (global waits 5 s for the zone) is
 * a 502 naming the address and the error.
 */
import { CausewayError, isPolicyType, nameError, type ResourceType } from '@causeway/core';
import type { ResourceStore } from '@causeway/store';
import { type DataplanePolicies, metricsTarget } from '@causeway/xds';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { inspectRules } from './rules.js';

export interface DataplaneAdminOptions {
  store: ResourceStore;
  zone: string | undefined;
  /** How long to wait for a proxy's admin endpoint, ms (default 3000). */
  adminTimeoutMs?: number;
}

type Req = FastifyRequest<{ Params: { mesh: string; name: string }; Querystring: Record<string, string | string[] | undefined> }>;

/** What the admin endpoint is asked: the path and which query parameters are passed on. */
const READS = {
  stats: { path: '/stats', params: ['format', 'usedonly', 'filter'] },
  clusters: { path: '/clusters', params: ['format'] },
} as const;

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function checked(field: 'mesh' | 'name', value: string): string {
  const err = nameError(value);
  if (err) throw new CausewayError('INVALID', `invalid ${field} in the path`, [{ field, reason: err }]);
  return value;
}

/** `host:port` for a URL (IPv6 in brackets). */
function authority(host: string, port: number): string {
  return `${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${port}`;
}

export async function dataplaneAdminRoutes(app: FastifyInstance, opts: DataplaneAdminOptions): Promise<void> {
  const { store } = opts;
  const timeoutMs = opts.adminTimeoutMs ?? 3000;
  const where = opts.zone ? ` in zone "${opts.zone}"` : '';

  const dataplane = async (req: Req) => {
    const mesh = checked('mesh', req.params.mesh);
    const name = checked('name', req.params.name);
    const dp = await store.get('Dataplane', mesh, name);
    if (!dp) throw new CausewayError('NOT_FOUND', `Dataplane "${name}" in mesh "${mesh}" not found${where}`);
    return dp;
  };

  const zoneProxy = async (type: 'ZoneIngress' | 'ZoneEgress', req: Req) => {
    const name = checked('name', req.params.name);
    const r = await store.get(type, undefined, name);
    if (!r) throw new CausewayError('NOT_FOUND', `${type} "${name}" not found${where}`);
    return r;
  };

  const admin = async (what: keyof typeof READS, req: Req, reply: FastifyReply, type: 'Dataplane' | 'ZoneIngress' | 'ZoneEgress' = 'Dataplane') => {
    const format = first(req.query.format);
    if (format !== undefined && format !== '' && format !== 'text' && format !== 'json')
      throw new CausewayError('INVALID', `invalid format "${format}"`, [{ field: 'format', reason: 'must be text or json' }]);
    const dp = type === 'Dataplane' ? await dataplane(req) : await zoneProxy(type, req);
    const described = type === 'Dataplane' ? `Dataplane "${dp.name}" in mesh "${dp.mesh}"` : `${type} "${dp.name}"`;
    const target = metricsTarget(dp);
    if (!target)
      throw new CausewayError(
        'CONFLICT',
        `${described} has no known admin address: its proxy has not announced one (node metadata dataplane.admin.port) and its resource has no networking.admin.port, so its ${what} cannot be read`,
      );
    const query = new URLSearchParams();
    for (const p of READS[what].params) {
      const v = first(req.query[p]);
      if (v !== undefined && v !== '' && !(p === 'format' && v === 'text')) query.set(p, v);
    }
    const base = `http://${authority(target.host, target.port)}`;
    const get = (path: string) => fetch(`${base}${path}${query.size > 0 ? `?${query}` : ''}`, { signal: AbortSignal.timeout(timeoutMs) });
    let res: Response;
    try {
      res = await get(READS[what].path);
      // causeway-dp has no Envoy /stats; its statistics are the Prometheus text of /stats/prometheus.
      if (what === 'stats' && res.status === 404 && format !== 'json') res = await get('/stats/prometheus');
    } catch (e) {
      const reason = (e as Error).name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : ((e as { cause?: Error }).cause?.message ?? (e as Error).message);
      return reply.status(502).send({ title: 'Bad gateway', details: `could not read ${READS[what].path} from the admin endpoint of ${type} "${dp.name}" at ${base}: ${reason}` });
    }
    const body = await res.text();
    if (!res.ok)
      return reply.status(502).send({ title: 'Bad gateway', details: `the admin endpoint of ${type} "${dp.name}" at ${base} answered ${READS[what].path} with ${res.status}: ${body.slice(0, 200).trim()}` });
    return reply.status(200).type(res.headers.get('content-type') ?? 'text/plain; charset=utf-8').send(body);
  };

  const text = { 200: { description: "the proxy admin's answer (text/plain; JSON with format=json)", content: { 'text/plain': { schema: { type: 'string' } } } } };
  const params = {
    type: 'object',
    properties: { mesh: { type: 'string' }, name: { type: 'string', description: 'the Dataplane (global: web-1.zone-1, or web-1 when one zone has it)' } },
  };
  const tags = ['Inspect'];
  app.get(
    '/meshes/:mesh/dataplanes/:name/stats',
    {
      schema: {
        tags,
        summary: "The proxy's statistics, from its admin endpoint",
        params,
        querystring: { type: 'object', properties: { format: { type: 'string', enum: ['text', 'json'] }, usedonly: { type: 'boolean' }, filter: { type: 'string', description: 'regex on stat names' } } },
        response: text,
      },
    },
    (req: Req, reply) => admin('stats', req, reply),
  );
  app.get(
    '/meshes/:mesh/dataplanes/:name/clusters',
    { schema: { tags, summary: "The proxy's clusters and hosts, from its admin endpoint", params, querystring: { type: 'object', properties: { format: { type: 'string', enum: ['text', 'json'] } } }, response: text } },
    (req: Req, reply) => admin('clusters', req, reply),
  );

  const zoneParams = { type: 'object', properties: { name: { type: 'string', description: 'the zone proxy' } } };
  for (const [path, type] of [
    ['zoneingresses', 'ZoneIngress'],
    ['zoneegresses', 'ZoneEgress'],
  ] as const) {
    app.get(
      `/${path}/:name/stats`,
      { schema: { tags, summary: `The ${type}'s statistics, from its admin endpoint`, params: zoneParams, querystring: { type: 'object', properties: { format: { type: 'string', enum: ['text', 'json'] }, usedonly: { type: 'boolean' }, filter: { type: 'string' } } }, response: text } },
      (req: Req, reply) => admin('stats', req, reply, type),
    );
    app.get(
      `/${path}/:name/clusters`,
      { schema: { tags, summary: `The ${type}'s clusters and hosts, from its admin endpoint`, params: zoneParams, querystring: { type: 'object', properties: { format: { type: 'string', enum: ['text', 'json'] } } }, response: text } },
      (req: Req, reply) => admin('clusters', req, reply, type),
    );
  }

  app.get(
    '/meshes/:mesh/dataplanes/:name/_rules',
    { schema: { tags, summary: 'The rules of each policy type that apply to the proxy (Kuma InspectRules)', params, response: { 200: RULES_SCHEMA } } },
    async (req: Req, reply) => {
      const dp = await dataplane(req);
      const mesh = dp.mesh as string;
      const res = await app.inject({ method: 'GET', url: `/meshes/${encodeURIComponent(mesh)}/dataplanes/${encodeURIComponent(dp.name)}/policies` });
      if (res.statusCode !== 200) return reply.status(res.statusCode).type(String(res.headers['content-type'] ?? 'application/json')).send(res.body);
      const explained = res.json() as DataplanePolicies;
      const specs = new Map<string, Record<string, unknown> | undefined>();
      const needed = new Set(explained.policies.flatMap((p) => [...p.outbounds, ...p.inbounds].flatMap((t) => t.rules.map((e) => `${p.type}\u0000${e.policy}`))));
      await Promise.all(
        [...needed].map(async (key) => {
          const [type, name] = key.split('\u0000') as [string, string];
          const r = isPolicyType(type) ? await store.get(type as ResourceType, mesh, name) : undefined;
          specs.set(key, r?.spec as Record<string, unknown> | undefined);
        }),
      );
      const confOf = (type: string, policy: string, section: 'to' | 'from', index: number) =>
        (specs.get(`${type}\u0000${policy}`)?.[section] as { default?: unknown }[] | undefined)?.[index]?.default;
      const n = dp.spec.networking;
      return inspectRules({ mesh, name: dp.name, labels: dp.labels, address: n.address, inbound: n.inbound ?? [] }, explained, confOf);
    },
  );
}

const META_SCHEMA = {
  type: 'object',
  properties: { type: { type: 'string' }, mesh: { type: 'string' }, name: { type: 'string' }, labels: { type: 'object', additionalProperties: { type: 'string' } } },
};
const RULE_SCHEMA = {
  type: 'object',
  properties: {
    matchers: { type: 'array', items: { type: 'object', properties: { key: { type: 'string' }, value: { type: 'string' }, not: { type: 'boolean' } } } },
    conf: { type: 'object', additionalProperties: true },
    origin: { type: 'array', items: META_SCHEMA },
  },
};
export const RULES_SCHEMA = {
  type: 'object',
  properties: {
    resource: META_SCHEMA,
    rules: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          type: { type: 'string', description: 'the policy type' },
          toRules: { type: 'array', items: RULE_SCHEMA, description: 'one per outbound the policy type configures' },
          fromRules: {
            type: 'array',
            items: { type: 'object', properties: { inbound: { type: 'object', properties: { tags: { type: 'object' }, port: { type: 'integer' } } }, rules: { type: 'array', items: RULE_SCHEMA } } },
            description: 'per inbound, most specific callers first',
          },
          warnings: { type: 'array', items: { type: 'string' } },
        },
      },
    },
    httpMatches: { type: 'array', items: {} },
  },
};
