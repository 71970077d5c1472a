/** The proxies a zone knows: what each one is, its open streams and what was last generated for it. */
import type { DataplaneInsightSpec, Resource } from '@causeway/core';

export type ProxyType = 'Dataplane' | 'ZoneIngress' | 'ZoneEgress';

/** Label on resources a proxy registered over ADS (only those are deleted when the proxy goes away). */
export const REGISTERED_LABEL = 'causeway.io/registered-by';
/**
 * Label naming the control plane instance a proxy registered with last. With replicas of a zone's control
 * plane, a proxy that moves to another replica is written again (this label changes), so the replica it
 * left sees a newer version and does not delete it.
 */
export const REGISTERED_INSTANCE_LABEL = 'causeway.io/registered-instance';

export function proxyKey(type: ProxyType, mesh: string | undefined, name: string): string {
  return `${type}/${mesh ?? '_'}/${name}`;
}


export interface ProxyState {
  key: string;
  type: ProxyType;
  mesh: string | undefined;
  name: string;
  /** The resource the proxy registered (as stored then). */
  resource: Resource;
  proxyless: boolean;
  /** Open ADS streams: the proxy is connected while there is one. */
  streams: Set<string>;
  /** Hash of the inputs of the snapshot it is served (undefined: regenerate at the next pass). */
  inputHash?: string;
  generatedAt?: Date;
  insight: DataplaneInsightSpec;
  certExpiry?: Date;
  certRegenerations: number;
}

/** A proxy's state before anything was generated for it. */
export function newProxyState(resource: Resource, proxyless: boolean): ProxyState {
  const type = resource.type as ProxyType;
  return {
    key: proxyKey(type, resource.mesh, resource.name),
    type,
    mesh: resource.mesh,
    name: resource.name,
    resource,
    proxyless,
    streams: new Set(),
    insight: {},
    certRegenerations: 0,
  };
}

/** The proxies of this zone control plane, by key. */
export class Proxies {
  private readonly byKey = new Map<string, ProxyState>();

  get(key: string): ProxyState | undefined {
    return this.byKey.get(key);
  }

  add(p: ProxyState): void {
    this.byKey.set(p.key, p);
  }

  delete(key: string): void {
    this.byKey.delete(key);
  }

  /** Proxies with at least one open stream. */
  *connected(): IterableIterator<ProxyState> {
    for (const p of this.byKey.values()) if (p.streams.size > 0) yield p;
  }

  connectedCount(): number {
    let n = 0;
    for (const p of this.byKey.values()) if (p.streams.size > 0) n++;
    return n;
  }

  isConnected(key: string): boolean {
    return (this.byKey.get(key)?.streams.size ?? 0) > 0;
  }
}
