import type { ResourceStore } from '@causeway/store';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STORE_START_TIMEOUT, startTestApi } from './testing/index.js';

const TOKEN = 'admin-token-of-the-kuma-endpoints-test';

describe("Kuma's base endpoints (who-am-i, _resources, global-insight)", () => {
  let app: FastifyInstance;
  let store: ResourceStore;
  beforeAll(async () => {
    ({ app, store } = await startTestApi('global', TOKEN));
  }, STORE_START_TIMEOUT);
  afterAll(async () => {
    await app.close();
    await store.close();
  });

  it('who-am-i names the admin with its token and anonymous without', async () => {
    expect((await app.inject({ url: '/who-am-i', headers: { authorization: `Bearer ${TOKEN}` } })).json()).toEqual({
      name: 'mesh-system:admin',
      groups: ['mesh-system:admin', 'mesh-system:authenticated'],
    });
    expect((await app.inject({ url: '/who-am-i' })).json()).toEqual({ name: 'mesh-system:anonymous', groups: ['mesh-system:unauthenticated'] });
  });

  it('_resources lists every type with its path, scope and policy shape', async () => {
    const { resources } = (await app.inject({ url: '/_resources' })).json() as { resources: Record<string, unknown>[] };
    const byName = new Map(resources.map((r) => [r.name, r]));
    expect(byName.get('ExternalService')).toEqual({
      name: 'ExternalService',
      path: 'external-services',
      singularDisplayName: 'External Service',
      pluralDisplayName: 'External Services',
      scope: 'Mesh',
      readOnly: false,
      shortName: 'es',
      includeInFederation: true,
    });
    expect(byName.get('Dataplane')).toMatchObject({ path: 'dataplanes', scope: 'Mesh', readOnly: true, includeInFederation: false });
    expect(byName.get('Mesh')).toMatchObject({ path: 'meshes', scope: 'Global', readOnly: false, includeInFederation: true });
    expect(byName.get('MeshRetry')).toMatchObject({ path: 'meshretries', policy: { isTargetRef: true, hasToTargetRef: true, hasFromTargetRef: false } });
    expect(byName.get('MeshTrafficPermission')).toMatchObject({ policy: { hasToTargetRef: false, hasFromTargetRef: true } });
    expect(resources.map((r) => r.name)).toEqual([...resources.map((r) => r.name as string)].sort());
  });

  it('global-insight counts meshes, policies, dataplanes, services and zones', async () => {
    const empty = (await app.inject({ url: '/global-insight' })).json();
    expect(empty).toMatchObject({ meshes: { total: 0 }, policies: { total: 0 }, resources: {}, dataplanes: { standard: { total: 0, online: 0, offline: 0 } } });
    await store.create({ type: 'Mesh', name: 'default', labels: {}, spec: {}, version: 0 });
    await store.create({
      type: 'MeshTrafficPermission',
      mesh: 'default',
      name: 'allow-all',
      labels: {},
      spec: { targetRef: { kind: 'Mesh' }, from: [{ targetRef: { kind: 'Mesh' }, default: { action: 'Allow' } }] },
      version: 0,
    });
    for (const [name, address] of [
      ['web-1.zone-1', '10.0.0.1'],
      ['web-2.zone-1', '10.0.0.2'],
    ] as const) {
      await store.create({ type: 'Dataplane', mesh: 'default', name, labels: {}, spec: { networking: { address, inbound: [{ port: 8080, tags: { 'kuma.io/service': 'web' } }] } }, version: 0 });
    }
    await store.create({
      type: 'DataplaneInsight',
      mesh: 'default',
      name: 'web-1.zone-1',
      labels: {},
      spec: { subscriptions: [{ id: 's1', controlPlaneInstanceId: 'cp', connectTime: new Date().toISOString(), status: {} }] },
      version: 0,
    });
    await store.create({ type: 'ExternalService', mesh: 'default', name: 'httpbin', labels: {}, spec: { tags: { 'kuma.io/service': 'httpbin' }, networking: { address: 'httpbin.org:443' } }, version: 0 });
    const full = (await app.inject({ url: '/global-insight' })).json();
    expect(full).toMatchObject({
      meshes: { total: 1 },
      policies: { total: 1 },
      resources: { MeshTrafficPermission: { total: 1 } },
      dataplanes: { standard: { total: 2, online: 1, offline: 1 } },
      services: { internal: { total: 1, online: 1, offline: 0 }, external: { total: 1 } },
      zones: { controlPlanes: { total: 0, online: 0 } },
    });
    expect(Date.parse(full.createdAt)).toBeGreaterThan(0);
  });

  it('?format= on resource reads: universal (or none) is served, anything else is a 400 naming the field', async () => {
    expect((await app.inject({ url: '/meshes/default?format=universal' })).statusCode).toBe(200);
    expect((await app.inject({ url: '/meshes?format=universal' })).statusCode).toBe(200);
    for (const url of ['/meshes/default?format=yaml', '/meshes?format=xml', '/meshes/default/external-services?format=k8s']) {
      const r = await app.inject({ url });
      expect(r.statusCode, url).toBe(400);
      expect(r.json().invalid_parameters, url).toEqual([{ field: 'format', reason: expect.any(String) }]);
    }
    expect((await app.inject({ url: '/meshes/default?format=kubernetes' })).json().invalid_parameters[0].reason).toContain('universal mode');
  });

  it('GET /config needs the admin token and shows what the control plane runs with', async () => {
    expect((await app.inject({ url: '/config' })).statusCode).toBe(401);
    const r = await app.inject({ url: '/config', headers: { authorization: `Bearer ${TOKEN}` } });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({ mode: 'global' });
  });
});
