/**
 * The GUI's reading of the traffic insight answers, checked against what the control plane really answers:
 * the answers are made by @causeway/core's externalServiceStats / externalServiceCallers (what the API
 * routes serve) from insights shaped like the ones the zones write.
 */
import { externalServiceCallers, externalServiceStats, type Resource } from '@causeway/core';
import { describe, expect, it } from 'vitest';
import { formatCount, formatMs, formatPercent, formatRate, parseCallers, parseStats, readWindow } from './stats.js';

const NOW = Date.parse('2026-12-04T12:00:30Z');

function buckets(delta: Record<string, unknown>) {
  const now = Math.floor(NOW / 1000);
  return { buckets10s: [{ t: Math.floor(now / 10) * 10, ...delta }], buckets1m: [{ t: Math.floor(now / 60) * 60, ...delta }] };
}

function insight(zone: string, spec: Record<string, unknown>): Resource<'ExternalServiceInsight'> {
  return {
    type: 'ExternalServiceInsight',
    mesh: 'default',
    name: `httpbin.${zone}`,
    labels: { 'causeway.io/zone': zone },
    spec: { externalService: 'httpbin', service: 'httpbin', zone, ...spec },
    version: 1,
    modificationTime: '2026-12-04T12:00:20Z',
  } as unknown as Resource<'ExternalServiceInsight'>;
}

const insights = [
  insight('zone-1', {
    sidecars: { proxies: 2, activeConnections: 1, ...buckets({ requests: 20, responses: { '2xx': 17, '4xx': 1, '5xx': 2 }, latency: [0, 0, 19, 1], latencySumMs: 60 }) },
    callers: [
      { service: 'web', proxies: 1, activeConnections: 1, ...buckets({ requests: 18, responses: { '2xx': 17, '5xx': 1 } }) },
      { service: 'batch', proxies: 1, ...buckets({ requests: 2, responses: { '4xx': 1, '5xx': 1 }, forbidden: 1 }) },
    ],
  }),
  insight('zone-2', { egresses: { proxies: 1, ...buckets({ requests: 20, responses: { '2xx': 19, '4xx': 1 }, rbacDenied: 1 }) } }),
];
const input = { mesh: 'default', externalService: 'httpbin', service: 'httpbin', insights, zones: ['zone-1', 'zone-2', 'zone-3'], now: NOW };

describe('parseStats', () => {
  it('reads the windows, the per-zone split and the last hour chart points of a real answer', () => {
    const s = parseStats(JSON.parse(JSON.stringify(externalServiceStats(input))));
    expect(s.summaries.map((x) => x.window)).toEqual(['5m', '1h']);
    const [five, hour] = s.summaries;
    expect(five).toMatchObject({ requests: 20, errors: 2, errorRate: 0.1, denied: 1 });
    expect(five?.rps).toBeCloseTo(20 / 300, 3);
    expect(hour?.rps).toBeCloseTo(20 / 3600, 3);
    expect(five?.p50Ms).toBeGreaterThan(0);
    expect(five?.p99Ms).toBeGreaterThanOrEqual(five?.p50Ms ?? 0);
    expect(s.zones.map((z) => [z.zone, z.sidecars, z.egresses, z.calls.requests, z.egressed.requests, z.egressed.denied])).toEqual([
      ['zone-1', 2, 0, 20, 0, 0],
      ['zone-2', 0, 1, 0, 20, 1],
      ['zone-3', 0, 0, 0, 0, 0],
    ]);
    expect(s.zones[0]?.updated).toBe('2026-12-04T12:00:20Z');
    // 1 min buckets over the hour, oldest first, zeros where nothing happened; no request: no error rate.
    const series = s.series;
    expect(series).toBeDefined();
    expect(series?.t.length).toBeGreaterThanOrEqual(60);
    expect([...(series?.t ?? [])].sort((a, b) => a - b)).toEqual(series?.t);
    expect(series?.rps.filter((v) => v !== null && v > 0)).toHaveLength(1);
    expect(series?.rps.at(-1)).toBeCloseTo(20 / 60, 3);
    expect(series?.errorRate.at(-1)).toBeCloseTo(0.1, 3);
    expect(series?.errorRate[0]).toBeNull();
  });

  it('answers zeros (not gaps) for an ExternalService without traffic, and no data for what is not known', () => {
    const s = parseStats(JSON.parse(JSON.stringify(externalServiceStats({ ...input, insights: [] }))));
    expect(s.summaries[1]).toMatchObject({ window: '1h', requests: 0, rps: 0, denied: 0 });
    expect(s.summaries[1]?.errorRate).toBeUndefined();
    expect(s.summaries[1]?.p99Ms).toBeUndefined();
    expect(s.series?.rps.every((v) => v === 0)).toBe(true);
  });

  it('takes a broken or empty body without throwing, with nothing made up', () => {
    for (const body of [undefined, null, 'text', [], {}, { total: 'x', zones: [1, { zone: 3 }], series: { '1h': [{ time: 'not a time' }] } }]) {
      const s = parseStats(body);
      expect(s.summaries).toEqual([]);
      expect(s.zones).toEqual([]);
      expect(s.series).toBeUndefined();
    }
    expect(readWindow('5m', { requests: '12', errorRate: null, latencyMs: { p99: null } })).toEqual({ window: '5m' });
  });
});

describe('parseCallers', () => {
  it('reads each calling service per zone with its last hour, 403s as denied', () => {
    const edges = parseCallers(JSON.parse(JSON.stringify(externalServiceCallers(input))));
    expect(edges.map((e) => [e.zone, e.service, e.requests, e.errors, e.denied, e.proxies])).toEqual([
      ['zone-1', 'web', 18, 1, 0, 1],
      ['zone-1', 'batch', 2, 1, 1, 1],
    ]);
    expect(edges[0]?.rps).toBeCloseTo(18 / 3600, 4);
  });

  it('is empty for no callers or a body of another shape', () => {
    expect(parseCallers(externalServiceCallers({ ...input, insights: [] }))).toEqual([]);
    for (const body of [undefined, {}, { items: 'x' }, { items: [{ zone: 'a' }, 3] }]) expect(parseCallers(body)).toEqual([]);
  });
});

describe('formatting', () => {
  it('formats rates, percentages, latencies and counts for people, "no data" when unknown', () => {
    expect([0, 0.0033, 0.25, 3.24, 41.6, 1234].map(formatRate)).toEqual(['0/s', '0.003/s', '0.3/s', '3.2/s', '42/s', '1.2k/s']);
    expect([0, 0.0004, 0.004, 0.1234].map(formatPercent)).toEqual(['0 %', '<0.1 %', '0.4 %', '12 %']);
    expect([0.42, 12.4, 850, 1250].map(formatMs)).toEqual(['0.4 ms', '12 ms', '850 ms', '1.25 s']);
    expect([7, 12345, 2_500_000].map(formatCount)).toEqual(['7', '12.3k', '2.5M']);
    for (const f of [formatRate, formatPercent, formatMs, formatCount]) expect(f(undefined)).toBe('no data');
  });
});
