/**
 * Whole-pipeline benchmark (issue #20, item 1), FIRST VERSION: real processes (nats-server with the
 * generated authorization, global on Postgres, zone-1 and zone-2 on Postgres) and N simulated proxies per
 * zone, real ADS gRPC clients over TLS (each with its own dataplane token and Dataplane, all in this
 * process) that decode every response with the Envoy protos and ACK it.
 *
 * Mesh: mTLS builtin, an allow-all MeshTrafficPermission, S services (one per proxy group), E
 * ExternalServices (every third one tagged `kuma.io/zone: zone-2`). Measured over `--changes` applies of a
 * new ExternalService at global: time from the 2xx until every proxy of both zones has ACKed a Cluster
 * response holding its cluster (p50/p99/max); bytes received per change per zone (serialized response
 * sizes, until the zone goes quiet); zone control plane RSS and CPU (/proc) before/after the changes (the
 * CPU window includes the 0.5 s quiet wait after each change); global RSS/CPU and this process's CPU (the
 * simulated proxies share the cores); connect-all time (until every proxy has ACKed Secret, Cluster and
 * Listener).
 *
 * Not measured yet: deletes and MeshTrafficPermission changes, restart -> all ACKed, NACKs, 1,000 proxies
 * (the proxies all run in this one process), MeshTimeout/MeshRetry and per-service permissions.
 *
 * Run: npm run bench:pipeline -w @causeway/integration-tests -- --proxies-per-zone 20 [--changes 20]
 *      [--services S] [--external-services E] [--timeout-ms 60000]
 * Prints JSON and a table; exits 1 when a change reached no proxy, or nothing was measured.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { Resource } from '@causeway/core';
import { generateNatsConfig } from '@causeway/sync';
import { startNatsServer } from '@causeway/sync/testing';
import { adsServiceDefinition, TYPE_URLS } from '@causeway/xds';
import * as grpc from '@grpc/grpc-js';
import { type ControlPlaneProcess, eventually, TestEnv } from '../src/harness.js';

const { values: args } = parseArgs({
  options: {
    'proxies-per-zone': { type: 'string', default: '20' },
    changes: { type: 'string', default: '20' },
    services: { type: 'string' },
    'external-services': { type: 'string', default: '10' },
    'timeout-ms': { type: 'string', default: '60000' },
  },
});
const N = Number(args['proxies-per-zone']);
const CHANGES = Number(args.changes);
const SERVICES = Number(args.services ?? Math.min(200, Math.max(20, Math.round(N / 5))));
const EXTERNAL = Number(args['external-services']);
const TIMEOUT_MS = Number(args['timeout-ms']);
for (const [k, v] of Object.entries({ N, CHANGES, SERVICES, EXTERNAL, TIMEOUT_MS })) {
  if (!Number.isInteger(v) || v < 0 || (k !== 'EXTERNAL' && v === 0)) throw new Error(`bad value for ${k}: ${v}`);
}
const ZONES = ['zone-1', 'zone-2'] as const;
type Zone = (typeof ZONES)[number];
const MESH = 'default';

// ---------------------------------------------------------------------------------------------------
// Simulated proxies

interface DecodedResponse {
  version_info: string;
  type_url: string;
  nonce: string;
  resources?: ({ name?: string } & Record<string, unknown>)[];
}
interface SizedResponse {
  msg: DecodedResponse;
  size: number;
}

/** The ADS definition, with the response deserializer also returning the serialized size. */
const base = adsServiceDefinition.StreamAggregatedResources;
if (!base) throw new Error('adsServiceDefinition has no StreamAggregatedResources');
const sizedDefinition: grpc.ServiceDefinition = {
  StreamAggregatedResources: { ...base, responseDeserialize: (b: Buffer): SizedResponse => ({ msg: base.responseDeserialize(b) as DecodedResponse, size: b.length }) },
};
const AdsClient = grpc.makeGenericClientConstructor(sizedDefinition, 'AggregatedDiscoveryService');

/** What a zone's proxies received: bytes, responses, and when the last one came. */
class ZoneCounters {
  bytes = 0;
  responses = 0;
  lastAt = 0;
  streamErrors = 0;
  readonly errors: string[] = [];
}

class SimProxy {
  /** kuma.io/service of a cluster -> when this proxy ACKed the first Cluster response holding it. */
  readonly clusterAckedAt = new Map<string, number>();
  readonly ackedTypes = new Set<string>();
  private stream: grpc.ClientDuplexStream<Record<string, unknown>, SizedResponse> | undefined;
  private client: grpc.Client | undefined;

  constructor(
    readonly name: string,
    private readonly counters: ZoneCounters,
  ) {}

  connect(address: string, ca: Buffer, token: string, node: Record<string, unknown>): void {
    const c = new AdsClient(address, grpc.credentials.createSsl(ca), { 'grpc.keepalive_time_ms': 30_000 });
    this.client = c;
    const md = new grpc.Metadata();
    md.set('authorization', `Bearer ${token}`);
    const call = (c as unknown as { StreamAggregatedResources(md: grpc.Metadata): grpc.ClientDuplexStream<Record<string, unknown>, SizedResponse> }).StreamAggregatedResources(md);
    this.stream = call;
    call.on('error', (e: Error) => {
      this.counters.streamErrors++;
      if (this.counters.errors.length < 10) this.counters.errors.push(`${this.name}: ${e.message}`);
    });
    call.on('data', ({ msg, size }: SizedResponse) => {
      const now = performance.now();
      this.counters.bytes += size;
      this.counters.responses++;
      this.counters.lastAt = now;
      call.write({ type_url: msg.type_url, version_info: msg.version_info, response_nonce: msg.nonce }); // ACK
      this.ackedTypes.add(msg.type_url);
      if (msg.type_url === TYPE_URLS.Cluster) {
        for (const r of msg.resources ?? []) if (r.name && !this.clusterAckedAt.has(r.name)) this.clusterAckedAt.set(r.name, now);
      }
    });
    let first = true;
    for (const type_url of Object.values(TYPE_URLS)) {
      call.write({ ...(first ? { node } : {}), type_url });
      first = false;
    }
  }

  close(): void {
    this.stream?.end();
    this.client?.close();
  }
}

// ---------------------------------------------------------------------------------------------------
// /proc readings of a zone control plane

const CLK_TCK = 100; // USER_HZ on Linux
function procStats(pid: number): { cpuS: number; rssMb: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state): utime is field 14, stime field 15.
  const cpuS = (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? Number.NaN);
  return { cpuS, rssMb: rssKb / 1024 };
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;
const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------------

const env = new TestEnv();
const proxies: Record<Zone, SimProxy[]> = { 'zone-1': [], 'zone-2': [] };
const counters: Record<Zone, ZoneCounters> = { 'zone-1': new ZoneCounters(), 'zone-2': new ZoneCounters() };
let tornDown: Promise<void> | undefined;
/** Closes the proxies and stops every process; once (a signal and the end of main() share it). */
function teardown(): Promise<void> {
  tornDown ??= (async () => {
    for (const p of [...proxies['zone-1'], ...proxies['zone-2']]) p.close();
    await env.teardown();
  })();
  return tornDown;
}
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  // `on`, not `once`: the harness's own signal hook exits at once when it is the only listener left.
  process.on(sig, () => {
    console.error(`\n${sig}: stopping every process`);
    void teardown().finally(() => process.exit(130));
  });
}

const log = (s: string) => console.error(`[pipeline ${new Date().toISOString().slice(11, 19)}] ${s}`);

async function main(): Promise<number> {
  // 1. Processes.
  const gen = generateNatsConfig({ zones: [...ZONES] });
  const nats = await startNatsServer({ config: gen.config });
  env.onTeardown(() => nats.dispose());
  const global = env.controlPlane('bench-global', ['--mode', 'global', '--database-url', await env.database('causeway_bench_global')], { nats: { url: nats.url, ...gen.global } });
  await global.start();
  const api = global.client();
  const zones = {} as Record<Zone, ControlPlaneProcess>;
  await Promise.all(
    ZONES.map(async (z, i) => {
      const cred = gen.zones[z];
      if (!cred) throw new Error(`no NATS credentials for ${z}`);
      const cp = env.controlPlane(`bench-${z}`, ['--mode', 'zone', '--zone', z, '--database-url', await env.database(`causeway_bench_${z.replace('-', '_')}`), '--vip-cidr', `127.${241 + i}.0.0/16`], {
        home: env.tempDir(`causeway-bench-${z}-home-`),
        nats: { url: nats.url, ...cred },
      });
      await cp.start();
      zones[z] = cp;
    }),
  );
  log('nats, global, zone-1 and zone-2 are ready');

  // 2. The mesh, at global.
  await api.put({ type: 'Mesh', name: MESH, labels: {}, version: 0, spec: { mtls: { enabledBackend: 'ca-1', backends: [{ name: 'ca-1', type: 'builtin' }] } } } as Resource);
  await api.put({
    type: 'MeshTrafficPermission',
    mesh: MESH,
    name: 'allow-all',
    labels: {},
    version: 0,
    spec: { targetRef: { kind: 'Mesh' }, from: [{ targetRef: { kind: 'Mesh' }, default: { action: 'Allow' } }] },
  } as Resource);
  const externalService = (name: string, service: string, zoneTag?: string): Resource =>
    ({
      type: 'ExternalService',
      mesh: MESH,
      name,
      labels: {},
      version: 0,
      spec: {
        tags: { 'kuma.io/service': service, 'kuma.io/protocol': 'http', ...(zoneTag ? { 'kuma.io/zone': zoneTag } : {}) },
        networking: { address: `${name}.example.com:443`, tls: { enabled: true } },
      },
    }) as Resource;
  for (let i = 0; i < EXTERNAL; i++) await api.put(externalService(`es-${i}`, `ext-${i}`, i % 3 === 2 ? 'zone-2' : undefined));
  const synced = `ExternalService es-${EXTERNAL - 1}`;
  for (const z of ZONES) {
    await eventually(() => zones[z].client().get('Secret', MESH, `${MESH}.ca-builtin-cert-ca-1`), `mesh CA in ${z}`, 60_000);
    if (EXTERNAL > 0) await eventually(() => zones[z].client().get('ExternalService', MESH, `es-${EXTERNAL - 1}`), `${synced} in ${z}`, 60_000);
  }
  log(`mesh: mTLS, allow-all MeshTrafficPermission, ${SERVICES} services, ${EXTERNAL} ExternalServices; synced to both zones`);

  // 3. Tokens (not timed), then connect every proxy (timed).
  const plans: { zone: Zone; proxy: SimProxy; token: string; node: Record<string, unknown> }[] = [];
  for (const [zi, z] of ZONES.entries()) {
    const cp = zones[z];
    const tokens = await Promise.all(
      Array.from({ length: N }, (_, i) => cp.dataplaneToken(MESH, `${z}-dp-${i}`, { 'kuma.io/service': [`svc-${i % SERVICES}`] })),
    );
    for (let i = 0; i < N; i++) {
      const name = `${z}-dp-${i}`;
      const svc = `svc-${i % SERVICES}`;
      const resource = {
        type: 'Dataplane',
        mesh: MESH,
        name,
        networking: { address: `127.${zi + 1}.${Math.floor(i / 250)}.${(i % 250) + 1}`, inbound: [{ port: 8080, servicePort: 18080, tags: { 'kuma.io/service': svc, 'kuma.io/protocol': 'http' } }] },
      };
      const proxy = new SimProxy(name, counters[z]);
      proxies[z].push(proxy);
      plans.push({ zone: z, proxy, token: tokens[i] as string, node: { id: `${MESH}.${name}`, metadata: { 'dataplane.resource': JSON.stringify(resource) } } });
    }
  }
  const ca = { 'zone-1': readFileSync(zones['zone-1'].xdsCaFile), 'zone-2': readFileSync(zones['zone-2'].xdsCaFile) };
  const all = [...proxies['zone-1'], ...proxies['zone-2']];
  const connectStart = performance.now();
  for (const p of plans) p.proxy.connect(zones[p.zone].xdsAddress, ca[p.zone], p.token, p.node);
  const needed = [TYPE_URLS.Secret, TYPE_URLS.Cluster, TYPE_URLS.Listener];
  await eventually(
    () => {
      const missing = all.filter((p) => !needed.every((t) => p.ackedTypes.has(t))).length;
      if (missing > 0) throw new Error(`${missing} proxies have not ACKed Secret, Cluster and Listener yet`);
    },
    'every proxy connected and configured',
    Math.max(120_000, N * 600),
    20,
  );
  const connectAllMs = performance.now() - connectStart;
  log(`all ${all.length} proxies connected and ACKed Secret, Cluster and Listener in ${round(connectAllMs / 1000, 2)} s`);
  const withExternal = all.filter((p) => p.clusterAckedAt.has('ext-0')).length;
  if (EXTERNAL > 0 && withExternal === 0) {
    log(`no proxy has a cluster for ext-0 (sample of clusters: ${[...(all[0]?.clusterAckedAt.keys() ?? [])].slice(0, 10).join(', ')})`);
  }

  // 4. Changes.
  const quiet = async () => {
    const deadline = performance.now() + 10_000;
    while (performance.now() < deadline) {
      const last = Math.max(counters['zone-1'].lastAt, counters['zone-2'].lastAt);
      if (performance.now() - last > 500) return;
      await sleep(50);
    }
  };
  await quiet();
  const pids = { 'zone-1': zones['zone-1'].pid as number, 'zone-2': zones['zone-2'].pid as number };
  const before = { 'zone-1': procStats(pids['zone-1']), 'zone-2': procStats(pids['zone-2']) };
  const globalBefore = procStats(global.pid as number);
  const benchCpuBefore = process.cpuUsage();
  interface Change {
    i: number;
    allAckedMs: number | undefined;
    reached: number;
    bytes: Record<Zone, number>;
    responses: Record<Zone, number>;
  }
  const changes: Change[] = [];
  for (let k = 0; k < CHANGES; k++) {
    const svc = `bench-ext-${k}`;
    const b0 = { 'zone-1': counters['zone-1'].bytes, 'zone-2': counters['zone-2'].bytes };
    const r0 = { 'zone-1': counters['zone-1'].responses, 'zone-2': counters['zone-2'].responses };
    await api.put(externalService(`bench-es-${k}`, svc));
    const t0 = performance.now();
    const deadline = t0 + TIMEOUT_MS;
    let reached = 0;
    while (performance.now() < deadline) {
      reached = all.filter((p) => p.clusterAckedAt.has(svc)).length;
      if (reached === all.length) break;
      await sleep(5);
    }
    reached = all.filter((p) => p.clusterAckedAt.has(svc)).length;
    const allAckedMs = reached === all.length ? Math.max(...all.map((p) => p.clusterAckedAt.get(svc) as number)) - t0 : undefined;
    await quiet();
    const change: Change = {
      i: k,
      allAckedMs: allAckedMs === undefined ? undefined : Math.max(0, allAckedMs),
      reached,
      bytes: { 'zone-1': counters['zone-1'].bytes - b0['zone-1'], 'zone-2': counters['zone-2'].bytes - b0['zone-2'] },
      responses: { 'zone-1': counters['zone-1'].responses - r0['zone-1'], 'zone-2': counters['zone-2'].responses - r0['zone-2'] },
    };
    changes.push(change);
    log(
      `change ${k}: ${reached}/${all.length} proxies ACKed ${svc}${allAckedMs === undefined ? ` (TIMEOUT ${TIMEOUT_MS} ms)` : ` in ${round(change.allAckedMs ?? 0)} ms`}; ` +
        `zone-1 ${round(change.bytes['zone-1'] / 1e6, 2)} MB, zone-2 ${round(change.bytes['zone-2'] / 1e6, 2)} MB`,
    );
  }
  const after = { 'zone-1': procStats(pids['zone-1']), 'zone-2': procStats(pids['zone-2']) };
  const globalAfter = procStats(global.pid as number);
  const benchCpu = process.cpuUsage(benchCpuBefore);

  // 5. Results.
  const lat = changes.flatMap((c) => (c.allAckedMs === undefined ? [] : [c.allAckedMs])).sort((a, b) => a - b);
  const perZone = Object.fromEntries(
    ZONES.map((z) => [
      z,
      {
        bytesPerChangeMb: round(changes.reduce((s, c) => s + c.bytes[z], 0) / changes.length / 1e6, 3),
        responsesPerChange: round(changes.reduce((s, c) => s + c.responses[z], 0) / changes.length, 1),
        cpuPerChangeMs: round(((after[z].cpuS - before[z].cpuS) * 1000) / changes.length, 0),
        rssMbAfterConnect: round(before[z].rssMb, 0),
        rssMbAfterChanges: round(after[z].rssMb, 0),
        streamErrors: counters[z].streamErrors,
        firstErrors: counters[z].errors,
      },
    ]),
  ) as Record<Zone, { bytesPerChangeMb: number; responsesPerChange: number; cpuPerChangeMs: number; rssMbAfterConnect: number; rssMbAfterChanges: number; streamErrors: number; firstErrors: string[] }>;
  const result = {
    proxiesPerZone: N,
    services: SERVICES,
    externalServices: EXTERNAL,
    changes: CHANGES,
    connectAllMs: round(connectAllMs, 0),
    proxiesWithExternalAtConnect: withExternal,
    applyToAllAckedMs: { measured: lat.length, p50: round(pct(lat, 50)), p99: round(pct(lat, 99)), max: round(lat[lat.length - 1] ?? Number.NaN) },
    changesTimedOut: changes.filter((c) => c.allAckedMs === undefined).map((c) => ({ change: c.i, reached: c.reached })),
    zones: perZone,
    global: { rssMbBefore: round(globalBefore.rssMb, 0), rssMbAfter: round(globalAfter.rssMb, 0), cpuPerChangeMs: round(((globalAfter.cpuS - globalBefore.cpuS) * 1000) / changes.length, 0) },
    /** CPU of this process (all simulated proxies: decode + ACK) per change: it shares the cores with the zones. */
    benchProcessCpuPerChangeMs: round((benchCpu.user + benchCpu.system) / 1000 / changes.length, 0),
    perChange: changes.map((c) => ({ change: c.i, allAckedMs: c.allAckedMs === undefined ? null : round(c.allAckedMs), reached: c.reached, bytes: c.bytes })),
  };
  console.log(JSON.stringify(result, null, 2));
  const s = (ms: number) => `${round(ms / 1000, 2)} s`;
  const rows = [
    ['proxies per zone', 'connect all', 'apply -> all ACKed p50 / p99 / max', 'zone CPU per change (z1 / z2)', 'received per change per zone (z1 / z2)', 'zone RSS after connect -> after changes (z1; z2)'],
    [
      String(N),
      s(connectAllMs),
      `${s(result.applyToAllAckedMs.p50)} / ${s(result.applyToAllAckedMs.p99)} / ${s(result.applyToAllAckedMs.max)}`,
      `${perZone['zone-1'].cpuPerChangeMs} / ${perZone['zone-2'].cpuPerChangeMs} ms`,
      `${perZone['zone-1'].bytesPerChangeMb} / ${perZone['zone-2'].bytesPerChangeMb} MB`,
      `${perZone['zone-1'].rssMbAfterConnect} -> ${perZone['zone-1'].rssMbAfterChanges} MB; ${perZone['zone-2'].rssMbAfterConnect} -> ${perZone['zone-2'].rssMbAfterChanges} MB`,
    ],
  ];
  console.log(`\n| ${rows[0]?.join(' | ')} |\n|${rows[0]?.map(() => ' --- ').join('|')}|\n| ${rows[1]?.join(' | ')} |`);

  const unreached = changes.filter((c) => c.reached === 0);
  if (lat.length === 0 || unreached.length > 0) {
    console.error(`FAIL: ${unreached.length} change(s) reached no proxy; ${lat.length} of ${changes.length} changes reached every proxy`);
    return 1;
  }
  if (result.changesTimedOut.length > 0) console.error(`warning: ${result.changesTimedOut.length} change(s) did not reach every proxy within ${TIMEOUT_MS} ms`);
  return 0;
}

let code = 1;
try {
  code = await main();
} catch (e) {
  console.error('pipeline bench failed:', e);
  if (process.env.CAUSEWAY_BENCH_DUMP_LOGS) console.error(env.dumpLogs(40));
  code = 1;
} finally {
  await teardown().catch((e: unknown) => console.error('teardown:', e));
}
process.exit(code);
