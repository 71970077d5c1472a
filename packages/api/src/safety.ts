/**
 * Kuma's safety rules for writes through the API (its mesh manager's validator), checked against what
 * the store holds before the write:
 *
 * - a Mesh with Dataplanes in it is not deleted ("unable to delete mesh, there are still some dataplanes
 *   attached"); at global the Dataplanes are the zones' copies, so a mesh in use by any zone stays;
 * - while mTLS is on, a Mesh's enabled CA backend is not switched ("Changing CA when mTLS is enabled is
 *   forbidden"): proxies would lose trust in each other's certificates mid-flight. Disable mTLS, then
 *   change the CA.
 *
 * A refused write changes nothing. (Check and write are two steps: a Dataplane registering in between is
 * not seen, as in Kuma.)
 */
import { CausewayError, isOfType, type Resource, type ResourceType } from '@causeway/core';
import type { ResourceStore } from '@causeway/store';

/** Refuses a delete the rules forbid. */
export async function checkDelete(store: ResourceStore, type: ResourceType, name: string): Promise<void> {
  if (type !== 'Mesh') return;
  const attached = await store.list('Dataplane', { mesh: name, size: 1 });
  if (attached.total > 0) {
    throw new CausewayError('INVALID', `Mesh "${name}" cannot be deleted`, [{ field: 'mesh', reason: 'unable to delete mesh, there are still some dataplanes attached' }]);
  }
}

/** Refuses an update the rules forbid (`resource` is what would be written). */
export async function checkUpdate(store: ResourceStore, resource: Resource): Promise<void> {
  if (!isOfType(resource, 'Mesh')) return;
  const previous = await store.get('Mesh', undefined, resource.name);
  const before = previous?.spec.mtls?.enabledBackend;
  const after = resource.spec.mtls?.enabledBackend;
  if (before && after && before !== after) {
    throw new CausewayError('INVALID', `Mesh "${resource.name}" is not valid`, [
      { field: 'mtls.enabledBackend', reason: 'Changing CA when mTLS is enabled is forbidden. Disable mTLS first and then change the CA' },
    ]);
  }
}
