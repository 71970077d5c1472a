import { generateKeyPairSync } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CausewayError, type Resource } from '@causeway/core';
import { openStore, type ResourceStore } from '@causeway/store';
import { XdsZone } from '@causeway/xds';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { matchersOf } from './rules.js';
import { buildApi } from './server.js';
import { STORE_START_TIMEOUT } from './testing/index.js';

const TOKEN = 'admin-token-of-the-dataplane-admin-test';

/** An admin endpoint: like causeway-dp (no /stats, Prometheus text at /stats/prometheus) or like Envoy. */
async function fakeAdmin(kind: 'causeway-dp' | 'envoy'): Promise<{ server: Server; port: number; seen: string[] }> {
  const seen: string[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    seen.push(req.url ?? '');
    const url = new URL(req.url ?? '/', 'http://admin');
    const send = (status: number, body: string, type = 'text/plain; charset=utf-8') => {
      res.writeHead(status, { 'content-type': type });
      res.end(body);
    };
    if (url.pathname === '/clusters') return url.searchParams.get('format') === 'json' ? send(200, '{"cluster_statuses":[]}', 'application/json') : send(200, 'outbound:backend::10.0.0.2:8080::health_flags::healthy\n');
    if (url.pathname === '/stats/prometheus') return send(200, '# TYPE envoy_cluster_upstream_rq_total counter\nenvoy_cluster_upstream_rq_total{envoy_cluster_name="backend"} 7\n', 'text/plain; version=0.0.4; charset=utf-8');
    if (url.pathname === '/stats' && kind === 'envoy') return url.searchParams.get('format') === 'json' ? send(200, '{"stats":[{"name":"server.live","value":1}]}', 'application/json') : send(200, 'server.live: 1\n');
    send(404, 'not found\n');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as AddressInfo).port, seen };
}

function dataplane(name: string, spec: object, labels: Record<string, string> = {}): Resource {
  return { type: 'Dataplane', mesh: 'default', name, labels, version: 0, spec };
}

describe('zone: a proxy’s stats, clusters (its admin endpoint) and Kuma inspect rules', () => {
  let app: FastifyInstance;
  let store: ResourceStore;
  let zone: XdsZone;
  let dpAdmin: Awaited<ReturnType<typeof fakeAdmin>>;
  let envoyAdmin: Awaited<ReturnType<typeof fakeAdmin>>;
  let closedPort: number;

  beforeAll(async () => {
    store = await openStore();
    dpAdmin = await fakeAdmin('causeway-dp');
    envoyAdmin = await fakeAdmin('envoy');
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    closedPort = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));

    await store.create({ type: 'Mesh', name: 'default', labels: {}, spec: {}, version: 0 });
    const inbound = (service: string, version: string) => [{ port: 8080, tags: { 'kuma.io/service': service, 'kuma.io/protocol': 'http', 'kuma.io/zone': 'zone-1', version } }];
    // The admin address as the zone records it from node metadata: networking.admin.port, and the address label.
    await store.create(dataplane('web-1', { networking: { address: '10.9.9.9', admin: { port: dpAdmin.port }, inbound: inbound('web', 'v1'), outbound: [{ port: 10001, tags: { 'kuma.io/service': 'backend' } }] } }, { 'causeway.io/admin-address': '127.0.0.1' }));
    await store.create(dataplane('envoy-1', { networking: { address: '127.0.0.1', admin: { port: envoyAdmin.port }, inbound: inbound('web', 'v2') } }));
    await store.create(dataplane('no-admin', { networking: { address: '127.0.0.1', inbound: inbound('web', 'v3') } }));
    await store.create(dataplane('gone', { networking: { address: '127.0.0.1', admin: { port: closedPort }, inbound: inbound('web', 'v4') } }));
    await store.create(dataplane('backend-1', { networking: { address: '10.0.0.2', inbound: [{ port: 8080, tags: { 'kuma.io/service': 'backend', 'kuma.io/protocol': 'http' } }] } }));
    const policy = (type: string, name: string, spec: object) => store.create({ type, mesh: 'default', name, labels: {}, version: 0, spec } as Resource);
    await policy('MeshTimeout', 'defaults', { targetRef: { kind: 'Mesh' }, to: [{ targetRef: { kind: 'Mesh' }, default: { connectionTimeout: '5s', idleTimeout: '1h' } }] });
    await policy('MeshTimeout', 'web-to-backend', { targetRef: { kind: 'MeshService', name: 'web' }, to: [{ targetRef: { kind: 'MeshService', name: 'backend' }, default: { connectionTimeout: '1s' } }] });
    await policy('MeshTimeout', 'inbound', { targetRef: { kind: 'MeshService', name: 'web' }, from: [{ targetRef: { kind: 'Mesh' }, default: { idleTimeout: '30s' } }] });
    await policy('MeshTrafficPermission', 'deny-all', { targetRef: { kind: 'Mesh' }, from: [{ targetRef: { kind: 'Mesh' }, default: { action: 'Deny' } }] });
    await policy('MeshTrafficPermission', 'allow-backend', { targetRef: { kind: 'MeshService', name: 'web' }, from: [{ targetRef: { kind: 'MeshService', name: 'backend' }, default: { action: 'Allow' } }] });

    // The zone's xDS side (as the zone control plane runs it) and its `/policies` route (the control
    // plane's xds-api.ts registers the same), which `_rules` is built from.
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    zone = new XdsZone({ store, zone: 'zone-1', logger: pino({ level: 'silent' }), signingKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, requireToken: false, debounceMs: 10 });
    await zone.start();
    app = await buildApi({ store, mode: 'zone', zone: 'zone-1', adminToken: TOKEN, logger: pino({ level: 'silent' }), version: '0.0.0-test', instanceId: 'test' });
    app.get<{ Params: { mesh: string; name: string } }>('/meshes/:mesh/dataplanes/:name/policies', async (req) => {
      const p = await zone.policies(req.params.mesh, req.params.name);
      if (!p) throw new CausewayError('NOT_FOUND', `Dataplane "${req.params.name}" in mesh "${req.params.mesh}" not found in zone "zone-1"`);
      return p;
    });
    await app.ready();
    // Wait for the zone's first pass over the mesh (policies need its mesh context).
    for (let i = 0; i < 200 && !zone.meshContexts().get('default'); i++) await new Promise((r) => setTimeout(r, 25));
  }, STORE_START_TIMEOUT);
  afterAll(async () => {
    await app?.close();
    await zone?.close();
    await new Promise<void>((r) => dpAdmin.server.close(() => r()));
    await new Promise<void>((r) => envoyAdmin.server.close(() => r()));
    await store?.close();
  });

  it('stats: Envoy /stats as text or JSON; causeway-dp (no /stats) answers its Prometheus text', async () => {
    const envoy = await app.inject({ url: '/meshes/default/dataplanes/envoy-1/stats' });
    expect(envoy.statusCode).toBe(200);
    expect(envoy.headers['content-type']).toMatch(/^text\/plain/);
    expect(envoy.body).toBe('server.live: 1\n');
    const json = await app.inject({ url: '/meshes/default/dataplanes/envoy-1/stats?format=json&usedonly=true&filter=server' });
    expect(json.headers['content-type']).toMatch(/^application\/json/);
    expect(json.json()).toEqual({ stats: [{ name: 'server.live', value: 1 }] });
    expect(envoyAdmin.seen).toContain('/stats?format=json&usedonly=true&filter=server');

    const dp = await app.inject({ url: '/meshes/default/dataplanes/web-1/stats' });
    expect(dp.statusCode).toBe(200);
    expect(dp.headers['content-type']).toMatch(/^text\/plain/);
    expect(dp.body).toContain('envoy_cluster_upstream_rq_total{envoy_cluster_name="backend"} 7');
    // The admin address label wins over networking.address (10.9.9.9 would not answer).
    expect(dpAdmin.seen).toEqual(['/stats', '/stats/prometheus']);
  });

  it('clusters: the admin /clusters as text, or JSON with format=json', async () => {
    const text = await app.inject({ url: '/meshes/default/dataplanes/web-1/clusters' });
    expect(text.statusCode).toBe(200);
    expect(text.headers['content-type']).toMatch(/^text\/plain/);
    expect(text.body).toBe('outbound:backend::10.0.0.2:8080::health_flags::healthy\n');
    const json = await app.inject({ url: '/meshes/default/dataplanes/web-1/clusters?format=json' });
    expect(json.json()).toEqual({ cluster_statuses: [] });
  });

  it("a ZoneIngress's and a ZoneEgress's stats and clusters, from their admin endpoints; 404 and 409 naming the type", async () => {
    await store.create({ type: 'ZoneEgress', name: 'egress-1', labels: {}, version: 0, spec: { zone: 'zone-1', networking: { address: '127.0.0.1', port: 10002, admin: { port: envoyAdmin.port } } } });
    await store.create({ type: 'ZoneIngress', name: 'ingress-1', labels: {}, version: 0, spec: { zone: 'zone-1', networking: { address: '127.0.0.1', port: 10001, admin: { port: dpAdmin.port } } } });
    await store.create({ type: 'ZoneIngress', name: 'ingress-no-admin', labels: {}, version: 0, spec: { zone: 'zone-1', networking: { address: '127.0.0.1', port: 10003 } } });
    const clusters = await app.inject({ url: '/zoneegresses/egress-1/clusters' });
    expect(clusters.statusCode).toBe(200);
    expect(clusters.body).toBe('outbound:backend::10.0.0.2:8080::health_flags::healthy\n');
    expect((await app.inject({ url: '/zoneegresses/egress-1/stats' })).body).toBe('server.live: 1\n');
    // causeway-dp answers its Prometheus text
    expect((await app.inject({ url: '/zoneingresses/ingress-1/stats' })).body).toContain('envoy_cluster_upstream_rq_total{envoy_cluster_name="backend"} 7');
    const none = await app.inject({ url: '/zoneingresses/ingress-no-admin/clusters' });
    expect(none.json()).toMatchObject({ status: 409, detail: expect.stringContaining('ZoneIngress "ingress-no-admin" has no known admin address') });
    const unknown = await app.inject({ url: '/zoneegresses/nope/stats' });
    expect(unknown.json()).toMatchObject({ status: 404, detail: 'ZoneEgress "nope" not found in zone "zone-1"' });
  });

  it('no admin address: 409 saying why; an admin that does not answer: 502 naming it; unknown proxy: 404; bad format: 400', async () => {
    const none = await app.inject({ url: '/meshes/default/dataplanes/no-admin/stats' });
    expect(none.statusCode).toBe(409);
    expect(none.json()).toMatchObject({ status: 409, title: 'Conflict', detail: expect.stringContaining('Dataplane "no-admin" in mesh "default" has no known admin address') });
    const gone = await app.inject({ url: '/meshes/default/dataplanes/gone/clusters' });
    expect(gone.statusCode).toBe(502);
    expect(gone.json()).toMatchObject({ status: 502, title: 'Bad gateway', detail: expect.stringContaining(`admin endpoint of Dataplane "gone" at http://127.0.0.1:${closedPort}`) });
    for (const what of ['stats', 'clusters', '_rules']) {
      const unknown = await app.inject({ url: `/meshes/default/dataplanes/nope/${what}` });
      expect(unknown.statusCode).toBe(404);
      expect(unknown.json()).toMatchObject({ status: 404, detail: 'Dataplane "nope" in mesh "default" not found in zone "zone-1"' });
    }
    const format = await app.inject({ url: '/meshes/default/dataplanes/web-1/stats?format=yaml' });
    expect(format.statusCode).toBe(400);
    expect(format.json().invalid_parameters).toEqual([{ field: 'format', reason: 'must be text or json' }]);
  });

  it('_rules: per policy type, the outbound rules (merged confs, origins in merge order) and inbound rules by caller', async () => {
    const res = await app.inject({ url: '/meshes/default/dataplanes/web-1/_rules' });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body.resource).toEqual({ type: 'Dataplane', mesh: 'default', name: 'web-1', labels: { 'causeway.io/admin-address': '127.0.0.1' } });
    expect(body.httpMatches).toEqual([]);
    const byType = new Map((body.rules as { type: string }[]).map((r) => [r.type, r as unknown]));
    expect([...byType.keys()].sort()).toEqual(['MeshTimeout', 'MeshTrafficPermission']);

    const timeout = byType.get('MeshTimeout') as Record<string, unknown>;
    const backend = (timeout.toRules as { matchers: unknown[]; conf: unknown; origin: { name: string }[] }[]).find((r) => JSON.stringify(r.matchers).includes('"backend"'));
    // Mesh-wide defaults first, the more specific web -> backend entry overrides connectionTimeout.
    expect(backend).toEqual({
      matchers: [{ key: 'kuma.io/service', value: 'backend', not: false }],
      conf: { connectionTimeout: '1s', idleTimeout: '1h' },
      origin: [
        { type: 'MeshTimeout', mesh: 'default', name: 'defaults', labels: {} },
        { type: 'MeshTimeout', mesh: 'default', name: 'web-to-backend', labels: {} },
      ],
    });
    expect(timeout.fromRules).toEqual([
      {
        inbound: { tags: { 'kuma.io/service': 'web', 'kuma.io/protocol': 'http', 'kuma.io/zone': 'zone-1', version: 'v1' }, port: 8080 },
        rules: [{ matchers: [], conf: { idleTimeout: '30s' }, origin: [{ type: 'MeshTimeout', mesh: 'default', name: 'inbound', labels: {} }] }],
      },
    ]);

    // Callers named backend: deny-all then allow-backend (more specific); any other caller: deny-all.
    const mtp = byType.get('MeshTrafficPermission') as { fromRules: { rules: unknown[] }[]; toRules: unknown[]; warnings: string[] };
    expect(mtp.toRules).toEqual([]);
    expect(mtp.fromRules[0]?.rules).toEqual([
      {
        matchers: [{ key: 'kuma.io/service', value: 'backend', not: false }],
        conf: { action: 'Allow' },
        origin: [
          { type: 'MeshTrafficPermission', mesh: 'default', name: 'deny-all', labels: {} },
          { type: 'MeshTrafficPermission', mesh: 'default', name: 'allow-backend', labels: {} },
        ],
      },
      { matchers: [], conf: { action: 'Deny' }, origin: [{ type: 'MeshTrafficPermission', mesh: 'default', name: 'deny-all', labels: {} }] },
    ]);
    // The mesh has no mTLS: the policies endpoint's note comes through as a warning.
    expect(mtp.warnings).toEqual([expect.stringContaining('has no mTLS')]);
  });

  it('/openapi.json describes stats, clusters (text/plain) and _rules', async () => {
    const doc = (await app.inject({ url: '/openapi.json' })).json() as { paths: Record<string, { get?: { summary?: string; responses?: Record<string, { content?: Record<string, unknown> }> } }> };
    for (const what of ['stats', 'clusters', '_rules']) expect(doc.paths[`/meshes/{mesh}/dataplanes/{name}/${what}`]?.get?.summary, what).toBeTruthy();
    expect(Object.keys(doc.paths['/meshes/{mesh}/dataplanes/{name}/stats']?.get?.responses?.['200']?.content ?? {})).toContain('text/plain');
    expect(Object.keys(doc.paths['/meshes/{mesh}/dataplanes/{name}/_rules']?.get?.responses?.['200']?.content ?? {})).toContain('application/json');
  });

  it('matchers of a targetRef: Mesh none, MeshService its service, MeshSubset and MeshServiceSubset their tags', () => {
    expect(matchersOf({ kind: 'Mesh' })).toEqual([]);
    expect(matchersOf({ kind: 'MeshService', name: 'web' })).toEqual([{ key: 'kuma.io/service', value: 'web', not: false }]);
    expect(matchersOf({ kind: 'MeshSubset', tags: { version: 'v1', 'kuma.io/zone': 'zone-1' } })).toEqual([
      { key: 'kuma.io/zone', value: 'zone-1', not: false },
      { key: 'version', value: 'v1', not: false },
    ]);
    expect(matchersOf({ kind: 'MeshServiceSubset', name: 'web', tags: { version: 'v1' } })).toEqual([
      { key: 'kuma.io/service', value: 'web', not: false },
      { key: 'version', value: 'v1', not: false },
    ]);
  });
});
