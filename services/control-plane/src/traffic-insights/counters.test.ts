import { describe, expect, it } from 'vitest';
import { proxyMetrics } from '../testing/proxy-metrics.js';
import { callerDelta, clusterDelta, counterIncrease, emptyCluster, readProxyCounters, wantedMetric } from './counters.js';
import { parsePrometheusText } from './prometheus-text.js';

const read = (text: string, want?: (c: string) => boolean) => readProxyCounters(parsePrometheusText(text, wantedMetric).samples, want);

describe('readProxyCounters', () => {
  it("reads a cluster's requests, status classes, 403s, histogram, bytes and connections, and the uptime", () => {
    const p = read(
      proxyMetrics({
        uptime: 42,
        clusters: { httpbin: { requests: 7, xx: { 2: 5, 4: 1, 5: 1 }, forbidden: 1, latencies: [0.3, 3, 3, 40, 70000], rx: 900, tx: 300, cxTotal: 2, cxActive: 1 } },
        rbacDenied: { egress_default_httpbin: 3 },
      }),
    );
    expect(p.uptimeSeconds).toBe(42);
    const c = p.clusters.get('httpbin');
    expect(c).toMatchObject({ requests: 7, responses: [0, 5, 0, 1, 1], forbidden: 1, latencyCount: 5, latencySumMs: 70046.3, rxBytes: 900, txBytes: 300, connections: 2, activeConnections: 1 });
    // 0.3 -> (0, 0.5]; 3, 3 -> (1, 5]; 40 -> (25, 50]; 70000 -> (60000, 300000]
    const expected = emptyCluster().latency;
    expected[0] = 1;
    expected[2] = 2;
    expected[5] = 1;
    expected[15] = 1;
    expect(c?.latency).toEqual(expected);
    expect(p.httpRbacDenied.get('egress_default_httpbin')).toBe(3);
  });

  it('keeps only the clusters asked for', () => {
    const p = read(proxyMetrics({ clusters: { httpbin: { requests: 1 }, 'web-backend': { requests: 9 } } }), (c) => c === 'httpbin');
    expect([...p.clusters.keys()]).toEqual(['httpbin']);
    expect(p.uptimeSeconds).toBeUndefined();
  });

  it('maps histogram bounds it does not know into the next standard bucket', () => {
    const text = ['x_bucket 1', 'envoy_cluster_upstream_rq_time_bucket{envoy_cluster_name="a",le="2"} 4', 'envoy_cluster_upstream_rq_time_bucket{envoy_cluster_name="a",le="+Inf"} 6'].join('\n');
    const c = read(text).clusters.get('a');
    expect(c?.latency[2]).toBe(4); // (1, 5]
    expect(c?.latency.at(-1)).toBe(2); // above the highest bound
  });
});

describe('deltas', () => {
  const cluster = (over: Partial<ReturnType<typeof emptyCluster>>) => ({ ...emptyCluster(), ...over });

  it('is the increase of each counter, or what it holds after a reset', () => {
    expect(counterIncrease(5, 8)).toBe(3);
    expect(counterIncrease(8, 3)).toBe(3);
    const prev = cluster({ requests: 10, responses: [0, 9, 0, 0, 1], rxBytes: 1000, connections: 2 });
    const cur = cluster({ requests: 14, responses: [0, 12, 0, 1, 1], rxBytes: 400, connections: 2, activeConnections: 1 });
    // rx went down: reset, so 400 are new; connections did not move: left out
    expect(clusterDelta(prev, cur)).toEqual({ requests: 4, responses: { '2xx': 3, '4xx': 1 }, rxBytes: 400 });
  });

  it('counts everything a cluster holds when there is nothing before', () => {
    expect(clusterDelta(undefined, cluster({ requests: 2, responses: [0, 2, 0, 0, 0], txBytes: 10 }))).toEqual({ requests: 2, responses: { '2xx': 2 }, txBytes: 10 });
  });

  it('takes the latency histogram as a whole, and resets it as a whole', () => {
    const lat = (...counts: number[]) => [...counts, ...new Array(20 - counts.length).fill(0)];
    const prev = cluster({ latency: lat(1, 2), latencyCount: 3, latencySumMs: 2 });
    expect(clusterDelta(prev, cluster({ latency: lat(1, 5, 1), latencyCount: 7, latencySumMs: 10 }))).toEqual({ latency: [0, 3, 1], latencySumMs: 8 });
    // count went down: the histogram was reset
    expect(clusterDelta(prev, cluster({ latency: lat(0, 1), latencyCount: 1, latencySumMs: 0.7 }))).toEqual({ latency: [0, 1], latencySumMs: 0.7 });
  });

  it('a caller carries requests, responses and 403s only', () => {
    expect(callerDelta({ requests: 3, responses: { '2xx': 2, '4xx': 1 }, forbidden: 1, rxBytes: 9, latency: [1], connections: 1 })).toEqual({ requests: 3, responses: { '2xx': 2, '4xx': 1 }, forbidden: 1 });
  });
});
