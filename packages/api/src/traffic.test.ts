/**
 * GET /meshes/{mesh}/external-services/{name}/stats and /callers, on global (every zone's insight,
 * `<name>.<zone>`) and on a zone (its own), and the OpenAPI document that describes them.
 */
import type { ExternalServiceCallers, ExternalServiceStats, Resource } from '@causeway/core';
import type { ResourceStore } from '@causeway/store';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STORE_START_TIMEOUT, startTestApi } from './testing/index.js';

const TOKEN = 'test-admin-token-0123456789';
const auth = { authorization: `Bearer ${TOKEN}` };

const httpbin = {
  type: 'ExternalService',
  mesh: 'default',
  name: 'httpbin',
  tags: { 'kuma.io/service': 'httpbin-svc', 'kuma.io/protocol': 'http' },
  networking: { address: 'httpbin.org:80' },
};
const quiet = { ...httpbin, name: 'quiet', tags: { 'kuma.io/service': 'quiet' }, networking: { address: 'quiet.example.org:80' } };

/** This minute's 10 s bucket and minute bucket, so both windows hold it whenever the test runs. */
function buckets(delta: Record<string, unknown>) {
  const now = Math.floor(Date.now() / 1000);
  return { buckets10s: [{ t: Math.floor(now / 10) * 10, ...delta }], buckets1m: [{ t: Math.floor(now / 60) * 60, ...delta }] };
}

function insight(name: string, zone: string | undefined, spec: Record<string, unknown>): Resource {
  return { type: 'ExternalServiceInsight', mesh: 'default', name, labels: zone ? { 'causeway.io/zone': zone } : {}, spec: { externalService: 'httpbin', service: 'httpbin-svc', ...spec }, version: 0 };
}

describe('traffic insights routes at global', () => {
  let app: FastifyInstance;
  let store: ResourceStore;
  beforeAll(async () => {
    ({ app, store } = await startTestApi('global', TOKEN));
    expect((await app.inject({ method: 'PUT', url: '/meshes/default', headers: auth, payload: { type: 'Mesh', name: 'default' } })).statusCode).toBe(201);
    for (const es of [httpbin, quiet]) expect((await app.inject({ method: 'PUT', url: `/meshes/default/external-services/${es.name}`, headers: auth, payload: es })).statusCode).toBe(201);
    for (const zone of ['zone-1', 'zone-2', 'zone-3']) await store.create({ type: 'Zone', name: zone, labels: {}, spec: { enabled: true }, version: 0 });
    // what the sync stores at global: `<name>.<zone>`, origin zone
    await store.upsert(
      insight('httpbin.zone-1', 'zone-1', {
        zone: 'zone-1',
        sidecars: { proxies: 2, activeConnections: 1, ...buckets({ requests: 12, responses: { '2xx': 10, '5xx': 2 }, latency: [0, 0, 12], latencySumMs: 36, txBytes: 1200, connections: 1 }) },
        callers: [
          { service: 'web', proxies: 1, activeConnections: 1, ...buckets({ requests: 9, responses: { '2xx': 9 } }) },
          { service: 'batch', proxies: 1, ...buckets({ requests: 3, responses: { '5xx': 2, '4xx': 1 }, forbidden: 1 }) },
        ],
      }),
      { origin: 'zone', zone: 'zone-1', replicated: true },
    );
    await store.upsert(
      insight('httpbin.zone-2', 'zone-2', {
        zone: 'zone-2',
        egresses: { proxies: 1, activeConnections: 2, ...buckets({ requests: 12, responses: { '2xx': 10, '4xx': 2 }, rbacDenied: 2 }) },
      }),
      { origin: 'zone', zone: 'zone-2', replicated: true },
    );
  }, STORE_START_TIMEOUT);
  afterAll(async () => {
    await app?.close();
    await store?.close();
  });

  it('answers rates and latency per zone and in total over 5m and 1h', async () => {
    const r = await app.inject({ url: '/meshes/default/external-services/httpbin/stats' });
    expect(r.statusCode).toBe(200);
    expect(r.headers['cache-control']).toBe('no-store');
    const s = r.json() as ExternalServiceStats;
    expect(s).toMatchObject({ mesh: 'default', externalService: 'httpbin', service: 'httpbin-svc' });
    for (const w of ['5m', '1h'] as const) {
      expect(s.total[w]).toMatchObject({ window: w, requests: 12, responses: { '2xx': 10, '5xx': 2 }, errors: 2, errorRate: 0.1667, rbacDenied: 2, connections: { active: 1 } });
      expect(s.total[w].latencyMs.p50).toBe(3);
      expect(s.total[w].bytes.sent).toBe(1200);
    }
    expect(s.total['5m'].requestsPerSecond).toBe(0.04);
    expect(s.total['1h'].requestsPerSecond).toBe(0.0033);
    expect(s.zones.map((z) => [z.zone, z.proxies.sidecars, z.proxies.egresses, z.sidecars['5m'].requests, z.egresses['5m'].requests])).toEqual([
      ['zone-1', 2, 0, 12, 0],
      ['zone-2', 0, 1, 0, 12],
      ['zone-3', 0, 0, 0, 0],
    ]);
    expect(s.zones[1]?.egresses['1h']).toMatchObject({ rbacDenied: 2, connections: { active: 2 } });
    expect(s.series['5m']).toHaveLength(30);
    expect(s.series['1h']).toHaveLength(60);
    expect(s.series['1h'].reduce((n, p) => n + p.requestsPerSecond * 60, 0)).toBeCloseTo(12, 1);
  });

  it('lists the callers per zone with their rates', async () => {
    const r = await app.inject({ url: '/meshes/default/external-services/httpbin/callers' });
    expect(r.statusCode).toBe(200);
    const c = r.json() as ExternalServiceCallers;
    expect(c.total).toBe(2);
    expect(c.items.map((i) => [i.zone, i.service, i['5m'].requests, i['1h'].errorRate, i['1h'].forbidden])).toEqual([
      ['zone-1', 'web', 9, 0, 0],
      ['zone-1', 'batch', 3, 0.6667, 1],
    ]);
    expect(c.items[0]).toMatchObject({ proxies: 1, activeConnections: 1, '5m': { requestsPerSecond: 0.03 } });
  });

  it('answers an empty but valid result for an ExternalService without traffic', async () => {
    const s = (await app.inject({ url: '/meshes/default/external-services/quiet/stats' })).json() as ExternalServiceStats;
    expect(s.service).toBe('quiet');
    expect(s.total['5m']).toMatchObject({ requests: 0, errorRate: null, latencyMs: { p50: null, p99: null } });
    expect(s.zones.map((z) => z.zone)).toEqual(['zone-1', 'zone-2', 'zone-3']);
    const c = (await app.inject({ url: '/meshes/default/external-services/quiet/callers' })).json() as ExternalServiceCallers;
    expect(c).toMatchObject({ total: 0, items: [] });
  });

  it('is a 404 naming the ExternalService when it does not exist, a 400 for a bad name', async () => {
    for (const what of ['stats', 'callers']) {
      const r = await app.inject({ url: `/meshes/default/external-services/nope/${what}` });
      expect(r.statusCode).toBe(404);
      expect(r.json().details).toBe('ExternalService "nope" in mesh "default" not found');
      const other = await app.inject({ url: `/meshes/other/external-services/httpbin/${what}` });
      expect(other.statusCode).toBe(404);
    }
    const bad = await app.inject({ url: '/meshes/default/external-services/-bad-/stats' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().invalid_parameters[0].field).toBe('name');
  });

  it('refuses writes of insights (they are computed)', async () => {
    const r = await app.inject({ method: 'PUT', url: '/meshes/default/external-service-insights/x', headers: auth, payload: insight('x', undefined, {}) });
    expect(r.statusCode).toBe(405);
    const list = (await app.inject({ url: '/meshes/default/external-service-insights' })).json();
    expect(list.total).toBe(2);
  });

  it('documents both routes in the OpenAPI document', async () => {
    const doc = (await app.inject({ url: '/openapi.json' })).json();
    const stats = doc.paths['/meshes/{mesh}/external-services/{name}/stats']?.get;
    const callers = doc.paths['/meshes/{mesh}/external-services/{name}/callers']?.get;
    expect(stats.summary).toMatch(/rates and p50\/p99/);
    expect(Object.keys(stats.responses['200'].content['application/json'].schema.properties)).toEqual(['mesh', 'externalService', 'service', 'time', 'total', 'zones', 'series']);
    expect(callers.responses['200'].content['application/json'].schema.properties.items.items.properties).toHaveProperty('5m');
  });
});

describe('traffic insights routes on a zone', () => {
  let app: FastifyInstance;
  let store: ResourceStore;
  beforeAll(async () => {
    ({ app, store } = await startTestApi('zone', TOKEN));
    // a zone receives these from global
    await store.upsert({ type: 'Mesh', name: 'default', labels: {}, spec: {}, version: 0 });
    await store.upsert({ type: 'ExternalService', mesh: 'default', name: 'httpbin', labels: {}, spec: { tags: httpbin.tags, networking: httpbin.networking }, version: 0 });
    await store.upsert(insight('httpbin', undefined, { zone: 'zone-1', sidecars: { proxies: 1, ...buckets({ requests: 4, responses: { '2xx': 4 } }) }, callers: [{ service: 'web', ...buckets({ requests: 4 }) }] }));
  }, STORE_START_TIMEOUT);
  afterAll(async () => {
    await app?.close();
    await store?.close();
  });

  it('answers its own zone only', async () => {
    const s = (await app.inject({ url: '/meshes/default/external-services/httpbin/stats' })).json() as ExternalServiceStats;
    expect(s.zones.map((z) => [z.zone, z.sidecars['5m'].requests])).toEqual([['zone-1', 4]]);
    expect(s.total['1h'].requests).toBe(4);
    const c = (await app.inject({ url: '/meshes/default/external-services/httpbin/callers' })).json() as ExternalServiceCallers;
    expect(c.items.map((i) => [i.zone, i.service])).toEqual([['zone-1', 'web']]);
  });
});
