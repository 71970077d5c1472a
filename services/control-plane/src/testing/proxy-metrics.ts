/**
 * Test helper (not built): a proxy's `/metrics` in the text causeway-dp writes (services/dataplane/src/stats.ts),
 * for the counters of the clusters a test describes.
 */
import { LATENCY_BOUNDS_MS } from '@causeway/core';

export interface FakeCluster {
  requests?: number;
  /** By status class digit: { 2: 10, 5: 1 }. */
  xx?: Record<number, number>;
  forbidden?: number;
  /** Latencies (ms) observed, each put in its histogram bucket. */
  latencies?: number[];
  rx?: number;
  tx?: number;
  cxTotal?: number;
  cxActive?: number;
}

export interface FakeProxy {
  uptime?: number;
  clusters?: Record<string, FakeCluster>;
  /** envoy_http_rbac_denied by connection manager prefix. */
  rbacDenied?: Record<string, number>;
}

export function proxyMetrics(p: FakeProxy): string {
  const out: string[] = [];
  if (p.uptime !== undefined) out.push('# TYPE envoy_server_uptime gauge', `envoy_server_uptime{} ${p.uptime}`);
  for (const [name, c] of Object.entries(p.clusters ?? {})) {
    const l = `envoy_cluster_name="${name}"`;
    out.push(`envoy_cluster_upstream_rq_total{${l}} ${c.requests ?? 0}`);
    for (const [cls, n] of Object.entries(c.xx ?? {})) out.push(`envoy_cluster_upstream_rq_xx{envoy_response_code_class="${cls}",${l}} ${n}`);
    if (c.forbidden !== undefined) out.push(`envoy_cluster_upstream_rq{envoy_response_code="403",${l}} ${c.forbidden}`);
    out.push(`envoy_cluster_upstream_rq{envoy_response_code="200",${l}} 1000`);
    const lat = c.latencies ?? [];
    let cumulative = 0;
    for (const b of LATENCY_BOUNDS_MS) {
      cumulative = lat.filter((v) => v <= b).length;
      out.push(`envoy_cluster_upstream_rq_time_bucket{${l},le="${b}"} ${cumulative}`);
    }
    out.push(`envoy_cluster_upstream_rq_time_bucket{${l},le="+Inf"} ${lat.length}`);
    out.push(`envoy_cluster_upstream_rq_time_sum{${l}} ${lat.reduce((a, b) => a + b, 0)}`);
    out.push(`envoy_cluster_upstream_rq_time_count{${l}} ${lat.length}`);
    out.push(`envoy_cluster_upstream_cx_rx_bytes_total{${l}} ${c.rx ?? 0}`);
    out.push(`envoy_cluster_upstream_cx_tx_bytes_total{${l}} ${c.tx ?? 0}`);
    out.push(`envoy_cluster_upstream_cx_total{${l}} ${c.cxTotal ?? 0}`);
    out.push(`envoy_cluster_upstream_cx_active{${l}} ${c.cxActive ?? 0}`);
    // a metric the insights do not read
    out.push(`envoy_cluster_membership_total{${l}} 1`);
  }
  for (const [prefix, n] of Object.entries(p.rbacDenied ?? {})) out.push(`envoy_http_rbac_denied{envoy_http_conn_manager_prefix="${prefix}"} ${n}`);
  return `${out.join('\n')}\n`;
}
