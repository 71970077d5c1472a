import type { ResourceStore } from '@causeway/store';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STORE_START_TIMEOUT, startTestApi } from './testing/index.js';

const TOKEN = 'test-admin-token-0123456789';
const auth = { authorization: `Bearer ${TOKEN}` };

const mesh = { type: 'Mesh', name: 'default' };
const httpbin = {
  type: 'ExternalService',
  mesh: 'default',
  name: 'httpbin',
  tags: { 'kuma.io/service': 'httpbin', 'kuma.io/protocol': 'http' },
  networking: { address: 'httpbin.org:80' },
};

const setup = (mode: 'global' | 'zone') => startTestApi(mode, TOKEN);

describe('global mode', () => {
  let app: FastifyInstance;
  let store: ResourceStore;
  beforeAll(async () => {
    ({ app, store } = await setup('global'));
    const r = await app.inject({ method: 'PUT', url: '/meshes/default', headers: auth, payload: mesh });
    expect(r.statusCode).toBe(201);
  }, STORE_START_TIMEOUT);
  afterAll(async () => {
    await app?.close();
    await store?.close();
  });

  it('answers / with version and mode', async () => {
    const r = await app.inject({ url: '/' });
    expect(r.json()).toMatchObject({ version: '0.0.0-test', mode: 'global' });
  });

  it('creates with 201, updates with 200, reports unchanged, and reads back the universal format', async () => {
    const created = await app.inject({ method: 'PUT', url: '/meshes/default/external-services/httpbin', headers: auth, payload: httpbin });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ ...httpbin, version: 1 });

    const same = await app.inject({ method: 'PUT', url: '/meshes/default/external-services/httpbin', headers: auth, payload: httpbin });
    expect(same.statusCode).toBe(200);
    expect(same.headers['x-causeway-outcome']).toBe('unchanged');

    const changed = { ...httpbin, networking: { address: 'httpbin.org:8080' } };
    const updated = await app.inject({ method: 'PUT', url: '/meshes/default/external-services/httpbin', headers: auth, payload: changed });
    expect(updated.statusCode).toBe(200);
    expect(updated.json().version).toBe(2);

    const got = await app.inject({ url: '/meshes/default/external-services/httpbin' });
    expect(got.statusCode).toBe(200);
    const body = got.json();
    expect(Object.keys(body).slice(0, 3)).toEqual(['type', 'mesh', 'name']);
    expect(body.networking.address).toBe('httpbin.org:8080');
  });

  it("takes Kuma's serverName and the docs' sni alike, and returns the one written", async () => {
    for (const [name, tls] of [
      ['kuma-style', { enabled: true, serverName: 'httpbin.org', skipHostnameVerification: true }],
      ['docs-style', { enabled: true, sni: 'httpbin.org' }],
    ] as const) {
      const es = { ...httpbin, name, tags: { 'kuma.io/service': name }, networking: { address: `${name}.example.org:443`, disableHostDNSEntry: true, tls } };
      expect((await app.inject({ method: 'PUT', url: `/meshes/default/external-services/${name}`, headers: auth, payload: es })).statusCode).toBe(201);
      const got = (await app.inject({ url: `/meshes/default/external-services/${name}` })).json();
      expect(got.networking).toEqual({ address: `${name}.example.org:443`, disableHostDNSEntry: true, tls });
    }
    const both = { ...httpbin, name: 'both', tags: { 'kuma.io/service': 'both' }, networking: { address: 'both.example.org:443', tls: { sni: 'a.example.org', serverName: 'b.example.org' } } };
    const r = await app.inject({ method: 'PUT', url: '/meshes/default/external-services/both', headers: auth, payload: both });
    expect(r.statusCode).toBe(400);
    expect(r.json().invalid_parameters).toEqual([{ field: 'networking.tls.serverName', reason: expect.stringContaining('same field') }]);
  });

  it('accepts a YAML body', async () => {
    const yaml = 'type: ExternalService\nmesh: default\nname: example\ntags:\n  kuma.io/service: example\n  kuma.io/protocol: tcp\nnetworking:\n  address: example.com:443\n  tls:\n    enabled: false\n';
    const r = await app.inject({ method: 'PUT', url: '/meshes/default/external-services/example', headers: { ...auth, 'content-type': 'application/yaml' }, payload: yaml });
    expect(r.statusCode).toBe(201);
    expect(r.json().networking.tls.enabled).toBe(false);
  });

  it('lists with {total, items, next}, pages with size/offset, filters by name and tag', async () => {
    for (const i of [1, 2, 3]) {
      const es = { ...httpbin, name: `page-${i}`, tags: { 'kuma.io/service': `page-${i}`, team: i === 2 ? 'b' : 'a' }, networking: { address: `page${i}.example.org:80` } };
      expect((await app.inject({ method: 'PUT', url: `/meshes/default/external-services/page-${i}`, headers: auth, payload: es })).statusCode).toBe(201);
    }
    const first = (await app.inject({ url: '/meshes/default/external-services?name=page&size=2' })).json();
    expect(first.total).toBe(3);
    expect(first.items.map((i: { name: string }) => i.name)).toEqual(['page-1', 'page-2']);
    expect(first.next).toMatch(/^http:\/\/.*offset=/);
    const second = (await app.inject({ url: new URL(first.next).pathname + new URL(first.next).search })).json();
    expect(second.items.map((i: { name: string }) => i.name)).toEqual(['page-3']);
    expect(second.next).toBeNull();

    const tagged = (await app.inject({ url: '/meshes/default/external-services?tag=team:b' })).json();
    expect(tagged.items.map((i: { name: string }) => i.name)).toEqual(['page-2']);
    const all = (await app.inject({ url: '/external-services?name=page' })).json();
    expect(all.total).toBe(3);
  });

  it('rejects bad list parameters naming the parameter', async () => {
    const r = await app.inject({ url: '/meshes/default/external-services?size=5000' });
    expect(r.statusCode).toBe(400);
    expect(r.json().invalid_parameters).toEqual([{ field: 'size', reason: expect.stringContaining('1000') }]);
    const t = await app.inject({ url: '/meshes/default/external-services?tag=nocolon' });
    expect(t.json().invalid_parameters[0].field).toBe('tag');
  });

  it('returns Kuma error shapes: 400 with every field, 404, and nothing stored on a rejected write', async () => {
    const bad = { ...httpbin, name: 'bad', tags: { 'kuma.io/protocol': 'smtp' }, networking: { address: 'no-port', extra: 1 } };
    const r = await app.inject({ method: 'PUT', url: '/meshes/default/external-services/bad', headers: auth, payload: bad });
    expect(r.statusCode).toBe(400);
    const fields = r.json().invalid_parameters.map((p: { field: string }) => p.field).sort();
    expect(fields).toEqual(['networking.address', 'networking.extra', 'tags', 'tags["kuma.io/protocol"]']);
    expect((await app.inject({ url: '/meshes/default/external-services/bad' })).statusCode).toBe(404);
    const nf = await app.inject({ url: '/meshes/default/external-services/nope' });
    expect(nf.json()).toEqual({ type: '/std-errors', status: 404, title: 'Not found', detail: expect.stringContaining('nope'), details: expect.stringContaining('nope') });
    // Kuma's AIP-193 fields next to the legacy ones: type, status, detail, and causes mirroring invalid_parameters.
    const body = r.json();
    expect(body).toMatchObject({ type: '/std-errors', status: 400, title: expect.any(String), detail: body.details });
    expect(body.causes).toEqual(body.invalid_parameters.map((p: { field: string; reason: string }) => ({ field: p.field, message: p.reason })));
  });

  it('refuses labels only the control plane sets', async () => {
    const es = { ...httpbin, name: 'labelled', labels: { 'causeway.io/origin': 'global', team: 'a' }, networking: { address: 'labelled.example.org:80' } };
    const r = await app.inject({ method: 'PUT', url: '/meshes/default/external-services/labelled', headers: auth, payload: es });
    expect(r.statusCode).toBe(400);
    expect(r.json().invalid_parameters).toEqual([{ field: 'labels["causeway.io/origin"]', reason: expect.stringContaining('control plane') }]);
    expect((await app.inject({ url: '/meshes/default/external-services/labelled' })).statusCode).toBe(404);
  });

  it('refuses a name in the body that differs from the path', async () => {
    const r = await app.inject({ method: 'PUT', url: '/meshes/default/external-services/other', headers: auth, payload: httpbin });
    expect(r.statusCode).toBe(400);
    expect(r.json().invalid_parameters[0].field).toBe('name');
  });

  it('gives 409 for a stale version and keeps the stored copy', async () => {
    const cur = (await app.inject({ url: '/meshes/default/external-services/httpbin' })).json();
    const next = { ...httpbin, version: cur.version, networking: { address: 'httpbin.org:81' } };
    const [a, b] = await Promise.all([
      app.inject({ method: 'PUT', url: '/meshes/default/external-services/httpbin', headers: auth, payload: next }),
      app.inject({ method: 'PUT', url: '/meshes/default/external-services/httpbin', headers: auth, payload: { ...next, networking: { address: 'httpbin.org:82' } } }),
    ]);
    expect([a.statusCode, b.statusCode].sort()).toEqual([200, 409]);
    const winner = a.statusCode === 200 ? 'httpbin.org:81' : 'httpbin.org:82';
    expect((await app.inject({ url: '/meshes/default/external-services/httpbin' })).json().networking.address).toBe(winner);
  });

  it('gives 409 naming the other ExternalService for a duplicate address in the mesh', async () => {
    const cur = (await app.inject({ url: '/meshes/default/external-services/httpbin' })).json();
    const dup = { ...httpbin, name: 'dup', networking: { address: cur.networking.address } };
    const r = await app.inject({ method: 'PUT', url: '/meshes/default/external-services/dup', headers: auth, payload: dup });
    expect(r.statusCode).toBe(409);
    expect(r.json().details).toContain('httpbin');
  });

  it('needs the admin token for writes (401, nothing changes)', async () => {
    const es = { ...httpbin, name: 'noauth', networking: { address: 'noauth.example.org:80' } };
    const missing = await app.inject({ method: 'PUT', url: '/meshes/default/external-services/noauth', payload: es });
    expect(missing.statusCode).toBe(401);
    const wrong = await app.inject({ method: 'PUT', url: '/meshes/default/external-services/noauth', headers: { authorization: 'Bearer wrong' }, payload: es });
    expect(wrong.statusCode).toBe(401);
    const del = await app.inject({ method: 'DELETE', url: '/meshes/default/external-services/httpbin' });
    expect(del.statusCode).toBe(401);
    expect((await app.inject({ url: '/meshes/default/external-services/noauth' })).statusCode).toBe(404);
    expect((await app.inject({ url: '/meshes/default/external-services/httpbin' })).statusCode).toBe(200);
  });

  it('needs the admin token to read secrets', async () => {
    const secret = { type: 'Secret', mesh: 'default', name: 'client-key', data: Buffer.from('secret-bytes').toString('base64') };
    expect((await app.inject({ method: 'PUT', url: '/meshes/default/secrets/client-key', headers: auth, payload: secret })).statusCode).toBe(201);
    expect((await app.inject({ url: '/meshes/default/secrets/client-key' })).statusCode).toBe(401);
    expect((await app.inject({ url: '/meshes/default/secrets' })).statusCode).toBe(401);
    const ok = await app.inject({ url: '/meshes/default/secrets/client-key', headers: auth });
    expect(ok.json().data).toBe(secret.data);
  });

  it('refuses writes of zone-owned types with 405', async () => {
    const dp = { type: 'Dataplane', mesh: 'default', name: 'web-1', networking: { address: '127.0.0.1', inbound: [{ port: 8080, tags: { 'kuma.io/service': 'web' } }] } };
    const r = await app.inject({ method: 'PUT', url: '/meshes/default/dataplanes/web-1', headers: auth, payload: dp });
    expect(r.statusCode).toBe(405);
    expect(r.json().details).toContain('zone');
  });

  it('answers malformed and oversized bodies with 4xx', async () => {
    const malformed = await app.inject({ method: 'PUT', url: '/meshes/default/external-services/x', headers: { ...auth, 'content-type': 'application/json' }, payload: '{"type": ' });
    expect(malformed.statusCode).toBe(400);
    const badYaml = await app.inject({ method: 'PUT', url: '/meshes/default/external-services/x', headers: { ...auth, 'content-type': 'application/yaml' }, payload: 'a: [' });
    expect(badYaml.statusCode).toBe(400);
    const big = await app.inject({ method: 'PUT', url: '/meshes/default/external-services/x', headers: { ...auth, 'content-type': 'application/json' }, payload: `{"pad":"${'x'.repeat(10 * 1024 * 1024)}"}` });
    expect(big.statusCode).toBe(413);
    const notObject = await app.inject({ method: 'PUT', url: '/meshes/default/external-services/x', headers: auth, payload: [1, 2] });
    expect(notObject.statusCode).toBe(400);
  });

  it('deletes, cascading a Mesh to its resources', async () => {
    expect((await app.inject({ method: 'PUT', url: '/meshes/other', headers: auth, payload: { type: 'Mesh', name: 'other' } })).statusCode).toBe(201);
    const es = { ...httpbin, mesh: 'other', name: 'in-other' };
    expect((await app.inject({ method: 'PUT', url: '/meshes/other/external-services/in-other', headers: auth, payload: es })).statusCode).toBe(201);
    const del = await app.inject({ method: 'DELETE', url: '/meshes/other', headers: auth });
    expect(del.statusCode).toBe(200);
    expect((await app.inject({ url: '/meshes/other/external-services/in-other' })).statusCode).toBe(404);
    expect((await app.inject({ method: 'DELETE', url: '/meshes/other', headers: auth })).statusCode).toBe(404);
  });

  it('serves OpenAPI, docs, metrics, readiness and mesh insights', async () => {
    const spec = (await app.inject({ url: '/openapi.json' })).json();
    expect(spec.paths['/meshes/{mesh}/external-services/{name}']).toBeDefined();
    expect(spec.paths['/zoneingresses']).toBeDefined();
    expect((await app.inject({ url: '/docs' })).statusCode).toBeLessThan(400);
    const metrics = await app.inject({ url: '/metrics' });
    expect(metrics.body).toContain('causeway_api_requests_total');
    expect((await app.inject({ url: '/ready' })).json()).toEqual({ ready: true });
    const insight = (await app.inject({ url: '/mesh-insights/default' })).json();
    expect(insight.externalServices.total).toBeGreaterThanOrEqual(2);
  });
});

describe('zone mode', () => {
  let app: FastifyInstance;
  let store: ResourceStore;
  beforeAll(async () => {
    ({ app, store } = await setup('zone'));
  }, STORE_START_TIMEOUT);
  afterAll(async () => {
    await app?.close();
    await store?.close();
  });

  it('refuses writes of global-owned types with 405 telling to apply on global', async () => {
    for (const [url, body] of [
      ['/meshes/default', mesh],
      ['/meshes/default/external-services/httpbin', httpbin],
    ] as const) {
      const r = await app.inject({ method: 'PUT', url, headers: auth, payload: body });
      expect(r.statusCode).toBe(405);
      expect(r.json().details).toContain('apply it on the global control plane');
    }
    expect((await app.inject({ method: 'DELETE', url: '/meshes/default/external-services/httpbin', headers: auth })).statusCode).toBe(405);
  });

  it('reports its zone in /', async () => {
    expect((await app.inject({ url: '/' })).json()).toMatchObject({ mode: 'zone', zone: 'zone-1' });
  });
});
