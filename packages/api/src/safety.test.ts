import type { ResourceStore } from '@causeway/store';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STORE_START_TIMEOUT, startTestApi } from './testing/index.js';

const TOKEN = 'admin-token-of-the-safety-test';
const auth = { authorization: `Bearer ${TOKEN}` };
// A Mesh has at most one CA backend (Kuma's rule): switching CAs replaces it.
const mtlsMesh = (name: string, enabledBackend: string | undefined, backend = enabledBackend ?? 'ca-1') => ({
  type: 'Mesh',
  name,
  mtls: { ...(enabledBackend ? { enabledBackend } : {}), backends: [{ name: backend, type: 'builtin' }] },
});

describe("Kuma's safety rules (mesh manager)", () => {
  let app: FastifyInstance;
  let store: ResourceStore;
  beforeAll(async () => {
    ({ app, store } = await startTestApi('global', TOKEN));
  }, STORE_START_TIMEOUT);
  afterAll(async () => {
    await app.close();
    await store.close();
  });
  const put = (url: string, payload: unknown) => app.inject({ method: 'PUT', url, headers: auth, payload: payload as Record<string, unknown> });

  it('refuses deleting a mesh while Dataplanes are attached, and deletes it once they are gone', async () => {
    expect((await put('/meshes/busy', { type: 'Mesh', name: 'busy' })).statusCode).toBe(201);
    await store.create({
      type: 'Dataplane',
      mesh: 'busy',
      name: 'web-1.zone-1',
      labels: {},
      spec: { networking: { address: '10.0.0.1', inbound: [{ port: 8080, tags: { 'kuma.io/service': 'web' } }] } },
      version: 0,
    });
    const refused = await app.inject({ method: 'DELETE', url: '/meshes/busy', headers: auth });
    expect(refused.statusCode).toBe(400);
    expect(refused.json()).toMatchObject({ invalid_parameters: [{ field: 'mesh', reason: 'unable to delete mesh, there are still some dataplanes attached' }] });
    expect(await store.get('Mesh', undefined, 'busy')).toBeDefined();
    await store.delete('Dataplane', 'busy', 'web-1.zone-1');
    expect((await app.inject({ method: 'DELETE', url: '/meshes/busy', headers: auth })).statusCode).toBe(200);
    expect(await store.get('Mesh', undefined, 'busy')).toBeUndefined();
  });

  it('refuses switching the enabled CA backend while mTLS is on; off, then on with the other CA, is allowed', async () => {
    expect((await put('/meshes/secure', mtlsMesh('secure', 'ca-1'))).statusCode).toBe(201);
    const refused = await put('/meshes/secure', mtlsMesh('secure', 'ca-2'));
    expect(refused.statusCode).toBe(400);
    expect(refused.json()).toMatchObject({
      invalid_parameters: [{ field: 'mtls.enabledBackend', reason: 'Changing CA when mTLS is enabled is forbidden. Disable mTLS first and then change the CA' }],
    });
    expect((await store.get('Mesh', undefined, 'secure'))?.spec.mtls?.enabledBackend).toBe('ca-1');
    // The same backend again (any other change) is fine; mTLS off, then on with ca-2, too.
    expect((await put('/meshes/secure', { ...mtlsMesh('secure', 'ca-1'), labels: { team: 'x' } })).statusCode).toBe(200);
    expect((await put('/meshes/secure', mtlsMesh('secure', undefined))).statusCode).toBe(200);
    expect((await put('/meshes/secure', mtlsMesh('secure', 'ca-2'))).statusCode).toBe(200);
    expect((await store.get('Mesh', undefined, 'secure'))?.spec.mtls?.enabledBackend).toBe('ca-2');
  });
});

describe('a Dataplane written at a zone', () => {
  it('gets kuma.io/zone on every inbound (the zone replaces a value the writer gave)', async () => {
    const { app, store } = await startTestApi('zone', TOKEN);
    try {
      await store.create({ type: 'Mesh', name: 'default', labels: {}, spec: {}, version: 0 });
      const res = await app.inject({
        method: 'PUT',
        url: '/meshes/default/dataplanes/web-1',
        headers: auth,
        payload: {
          type: 'Dataplane',
          mesh: 'default',
          name: 'web-1',
          networking: {
            address: '10.0.0.1',
            inbound: [
              { port: 8080, tags: { 'kuma.io/service': 'web' } },
              { port: 8081, tags: { 'kuma.io/service': 'web-admin', 'kuma.io/zone': 'elsewhere' } },
            ],
          },
        },
      });
      expect(res.statusCode).toBe(201);
      const stored = await store.get('Dataplane', 'default', 'web-1');
      expect(stored?.spec.networking.inbound?.map((ib) => ib.tags)).toEqual([
        { 'kuma.io/service': 'web', 'kuma.io/zone': 'zone-1' },
        { 'kuma.io/service': 'web-admin', 'kuma.io/zone': 'zone-1' },
      ]);
    } finally {
      await app.close();
      await store.close();
    }
  }, STORE_START_TIMEOUT);
});
