import { X509Certificate } from 'node:crypto';
import type { MeshSpec, Resource, SecretSpec } from '@causeway/core';
import { caSecretNames } from '@causeway/pki';
import { openStore, type ResourceStore } from '@causeway/store';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { ensureMeshCa, startMeshCaReconciler } from './mesh-ca.js';

const mesh = (name: string, spec: MeshSpec): Resource<'Mesh'> => ({ type: 'Mesh', name, labels: {}, spec, version: 0 });
const builtin: MeshSpec = { mtls: { enabledBackend: 'ca-1', backends: [{ name: 'ca-1', type: 'builtin', dpCert: { rotation: { expiration: '1h' } } }] } };

/** The PEM texts of a mesh's CA as a zone finds them in its store. */
async function storedCa(store: ResourceStore, meshName: string): Promise<{ certPem: string; keyPem: string } | undefined> {
  const names = caSecretNames(meshName, 'ca-1');
  const [cert, key] = await Promise.all([store.get('Secret', meshName, names.cert), store.get('Secret', meshName, names.key)]);
  if (!cert || !key) return undefined;
  const pem = (r: Resource) => Buffer.from((r.spec as SecretSpec).data, 'base64').toString('utf8');
  return { certPem: pem(cert), keyPem: pem(key) };
}

describe('mesh CA at global', () => {
  it('creates the CA Secrets when a mesh enables a builtin backend, once', async () => {
    const store = await openStore();
    try {
      await store.create(mesh('plain', {}));
      expect(await ensureMeshCa(store, mesh('plain', {}))).toBe(false);
      const rec = startMeshCaReconciler({ store, logger: pino({ level: 'silent' }) });
      await rec.ready;
      await store.create(mesh('default', builtin));
      for (let i = 0; i < 100 && !(await storedCa(store, 'default')); i++) await new Promise((r) => setTimeout(r, 50));
      const ca = await storedCa(store, 'default');
      expect(ca).toBeDefined();
      expect(new X509Certificate(ca?.certPem ?? '').ca).toBe(true);
      expect(await ensureMeshCa(store, mesh('default', builtin))).toBe(false);
      expect((await storedCa(store, 'default'))?.certPem).toBe(ca?.certPem);
      expect(await storedCa(store, 'plain')).toBeUndefined();
      await rec.close();
    } finally {
      await store.close();
    }
  });
});
