/**
 * A work queue keyed by resource key that hands out keys in batches: marking a key says "its state may
 * have changed, bring the store in line". One batch runs at a time, so a key is never processed twice at
 * once; a key marked while its batch runs goes into the next one (latest state wins, bursts coalesce).
 *
 * Normally a batch starts as soon as a key is waiting and the previous batch is done: a single live update
 * is applied at once, and what arrives while a batch runs is applied together next. While `hold()` is in
 * effect (a replay), only full batches start; `release()` flushes the rest. Within a batch, keys come in
 * `priority` order (lower first: Meshes before what lives in them), then in the order they were marked.
 */
export interface KeyedBatcherOptions {
  /** Most keys per batch. */
  maxBatch: number;
  process: (keys: string[]) => Promise<void>;
  /** Called when `process` throws; the batcher goes on with the next batch. */
  onError: (keys: string[], err: unknown) => void;
  priority?: (key: string) => number;
}

export class KeyedBatcher {
  private readonly dirty = new Map<number, Set<string>>();
  private dirtyCount = 0;
  private running = 0;
  private holding = false;
  private stopped = false;
  private readonly idleWaiters: (() => void)[] = [];

  constructor(private readonly opts: KeyedBatcherOptions) {
    if (!Number.isInteger(opts.maxBatch) || opts.maxBatch < 1) throw new RangeError(`maxBatch must be a positive integer, got ${opts.maxBatch}`);
  }

  /** Keys waiting, plus those of the running batch. */
  get size(): number {
    return this.dirtyCount + this.running;
  }

  mark(key: string): void {
    if (this.stopped) return;
    const p = this.opts.priority?.(key) ?? 0;
    let set = this.dirty.get(p);
    if (!set) {
      set = new Set();
      this.dirty.set(p, set);
    }
    if (!set.has(key)) {
      set.add(key);
      this.dirtyCount++;
    }
    this.pump();
  }

  /** Accumulates: only full batches start until `release()`. */
  hold(): void {
    this.holding = true;
  }

  /** Ends `hold()`: what is waiting starts now, in batches of at most `maxBatch`. */
  release(): void {
    this.holding = false;
    this.pump();
  }

  /** Drops every waiting key (a running batch finishes). */
  clear(): void {
    this.dirty.clear();
    this.dirtyCount = 0;
    this.settle();
  }

  /** Resolves when nothing is waiting or running (never while keys wait under `hold()`). */
  idle(): Promise<void> {
    if (this.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stops taking work; resolves when the running batch has finished. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.clear();
    await this.idle();
  }

  private take(): string[] {
    const batch: string[] = [];
    for (const p of [...this.dirty.keys()].sort((a, b) => a - b)) {
      const set = this.dirty.get(p) as Set<string>;
      for (const key of set) {
        if (batch.length >= this.opts.maxBatch) break;
        set.delete(key);
        batch.push(key);
      }
      if (set.size === 0) this.dirty.delete(p);
      if (batch.length >= this.opts.maxBatch) break;
    }
    this.dirtyCount -= batch.length;
    return batch;
  }

  private pump(): void {
    if (this.running > 0 || this.dirtyCount === 0 || this.stopped) return;
    if (this.holding && this.dirtyCount < this.opts.maxBatch) return;
    const batch = this.take();
    this.running = batch.length;
    this.opts
      .process(batch)
      .catch((err: unknown) => this.opts.onError(batch, err))
      .finally(() => {
        this.running = 0;
        this.pump();
        this.settle();
      });
  }

  private settle(): void {
    if (this.size !== 0) return;
    for (const w of this.idleWaiters.splice(0)) w();
  }
}
