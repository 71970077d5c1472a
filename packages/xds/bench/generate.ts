/**
 * Generation benchmark: one mesh (mTLS on, an allow-all MeshTrafficPermission: without it the default deny
 * leaves every ExternalService out of every proxy's config) with 1,000 dataplanes, 200 mesh services and 100
 * ExternalServices. Measures the MeshContext build, generating + snapshotting (Any encoding, versions)
 * every proxy, the heap it takes, an ExternalService change re-pushed to all 1,000 proxies (and the
 * DiscoveryResponses encoded for the changed types), and the CPU of one regeneration pass per kind of
 * change (an ExternalService modified, deleted and added back, a MeshTrafficPermission modified) split
 * into its phases: context rebuild, per-proxy input hashes, generation, snapshot packing.
 *
 * Run: npm run bench -w @causeway/xds   (prints JSON; exits 1 when a measured change was pushed to no
 * proxy, or when a proxy's config holds no ExternalService: then it measured nothing)
 */
import { loadavg } from 'node:os';
import type { Resource } from '@causeway/core';
import { TYPE_URLS, type XdsKind } from '@causeway/envoy';
import { buildMeshContexts, type MeshContext, type ZoneView } from '../src/context.js';
import type { ResourceSet } from '../src/generate/common.js';
import { generateSidecar } from '../src/generate/sidecar.js';
import { encodeDiscoveryResponse, SnapshotCache } from '../src/server/cache.js';
import { sidecarInputHash } from '../src/zone/inputs.js';
import { zoneViewOf } from '../src/zone/view.js';

const DATAPLANES = 1000;
const SERVICES = 200;
const EXTERNAL = 100;

const gc = (globalThis as { gc?: () => void }).gc;
const heapMb = () => {
  gc?.();
  return Math.round((process.memoryUsage().heapUsed / 1024 / 1024) * 10) / 10;
};
const ms = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;
const round = (n: number, d = 3) => Math.round(n * 10 ** d) / 10 ** d;

const mesh: Resource<'Mesh'> = {
  type: 'Mesh',
  name: 'default',
  labels: {},
  version: 1,
  spec: { mtls: { enabledBackend: 'ca-1', backends: [{ name: 'ca-1', type: 'builtin' }] } },
};
const dataplanes: Resource<'Dataplane'>[] = [];
for (let i = 0; i < DATAPLANES; i++) {
  const a = 10 + Math.floor(i / 250);
  dataplanes.push({
    type: 'Dataplane',
    mesh: 'default',
    name: `dp-${i}`,
    labels: {},
    version: 1,
    spec: {
      networking: {
        address: `127.0.${a}.${(i % 250) + 1}`,
        inbound: [{ port: 8080, tags: { 'kuma.io/service': `svc-${i % SERVICES}`, 'kuma.io/protocol': i % 2 === 0 ? 'http' : 'tcp' } }],
      },
    },
  });
}
const externalServices = (tweak: string, without: string | undefined): Resource<'ExternalService'>[] =>
  Array.from({ length: EXTERNAL }, (_, i) => ({
    type: 'ExternalService' as const,
    mesh: 'default',
    name: `es-${i}`,
    labels: {},
    version: 1,
    spec: {
      tags: { 'kuma.io/service': `ext-${i}`, 'kuma.io/protocol': i % 2 === 0 ? 'http' : 'tcp' },
      networking: { address: `api-${i}${i === 0 ? tweak : ''}.example.com:443`, tls: { enabled: true } },
    },
  })).filter((es) => es.name !== without);

/** The allow-all permission; with `denyFrom`, it also denies that service (an MTP change every proxy sees). */
const allowAll = (denyFrom: string | undefined): Resource<'MeshTrafficPermission'> => ({
  type: 'MeshTrafficPermission',
  mesh: 'default',
  name: 'allow-all',
  labels: {},
  version: 1,
  spec: {
    targetRef: { kind: 'Mesh' },
    from: [
      { targetRef: { kind: 'Mesh' }, default: { action: 'Allow' } },
      ...(denyFrom ? [{ targetRef: { kind: 'MeshService' as const, name: denyFrom }, default: { action: 'Deny' as const } }] : []),
    ],
  },
});

const pem = (s: string) => `-----BEGIN CERTIFICATE-----\n${Buffer.from(s).toString('base64')}\n-----END CERTIFICATE-----\n`;
const identities = dataplanes.map((d) => ({ certPem: pem(`identity ${d.name}`), keyPem: pem(`key ${d.name}`) }));
interface ViewOptions {
  /** Appended to the first ExternalService's host name (a modified ExternalService). */
  tweak?: string;
  /** An ExternalService left out (a deleted one). */
  without?: string;
  /** A service the allow-all permission also denies (a modified MeshTrafficPermission). */
  denyFrom?: string;
}
const view = (o: ViewOptions = {}): ZoneView => ({
  ...zoneViewOf([mesh, allowAll(o.denyFrom), ...dataplanes, ...externalServices(o.tweak ?? '', o.without)], { zone: 'zone-1' }),
  meshCaPem: { default: pem('mesh ca') },
});

const cpuMs = (c: NodeJS.CpuUsage) => (c.user + c.system) / 1000;
const keyOf = (i: number) => `Dataplane/default/dp-${i}`;

interface PassResult {
  /** CPU (user + system) of each phase, ms. */
  cpu: { contexts: number; inputHashes: number; generation: number; snapshots: number; total: number };
  wallMs: number;
  pushed: number;
  changedKinds: Map<string, XdsKind[]>;
}

let contexts = new Map<string, MeshContext>();
const inputHashes: (string | undefined)[] = [];

/**
 * One regeneration pass, as the zone's regenerator runs it (there, per proxy in turn; here phase by phase,
 * to time each): rebuild the contexts from the previous ones, hash every proxy's inputs, generate the
 * proxies whose hash changed and pack their snapshots.
 */
function measurePass(v: ZoneView): PassResult {
  const wall = process.hrtime.bigint();
  let c = process.cpuUsage();
  contexts = buildMeshContexts(v, contexts);
  const ctx = contexts.get('default') as MeshContext;
  const contextsCpu = cpuMs(process.cpuUsage(c));
  c = process.cpuUsage();
  const stale: number[] = [];
  for (let i = 0; i < DATAPLANES; i++) {
    const h = sidecarInputHash(ctx, dataplanes[i] as Resource<'Dataplane'>, identities[i], false);
    if (h !== inputHashes[i]) {
      inputHashes[i] = h;
      stale.push(i);
    }
  }
  const hashCpu = cpuMs(process.cpuUsage(c));
  c = process.cpuUsage();
  const sets: ResourceSet[] = stale.map((i) => generateSidecar({ ctx, dataplane: dataplanes[i] as Resource<'Dataplane'>, identity: identities[i] }));
  const generationCpu = cpuMs(process.cpuUsage(c));
  c = process.cpuUsage();
  const changedKinds = new Map<string, XdsKind[]>();
  let pushed = 0;
  stale.forEach((i, n) => {
    const changed = cache.set(keyOf(i), sets[n] as ResourceSet);
    if (changed.length > 0) pushed++;
    changedKinds.set(keyOf(i), changed);
  });
  const snapshotCpu = cpuMs(process.cpuUsage(c));
  return {
    cpu: { contexts: contextsCpu, inputHashes: hashCpu, generation: generationCpu, snapshots: snapshotCpu, total: contextsCpu + hashCpu + generationCpu + snapshotCpu },
    wallMs: ms(wall),
    pushed,
    changedKinds,
  };
}

interface PassSummary {
  /** Median CPU of each phase over the runs, ms. */
  cpuMs: PassResult['cpu'];
  wallMsMedian: number;
  proxiesPushed: number;
  runs: number;
}

function summary(runs: PassResult[]): PassSummary {
  const median = (f: (r: PassResult) => number) => {
    const v = runs.map(f).sort((a, b) => a - b);
    return round(v[Math.floor(v.length / 2)] as number, 1);
  };
  return {
    cpuMs: {
      contexts: median((r) => r.cpu.contexts),
      inputHashes: median((r) => r.cpu.inputHashes),
      generation: median((r) => r.cpu.generation),
      snapshots: median((r) => r.cpu.snapshots),
      total: median((r) => r.cpu.total),
    },
    wallMsMedian: median((r) => r.wallMs),
    proxiesPushed: Math.min(...runs.map((r) => r.pushed)),
    runs: runs.length,
  };
}

const heapBefore = heapMb();
const cache = new SnapshotCache();

// 1. Initial generation of every proxy.
let t0 = process.hrtime.bigint();
contexts = buildMeshContexts(view());
const ctx = contexts.get('default') as MeshContext;
const contextMs = ms(t0);
const perProxy: number[] = [];
t0 = process.hrtime.bigint();
let resources = 0;
let externalClusters = 0;
for (let i = 0; i < DATAPLANES; i++) {
  const t = process.hrtime.bigint();
  inputHashes[i] = sidecarInputHash(ctx, dataplanes[i] as Resource<'Dataplane'>, identities[i], false);
  const set = generateSidecar({ ctx, dataplane: dataplanes[i] as Resource<'Dataplane'>, identity: identities[i] });
  cache.set(keyOf(i), set);
  perProxy.push(ms(t));
  if (i === 0) {
    resources = Object.values(set).reduce((n, l) => n + l.length, 0);
    externalClusters = set.Cluster.filter((c) => String(c.name).startsWith('ext-')).length;
  }
}
const initialMs = ms(t0);
const heapAfter = heapMb();
perProxy.sort((a, b) => a - b);

// 2. An ExternalService changes (its address): rebuild the context, regenerate every proxy, diff the
//    snapshots, and encode the DiscoveryResponses of the changed types for every proxy (the push).
const esChange = measurePass(view({ tweak: '-moved' }));
let responseBytes = 0;
const t1 = process.hrtime.bigint();
for (let i = 0; i < DATAPLANES; i++) {
  const snap = cache.get(keyOf(i));
  if (!snap) continue;
  for (const kind of esChange.changedKinds.get(keyOf(i)) ?? []) {
    const ts = snap.types[kind];
    responseBytes += encodeDiscoveryResponse(ts.version, ts.resources, TYPE_URLS[kind], String(i)).length;
  }
}
const encodeMs = ms(t1);
measurePass(view()); // back to the original mesh

// 3. Per-pass CPU of each kind of change, as the zone's regenerator runs it: the context rebuild (from the
//    previous contexts), every connected proxy's input hash, the generation of the proxies whose hash
//    changed, and packing their snapshots (Any encoding, per-type versions). Each change is applied and
//    reverted REPEAT times; the medians are reported.
const REPEAT = 5;
const changes: Record<string, { apply: ViewOptions; revert: ViewOptions }> = {
  externalServiceChange: { apply: { tweak: '-moved' }, revert: {} },
  meshTrafficPermissionChange: { apply: { denyFrom: 'svc-199' }, revert: {} },
  externalServiceDelete: { apply: { without: 'es-1' }, revert: {} },
};
const passes: Record<string, PassSummary> = {};
for (const [name, change] of Object.entries(changes)) {
  const runs: PassResult[] = [];
  const reverts: PassResult[] = [];
  for (let r = 0; r < REPEAT; r++) {
    runs.push(measurePass(view(change.apply)));
    reverts.push(measurePass(view(change.revert)));
  }
  passes[name] = summary(runs);
  if (name === 'externalServiceDelete') passes.externalServiceAdd = summary(reverts);
}

const problems: string[] = [];
if (externalClusters === 0) problems.push('the first proxy has no ExternalService cluster: the mesh config leaves them out, so the change below measures nothing');
if (esChange.pushed === 0 || responseBytes === 0) problems.push(`the ExternalService change was pushed to ${esChange.pushed} proxies (${responseBytes} bytes): it measured nothing`);
for (const [name, p] of Object.entries(passes)) if (p.proxiesPushed === 0) problems.push(`${name} was pushed to no proxy: it measured nothing`);

console.log(
  JSON.stringify(
    {
      node: process.version,
      loadAverage1m: round(loadavg()[0] as number, 2),
      dataplanes: DATAPLANES,
      meshServices: SERVICES,
      externalServices: EXTERNAL,
      resourcesPerProxy: resources,
      externalServiceClustersPerProxy: externalClusters,
      meshContextMs: round(contextMs, 1),
      initial: {
        totalMs: round(initialMs, 1),
        perProxyMeanMs: round(initialMs / DATAPLANES),
        perProxyP50Ms: round(perProxy[Math.floor(DATAPLANES * 0.5)] as number),
        perProxyP99Ms: round(perProxy[Math.floor(DATAPLANES * 0.99)] as number),
        perProxyMaxMs: round(perProxy[DATAPLANES - 1] as number),
      },
      heapMb: { before: heapBefore, afterSnapshots: heapAfter, snapshotsOf1000Proxies: round(heapAfter - heapBefore, 1), gcExposed: gc !== undefined },
      externalServicePush: {
        passCpuMs: esChange.cpu.total,
        encodeResponsesMs: round(encodeMs, 1),
        proxiesPushed: esChange.pushed,
        responseMb: round(responseBytes / 1024 / 1024, 1),
      },
      perPassCpuMs: passes,
    },
    null,
    2,
  ),
);
if (problems.length > 0) {
  for (const p of problems) console.error(`bench failed: ${p}`);
  process.exit(1);
}
