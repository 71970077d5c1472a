/**
 * The traffic insights collector against a store (PGlite) with fake proxies: a fake clock and a fake
 * scrape that answers each proxy's `/metrics` as the test sets it. The tests run in order, like the
 * rounds of one zone leader.
 */
import type { CallerSeries, ExternalServiceInsightSpec, Resource } from '@causeway/core';
import { openStore, type ResourceStore } from '@causeway/store';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeProxy, proxyMetrics } from '../testing/proxy-metrics.js';
import { capCallers, TrafficInsightsCollector } from './collector.js';

const logger = pino({ level: 'silent' });
const T0 = 1_767_225_600_000; // ms, a whole minute

const r = (type: Resource['type'], name: string, spec: Record<string, unknown>, opts: { mesh?: string; labels?: Record<string, string> } = {}): Resource =>
  ({ type, name, ...(opts.mesh ? { mesh: opts.mesh } : {}), labels: opts.labels ?? {}, spec, version: 0 }) as Resource;
const sidecar = (name: string, service: string, adminPort: number) =>
  r('Dataplane', name, { networking: { address: '10.0.0.1', admin: { port: adminPort }, inbound: [{ port: 8080, tags: { 'kuma.io/service': service } }] } }, { mesh: 'default' });
const es = (name: string, service: string) => r('ExternalService', name, { tags: { 'kuma.io/service': service, 'kuma.io/protocol': 'http' }, networking: { address: `${name}.example.org:80` } }, { mesh: 'default' });

describe('TrafficInsightsCollector', () => {
  let store: ResourceStore;
  let clock = T0;
  /** admin URL -> [when the proxy started (ms), its metrics]; absent: the scrape fails */
  const proxies = new Map<string, { started: number; metrics: FakeProxy }>();
  const scrape = async (url: string) => {
    const p = proxies.get(url);
    if (!p) throw new Error('connection refused');
    return proxyMetrics({ ...p.metrics, uptime: Math.floor((clock - p.started) / 1000) });
  };
  const url = (port: number) => `http://10.0.0.1:${port}/metrics`;
  let collector: TrafficInsightsCollector;
  const insight = async (name = 'httpbin') => (await store.get('ExternalServiceInsight', 'default', name)) as Resource<'ExternalServiceInsight'> | undefined;
  const spec = async (name = 'httpbin') => (await insight(name))?.spec as ExternalServiceInsightSpec;
  const caller = (s: ExternalServiceInsightSpec, service: string) => s.callers?.find((c) => c.service === service);

  beforeAll(async () => {
    store = await openStore();
    await store.create(r('Mesh', 'default', {}));
    for (const e of [es('httpbin', 'httpbin'), es('quiet', 'quiet'), es('other', 'other')]) await store.create(e);
    // backend-1 ran before the collector started (a leader change): its counters are the baseline
    proxies.set(url(9903), { started: T0 - 3_600_000, metrics: { clusters: { httpbin: { requests: 500, xx: { 2: 500 }, cxActive: 1 } } } });
    for (const d of [sidecar('web-1', 'web', 9901), sidecar('backend-1', 'backend', 9903)]) await store.create(d);
    await store.create(r('ZoneEgress', 'egress-1', { zone: 'zone-1', networking: { address: '10.0.0.1', port: 10002, admin: { port: 9904 } } }));
    // another zone's egress: never scraped
    await store.create(r('ZoneEgress', 'egress-9', { zone: 'zone-9', networking: { address: '10.0.0.1', port: 10002, admin: { port: 9999 } } }));
    proxies.set(url(9999), { started: T0, metrics: { clusters: { 'default:httpbin': { requests: 1000 } } } });
    collector = new TrafficInsightsCollector({ store, zone: 'zone-1', logger, intervalMs: 10_000, scrape, now: () => clock });
  });
  afterAll(async () => {
    await collector?.close();
    await store?.close();
  });

  it('counts all a proxy that started after it holds; a proxy that ran before is the baseline; no insight without traffic', async () => {
    clock = T0 + 5_000;
    proxies.set(url(9901), {
      started: T0 + 1_000,
      metrics: { clusters: { httpbin: { requests: 5, xx: { 2: 4, 5: 1 }, latencies: [3, 3, 3, 3, 40], tx: 500, rx: 2000, cxTotal: 1, cxActive: 1 }, quiet: {} } },
    });
    proxies.set(url(9904), { started: T0 + 1_000, metrics: { clusters: { 'default:httpbin': { requests: 4, xx: { 2: 4 }, cxActive: 1 } }, rbacDenied: { egress_default_httpbin: 0 } } });
    await collector.round();
    const s = await spec();
    expect(s).toMatchObject({ externalService: 'httpbin', service: 'httpbin', zone: 'zone-1' });
    // web-1's 5 requests (backend-1's 500 were counted before this collector: not again)
    expect(s.sidecars).toEqual({
      proxies: 2,
      activeConnections: 2,
      buckets10s: [{ t: T0 / 1000, requests: 5, responses: { '2xx': 4, '5xx': 1 }, latency: [0, 0, 4, 0, 0, 1], latencySumMs: 52, rxBytes: 2000, txBytes: 500, connections: 1 }],
      buckets1m: [{ t: T0 / 1000, requests: 5, responses: { '2xx': 4, '5xx': 1 }, latency: [0, 0, 4, 0, 0, 1], latencySumMs: 52, rxBytes: 2000, txBytes: 500, connections: 1 }],
    });
    expect(s.egresses).toMatchObject({ proxies: 1, activeConnections: 1, buckets10s: [{ t: T0 / 1000, requests: 4, responses: { '2xx': 4 } }] });
    expect(caller(s, 'web')).toEqual({
      service: 'web',
      proxies: 1,
      activeConnections: 1,
      buckets10s: [{ t: T0 / 1000, requests: 5, responses: { '2xx': 4, '5xx': 1 } }],
      buckets1m: [{ t: T0 / 1000, requests: 5, responses: { '2xx': 4, '5xx': 1 } }],
    });
    expect(caller(s, 'backend')).toEqual({ service: 'backend', proxies: 1, activeConnections: 1 });
    // quiet: the sidecar has its cluster, but no traffic: no insight
    expect(await insight('quiet')).toBeUndefined();
    expect(collector.stats).toMatchObject({ rounds: 1, targets: 3, scrapeErrors: 0, writes: 1 });
  });

  it('writes nothing when nothing changed', async () => {
    const before = (await insight())?.version;
    clock = T0 + 15_000;
    await collector.round();
    expect((await insight())?.version).toBe(before);
    expect(collector.stats.writes).toBe(1);
  });

  it('adds what was counted since, in the bucket of the time of the scrape, with the egress RBAC denials', async () => {
    clock = T0 + 25_000;
    const web = proxies.get(url(9901))!;
    web.metrics.clusters!.httpbin = { ...web.metrics.clusters!.httpbin, requests: 8, xx: { 2: 6, 4: 1, 5: 1 }, forbidden: 1 };
    proxies.get(url(9904))!.metrics = { clusters: { 'default:httpbin': { requests: 6, xx: { 2: 4, 4: 2 }, cxActive: 1 } }, rbacDenied: { egress_default_httpbin: 2 } };
    await collector.round();
    const s = await spec();
    expect(s.sidecars?.buckets10s?.map((b) => [b.t - T0 / 1000, b.requests, b.responses, b.forbidden])).toEqual([
      [0, 5, { '2xx': 4, '5xx': 1 }, undefined],
      [20, 3, { '2xx': 2, '4xx': 1 }, 1],
    ]);
    expect(s.sidecars?.buckets1m).toMatchObject([{ t: T0 / 1000, requests: 8, forbidden: 1 }]);
    expect(s.egresses?.buckets10s?.at(-1)).toEqual({ t: T0 / 1000 + 20, requests: 2, responses: { '4xx': 2 }, rbacDenied: 2 });
    expect(caller(s, 'web')?.buckets1m).toEqual([{ t: T0 / 1000, requests: 8, responses: { '2xx': 6, '4xx': 1, '5xx': 1 }, forbidden: 1 }]);
  });

  it('counts a restarted proxy from 0 (its uptime went back), and misses nothing of a scrape that failed', async () => {
    // web-1 restarts: fewer requests than before, but all new
    clock = T0 + 35_000;
    proxies.set(url(9901), { started: T0 + 31_000, metrics: { clusters: { httpbin: { requests: 2, xx: { 2: 2 } } } } });
    // the egress does not answer this round
    const egress = proxies.get(url(9904))!;
    proxies.delete(url(9904));
    await collector.round();
    let s = await spec();
    expect(s.sidecars?.buckets10s?.at(-1)).toMatchObject({ t: T0 / 1000 + 30, requests: 2 });
    expect(s.egresses?.proxies).toBeUndefined();
    expect(collector.stats.scrapeErrors).toBe(1);
    // it answers again: what it counted meanwhile is counted now
    clock = T0 + 45_000;
    egress.metrics = { clusters: { 'default:httpbin': { requests: 9, xx: { 2: 7, 4: 2 } } }, rbacDenied: { egress_default_httpbin: 2 } };
    proxies.set(url(9904), egress);
    await collector.round();
    s = await spec();
    expect(s.egresses?.buckets10s?.at(-1)).toEqual({ t: T0 / 1000 + 40, requests: 3, responses: { '2xx': 3 } });
    expect(s.egresses?.proxies).toBe(1);
  });

  it('a new leader continues the series and takes running proxies as the baseline', async () => {
    await collector.close();
    clock = T0 + 55_000;
    const next = new TrafficInsightsCollector({ store, zone: 'zone-1', logger, scrape, now: () => clock });
    const before = await spec();
    await next.round();
    // nothing new was counted: the same buckets, not rewritten
    expect((await spec()).sidecars?.buckets1m).toEqual(before.sidecars?.buckets1m);
    expect(next.stats.writes).toBe(0);
    proxies.get(url(9901))!.metrics.clusters!.httpbin!.requests = 3;
    clock = T0 + 65_000;
    await next.round();
    expect((await spec()).sidecars?.buckets1m?.map((b) => [b.t - T0 / 1000, b.requests])).toEqual([
      [0, 10],
      [60, 1],
    ]);
    collector = next;
  });

  it('forgets a proxy that is gone, and drops buckets older than their window when it writes', async () => {
    await store.delete('Dataplane', 'default', 'backend-1');
    clock = T0 + 6 * 60_000;
    await collector.round();
    const s = await spec();
    expect(s.sidecars?.proxies).toBe(1);
    expect(caller(s, 'backend')).toBeUndefined();
    // the 10 s buckets are more than 5 minutes old
    expect(s.sidecars?.buckets10s).toBeUndefined();
    expect(s.sidecars?.buckets1m?.length).toBe(2);
  });

  it('deletes the insight of an ExternalService that is gone', async () => {
    await store.delete('ExternalService', 'default', 'httpbin');
    clock += 10_000;
    await collector.round();
    expect(await insight()).toBeUndefined();
  });
});

describe('capCallers', () => {
  it('keeps the 20 busiest over the hour and sums the others into (other)', () => {
    const t = T0 / 1000;
    const callers: CallerSeries[] = Array.from({ length: 23 }, (_, i) => ({ service: `svc-${i}`, proxies: 1, buckets1m: [{ t, requests: i + 1 }] }));
    const capped = capCallers(callers, t + 30);
    expect(capped).toHaveLength(21);
    expect(capped.slice(0, 3).map((c) => c.service)).toEqual(['svc-22', 'svc-21', 'svc-20']);
    expect(capped.at(-1)).toEqual({ service: '(other)', proxies: 3, buckets1m: [{ t, requests: 1 + 2 + 3 }] });
  });
});
