/**
 * The ADS server's registry: admits the proxy of a new stream (token, node metadata), stores the
 * Dataplane / ZoneIngress / ZoneEgress it sent, keeps its state and DataplaneInsight up to date as its
 * streams get responses, ACKs and NACKs, and deletes its resource a grace period after its last stream
 * closed (also for proxies registered before a restart that do not come back).
 *
 * Registrations are written in batches: while one batch is being written, the proxies admitted meanwhile
 * wait for the next, which goes to the store as one transaction (`applyBatch`, up to 32) instead of one
 * transaction each; a connect wave of 1,000 proxies is then a few dozen writes. PGlite validates and writes
 * a batch in this thread (250 at a time were blocks of 100-250 ms of the event loop): a batch starts only
 * within the zone's budget of sliced work per turn (slices.ts). Admissions (token, node metadata, ~0.3 ms
 * each) run within it too (`Slices`): a connect wave's first requests arrive by the hundred in one read.
 * When the store refuses a batch, each of its registrations is written alone, so only the proxy whose
 * resource the store refuses is refused, with the store's own reason.
 */
import { type DataplaneSpec, isCausewayError, jsonEqual, type Resource, withInboundZoneTag } from '@causeway/core';
import type { ResourceStore } from '@causeway/store';
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { AdsError, type ConnectInfo, type ProxyRegistry } from '../server/ads.js';
import type { SnapshotCache } from '../server/cache.js';
import { adminEndpointOf, withAdminEndpoint } from './admin-endpoint.js';
import type { Admission } from './admission.js';
import type { Certificates } from './certificates.js';
import type { IngressServices } from './ingress-services.js';
import type { Insights } from './insights.js';
import type { StoreMirror } from './mirror.js';
import { newProxyState, type Proxies, proxyKey, type ProxyType, REGISTERED_INSTANCE_LABEL, REGISTERED_LABEL } from './proxies.js';
import type { Regenerator } from './regenerator.js';
import { Slices, type TurnBudget } from './slices.js';

export interface RegistryOptions {
  zone: string;
  store: ResourceStore;
  logger: Logger;
  admission: Admission;
  mirror: StoreMirror;
  proxies: Proxies;
  insights: Insights;
  regenerator: Regenerator;
  certificates: Certificates;
  ingressServices: IngressServices;
  cache: SnapshotCache;
  /** How long a proxy's resource stays after its last stream closed, ms (default 30 s). */
  proxyGraceMs?: number | undefined;
  /** The zone's budget of sliced work per turn of the event loop (slices.ts): admissions and registration batches run within it. */
  budget: TurnBudget;
  /** This control plane instance (recorded on the resources its proxies register). */
  instanceId?: string | undefined;
}

/** Most registrations written in one store transaction. */
const REGISTRATION_BATCH = 32;
/** How long a registration waits for others to share its transaction, ms. */
const REGISTRATION_GATHER_MS = 20;


interface Registration {
  key: string;
  resource: Resource;
  resolve: (stored: Resource) => void;
  reject: (e: unknown) => void;
}

export class Registry implements ProxyRegistry {
  private readonly deletions = new Map<string, NodeJS.Timeout>();
  private closed = false;
  /** Registrations waiting for the next batch, in order. */
  private waiting: Registration[] = [];
  private writing: Promise<void> | undefined;
  /** Admissions within the budget (they ran back to back for the hundreds of streams of one read). */
  private readonly admissions: Slices;

  constructor(private readonly opts: RegistryOptions) {
    this.admissions = new Slices(opts.budget);
  }

  /** Proxies registered over ADS before a restart: deleted unless they reconnect within the grace period. */
  expireLeftovers(): void {
    for (const type of ['Dataplane', 'ZoneIngress', 'ZoneEgress'] as const)
      for (const r of this.opts.mirror.list(type)) if (r.labels[REGISTERED_LABEL] === 'ads') this.scheduleDeletion(proxyKey(type, r.mesh, r.name), type, r.mesh, r.name, r.version);
  }

  close(): void {
    this.closed = true;
    for (const t of this.deletions.values()) clearTimeout(t);
  }

  async connect(info: ConnectInfo): Promise<string> {
    const { zone, mirror, proxies, regenerator } = this.opts;
    const { resource, proxyless } = await this.admissions.run(() => this.opts.admission.admit(info));
    const type = resource.type as ProxyType;
    if (type === 'Dataplane' && !mirror.get('Mesh', undefined, resource.mesh as string))
      throw new AdsError(grpc.status.FAILED_PRECONDITION, `mesh "${resource.mesh}" does not exist in zone "${zone}"`);

    const key = proxyKey(type, resource.mesh, resource.name);
    this.cancelDeletion(key);
    let spec = resource.spec as Record<string, unknown>;
    if (type !== 'Dataplane') spec = { ...spec, zone };
    else spec = withInboundZoneTag(spec as unknown as DataplaneSpec, zone) as unknown as Record<string, unknown>;
    if (type === 'ZoneIngress') spec = { ...spec, availableServices: this.opts.ingressServices.current() };
    const instance: Record<string, string> = this.opts.instanceId ? { [REGISTERED_INSTANCE_LABEL]: this.opts.instanceId } : {};
    // where its admin port (/metrics) listens, for Prometheus discovery on any replica (admin-endpoint.ts)
    const announced = withAdminEndpoint({ ...resource, spec: spec as Resource['spec'] }, adminEndpointOf(info.node.metadata));
    const toStore: Resource = { ...announced, labels: { ...announced.labels, [REGISTERED_LABEL]: 'ads', ...instance } };
    let stored: Resource;
    try {
      stored = await this.register(key, toStore);
    } catch (e) {
      throw new AdsError(grpc.status.INVALID_ARGUMENT, `the zone refused the ${type}: ${(e as Error).message}`);
    }
    const changed = !jsonEqual(mirror.get(type, stored.mesh, stored.name)?.spec, stored.spec);
    mirror.record(stored);
    let p = proxies.get(key);
    if (!p) {
      p = newProxyState(stored, proxyless);
      proxies.add(p);
    } else {
      p.resource = stored;
      p.proxyless = proxyless;
    }
    p.streams.add(info.streamId);
    // A deletion scheduled while this stream waited for admission or registration (the proxy's previous
    // stream closed meanwhile) is void: the proxy is connected.
    this.cancelDeletion(key);
    this.opts.insights.connected(p, info.streamId);
    if (changed) {
      // A new or changed proxy changes its mesh (endpoints, VIPs): its first config comes with the next
      // coalesced pass, so a storm of connecting proxies rebuilds the contexts once, not once each.
      regenerator.schedule();
    } else {
      // Unchanged (e.g. reconnecting after a restart of this control plane): regenerated with the other
      // proxies that connect meanwhile, their certificates issued together.
      await regenerator.regenerateSoon(p);
    }
    regenerator.scheduleRotation();
    return key;
  }

  /** Writes a proxy's resource with the registrations that wait with it (see the file's comment). */
  private register(key: string, resource: Resource): Promise<Resource> {
    return new Promise<Resource>((resolve, reject) => {
      this.waiting.push({ key, resource, resolve, reject });
      // The registrations of the next REGISTRATION_GATHER_MS go with it: proxies that reconnect a few at a
      // time (after a restart, each with ~250 KB of held versions to read) are still written in batches.
      this.writing ??= new Promise<void>((r) => setTimeout(r, REGISTRATION_GATHER_MS)).then(() => this.writeWaiting());
    });
  }

  private async writeWaiting(): Promise<void> {
    while (this.waiting.length > 0) {
      // A resource appears once per batch: a second registration of the same proxy waits for the next.
      const batch: Registration[] = [];
      const later: Registration[] = [];
      const keys = new Set<string>();
      for (const r of this.waiting) {
        if (batch.length < REGISTRATION_BATCH && !keys.has(r.key)) {
          keys.add(r.key);
          batch.push(r);
        } else later.push(r);
      }
      this.waiting = later;
      // A batch is validated and written in one stretch of the event loop (PGlite runs in this thread):
      // within the turn's budget of sliced work.
      await this.opts.budget.slice();
      await this.writeBatch(batch);
    }
    this.writing = undefined;
  }

  private async writeBatch(batch: Registration[]): Promise<void> {
    const { store } = this.opts;
    if (batch.length > 1) {
      try {
        const results = await store.applyBatch(batch.map((r) => ({ op: 'upsert', resource: r.resource })));
        batch.forEach((r, i) => {
          const out = results[i];
          if (out?.op === 'upsert') r.resolve(out.resource);
          else r.reject(new Error('the store answered no resource'));
        });
        return;
      } catch {
        // Refused as a whole (one registration the store refuses): each alone, each with its own answer.
      }
    }
    await Promise.all(
      batch.map((r) =>
        store.upsert(r.resource).then(
          (out) => r.resolve(out.resource),
          (e: unknown) => r.reject(e),
        ),
      ),
    );
  }

  disconnect(key: string, streamId: string): void {
    const p = this.opts.proxies.get(key);
    if (!p) return;
    p.streams.delete(streamId);
    this.opts.insights.disconnected(p, streamId);
    if (p.streams.size === 0) this.scheduleDeletion(key, p.type, p.mesh, p.name, p.resource.version);
  }

  onResponse(key: string, streamId: string): void {
    const p = this.opts.proxies.get(key);
    if (p) this.opts.insights.response(p, streamId);
  }

  onAck(key: string, streamId: string): void {
    const p = this.opts.proxies.get(key);
    if (p) this.opts.insights.ack(p, streamId);
  }

  onNack(key: string, streamId: string, typeUrl: string, _version: string, error: string): void {
    const p = this.opts.proxies.get(key);
    if (p) this.opts.insights.nack(p, streamId, typeUrl, error);
  }

  private cancelDeletion(key: string): void {
    const timer = this.deletions.get(key);
    if (timer) {
      clearTimeout(timer);
      this.deletions.delete(key);
    }
  }

  /**
   * Deletes the proxy's resource after the grace period unless it reconnected here — or was registered
   * again since (at `version`): by another replica of this zone's control plane it moved to.
   */
  private scheduleDeletion(key: string, type: ProxyType, mesh: string | undefined, name: string, version: number): void {
    if (this.closed || this.deletions.has(key)) return;
    const t = setTimeout(() => {
      this.deletions.delete(key);
      const p = this.opts.proxies.get(key);
      if (p && p.streams.size > 0) return;
      const { regenerator, store, logger } = this.opts;
      void regenerator.enqueue(async () => {
        // The job runs after the regeneration work queued before it (seconds, in a connect wave): the proxy
        // may have reconnected since the timer fired. A reconnect that registers an unchanged resource does
        // not bump its version, so `expectedVersion` alone would not see it: look at the streams, before
        // and after the store's answer.
        const connected = () => (this.opts.proxies.get(key)?.streams.size ?? 0) > 0;
        const forget = () => {
          this.opts.proxies.delete(key);
          this.opts.cache.delete(key);
          this.opts.certificates.forget(key, regenerator.meshContexts().keys());
        };
        if (connected()) return;
        try {
          await store.delete(type, mesh, name, { expectedVersion: version });
        } catch (e) {
          if (!connected()) forget();
          const moved = isCausewayError(e, 'CONFLICT');
          if (moved) logger.info({ proxy: key }, 'proxy registered again since (with another replica): its resource is kept');
          else logger.debug({ proxy: key, err: (e as Error).message }, 'proxy resource already gone');
          return;
        }
        const back = this.opts.proxies.get(key);
        if (back && connected()) {
          // Reconnected while the resource was being deleted: written back, the proxy stays.
          await this.register(key, back.resource).catch((err: unknown) => logger.warn({ proxy: key, err: (err as Error).message }, 'could not write back the resource of a proxy that reconnected during its deletion'));
          return;
        }
        forget();
        logger.info({ proxy: key }, 'proxy gone for good: its resource was deleted');
        if (type === 'Dataplane') await store.delete('DataplaneInsight', mesh, name).catch(() => undefined);
      });
    }, this.opts.proxyGraceMs ?? 30_000);
    t.unref();
    this.deletions.set(key, t);
  }
}
