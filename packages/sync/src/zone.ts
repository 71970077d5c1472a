/**
 * Zone side of the sync: what only a zone does. The loops themselves are engine/apply.ts and
 * engine/publish.ts, the same on both sides; this file says what they move and adds the rest.
 *
 * Global -> zone (the apply loop, on causeway-global): on every (re)connect the bucket is replayed from the
 * start (the last value of every key, then updates). Each entry is validated and stored as a copy
 * (`replicated: true, origin: 'global'`, label `causeway.io/origin: global`); deletions are applied; when
 * the replay is over, local copies the bucket no longer holds are deleted, so the zone converges exactly,
 * whatever it missed while it was disconnected. The copy lives in the zone's own store, so a zone keeps
 * serving it while NATS or global is down, also across its own restarts. A zone never touches a resource
 * of its own with what global relays.
 *
 * Zone -> global (the publish loop, on `<zone>.` of causeway-zones): resources the zone owns (types with
 * `sync: 'zone-to-global'`, except copies) as the store's change feed reports them; on every (re)connect
 * the zone reads its prefix back, republishes what differs and deletes its stale keys. A ZoneInsight
 * heartbeat is put every `heartbeatIntervalMs` (5 s).
 */
import { descriptorOf, jsonEqual, type Resource, RESOURCE_TYPES, type ZoneInsightSpec } from '@causeway/core';
import { listAll, type ResourceStore } from '@causeway/store';
import type { KV } from '@nats-io/kv';
import type { Logger } from 'pino';
import type { NatsOptions } from './connection.js';
import { Applier, type ApplyItem } from './engine/apply.js';
import { Publisher } from './engine/publish.js';
import { type Following, type Session, SyncEngine } from './engine/session.js';
import { describeRef, GLOBAL_BUCKET, GLOBAL_KEYS, globalKey, type ResourceRef, ZONE_KEYS, ZONES_BUCKET, zoneKey, zonePrefix } from './keys.js';
import { decodeGlobalEntry, GLOBAL_TO_ZONE_TYPES, isGlobalCopy, publishedByZone, toWire, ZONE_LABEL, ZONE_TO_GLOBAL_TYPES } from './model.js';
import { inboxPrefixFor } from './nats-config.js';
import { errorText, formatDuration, permissionViolation, Signal, WarnOnce } from './util.js';
import type { KvChange } from './watch.js';

export interface ZoneSyncOptions {
  store: ResourceStore;
  zone: string;
  nats: NatsOptions;
  logger: Logger;
  /** Control plane version, reported in the heartbeat. */
  version: string;
  /** Proxies connected to the zone (any replica), reported in the heartbeat (default 0); may be read from the store. */
  connectedProxies?: () => number | Promise<number>;
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
  /** Local copies when the session started (replay fast path and stale detection); cleared after the replay. */
  snapshot: Map<string, Resource>;
  replaying: boolean;
  zonesKv?: KV;
}

/** A write of a causeway-global entry to this zone's copy. */
interface CopyItem extends ApplyItem {
  what: string;
}

class ZoneSyncImpl extends SyncEngine implements ZoneSync {
  private readonly store: ResourceStore;
  private readonly zone: string;
  private readonly heartbeatKey: string;
  private readonly state = new WeakMap<Session, ZoneSessionState>();
  private readonly applier: Applier<ResourceRef, CopyItem>;
  private readonly publisher: Publisher;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private readonly replayDone = new Signal();
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
    this.heartbeatKey = zoneKey(opts.zone, { type: 'ZoneInsight', name: opts.zone });
    this.warnOnce = new WarnOnce(this.log);
    this.applier = new Applier({
      side: {
        keys: GLOBAL_KEYS,
        prepare: (ref, key, change) => this.prepare(ref, key, change),
        batchOptions: { replicated: true, origin: 'global' },
        applied: (items) => this.applied(items),
        refused: (item, err) => this.warnOnce.warn(item.key, `the store refused ${item.what} from global: skipped`, { err: errorText(err) }),
      },
      store: opts.store,
      log: this.log,
      warnOnce: this.warnOnce,
      batchSize: opts.batchSize ?? 500,
    });
    this.publisher = new Publisher({
      side: {
        keys: ZONE_KEYS,
        filter: `${zonePrefix(opts.zone)}.>`,
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
    return {
      ...this.linkStatus(),
      replaying: this.current()?.replaying ?? false,
      ...(this.lastReplay ? { lastReplayTime: this.lastReplay.time, lastReplayMs: this.lastReplay.ms } : {}),
      revision: this.applier.revision,
      resources: this.copies,
    };
  }

  synced(): Promise<void> {
    return this.replayDone.wait();
  }

  async close(): Promise<void> {
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    await this.shutdown();
    await Promise.all([this.applier.stop(), this.publisher.stop()]);
  }

  private current(): ZoneSessionState | undefined {
    const s = this.session;
    return s ? this.state.get(s) : undefined;
  }

  private async countCopies(): Promise<number> {
    let n = 0;
    for (const type of GLOBAL_TO_ZONE_TYPES) n += (await this.store.list(type, { origin: 'global', size: 1 })).total;
    return n;
  }

  /** A session: replay causeway-global into the local copy, resync our own prefix of causeway-zones. */
  protected async run(s: Session): Promise<void> {
    this.publisher.begin();
    const st: ZoneSessionState = { snapshot: new Map(), replaying: true };
    this.state.set(s, st);
    const zonesKv = await s.kvm.open(ZONES_BUCKET);
    st.zonesKv = zonesKv;
    // This zone's resources first: a zone whose NATS user may not write its prefix never claims to be in sync.
    const own = await this.publisher.resync(s, zonesKv);
    if (!own) return;
    this.log.info({ published: own.keys, changed: own.changed, staleDeleted: own.stale }, `resynced this zone's resources to causeway-zones`);
    void this.heartbeat();
    await this.following(s, GLOBAL_BUCKET, () => this.followGlobal(s, st));
  }

  /**
   * Replays causeway-global into the local copy and follows it. Runs again on a new watch when the watch
   * ends (`following`); publishing this zone's resources goes on meanwhile.
   */
  private async followGlobal(s: Session, st: ZoneSessionState): Promise<Following> {
    const started = performance.now();
    this.replayDone.reset();
    this.applier.begin(s);
    st.replaying = true;
    st.snapshot = new Map();
    for (const type of GLOBAL_TO_ZONE_TYPES) {
      for (const r of await listAll(this.store, type, { origin: 'global' })) st.snapshot.set(globalKey(r), r);
    }
    const initial = [...st.snapshot.keys()];
    const watch = await this.applier.follow(s);
    // Whatever was a copy before the replay and is not in the bucket now was deleted at global meanwhile.
    const done = await this.applier.converge(s, watch, () => initial);
    if (done) {
      st.snapshot.clear();
      st.replaying = false;
      this.copies = await this.countCopies();
      const ms = Math.round(performance.now() - started);
      this.lastReplay = { time: new Date().toISOString(), ms };
      this.log.info({ entries: done.entries, staleDeleted: done.stale, copies: this.copies, revision: this.applier.revision, ms }, 'replayed causeway-global: the local copy matches global');
      this.replayDone.fire();
    }
    return { ended: watch.closed };
  }

  /**
   * A causeway-global entry as a write to the local copy, decoded and validated (an invalid one is
   * skipped with a warning, the local copy left as it was). Never touches a resource of this zone: its
   * own ZoneIngress relayed back is skipped, and a relayed one with the name of a local one is not applied.
   */
  private async prepare(ref: ResourceRef, key: string, change: KvChange): Promise<CopyItem | 'in-sync' | undefined> {
    const snapshot = this.current()?.snapshot;
    const owned = descriptorOf(ref.type).owner === 'global';
    if (change.op !== 'PUT') {
      // A relayed type (ZoneIngress) may be a resource of this zone under that name: not ours to delete.
      if (!owned) {
        const existing = await this.store.get(ref.type, ref.mesh, ref.name);
        if (!existing || !isGlobalCopy(existing)) {
          snapshot?.delete(key);
          return 'in-sync';
        }
      }
      return { key, what: describeRef(ref), op: { op: 'delete', type: ref.type, ...(ref.mesh !== undefined ? { mesh: ref.mesh } : {}), name: ref.name, opts: { ifExists: true } } };
    }
    const decoded = decodeGlobalEntry(ref, change.value);
    if (!decoded.resource) {
      this.warnOnce.warn(key, 'invalid entry in causeway-global: skipped (the local copy is left as it was)', { errors: decoded.errors });
      return undefined;
    }
    const r = decoded.resource;
    // Our own ZoneIngress, relayed by global to every zone: we have the original.
    if (descriptorOf(r.type).relayToZones && r.labels[ZONE_LABEL] === this.zone) return undefined;
    const snap = snapshot?.get(key);
    if (snap && jsonEqual(snap.labels, r.labels) && jsonEqual(snap.spec, r.spec)) return 'in-sync';
    if (!owned) {
      const existing = await this.store.get(r.type, r.mesh, r.name);
      if (existing && !isGlobalCopy(existing)) {
        this.warnOnce.warn(key, `${describeRef(r)} from global has the name of a resource of this zone: not replaced`);
        return undefined;
      }
    }
    return { key, what: describeRef(r), op: { op: 'upsert', resource: r } };
  }

  /** Deleted copies leave the snapshot (a deleted Mesh takes everything in it along). */
  private applied(items: readonly CopyItem[]): void {
    const snapshot = this.current()?.snapshot;
    if (!snapshot) return;
    for (const item of items) {
      if (item.op.op !== 'delete') continue;
      snapshot.delete(item.key);
      if (item.op.type === 'Mesh') {
        const mesh = item.op.name;
        for (const [k, r] of snapshot) if (r.mesh === mesh) snapshot.delete(k);
      }
    }
  }

  // ------------------------------------------------------------------------------------------------
  // Heartbeat

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
    const st = this.current();
    if (!s || !st?.zonesKv || s.aborted || !this.link.connected) return;
    try {
      const spec: ZoneInsightSpec = {
        controlPlaneVersion: this.opts.version,
        heartbeatTime: new Date().toISOString(),
        heartbeatInterval: formatDuration(this.opts.heartbeatIntervalMs ?? 5000),
        connectedProxies: (await this.opts.connectedProxies?.()) ?? 0,
        lastSyncRevision: this.applier.revision,
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
