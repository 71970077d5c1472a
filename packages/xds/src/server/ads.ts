/**
 * The ADS server: `envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources`,
 * state of the world, over @grpc/grpc-js. Per stream and type it keeps the subscribed names, the last
 * version and nonce sent, and the last ACKed version. A NACK is reported to the registry (which records
 * it on the proxy's insight) and the rejected version is not sent again: the proxy keeps its last good
 * config until a newer snapshot arrives.
 */
import { randomUUID } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { decodeMessage, encodeMessage } from '@causeway/envoy';
import { TYPE_URLS, XDS_KINDS, type XdsKind } from '@causeway/envoy';
import { encodeDiscoveryResponse, KIND_BY_URL, type Snapshot, type SnapshotCache } from './cache.js';

export interface XdsNode {
  id?: string;
  cluster?: string;
  metadata?: Record<string, unknown>;
  user_agent_name?: string;
  user_agent_version?: string;
}

export interface DiscoveryRequest {
  version_info?: string;
  node?: XdsNode;
  resource_names?: string[];
  type_url?: string;
  response_nonce?: string;
  error_detail?: { code?: number; message?: string };
}

/** An error that ends a stream with a gRPC status. */
export class AdsError extends Error {
  constructor(
    readonly code: grpc.status,
    message: string,
  ) {
    super(message);
    this.name = 'AdsError';
  }
}

export interface ConnectInfo {
  node: XdsNode;
  /** Bearer token from the `authorization` call header, or `dataplane.token` in the node metadata. */
  token: string | undefined;
  streamId: string;
  peer: string;
}

/** What the server needs from the zone: authentication, registration and bookkeeping. */
export interface ProxyRegistry {
  /** Authenticates and registers the proxy of a new stream; returns the key of its snapshot. Throws AdsError to refuse. */
  connect(info: ConnectInfo): Promise<string>;
  disconnect(key: string, streamId: string): void;
  onResponse(key: string, streamId: string, typeUrl: string, version: string): void;
  onAck(key: string, streamId: string, typeUrl: string, version: string): void;
  onNack(key: string, streamId: string, typeUrl: string, version: string, error: string): void;
}

const SERVICE = 'envoy.service.discovery.v3.AggregatedDiscoveryService';
/** Largest DiscoveryRequest the ADS server reads. */
export const MAX_REQUEST_BYTES = 1024 * 1024;
const REQ = 'envoy.service.discovery.v3.DiscoveryRequest';
const RESP = 'envoy.service.discovery.v3.DiscoveryResponse';

/** Push order that lets Envoy warm clusters before listeners use them (make-before-break). */
const PUSH_ORDER: XdsKind[] = ['Secret', 'Cluster', 'ClusterLoadAssignment', 'Listener', 'RouteConfiguration'];

export const adsServiceDefinition: grpc.ServiceDefinition = {
  StreamAggregatedResources: {
    path: `/${SERVICE}/StreamAggregatedResources`,
    requestStream: true,
    responseStream: true,
    requestSerialize: (r: DiscoveryRequest) => encodeMessage(REQ, r as Record<string, unknown>),
    requestDeserialize: (b: Buffer) => decodeMessage<DiscoveryRequest>(REQ, b),
    responseSerialize: (b: Buffer) => b,
    responseDeserialize: (b: Buffer) => decodeMessage(RESP, b),
  },
  DeltaAggregatedResources: {
    path: `/${SERVICE}/DeltaAggregatedResources`,
    requestStream: true,
    responseStream: true,
    requestSerialize: (b: Buffer) => b,
    requestDeserialize: (b: Buffer) => b,
    responseSerialize: (b: Buffer) => b,
    responseDeserialize: (b: Buffer) => b,
  },
};

interface TypeState {
  /** Subscribed names; undefined = wildcard (everything). */
  names: string[] | undefined;
  sentVersion?: string;
  sentNonce?: string;
  ackedVersion?: string;
  /** A version the proxy rejected: not sent again. */
  nackedVersion?: string;
}

export interface AdsServerOptions {
  cache: SnapshotCache;
  registry: ProxyRegistry;
  logger: Logger;
}

/** How ADS streams ended: `dropped` = cancelled or broken while the proxy was connected (it reconnects). */
export type StreamEnd = 'ended' | 'dropped' | 'refused' | 'failed';

export interface AdsStats {
  streams: number;
  responsesSent: number;
  acks: number;
  nacks: number;
  streamsEnded: Record<StreamEnd, number>;
}

export class AdsServer {
  /**
   * Requests are decoded before the handler sees the token, so they are kept small: a DiscoveryRequest
   * is a node and a list of names (thousands of names fit in 1 MiB; gRPC's default would be 4 MiB).
   */
  private readonly server = new grpc.Server({
    'grpc.keepalive_time_ms': 30_000,
    'grpc.keepalive_timeout_ms': 10_000,
    'grpc.max_receive_message_length': MAX_REQUEST_BYTES,
  });
  private readonly streams = new Set<grpc.ServerDuplexStream<DiscoveryRequest, Buffer>>();
  private readonly counters: AdsStats = { streams: 0, responsesSent: 0, acks: 0, nacks: 0, streamsEnded: { ended: 0, dropped: 0, refused: 0, failed: 0 } };

  constructor(private readonly opts: AdsServerOptions) {
    this.server.addService(adsServiceDefinition, {
      StreamAggregatedResources: (call: grpc.ServerDuplexStream<DiscoveryRequest, Buffer>) => this.handle(call),
      DeltaAggregatedResources: (call: grpc.ServerDuplexStream<Buffer, Buffer>) => {
        call.emit('error', { code: grpc.status.UNIMPLEMENTED, details: 'incremental xDS is not supported: use state of the world (ADS)' });
      },
    });
  }

  stats(): AdsStats {
    return { ...this.counters, streams: this.streams.size, streamsEnded: { ...this.counters.streamsEnded } };
  }

  /** Binds `host:port` (port 0 picks one); returns the port. */
  listen(host: string, port: number, credentials: grpc.ServerCredentials): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.bindAsync(`${host.includes(':') ? `[${host}]` : host}:${port}`, credentials, (err, bound) => (err ? reject(err) : resolve(bound)));
    });
  }

  /** Ends every stream (proxies reconnect elsewhere / later) and stops. */
  close(graceMs = 2000): Promise<void> {
    for (const s of this.streams) s.end();
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.server.forceShutdown();
        resolve();
      }, graceMs);
      this.server.tryShutdown(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  private handle(call: grpc.ServerDuplexStream<DiscoveryRequest, Buffer>): void {
    const { cache, registry } = this.opts;
    const streamId = randomUUID();
    const log = this.opts.logger.child({ stream: streamId.slice(0, 8), peer: call.getPeer() });
    const types = new Map<string, TypeState>();
    let key: string | undefined;
    let unsubscribe: (() => void) | undefined;
    let nonceSeq = 0;
    let closed = false;
    let chain: Promise<void> = Promise.resolve();
    this.streams.add(call);

    const send = (kind: XdsKind, snap: Snapshot, t: TypeState, force: boolean) => {
      if (closed || !key) return;
      const ts = snap.types[kind];
      const resources = t.names === undefined ? ts.resources : t.names.flatMap((n) => ts.byName.get(n) ?? []);
      const version = t.names === undefined ? ts.version : `${ts.version}-${resources.length}`;
      if (!force && version === t.sentVersion) return;
      if (version === t.nackedVersion) return;
      const nonce = `${streamId.slice(0, 8)}-${++nonceSeq}`;
      const body = encodeDiscoveryResponse(
        version,
        resources,
        TYPE_URLS[kind],
        nonce,
      );
      t.sentVersion = version;
      t.sentNonce = nonce;
      this.counters.responsesSent++;
      call.write(body);
      registry.onResponse(key, streamId, TYPE_URLS[kind], version);
    };

    const pushChanged = (snap: Snapshot, changed: XdsKind[]) => {
      for (const kind of PUSH_ORDER) {
        if (!changed.includes(kind)) continue;
        const t = types.get(TYPE_URLS[kind]);
        if (t) send(kind, snap, t, false);
      }
    };

    const finish = (end: StreamEnd, why: string, err?: { code?: grpc.status; message?: string }) => {
      if (closed) return;
      closed = true;
      this.streams.delete(call);
      unsubscribe?.();
      if (key) registry.disconnect(key, streamId);
      // A stream that breaks under a connected proxy is worth an operator's eye (it reconnects and is sent
      // its whole config again); one that never got past the token is not.
      const dropped = end === 'dropped' && key !== undefined;
      this.counters.streamsEnded[end === 'dropped' && !dropped ? 'ended' : end]++;
      if (err) {
        log.info({ proxy: key, err: err.message }, `xDS stream refused: ${err.message}`);
        call.emit('error', { code: err.code ?? grpc.status.INTERNAL, details: err.message });
      } else {
        if (dropped) log.warn({ proxy: key, why }, `xDS stream of ${key} dropped (${why}); the proxy keeps its config and reconnects`);
        else log.debug({ proxy: key, why }, 'xDS stream closed');
        call.end();
      }
    };

    const onRequest = async (req: DiscoveryRequest) => {
      if (closed) return;
      if (!key) {
        if (!req.node) throw new AdsError(grpc.status.INVALID_ARGUMENT, 'the first request must carry the node');
        const header = call.metadata.get('authorization')[0];
        const fromHeader = typeof header === 'string' ? header.replace(/^Bearer\s+/i, '') : undefined;
        const fromNode = req.node.metadata?.['dataplane.token'];
        const token = fromHeader ?? (typeof fromNode === 'string' ? fromNode : undefined);
        key = await registry.connect({ node: req.node, token, streamId, peer: call.getPeer() });
        if (closed) {
          registry.disconnect(key, streamId);
          return;
        }
        log.info({ proxy: key, node: req.node.id }, 'proxy connected');
        const k = key;
        unsubscribe = cache.subscribe((changedKey, snap, changed) => {
          if (changedKey === k) pushChanged(snap, changed);
        });
      }
      const url = req.type_url ?? '';
      const kind = KIND_BY_URL.get(url);
      if (!kind) {
        log.debug({ proxy: key, typeUrl: url }, 'request for a type this server does not serve: ignored');
        return;
      }
      let t = types.get(url);
      const names = req.resource_names && req.resource_names.length > 0 ? [...req.resource_names].sort() : undefined;
      if (!t) {
        t = { names };
        types.set(url, t);
      }
      if (req.response_nonce) {
        if (req.response_nonce !== t.sentNonce) return; // a reply to an older response: superseded
        if (req.error_detail) {
          const error = req.error_detail.message ?? `code ${req.error_detail.code ?? '?'}`;
          t.nackedVersion = t.sentVersion;
          this.counters.nacks++;
          log.warn({ proxy: key, typeUrl: url, version: t.sentVersion, error }, 'proxy rejected config (NACK): keeping its last good config');
          registry.onNack(key, streamId, url, t.sentVersion ?? '', error);
        } else {
          t.ackedVersion = req.version_info ?? t.sentVersion;
          this.counters.acks++;
          registry.onAck(key, streamId, url, t.ackedVersion ?? '');
        }
      }
      const namesChanged = (names ?? []).join('\0') !== (t.names ?? []).join('\0') || (names === undefined) !== (t.names === undefined);
      t.names = names;
      const snap = cache.get(key);
      if (!snap) return; // sent when the first snapshot lands
      if (t.sentNonce === undefined || namesChanged) send(kind, snap, t, namesChanged);
    };

    call.on('data', (req: DiscoveryRequest) => {
      chain = chain
        .then(() => onRequest(req))
        .catch((e: unknown) => {
          if (e instanceof AdsError) finish('refused', 'refused', { code: e.code, message: e.message });
          else {
            log.error({ proxy: key, err: (e as Error).message }, 'xDS request failed');
            finish('failed', 'error', { code: grpc.status.INTERNAL, message: (e as Error).message });
          }
        });
    });
    // A cancelled stream also ends its readable side; grpc-js sets `cancelled` by the next turn.
    call.on('end', () => setImmediate(() => (call.cancelled ? finish('dropped', 'cancelled') : finish('ended', 'the proxy ended the stream'))));
    call.on('cancelled', () => finish('dropped', 'cancelled'));
    call.on('error', (e: Error) => finish('dropped', `stream error: ${e.message}`));
  }
}

/** Server credentials for the zone's ADS port. */
export function adsCredentials(tls: { certPem: string; keyPem: string } | undefined): grpc.ServerCredentials {
  if (!tls) return grpc.ServerCredentials.createInsecure();
  return grpc.ServerCredentials.createSsl(null, [{ private_key: Buffer.from(tls.keyPem), cert_chain: Buffer.from(tls.certPem) }], false);
}

export { XDS_KINDS };
