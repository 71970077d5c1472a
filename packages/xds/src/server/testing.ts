/** Helpers for this folder's tests (not part of the package's public entry). */
import type { Resource } from '@causeway/core';

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
