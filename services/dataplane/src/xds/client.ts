/**
 * The ADS client (state of the world) over @grpc/grpc-js:
 * - one `StreamAggregatedResources` stream; the node (id, cluster, metadata with the proxy's resource)
 *   goes on the first request; the dataplane token as `authorization: Bearer` call metadata;
 * - Listener and Cluster are wildcard subscriptions; RouteConfiguration, ClusterLoadAssignment and
 *   Secret subscribe to the names the current config references (re-requested when they change);
 * - each response is applied as a whole: ACK (version + nonce) when applied, NACK (the last good
 *   version + nonce + error_detail with the reason) when not — the last good config keeps running;
 * - when the stream fails it reconnects with jittered exponential back-off, re-subscribing with the
 *   versions it has, and the proxy keeps serving its last config meanwhile.
 */
import { decodeAny, encodeMessage, envoyPackageDefinition } from '@causeway/envoy';
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { DataplaneProxy, ResourceKind } from '../proxy.js';

export const TYPE_URL: Record<ResourceKind, string> = {
  Listener: 'type.googleapis.com/envoy.config.listener.v3.Listener',
  RouteConfiguration: 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration',
  Cluster: 'type.googleapis.com/envoy.config.cluster.v3.Cluster',
  ClusterLoadAssignment: 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment',
  Secret: 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret',
};
const KIND_OF = new Map(Object.entries(TYPE_URL).map(([k, v]) => [v, k as ResourceKind]));
const WILDCARD: ReadonlySet<ResourceKind> = new Set(['Listener', 'Cluster']);
const ORDER: ResourceKind[] = ['Cluster', 'ClusterLoadAssignment', 'Listener', 'RouteConfiguration', 'Secret'];

export interface XdsNode {
  id: string;
  cluster: string;
  metadata: Record<string, unknown>;
  user_agent_name?: string;
  user_agent_version?: string;
}

export interface XdsClientOptions {
  /** host:port of the control plane's ADS server */
  target: string;
  /** TLS (grpcs://) with this CA, or plaintext (grpc://, tests) when undefined */
  ca: Buffer | undefined;
  token: string | undefined;
  node: XdsNode;
  proxy: DataplaneProxy;
  log: Logger;
  backoff?: { initialMs: number; maxMs: number };
}

interface RawResponse {
  version_info?: string;
  resources?: { type_url: string; value: Buffer }[];
  type_url?: string;
  nonce?: string;
}

interface TypeState {
  /** last accepted version */
  version: string;
  /** last nonce received on this stream */
  nonce: string;
  /** names requested (non-wildcard types) */
  names: string[];
  /** whether a request for this type was sent on the current stream */
  subscribed: boolean;
}

export interface XdsStatus {
  connected: boolean;
  target: string;
  lastError: string | undefined;
  acks: number;
  nacks: number;
  lastNack: { type: string; version: string; message: string } | undefined;
  versions: Record<string, string>;
  reconnects: number;
}

type AdsStream = grpc.ClientDuplexStream<Record<string, unknown>, RawResponse>;

export class XdsClient {
  private client: grpc.Client | undefined;
  private stream: AdsStream | undefined;
  private stopped = false;
  private backoffMs: number;
  private retryTimer: NodeJS.Timeout | undefined;
  private nodeSent = false;
  private readonly types = new Map<ResourceKind, TypeState>();
  private queue: Promise<void> = Promise.resolve();
  readonly status: XdsStatus;
  private readonly method: grpc.MethodDefinition<Record<string, unknown>, RawResponse>;

  constructor(private readonly opts: XdsClientOptions) {
    this.backoffMs = opts.backoff?.initialMs ?? 500;
    for (const k of ORDER) this.types.set(k, { version: '', nonce: '', names: [], subscribed: false });
    this.status = { connected: false, target: opts.target, lastError: undefined, acks: 0, nacks: 0, lastNack: undefined, versions: {}, reconnects: 0 };
    const svc = envoyPackageDefinition()['envoy.service.discovery.v3.AggregatedDiscoveryService'] as unknown as Record<string, grpc.MethodDefinition<unknown, RawResponse>>;
    const m = svc.StreamAggregatedResources;
    if (!m) throw new Error('the Envoy protos have no AggregatedDiscoveryService');
    // Requests are written in Envoy's JSON shape (node metadata as a plain object); responses keep
    // their resources packed so that one bad resource becomes a NACK, not a broken stream.
    this.method = {
      ...m,
      requestSerialize: (req: Record<string, unknown>) => encodeMessage('envoy.service.discovery.v3.DiscoveryRequest', req),
    } as grpc.MethodDefinition<Record<string, unknown>, RawResponse>;
    opts.proxy.onDependenciesChanged = () => this.resubscribe();
  }

  start(): void {
    this.stopped = false;
    const creds = this.opts.ca ? grpc.credentials.createSsl(this.opts.ca) : grpc.credentials.createInsecure();
    this.client = new grpc.Client(this.opts.target, creds, {
      'grpc.keepalive_time_ms': 30_000,
      'grpc.keepalive_timeout_ms': 10_000,
      'grpc.max_receive_message_length': 64 * 1024 * 1024,
    });
    this.connect();
  }

  private connect(): void {
    if (this.stopped || !this.client) return;
    const md = new grpc.Metadata();
    if (this.opts.token) md.set('authorization', `Bearer ${this.opts.token}`);
    const stream = this.client.makeBidiStreamRequest(this.method.path, this.method.requestSerialize, this.method.responseDeserialize, md) as AdsStream;
    this.stream = stream;
    this.nodeSent = false;
    for (const t of this.types.values()) {
      t.nonce = '';
      t.subscribed = false;
    }
    stream.on('data', (res: RawResponse) => {
      if (!this.status.connected) this.opts.log.info({ target: this.opts.target }, 'connected to the control plane');
      this.status.connected = true;
      this.status.lastError = undefined;
      this.opts.proxy.stats.server.xds_connected = 1;
      this.backoffMs = this.opts.backoff?.initialMs ?? 500;
      this.queue = this.queue.then(() => this.onResponse(stream, res)).catch((e) => this.opts.log.error({ err: (e as Error).message }, 'xDS response handling failed'));
    });
    let ended = false;
    const onEnd = (err?: Error) => {
      if (ended) return;
      ended = true;
      if (this.stream === stream) this.stream = undefined;
      this.status.connected = false;
      this.opts.proxy.stats.server.xds_connected = 0;
      if (this.stopped) return;
      const msg = err?.message ?? 'stream closed';
      this.status.lastError = msg;
      this.status.reconnects++;
      this.opts.proxy.stats.server.xds_reconnects++;
      const delay = Math.round(this.backoffMs * (0.5 + Math.random() / 2));
      this.backoffMs = Math.min(this.backoffMs * 2, this.opts.backoff?.maxMs ?? 30_000);
      this.opts.log.warn({ err: msg, retry_ms: delay }, 'control plane stream lost; serving the last config, reconnecting');
      this.retryTimer = setTimeout(() => this.connect(), delay);
    };
    stream.on('error', (e: Error) => onEnd(e));
    stream.on('end', () => onEnd());
    stream.on('close', () => onEnd());
    // subscribe: wildcard types, and named types the current config references
    for (const kind of ORDER) {
      if (WILDCARD.has(kind) || this.namesFor(kind).length > 0) this.request(stream, kind);
    }
  }

  private namesFor(kind: ResourceKind): string[] {
    const p = this.opts.proxy;
    if (kind === 'ClusterLoadAssignment') return p.edsNames();
    if (kind === 'RouteConfiguration') return p.rdsNames();
    if (kind === 'Secret') return p.secretNames();
    return [];
  }

  private request(stream: AdsStream, kind: ResourceKind, error?: string): void {
    const t = this.types.get(kind) as TypeState;
    if (!WILDCARD.has(kind)) t.names = this.namesFor(kind);
    const req: Record<string, unknown> = {
      version_info: t.version,
      resource_names: WILDCARD.has(kind) ? [] : t.names,
      type_url: TYPE_URL[kind],
      response_nonce: t.nonce,
    };
    if (!this.nodeSent) {
      req.node = { ...this.opts.node, user_agent_name: this.opts.node.user_agent_name ?? 'causeway-dp' };
      this.nodeSent = true;
    }
    if (error) req.error_detail = { code: 3, message: error };
    t.subscribed = true;
    stream.write(req);
  }

  /** Sends a new request for a named type whose referenced names changed. */
  private resubscribe(): void {
    const s = this.stream;
    if (!s) return;
    for (const kind of ['ClusterLoadAssignment', 'RouteConfiguration', 'Secret'] as const) {
      const t = this.types.get(kind) as TypeState;
      const names = this.namesFor(kind);
      if (names.join('\n') !== t.names.join('\n') || (!t.subscribed && names.length > 0)) this.request(s, kind);
    }
  }

  private async onResponse(stream: AdsStream, res: RawResponse): Promise<void> {
    const kind = KIND_OF.get(res.type_url ?? '');
    if (!kind) {
      this.opts.log.warn({ type_url: res.type_url }, 'response of an unknown type; ignored');
      return;
    }
    const t = this.types.get(kind) as TypeState;
    t.nonce = res.nonce ?? '';
    const version = res.version_info ?? '';
    let error: string | undefined;
    try {
      const resources = (res.resources ?? []).map((r, i) => {
        if (r.type_url !== TYPE_URL[kind]) throw new Error(`resources[${i}]: type ${r.type_url} in a ${kind} response`);
        try {
          return decodeAny(r);
        } catch (e) {
          throw new Error(`resources[${i}]: cannot decode: ${(e as Error).message}`);
        }
      });
      await this.opts.proxy.update(kind, resources, version);
    } catch (e) {
      error = (e as Error).message;
    }
    if (this.stream !== stream) return; // the stream went away meanwhile; the next one re-subscribes
    if (error) {
      this.status.nacks++;
      this.status.lastNack = { type: kind, version, message: error };
      this.opts.proxy.stats.server.xds_update_rejected++;
      this.opts.log.warn({ type: kind, version, err: error }, 'config rejected (NACK); keeping the last good config');
      this.request(stream, kind, error);
      return;
    }
    t.version = version;
    this.status.acks++;
    this.status.versions[kind] = version;
    this.opts.proxy.stats.server.xds_update_success++;
    this.opts.log.debug({ type: kind, version, resources: res.resources?.length ?? 0 }, 'config applied (ACK)');
    this.request(stream, kind);
  }

  stop(): void {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.stream?.cancel();
    this.stream = undefined;
    this.client?.close();
    this.client = undefined;
  }
}
