/**
 * The messages between the pipeline benchmark (`pipeline.ts`, the parent) and its proxy workers
 * (`sim-proxies.ts`, child processes over Node's IPC channel). Times are milliseconds since the epoch
 * with sub-millisecond precision (`performance.timeOrigin + performance.now()`), comparable across the
 * processes of one machine.
 */
import type { XdsNode, XdsProtocol } from '@causeway/dataplane';
import type { SimProxyKind } from './sim-proxy.js';

export interface ProxyPlan {
  name: string;
  kind: SimProxyKind;
  /** host:port of the zone's ADS server, or of several replicas (the client fails over in order) */
  target: string | string[];
  caFile: string;
  token: string;
  node: XdsNode;
}

/**
 * What a watch waits for, per proxy in its scope: a Cluster of that name held (or no longer held); a
 * marker in the RBAC rules of its inbound listeners (or gone); any update applied at or after `since`.
 */
export type WatchTest =
  | { kind: 'cluster'; name: string; present: boolean }
  | { kind: 'inbound-rbac'; marker: string; present: boolean }
  | { kind: 'update-since'; since: number };

/** The proxies of a worker a watch covers: its sidecars, its ZoneIngress / ZoneEgress, or all. */
export type WatchScope = 'sidecars' | 'zone-proxies' | 'all';

export type ToWorker =
  | { type: 'start'; protocol: XdsProtocol; backoff: { initialMs: number; maxMs: number }; proxies: ProxyPlan[] }
  | { type: 'watch'; id: number; test: WatchTest; scope: WatchScope }
  | { type: 'unwatch'; id: number }
  /** `mark`: the pause maxima start again after this answer (the start of a change). */
  | { type: 'stats'; id: number; mark?: boolean }
  | { type: 'stop' };

export interface WorkerStats {
  /** Serialized ADS responses received (bytes, count), and when the last one arrived. */
  bytes: number;
  responses: number;
  lastResponseAt: number;
  acks: number;
  nacks: number;
  firstNacks: string[];
  reconnects: number;
  connected: number;
  cpuMs: number;
  rssMb: number;
  /** Garbage collection pauses (ms, since the worker started), and the longest since the last marking stats request. */
  gcMs: number;
  gcMaxMs: number;
  /** The longest event-loop delay (ms) since the last marking stats request: how long a proxy's ACK could wait. */
  loopMaxMs: number;
}

export type FromWorker =
  /** Loaded, waiting for `start`. */
  | { type: 'ready' }
  | { type: 'started'; proxies: number }
  /** A proxy has applied (ACKed) what it needs to serve (`SimProxy.configured`), for the first time. */
  | { type: 'configured'; name: string; at: number }
  /** The watch is registered; `scope` proxies are in it; `already` of them satisfied it at once. */
  | { type: 'watching'; id: number; scope: number; already: number }
  /** Proxies that satisfied the watch, with when (batched). */
  | { type: 'reached'; id: number; times: number[] }
  | ({ type: 'stats'; id: number } & WorkerStats);
