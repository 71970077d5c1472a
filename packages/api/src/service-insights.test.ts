import type { Resource } from '@causeway/core';
import type { ResourceStore } from '@causeway/store';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STORE_START_TIMEOUT, startTestApi } from './testing/index.js';

const TOKEN = 'admin-token-of-the-service-insights-test';
const now = new Date().toISOString();
const connected = { subscriptions: [{ id: 's1', connectTime: now }] };
const disconnected = { subscriptions: [{ id: 's0', connectTime: now, disconnectTime: now }] };

function dp(name: string, zone: string, inbound: { service: string; ready?: boolean; port?: number }[], mesh = 'default'): Resource {
  return {
    type: 'Dataplane',
    mesh,
    name: `${name}.${zone}`,
    labels: { 'causeway.io/zone': zone, 'causeway.io/display-name': name },
    version: 0,
    spec: {
      networking: {
        address: '10.0.0.1',
        inbound: inbound.map((i, n) => ({
          port: i.port ?? 8080 + n,
          tags: { 'kuma.io/service': i.service, 'kuma.io/zone': zone },
          ...(i.ready === undefined ? {} : { health: { ready: i.ready } }),
        })),
      },
    },
  };
}

describe("service insights (Kuma's ServiceInsight per service)", () => {
  let app: FastifyInstance;
  let store: ResourceStore;
  beforeAll(async () => {
    ({ app, store } = await startTestApi('global', TOKEN));
    for (const mesh of ['default', 'other']) await store.create({ type: 'Mesh', name: mesh, labels: {}, spec: {}, version: 0 });
    const dataplanes = [
      dp('web-1', 'zone-1', [{ service: 'web' }]), // online
      dp('web-2', 'zone-2', [{ service: 'web' }]), // offline (disconnected)
      dp('backend-1', 'zone-1', [{ service: 'backend' }, { service: 'backend-admin', port: 9901 }]), // online
      dp('backend-2', 'zone-1', [{ service: 'backend', ready: false }, { service: 'backend-admin', port: 9901 }]), // partially degraded: counts as offline
      dp('db-1', 'zone-2', [{ service: 'db', ready: false }]), // connected but no inbound ready: offline
      dp('api-1', 'zone-1', [{ service: 'api' }], 'other'),
    ];
    for (const r of dataplanes) await store.create(r);
    const insights: [string, object, string?][] = [
      ['web-1.zone-1', connected],
      ['web-2.zone-2', disconnected],
      ['backend-1.zone-1', connected],
      ['backend-2.zone-1', connected],
      ['db-1.zone-2', connected],
      ['api-1.zone-1', connected, 'other'],
    ];
    for (const [name, spec, mesh] of insights) await store.create({ type: 'DataplaneInsight', mesh: mesh ?? 'default', name, labels: {}, spec, version: 0 });
    await store.create({
      type: 'ExternalService',
      mesh: 'default',
      name: 'httpbin-only-in-zone-2',
      labels: {},
      version: 0,
      spec: { tags: { 'kuma.io/service': 'httpbin', 'kuma.io/protocol': 'http', 'kuma.io/zone': 'zone-2' }, networking: { address: 'httpbin.org:80' } },
    });
  }, STORE_START_TIMEOUT);
  afterAll(async () => {
    await app.close();
    await store.close();
  });

  it('lists every service of the mesh in Kuma shape, sorted by name, with status, counts, type, address and zones', async () => {
    const res = await app.inject({ url: '/meshes/default/service-insights' });
    expect(res.statusCode).toBe(200);
    const body = res.json() as { total: number; items: Record<string, unknown>[]; next: string | null };
    expect(body.total).toBe(5);
    expect(body.next).toBeNull();
    expect(body.items.map((i) => i.name)).toEqual(['backend', 'backend-admin', 'db', 'httpbin', 'web']);
    const byName = new Map(body.items.map((i) => [i.name, i]));
    expect(byName.get('web')).toMatchObject({
      type: 'ServiceInsight',
      mesh: 'default',
      name: 'web',
      status: 'partially_degraded',
      dataplanes: { total: 2, online: 1, offline: 1 },
      serviceType: 'internal',
      addressPort: 'web.mesh:80',
      zones: ['zone-1', 'zone-2'],
    });
    expect(typeof byName.get('web')?.creationTime).toBe('string');
    expect(typeof byName.get('web')?.modificationTime).toBe('string');
    // backend-2 has one inbound not ready: "partially degraded", which Kuma counts as offline.
    expect(byName.get('backend')).toMatchObject({ status: 'partially_degraded', dataplanes: { total: 2, online: 1, offline: 1 } });
    // Each dataplane counts once per service, whatever its number of inbounds of that service.
    expect(byName.get('backend-admin')).toMatchObject({ status: 'partially_degraded', dataplanes: { total: 2, online: 1, offline: 1 }, zones: ['zone-1'] });
    expect(byName.get('db')).toMatchObject({ status: 'offline', dataplanes: { total: 1, online: 0, offline: 1 } });
    expect(byName.get('httpbin')).toEqual({
      type: 'ServiceInsight',
      mesh: 'default',
      name: 'httpbin',
      creationTime: expect.any(String),
      modificationTime: expect.any(String),
      status: 'not_available',
      dataplanes: { total: 0, online: 0, offline: 0 },
      serviceType: 'external',
      addressPort: 'httpbin.org:80',
      zones: ['zone-2'],
    });
  });

  it('one service by name; an unknown service or mesh is a Kuma-shaped 404; a bad mesh name a 400', async () => {
    const web = await app.inject({ url: '/meshes/default/service-insights/web' });
    expect(web.statusCode).toBe(200);
    expect(web.json()).toMatchObject({ type: 'ServiceInsight', name: 'web', status: 'partially_degraded', dataplanes: { total: 2, online: 1, offline: 1 } });
    const api = await app.inject({ url: '/meshes/other/service-insights/api' });
    expect(api.json()).toMatchObject({ mesh: 'other', name: 'api', status: 'online', dataplanes: { total: 1, online: 1, offline: 0 }, zones: ['zone-1'] });

    const unknownService = await app.inject({ url: '/meshes/default/service-insights/nope' });
    expect(unknownService.statusCode).toBe(404);
    expect(unknownService.json()).toMatchObject({ status: 404, title: 'Not found', detail: expect.stringContaining('service "nope" not found in mesh "default"') });
    for (const url of ['/meshes/nope/service-insights', '/meshes/nope/service-insights/web']) {
      const r = await app.inject({ url });
      expect(r.statusCode).toBe(404);
      expect(r.json()).toMatchObject({ status: 404, details: 'Mesh "nope" not found' });
    }
    const bad = await app.inject({ url: `/meshes/${'m'.repeat(254)}/service-insights` });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().invalid_parameters[0].field).toBe('mesh');
  });

  it('pages with size and the opaque offset of next, filters by name and type; bad values are 400s naming the field', async () => {
    const first = (await app.inject({ url: '/meshes/default/service-insights?size=2' })).json() as { total: number; items: { name: string }[]; next: string };
    expect(first.total).toBe(5);
    expect(first.items.map((i) => i.name)).toEqual(['backend', 'backend-admin']);
    const next = new URL(first.next);
    expect(next.pathname).toBe('/meshes/default/service-insights');
    const second = (await app.inject({ url: `${next.pathname}${next.search}` })).json() as { items: { name: string }[]; next: string };
    expect(second.items.map((i) => i.name)).toEqual(['db', 'httpbin']);
    const nextUrl = new URL(second.next);
    const third = (await app.inject({ url: `${nextUrl.pathname}${nextUrl.search}` })).json() as { items: { name: string }[]; next: string | null };
    expect(third.items.map((i) => i.name)).toEqual(['web']);
    expect(third.next).toBeNull();

    const named = (await app.inject({ url: '/meshes/default/service-insights?name=BACK' })).json() as { total: number; items: { name: string }[] };
    expect(named.items.map((i) => i.name)).toEqual(['backend', 'backend-admin']);
    const external = (await app.inject({ url: '/meshes/default/service-insights?type=external' })).json() as { total: number; items: { name: string }[] };
    expect(external.items.map((i) => i.name)).toEqual(['httpbin']);
    const both = (await app.inject({ url: '/meshes/default/service-insights?type=internal,external' })).json() as { total: number };
    expect(both.total).toBe(5);
    const gateways = (await app.inject({ url: '/meshes/default/service-insights?type=gateway_builtin' })).json() as { total: number; items: unknown[] };
    expect(gateways).toMatchObject({ total: 0, items: [] });

    const badType = await app.inject({ url: '/meshes/default/service-insights?type=internal,mesh' });
    expect(badType.statusCode).toBe(400);
    expect(badType.json().invalid_parameters).toEqual([{ field: 'type', reason: expect.stringContaining('"mesh" is not a service type') }]);
    const badSize = await app.inject({ url: '/meshes/default/service-insights?size=0' });
    expect(badSize.statusCode).toBe(400);
    expect(badSize.json().invalid_parameters[0].field).toBe('size');
    const badOffset = await app.inject({ url: '/meshes/default/service-insights?offset=@@' });
    expect(badOffset.statusCode).toBe(400);
    expect(badOffset.json().invalid_parameters[0].field).toBe('offset');
  });

  it('/service-insights lists the services of every mesh, by mesh then name', async () => {
    const all = (await app.inject({ url: '/service-insights' })).json() as { total: number; items: { mesh: string; name: string }[] };
    expect(all.total).toBe(6);
    expect(all.items.map((i) => `${i.mesh}/${i.name}`)).toEqual(['default/backend', 'default/backend-admin', 'default/db', 'default/httpbin', 'default/web', 'other/api']);
  });

  it('follows the store: a proxy that connects turns its service online', async () => {
    const insight = await store.get('DataplaneInsight', 'default', 'web-2.zone-2');
    await store.update({ ...(insight as Resource), spec: connected });
    expect((await app.inject({ url: '/meshes/default/service-insights/web' })).json()).toMatchObject({ status: 'online', dataplanes: { total: 2, online: 2, offline: 0 } });
  });
});
