/**
 * What the sync's two work queues share (`KeyedQueue`: one key at a time, several concurrently;
 * `KeyedBatcher`: batches, one at a time): marking a key says "its state may have changed, bring the
 * other side in line"; a key marked again before it is taken is kept once (bursts coalesce, the latest
 * state wins); keys are taken in `priority` order (lower first: Meshes before what lives in them), then
 * in the order they were marked. Subclasses decide when and how many keys to take (`pump`).
 */
export abstract class KeyedWork {
  /** marked keys not taken yet, by priority */
  private readonly waiting = new Map<number, Set<string>>();
  private waitingCount = 0;
  private readonly idleWaiters: (() => void)[] = [];
  protected stopped = false;

  constructor(private readonly priority: ((key: string) => number) | undefined) {}

  /** Keys being processed now. */
  protected abstract get runningCount(): number;
  /** Starts what may start now (called after every change). */
  protected abstract pump(): void;

  /** Keys waiting, plus those being processed. */
  get size(): number {
    return this.waitingCount + this.runningCount;
  }

  /** Keys waiting. */
  protected get waitingSize(): number {
    return this.waitingCount;
  }

  mark(key: string): void {
    if (this.stopped) return;
    const p = this.priority?.(key) ?? 0;
    let set = this.waiting.get(p);
    if (!set) {
      set = new Set();
      this.waiting.set(p, set);
    }
    if (!set.has(key)) {
      set.add(key);
      this.waitingCount++;
    }
    this.pump();
  }

  /** Drops every waiting key (what is being processed finishes). */
  clear(): void {
    this.waiting.clear();
    this.waitingCount = 0;
    this.settle();
  }

  /** Resolves when nothing is waiting or being processed. */
  idle(): Promise<void> {
    if (this.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stops taking work; resolves when what is being processed has finished. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.clear();
    await this.idle();
  }

  /** Takes up to `max` waiting keys in order, leaving those `skip` says must wait. */
  protected take(max: number, skip?: (key: string) => boolean): string[] {
    const out: string[] = [];
    for (const p of [...this.waiting.keys()].sort((a, b) => a - b)) {
      const set = this.waiting.get(p) as Set<string>;
      for (const key of set) {
        if (out.length >= max) break;
        if (skip?.(key)) continue;
        set.delete(key);
        out.push(key);
      }
      if (set.size === 0) this.waiting.delete(p);
      if (out.length >= max) break;
    }
    this.waitingCount -= out.length;
    return out;
  }

  /** Wakes the `idle()` waiters once nothing is waiting or being processed. */
  protected settle(): void {
    if (this.size !== 0) return;
    for (const w of this.idleWaiters.splice(0)) w();
  }
}
