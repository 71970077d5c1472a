/**
 * Zone benchmark: the zone controller and ADS server of one zone in this process (XdsZone + AdsServer on
 * an in-memory PGlite store) and N proxies as raw incremental ADS streams (each with its own dataplane
 * token and Dataplane; wildcard subscriptions to every type; each response ACKed, nothing decoded, so the
 * clients cost little next to the zone). Mesh: mTLS, an allow-all MeshTrafficPermission, S services, E
 * ExternalServices. Measures connect-all (every proxy answered for every type), then `--changes`
 * ExternalService applies (store write -> every proxy got a Cluster response naming it) and deletes:
 * p50/p99/max, the CPU of this process per change (the zone's, plus the cheap clients'), the bytes sent,
 * the longest event-loop block, RSS. For a profile: `node --cpu-prof --import tsx bench/zone.ts`.
 *
 * Run: npm run bench:zone -w @causeway/xds -- [--proxies 1000] [--services 200] [--external-services 100] [--changes 10]
 * Prints JSON; exits 1 when a change reached no proxy or nothing was measured.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import type { Resource } from '@causeway/core';
import { TYPE_URLS, XDS_KINDS } from '@causeway/envoy';
import { createSigningKey, generateDataplaneToken } from '@causeway/pki';
import { openStore } from '@causeway/store';
import * as grpc from '@grpc/grpc-js';
import pino from 'pino';
import { AdsServer, adsCredentials, adsServiceDefinition } from '../src/server/ads.js';
import { res, storeMeshCa } from '../src/testing/index.js';
import { XdsZone } from '../src/zone/index.js';

const { values: args } = parseArgs({
  options: {
    proxies: { type: 'string', default: '1000' },
    services: { type: 'string', default: '200' },
    'external-services': { type: 'string', default: '100' },
    changes: { type: 'string', default: '10' },
  },
});
const N = Number(args.proxies);
const S = Number(args.services);
const E = Number(args['external-services']);
const CHANGES = Number(args.changes);
for (const [k, v] of Object.entries({ N, S, E, CHANGES })) if (!Number.isInteger(v) || v <= 0) throw new Error(`--${k}: must be a positive integer, got ${v}`);

const logger = pino({ level: process.env.LOG_LEVEL ?? 'error' });
const key = createSigningKey();
const store = await openStore({});
await store.create(res('Mesh', 'default', { mtls: { enabledBackend: 'ca-1', backends: [{ name: 'ca-1', type: 'builtin' }] } }));
await storeMeshCa(store, 'default');
await store.create(res('MeshTrafficPermission', 'allow-all', { targetRef: { kind: 'Mesh' }, from: [{ targetRef: { kind: 'Mesh' }, default: { action: 'Allow' } }] }, 'default'));
const es = (name: string): Resource => res('ExternalService', name, { tags: { 'kuma.io/service': name, 'kuma.io/protocol': 'http' }, networking: { address: `${name}.example.com:443`, tls: { enabled: true } } }, 'default');
for (let i = 0; i < E; i++) await store.create(es(`ext-${i}`));
const zone = new XdsZone({ store, zone: 'zone-1', logger, signingKeyPem: key, proxyGraceMs: 600_000 });
await zone.start();
const server = new AdsServer({ cache: zone.cache, registry: zone, logger });
const port = await server.listen('127.0.0.1', 0, adsCredentials(undefined));

// ------------------------------------------------------------------------------------------------------
// Proxies: raw delta streams; responses kept as bytes (a name is found by searching them).

const Client = grpc.makeGenericClientConstructor({ ...adsServiceDefinition, DeltaAggregatedResources: { ...adsServiceDefinition.DeltaAggregatedResources, responseDeserialize: (b: Buffer) => b } } as grpc.ServiceDefinition, 'ADS');
let bytes = 0;
interface Proxy {
  answered: Set<string>;
  onResponse?: (b: Buffer) => void;
}
const proxies: Proxy[] = [];
const clients: { close(): void }[] = [];
const nonceOf = (b: Buffer): string | undefined => {
  // DeltaDiscoveryResponse.nonce is field 5 (tag 0x2a); the encoder writes it after the type URL.
  const url = b.lastIndexOf(Buffer.from('type.googleapis.com/'));
  const at = b.indexOf(0x2a, url);
  if (at < 0) return undefined;
  const len = b[at + 1] as number;
  return b.subarray(at + 2, at + 2 + len).toString();
};
function connect(i: number): Proxy {
  const p: Proxy = { answered: new Set() };
  const client = new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), { 'grpc.max_receive_message_length': 64 * 1024 * 1024 }) as unknown as { DeltaAggregatedResources(md: grpc.Metadata): grpc.ClientDuplexStream<Record<string, unknown>, Buffer>; close(): void };
  clients.push(client);
  const md = new grpc.Metadata();
  const service = `svc-${i % S}`;
  md.set('authorization', `Bearer ${generateDataplaneToken({ signingKeyPem: key, mesh: 'default', name: `dp-${i}`, tags: { 'kuma.io/service': [service] } })}`);
  const stream = client.DeltaAggregatedResources(md);
  stream.on('error', () => undefined);
  stream.on('data', (b: Buffer) => {
    bytes += b.length;
    const type = XDS_KINDS.find((k) => b.includes(TYPE_URLS[k])) as string;
    p.answered.add(type);
    p.onResponse?.(b);
    stream.write({ type_url: TYPE_URLS[type as keyof typeof TYPE_URLS], response_nonce: nonceOf(b) });
  });
  const a = 10 + Math.floor(i / 250);
  const resource = JSON.stringify({ type: 'Dataplane', mesh: 'default', name: `dp-${i}`, networking: { address: `127.0.${a}.${(i % 250) + 1}`, inbound: [{ port: 8080, tags: { 'kuma.io/service': service, 'kuma.io/protocol': 'http' } }] } });
  XDS_KINDS.forEach((k, n) => {
    stream.write({ ...(n === 0 ? { node: { id: `default.dp-${i}`, metadata: { 'dataplane.resource': resource } } } : {}), type_url: TYPE_URLS[k] });
  });
  return p;
}

const lag = monitorEventLoopDelay({ resolution: 10 });
lag.enable();
const rssMb = () => Math.round(process.memoryUsage().rss / 1048576);
const cpuMs = (c: NodeJS.CpuUsage) => Math.round((c.user + c.system) / 1000);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const until = async (f: () => boolean, timeoutMs: number) => {
  const end = Date.now() + timeoutMs;
  while (!f()) {
    if (Date.now() > end) return false;
    await sleep(5);
  }
  return true;
};

const t0 = performance.now();
for (let i = 0; i < N; i++) proxies.push(connect(i));
const connected = await until(() => proxies.every((p) => p.answered.size === XDS_KINDS.length), 600_000);
const connectMs = Math.round(performance.now() - t0);
await sleep(1000); // the passes the connects scheduled
const rssAfterConnect = rssMb();

/** One change: `write` then the time until every proxy's next Cluster response satisfies `reached`. */
async function change(write: () => Promise<unknown>, name: string): Promise<{ ms: number; reached: number; cpuMs: number; bytes: number; lagMaxMs: number }> {
  let reached = 0;
  const b0 = bytes;
  const needle = Buffer.from(name);
  for (const p of proxies) {
    let done = false;
    p.onResponse = (b) => {
      if (!done && b.includes(TYPE_URLS.Cluster) && b.includes(needle)) {
        done = true;
        reached++;
      }
    };
  }
  lag.reset();
  const c = process.cpuUsage();
  const start = performance.now();
  await write();
  await until(() => reached === N, 120_000);
  const ms = performance.now() - start;
  await sleep(300); // what the change still costs after the last proxy (the coalesced writes)
  return { ms: Math.round(ms), reached, cpuMs: cpuMs(process.cpuUsage(c)), bytes: bytes - b0, lagMaxMs: Math.round(lag.max / 1e6) };
}

const applies = [];
const deletes = [];
for (let i = 0; i < CHANGES; i++) {
  applies.push(await change(() => store.create(es(`new-${i}`)), `new-${i}`));
  // A delete shows as the name in removed_resources of a Cluster response.
  deletes.push(await change(() => store.delete('ExternalService', 'default', `new-${i}`), `new-${i}`));
}
const pct = (v: number[], q: number) => [...v].sort((a, b) => a - b)[Math.min(v.length - 1, Math.floor(q * v.length))] as number;
const summary = (rs: Awaited<ReturnType<typeof change>>[]) => ({
  msP50: pct(rs.map((r) => r.ms), 0.5),
  msP99: pct(rs.map((r) => r.ms), 0.99),
  msMax: Math.max(...rs.map((r) => r.ms)),
  cpuMsP50: pct(rs.map((r) => r.cpuMs), 0.5),
  sentMbP50: Math.round(pct(rs.map((r) => r.bytes), 0.5) / 1e4) / 100,
  lagMaxMs: Math.max(...rs.map((r) => r.lagMaxMs)),
  minReached: Math.min(...rs.map((r) => r.reached)),
});
const out = {
  node: process.version,
  loadAverage1m: Math.round((loadavg()[0] as number) * 100) / 100,
  proxies: N,
  services: S,
  externalServices: E,
  connectAllMs: connected ? connectMs : `not all within 600 s (${proxies.filter((p) => p.answered.size === XDS_KINDS.length).length} of ${N})`,
  apply: summary(applies),
  delete: summary(deletes),
  rssMb: { afterConnect: rssAfterConnect, afterChanges: rssMb() },
  streamsDropped: server.stats().streamsEnded.dropped,
};
console.log(JSON.stringify(out, null, 2));
for (const c of clients) c.close();
await server.close(200);
await zone.close();
await store.close();
if (!connected || out.apply.minReached === 0 || out.delete.minReached === 0) {
  console.error('measured nothing: a change reached no proxy, or not every proxy connected');
  process.exit(1);
}
process.exit(0);
