import { KeyedWork } from './keyed-work.js';

/**
 * A work queue keyed by resource key (see `KeyedWork`) that processes one key at a time per call,
 * different keys concurrently up to `concurrency`. A key is never processed twice at once; a key marked
 * while it is being processed is processed again afterwards.
 */
export interface KeyedQueueOptions {
  concurrency: number;
  process: (key: string) => Promise<void>;
  /** Called when `process` throws; the queue goes on with other keys. */
  onError: (key: string, err: unknown) => void;
  priority?: (key: string) => number;
}

export class KeyedQueue extends KeyedWork {
  private readonly running = new Set<string>();

  constructor(private readonly opts: KeyedQueueOptions) {
    super(opts.priority);
  }

  protected get runningCount(): number {
    return this.running.size;
  }

  protected pump(): void {
    if (this.stopped) return;
    while (this.running.size < this.opts.concurrency) {
      const [key] = this.take(1, (k) => this.running.has(k));
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
}
