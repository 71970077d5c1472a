/**
 * The simulated proxies of bench/zone.ts, in a worker thread so that the zone's own thread can be
 * measured alone: N raw incremental ADS streams (own dataplane token and Dataplane each, wildcard
 * subscriptions to every type, every response ACKed; of a response only the type, the names and
 * versions of its resources and the removed names are read, what the proxy holds). A stream that ends
 * or fails is opened again after 100-350 ms (Envoy retries within 500 ms), announcing what the proxy
 * holds (`initial_resource_versions`), as after a restart of the zone's control plane.
 * Messages from the parent: `{ watch: name }` (count the proxies whose next Cluster response names it,
 * report `{ reached, bytes }` when all have, or on `{ report: true }`); `{ restart: true }` (the zone is
 * about to restart: count the proxies answered again on a new stream, report `{ again: n, bytes, cpuMs }`
 * as they are). To the parent: `{ connected: n, bytes, cpuMs }` as proxies get an answer for every type
 * (bytes received and this thread's CPU so far), `{ reached, bytes, cpuMs }`, `{ again, ... }`.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { encodeMessage, TYPE_URLS, XDS_KINDS } from '@causeway/envoy';
import { generateDataplaneToken } from '@causeway/pki';
import * as grpc from '@grpc/grpc-js';
import { adsServiceDefinition } from '../src/server/ads.js';

const { port, proxies: N, services: S, signingKeyPem } = workerData as { port: number; proxies: number; services: number; signingKeyPem: string };
const parent = parentPort as NonNullable<typeof parentPort>;

const delta = adsServiceDefinition.DeltaAggregatedResources as grpc.MethodDefinition<Record<string, unknown>, Buffer>;
/** Requests are handed over encoded (a reconnect's by hand: see `firstRequest`); responses as bytes. */
const Client = grpc.makeGenericClientConstructor(
  { ...adsServiceDefinition, DeltaAggregatedResources: { ...delta, requestSerialize: (r: Buffer | Record<string, unknown>) => (Buffer.isBuffer(r) ? r : delta.requestSerialize(r)), responseDeserialize: (b: Buffer) => b } } as grpc.ServiceDefinition,
  'ADS',
);
const DELTA_REQ = 'envoy.service.discovery.v3.DeltaDiscoveryRequest';

const varintSize = (n: number) => (n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x200000 ? 3 : 4);
function writeVarint(b: Buffer, at: number, n: number): number {
  let v = n;
  let i = at;
  while (v > 0x7f) {
    b[i++] = (v & 0x7f) | 0x80;
    v = Math.floor(v / 128);
  }
  b[i++] = v;
  return i;
}

/**
 * The first request of a type on a stream (node on the stream's first; type URL), with what the proxy
 * holds of it as `initial_resource_versions` (map field 5: entries of key 1, value 2) encoded by hand into
 * one buffer: a reconnect announces ~1,000 resources per type, which the protos encoded at ~1 ms a
 * request on this one thread for all the proxies (a real proxy encodes its own).
 */
function firstRequest(head: Record<string, unknown>, held: Map<string, string> | undefined): Buffer {
  const headBytes = encodeMessage(DELTA_REQ, head);
  const entries: [Buffer, Buffer, number][] = [];
  let size = headBytes.length;
  for (const [name, version] of held ?? []) {
    const k = Buffer.from(name);
    const v = Buffer.from(version);
    const entry = 1 + varintSize(k.length) + k.length + 1 + varintSize(v.length) + v.length;
    entries.push([k, v, entry]);
    size += 1 + varintSize(entry) + entry;
  }
  const out = Buffer.allocUnsafe(size);
  let at = headBytes.copy(out, 0);
  for (const [k, v, entry] of entries) {
    out[at++] = (5 << 3) | 2;
    at = writeVarint(out, at, entry);
    out[at++] = (1 << 3) | 2;
    at = writeVarint(out, at, k.length);
    at += k.copy(out, at);
    out[at++] = (2 << 3) | 2;
    at = writeVarint(out, at, v.length);
    at += v.copy(out, at);
  }
  return out;
}

/** One channel option set for all: the proxies share one connection; after a restart it is made again within ~100 ms. */
const CHANNEL_OPTIONS = { 'grpc.max_receive_message_length': 64 * 1024 * 1024, 'grpc.initial_reconnect_backoff_ms': 100, 'grpc.max_reconnect_backoff_ms': 500 };
let bytes = 0;
let connected = 0;
interface Proxy {
  answered: Set<string>;
  onResponse?: (b: Buffer) => void;
  /** Per type URL, what the proxy holds: resource name -> version. */
  held: Map<string, Map<string, string>>;
  /** Streams opened so far (the first is the connect wave's). */
  streams: number;
  /** Answered on its current stream. */
  answeredNow: boolean;
}
const proxies: Proxy[] = [];

/** A varint at `at`: its value and where the next field starts. */
function varint(b: Buffer, at: number): [number, number] {
  let v = 0;
  let mul = 1;
  let i = at;
  for (;;) {
    const byte = b[i++] as number;
    v += (byte & 0x7f) * mul;
    if (byte < 0x80) return [v, i];
    mul *= 128;
  }
}

/**
 * What the proxy holds after a DeltaDiscoveryResponse (system_version_info 1, resources 2 = Resource {
 * version 1, resource 2, name 3 }, type_url 4, nonce 5, removed_resources 6): its type URL and nonce.
 */
function readResponse(b: Buffer, held: Map<string, Map<string, string>>): { typeUrl: string; nonce: string } {
  let typeUrl = '';
  let nonce = '';
  const changed: [string, string][] = [];
  const removed: string[] = [];
  for (let at = 0; at < b.length; ) {
    const [tag, a1] = varint(b, at);
    const wire = tag & 7;
    if (wire === 0) {
      at = varint(b, a1)[1];
      continue;
    }
    if (wire !== 2) throw new Error(`unexpected wire type ${wire} in a DeltaDiscoveryResponse`);
    const [len, start] = varint(b, a1);
    const end = start + len;
    const field = tag >>> 3;
    if (field === 2) {
      let name = '';
      let version = '';
      for (let r = start; r < end; ) {
        const [rtag, r1] = varint(b, r);
        if ((rtag & 7) !== 2) {
          r = varint(b, r1)[1];
          continue;
        }
        const [rlen, rstart] = varint(b, r1);
        if (rtag >>> 3 === 3) name = b.toString('utf8', rstart, rstart + rlen);
        else if (rtag >>> 3 === 1) version = b.toString('utf8', rstart, rstart + rlen);
        r = rstart + rlen;
      }
      changed.push([name, version]);
    } else if (field === 4) typeUrl = b.toString('utf8', start, end);
    else if (field === 5) nonce = b.toString('utf8', start, end);
    else if (field === 6) removed.push(b.toString('utf8', start, end));
    at = end;
  }
  let mine = held.get(typeUrl);
  if (!mine) {
    mine = new Map();
    held.set(typeUrl, mine);
  }
  for (const [name, version] of changed) mine.set(name, version);
  for (const name of removed) mine.delete(name);
  return { typeUrl, nonce };
}

/** The CPU of this thread (Node 23.9+; not in this @types/node yet). */
const threadCpuUsage = (): NodeJS.CpuUsage => (process as unknown as { threadCpuUsage(): NodeJS.CpuUsage }).threadCpuUsage();
const cpuMs = () => {
  const c = threadCpuUsage();
  return (c.user + c.system) / 1000;
};

/** The restart being watched: proxies answered again on a new stream. */
let restart: { again: number; bytes0: number; cpu0: number } | undefined;

function open(i: number, p: Proxy, client: { DeltaAggregatedResources(md: grpc.Metadata): grpc.ClientDuplexStream<Record<string, unknown>, Buffer> }, md: grpc.Metadata, resource: string): void {
  const stream = client.DeltaAggregatedResources(md);
  p.streams++;
  p.answeredNow = false;
  let ended = false;
  const again = () => {
    if (ended) return;
    ended = true;
    setTimeout(() => open(i, p, client, md, resource), 100 + Math.random() * 250);
  };
  stream.on('error', again);
  stream.on('end', again);
  stream.on('data', (b: Buffer) => {
    bytes += b.length;
    const { typeUrl, nonce } = readResponse(b, p.held);
    if (!p.answered.has(typeUrl)) {
      p.answered.add(typeUrl);
      if (p.answered.size === XDS_KINDS.length) parent.postMessage({ connected: ++connected, bytes, cpuMs: cpuMs() });
    }
    if (!p.answeredNow) {
      p.answeredNow = true;
      if (restart && p.streams > 1) parent.postMessage({ again: ++restart.again, bytes: bytes - restart.bytes0, cpuMs: cpuMs() - restart.cpu0 });
    }
    p.onResponse?.(b);
    stream.write({ type_url: typeUrl, response_nonce: nonce });
  });
  XDS_KINDS.forEach((k, n) => {
    const head = { ...(n === 0 ? { node: { id: `default.dp-${i}`, metadata: { 'dataplane.resource': resource } } } : {}), type_url: TYPE_URLS[k] };
    stream.write(firstRequest(head, p.held.get(TYPE_URLS[k])) as unknown as Record<string, unknown>);
  });
}

function connect(i: number): Proxy {
  const p: Proxy = { answered: new Set(), held: new Map(), streams: 0, answeredNow: false };
  const client = new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), CHANNEL_OPTIONS) as unknown as { DeltaAggregatedResources(md: grpc.Metadata): grpc.ClientDuplexStream<Record<string, unknown>, Buffer> };
  const md = new grpc.Metadata();
  const service = `svc-${i % S}`;
  md.set('authorization', `Bearer ${generateDataplaneToken({ signingKeyPem, mesh: 'default', name: `dp-${i}`, tags: { 'kuma.io/service': [service] } })}`);
  const a = 10 + Math.floor(i / 250);
  const resource = JSON.stringify({ type: 'Dataplane', mesh: 'default', name: `dp-${i}`, networking: { address: `127.0.${a}.${(i % 250) + 1}`, inbound: [{ port: 8080, tags: { 'kuma.io/service': service, 'kuma.io/protocol': 'http' } }] } });
  open(i, p, client, md, resource);
  return p;
}

let watch: { reached: number; bytes0: number; cpu0: number } | undefined;
const report = () => {
  if (watch) parent.postMessage({ reached: watch.reached, bytes: bytes - watch.bytes0, cpuMs: cpuMs() - watch.cpu0 });
};
parent.on('message', (m: { watch?: string; report?: boolean; restart?: boolean }) => {
  if (m.watch !== undefined) {
    const w = { reached: 0, bytes0: bytes, cpu0: cpuMs() };
    watch = w;
    const needle = Buffer.from(m.watch);
    for (const p of proxies) {
      let done = false;
      p.onResponse = (b) => {
        if (!done && b.includes(TYPE_URLS.Cluster) && b.includes(needle)) {
          done = true;
          if (++w.reached === N) report();
        }
      };
    }
  } else if (m.report) report();
  else if (m.restart) {
    restart = { again: 0, bytes0: bytes, cpu0: cpuMs() };
    for (const p of proxies) p.onResponse = undefined;
  }
});
for (let i = 0; i < N; i++) proxies.push(connect(i));
