/**
 * Traffic insights of an ExternalService, read from the ExternalServiceInsights the zones write (their
 * leaders scrape the proxies; see services/control-plane/src/traffic-insights/):
 *
 *   GET /meshes/{mesh}/external-services/{name}/stats     rates and p50/p99 over the last 5 min and 1 h,
 *                                                          per zone and in total, with chart points
 *   GET /meshes/{mesh}/external-services/{name}/callers   the calling services per zone with their rates
 *
 * On global every zone's insight is read (`<name>.<zone>`, as the sync names them); on a zone only its own.
 * A missing ExternalService is a 404; one without traffic answers zeros (every known zone listed).
 * Public like the other reads.
 */
import {
  CausewayError,
  externalServiceCallers,
  externalServiceStats,
  nameError,
  type Resource,
  SERVICE_TAG,
  type TrafficAnswerInput,
} from '@causeway/core';
import { listAll, type ResourceStore } from '@causeway/store';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Mode } from './resources.js';

export interface TrafficRoutesOptions {
  store: ResourceStore;
  mode: Mode;
  /** Zone mode: this zone. */
  zone?: string | undefined;
  /** The clock (ms), for tests. */
  now?: () => number;
}

type Params = { mesh: string; name: string };

function checked(field: 'mesh' | 'name', value: string): string {
  const err = nameError(value);
  if (err) throw new CausewayError('INVALID', `invalid ${field} in the path`, [{ field, reason: err }]);
  return value;
}

/** The ExternalService and the insights of every zone about it (on a zone: its own). */
async function gather(opts: TrafficRoutesOptions, req: FastifyRequest<{ Params: Params }>): Promise<TrafficAnswerInput> {
  const mesh = checked('mesh', req.params.mesh);
  const name = checked('name', req.params.name);
  const es = await opts.store.get('ExternalService', mesh, name);
  if (!es) throw new CausewayError('NOT_FOUND', `ExternalService "${name}" in mesh "${mesh}" not found`);
  let zones: string[];
  let insights: Resource<'ExternalServiceInsight'>[];
  const ours = (r: Resource<'ExternalServiceInsight'> | undefined): r is Resource<'ExternalServiceInsight'> => r !== undefined && r.spec.externalService === name;
  if (opts.mode === 'zone') {
    zones = opts.zone ? [opts.zone] : [];
    insights = [await opts.store.get('ExternalServiceInsight', mesh, name)].filter(ours);
  } else {
    // At global a zone's insight is `<name>.<zone>`, and every zone that ever connected has a Zone.
    zones = (await listAll(opts.store, 'Zone')).map((z) => z.name);
    const found = await Promise.all(zones.map((z) => opts.store.get('ExternalServiceInsight', mesh, `${name}.${z}`)));
    insights = found.filter(ours);
  }
  return { mesh, externalService: name, service: es.spec.tags[SERVICE_TAG] ?? name, insights, zones, now: (opts.now ?? Date.now)() };
}

// OpenAPI (documentation only: responses are serialized as they are).
const count = { type: 'integer', minimum: 0 };
const rate = { type: 'number', minimum: 0, description: 'per second, over the whole window' };
const nullableNumber = { type: 'number', nullable: true };
const classes = (item: object) => ({ type: 'object', properties: Object.fromEntries(['1xx', '2xx', '3xx', '4xx', '5xx'].map((c) => [c, item])) });
const windowName = { type: 'string', enum: ['5m', '1h'] };
const windowStats = {
  type: 'object',
  properties: {
    window: windowName,
    seconds: count,
    requests: { ...count, description: 'upstream requests started (every attempt, retries included)' },
    requestsPerSecond: rate,
    responses: classes(count),
    responsesPerSecond: classes(rate),
    noResponse: { ...count, description: 'requests without a response (connection failure, reset, timeout)' },
    errors: { ...count, description: '5xx responses and requests without a response' },
    errorRate: { ...nullableNumber, description: 'errors / requests; null without requests' },
    forbidden: { ...count, description: '403 responses' },
    latencyMs: { type: 'object', properties: { p50: nullableNumber, p99: nullableNumber, mean: nullableNumber }, description: 'from the latency histogram; null without responses' },
    bytes: { type: 'object', properties: { received: count, sent: count, receivedPerSecond: rate, sentPerSecond: rate } },
    connections: { type: 'object', properties: { active: { ...count, description: 'open at the last scrape' }, opened: count, openedPerSecond: rate } },
    rbacDenied: { ...count, description: "requests an egress' MeshTrafficPermission denied" },
    rbacDeniedPerSecond: rate,
  },
};
const windowed = { type: 'object', properties: { '5m': windowStats, '1h': windowStats } };
const point = {
  type: 'object',
  properties: { time: { type: 'string', format: 'date-time' }, requestsPerSecond: rate, errorRate: nullableNumber, p99Ms: nullableNumber, rbacDeniedPerSecond: rate },
};
const head = {
  mesh: { type: 'string' },
  externalService: { type: 'string' },
  service: { type: 'string', description: 'its kuma.io/service (proxies count per service: ExternalServices sharing one share the numbers)' },
  time: { type: 'string', format: 'date-time', description: 'the end of the windows' },
};
const params = { type: 'object', properties: { mesh: { type: 'string' }, name: { type: 'string', description: 'the ExternalService' } }, required: ['mesh', 'name'] };
const errorResponse = { type: 'object', properties: { title: { type: 'string' }, details: { type: 'string' } } };

const STATS_SCHEMA = {
  tags: ['ExternalService'],
  summary: 'Traffic to an ExternalService: rates and p50/p99 latency over the last 5 minutes and hour',
  description: [
    "Counted by the proxies and collected by each zone's control plane every 10 s (`--traffic-insights-interval`).",
    "`total` is what every zone's sidecars sent (the callers' view), with the RBAC denials of every zone's egresses;",
    "`zones` splits it per zone into `sidecars` (the zone's callers) and `egresses` (what the zone's ZoneEgresses sent:",
    'the calls they originated to the address, or passed through to the zone that owns it). Rates are counts over the',
    'whole window; `series` has chart points of the total (10 s for 5m, 1 min for 1h). On a zone control plane: that zone only.',
  ].join(' '),
  params,
  response: {
    200: {
      type: 'object',
      properties: {
        ...head,
        total: windowed,
        zones: {
          type: 'array',
          items: {
            type: 'object',
            properties: {
              zone: { type: 'string' },
              updated: { type: 'string', format: 'date-time', description: 'when the zone last changed its numbers' },
              proxies: { type: 'object', properties: { sidecars: count, egresses: count } },
              sidecars: windowed,
              egresses: windowed,
            },
          },
        },
        series: { type: 'object', properties: { '5m': { type: 'array', items: point }, '1h': { type: 'array', items: point } } },
      },
    },
    404: errorResponse,
  },
};

const callerWindow = {
  type: 'object',
  properties: Object.fromEntries(['window', 'seconds', 'requests', 'requestsPerSecond', 'responses', 'noResponse', 'errors', 'errorRate', 'forbidden'].map((k) => [k, windowStats.properties[k as keyof typeof windowStats.properties]])),
};

const CALLERS_SCHEMA = {
  tags: ['ExternalService'],
  summary: 'The services calling an ExternalService, per zone, with their request rates over the last 5 minutes and hour',
  description:
    "A caller is the `kuma.io/service` of a sidecar's first inbound; at most 20 per zone, the rest summed as `(other)`. Sorted by zone, then by requests over the hour. On a zone control plane: that zone only.",
  params,
  response: {
    200: {
      type: 'object',
      properties: {
        ...head,
        total: count,
        items: {
          type: 'array',
          items: {
            type: 'object',
            properties: { zone: { type: 'string' }, service: { type: 'string' }, proxies: count, activeConnections: count, '5m': callerWindow, '1h': callerWindow },
          },
        },
      },
    },
    404: errorResponse,
  },
};

export async function trafficRoutes(app: FastifyInstance, opts: TrafficRoutesOptions): Promise<void> {
  app.get('/meshes/:mesh/external-services/:name/stats', { schema: STATS_SCHEMA }, async (req: FastifyRequest<{ Params: Params }>, reply) => {
    const stats = externalServiceStats(await gather(opts, req));
    return reply.header('cache-control', 'no-store').send(stats);
  });
  app.get('/meshes/:mesh/external-services/:name/callers', { schema: CALLERS_SCHEMA }, async (req: FastifyRequest<{ Params: Params }>, reply) => {
    const callers = externalServiceCallers(await gather(opts, req));
    return reply.header('cache-control', 'no-store').send(callers);
  });
}
