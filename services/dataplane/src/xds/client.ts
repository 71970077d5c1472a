/**
 * The ADS client over @grpc/grpc-js: one stream to the control plane, in one of Envoy's two protocols —
 * incremental (`DeltaAggregatedResources`, the default: `delta.ts`) or state of the world
 * (`StreamAggregatedResources`: `sotw.ts`). Both:
 * - send the node (id, cluster, metadata with the proxy's resource) on the first request of a stream and
 *   the dataplane token as `authorization: Bearer` call metadata;
 * - subscribe to Listener and Cluster as wildcards, and to RouteConfiguration, ClusterLoadAssignment and
 *   Secret by the names the current config references (re-requested when they change);
 * - apply each response to the sink as the whole resource set of its type: ACK when applied, NACK (with
 *   error_detail) when not — the last good config keeps running.
 * This file holds what the protocols share: the connection, reconnecting with jittered exponential
 * back-off (the proxy serves its last config meanwhile) — to the next control plane of the list when
 * several are given (replicas of the zone's control plane) — and the status the admin port shows.
 */
import { encodeMessage, envoyPackageDefinition } from '@causeway/envoy';
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { DeltaProtocol } from './delta.js';
import { type AdsProtocol, KIND_OF, type StreamContext, type XdsNode, type XdsProtocol, type XdsSink } from './protocol.js';
import { SotwProtocol } from './sotw.js';

export { TYPE_URL, XDS_PROTOCOLS, type XdsNode, type XdsProtocol, type XdsSink } from './protocol.js';

export interface XdsClientOptions {
  /** host:port of the control plane's ADS server; several (replicas): the next one is tried when a stream fails */
  target: string | readonly string[];
  /** TLS (grpcs://) with this CA, or plaintext (grpc://, tests) when undefined */
  ca: Buffer | undefined;
  token: string | undefined;
  node: XdsNode;
  proxy: XdsSink;
  log: Logger;
  /** `delta` (default) or `sotw` */
  protocol?: XdsProtocol;
  backoff?: { initialMs: number; maxMs: number };
}

export interface XdsStatus {
  connected: boolean;
  target: string;
  protocol: XdsProtocol;
  lastError: string | undefined;
  acks: number;
  nacks: number;
  lastNack: { type: string; version: string; message: string } | undefined;
  versions: Record<string, string>;
  reconnects: number;
}

type AdsStream = grpc.ClientDuplexStream<Record<string, unknown>, Record<string, unknown>>;

export class XdsClient {
  private client: grpc.Client | undefined;
  private stream: AdsStream | undefined;
  private ctx: StreamContext | undefined;
  private stopped = false;
  private backoffMs: number;
  private retryTimer: NodeJS.Timeout | undefined;
  private queue: Promise<void> = Promise.resolve();
  private readonly protocol: AdsProtocol;
  private readonly method: grpc.MethodDefinition<Record<string, unknown>, Record<string, unknown>>;
  private readonly targets: readonly string[];
  private targetIndex = 0;
  readonly status: XdsStatus;

  constructor(private readonly opts: XdsClientOptions) {
    this.backoffMs = opts.backoff?.initialMs ?? 500;
    this.targets = typeof opts.target === 'string' ? [opts.target] : [...opts.target];
    if (this.targets.length === 0) throw new Error('XdsClient: no control plane address');
    const protocol = opts.protocol ?? 'delta';
    this.protocol = protocol === 'delta' ? new DeltaProtocol() : new SotwProtocol();
    const svc = envoyPackageDefinition()['envoy.service.discovery.v3.AggregatedDiscoveryService'] as unknown as Record<string, grpc.MethodDefinition<unknown, Record<string, unknown>>>;
    const m = svc[this.protocol.method];
    if (!m) throw new Error(`the Envoy protos have no AggregatedDiscoveryService.${this.protocol.method}`);
    // Requests are written in Envoy's JSON shape (node metadata as a plain object); responses keep
    // their resources packed (Any: type_url + bytes) so that one bad resource becomes a NACK, not a
    // broken stream.
    const requestType = this.protocol.requestType;
    this.method = { ...m, requestSerialize: (req: Record<string, unknown>) => encodeMessage(requestType, req) } as grpc.MethodDefinition<Record<string, unknown>, Record<string, unknown>>;
    this.status = { connected: false, target: this.targets[0] as string, protocol, lastError: undefined, acks: 0, nacks: 0, lastNack: undefined, versions: {}, reconnects: 0 };
    opts.proxy.onDependenciesChanged = () => {
      if (this.ctx) this.protocol.resubscribe(this.ctx);
    };
  }

  start(): void {
    this.stopped = false;
    this.openClient();
    this.connect();
  }

  /** A channel to the current target. */
  private openClient(): void {
    const target = this.targets[this.targetIndex] as string;
    this.status.target = target;
    const creds = this.opts.ca ? grpc.credentials.createSsl(this.opts.ca) : grpc.credentials.createInsecure();
    this.client = new grpc.Client(target, creds, {
      'grpc.keepalive_time_ms': 30_000,
      'grpc.keepalive_timeout_ms': 10_000,
      'grpc.max_receive_message_length': 64 * 1024 * 1024,
    });
  }

  private connect(): void {
    if (this.stopped || !this.client) return;
    const md = new grpc.Metadata();
    if (this.opts.token) md.set('authorization', `Bearer ${this.opts.token}`);
    const { protocol, opts } = this;
    const stream = this.client.makeBidiStreamRequest(this.method.path, this.method.requestSerialize, this.method.responseDeserialize, md) as AdsStream;
    this.stream = stream;
    const ctx = this.streamContext(stream);
    this.ctx = ctx;
    stream.on('data', (res: Record<string, unknown>) => {
      if (!this.status.connected) opts.log.info({ target: opts.target, protocol: this.status.protocol }, 'connected to the control plane');
      this.status.connected = true;
      this.status.lastError = undefined;
      opts.proxy.stats.server.xds_connected = 1;
      this.backoffMs = opts.backoff?.initialMs ?? 500;
      this.queue = this.queue
        .then(() => {
          if (this.stream !== stream) return;
          const kind = KIND_OF.get(String(res.type_url ?? ''));
          if (kind) return protocol.onResponse(ctx, res, kind);
          opts.log.warn({ type_url: res.type_url }, 'response of an unknown type; ignored');
        })
        .catch((e) => opts.log.error({ err: (e as Error).message }, 'xDS response handling failed'));
    });
    let ended = false;
    const onEnd = (err?: Error) => {
      if (ended) return;
      ended = true;
      if (this.stream === stream) {
        this.stream = undefined;
        this.ctx = undefined;
      }
      this.status.connected = false;
      opts.proxy.stats.server.xds_connected = 0;
      if (this.stopped) return;
      const msg = err?.message ?? 'stream closed';
      this.status.lastError = msg;
      this.status.reconnects++;
      opts.proxy.stats.server.xds_reconnects++;
      const delay = Math.round(this.backoffMs * (0.5 + Math.random() / 2));
      // With replicas, the next one is tried; the back-off grows once every one has been tried.
      const lost = this.targets[this.targetIndex];
      this.targetIndex = (this.targetIndex + 1) % this.targets.length;
      if (this.targetIndex === 0) this.backoffMs = Math.min(this.backoffMs * 2, opts.backoff?.maxMs ?? 30_000);
      const next = this.targets[this.targetIndex];
      opts.log.warn({ err: msg, retry_ms: delay, ...(next !== lost ? { lost, next } : {}) }, 'control plane stream lost; serving the last config, reconnecting');
      this.retryTimer = setTimeout(() => {
        if (this.stopped) return;
        if (next !== lost) {
          this.client?.close();
          this.openClient();
        }
        this.connect();
      }, delay);
    };
    stream.on('error', (e: Error) => onEnd(e));
    stream.on('end', () => onEnd());
    stream.on('close', () => onEnd());
    protocol.open(ctx);
  }

  private streamContext(stream: AdsStream): StreamContext {
    const { opts, status } = this;
    let nodeSent = false;
    return {
      sink: opts.proxy,
      log: opts.log,
      write: (request) => {
        if (this.stream !== stream) return;
        const req = nodeSent ? request : { ...request, node: { ...opts.node, user_agent_name: opts.node.user_agent_name ?? 'causeway-dp' } };
        nodeSent = true;
        stream.write(req);
      },
      accepted: (kind, version, resources) => {
        status.acks++;
        status.versions[kind] = version;
        opts.proxy.stats.server.xds_update_success++;
        opts.log.debug({ type: kind, version, resources }, 'config applied (ACK)');
      },
      rejected: (kind, version, error) => {
        status.nacks++;
        status.lastNack = { type: kind, version, message: error };
        opts.proxy.stats.server.xds_update_rejected++;
        opts.log.warn({ type: kind, version, err: error }, 'config rejected (NACK); keeping the last good config');
      },
    };
  }

  stop(): void {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.stream?.cancel();
    this.stream = undefined;
    this.ctx = undefined;
    this.client?.close();
    this.client = undefined;
  }
}
