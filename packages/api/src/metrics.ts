import { TYPES_WITH_UNAPPLIED_FIELDS, unappliedFields } from '@causeway/core';
import { listAll, type ResourceStore } from '@causeway/store';
import type { FastifyInstance } from 'fastify';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { LoopBlocks } from './loop-blocks.js';

/**
 * The log level of routes asked every few seconds by machines (readiness probes, Prometheus scrapes):
 * fastify's `incoming request` / `request completed` lines (info) are left out, a failure (error) is not.
 */
export const QUIET_ROUTE_LOG_LEVEL = 'warn';

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
 * event loop's delay as `causeway_nodejs_eventloop_lag_{p50,p90,p99,max}_seconds`), its blocks and how much
 * of them was the process's own work (loop-blocks.ts), and the sources given.
 */
export function installMetrics(app: FastifyInstance, sources: MetricSource[] = [], register: Registry = new Registry(), store?: ResourceStore): Registry {
  collectDefaultMetrics({ register, prefix: 'causeway_' });
  const blocks = new LoopBlocks().start();
  blocks.register(register);
  app.addHook('onClose', async () => blocks.stop());
  if (store) unappliedFieldsGauge(store, register);
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
  // Scraped every few seconds: like the probes, its requests are logged only when they fail.
  app.get('/metrics', { schema: { hide: true }, logLevel: QUIET_ROUTE_LOG_LEVEL }, async (_req, reply) => {
    reply.header('content-type', register.contentType);
    return register.metrics();
  });
  return register;
}

/**
 * `causeway_resources_unapplied_fields{type}`: how many fields the stored resources of each type hold that
 * Causeway accepts (as Kuma does) but does not apply (`unappliedFields` of @causeway/core; the API answers
 * each write with them as `warnings`). Counted from the store, so resources written through sync, or before
 * an upgrade, count too; alert on `{type="MeshTrafficPermission"} > 0` (a Deny there may deny nothing).
 * Counted again at a scrape only when the store's revision moved; a store that fails keeps the last counts.
 */
export function unappliedFieldsGauge(store: Pick<ResourceStore, 'list' | 'revision'>, register: Registry): Gauge {
  let counted: { revision: number; counts: Map<string, number> } | undefined;
  let pending: Promise<Map<string, number>> | undefined;
  const count = async (): Promise<Map<string, number>> => {
    const revision = await store.revision();
    if (counted?.revision === revision) return counted.counts;
    const counts = new Map<string, number>();
    for (const type of TYPES_WITH_UNAPPLIED_FIELDS) {
      let n = 0;
      for (const r of await listAll(store, type)) n += unappliedFields(r).length;
      counts.set(type, n);
    }
    counted = { revision, counts };
    return counts;
  };
  return new Gauge({
    name: 'causeway_resources_unapplied_fields',
    help: 'Fields the stored resources hold that Causeway accepts (as Kuma does) but does not apply, by resource type (write answers list them as warnings)',
    labelNames: ['type'],
    registers: [register],
    async collect() {
      pending ??= count().finally(() => {
        pending = undefined;
      });
      let counts: Map<string, number> | undefined;
      try {
        counts = await pending;
      } catch {
        counts = counted?.counts;
      }
      this.reset();
      if (counts) for (const type of TYPES_WITH_UNAPPLIED_FIELDS) this.set({ type }, counts.get(type) ?? 0);
    },
  });
}
