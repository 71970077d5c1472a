/**
 * What the traffic insights read from one scrape of a proxy's `/metrics`, and the deltas between two
 * scrapes. Envoy's names, as causeway-dp (and a real Envoy) expose them:
 *
 *   envoy_cluster_upstream_rq_total{envoy_cluster_name}                       requests started
 *   envoy_cluster_upstream_rq_xx{envoy_response_code_class,envoy_cluster_name} responses by status class
 *   envoy_cluster_upstream_rq{envoy_response_code="403",envoy_cluster_name}   403 responses
 *   envoy_cluster_upstream_rq_time_bucket/_sum/_count{envoy_cluster_name,le}   latency histogram (ms)
 *   envoy_cluster_upstream_cx_rx_bytes_total / _tx_bytes_total                 bytes (open connections included)
 *   envoy_cluster_upstream_cx_total / envoy_cluster_upstream_cx_active         connections opened / open
 *   envoy_http_rbac_denied{envoy_http_conn_manager_prefix}                     HTTP RBAC denials
 *   envoy_server_uptime                                                        seconds since the proxy started
 *
 * Deltas follow Prometheus' `increase()`: a counter lower than last time was reset (the cluster was
 * removed and added again, or the proxy restarted), and then what it holds now is what was counted since.
 * The latency histogram is reset as a whole (its count went down, or any bucket did).
 */
import { LATENCY_BOUNDS_MS, STATUS_CLASSES, type StatusClass, type TrafficDelta } from '@causeway/core';
import type { Sample } from './prometheus-text.js';

export interface ClusterCounters {
  requests: number;
  /** Responses by status class: 1xx..5xx. */
  responses: number[];
  forbidden: number;
  /** Latency counts per bucket of LATENCY_BOUNDS_MS and one above (not cumulative). */
  latency: number[];
  latencyCount: number;
  latencySumMs: number;
  rxBytes: number;
  txBytes: number;
  /** Connections opened (a counter). */
  connections: number;
  /** Connections open (a gauge). */
  activeConnections: number;
}

export interface ProxyCounters {
  /** `envoy_server_uptime` (absent from a proxy that does not expose it). */
  uptimeSeconds?: number;
  clusters: Map<string, ClusterCounters>;
  /** HTTP RBAC denials by the connection manager's stat prefix. */
  httpRbacDenied: Map<string, number>;
}

const CLUSTER_METRICS = new Set([
  'envoy_cluster_upstream_rq_total',
  'envoy_cluster_upstream_rq_xx',
  'envoy_cluster_upstream_rq',
  'envoy_cluster_upstream_rq_time_bucket',
  'envoy_cluster_upstream_rq_time_sum',
  'envoy_cluster_upstream_rq_time_count',
  'envoy_cluster_upstream_cx_rx_bytes_total',
  'envoy_cluster_upstream_cx_tx_bytes_total',
  'envoy_cluster_upstream_cx_total',
  'envoy_cluster_upstream_cx_active',
]);

/** The metric names the traffic insights read (for the parser's `keep`). */
export function wantedMetric(name: string): boolean {
  return CLUSTER_METRICS.has(name) || name === 'envoy_http_rbac_denied' || name === 'envoy_server_uptime';
}

export function emptyCluster(): ClusterCounters {
  return {
    requests: 0,
    responses: [0, 0, 0, 0, 0],
    forbidden: 0,
    latency: new Array<number>(LATENCY_BOUNDS_MS.length + 1).fill(0),
    latencyCount: 0,
    latencySumMs: 0,
    rxBytes: 0,
    txBytes: 0,
    connections: 0,
    activeConnections: 0,
  };
}

/** The bucket of LATENCY_BOUNDS_MS a source bucket with upper bound `le` falls in (the first bound >= le). */
function latencyIndex(le: number): number {
  if (!Number.isFinite(le)) return LATENCY_BOUNDS_MS.length;
  const i = LATENCY_BOUNDS_MS.findIndex((b) => b >= le - 1e-9);
  return i < 0 ? LATENCY_BOUNDS_MS.length : i;
}

const finite = (v: number) => (Number.isFinite(v) && v > 0 ? v : 0);

/**
 * The counters of one scrape. `wantCluster` limits the clusters kept (those of ExternalServices); the
 * histogram's cumulative `le` buckets are turned into counts per bucket of LATENCY_BOUNDS_MS.
 */
export function readProxyCounters(samples: readonly Sample[], wantCluster: (name: string) => boolean = () => true): ProxyCounters {
  const clusters = new Map<string, ClusterCounters>();
  const histograms = new Map<string, [number, number][]>();
  const httpRbacDenied = new Map<string, number>();
  let uptimeSeconds: number | undefined;
  for (const s of samples) {
    if (s.name === 'envoy_server_uptime') {
      if (Number.isFinite(s.value) && s.value >= 0) uptimeSeconds = s.value;
      continue;
    }
    if (s.name === 'envoy_http_rbac_denied') {
      const prefix = s.labels.envoy_http_conn_manager_prefix;
      if (prefix !== undefined) httpRbacDenied.set(prefix, (httpRbacDenied.get(prefix) ?? 0) + finite(s.value));
      continue;
    }
    const name = s.labels.envoy_cluster_name;
    if (name === undefined || !CLUSTER_METRICS.has(s.name) || !wantCluster(name)) continue;
    let c = clusters.get(name);
    if (!c) {
      c = emptyCluster();
      clusters.set(name, c);
    }
    const v = finite(s.value);
    switch (s.name) {
      case 'envoy_cluster_upstream_rq_total':
        c.requests = v;
        break;
      case 'envoy_cluster_upstream_rq_xx': {
        const cls = Number(s.labels.envoy_response_code_class);
        if (Number.isInteger(cls) && cls >= 1 && cls <= 5) c.responses[cls - 1] = v;
        break;
      }
      case 'envoy_cluster_upstream_rq':
        if (s.labels.envoy_response_code === '403') c.forbidden = v;
        break;
      case 'envoy_cluster_upstream_rq_time_bucket': {
        const le = s.labels.le === '+Inf' ? Number.POSITIVE_INFINITY : Number(s.labels.le);
        if (Number.isNaN(le)) break;
        let h = histograms.get(name);
        if (!h) {
          h = [];
          histograms.set(name, h);
        }
        h.push([le, v]);
        break;
      }
      case 'envoy_cluster_upstream_rq_time_sum':
        c.latencySumMs = v;
        break;
      case 'envoy_cluster_upstream_rq_time_count':
        c.latencyCount = v;
        break;
      case 'envoy_cluster_upstream_cx_rx_bytes_total':
        c.rxBytes = v;
        break;
      case 'envoy_cluster_upstream_cx_tx_bytes_total':
        c.txBytes = v;
        break;
      case 'envoy_cluster_upstream_cx_total':
        c.connections = v;
        break;
      case 'envoy_cluster_upstream_cx_active':
        c.activeConnections = v;
        break;
    }
  }
  for (const [name, buckets] of histograms) {
    const c = clusters.get(name) as ClusterCounters;
    buckets.sort((a, b) => a[0] - b[0]);
    let previous = 0;
    for (const [le, cumulative] of buckets) {
      const n = Math.max(0, cumulative - previous);
      previous = Math.max(previous, cumulative);
      const i = latencyIndex(le);
      c.latency[i] = (c.latency[i] ?? 0) + n;
    }
  }
  return { ...(uptimeSeconds !== undefined ? { uptimeSeconds } : {}), clusters, httpRbacDenied };
}

/** `cur - prev` of a counter, or `cur` when it went down (a reset). */
export function counterIncrease(prev: number, cur: number): number {
  return cur >= prev ? cur - prev : cur;
}

/** What a cluster counted between two scrapes (`prev` undefined: everything it holds is new). */
export function clusterDelta(prev: ClusterCounters | undefined, cur: ClusterCounters): TrafficDelta {
  const p = prev ?? emptyCluster();
  const d: TrafficDelta = {};
  const set = (k: 'requests' | 'forbidden' | 'rxBytes' | 'txBytes' | 'connections', v: number) => {
    if (v > 0) d[k] = v;
  };
  set('requests', counterIncrease(p.requests, cur.requests));
  set('forbidden', counterIncrease(p.forbidden, cur.forbidden));
  set('rxBytes', counterIncrease(p.rxBytes, cur.rxBytes));
  set('txBytes', counterIncrease(p.txBytes, cur.txBytes));
  set('connections', counterIncrease(p.connections, cur.connections));
  const responses: Partial<Record<StatusClass, number>> = {};
  STATUS_CLASSES.forEach((cls, i) => {
    const v = counterIncrease(p.responses[i] ?? 0, cur.responses[i] ?? 0);
    if (v > 0) responses[cls] = v;
  });
  if (Object.keys(responses).length > 0) d.responses = responses;
  const reset = cur.latencyCount < p.latencyCount || cur.latency.some((n, i) => n < (p.latency[i] ?? 0));
  const base = reset ? emptyCluster() : p;
  const latency = cur.latency.map((n, i) => n - (base.latency[i] ?? 0));
  while (latency.length > 0 && latency[latency.length - 1] === 0) latency.pop();
  if (latency.length > 0) d.latency = latency;
  const sum = Math.round(Math.max(0, cur.latencySumMs - base.latencySumMs) * 1000) / 1000;
  if (sum > 0) d.latencySumMs = sum;
  return d;
}

/** Only what callers carry (requests and responses). */
export function callerDelta(d: TrafficDelta): TrafficDelta {
  const out: TrafficDelta = {};
  if (d.requests) out.requests = d.requests;
  if (d.responses) out.responses = d.responses;
  if (d.forbidden) out.forbidden = d.forbidden;
  return out;
}
