/**
 * Global side of the sync: what only global does. The loops themselves are engine/publish.ts and
 * engine/apply.ts, the same on both sides; this file says what they move and adds the rest.
 *
 * Global -> zones: global writes Postgres first (the API), then NATS (the publish loop, on causeway-global).
 * At start and on every NATS reconnect the whole bucket is reconciled with the store. Published: types with
 * `sync: 'global-to-zones'` (a GlobalSecret only when labelled `causeway.io/sync-to-zones: "true"`) and the
 * zone-owned types global relays (`relayToZones`: every zone's ZoneIngress, so zones learn each other's
 * ingresses). Global creates both buckets and sweeps their consumers (consumer-sweep.ts).
 *
 * Zones -> global (the apply loop, on causeway-zones): each entry is validated like an API write and stored
 * with `origin: 'zone'` and the zone of its KEY (a zone cannot speak for another), renamed `<name>.<zone>`.
 * Invalid entries are logged with their key and skipped. A deleted key deletes the resource; after the
 * replay, zone-originated resources whose key is gone are deleted. The first entry of a zone creates its
 * `Zone` resource; entries of a disabled zone are ignored until it is enabled again.
 */
import { descriptorOf, isCausewayError, type ResourceType } from '@causeway/core';
import { type BatchOp, type BatchResult, listAll, type ResourceStore } from '@causeway/store';
import type { KV } from '@nats-io/kv';
import type { Logger } from 'pino';
import type { NatsOptions } from './connection.js';
import { CONSUMER_SWEEP_MS, sweepConsumers } from './consumer-sweep.js';
import { Applier, type ApplyItem } from './engine/apply.js';
import { Publisher } from './engine/publish.js';
import { type Following, type Session, SyncEngine } from './engine/session.js';
import { describeRef, GLOBAL_BUCKET, GLOBAL_KEYS, globalKey, type ResourceRef, ZONE_KEYS, ZONES_BUCKET, zoneKey, zonePrefix } from './keys.js';
import { decodeZoneEntry, GLOBAL_TO_ZONE_TYPES, globalNameOf, publishedByGlobal, ZONE_LABEL, ZONE_TO_GLOBAL_TYPES, zoneNameOf } from './model.js';
import { inboxPrefixFor } from './nats-config.js';
import { errorText, Signal, WarnOnce } from './util.js';
import type { KvChange } from './watch.js';

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
  /** Copies of each KV bucket in a NATS JetStream cluster (default 1; 3 on a 3-node cluster survives the loss of one node). Applies when global creates the buckets. */
  replicas?: number;
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

/** A write of a zone's entry at global. */
interface ZoneItem extends ApplyItem {
  zone: string;
  type: ResourceType;
  what: string;
}

type ZoneRef = ResourceRef & { zone: string };

class GlobalSyncImpl extends SyncEngine implements GlobalSync {
  private readonly store: ResourceStore;
  private readonly publisher: Publisher;
  private readonly applier: Applier<ZoneRef, ZoneItem>;
  private readonly ready = new Signal();
  private lastReconcile: { time: string; ms: number } | undefined;
  private readonly zones = new Map<string, { enabled: boolean; checked: number }>();
  private readonly disabledWarned = new Set<string>();

  constructor(private readonly opts: GlobalSyncOptions) {
    super({ nats: opts.nats, inboxPrefix: inboxPrefixFor('global'), clientName: 'causeway-global', logger: opts.logger, peer: 'the zones' });
    this.store = opts.store;
    const warnOnce = new WarnOnce(this.log);
    this.publisher = new Publisher({
      side: { keys: GLOBAL_KEYS, filter: '>', types: GLOBAL_TO_ZONE_TYPES, keyOf: globalKey, publishes: publishedByGlobal },
      store: opts.store,
      log: this.log,
      warnOnce,
      concurrency: opts.concurrency ?? 16,
      connected: () => this.link.connected,
    });
    this.applier = new Applier({
      side: {
        keys: ZONE_KEYS,
        prepare: (ref, key, change) => this.prepare(ref, key, change),
        applied: (items, results) => this.applied(items, results),
        refused: (item, err) => this.log.warn({ key: item.key, zone: item.zone, err: errorText(err) }, `${item.type} from zone "${item.zone}" refused by the store: skipped, not applied`),
      },
      store: opts.store,
      log: this.log,
      warnOnce,
      batchSize: opts.batchSize ?? 500,
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
      ...this.linkStatus(),
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
    await Promise.all([this.publisher.stop(), this.applier.stop()]);
  }

  protected async run(s: Session): Promise<void> {
    this.ready.reset();
    this.publisher.begin();
    const history = this.opts.history ?? 1;
    const replicas = this.opts.replicas ?? 1;
    const globalKv = await s.kvm.create(GLOBAL_BUCKET, { history, replicas, description: 'Causeway: resources global syncs to every zone' });
    await s.kvm.create(ZONES_BUCKET, { history, replicas, description: 'Causeway: resources each zone syncs to global, keys prefixed by the zone' });
    if (s.aborted) return;
    this.sweepConsumers(s);
    await Promise.all([this.reconcile(s, globalKv), this.following(s, ZONES_BUCKET, () => this.followZones(s))]);
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

  /** Global -> zones: the bucket is made to match the store (engine/publish.ts). */
  private async reconcile(s: Session, kv: KV): Promise<void> {
    const started = performance.now();
    const done = await this.publisher.resync(s, kv);
    if (!done) return;
    const ms = Math.round(performance.now() - started);
    this.lastReconcile = { time: new Date().toISOString(), ms };
    this.log.info({ keys: done.keys, addedOrUpdated: done.changed, staleDeleted: done.stale, ms }, 'reconciled causeway-global with the store');
  }

  /**
   * Zones -> global: replays and follows causeway-zones (engine/apply.ts); deletes what is gone from it.
   * Runs again on a new watch when the watch ends (`following`); publishing to causeway-global goes on.
   */
  private async followZones(s: Session): Promise<Following> {
    const started = performance.now();
    this.applier.begin(s);
    const w = await this.applier.follow(s);
    const done = await this.applier.converge(s, w, () => this.zoneResourceKeys());
    if (done) this.log.info({ entries: done.entries, staleDeleted: done.stale, ms: Math.round(performance.now() - started) }, 'replayed causeway-zones');
    return { ended: w.closed };
  }

  /** The causeway-zones keys of the zone resources in the store. */
  private async zoneResourceKeys(): Promise<string[]> {
    const keys: string[] = [];
    for (const type of ZONE_TO_GLOBAL_TYPES) {
      for (const r of await listAll(this.store, type, { origin: 'zone' })) {
        const zone = r.labels[ZONE_LABEL];
        const name = zone ? zoneNameOf(zone, type, r.name) : undefined;
        if (zone && name !== undefined) keys.push(zoneKey(zone, { type, ...(r.mesh !== undefined ? { mesh: r.mesh } : {}), name }));
      }
    }
    return keys;
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
    const enabled = z?.spec.enabled !== false;
    this.zones.set(zone, { enabled, checked: Date.now() });
    if (enabled && cached && !cached.enabled) {
      // Re-enabled: apply again what the zone sent while it was ignored.
      const prefix = `${zonePrefix(zone)}.`;
      this.applier.reapply((key) => key.startsWith(prefix));
      this.log.info({ zone }, 'zone enabled again: applying what it sends');
    }
    if (!enabled && !this.disabledWarned.has(zone)) {
      this.disabledWarned.add(zone);
      this.log.warn({ zone }, 'zone is disabled (Zone.enabled: false): ignoring what it sends');
    } else if (enabled) this.disabledWarned.delete(zone);
    return enabled;
  }

  /**
   * A causeway-zones entry as a write at global, validated like an API write (the store checks references
   * too when it applies the batch): stored as `<name>.<zone>` with the zone of the KEY. Invalid entries
   * and entries of disabled zones are skipped; a deleted key deletes what that zone sent under it.
   */
  private async prepare(ref: ZoneRef, key: string, change: KvChange): Promise<ZoneItem | undefined> {
    const name = globalNameOf(ref.zone, ref.type, ref.name);
    const item = { key, zone: ref.zone, type: ref.type, target: `${ref.type}/${ref.mesh ?? ''}/${name}` };
    if (change.op !== 'PUT') {
      const existing = await this.store.get(ref.type, ref.mesh, name);
      if (!existing || existing.labels[ZONE_LABEL] !== ref.zone || descriptorOf(ref.type).owner !== 'zone') return undefined;
      const op: BatchOp = { op: 'delete', type: ref.type, ...(ref.mesh !== undefined ? { mesh: ref.mesh } : {}), name, opts: { ifExists: true } };
      return { ...item, what: describeRef({ ...ref, name }), op };
    }
    const decoded = decodeZoneEntry(ref, change.value);
    if (!decoded.resource) {
      this.log.warn({ key, zone: ref.zone, errors: decoded.errors }, `invalid ${ref.type} from zone "${ref.zone}": skipped, not applied`);
      return undefined;
    }
    if (!(await this.zoneEnabled(ref.zone))) {
      this.log.debug({ key, zone: ref.zone }, 'ignored: the zone is disabled');
      return undefined;
    }
    return { ...item, what: describeRef(decoded.resource), op: { op: 'upsert', resource: decoded.resource, opts: { origin: 'zone', zone: ref.zone } } };
  }

  private applied(items: readonly ZoneItem[], results: readonly BatchResult[]): void {
    results.forEach((r, i) => {
      const item = items[i];
      if (!item) return;
      if (r.op === 'delete') {
        if (r.outcome === 'deleted') this.log.debug({ key: item.key, zone: item.zone }, `${item.what} deleted by its zone`);
      } else if (r.outcome !== 'unchanged' && item.type !== 'ZoneInsight') {
        this.log.debug({ key: item.key, zone: item.zone, outcome: r.outcome }, `${item.what} from zone`);
      }
    });
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
