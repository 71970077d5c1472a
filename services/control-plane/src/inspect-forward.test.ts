import { buildApi } from '@causeway/api';
import type { Resource } from '@causeway/core';
import { openStore, type ResourceStore } from '@causeway/store';
import { type InspectReply, type InspectRequest, isInspectUrl } from '@causeway/sync';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { inspectForwardRoutes } from './inspect-forward.js';

const TOKEN = 'admin-token-of-the-inspect-forward-test';

/** A Dataplane as global stores a zone's: the global name, the zone and the zone's name in labels. */
function dp(local: string, zone: string): Resource {
  return {
    type: 'Dataplane',
    mesh: 'default',
    name: `${local}.${zone}`,
    labels: { 'causeway.io/zone': zone, 'causeway.io/display-name': local },
    version: 0,
    spec: { networking: { address: '10.0.0.1', inbound: [{ port: 8080, tags: { 'kuma.io/service': local.replace(/-\d+$/, '') } }] } },
  };
}

describe("global forwards a proxy's reads to the zone that owns it", () => {
  let app: FastifyInstance;
  let store: ResourceStore;
  const asked: { zone: string; req: InspectRequest }[] = [];
  let answer: InspectReply | 'unreachable' | 'no-answer';

  beforeAll(async () => {
    store = await openStore();
    await store.create({ type: 'Mesh', name: 'default', labels: {}, spec: {}, version: 0 });
    for (const r of [dp('web-1', 'zone-1'), dp('api-1', 'zone-1'), dp('api-1', 'zone-2')]) await store.create(r);
    await store.create({ type: 'ZoneEgress', name: 'egress-1.zone-2', labels: { 'causeway.io/zone': 'zone-2', 'causeway.io/display-name': 'egress-1' }, version: 0, spec: { zone: 'zone-2', networking: { address: '10.0.0.3', port: 10002 } } } as Resource);
    app = await buildApi({ store, mode: 'global', adminToken: TOKEN, logger: pino({ level: 'silent' }), version: '0.0.0-test', instanceId: 'test' });
    await app.register(inspectForwardRoutes, {
      store,
      adminToken: TOKEN,
      requester: {
        ask: async (zone: string, req: InspectRequest) => {
          asked.push({ zone, req });
          return answer;
        },
      },
    });
    await app.ready();
  }, 120_000);
  afterAll(async () => {
    await app.close();
    await store.close();
  });
  beforeEach(() => {
    asked.length = 0;
    answer = { status: 200, contentType: 'text/plain; charset=utf-8', body: 'server.live: 1\n' };
  });

  it('zones answer only the reads global forwards', () => {
    for (const what of ['xds', '_config', 'policies', '_rules', 'stats', 'clusters']) {
      expect(isInspectUrl(`/meshes/default/dataplanes/web-1/${what}`)).toBe(true);
      expect(isInspectUrl(`/meshes/default/dataplanes/web-1/${what}?format=json`)).toBe(true);
    }
    for (const what of ['xds', 'stats', 'clusters']) {
      expect(isInspectUrl(`/zoneegresses/egress-1/${what}`)).toBe(true);
      expect(isInspectUrl(`/zoneingresses/ingress-1/${what}?format=json`)).toBe(true);
    }
    for (const url of ['/meshes/default/dataplanes/web-1', '/meshes/default/dataplanes/web-1/secrets', '/meshes/default/external-services/x/stats', '/zoneegresses/egress-1/policies', '/zoneegresses/egress-1/_rules', '/config', '/meshes/default/dataplanes/a/b/stats'])
      expect(isInspectUrl(url)).toBe(false);
  });

  it('stats, clusters and _rules go to the owning zone under the zone’s name, with the query; the answer comes back as the zone gave it', async () => {
    const stats = await app.inject({ url: '/meshes/default/dataplanes/web-1.zone-1/stats?usedonly=true&filter=server' });
    expect(stats.statusCode).toBe(200);
    expect(stats.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(stats.body).toBe('server.live: 1\n');
    expect(asked).toEqual([{ zone: 'zone-1', req: { url: '/meshes/default/dataplanes/web-1/stats?usedonly=true&filter=server' } }]);

    answer = { status: 200, contentType: 'text/plain; charset=utf-8', body: 'outbound:backend::10.0.0.2:8080::health_flags::healthy\n' };
    const clusters = await app.inject({ url: '/meshes/default/dataplanes/web-1.zone-1/clusters' });
    expect(clusters.body).toBe('outbound:backend::10.0.0.2:8080::health_flags::healthy\n');
    answer = { status: 200, contentType: 'application/json; charset=utf-8', body: '{"resource":{"type":"Dataplane","mesh":"default","name":"web-1","labels":{}},"rules":[],"httpMatches":[]}' };
    const rules = await app.inject({ url: '/meshes/default/dataplanes/web-1.zone-1/_rules' });
    expect(rules.json()).toEqual({ resource: { type: 'Dataplane', mesh: 'default', name: 'web-1', labels: {} }, rules: [], httpMatches: [] });
    expect(asked.slice(1).map((a) => a.req.url)).toEqual(['/meshes/default/dataplanes/web-1/clusters', '/meshes/default/dataplanes/web-1/_rules']);

    // The zone's errors come back as they are (e.g. its 409 for a proxy without an admin address).
    answer = { status: 409, contentType: 'application/json; charset=utf-8', body: JSON.stringify({ title: 'Conflict', details: 'Dataplane "web-1" in mesh "default" has no known admin address' }) };
    const conflict = await app.inject({ url: '/meshes/default/dataplanes/web-1.zone-1/stats' });
    expect(conflict.statusCode).toBe(409);
    expect(conflict.json()).toMatchObject({ status: 409, detail: 'Dataplane "web-1" in mesh "default" has no known admin address' });
  });

  it("Kuma's _config goes to the owning zone with its query (shadow, include), the zone's {xds} comes back", async () => {
    answer = { status: 200, contentType: 'application/json; charset=utf-8', body: JSON.stringify({ xds: { configs: [] }, diff: [] }) };
    const res = await app.inject({ url: '/meshes/default/dataplanes/web-1.zone-1/_config?shadow=true&include=diff' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ xds: { configs: [] }, diff: [] });
    expect(asked).toEqual([{ zone: 'zone-1', req: { url: '/meshes/default/dataplanes/web-1/_config?shadow=true&include=diff' } }]);
    expect((await app.inject({ url: '/meshes/default/dataplanes/web-1.zone-1/_config?includeSecrets=true' })).statusCode).toBe(401);
  });

  it("a proxy may be named by its zone's name when one zone has it; several is a 409 naming the global names", async () => {
    await app.inject({ url: '/meshes/default/dataplanes/web-1/stats' });
    await app.inject({ url: '/meshes/default/dataplanes/web-1/xds' });
    await app.inject({ url: '/zoneegresses/egress-1/xds' });
    expect(asked).toEqual([
      { zone: 'zone-1', req: { url: '/meshes/default/dataplanes/web-1/stats' } },
      { zone: 'zone-1', req: { url: '/meshes/default/dataplanes/web-1/xds' } },
      { zone: 'zone-2', req: { url: '/zoneegresses/egress-1/xds' } },
    ]);
    const ambiguous = await app.inject({ url: '/meshes/default/dataplanes/api-1/policies' });
    expect(ambiguous.statusCode).toBe(409);
    expect(ambiguous.json().detail).toBe('Dataplane "api-1" in mesh "default" is a name in several zones (zone-1, zone-2): use its global name (api-1.zone-1, api-1.zone-2)');
    const exact = await app.inject({ url: '/meshes/default/dataplanes/api-1.zone-2/policies' });
    expect(exact.statusCode).toBe(200);
    expect(asked.at(-1)).toEqual({ zone: 'zone-2', req: { url: '/meshes/default/dataplanes/api-1/policies' } });
  });

  it('unknown proxy: 404; zone silent: 404 saying so; NATS down: 503; bad name: 400; includeSecrets needs the token', async () => {
    const unknown = await app.inject({ url: '/meshes/default/dataplanes/nope/stats' });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toMatchObject({ status: 404, title: 'Not found', detail: 'Dataplane "nope" in mesh "default" not found' });
    expect(asked).toEqual([]);
    answer = 'no-answer';
    const silent = await app.inject({ url: '/meshes/default/dataplanes/web-1.zone-1/_rules' });
    expect(silent.statusCode).toBe(404);
    expect(silent.json().detail).toContain('no control plane of zone "zone-1" answered for Dataplane "web-1"');
    answer = 'unreachable';
    expect((await app.inject({ url: '/meshes/default/dataplanes/web-1.zone-1/clusters' })).statusCode).toBe(503);
    const bad = await app.inject({ url: `/meshes/default/dataplanes/${'n'.repeat(254)}/stats` });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().invalid_parameters[0].field).toBe('name');
    expect((await app.inject({ url: '/meshes/default/dataplanes/web-1.zone-1/xds?includeSecrets=true' })).statusCode).toBe(401);
  });

  it('/openapi.json describes the forwarded reads and the new Kuma routes', async () => {
    const doc = (await app.inject({ url: '/openapi.json' })).json() as { paths: Record<string, { get?: { summary?: string } }> };
    for (const what of ['xds', '_config', 'policies', '_rules', 'stats', 'clusters']) expect(doc.paths[`/meshes/{mesh}/dataplanes/{name}/${what}`]?.get?.summary).toBeTruthy();
    for (const path of ['/meshes/{mesh}/service-insights', '/meshes/{mesh}/service-insights/{name}', '/service-insights', '/meshes/{mesh}/meshtimeouts/{name}/_resources/dataplanes', '/meshes/{mesh}/meshretries/{name}/_resources/dataplanes', '/meshes/{mesh}/meshtrafficpermissions/{name}/_resources/dataplanes'])
      expect(doc.paths[path]?.get?.summary, path).toBeTruthy();
  });
});
