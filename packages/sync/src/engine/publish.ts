/**
 * The publish loop, local store -> bucket, the same on both sides (global: causeway-global; a zone: its
 * prefix of causeway-zones). The store's change feed marks keys; a worker (`KeyedQueue`, up to
 * `concurrency` keys in flight) puts or deletes each key from what the store holds at that moment,
 * compared with `published` (the bucket as this session read or wrote it), so an unchanged resource is
 * not put again. On every (re)connect `resync` reads the bucket back, marks every key that differs from
 * the store (missing, changed, stale) and waits until they are written. A failed write is retried in 1 s
 * (30 s when NATS refused it: a misconfiguration, said once).
 */
import { jsonEqual, type Resource, type ResourceType } from '@causeway/core';
import { listAll, type ResourceStore, type Subscription } from '@causeway/store';
import type { KV } from '@nats-io/kv';
import type { Logger } from 'pino';
import type { KeySpace, ResourceRef } from '../keys.js';
import { keyPriority, toWire } from '../model.js';
import { KeyedQueue } from './queue.js';
import type { Session } from './session.js';
import { errorText, markDifferences, permissionViolation, type WarnOnce } from '../util.js';

/** What one side publishes, and where. */
export interface PublishSide {
  keys: KeySpace;
  /** The part of the bucket this side writes (`>`, or `<zone>.>`). */
  filter: string;
  /** Types it publishes: followed in the store's change feed, listed at every resync. */
  types: readonly ResourceType[];
  keyOf(r: ResourceRef): string;
  /** Whether a stored resource of one of `types` goes out (not a copy; a GlobalSecret only when labelled). */
  publishes(r: Resource): boolean;
  /** A key under `filter` that something else writes (the zone's heartbeat): left out of the resync. */
  unmanaged?: string;
  /** The warning when NATS refuses a write (retried every 30 s); without it, retried in 1 s like any error. */
  denied?: (subject: string) => string;
}

export interface PublisherOptions {
  side: PublishSide;
  store: ResourceStore;
  log: Logger;
  warnOnce: WarnOnce;
  /** Writes in flight at once. */
  concurrency: number;
  /** Whether the NATS link is up. */
  connected: () => boolean;
}

export class Publisher {
  private readonly queue: KeyedQueue;
  private readonly types: ReadonlySet<ResourceType>;
  private feed: Subscription | undefined;
  /** The bucket as this session read or wrote it (key -> value), once `resync` has read it. */
  private current: { s: Session; kv: KV; published: Map<string, unknown> } | undefined;

  constructor(private readonly opts: PublisherOptions) {
    const { keys } = opts.side;
    this.types = new Set(opts.side.types);
    this.queue = new KeyedQueue({
      concurrency: opts.concurrency,
      process: (key) => this.publish(key),
      onError: (key, err) => this.opts.log.error({ key, err: errorText(err) }, `publishing to ${keys.bucket} failed`),
      priority: (key) => keyPriority(keys, key),
    });
  }

  /** Keys this session has in the bucket. */
  get size(): number {
    const c = this.current;
    return c && !c.s.aborted ? c.published.size : 0;
  }

  /** Follows the store's change feed from `revision`: every change of a published type marks its key. */
  follow(revision: number): void {
    this.feed = this.opts.store.watch(revision, (e) => {
      if (this.types.has(e.type)) this.queue.mark(this.opts.side.keyOf(e));
    });
  }

  /** A new session: what was marked for the last one is covered by this one's resync. */
  begin(): void {
    this.current = undefined;
    this.queue.clear();
  }

  /**
   * Reads this side's part of the bucket, writes what differs from the store (missing or changed keys put,
   * stale ones deleted) and waits until that is done. Undefined when the session ended meanwhile.
   */
  async resync(s: Session, kv: KV): Promise<{ keys: number; changed: number; stale: number } | undefined> {
    const { side, store } = this.opts;
    const published = await s.readBucket(side.keys.bucket, side.filter);
    if (s.aborted) return undefined;
    if (side.unmanaged !== undefined) published.delete(side.unmanaged);
    this.current = { s, kv, published };
    const wanted = new Map<string, unknown>();
    for (const type of side.types) for (const r of await listAll(store, type)) if (side.publishes(r)) wanted.set(side.keyOf(r), toWire(r));
    const { changed, stale } = markDifferences(published, wanted, (key) => this.queue.mark(key));
    await this.queue.idle();
    if (s.aborted) return undefined;
    return { keys: wanted.size, changed, stale };
  }

  async stop(): Promise<void> {
    this.feed?.close();
    await this.queue.stop();
  }

  private async publish(key: string): Promise<void> {
    const c = this.current;
    // Not connected or not resynced yet: the resync of the next session covers it.
    if (!c || c.s.aborted || !this.opts.connected()) return;
    const { s, kv, published } = c;
    const { side, store, log } = this.opts;
    try {
      const ref = side.keys.parse(key);
      // Not a key this scheme produces (written by hand?): it has no place in the bucket.
      const r = ref ? await store.get(ref.type, ref.mesh, ref.name) : undefined;
      const desired = r && side.publishes(r) ? toWire(r) : undefined;
      const current = published.get(key);
      if (desired !== undefined) {
        if (current !== undefined && jsonEqual(current, desired)) return;
        await kv.put(key, JSON.stringify(desired));
        published.set(key, desired);
        log.debug({ key }, 'published');
      } else if (current !== undefined) {
        await kv.delete(key);
        published.delete(key);
        log.debug({ key }, 'deleted');
      }
    } catch (e) {
      if (s.aborted) return;
      published.delete(key);
      const denied = side.denied ? permissionViolation(e) : undefined;
      if (denied !== undefined && side.denied) {
        // Misconfiguration, not a glitch: say so once per subject and retry slowly.
        this.opts.warnOnce.warn(denied, side.denied(denied));
        s.later(30_000, () => this.queue.mark(key));
        return;
      }
      log.warn({ key, err: errorText(e) }, `could not publish to ${side.keys.bucket}; retrying in 1 s`);
      s.later(1000, () => this.queue.mark(key));
    }
  }
}
