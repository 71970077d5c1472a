import { hostname } from 'node:os';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { CausewayError, formatBytes, INPUT_LIMITS, parseSingleDocument, YAML_LIMITS } from '@causeway/core';
import type { LeaderStatus, ResourceStore } from '@causeway/store';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { installAuth } from './auth.js';
import { dataplaneAdminRoutes } from './dataplane-admin.js';
import { installErrorHandling, writeClientError } from './errors.js';
import { inspectRoutes } from './inspect.js';
import { kumaEndpoints } from './kuma-endpoints.js';
import { installMetrics, type MetricSource, QUIET_ROUTE_LOG_LEVEL } from './metrics.js';
import { policyDataplaneRoutes } from './policy-dataplanes.js';
import { storeReadiness } from './readiness.js';
import { type Mode, resourceRoutes } from './resources.js';
import { serviceInsightRoutes } from './service-insights.js';
import { trafficRoutes } from './traffic.js';

export interface ApiOptions {
  store: ResourceStore;
  mode: Mode;
  zone?: string;
  adminToken: string;
  logger: Logger;
  version: string;
  instanceId: string;
  /** The running configuration, secrets already left out: `GET /config` (admin token required). */
  config?: Record<string, unknown>;
  /** Extra fields for `GET /` (e.g. the global connection of a zone). */
  status?: () => Record<string, unknown>;
  /** Maximum request body, bytes (default `API_BODY_LIMIT`, 1 MiB). */
  bodyLimit?: number;
  /** Per-request timeout, ms (default 30 s). */
  requestTimeout?: number;
  /** Metrics of other components, served at `/metrics` with the API's own. */
  metrics?: MetricSource[];
  /**
   * Whether this replica holds the leader lease, and the lease as last seen: `GET /leader`. Without it
   * (a control plane that runs no lease) `GET /leader` says this process leads itself.
   */
  leader?: () => LeaderStatus;
}

/** Largest request body the API reads (larger ones are refused with 413 before they are parsed). */
const API_BODY_LIMIT = 1024 * 1024;
/**
 * Longest path parameter the router matches. Names may have 253 characters (Kuma's rule); longer ones
 * must still reach the handler so the answer is a 400 naming `name`, not the router's 414. Node's own
 * limit on the request line and headers (16 KiB) comes first.
 */
const MAX_PARAM_LENGTH = 16 * 1024;

/** Builds the control plane's REST API. The caller adds its own routes and calls `listen`. */
export async function buildApi(opts: ApiOptions): Promise<FastifyInstance> {
  const bodyLimit = opts.bodyLimit ?? API_BODY_LIMIT;
  const app = Fastify({
    // Typed as fastify's base logger so the instance fits plugins and helpers taking a plain FastifyInstance.
    loggerInstance: opts.logger as FastifyBaseLogger,
    bodyLimit,
    requestTimeout: opts.requestTimeout ?? 30_000,
    connectionTimeout: 60_000,
    keepAliveTimeout: 5_000,
    return503OnClosing: true,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: MAX_PARAM_LENGTH },
    clientErrorHandler: writeClientError,
  });
  // Our handlers validate with the resource schemas (field errors in Kuma's shape); route schemas are
  // documentation only, and responses are serialized as they are.
  app.setValidatorCompiler(() => (data) => ({ value: data }));
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));

  // Bodies are parsed only after onRequest (installAuth) let the request through, and within the input
  // limits of @causeway/core (depth, values, aliases): see the package README's "Limits".
  app.removeContentTypeParser('text/plain');
  for (const type of ['application/yaml', 'application/x-yaml', 'text/yaml']) {
    app.addContentTypeParser(type, { parseAs: 'string' }, (_req, body, done) => {
      try {
        done(null, parseSingleDocument(body as string, { source: 'the body' }));
      } catch (e) {
        done(e instanceof CausewayError ? e : new CausewayError('INVALID', `the body is not valid YAML: ${(e as Error).message.split('\n')[0]}`, [{ field: '', reason: 'not valid YAML' }]));
      }
    });
  }

  installErrorHandling(app, { bodyLimit: formatBytes(bodyLimit) });
  installAuth(app, opts.adminToken);

  await app.register(swagger, {
    openapi: {
      info: {
        title: 'Causeway control plane API',
        version: opts.version,
        description: [
          'Kuma-compatible resource API. Bodies are JSON or YAML (application/yaml).',
          `Limits: body ${formatBytes(bodyLimit)} (413); one resource ${formatBytes(INPUT_LIMITS.maxResourceBytes)} as JSON (400);`,
          `nesting ${INPUT_LIMITS.maxDepth} levels (400); ${INPUT_LIMITS.maxNodes} values per document, aliases expanded (413);`,
          `${YAML_LIMITS.maxAliases} YAML aliases; names at most 253 characters (400 naming name).`,
          'Writes need the admin token, checked before the body is read.',
        ].join(' '),
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  installMetrics(app, opts.metrics, undefined, opts.store);

  app.get('/', { schema: { hide: true } }, async () => ({
    tagline: 'Causeway',
    product: 'Causeway',
    version: opts.version,
    mode: opts.mode,
    ...(opts.zone ? { zone: opts.zone } : {}),
    hostname: hostname(),
    instanceId: opts.instanceId,
    ...(opts.status?.() ?? {}),
  }));

  // Probes (a kubelet, a load balancer) ask every few seconds: their requests are logged only when they fail.
  const ready = storeReadiness(opts.store);
  app.get('/ready', { schema: { hide: true }, logLevel: QUIET_ROUTE_LOG_LEVEL }, async (_req, reply) => {
    try {
      await ready();
      return { ready: true };
    } catch (e) {
      return reply.status(503).send({ title: 'Not ready', details: `store unavailable: ${(e as Error).message}` });
    }
  });

  // Public like the other reads: who leads is no secret, and load balancers or operators ask it.
  app.get('/leader', { schema: { hide: true } }, async () => opts.leader?.() ?? { leader: true, holder: opts.instanceId, since: null, expires: null });

  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  // Kuma's `GET /config`: what this control plane runs with (flags, environment, file), secrets left out.
  app.get('/config', { schema: { tags: ['Control plane'], summary: 'The running configuration (secrets left out)' }, config: { admin: 'reading the control plane configuration' } }, async () => ({
    mode: opts.mode,
    ...(opts.zone ? { zone: opts.zone } : {}),
    ...(opts.config ?? {}),
  }));

  await app.register(resourceRoutes, { store: opts.store, mode: opts.mode, zone: opts.mode === 'zone' ? opts.zone : undefined, adminToken: opts.adminToken });
  await app.register(inspectRoutes, { store: opts.store });
  await app.register(kumaEndpoints, { store: opts.store, adminToken: opts.adminToken, mode: opts.mode });
  await app.register(trafficRoutes, { store: opts.store, mode: opts.mode, zone: opts.zone });
  await app.register(serviceInsightRoutes, { store: opts.store });
  await app.register(policyDataplaneRoutes, { store: opts.store });
  // A zone reads its proxies' admin endpoints; global forwards these reads to the zone (control plane's inspect-forward.ts).
  if (opts.mode === 'zone') await app.register(dataplaneAdminRoutes, { store: opts.store, zone: opts.zone });
  return app;
}
