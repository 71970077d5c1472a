/**
 * The ADS server's registry: admits the proxy of a new stream (token, node metadata), stores the
 * Dataplane / ZoneIngress / ZoneEgress it sent, keeps its state and DataplaneInsight up to date as its
 * streams get responses, ACKs and NACKs, and deletes its resource a grace period after its last stream
 * closed (also for proxies registered before a restart that do not come back).
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
  /** This control plane instance (recorded on the resources its proxies register). */
  instanceId?: string | undefined;
}

export class Registry implements ProxyRegistry {
  private readonly deletions = new Map<string, NodeJS.Timeout>();
  private closed = false;

  constructor(private readonly opts: RegistryOptions) {}

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
    const { resource, proxyless } = await this.opts.admission.admit(info);
    const type = resource.type as ProxyType;
    if (type === 'Dataplane' && !mirror.get('Mesh', undefined, resource.mesh as string))
      throw new AdsError(grpc.status.FAILED_PRECONDITION, `mesh "${resource.mesh}" does not exist in zone "${zone}"`);

    const key = proxyKey(type, resource.mesh, resource.name);
    const timer = this.deletions.get(key);
    if (timer) {
      clearTimeout(timer);
      this.deletions.delete(key);
    }
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
      stored = (await this.opts.store.upsert(toStore)).resource;
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
    this.opts.insights.connected(p, info.streamId);
    if (changed) {
      // A new or changed proxy changes its mesh (endpoints, VIPs): its first config comes with the next
      // coalesced pass, so a storm of connecting proxies rebuilds the contexts once, not once each.
      regenerator.schedule();
    } else {
      const proxy = p;
      await regenerator.enqueue(() => regenerator.regenerate(proxy));
    }
    regenerator.scheduleRotation();
    return key;
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
        this.opts.proxies.delete(key);
        this.opts.cache.delete(key);
        this.opts.certificates.forget(key, regenerator.meshContexts().keys());
        try {
          await store.delete(type, mesh, name, { expectedVersion: version });
          logger.info({ proxy: key }, 'proxy gone for good: its resource was deleted');
        } catch (e) {
          const moved = isCausewayError(e, 'CONFLICT');
          if (moved) logger.info({ proxy: key }, 'proxy registered again since (with another replica): its resource is kept');
          else logger.debug({ proxy: key, err: (e as Error).message }, 'proxy resource already gone');
          return;
        }
        if (type === 'Dataplane') await store.delete('DataplaneInsight', mesh, name).catch(() => undefined);
      });
    }, this.opts.proxyGraceMs ?? 30_000);
    t.unref();
    this.deletions.set(key, t);
  }
}
