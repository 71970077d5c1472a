import { describe, expect, it } from 'vitest';
import { validateResource } from './codec.js';
import type { Resource } from './resource.js';
import { LATENCY_BOUNDS_MS, type ExternalServiceInsightSpec, type TrafficBucket, type TrafficSeries } from './resources/external-service-insight.js';
import {
  addDelta,
  addToBuckets,
  addToSeries,
  externalServiceCallers,
  externalServiceStats,
  histogramQuantile,
  isEmptyDelta,
  prunedInsight,
  pruneBuckets,
  statsOf,
  windowDelta,
} from './traffic.js';

const T0 = 1_767_225_600; // 2026-01-01T00:00:00Z, a multiple of 60

function insight(zone: string, spec: Omit<ExternalServiceInsightSpec, 'externalService' | 'service'>): Resource<'ExternalServiceInsight'> {
  return {
    type: 'ExternalServiceInsight',
    mesh: 'default',
    name: `httpbin.${zone}`,
    labels: { 'causeway.io/zone': zone },
    spec: { externalService: 'httpbin', service: 'httpbin', ...spec },
    version: 1,
    modificationTime: '2026-01-01T00:00:05Z',
  };
}

describe('adding deltas to buckets', () => {
  it('keeps only what is not 0, and cuts trailing empty latency buckets', () => {
    expect(addDelta({ requests: 1, latency: [0, 1] }, { requests: 2, responses: { '2xx': 0 }, latency: [0, 0, 0] })).toEqual({ requests: 3, latency: [0, 1] });
    expect(addDelta({}, { responses: { '5xx': 1 }, rbacDenied: 0 })).toEqual({ responses: { '5xx': 1 } });
    expect(isEmptyDelta({ requests: 0, responses: { '2xx': 0 }, latency: [0, 0] })).toBe(true);
    expect(isEmptyDelta({ rxBytes: 5 })).toBe(false);
  });

  it('adds to the bucket of the step holding the time, keeping buckets sorted', () => {
    let b: TrafficBucket[] = [];
    b = addToBuckets(b, 10, T0 + 25, { requests: 2 });
    b = addToBuckets(b, 10, T0 + 5, { requests: 1 });
    b = addToBuckets(b, 10, T0 + 29.9, { requests: 3, responses: { '2xx': 3 } });
    b = addToBuckets(b, 10, T0 + 40, { requests: 0 }); // nothing counted: no bucket
    expect(b).toEqual([
      { t: T0, requests: 1 },
      { t: T0 + 20, requests: 5, responses: { '2xx': 3 } },
    ]);
  });

  it('drops buckets that left the window', () => {
    const b = [0, 10, 20, 290, 300].map((s) => ({ t: T0 + s, requests: 1 }));
    // a 300 s window ending in the bucket at T0+300: the buckets from T0+10 on
    expect(pruneBuckets(b, 10, 300, T0 + 305).map((x) => x.t - T0)).toEqual([10, 20, 290, 300]);
    expect(pruneBuckets(b, 10, 300, T0 + 600)).toEqual([]);
  });

  it('adds to both resolutions of a series, and prunes an insight to its windows', () => {
    let s: TrafficSeries = addToSeries({ proxies: 1 }, T0 + 15, { requests: 4 });
    s = addToSeries(s, T0 + 75, { requests: 1 });
    expect(s).toEqual({
      proxies: 1,
      buckets10s: [
        { t: T0 + 10, requests: 4 },
        { t: T0 + 70, requests: 1 },
      ],
      buckets1m: [
        { t: T0, requests: 4 },
        { t: T0 + 60, requests: 1 },
      ],
    });
    // 6 minutes later the 10 s buckets are gone, the minute ones stay
    expect(prunedInsight({ externalService: 'a', service: 'a', sidecars: s }, T0 + 75 + 360)).toEqual({
      externalService: 'a',
      service: 'a',
      sidecars: { proxies: 1, buckets1m: s.buckets1m },
    });
  });
});

describe('histogramQuantile', () => {
  it('interpolates inside the bucket like Prometheus', () => {
    // 10 in (0, 0.5], 10 in (0.5, 1]
    expect(histogramQuantile(0.5, [10, 10])).toBe(0.5);
    expect(histogramQuantile(0.75, [10, 10])).toBe(0.75);
    expect(histogramQuantile(0.25, [10, 10])).toBe(0.25);
    // all in (5, 10]: p50 is the middle, p99 near the top
    expect(histogramQuantile(0.5, [0, 0, 0, 100])).toBe(7.5);
    expect(histogramQuantile(0.99, [0, 0, 0, 100])).toBeCloseTo(9.95, 6);
  });
  it('answers the highest bound for ranks above it, and nothing for an empty histogram', () => {
    const above = new Array(LATENCY_BOUNDS_MS.length + 1).fill(0);
    above[LATENCY_BOUNDS_MS.length] = 3;
    expect(histogramQuantile(0.5, above)).toBe(3_600_000);
    expect(histogramQuantile(0.5, [])).toBeUndefined();
    expect(histogramQuantile(0.5, [0, 0])).toBeUndefined();
  });
});

describe('statsOf', () => {
  it('rates over the whole window; errors are 5xx and requests without a response', () => {
    const s = statsOf({ requests: 30, responses: { '2xx': 24, '5xx': 3 }, forbidden: 0, latency: [0, 0, 27], latencySumMs: 81, rxBytes: 3000, txBytes: 600, connections: 3 }, '5m', 2);
    expect(s).toMatchObject({
      window: '5m',
      seconds: 300,
      requests: 30,
      requestsPerSecond: 0.1,
      responses: { '1xx': 0, '2xx': 24, '3xx': 0, '4xx': 0, '5xx': 3 },
      responsesPerSecond: { '2xx': 0.08, '5xx': 0.01 },
      noResponse: 3,
      errors: 6,
      errorRate: 0.2,
      latencyMs: { p50: 3, p99: 4.96, mean: 3 },
      bytes: { received: 3000, sent: 600, receivedPerSecond: 10, sentPerSecond: 2 },
      connections: { active: 2, opened: 3, openedPerSecond: 0.01 },
      rbacDenied: 0,
    });
  });
  it('has no error rate or latency without traffic', () => {
    expect(statsOf({}, '1h', 0)).toMatchObject({ requests: 0, requestsPerSecond: 0, errorRate: null, latencyMs: { p50: null, p99: null, mean: null } });
  });
});

describe('the stats and callers answers', () => {
  const now = (T0 + 3605) * 1000; // one hour and 5 s after T0
  const z1 = insight('zone-1', {
    zone: 'zone-1',
    sidecars: {
      proxies: 2,
      activeConnections: 1,
      // 5 and 3 requests in the last 5 minutes; one 10 s bucket too old
      buckets10s: [
        { t: T0 + 3000, requests: 100 },
        { t: T0 + 3590, requests: 5, responses: { '2xx': 5 }, latency: [0, 0, 5] },
        { t: T0 + 3600, requests: 3, responses: { '2xx': 2, '4xx': 1 }, forbidden: 1, latency: [0, 0, 3] },
      ],
      // an hour ago (out), and within the hour
      buckets1m: [
        { t: T0, requests: 1000 },
        { t: T0 + 3000, requests: 100 },
        { t: T0 + 3540, requests: 5, responses: { '2xx': 5 } },
        { t: T0 + 3600, requests: 3, responses: { '2xx': 2, '4xx': 1 }, forbidden: 1 },
      ],
    },
    callers: [
      { service: 'web', proxies: 1, buckets10s: [{ t: T0 + 3600, requests: 3 }], buckets1m: [{ t: T0 + 3600, requests: 3 }] },
      { service: 'backend', proxies: 1, buckets1m: [{ t: T0 + 3000, requests: 105 }] },
    ],
  });
  const z2 = insight('zone-2', {
    egresses: { proxies: 1, buckets10s: [{ t: T0 + 3600, requests: 2, rbacDenied: 1 }], buckets1m: [{ t: T0 + 3600, requests: 2, rbacDenied: 1 }] },
    callers: [{ service: 'api', proxies: 3, buckets1m: [{ t: T0 + 3540, requests: 60, responses: { '2xx': 60 } }] }],
  });

  it('validates as a resource', () => {
    expect(validateResource(z1)).toEqual([]);
    expect(validateResource(z2)).toEqual([]);
  });

  it('totals the sidecars of every zone, with the denials of every egress', () => {
    const s = externalServiceStats({ mesh: 'default', externalService: 'httpbin', service: 'httpbin', insights: [z1, z2], zones: ['zone-1', 'zone-2', 'zone-3'], now });
    expect(s.time).toBe(new Date(now).toISOString());
    expect(s.total['5m']).toMatchObject({ requests: 8, responses: { '2xx': 7, '4xx': 1 }, forbidden: 1, rbacDenied: 1, connections: { active: 1 } });
    expect(s.total['5m'].latencyMs.p50).toBe(3);
    expect(s.total['1h']).toMatchObject({ requests: 108, requestsPerSecond: 0.03, rbacDenied: 1 });
    expect(s.zones.map((z) => z.zone)).toEqual(['zone-1', 'zone-2', 'zone-3']);
    const [one, two, three] = s.zones;
    expect(one).toMatchObject({ zone: 'zone-1', updated: '2026-01-01T00:00:05Z', proxies: { sidecars: 2, egresses: 0 } });
    expect(one?.sidecars['5m'].requests).toBe(8);
    expect(one?.egresses['5m'].requests).toBe(0);
    expect(two?.egresses['5m']).toMatchObject({ requests: 2, rbacDenied: 1 });
    expect(two?.sidecars['1h'].requests).toBe(0);
    expect(three).toMatchObject({ zone: 'zone-3', proxies: { sidecars: 0, egresses: 0 } });
    expect(three?.updated).toBeUndefined();
    // a chart point per bucket of the window, 0 where nothing was counted
    expect(s.series['5m']).toHaveLength(30);
    expect(s.series['1h']).toHaveLength(60);
    expect(s.series['5m'].at(-1)).toEqual({ time: new Date((T0 + 3600) * 1000).toISOString(), requestsPerSecond: 0.3, errorRate: 0, p99Ms: 4.96, rbacDeniedPerSecond: 0.1 });
    expect(s.series['5m'].at(-2)?.requestsPerSecond).toBe(0.5);
    expect(s.series['5m'].at(0)).toEqual({ time: new Date((T0 + 3310) * 1000).toISOString(), requestsPerSecond: 0, errorRate: null, p99Ms: null, rbacDeniedPerSecond: 0 });
    expect(s.series['1h'].at(-2)?.requestsPerSecond).toBe(0.0833);
  });

  it('answers zeros for an ExternalService without insights', () => {
    const s = externalServiceStats({ mesh: 'default', externalService: 'httpbin', service: 'httpbin', insights: [], zones: [], now });
    expect(s.total['1h']).toMatchObject({ requests: 0, errorRate: null });
    expect(s.zones).toEqual([]);
    expect(s.series['1h'].every((p) => p.requestsPerSecond === 0)).toBe(true);
  });

  it('lists the callers per zone, busiest first', () => {
    const c = externalServiceCallers({ mesh: 'default', externalService: 'httpbin', service: 'httpbin', insights: [z2, z1], now });
    expect(c.total).toBe(3);
    expect(c.items.map((i) => [i.zone, i.service, i['5m'].requests, i['1h'].requests])).toEqual([
      ['zone-1', 'backend', 0, 105],
      ['zone-1', 'web', 3, 3],
      ['zone-2', 'api', 0, 60],
    ]);
    expect(c.items[2]).toMatchObject({ proxies: 3, '1h': { requestsPerSecond: 0.0167, errorRate: 0, noResponse: 0 } });
  });

  it('windowDelta sums only the buckets inside the window', () => {
    expect(windowDelta([z1.spec.sidecars!], '5m', T0 + 3605).requests).toBe(8);
    expect(windowDelta([z1.spec.sidecars!], '1h', T0 + 3605).requests).toBe(108);
  });
});
