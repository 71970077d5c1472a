/**
 * `/ready`: the control plane is ready while its store answers. Probes (a kubelet, a load balancer, a
 * benchmark every 100 ms) do not each run a query: an answer from the store in the last `freshMs`
 * (default 1 s) stands for all of them, and probes that arrive while a check runs wait for that one. A
 * failed check is not kept: the next probe asks the store again, so a store that is back is seen at once.
 */
import type { ResourceStore } from '@causeway/store';

export const READINESS_FRESH_MS = 1000;

/** Resolves when the store answered within `freshMs`; rejects with the store's error otherwise. */
export function storeReadiness(store: Pick<ResourceStore, 'revision'>, freshMs = READINESS_FRESH_MS, now: () => number = () => performance.now()): () => Promise<void> {
  let answeredAt = Number.NEGATIVE_INFINITY;
  let checking: Promise<void> | undefined;
  return () => {
    if (now() - answeredAt < freshMs) return Promise.resolve();
    checking ??= store
      .revision()
      .then(() => {
        answeredAt = now();
      })
      .finally(() => {
        checking = undefined;
      });
    return checking;
  };
}
