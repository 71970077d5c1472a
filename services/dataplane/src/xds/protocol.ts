/**
 * What the ADS client's two protocols (`sotw.ts`, `delta.ts`) and its connection (`client.ts`) share: the
 * resource kinds and their type URLs, the subscription order, the sink the client feeds, and the contract
 * of a protocol.
 */
import type { Logger } from 'pino';
import type { ResourceKind } from '../proxy.js';
import type { Stats } from '../stats.js';

export const TYPE_URL: Record<ResourceKind, string> = {
  Listener: 'type.googleapis.com/envoy.config.listener.v3.Listener',
  RouteConfiguration: 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration',
  Cluster: 'type.googleapis.com/envoy.config.cluster.v3.Cluster',
  ClusterLoadAssignment: 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment',
  Secret: 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret',
};
export const KIND_OF: ReadonlyMap<string, ResourceKind> = new Map(Object.entries(TYPE_URL).map(([k, v]) => [v, k as ResourceKind]));
/** Types subscribed as a whole; the others by the names the config references. */
export const WILDCARD: ReadonlySet<ResourceKind> = new Set(['Listener', 'Cluster']);
/** Subscription order on a new stream: clusters (and their endpoints) before the listeners using them. */
export const ORDER: readonly ResourceKind[] = ['Cluster', 'ClusterLoadAssignment', 'Listener', 'RouteConfiguration', 'Secret'];
export const NAMED_KINDS = ORDER.filter((k) => !WILDCARD.has(k));

export type XdsProtocol = 'delta' | 'sotw';
export const XDS_PROTOCOLS: readonly XdsProtocol[] = ['delta', 'sotw'];

export interface XdsNode {
  id: string;
  cluster: string;
  metadata: Record<string, unknown>;
  user_agent_name?: string;
  user_agent_version?: string;
}

/** What the client feeds: the proxy (`DataplaneProxy`), or anything that applies and references resources like it. */
export interface XdsSink {
  /** Applies the whole (decoded) resource set of one type. Throws to reject it: nothing changed. */
  update(kind: ResourceKind, resources: unknown[], version: string): Promise<void>;
  /** The names the config references, sorted (a list once handed out is not changed afterwards). */
  edsNames(): string[];
  rdsNames(): string[];
  secretNames(): string[];
  /** Set by the client: called when the names the config references may have changed. */
  onDependenciesChanged: () => void;
  readonly stats: Pick<Stats, 'server'>;
}

/** A packed resource as it arrives (decoded only when applied: one bad resource is a NACK, not a broken stream). */
export interface RawAny {
  type_url: string;
  value: Buffer;
}

/** What a protocol needs from the client while a stream is open. */
export interface StreamContext {
  readonly sink: XdsSink;
  readonly log: Logger;
  /** Writes a request; the node goes on the first one of the stream. */
  write(request: Record<string, unknown>): void;
  /** Records an applied response. */
  accepted(kind: ResourceKind, version: string, resources: number): void;
  /** Records a rejected response. */
  rejected(kind: ResourceKind, version: string, error: string): void;
}

/** One of the two protocols: its method and its state, which outlives a stream (versions held, names). */
export interface AdsProtocol {
  /** Method of `envoy.service.discovery.v3.AggregatedDiscoveryService`. */
  readonly method: 'StreamAggregatedResources' | 'DeltaAggregatedResources';
  /** Message type of its requests. */
  readonly requestType: string;
  /** A new stream opened: sends the subscriptions. */
  open(ctx: StreamContext): void;
  /** Handles one response of a known type on the current stream (`ctx` is that stream's). */
  onResponse(ctx: StreamContext, res: Record<string, unknown>, kind: ResourceKind): Promise<void>;
  /** The sink's referenced names may have changed: (un)subscribes on the current stream. */
  resubscribe(ctx: StreamContext): void;
}

