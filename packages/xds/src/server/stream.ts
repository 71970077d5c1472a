/**
 * One ADS stream, whichever protocol it speaks: requests handled one at a time in arrival order; the
 * first one admits the proxy (token, node, registration: the registry decides), then the protocol handles
 * every request and every change of the proxy's snapshot. The session counts responses, ACKs and NACKs,
 * reports them to the registry, and ends the stream once (ended by the proxy, dropped, refused, failed).
 */
import { randomUUID } from 'node:crypto';
import type { XdsKind } from '@causeway/envoy';
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { KIND_BY_URL, type MessageWriter, type Snapshot, type SnapshotCache, type SnapshotDiff } from './cache.js';
import type { SendWindow, WindowWaiter } from './send-window.js';
import { AdsError, type ProxyRegistry, type XdsNode } from './types.js';

/** How ADS streams ended: `dropped` = cancelled or broken while the proxy was connected (it reconnects). */
export type StreamEnd = 'ended' | 'dropped' | 'refused' | 'failed';

/** What the streams count (AdsServer.stats adds the open streams and the send window). */
export interface AdsCounters {
  streams: number;
  responsesSent: number;
  acks: number;
  nacks: number;
  streamsEnded: Record<StreamEnd, number>;
}

export interface AdsStats extends AdsCounters {
  /** Bytes of responses handed to gRPC and not written out yet (send-window.ts). */
  sendWindowBytes: number;
  /** Streams whose responses wait for room in the send window. */
  streamsWaitingToSend: number;
}

/** What a protocol does with the requests of an admitted proxy and with its snapshot changes. */
export interface StreamProtocol<Req> {
  /** Handles one request of a type this server serves (the proxy is admitted: `session.key` is set). */
  request(req: Req, kind: XdsKind): void;
  /** The proxy's snapshot changed: `changed` are the types whose version did, `diff` what changed in each. */
  pushChanged(snap: Snapshot, changed: readonly XdsKind[], diff: SnapshotDiff): void;
}

export interface SessionDeps {
  cache: SnapshotCache;
  registry: ProxyRegistry;
  logger: Logger;
  counters: AdsCounters;
  /** Open streams (the server ends them on close). */
  streams: Set<grpc.ServerDuplexStream<unknown, Buffer | MessageWriter>>;
  /** Bounds what all streams have handed to gRPC and not written out yet. */
  window: SendWindow;
}

export class StreamSession implements WindowWaiter {
  readonly streamId = randomUUID();
  readonly log: Logger;
  /** The proxy's key, once admitted. */
  key: string | undefined;
  private closed = false;
  private nonceSeq = 0;
  private unsubscribe: (() => void) | undefined;
  /** Responses waiting for room in the send window, in order. */
  private readonly outbox: (Buffer | MessageWriter)[] = [];
  /** Bytes this stream has handed to gRPC and not seen written out. */
  private inFlight = 0;

  constructor(
    private readonly call: grpc.ServerDuplexStream<unknown, Buffer | MessageWriter>,
    private readonly deps: SessionDeps,
  ) {
    this.log = deps.logger.child({ stream: this.streamId.slice(0, 8), peer: call.getPeer() });
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** The proxy's current snapshot (undefined until its first one is generated). */
  snapshot(): Snapshot | undefined {
    return this.key ? this.deps.cache.get(this.key) : undefined;
  }

  nextNonce(): string {
    return `${this.streamId.slice(0, 8)}-${++this.nonceSeq}`;
  }

  /**
   * Sends a response of `typeUrl` at `version` (a MessageWriter is written out by gRPC's serializer:
   * cache.ts serializeResponse), after those before it, when the send window has room.
   */
  send(typeUrl: string, version: string, body: Buffer | MessageWriter): void {
    if (this.closed || !this.key) return;
    this.deps.counters.responsesSent++;
    this.outbox.push(body);
    if (this.outbox.length === 1) this.resume();
    this.deps.registry.onResponse(this.key, this.streamId, typeUrl, version);
  }

  /** Hands the waiting responses to gRPC while the send window has room; waits for room when it fills. */
  resume(): void {
    const { window } = this.deps;
    while (this.outbox.length > 0 && !this.closed) {
      const body = this.outbox[0] as Buffer | MessageWriter;
      // A Buffer's byteLength is its length; a MessageWriter's, the message it writes.
      const size = body.byteLength;
      if (!window.take(size)) {
        window.wait(this);
        return;
      }
      this.outbox.shift();
      this.inFlight += size;
      this.call.write(body, () => {
        if (this.closed) return;
        this.inFlight -= size;
        window.release(size);
      });
    }
  }

  acked(typeUrl: string, version: string): void {
    if (!this.key) return;
    this.deps.counters.acks++;
    this.deps.registry.onAck(this.key, this.streamId, typeUrl, version);
  }

  nacked(typeUrl: string, version: string, error: string): void {
    if (!this.key) return;
    this.deps.counters.nacks++;
    this.log.warn({ proxy: this.key, typeUrl, version, error }, 'proxy rejected config (NACK): keeping its last good config');
    this.deps.registry.onNack(this.key, this.streamId, typeUrl, version, error);
  }

  /**
   * Runs the stream: `nodeOf` reads the node of the first request; `protocol` handles the rest. The
   * token comes from the `authorization: Bearer` call header, or node metadata `dataplane.token`.
   */
  run<Req extends { type_url?: string }>(nodeOf: (req: Req) => XdsNode | undefined, protocol: StreamProtocol<Req>): void {
    const { call, deps } = this;
    let chain: Promise<void> = Promise.resolve();
    deps.streams.add(call);
    const onRequest = async (req: Req) => {
      if (this.closed) return;
      if (!this.key) {
        const node = nodeOf(req);
        if (!node) throw new AdsError(grpc.status.INVALID_ARGUMENT, 'the first request must carry the node');
        const header = call.metadata.get('authorization')[0];
        const fromHeader = typeof header === 'string' ? header.replace(/^Bearer\s+/i, '') : undefined;
        const fromNode = node.metadata?.['dataplane.token'];
        const token = fromHeader ?? (typeof fromNode === 'string' ? fromNode : undefined);
        const key = await deps.registry.connect({ node, token, streamId: this.streamId, peer: call.getPeer() });
        if (this.closed) {
          deps.registry.disconnect(key, this.streamId);
          return;
        }
        this.key = key;
        this.log.info({ proxy: key, node: node.id }, 'proxy connected');
        this.unsubscribe = deps.cache.subscribe(key, (snap, changed, diff) => {
          if (!this.closed) protocol.pushChanged(snap, changed, diff);
        });
      }
      const url = req.type_url ?? '';
      const kind = KIND_BY_URL.get(url);
      if (kind) protocol.request(req, kind);
      else this.log.debug({ proxy: this.key, typeUrl: url }, 'request for a type this server does not serve: ignored');
    };
    const failed = (e: unknown) => {
      if (e instanceof AdsError) this.finish('refused', 'refused', { code: e.code, message: e.message });
      else {
        this.log.error({ proxy: this.key, err: (e as Error).message }, 'xDS request failed');
        this.finish('failed', 'error', { code: grpc.status.INTERNAL, message: (e as Error).message });
      }
    };
    /** Requests still in the chain (the first one waits for admission; the others wait for it). */
    let queued = 0;
    call.on('data', (req: Req) => {
      // Once the proxy is admitted and nothing is queued, a request (an ACK, mostly) is handled at once:
      // the same order, without a promise per request.
      if (this.key && queued === 0) {
        if (this.closed) return;
        try {
          const kind = KIND_BY_URL.get(req.type_url ?? '');
          if (kind) protocol.request(req, kind);
          else this.log.debug({ proxy: this.key, typeUrl: req.type_url ?? '' }, 'request for a type this server does not serve: ignored');
        } catch (e) {
          failed(e);
        }
        return;
      }
      queued++;
      chain = chain
        .then(() => onRequest(req))
        .catch(failed)
        .finally(() => {
          queued--;
        });
    });
    // A cancelled stream also ends its readable side; grpc-js sets `cancelled` by the next turn.
    call.on('end', () => setImmediate(() => (call.cancelled ? this.finish('dropped', 'cancelled') : this.finish('ended', 'the proxy ended the stream'))));
    call.on('cancelled', () => this.finish('dropped', 'cancelled'));
    call.on('error', (e: Error) => this.finish('dropped', `stream error: ${e.message}`));
  }

  /** Ends the stream with an error status (refused, failed) or normally. */
  finish(end: StreamEnd, why: string, err?: { code?: grpc.status; message?: string }): void {
    if (this.closed) return;
    this.closed = true;
    const { call, deps, key } = this;
    deps.streams.delete(call);
    this.unsubscribe?.();
    // What waited is not sent; what was in flight is given back (gRPC calls back no write of a cancelled stream).
    this.outbox.length = 0;
    deps.window.forget(this);
    if (this.inFlight > 0) deps.window.release(this.inFlight);
    this.inFlight = 0;
    if (key) deps.registry.disconnect(key, this.streamId);
    // A stream that breaks under a connected proxy is worth an operator's eye (it reconnects and is sent
    // its config again); one that never got past the token is not.
    const dropped = end === 'dropped' && key !== undefined;
    deps.counters.streamsEnded[end === 'dropped' && !dropped ? 'ended' : end]++;
    if (err) {
      this.log.info({ proxy: key, err: err.message }, `xDS stream refused: ${err.message}`);
      call.emit('error', { code: err.code ?? grpc.status.INTERNAL, details: err.message });
    } else {
      if (dropped) this.log.warn({ proxy: key, why }, `xDS stream of ${key} dropped (${why}); the proxy keeps its config and reconnects`);
      else this.log.debug({ proxy: key, why }, 'xDS stream closed');
      call.end();
    }
  }
}
