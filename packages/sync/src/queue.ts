/**
 * A work queue keyed by resource key: marking a key says "its state may have changed, bring the other
 * side in line". A key is never processed twice at once; a key marked while it is being processed is
 * processed again afterwards (latest state wins, bursts coalesce); different keys run concurrently up to
 * `concurrency`. Lower `priority` values run first (e.g. Meshes before what lives in them).
 */
export interface KeyedQueueOptions {
  concurrency: number;
  process: (key: string) => Promise<void>;
  /** Called when `process` throws; the queue goes on with other keys. */
  onError: (key: string, err: unknown) => void;
  priority?: (key: string) => number;
}

export class KeyedQueue {
  private readonly dirty = new Map<number, Set<string>>();
  private readonly running = new Set<string>();
  private readonly idleWaiters: (() => void)[] = [];
  private dirtyCount = 0;
  private stopped = false;

  constructor(private readonly opts: KeyedQueueOptions) {}

  /** Keys waiting or running. */
  get size(): number {
    return this.dirtyCount + this.running.size;
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

  /** Drops every waiting key (running ones finish). */
  clear(): void {
    this.dirty.clear();
    this.dirtyCount = 0;
    this.settle();
  }

  /** Resolves when nothing is waiting or running. */
  idle(): Promise<void> {
    if (this.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stops taking work; resolves when running work has finished. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.clear();
    await this.idle();
  }

  private next(): string | undefined {
    const priorities = [...this.dirty.keys()].sort((a, b) => a - b);
    for (const p of priorities) {
      const set = this.dirty.get(p) as Set<string>;
      for (const key of set) {
        if (this.running.has(key)) continue;
        set.delete(key);
        this.dirtyCount--;
        if (set.size === 0) this.dirty.delete(p);
        return key;
      }
    }
    return undefined;
  }

  private pump(): void {
    while (this.running.size < this.opts.concurrency) {
      const key = this.next();
      if (key === undefined) break;
      this.running.add(key);
      this.opts
        .process(key)
        .catch((err: unknown) => this.opts.onError(key, err))
        .finally(() => {
          this.running.delete(key);
          this.pump();
          this.settle();
        });
    }
  }

  private settle(): void {
    if (this.size !== 0) return;
    for (const w of this.idleWaiters.splice(0)) w();
  }
}
