/**
 * The builtin mesh CA. Global creates it when a Mesh enables a `builtin` mTLS backend and stores it as
 * two Secrets of the mesh (`<mesh>.ca-builtin-cert-<backend>`, `<mesh>.ca-builtin-key-<backend>`,
 * Kuma's names); sync copies them to every zone, where the zone issues workload certificates with it.
 */
import { CausewayError, type MeshBackend, type MeshSpec, parseDuration, type Resource, type SecretSpec } from '@causeway/core';
import { listAll, type ResourceStore, type Subscription } from '@causeway/store';
import type { Logger } from 'pino';
import { createCaCertificate, type KeyPairPem } from './x509.js';

export const DEFAULT_CA_EXPIRATION = '10y';

export function caSecretNames(mesh: string, backend: string): { cert: string; key: string } {
  return { cert: `${mesh}.ca-builtin-cert-${backend}`, key: `${mesh}.ca-builtin-key-${backend}` };
}

/** The enabled builtin backend of a mesh, if mTLS is on. */
export function enabledBackend(spec: MeshSpec): MeshBackend | undefined {
  const name = spec.mtls?.enabledBackend;
  if (!name) return undefined;
  const b = spec.mtls?.backends?.find((x) => x.name === name);
  return b?.type === 'builtin' ? b : undefined;
}

export async function createMeshCa(mesh: string, backend: MeshBackend, now: Date = new Date()): Promise<KeyPairPem> {
  const ms = parseDuration(backend.conf?.caCert?.expiration ?? DEFAULT_CA_EXPIRATION, { days: true }) ?? 10 * 365 * 86_400_000;
  const bits = backend.conf?.caCert?.RSAbits;
  return createCaCertificate({
    commonName: `Causeway mesh ${mesh} CA (${backend.name})`,
    notBefore: new Date(now.getTime() - 60_000),
    notAfter: new Date(now.getTime() + ms),
    algorithm: bits ? { kind: 'rsa', bits } : { kind: 'ec' },
  });
}

/** Reads the CA of a mesh's enabled backend from the store (undefined when not created/synced yet). */
export async function loadMeshCa(store: Pick<ResourceStore, 'get'>, mesh: string, spec: MeshSpec): Promise<KeyPairPem | undefined> {
  const backend = enabledBackend(spec);
  if (!backend) return undefined;
  const names = caSecretNames(mesh, backend.name);
  const [cert, key] = await Promise.all([store.get('Secret', mesh, names.cert), store.get('Secret', mesh, names.key)]);
  if (!cert || !key) return undefined;
  return {
    certPem: Buffer.from((cert.spec as SecretSpec).data, 'base64').toString('utf8'),
    keyPem: Buffer.from((key.spec as SecretSpec).data, 'base64').toString('utf8'),
  };
}

/** Creates the CA Secrets of one mesh if its enabled builtin backend has none. Returns whether it created them. */
export async function ensureMeshCa(store: ResourceStore, mesh: Resource<MeshSpec>, now: Date = new Date()): Promise<boolean> {
  const backend = enabledBackend(mesh.spec);
  if (!backend) return false;
  const names = caSecretNames(mesh.name, backend.name);
  const existing = await store.get('Secret', mesh.name, names.cert);
  if (existing) return false;
  const ca = await createMeshCa(mesh.name, backend, now);
  const secret = (name: string, pem: string): Resource<SecretSpec> => ({
    type: 'Secret',
    mesh: mesh.name,
    name,
    labels: { 'causeway.io/mesh-ca': backend.name },
    spec: { data: Buffer.from(pem, 'utf8').toString('base64') },
    version: 0,
  });
  // Key first: a zone that sees the certificate can always find the key next to it.
  try {
    await store.create(secret(names.key, ca.keyPem));
    await store.create(secret(names.cert, ca.certPem));
  } catch (e) {
    // Another global replica created it first: theirs wins.
    if (e instanceof CausewayError && e.code === 'ALREADY_EXISTS') return false;
    throw e;
  }
  return true;
}

export interface MeshCaReconciler {
  /** Resolves when every mesh present at start has been checked. */
  ready: Promise<void>;
  close(): Promise<void>;
}

/**
 * Global side: watches Mesh changes and creates the CA of every mesh that enables a builtin backend.
 * The CA of a backend is never replaced while it exists (rotating a CA is switching to a new backend).
 */
export function startMeshCaReconciler(opts: { store: ResourceStore; logger: Logger }): MeshCaReconciler {
  const { store, logger } = opts;
  let queue = Promise.resolve();
  let closed = false;
  let sub: Subscription | undefined;
  const check = (mesh: string) => {
    queue = queue.then(async () => {
      if (closed) return;
      try {
        const m = (await store.get('Mesh', undefined, mesh)) as Resource<MeshSpec> | undefined;
        if (m && (await ensureMeshCa(store, m))) logger.info({ mesh, backend: m.spec.mtls?.enabledBackend }, 'created the builtin mesh CA');
      } catch (e) {
        logger.error({ mesh, err: (e as Error).message }, 'could not create the mesh CA');
      }
    });
  };
  const ready = (async () => {
    const rev = await store.revision();
    for (const m of await listAll(store, 'Mesh')) check(m.name);
    sub = store.watch(rev, (e) => {
      if (e.type === 'Mesh' && e.op !== 'delete') check(e.name);
    });
    await queue;
  })();
  return {
    ready,
    async close() {
      closed = true;
      await ready.catch(() => undefined);
      sub?.close();
      await queue;
    },
  };
}
