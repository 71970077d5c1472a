import type { FastifyInstance } from 'fastify';
import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';

/** A Prometheus registry per API instance with request metrics and the process defaults. */
export function installMetrics(app: FastifyInstance, register: Registry = new Registry()): Registry {
  collectDefaultMetrics({ register, prefix: 'causeway_' });
  const requests = new Counter({
    name: 'causeway_api_requests_total',
    help: 'API requests by method, route and status code',
    labelNames: ['method', 'route', 'status'],
    registers: [register],
  });
  const duration = new Histogram({
    name: 'causeway_api_request_duration_seconds',
    help: 'API request duration',
    labelNames: ['method', 'route'],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [register],
  });
  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unknown';
    requests.inc({ method: req.method, route, status: String(reply.statusCode) });
    duration.observe({ method: req.method, route }, reply.elapsedTime / 1000);
  });
  app.get('/metrics', { schema: { hide: true } }, async (_req, reply) => {
    reply.header('content-type', register.contentType);
    return register.metrics();
  });
  return register;
}
