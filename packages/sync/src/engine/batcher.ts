import { KeyedWork } from './keyed-work.js';

/**
 * A work queue keyed by resource key that hands out keys in batches (see `KeyedWork`). One batch runs
 * at a time, so a key is never processed twice at once; a key marked while its batch runs goes into the
 * next one.
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

export class KeyedBatcher extends KeyedWork {
  private running = 0;
  private holding = false;

  constructor(private readonly opts: KeyedBatcherOptions) {
    super(opts.priority);
    if (!Number.isInteger(opts.maxBatch) || opts.maxBatch < 1) throw new RangeError(`maxBatch must be a positive integer, got ${opts.maxBatch}`);
  }

  protected get runningCount(): number {
    return this.running;
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

  protected pump(): void {
    if (this.running > 0 || this.waitingSize === 0 || this.stopped) return;
    if (this.holding && this.waitingSize < this.opts.maxBatch) return;
    const batch = this.take(this.opts.maxBatch);
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
}
