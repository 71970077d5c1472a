import { dataplaneTagSets, type Resource, refMatches, type TargetRef } from '@causeway/core';
import type { ResourceStore } from '@causeway/store';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { policyDescriptors } from './policy-dataplanes.js';
import { STORE_START_TIMEOUT, startTestApi } from './testing/index.js';

const TOKEN = 'admin-token-of-the-policy-dataplanes-test';

function dp(name: string, zone: string, tags: Record<string, string>): Resource {
  return {
    type: 'Dataplane',
    mesh: 'default',
    name: `${name}.${zone}`,
    labels: { 'causeway.io/zone': zone },
    version: 0,
    spec: { networking: { address: '10.0.0.1', inbound: [{ port: 8080, tags: { 'kuma.io/zone': zone, ...tags } }] } },
  };
}

function policy(type: string, name: string, spec: object): Resource {
  return { type, mesh: 'default', name, labels: {}, version: 0, spec } as Resource;
}

describe('policy /_resources/dataplanes: the Dataplanes a policy selects', () => {
  let app: FastifyInstance;
  let store: ResourceStore;
  const list = async (url: string) => {
    const res = await app.inject({ url });
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as { total: number; items: { type: string; mesh: string; name: string; labels: Record<string, string> }[]; next: string | null };
  };

  beforeAll(async () => {
    ({ app, store } = await startTestApi('global', TOKEN));
    await store.create({ type: 'Mesh', name: 'default', labels: {}, spec: {}, version: 0 });
    for (const r of [
      dp('web-1', 'zone-1', { 'kuma.io/service': 'web', version: 'v1' }),
      dp('web-2', 'zone-2', { 'kuma.io/service': 'web', version: 'v2' }),
      dp('backend-1', 'zone-1', { 'kuma.io/service': 'backend', version: 'v2' }),
    ])
      await store.create(r);
    await store.create(policy('MeshTrafficPermission', 'allow-all', { targetRef: { kind: 'Mesh' }, from: [{ targetRef: { kind: 'Mesh' }, default: { action: 'Allow' } }] }));
    await store.create(policy('MeshTimeout', 'web-timeouts', { targetRef: { kind: 'MeshService', name: 'web' }, to: [{ targetRef: { kind: 'Mesh' }, default: { connectionTimeout: '2s' } }] }));
    await store.create(policy('MeshRetry', 'v2-retries', { targetRef: { kind: 'MeshSubset', tags: { version: 'v2' } }, to: [{ targetRef: { kind: 'Mesh' }, default: { tcp: { maxConnectAttempt: 3 } } }] }));
    await store.create(
      policy('MeshTimeout', 'web-v1', { targetRef: { kind: 'MeshServiceSubset', name: 'web', tags: { version: 'v1' } }, to: [{ targetRef: { kind: 'Mesh' }, default: { connectionTimeout: '1s' } }] }),
    );
    // A targetRef Causeway stores but does not apply yet selects nothing, here as in the generators.
    await store.create(policy('MeshTimeout', 'by-section', { targetRef: { kind: 'MeshService', name: 'web', sectionName: 'http' }, to: [{ targetRef: { kind: 'Mesh' }, default: { connectionTimeout: '1s' } }] }));
  }, STORE_START_TIMEOUT);
  afterAll(async () => {
    await app.close();
    await store.close();
  });

  it('lists what the top-level targetRef selects, in Kuma shape (Meta items), for Mesh, MeshService, MeshSubset and MeshServiceSubset', async () => {
    const all = await list('/meshes/default/meshtrafficpermissions/allow-all/_resources/dataplanes');
    expect(all).toEqual({
      total: 3,
      items: [
        { type: 'Dataplane', mesh: 'default', name: 'backend-1.zone-1', labels: { 'causeway.io/zone': 'zone-1' } },
        { type: 'Dataplane', mesh: 'default', name: 'web-1.zone-1', labels: { 'causeway.io/zone': 'zone-1' } },
        { type: 'Dataplane', mesh: 'default', name: 'web-2.zone-2', labels: { 'causeway.io/zone': 'zone-2' } },
      ],
      next: null,
    });
    expect((await list('/meshes/default/meshtimeouts/web-timeouts/_resources/dataplanes')).items.map((i) => i.name)).toEqual(['web-1.zone-1', 'web-2.zone-2']);
    expect((await list('/meshes/default/meshretries/v2-retries/_resources/dataplanes')).items.map((i) => i.name)).toEqual(['backend-1.zone-1', 'web-2.zone-2']);
    expect((await list('/meshes/default/meshtimeouts/web-v1/_resources/dataplanes')).items.map((i) => i.name)).toEqual(['web-1.zone-1']);
    expect(await list('/meshes/default/meshtimeouts/by-section/_resources/dataplanes')).toEqual({ total: 0, items: [], next: null });
  });

  it('selects exactly what the xDS matcher selects', async () => {
    const dataplanes = (await store.list('Dataplane', { mesh: 'default' })).items;
    for (const [path, type, name] of [
      ['meshtrafficpermissions', 'MeshTrafficPermission', 'allow-all'],
      ['meshtimeouts', 'MeshTimeout', 'web-timeouts'],
      ['meshretries', 'MeshRetry', 'v2-retries'],
      ['meshtimeouts', 'MeshTimeout', 'web-v1'],
      ['meshtimeouts', 'MeshTimeout', 'by-section'],
    ] as const) {
      const p = await store.get(type, 'default', name);
      expect(p).toBeDefined();
      const targetRef = (p?.spec as { targetRef?: TargetRef } | undefined)?.targetRef;
      const expected = dataplanes.filter((d) => refMatches(targetRef, dataplaneTagSets(d.spec))).map((d) => d.name);
      expect((await list(`/meshes/default/${path}/${name}/_resources/dataplanes`)).items.map((i) => i.name)).toEqual(expected);
    }
  });

  it('pages with size and offset, filters by name', async () => {
    const first = await list('/meshes/default/meshtrafficpermissions/allow-all/_resources/dataplanes?size=2');
    expect(first.total).toBe(3);
    expect(first.items.map((i) => i.name)).toEqual(['backend-1.zone-1', 'web-1.zone-1']);
    const next = new URL(first.next as string);
    const second = await list(`${next.pathname}${next.search}`);
    expect(second.items.map((i) => i.name)).toEqual(['web-2.zone-2']);
    expect(second.next).toBeNull();
    expect((await list('/meshes/default/meshtrafficpermissions/allow-all/_resources/dataplanes?name=zone-2')).items.map((i) => i.name)).toEqual(['web-2.zone-2']);
  });

  it('has a route for every policy type of the descriptor table; unknown policy or mesh: Kuma-shaped 404; bad input: 400 naming the field', async () => {
    const types = policyDescriptors();
    expect(types.map((d) => d.type).sort()).toEqual(['MeshRetry', 'MeshTimeout', 'MeshTrafficPermission']);
    for (const d of types) {
      const res = await app.inject({ url: `/meshes/default/${d.path}/nope/_resources/dataplanes` });
      expect(res.statusCode).toBe(404);
      expect(res.json()).toMatchObject({ status: 404, title: 'Not found', detail: `${d.type} "nope" in mesh "default" not found` });
    }
    const mesh = await app.inject({ url: '/meshes/nope/meshtimeouts/web-timeouts/_resources/dataplanes' });
    expect(mesh.statusCode).toBe(404);
    expect(mesh.json().details).toBe('Mesh "nope" not found');
    const size = await app.inject({ url: '/meshes/default/meshtimeouts/web-timeouts/_resources/dataplanes?size=5000' });
    expect(size.statusCode).toBe(400);
    expect(size.json().invalid_parameters[0].field).toBe('size');
    const name = await app.inject({ url: `/meshes/default/meshtimeouts/${'n'.repeat(254)}/_resources/dataplanes` });
    expect(name.statusCode).toBe(400);
    expect(name.json().invalid_parameters[0].field).toBe('name');
  });
});
