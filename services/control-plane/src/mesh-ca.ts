/**
 * Global: creates the builtin CA of every Mesh that enables a `builtin` mTLS backend and stores it as two
 * Secrets of the mesh (`@causeway/pki`'s `meshCaSecrets`), which sync copies to every zone.
 */
import { CausewayError, type Resource } from '@causeway/core';
import { caSecretNames, enabledBackend, meshCaSecrets } from '@causeway/pki';
import { listAll, type ResourceStore, type Subscription } from '@causeway/store';
import type { Logger } from 'pino';

/** Creates the CA Secrets of one mesh if its enabled builtin backend has none. Returns whether it created them. */
export async function ensureMeshCa(store: ResourceStore, mesh: Resource<'Mesh'>, now: Date = new Date()): Promise<boolean> {
  const backend = enabledBackend(mesh.spec);
  if (!backend) return false;
  if (await store.get('Secret', mesh.name, caSecretNames(mesh.name, backend.name).cert)) return false;
  try {
    for (const secret of await meshCaSecrets(mesh, now)) await store.create(secret);
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
 * Watches Mesh changes and creates the CA of every mesh that enables a builtin backend. The CA of a
 * backend is never replaced while it exists (rotating a CA is switching to a new backend).
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
        const m = await store.get('Mesh', undefined, mesh);
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
