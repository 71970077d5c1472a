/**
 * Zone benchmark: the zone controller and ADS server of one zone in this process (XdsZone + AdsServer on
 * an in-memory PGlite store) and N proxies as raw incremental ADS streams in a worker thread
 * (bench/zone-clients.ts: each with its own dataplane token and Dataplane; wildcard subscriptions to every
 * type; each response ACKed, only the names and versions of its resources read). Mesh: mTLS, an allow-all
 * MeshTrafficPermission, S services, E ExternalServices. Measures connect-all (every proxy answered for
 * every type; with the zone thread's and the process's CPU, the bytes and the event-loop blocks of that
 * wave, each with the zone thread's CPU in it), then `--changes` ExternalService applies (store write ->
 * every proxy got a Cluster response naming it) and deletes: p50/p99/max, the CPU per change of the
 * process (zone, clients, GC and I/O threads), of the zone's thread and of the clients' thread, the bytes
 * sent, the longest event-loop block, RSS; then a restart (the zone's controller and ADS server stopped
 * and started again on the same store, the proxies reconnecting with what they hold): start -> every
 * proxy answered again. For a profile: `node --cpu-prof --import tsx bench/zone.ts` (`--blocks-file` to
 * cut it by block).
 *
 * Run: npm run bench:zone -w @causeway/xds -- [--proxies 1000] [--services 200] [--external-services 100] [--changes 10] [--skip-restart]
 * Prints JSON; exits 1 when a change reached no proxy or nothing was measured.
 */
import { writeFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import type { Resource } from '@causeway/core';
import { createSigningKey } from '@causeway/pki';
import { openStore } from '@causeway/store';
import pino from 'pino';
import { AdsServer, adsCredentials } from '../src/server/ads.js';
import { res, storeMeshCa } from '../src/testing/index.js';
import { XdsZone } from '../src/zone/index.js';

const { values: args } = parseArgs({
  options: {
    proxies: { type: 'string', default: '1000' },
    services: { type: 'string', default: '200' },
    'external-services': { type: 'string', default: '100' },
    changes: { type: 'string', default: '10' },
    /** Writes the connect wave's blocks over 50 ms (with `hrUs`, to cut a --cpu-prof profile) to this file. */
    'blocks-file': { type: 'string' },
    /** Leaves out the restart (the zone stopped and started again, the proxies reconnecting). */
    'skip-restart': { type: 'boolean', default: false },
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
const newZone = () => new XdsZone({ store, zone: 'zone-1', logger, signingKeyPem: key, proxyGraceMs: 600_000 });
let zone = newZone();
await zone.start();
let server = new AdsServer({ cache: zone.cache, registry: zone, logger });
const port = await server.listen('127.0.0.1', 0, adsCredentials(undefined));

// ------------------------------------------------------------------------------------------------------
// Proxies: raw delta streams, in a worker thread (bench/zone-clients.ts), so this thread is the zone's.

const worker = new Worker(new URL('./zone-clients.ts', import.meta.url), { workerData: { port, proxies: N, services: S, signingKeyPem: key } });
let connectedCount = 0;
/** The clients' bytes received and CPU when the last proxy was answered for every type. */
let connectReport = { bytes: 0, cpuMs: 0 };
let lastReport: { reached: number; bytes: number; cpuMs: number } | undefined;
/** After the restart: proxies answered again on a new stream, the clients' bytes and CPU since. */
let again = { count: 0, bytes: 0, cpuMs: 0 };
worker.on('message', (m: { connected?: number; reached?: number; again?: number; bytes?: number; cpuMs?: number }) => {
  if (m.again !== undefined) again = { count: m.again, bytes: m.bytes ?? 0, cpuMs: m.cpuMs ?? 0 };
  if (m.connected !== undefined) {
    connectedCount = m.connected;
    connectReport = { bytes: m.bytes ?? 0, cpuMs: m.cpuMs ?? 0 };
  }
  if (m.reached !== undefined) lastReport = m as typeof lastReport;
});
worker.on('error', (e) => {
  console.error(`the clients' worker failed: ${e.message}`);
  process.exit(1);
});

/** The CPU of the calling thread (Node 23.9+; not in this @types/node yet). */
const threadCpuUsage = (): NodeJS.CpuUsage => (process as unknown as { threadCpuUsage(): NodeJS.CpuUsage }).threadCpuUsage();
const lag = monitorEventLoopDelay({ resolution: 10 });
lag.enable();
/**
 * The event-loop blocks over 50 ms (a 5 ms timer that fired late): when each started (ms since the
 * connect wave began; `hrUs`: process.hrtime in µs, the clock of a --cpu-prof profile), how long it was,
 * and how much of it was this thread's CPU (`cpuMs`: on a loaded machine a block can be mostly time the
 * thread waited for a core).
 */
const blocks: { atMs: number; ms: number; cpuMs: number; hrUs: number }[] = [];
/** What `atMs` counts from: the start of the connect wave, then of the restart. */
let blocksFrom = performance.now();
let lastTick = performance.now();
let lastCpu = threadCpuUsage();
const probe = setInterval(() => {
  const now = performance.now();
  const cpu = threadCpuUsage();
  const late = now - lastTick - 5;
  if (late > 50) {
    const cpuMs = Math.round((cpu.user - lastCpu.user + cpu.system - lastCpu.system) / 1000);
    blocks.push({ atMs: Math.round(lastTick + 5 - blocksFrom), ms: Math.round(late), cpuMs, hrUs: Math.round(Number(process.hrtime.bigint() / 1000n) - late * 1000) });
  }
  lastTick = now;
  lastCpu = cpu;
}, 5);
const rssMb = () => Math.round(process.memoryUsage().rss / 1048576);
/** The zone thread's heap after a full GC (with --expose-gc; the clients' worker has its own heap). */
const heapMb = () => {
  (globalThis as { gc?: () => void }).gc?.();
  return Math.round(process.memoryUsage().heapUsed / 1048576);
};
const cpuMs = (c: NodeJS.CpuUsage) => Math.round((c.user + c.system) / 1000);
/** CPU of this thread (the zone's: store, controller, ADS server) since `c`, ms. */
const threadCpuMs = (c: NodeJS.CpuUsage) => {
  const now = threadCpuUsage();
  return Math.round((now.user - c.user + now.system - c.system) / 1000);
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const until = async (f: () => boolean, timeoutMs: number) => {
  const end = Date.now() + timeoutMs;
  while (!f()) {
    if (Date.now() > end) return false;
    await sleep(5);
  }
  return true;
};

lag.reset();
const t0 = performance.now();
blocksFrom = t0;
const tc0 = threadCpuUsage();
const c0 = process.cpuUsage();
const connected = await until(() => connectedCount === N, 600_000);
const connectMs = Math.round(performance.now() - t0);
/** The connect wave: CPU of this thread (the zone's), of the process and of the clients, bytes, the longest block. */
const connect = {
  zoneThreadCpuMs: threadCpuMs(tc0),
  cpuMs: cpuMs(process.cpuUsage(c0)),
  clientsCpuMs: Math.round(connectReport.cpuMs),
  sentMb: Math.round(connectReport.bytes / 1e4) / 100,
  lagMaxMs: Math.round(lag.max / 1e6),
  /** The most CPU this thread spent in one block of the event loop (the block's length without the waits for a core). */
  blockCpuMaxMs: Math.max(0, ...blocks.map((b) => b.cpuMs)),
  blocksOver50Ms: blocks.map(({ atMs, ms, cpuMs }) => `${ms} ms (CPU ${cpuMs} ms) at ${atMs} ms`),
};
if (args['blocks-file']) writeFileSync(args['blocks-file'], JSON.stringify(blocks));
await sleep(1000); // the passes the connects scheduled
const rssAfterConnect = rssMb();
const heapAfterConnect = heapMb();

/**
 * One change: `write` then the time until every proxy's next Cluster response names `name`. CPU: of the
 * process (zone, clients, GC and I/O threads), of this thread (the zone's), of the clients' thread.
 */
async function change(write: () => Promise<unknown>, name: string): Promise<{ ms: number; reached: number; cpuMs: number; zoneThreadCpuMs: number; clientsCpuMs: number; bytes: number; lagMaxMs: number }> {
  lastReport = undefined;
  worker.postMessage({ watch: name });
  await sleep(20); // the worker has armed its watch
  lag.reset();
  const c = process.cpuUsage();
  const tc = threadCpuUsage();
  const start = performance.now();
  await write();
  await until(() => lastReport?.reached === N, 120_000);
  const ms = performance.now() - start;
  await sleep(300); // what the change still costs after the last proxy (the coalesced writes)
  const zoneThreadCpuMs = threadCpuMs(tc);
  const processCpuMs = cpuMs(process.cpuUsage(c));
  lastReport = undefined;
  worker.postMessage({ report: true });
  await until(() => lastReport !== undefined, 10_000);
  const r = lastReport as unknown as { reached: number; bytes: number; cpuMs: number };
  return { ms: Math.round(ms), reached: r.reached, cpuMs: processCpuMs, zoneThreadCpuMs, clientsCpuMs: Math.round(r.cpuMs), bytes: r.bytes, lagMaxMs: Math.round(lag.max / 1e6) };
}

const applies = [];
const deletes = [];
for (let i = 0; i < CHANGES; i++) {
  applies.push(await change(() => store.create(es(`new-${i}`)), `new-${i}`));
  // A delete shows as the name in removed_resources of a Cluster response.
  deletes.push(await change(() => store.delete('ExternalService', 'default', `new-${i}`), `new-${i}`));
}
const streamsDropped = server.stats().streamsEnded.dropped;

/**
 * Restart: the zone's controller and ADS server stopped, then started again on the same store; the
 * proxies reconnect (100-350 ms after their stream ended), announcing what they hold. Measured from the
 * start of the new controller until every proxy has been answered (and has ACKed) on its new stream.
 * Unlike a new process, this one keeps what is loaded once per process (the Envoy protos, code).
 */
let restart: Record<string, unknown> | undefined;
if (!args['skip-restart']) {
  worker.postMessage({ restart: true });
  await sleep(20); // the worker counts from now
  const killedAt = performance.now();
  await server.close(0);
  await zone.close();
  blocks.length = 0;
  const tc = threadCpuUsage();
  const c = process.cpuUsage();
  const startAt = performance.now();
  blocksFrom = startAt;
  lag.reset();
  zone = newZone();
  await zone.start();
  server = new AdsServer({ cache: zone.cache, registry: zone, logger });
  await server.listen('127.0.0.1', port, adsCredentials(undefined));
  const readyAt = performance.now();
  const all = await until(() => again.count === N, 120_000);
  const doneAt = performance.now();
  restart = {
    startToAllAckedMs: all ? Math.round(doneAt - startAt) : `not all within 120 s (${again.count} of ${N})`,
    killToAllAckedMs: Math.round(doneAt - killedAt),
    startToReadyMs: Math.round(readyAt - startAt),
    zoneThreadCpuMs: threadCpuMs(tc),
    cpuMs: cpuMs(process.cpuUsage(c)),
    clientsCpuMs: Math.round(again.cpuMs),
    sentMb: Math.round(again.bytes / 1e4) / 100,
    lagMaxMs: Math.round(lag.max / 1e6),
    blockCpuMaxMs: Math.max(0, ...blocks.filter((b) => b.atMs >= 0).map((b) => b.cpuMs)),
    blocksOver50Ms: blocks.filter((b) => b.atMs >= 0).map(({ atMs, ms, cpuMs }) => `${ms} ms (CPU ${cpuMs} ms) at ${atMs} ms`),
  };
}

const pct = (v: number[], q: number) => [...v].sort((a, b) => a - b)[Math.min(v.length - 1, Math.floor(q * v.length))] as number;
const summary = (rs: Awaited<ReturnType<typeof change>>[]) => ({
  msP50: pct(rs.map((r) => r.ms), 0.5),
  msP99: pct(rs.map((r) => r.ms), 0.99),
  msMax: Math.max(...rs.map((r) => r.ms)),
  cpuMsP50: pct(rs.map((r) => r.cpuMs), 0.5),
  zoneThreadCpuMsP50: pct(rs.map((r) => r.zoneThreadCpuMs), 0.5),
  clientsCpuMsP50: pct(rs.map((r) => r.clientsCpuMs), 0.5),
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
  connectAllMs: connected ? connectMs : `not all within 600 s (${connectedCount} of ${N})`,
  connect,
  apply: summary(applies),
  delete: summary(deletes),
  rssMb: { afterConnect: rssAfterConnect, afterChanges: rssMb() },
  zoneHeapMb: { afterConnect: heapAfterConnect, afterChanges: heapMb() },
  restart,
  streamsDropped,
};
console.log(JSON.stringify(out, null, 2));
clearInterval(probe);
await worker.terminate();
await server.close(200);
await zone.close();
await store.close();
if (!connected || out.apply.minReached === 0 || out.delete.minReached === 0) {
  console.error('measured nothing: a change reached no proxy, or not every proxy connected');
  process.exit(1);
}
process.exit(0);
