import type { FastifyInstance } from 'fastify';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/**
 * A metric another component owns (e.g. the xDS server's stream counts), read when Prometheus scrapes:
 * a number, or one number per label set. A `counter` must only grow.
 */
export interface MetricSource {
  name: string;
  help: string;
  type: 'gauge' | 'counter';
  labelNames?: string[];
  read(): number | [Record<string, string>, number][];
}

/**
 * A Prometheus registry per API instance: request metrics, the process defaults (CPU, memory, and the
 * event loop's delay as `causeway_nodejs_eventloop_lag_{p50,p90,p99,max}_seconds`), and the sources given.
 */
export function installMetrics(app: FastifyInstance, sources: MetricSource[] = [], register: Registry = new Registry()): Registry {
  collectDefaultMetrics({ register, prefix: 'causeway_' });
  for (const src of sources) {
    const samples = (): [Record<string, string>, number][] => {
      const v = src.read();
      return typeof v === 'number' ? [[{}, v]] : v;
    };
    const config = { name: src.name, help: src.help, labelNames: src.labelNames ?? [], registers: [register] };
    // Read at scrape time: the metric is reset and filled from the source (a counter by its total).
    if (src.type === 'gauge')
      new Gauge({
        ...config,
        collect() {
          this.reset();
          for (const [labels, n] of samples()) this.set(labels, n);
        },
      });
    else
      new Counter({
        ...config,
        collect() {
          this.reset();
          for (const [labels, n] of samples()) this.inc(labels, n);
        },
      });
  }
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
