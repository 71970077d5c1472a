/**
 * Zone side of the sync.
 *
 * Global -> zone: on every (re)connect, an ordered consumer replays causeway-global from the start (the
 * last value of every key, then updates). Each entry is validated and stored as a copy
 * (`replicated: true, origin: 'global'`, label `causeway.io/origin: global`); deletions are applied; when
 * the replay is over, local copies the bucket no longer holds are deleted, so the zone converges exactly,
 * whatever it missed while it was disconnected. The copy lives in the zone's own store, so a zone keeps
 * serving it while NATS or global is down, also across its own restarts.
 *
 * Zone -> global: resources the zone owns (types with `sync: 'zone-to-global'`, except copies) are put
 * under `<zone>.` in causeway-zones as the store's change feed reports them; on every (re)connect the
 * zone replays its own prefix, republishes what differs and deletes its stale keys. A ZoneInsight
 * heartbeat is put every `heartbeatIntervalMs` (5 s).
 */
import { descriptorOf, jsonEqual, type Resource, RESOURCE_TYPES, type ResourceType, type ZoneInsightSpec } from '@causeway/core';
import { BatchError, type BatchOp, listAll, type ResourceStore } from '@causeway/store';
import type { KV } from '@nats-io/kv';
import type { Logger } from 'pino';
import type { NatsOptions } from './connection.js';
import { describeRef, GLOBAL_BUCKET, globalKey, parseGlobalKey, ZONE_KEYS, ZONES_BUCKET, zoneKey, zonePrefix } from './keys.js';
import { decodeGlobalEntry, GLOBAL_TO_ZONE_TYPES, isGlobalCopy, publishedByZone, toWire, typePriority, ZONE_LABEL, ZONE_TO_GLOBAL_TYPES } from './model.js';
import { KeyedBatcher } from './batcher.js';
import { Publisher } from './engine/publish.js';
import { inboxPrefixFor } from './nats-config.js';
import { type Session, SyncEngine } from './session.js';
import { errorText, formatDuration, isPermanentStoreError, permissionViolation, Signal, WarnOnce } from './util.js';
import { type KvChange, watchBucket } from './watch.js';

export interface ZoneSyncOptions {
  store: ResourceStore;
  zone: string;
  nats: NatsOptions;
  logger: Logger;
  /** Control plane version, reported in the heartbeat. */
  version: string;
  /** Proxies connected to this zone's xDS server, reported in the heartbeat (default 0). */
  connectedProxies?: () => number;
  /** Heartbeat interval (default 5000 ms). */
  heartbeatIntervalMs?: number;
  /** Publishes to causeway-zones in flight at once (default 16). */
  concurrency?: number;
  /** Most causeway-global entries applied to the store in one transaction (default 500). */
  batchSize?: number;
}

export interface ZoneSyncStatus {
  /** Connected to NATS (and so to global's bucket). */
  connected: boolean;
  nats: string;
  /** Why it is not connected. */
  reason?: string;
  /** When the connection last came up or went down. */
  since: string;
  /** Replaying causeway-global right now (after a (re)connect). */
  replaying: boolean;
  /** When the last full replay of causeway-global finished, and how long it took. */
  lastReplayTime?: string;
  lastReplayMs?: number;
  /** Highest causeway-global revision applied. */
  revision: number;
  /** Copies of global resources in this zone's store. */
  resources: number;
}

export interface ZoneSync {
  status(): ZoneSyncStatus;
  /** Resolves once the current connection's replay of causeway-global is applied (tests, benchmarks). */
  synced(): Promise<void>;
  close(): Promise<void>;
}

interface ZoneSessionState {
  /** Latest entry per causeway-global key seen in this session. */
  incoming: Map<string, KvChange>;
  /** Local copies when the session started (replay fast path and stale detection); cleared after the replay. */
  snapshot: Map<string, Resource>;
  replaying: boolean;
  zonesKv?: KV;
}

const EMPTY = new Uint8Array(0);

class ZoneSyncImpl extends SyncEngine implements ZoneSync {
  private readonly store: ResourceStore;
  private readonly zone: string;
  private readonly prefix: string;
  private readonly heartbeatKey: string;
  private readonly state = new WeakMap<Session, ZoneSessionState>();
  private readonly applyQueue: KeyedBatcher;
  private readonly publisher: Publisher;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private readonly replayDone = new Signal();
  private revision = 0;
  private copies = 0;
  private lastReplay: { time: string; ms: number } | undefined;
  private readonly warnOnce: WarnOnce;

  constructor(private readonly opts: ZoneSyncOptions) {
    super({
      nats: opts.nats,
      inboxPrefix: inboxPrefixFor({ zone: opts.zone }),
      clientName: `causeway-zone-${opts.zone}`,
      logger: opts.logger,
      peer: 'global',
    });
    this.store = opts.store;
    this.zone = opts.zone;
    this.prefix = zonePrefix(opts.zone);
    this.heartbeatKey = zoneKey(opts.zone, { type: 'ZoneInsight', name: opts.zone });
    this.applyQueue = new KeyedBatcher({
      maxBatch: opts.batchSize ?? 500,
      process: (keys) => this.applyGlobalKeys(keys),
      onError: (keys, err) => this.log.error({ keys: keys.length, first: keys[0], err: errorText(err) }, 'applying causeway-global entries failed'),
      priority: (key) => typePriority((parseGlobalKey(key)?.type ?? 'ExternalService') as ResourceType),
    });
    this.warnOnce = new WarnOnce(this.log);
    this.publisher = new Publisher({
      side: {
        keys: ZONE_KEYS,
        filter: `${this.prefix}.>`,
        types: ZONE_TO_GLOBAL_TYPES.filter((t) => t !== 'ZoneInsight'),
        keyOf: (r) => zoneKey(this.zone, r),
        publishes: publishedByZone,
        unmanaged: this.heartbeatKey,
        denied: (subject) => `NATS refused publishing to "${subject}": do --zone (${this.zone}) and the NATS user belong to the same zone? retrying every 30 s`,
      },
      store: opts.store,
      log: this.log,
      warnOnce: this.warnOnce,
      concurrency: opts.concurrency ?? 16,
      connected: () => this.link.connected,
    });
  }

  protected downMessage(): string {
    return 'lost the connection to global (NATS): serving the local copy of global resources until it is back';
  }

  async init(): Promise<void> {
    this.copies = await this.countCopies();
    this.publisher.follow(await this.store.revision());
    const interval = this.opts.heartbeatIntervalMs ?? 5000;
    this.heartbeatTimer = setInterval(() => void this.heartbeat(), interval);
    this.heartbeatTimer.unref();
    this.log.info({ nats: this.link.servers, copies: this.copies }, 'zone sync starting: serving the local copy of global resources until the first replay');
    this.start();
  }

  status(): ZoneSyncStatus {
    const s = this.session;
    const st = s ? this.state.get(s) : undefined;
    return {
      connected: this.link.connected,
      nats: this.link.servers,
      ...(this.link.connected ? {} : { reason: this.link.downReason }),
      since: this.since.toISOString(),
      replaying: st?.replaying ?? false,
      ...(this.lastReplay ? { lastReplayTime: this.lastReplay.time, lastReplayMs: this.lastReplay.ms } : {}),
      revision: this.revision,
      resources: this.copies,
    };
  }

  synced(): Promise<void> {
    return this.replayDone.wait();
  }

  async close(): Promise<void> {
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    await this.shutdown();
    await Promise.all([this.applyQueue.stop(), this.publisher.stop()]);
  }

  private async countCopies(): Promise<number> {
    let n = 0;
    for (const type of GLOBAL_TO_ZONE_TYPES) n += (await this.store.list(type, { origin: 'global', size: 1 })).total;
    return n;
  }

  // ------------------------------------------------------------------------------------------------
  // Session: replay causeway-global, resync our own prefix of causeway-zones.

  protected async run(s: Session): Promise<void> {
    const started = performance.now();
    this.replayDone.reset();
    this.applyQueue.clear();
    // The replay is applied in full batches; the rest goes when the replay is over.
    this.applyQueue.hold();
    this.publisher.begin();
    const st: ZoneSessionState = { incoming: new Map(), snapshot: new Map(), replaying: true };
    // Revisions are the bucket's stream sequences: start over (the bucket may have been recreated).
    this.revision = 0;
    this.state.set(s, st);
    await s.kvm.open(GLOBAL_BUCKET);
    st.zonesKv = await s.kvm.open(ZONES_BUCKET);

    for (const type of GLOBAL_TO_ZONE_TYPES) {
      for (const r of await listAll(this.store, type, { origin: 'global' })) st.snapshot.set(globalKey(r), r);
    }
    const initial = new Set(st.snapshot.keys());
    if (s.aborted) return;

    const watch = s.own(
      await watchBucket({
        js: s.js,
        bucket: GLOBAL_BUCKET,
        keys: '>',
        onChange: (c) => {
          if (s.aborted) return;
          st.incoming.set(c.key, c);
          this.applyQueue.mark(c.key);
        },
      }),
    );
    void watch.closed.then((err) => {
      if (!s.aborted) this.restart(s, `the causeway-global watch ended${err ? `: ${err.message}` : ''}`);
    });

    await this.resyncOwn(s, st.zonesKv);
    void this.heartbeat();

    await watch.replayed;
    // From here on, what arrives is applied at once (live updates do not wait for a batch to fill).
    this.applyQueue.release();
    await this.applyQueue.idle();
    if (s.aborted) return;
    // Whatever was a copy before the replay and is not in the bucket now was deleted at global meanwhile.
    let stale = 0;
    for (const key of initial) {
      if (st.incoming.get(key)?.op !== 'PUT') {
        stale++;
        st.incoming.set(key, { key, op: 'DEL', value: EMPTY, revision: 0 });
        this.applyQueue.mark(key);
      }
    }
    await this.applyQueue.idle();
    if (s.aborted) return;
    st.snapshot.clear();
    st.replaying = false;
    this.copies = await this.countCopies();
    const ms = Math.round(performance.now() - started);
    this.lastReplay = { time: new Date().toISOString(), ms };
    this.log.info({ entries: st.incoming.size, staleDeleted: stale, copies: this.copies, revision: this.revision, ms }, 'replayed causeway-global: the local copy matches global');
    this.replayDone.fire();
  }

  /** Replays our own prefix of causeway-zones, then publishes what differs from the store and deletes stale keys. */
  private async resyncOwn(s: Session, kv: KV): Promise<void> {
    const done = await this.publisher.resync(s, kv);
    if (done) this.log.info({ published: done.keys, changed: done.changed, staleDeleted: done.stale }, `resynced this zone's resources to causeway-zones`);
  }

  // ------------------------------------------------------------------------------------------------
  // Global -> zone

  /**
   * Applies the latest entry of each key in ONE store transaction. Every entry is decoded and validated
   * first; an invalid one is skipped with a warning (the local copy is left as it was), never half applied.
   * If the store refuses items (permanently), they are skipped with a warning and the rest is applied
   * again; on a transient error the keys are retried in 1 s.
   */
  private async applyGlobalKeys(keys: string[]): Promise<void> {
    const s = this.session;
    const st = s ? this.state.get(s) : undefined;
    if (!s || !st || s.aborted) return;
    let items: { key: string; what: string; revision: number; op: BatchOp }[] = [];
    let revision = 0;
    const done = (change: KvChange) => {
      if (change.revision > revision) revision = change.revision;
    };
    for (const key of keys) {
      const change = st.incoming.get(key);
      if (!change) continue;
      const ref = parseGlobalKey(key);
      if (!ref) {
        this.warnOnce.warn(key, 'ignoring a causeway-global key that is not <Type>.<mesh|_>.<name>');
        continue;
      }
      const owned = descriptorOf(ref.type).owner === 'global';
      try {
        if (change.op !== 'PUT') {
          // A relayed type (ZoneIngress) may be a resource of this zone under that name: not ours to delete.
          if (!owned) {
            const existing = await this.store.get(ref.type, ref.mesh, ref.name);
            if (!existing || !isGlobalCopy(existing)) {
              st.snapshot.delete(key);
              done(change);
              continue;
            }
          }
          items.push({ key, what: describeRef(ref), revision: change.revision, op: { op: 'delete', type: ref.type, ...(ref.mesh !== undefined ? { mesh: ref.mesh } : {}), name: ref.name, opts: { ifExists: true } } });
          continue;
        }
        const decoded = decodeGlobalEntry(ref, change.value);
        if (!decoded.resource) {
          this.warnOnce.warn(key, 'invalid entry in causeway-global: skipped (the local copy is left as it was)', { errors: decoded.errors });
          continue;
        }
        const r = decoded.resource;
        // Our own ZoneIngress, relayed by global to every zone: we have the original.
        if (descriptorOf(r.type).relayToZones && r.labels[ZONE_LABEL] === this.zone) continue;
        const snap = st.snapshot.get(key);
        if (snap && jsonEqual(snap.labels, r.labels) && jsonEqual(snap.spec, r.spec)) {
          done(change);
          continue;
        }
        if (!owned) {
          const existing = await this.store.get(r.type, r.mesh, r.name);
          if (existing && !isGlobalCopy(existing)) {
            this.warnOnce.warn(key, `${describeRef(r)} from global has the name of a resource of this zone: not replaced`);
            continue;
          }
        }
        items.push({ key, what: describeRef(r), revision: change.revision, op: { op: 'upsert', resource: r } });
      } catch (e) {
        // Only the store reads above can fail here (transiently).
        this.log.warn({ key, err: errorText(e) }, 'could not apply an entry of causeway-global; retrying in 1 s');
        s.later(1000, () => this.applyQueue.mark(key));
      }
    }

    while (items.length > 0 && !s.aborted) {
      try {
        await this.store.applyBatch(
          items.map((i) => i.op),
          { replicated: true, origin: 'global' },
        );
      } catch (e) {
        const refused = e instanceof BatchError ? e.failures.filter((f) => isPermanentStoreError(f.error)) : [];
        if (refused.length === 0) {
          if (s.aborted) return;
          this.log.warn({ entries: items.length, err: errorText(e) }, 'could not apply entries of causeway-global; retrying in 1 s');
          const retry = items.map((i) => i.key);
          s.later(1000, () => {
            for (const key of retry) this.applyQueue.mark(key);
          });
          return;
        }
        // Nothing was written: leave the refused entries out and apply the others.
        for (const f of refused) {
          const item = items[f.index];
          if (item) this.warnOnce.warn(item.key, `the store refused ${item.what} from global: skipped`, { err: errorText(f.error) });
        }
        const skip = new Set(refused.map((f) => f.index));
        items = items.filter((_, i) => !skip.has(i));
        continue;
      }
      for (const item of items) {
        if (item.revision > revision) revision = item.revision;
        if (item.op.op !== 'delete') continue;
        st.snapshot.delete(item.key);
        if (item.op.type === 'Mesh') {
          // The store deleted everything in the mesh: the snapshot no longer describes it.
          const mesh = item.op.name;
          for (const [k, r] of st.snapshot) if (r.mesh === mesh) st.snapshot.delete(k);
        }
      }
      break;
    }
    if (revision > this.revision) this.revision = revision;
  }

  // ------------------------------------------------------------------------------------------------
  // Zone -> global

  private async resourceCounts(): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    for (const type of RESOURCE_TYPES) {
      if (type === 'ZoneInsight' || type === 'Zone') continue;
      const n = (await this.store.list(type, { size: 1 })).total;
      if (n > 0) counts[type] = n;
    }
    return counts;
  }

  private async heartbeat(): Promise<void> {
    const s = this.session;
    const st = s ? this.state.get(s) : undefined;
    if (!s || !st?.zonesKv || s.aborted || !this.link.connected) return;
    try {
      const spec: ZoneInsightSpec = {
        controlPlaneVersion: this.opts.version,
        heartbeatTime: new Date().toISOString(),
        heartbeatInterval: formatDuration(this.opts.heartbeatIntervalMs ?? 5000),
        connectedProxies: this.opts.connectedProxies?.() ?? 0,
        lastSyncRevision: this.revision,
        globalConnected: true,
        resourceCounts: await this.resourceCounts(),
      };
      const insight = toWire({ type: 'ZoneInsight', name: this.zone, labels: {}, spec, version: 0 });
      await st.zonesKv.put(this.heartbeatKey, JSON.stringify(insight));
    } catch (e) {
      if (s.aborted) return;
      const denied = permissionViolation(e);
      if (denied !== undefined) this.warnOnce.warn(denied, `NATS refused the heartbeat on "${denied}": do --zone (${this.zone}) and the NATS user belong to the same zone?`);
      else this.log.debug({ err: errorText(e) }, 'heartbeat not sent');
    }
  }
}

/**
 * Starts the zone side. Returns at once: the zone serves its local copy while the first connection is
 * made in the background (and whenever NATS or global is unreachable).
 */
export async function startZoneSync(opts: ZoneSyncOptions): Promise<ZoneSync> {
  const sync = new ZoneSyncImpl(opts);
  await sync.init();
  return sync;
}
