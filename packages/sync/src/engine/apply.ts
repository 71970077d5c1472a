/**
 * The apply loop, bucket -> local store, the same on both sides (a zone: causeway-global; global:
 * causeway-zones). A watch replays the bucket from the start and follows it; the latest entry of each key
 * is kept (`incoming`) and its key marked in a `KeyedBatcher`, which writes batches of at most
 * `batchSize` keys in one store transaction each: only full batches while replaying, then whatever is
 * waiting, then every live update at once. The side turns each entry into a store write (`prepare`:
 * decoding and validation via model.ts, what it may and may not touch); the store validates the batch
 * again, and an item it refuses is skipped (`refused`) while the rest is applied in one more transaction.
 * A transient error retries the keys in 1 s. When the replay is applied, what the store holds and the
 * bucket does not is deleted (`converge`): the side converges exactly, whatever it missed. A deleted key
 * is forgotten once its delete is done (written, already so, or nothing to do): to the apply loop, a key
 * it holds no entry for is a deleted one, so `incoming` holds what the bucket holds, not every key the
 * session ever saw deleted (issue #20: it grew by one entry per deleted resource, for as long as the
 * connection lasted).
 */
import { BatchError, type BatchOp, type BatchOptions, type BatchResult, type ResourceStore } from '@causeway/store';
import type { Logger } from 'pino';
import { KeyedBatcher } from './batcher.js';
import type { KeySpace, ResourceRef } from '../keys.js';
import { keyPriority } from '../model.js';
import type { Session } from './session.js';
import { errorText, isPermanentStoreError, type WarnOnce } from '../util.js';
import { type BucketWatch, type KvChange, watchBucket } from '../watch.js';

/** One store write of a batch. */
export interface ApplyItem {
  key: string;
  op: BatchOp;
  /**
   * The resource it writes, when two keys can name the same one (a deleted ZoneInsight key): the second
   * waits for the next batch. Default: the key.
   */
  target?: string;
}

/** How one side applies the bucket it follows. */
export interface ApplySide<R extends ResourceRef, I extends ApplyItem> {
  keys: KeySpace<R>;
  /**
   * The latest entry of a key as a store write: an item, `'in-sync'` (the store has it already), or
   * undefined (skipped: the side said why). Throws on a transient error (a store read): retried in 1 s.
   */
  prepare(ref: R, key: string, change: KvChange): Promise<I | 'in-sync' | undefined>;
  /** Defaults of every write of a batch. */
  batchOptions?: BatchOptions;
  /** After a batch was written. */
  applied?(items: readonly I[], results: readonly BatchResult[]): void;
  /** An item the store refused (it will not take it as it is): skipped, the others are applied. */
  refused(item: I, err: unknown): void;
}

export interface ApplierOptions<R extends ResourceRef, I extends ApplyItem> {
  side: ApplySide<R, I>;
  store: ResourceStore;
  log: Logger;
  warnOnce: WarnOnce;
  /** Most keys per store transaction. */
  batchSize: number;
}

const EMPTY = new Uint8Array(0);

export class Applier<R extends ResourceRef, I extends ApplyItem> {
  private readonly queue: KeyedBatcher;
  private session: Session | undefined;
  /** Latest entry per key in this session; a deleted key only until its delete is done. */
  private incoming = new Map<string, KvChange>();
  private highest = 0;

  constructor(private readonly opts: ApplierOptions<R, I>) {
    const { keys } = opts.side;
    this.queue = new KeyedBatcher({
      maxBatch: opts.batchSize,
      process: (batch) => this.apply(batch),
      onError: (batch, err) => this.opts.log.error({ keys: batch.length, first: batch[0], err: errorText(err) }, `applying ${keys.bucket} entries failed`),
      priority: (key) => keyPriority(keys, key),
    });
  }

  /** Highest revision of the bucket the store has caught up with in this session. */
  get revision(): number {
    return this.highest;
  }

  /** A new session or a new watch: forget the last one's entries; batches wait to be full until the replay is applied. */
  begin(s: Session): void {
    this.session = s;
    this.incoming = new Map();
    // Revisions are the bucket's stream sequences: start over (the bucket may have been recreated).
    this.highest = 0;
    this.queue.clear();
    this.queue.hold();
  }

  /** Replays the bucket from the start and follows it (until the watch ends: `closed`). */
  async follow(s: Session): Promise<BucketWatch> {
    const { bucket } = this.opts.side.keys;
    return s.own(
      await watchBucket({
        js: s.js,
        bucket,
        keys: '>',
        onChange: (c) => this.receive(s, c),
      }),
    );
  }

  /** An entry of the bucket (from the watch): kept as its key's latest, the key marked to be applied. */
  receive(s: Session, c: KvChange): void {
    if (s.aborted) return;
    this.incoming.set(c.key, c);
    this.queue.mark(c.key);
  }

  /** Resolves when every marked key has been applied (or given up on). */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  /** How many keys the applier holds an entry for. */
  get held(): number {
    return this.incoming.size;
  }

  /** A delete is done: its entry goes (unless a newer entry of the key came meanwhile). */
  private deleted(change: KvChange): void {
    if (change.op !== 'PUT' && this.incoming.get(change.key) === change) this.incoming.delete(change.key);
  }

  /**
   * Waits for the replay and applies it; then deletes the keys of what the store held (`local`) that the
   * bucket does not hold now. Undefined when the session or the watch ended meanwhile (a replay cut short
   * deletes nothing).
   */
  async converge(s: Session, w: BucketWatch, local: () => Promise<Iterable<string>> | Iterable<string>): Promise<{ entries: number; stale: number } | undefined> {
    if (!(await w.replayed)) return undefined;
    // From here on, what arrives is applied at once (a live update does not wait for a batch to fill).
    this.queue.release();
    await this.queue.idle();
    if (s.aborted) return undefined;
    let stale = 0;
    for (const key of await local()) {
      if (this.incoming.get(key)?.op !== 'PUT') {
        stale++;
        this.incoming.set(key, { key, op: 'DEL', value: EMPTY, revision: 0 });
        this.queue.mark(key);
      }
    }
    await this.queue.idle();
    if (s.aborted) return undefined;
    return { entries: this.incoming.size, stale };
  }

  /** Applies again the latest entry of every key `which` picks (a zone enabled again). */
  reapply(which: (key: string) => boolean): void {
    for (const key of this.incoming.keys()) if (which(key)) this.queue.mark(key);
  }

  stop(): Promise<void> {
    return this.queue.stop();
  }

  private caughtUp(s: Session, revision: number): void {
    if (this.session === s && revision > this.highest) this.highest = revision;
  }

  /** Applies the latest entry of each key in ONE store transaction (see the file's comment). */
  private async apply(keys: string[]): Promise<void> {
    const s = this.session;
    if (!s || s.aborted) return;
    const { side, store, log } = this.opts;
    const { bucket, format } = side.keys;
    let items: { item: I; change: KvChange }[] = [];
    const targets = new Set<string>();
    for (const key of keys) {
      const change = this.incoming.get(key);
      if (!change) continue;
      const ref = side.keys.parse(key);
      if (!ref) {
        this.opts.warnOnce.warn(key, `ignoring a ${bucket} key that is not ${format}`);
        continue;
      }
      try {
        const item = await side.prepare(ref, key, change);
        if (item === 'in-sync') {
          this.caughtUp(s, change.revision);
          this.deleted(change);
        } else if (item && targets.has(item.target ?? key)) this.queue.mark(key);
        else if (item) {
          targets.add(item.target ?? key);
          items.push({ item, change });
        } else this.deleted(change); // skipped: for a delete, nothing to do
      } catch (e) {
        if (s.aborted) return;
        log.warn({ key, err: errorText(e) }, `could not apply an entry of ${bucket}; retrying in 1 s`);
        s.later(1000, () => this.queue.mark(key));
      }
    }

    while (items.length > 0 && !s.aborted) {
      try {
        const results = await store.applyBatch(
          items.map((i) => i.item.op),
          side.batchOptions,
        );
        for (const i of items) {
          this.caughtUp(s, i.change.revision);
          this.deleted(i.change);
        }
        side.applied?.(
          items.map((i) => i.item),
          results,
        );
        return;
      } catch (e) {
        const refused = e instanceof BatchError ? e.failures.filter((f) => isPermanentStoreError(f.error)) : [];
        if (refused.length === 0) {
          if (s.aborted) return;
          log.warn({ entries: items.length, err: errorText(e) }, `could not apply entries of ${bucket}; retrying in 1 s`);
          const retry = items.map((i) => i.item.key);
          s.later(1000, () => {
            for (const key of retry) this.queue.mark(key);
          });
          return;
        }
        // Nothing was written: leave the refused entries out and apply the others.
        for (const f of refused) {
          const i = items[f.index];
          if (i) side.refused(i.item, f.error);
        }
        const skip = new Set(refused.map((f) => f.index));
        items = items.filter((_, i) => !skip.has(i));
      }
    }
  }
}
