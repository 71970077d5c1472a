/** Helpers for this package's tests (src/testing/ is not built into dist, nor exported). */
import type { Resource } from '@causeway/core';
import { meshCaSecrets } from '@causeway/pki';
import type { ResourceStore } from '@causeway/store';

/** A resource to write to a store in a test. */
export const res = (type: Resource['type'], name: string, spec: unknown, mesh?: string, labels: Record<string, string> = {}): Resource => ({
  type,
  name,
  ...(mesh ? { mesh } : {}),
  labels,
  spec,
  version: 0,
});

/** Polls `f` until it returns something other than undefined or false; throws after `timeoutMs`. */
export async function until<T>(f: () => Promise<T | undefined> | T | undefined, timeoutMs = 5000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (v !== undefined && v !== false) return v as T;
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Writes the builtin CA of a stored Mesh as global does: its two Secrets, in the same store. */
export async function storeMeshCa(store: ResourceStore, mesh: string): Promise<void> {
  const m = await store.get('Mesh', undefined, mesh);
  if (!m) throw new Error(`no Mesh ${mesh} in the store`);
  for (const secret of await meshCaSecrets(m)) await store.create(secret);
}

/**
 * The route configuration `name` of a generated set: a RouteConfiguration resource, or (a sidecar's,
 * generate/inline-routes.ts) the one inline in a listener's HTTP connection manager.
 */
export function routeOf(set: Partial<Record<string, Record<string, unknown>[]>> | undefined, name: string): Record<string, unknown> | undefined {
  const resource = set?.RouteConfiguration?.find((r) => r.name === name);
  if (resource) return resource;
  for (const l of set?.Listener ?? [])
    for (const c of (l.filter_chains as { filters?: { typed_config?: { route_config?: { name?: string } } }[] }[] | undefined) ?? [])
      for (const f of c.filters ?? []) if (f.typed_config?.route_config?.name === name) return f.typed_config.route_config;
  return undefined;
}
