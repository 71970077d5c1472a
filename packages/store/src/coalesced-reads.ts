/**
 * Reads of single rows asked for in the same turn of the event loop, made as one query. The zone's sync
 * publisher reads each DataplaneInsight it puts to NATS (a thousand every status flush at 1,000 proxies,
 * sixteen at a time): one query per batch instead of one per resource. A read waits at most for the rest
 * of its turn; a failed query fails every read of its batch.
 */
export class CoalescedReads<K, V> {
  private batch: { keys: Map<string, K>; result: Promise<Map<string, V>> } | undefined;

  constructor(
    private readonly readMany: (keys: K[]) => Promise<Map<string, V>>,
    private readonly keyOf: (k: K) => string,
  ) {}

  get(k: K): Promise<V | undefined> {
    const key = this.keyOf(k);
    let b = this.batch;
    if (!b) {
      const keys = new Map<string, K>();
      const result = new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
        // Reads asked for from now on go into the next batch.
        if (this.batch?.keys === keys) this.batch = undefined;
        return this.readMany([...keys.values()]);
      });
      b = { keys, result };
      this.batch = b;
    }
    b.keys.set(key, k);
    return b.result.then((rows) => rows.get(key));
  }
}
