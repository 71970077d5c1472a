/**
 * The ADS server (`envoy.service.discovery.v3.AggregatedDiscoveryService`) over @grpc/grpc-js: both of
 * Envoy's protocols, state of the world (`StreamAggregatedResources`, sotw.ts) and incremental
 * (`DeltaAggregatedResources`, delta.ts), on the same streams machinery (stream.ts: admission through the
 * registry, ACK/NACK bookkeeping, how a stream ended) and the same snapshots (cache.ts).
 */
import { decodeMessage, encodeMessage } from '@causeway/envoy';
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { type MessageWriter, type SnapshotCache, serializeResponse } from './cache.js';
import { DeltaStream } from './delta.js';
import { SendWindow } from './send-window.js';
import { SotwStream } from './sotw.js';
import { type AdsCounters, type AdsStats, StreamSession } from './stream.js';
import type { DeltaDiscoveryRequest, DiscoveryRequest, ProxyRegistry } from './types.js';

export * from './types.js';
export { DEFAULT_SEND_WINDOW_BYTES } from './send-window.js';
export type { AdsStats, StreamEnd } from './stream.js';

const SERVICE = 'envoy.service.discovery.v3.AggregatedDiscoveryService';
/** Largest request (DiscoveryRequest or DeltaDiscoveryRequest) the ADS server reads. */
export const MAX_REQUEST_BYTES = 1024 * 1024;
const REQ = 'envoy.service.discovery.v3.DiscoveryRequest';
const RESP = 'envoy.service.discovery.v3.DiscoveryResponse';
const DELTA_REQ = 'envoy.service.discovery.v3.DeltaDiscoveryRequest';
const DELTA_RESP = 'envoy.service.discovery.v3.DeltaDiscoveryResponse';

/** The string fields of an ACK (DiscoveryRequest: version_info 1, type_url 4, response_nonce 5). */
const SOTW_ACK_FIELDS: ReadonlyMap<number, string> = new Map([
  [1, 'version_info'],
  [4, 'type_url'],
  [5, 'response_nonce'],
]);
/** The string fields of an ACK (DeltaDiscoveryRequest: type_url 2, response_nonce 6). */
const DELTA_ACK_FIELDS: ReadonlyMap<number, string> = new Map([
  [2, 'type_url'],
  [6, 'response_nonce'],
]);

/** A varint at `at` (up to 2^35): its value and where the next byte is; undefined past the end. */
function readVarint(b: Buffer, at: number): [number, number] | undefined {
  let v = 0;
  let i = at;
  for (let shift = 0; shift <= 28; shift += 7) {
    if (i >= b.length) return undefined;
    const byte = b[i++] as number;
    v += (byte & 0x7f) * 2 ** shift;
    if (!(byte & 0x80)) return [v, i];
  }
  return undefined;
}

/**
 * A request made only of the string fields `fields` (an ACK: every proxy sends one per response, so a
 * thousand per change and type) decoded by hand, as the protos decode it; undefined for anything else
 * (another field, another wire type, a malformed length), which the protos then decode.
 */
export function decodeStrings(b: Buffer, fields: ReadonlyMap<number, string>): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  let at = 0;
  while (at < b.length) {
    const tag = b[at++] as number;
    if (tag & 0x80 || (tag & 7) !== 2) return undefined;
    const name = fields.get(tag >> 3);
    if (name === undefined) return undefined;
    const v = readVarint(b, at);
    if (!v) return undefined;
    const [len, start] = v;
    at = start;
    if (at + len > b.length) return undefined;
    out[name] = b.toString('utf8', at, at + len);
    at += len;
  }
  return out;
}

/**
 * A DeltaDiscoveryRequest that carries `initial_resource_versions` (map field 5: entries of key 1, value
 * 2), decoded as the protos decode it: the map by hand, the other fields (node, type URL, names) by the
 * protos. A proxy that reconnects announces every resource it holds, ~1,000 per type, and the protos
 * decoded such a request at ~1 ms (a restart of the zone: 5,000 of them). Undefined for a request without
 * the field or anything unexpected in it (the protos then decode the whole request).
 */
export function decodeDeltaWithVersions(b: Buffer): DeltaDiscoveryRequest | undefined {
  let versions: Record<string, string> | undefined;
  const rest: Buffer[] = [];
  let at = 0;
  while (at < b.length) {
    const tagAt = readVarint(b, at);
    if (!tagAt) return undefined;
    const [tag, afterTag] = tagAt;
    const wire = tag & 7;
    let end: number;
    if (wire === 0) {
      const v = readVarint(b, afterTag);
      if (!v) return undefined;
      end = v[1];
    } else if (wire === 2) {
      const len = readVarint(b, afterTag);
      if (!len || len[1] + len[0] > b.length) return undefined;
      end = len[1] + len[0];
      if (tag >>> 3 === 5) {
        let key = '';
        let value = '';
        for (let e = len[1]; e < end; ) {
          const etag = b[e++] as number;
          if (etag !== 0x0a && etag !== 0x12) return undefined;
          const elen = readVarint(b, e);
          if (!elen || elen[1] + elen[0] > end) return undefined;
          const text = b.toString('utf8', elen[1], elen[1] + elen[0]);
          if (etag === 0x0a) key = text;
          else value = text;
          e = elen[1] + elen[0];
        }
        versions ??= {};
        versions[key] = value;
        at = end;
        continue;
      }
    } else return undefined;
    rest.push(b.subarray(at, end));
    at = end;
  }
  if (!versions) return undefined;
  const others = Buffer.concat(rest);
  const req = ((decodeStrings(others, DELTA_ACK_FIELDS) as DeltaDiscoveryRequest | undefined) ?? decodeMessage<DeltaDiscoveryRequest>(DELTA_REQ, others)) as DeltaDiscoveryRequest;
  req.initial_resource_versions = versions;
  return req;
}

export const adsServiceDefinition: grpc.ServiceDefinition = {
  StreamAggregatedResources: {
    path: `/${SERVICE}/StreamAggregatedResources`,
    requestStream: true,
    responseStream: true,
    requestSerialize: (r: DiscoveryRequest) => encodeMessage(REQ, r as Record<string, unknown>),
    requestDeserialize: (b: Buffer) => (decodeStrings(b, SOTW_ACK_FIELDS) as DiscoveryRequest | undefined) ?? decodeMessage<DiscoveryRequest>(REQ, b),
    responseSerialize: serializeResponse,
    responseDeserialize: (b: Buffer) => decodeMessage(RESP, b),
  },
  DeltaAggregatedResources: {
    path: `/${SERVICE}/DeltaAggregatedResources`,
    requestStream: true,
    responseStream: true,
    requestSerialize: (r: DeltaDiscoveryRequest) => encodeMessage(DELTA_REQ, r as Record<string, unknown>),
    requestDeserialize: (b: Buffer) => (decodeStrings(b, DELTA_ACK_FIELDS) as DeltaDiscoveryRequest | undefined) ?? decodeDeltaWithVersions(b) ?? decodeMessage<DeltaDiscoveryRequest>(DELTA_REQ, b),
    responseSerialize: serializeResponse,
    responseDeserialize: (b: Buffer) => decodeMessage(DELTA_RESP, b),
  },
};

export interface AdsServerOptions {
  cache: SnapshotCache;
  registry: ProxyRegistry;
  logger: Logger;
  /** Bytes of responses all streams may have handed to gRPC and not written out yet (send-window.ts; default 16 MiB). */
  sendWindowBytes?: number | undefined;
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
  private readonly streams = new Set<grpc.ServerDuplexStream<unknown, Buffer | MessageWriter>>();
  private readonly counters: AdsCounters = { streams: 0, responsesSent: 0, acks: 0, nacks: 0, streamsEnded: { ended: 0, dropped: 0, refused: 0, failed: 0 } };
  private readonly window: SendWindow;

  constructor(opts: AdsServerOptions) {
    this.window = new SendWindow(opts.sendWindowBytes);
    const deps = { cache: opts.cache, registry: opts.registry, logger: opts.logger, counters: this.counters, streams: this.streams, window: this.window };
    this.server.addService(adsServiceDefinition, {
      StreamAggregatedResources: (call: grpc.ServerDuplexStream<DiscoveryRequest, Buffer | MessageWriter>) => {
        const session = new StreamSession(call, deps);
        session.run((req: DiscoveryRequest) => req.node, new SotwStream(session));
      },
      DeltaAggregatedResources: (call: grpc.ServerDuplexStream<DeltaDiscoveryRequest, Buffer | MessageWriter>) => {
        const session = new StreamSession(call, deps);
        session.run((req: DeltaDiscoveryRequest) => req.node, new DeltaStream(session));
      },
    });
  }

  stats(): AdsStats {
    return { ...this.counters, streams: this.streams.size, streamsEnded: { ...this.counters.streamsEnded }, sendWindowBytes: this.window.inFlight, streamsWaitingToSend: this.window.waiting };
  }

  /**
   * Binds `host:port` (port 0 picks one); returns the port. The request decoders are made first: the
   * Envoy protos load on their first use (~100 ms), which was the first connecting proxy's — in a connect
   * wave, one more block of the event loop in the middle of the wave.
   */
  listen(host: string, port: number, credentials: grpc.ServerCredentials): Promise<number> {
    for (const type of [REQ, DELTA_REQ]) decodeMessage(type, new Uint8Array(0));
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
}

/** Server credentials for the zone's ADS port. */
export function adsCredentials(tls: { certPem: string; keyPem: string } | undefined): grpc.ServerCredentials {
  if (!tls) return grpc.ServerCredentials.createInsecure();
  return grpc.ServerCredentials.createSsl(null, [{ private_key: Buffer.from(tls.keyPem), cert_chain: Buffer.from(tls.certPem) }], false);
}
