/**
 * Global side of the sync.
 *
 * Global -> zones: global writes Postgres first (the API), then NATS: the store's change feed marks keys,
 * and a worker puts (or deletes) each key of causeway-global from what the store holds at that moment.
 * At start and on every NATS reconnect the whole bucket is reconciled with the store (missing keys added,
 * changed ones updated, stale ones deleted). Published: types with `sync: 'global-to-zones'` (a
 * GlobalSecret only when labelled `causeway.io/sync-to-zones: "true"`) and the zone-owned types global
 * relays (`relayToZones`: every zone's ZoneIngress, so zones learn each other's ingresses).
 *
 * Zones -> global: causeway-zones is watched from the start of history; each entry is validated like an
 * API write and stored with `origin: 'zone'` and the zone of its KEY (a zone cannot speak for another),
 * renamed `<name>.<zone>`. Invalid entries are logged with their key and skipped. A deleted key deletes the
 * resource; after the replay, zone-originated resources whose key is gone are deleted. The first entry of
 * a zone creates its `Zone` resource; its ZoneInsight heartbeats are stored as they come.
 */
import { descriptorOf, isCausewayError, type ResourceType } from '@causeway/core';
import { BatchError, type BatchOp, listAll, type ResourceStore } from '@causeway/store';
import type { KV } from '@nats-io/kv';
import type { Logger } from 'pino';
import type { NatsOptions } from './connection.js';
import { describeRef, GLOBAL_BUCKET, GLOBAL_KEYS, globalKey, parseZoneKey, ZONES_BUCKET, zoneKey, zonePrefix } from './keys.js';
import { decodeZoneEntry, GLOBAL_TO_ZONE_TYPES, globalNameOf, publishedByGlobal, ZONE_LABEL, ZONE_TO_GLOBAL_TYPES, zoneNameOf } from './model.js';
import { KeyedBatcher } from './batcher.js';
import { CONSUMER_SWEEP_MS, sweepConsumers } from './consumer-sweep.js';
import { Publisher } from './engine/publish.js';
import { inboxPrefixFor } from './nats-config.js';
import { type Session, SyncEngine } from './session.js';
import { errorText, isPermanentStoreError, Signal, WarnOnce } from './util.js';
import { type KvChange, watchBucket } from './watch.js';

export interface GlobalSyncOptions {
  store: ResourceStore;
  nats: NatsOptions;
  logger: Logger;
  /** KV writes in flight at once (default 16). */
  concurrency?: number;
  /** Most causeway-zones entries applied to the store in one transaction (default 500). */
  batchSize?: number;
  /** KV bucket history (default 1: only the last value of each key is kept). */
  history?: number;
  /** How long a Zone's `enabled` flag is cached (default 5000 ms). */
  zoneCacheMs?: number;
  /** How often durable or long-lived consumers of the KV streams are deleted (default 30000 ms; consumer-sweep.ts). */
  consumerSweepMs?: number;
}

export interface GlobalSyncStatus {
  connected: boolean;
  nats: string;
  reason?: string;
  since: string;
  /** When causeway-global was last reconciled with the store, and how long it took. */
  lastReconcileTime?: string;
  lastReconcileMs?: number;
  /** Keys in causeway-global. */
  published: number;
  /** Zones that sent something since this process started. */
  zones: string[];
}

export interface GlobalSync {
  status(): GlobalSyncStatus;
  /** Resolves once the current connection's reconcile and zone replay are done (tests, benchmarks). */
  synced(): Promise<void>;
  close(): Promise<void>;
}

interface GlobalSessionState {
  /** Latest causeway-zones entry per key in this session. */
  inbound: Map<string, KvChange>;
}

const EMPTY = new Uint8Array(0);

class GlobalSyncImpl extends SyncEngine implements GlobalSync {
  private readonly store: ResourceStore;
  private readonly state = new WeakMap<Session, GlobalSessionState>();
  private readonly publisher: Publisher;
  private readonly inQueue: KeyedBatcher;
  private readonly ready = new Signal();
  private lastReconcile: { time: string; ms: number } | undefined;
  private readonly zones = new Map<string, { enabled: boolean; checked: number }>();
  private readonly disabledWarned = new Set<string>();

  constructor(private readonly opts: GlobalSyncOptions) {
    super({ nats: opts.nats, inboxPrefix: inboxPrefixFor('global'), clientName: 'causeway-global', logger: opts.logger, peer: 'the zones' });
    this.store = opts.store;
    this.publisher = new Publisher({
      side: { keys: GLOBAL_KEYS, filter: '>', types: GLOBAL_TO_ZONE_TYPES, keyOf: globalKey, publishes: publishedByGlobal },
      store: opts.store,
      log: this.log,
      warnOnce: new WarnOnce(this.log),
      concurrency: opts.concurrency ?? 16,
      connected: () => this.link.connected,
    });
    this.inQueue = new KeyedBatcher({
      maxBatch: opts.batchSize ?? 500,
      process: (keys) => this.applyZoneKeys(keys),
      onError: (keys, err) => this.log.error({ keys: keys.length, first: keys[0], err: errorText(err) }, 'applying causeway-zones entries failed'),
    });
  }

  protected downMessage(): string {
    return 'lost the connection to NATS: zones keep serving their copies; changes are published when it is back';
  }

  async init(): Promise<void> {
    this.publisher.follow(await this.store.revision());
    this.log.info({ nats: this.link.servers }, 'global sync starting');
    this.start();
  }

  status(): GlobalSyncStatus {
    return {
      connected: this.link.connected,
      nats: this.link.servers,
      ...(this.link.connected ? {} : { reason: this.link.downReason }),
      since: this.since.toISOString(),
      ...(this.lastReconcile ? { lastReconcileTime: this.lastReconcile.time, lastReconcileMs: this.lastReconcile.ms } : {}),
      published: this.publisher.size,
      zones: [...this.zones.keys()].sort(),
    };
  }

  synced(): Promise<void> {
    return this.ready.wait();
  }

  async close(): Promise<void> {
    await this.shutdown();
    await Promise.all([this.publisher.stop(), this.inQueue.stop()]);
  }

  protected async run(s: Session): Promise<void> {
    this.ready.reset();
    this.publisher.begin();
    this.inQueue.clear();
    // The replay of causeway-zones is applied in full batches; the rest goes when the replay is over.
    this.inQueue.hold();
    const st: GlobalSessionState = { inbound: new Map() };
    this.state.set(s, st);
    const history = this.opts.history ?? 1;
    const globalKv = await s.kvm.create(GLOBAL_BUCKET, { history, description: 'Causeway: resources global syncs to every zone' });
    await s.kvm.create(ZONES_BUCKET, { history, description: 'Causeway: resources each zone syncs to global, keys prefixed by the zone' });
    if (s.aborted) return;
    this.sweepConsumers(s);
    await Promise.all([this.reconcile(s, globalKv), this.followZones(s, st)]);
    if (!s.aborted) this.ready.fire();
  }

  /** Deletes consumers of the KV streams that could outlive their client (consumer-sweep.ts), now and periodically. */
  private sweepConsumers(s: Session): void {
    void sweepConsumers(s.js)
      .then((swept) => {
        for (const c of swept) this.log.warn({ stream: c.stream, consumer: c.name, reason: c.reason, deliverSubject: c.deliverSubject }, 'deleted a consumer of a sync stream that could outlive its client');
      })
      .catch((e: unknown) => {
        if (!s.aborted) this.log.warn({ err: errorText(e) }, 'could not sweep the consumers of the sync streams');
      })
      .finally(() => s.later(this.opts.consumerSweepMs ?? CONSUMER_SWEEP_MS, () => this.sweepConsumers(s)));
  }

  // ------------------------------------------------------------------------------------------------
  // Global -> zones

  private async reconcile(s: Session, kv: KV): Promise<void> {
    const started = performance.now();
    const done = await this.publisher.resync(s, kv);
    if (!done) return;
    const ms = Math.round(performance.now() - started);
    this.lastReconcile = { time: new Date().toISOString(), ms };
    this.log.info({ keys: done.keys, addedOrUpdated: done.changed, staleDeleted: done.stale, ms }, 'reconciled causeway-global with the store');
  }

  // ------------------------------------------------------------------------------------------------
  // Zones -> global

  private async followZones(s: Session, st: GlobalSessionState): Promise<void> {
    const started = performance.now();
    const w = s.own(
      await watchBucket({
        js: s.js,
        bucket: ZONES_BUCKET,
        keys: '>',
        onChange: (c) => {
          if (s.aborted) return;
          st.inbound.set(c.key, c);
          this.inQueue.mark(c.key);
        },
      }),
    );
    void w.closed.then((err) => {
      if (!s.aborted) this.restart(s, `the causeway-zones watch ended${err ? `: ${err.message}` : ''}`);
    });
    await w.replayed;
    // From here on, what arrives is applied at once (a heartbeat does not wait for a batch to fill).
    this.inQueue.release();
    await this.inQueue.idle();
    if (s.aborted) return;
    // Zone resources whose key is gone (deleted while global was away and the delete marker purged).
    let stale = 0;
    for (const type of ZONE_TO_GLOBAL_TYPES) {
      for (const r of await listAll(this.store, type, { origin: 'zone' })) {
        const zone = r.labels[ZONE_LABEL];
        const name = zone ? zoneNameOf(zone, type, r.name) : undefined;
        if (!zone || name === undefined) continue;
        const key = zoneKey(zone, { type, ...(r.mesh !== undefined ? { mesh: r.mesh } : {}), name });
        if (st.inbound.get(key)?.op !== 'PUT') {
          stale++;
          st.inbound.set(key, { key, op: 'DEL', value: EMPTY, revision: 0 });
          this.inQueue.mark(key);
        }
      }
    }
    await this.inQueue.idle();
    if (s.aborted) return;
    this.log.info({ entries: st.inbound.size, staleDeleted: stale, ms: Math.round(performance.now() - started) }, 'replayed causeway-zones');
  }

  /** Creates the Zone the first time it is seen; false when the Zone is disabled (its entries are ignored). */
  private async zoneEnabled(zone: string): Promise<boolean> {
    const cached = this.zones.get(zone);
    if (cached && Date.now() - cached.checked < (this.opts.zoneCacheMs ?? 5000)) return cached.enabled;
    let z = await this.store.get('Zone', undefined, zone);
    if (!z) {
      try {
        z = await this.store.create({ type: 'Zone', name: zone, labels: {}, spec: { enabled: true }, version: 0 });
        this.log.info({ zone }, 'new zone: created its Zone resource');
      } catch (e) {
        if (!isCausewayError(e, 'ALREADY_EXISTS')) throw e;
        z = await this.store.get('Zone', undefined, zone);
      }
    }
    const enabled = (z?.spec as { enabled?: boolean } | undefined)?.enabled !== false;
    this.zones.set(zone, { enabled, checked: Date.now() });
    if (enabled && cached && !cached.enabled) {
      // Re-enabled: apply again what the zone sent while it was ignored.
      const s = this.session;
      const st = s ? this.state.get(s) : undefined;
      const prefix = `${zonePrefix(zone)}.`;
      if (st) for (const key of st.inbound.keys()) if (key.startsWith(prefix)) this.inQueue.mark(key);
      this.log.info({ zone }, 'zone enabled again: applying what it sends');
    }
    if (!enabled && !this.disabledWarned.has(zone)) {
      this.disabledWarned.add(zone);
      this.log.warn({ zone }, 'zone is disabled (Zone.enabled: false): ignoring what it sends');
    } else if (enabled) this.disabledWarned.delete(zone);
    return enabled;
  }

  /**
   * Applies the latest entry of each key in ONE store transaction, validated like API writes (the store
   * checks references too). Invalid entries and entries of disabled zones are skipped before; items the
   * store refuses are skipped with a warning and the rest is applied again; on a transient error the keys
   * are retried in 1 s.
   */
  private async applyZoneKeys(keys: string[]): Promise<void> {
    const s = this.session;
    const st = s ? this.state.get(s) : undefined;
    if (!s || !st || s.aborted) return;
    let items: { key: string; zone: string; type: ResourceType; what: string; op: BatchOp }[] = [];
    const inBatch = new Set<string>();
    for (const key of keys) {
      const change = st.inbound.get(key);
      if (!change) continue;
      const ref = parseZoneKey(key);
      if (!ref) {
        this.log.warn({ key }, 'ignoring a causeway-zones key that is not <zone>.<Type>.<mesh|_>.<name>');
        continue;
      }
      const name = globalNameOf(ref.zone, ref.type, ref.name);
      const target = `${ref.type}/${ref.mesh ?? ''}/${name}`;
      if (inBatch.has(target)) {
        // Another key of this batch names the same resource (a deleted ZoneInsight key): next batch.
        this.inQueue.mark(key);
        continue;
      }
      try {
        if (change.op !== 'PUT') {
          const existing = await this.store.get(ref.type, ref.mesh, name);
          if (existing && existing.labels[ZONE_LABEL] === ref.zone && descriptorOf(ref.type).owner === 'zone') {
            inBatch.add(target);
            const op: BatchOp = { op: 'delete', type: ref.type, ...(ref.mesh !== undefined ? { mesh: ref.mesh } : {}), name, opts: { ifExists: true } };
            items.push({ key, zone: ref.zone, type: ref.type, what: describeRef({ ...ref, name }), op });
          }
          continue;
        }
        const decoded = decodeZoneEntry(ref, change.value);
        if (!decoded.resource) {
          this.log.warn({ key, zone: ref.zone, errors: decoded.errors }, `invalid ${ref.type} from zone "${ref.zone}": skipped, not applied`);
          continue;
        }
        if (!(await this.zoneEnabled(ref.zone))) {
          this.log.debug({ key, zone: ref.zone }, 'ignored: the zone is disabled');
          continue;
        }
        inBatch.add(target);
        items.push({ key, zone: ref.zone, type: ref.type, what: describeRef(decoded.resource), op: { op: 'upsert', resource: decoded.resource, opts: { origin: 'zone', zone: ref.zone } } });
      } catch (e) {
        if (s.aborted) return;
        this.log.warn({ key, err: errorText(e) }, 'could not apply an entry of causeway-zones; retrying in 1 s');
        s.later(1000, () => this.inQueue.mark(key));
      }
    }

    while (items.length > 0 && !s.aborted) {
      try {
        const results = await this.store.applyBatch(items.map((i) => i.op));
        results.forEach((r, i) => {
          const item = items[i];
          if (!item) return;
          if (r.op === 'delete') {
            if (r.outcome === 'deleted') this.log.debug({ key: item.key, zone: item.zone }, `${item.what} deleted by its zone`);
          } else if (r.outcome !== 'unchanged' && item.type !== 'ZoneInsight') {
            this.log.debug({ key: item.key, zone: item.zone, outcome: r.outcome }, `${item.what} from zone`);
          }
        });
        return;
      } catch (e) {
        const refused = e instanceof BatchError ? e.failures.filter((f) => isPermanentStoreError(f.error)) : [];
        if (refused.length === 0) {
          if (s.aborted) return;
          this.log.warn({ entries: items.length, err: errorText(e) }, 'could not apply entries of causeway-zones; retrying in 1 s');
          const retry = items.map((i) => i.key);
          s.later(1000, () => {
            for (const key of retry) this.inQueue.mark(key);
          });
          return;
        }
        // Nothing was written: leave the refused entries out and apply the others.
        for (const f of refused) {
          const item = items[f.index];
          if (item) this.log.warn({ key: item.key, zone: item.zone, err: errorText(f.error) }, `${item.type} from zone "${item.zone}" refused by the store: skipped, not applied`);
        }
        const skip = new Set(refused.map((f) => f.index));
        items = items.filter((_, i) => !skip.has(i));
      }
    }
  }
}

/**
 * Starts the global side. Returns at once; the connection is made (and remade) in the background.
 */
export async function startGlobalSync(opts: GlobalSyncOptions): Promise<GlobalSync> {
  const sync = new GlobalSyncImpl(opts);
  await sync.init();
  return sync;
}
