/**
 * Generation benchmark: one mesh (mTLS on, an allow-all MeshTrafficPermission: without it the default deny
 * leaves every ExternalService out of every proxy's config) with 1,000 dataplanes, 200 mesh services and 100
 * ExternalServices. Measures the MeshContext build, generating + snapshotting (Any encoding, versions)
 * every proxy, the heap it takes, and an ExternalService change re-pushed to all 1,000 proxies
 * (context rebuild, regeneration, snapshot diff, and the DiscoveryResponses encoded for the changed types).
 *
 * Run: npm run bench -w @causeway/xds   (prints JSON; exits 1 when the change was pushed to no proxy, or
 * when a proxy's config holds no ExternalService: then it measured nothing)
 */
import type { Resource } from '@causeway/core';
import { buildMeshContext, type ZoneView } from '../src/context.js';
import { zoneViewOf } from '../src/zone/view.js';
import { generateSidecar } from '../src/generate/sidecar.js';
import { TYPE_URLS } from '@causeway/envoy';
import { encodeDiscoveryResponse, SnapshotCache } from '../src/server/cache.js';

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
const externalServices = (tweak = ''): Resource<'ExternalService'>[] =>
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
  }));

const allowAll: Resource<'MeshTrafficPermission'> = {
  type: 'MeshTrafficPermission',
  mesh: 'default',
  name: 'allow-all',
  labels: {},
  version: 1,
  spec: { targetRef: { kind: 'Mesh' }, from: [{ targetRef: { kind: 'Mesh' }, default: { action: 'Allow' } }] },
};

const pem = (s: string) => `-----BEGIN CERTIFICATE-----\n${Buffer.from(s).toString('base64')}\n-----END CERTIFICATE-----\n`;
const identities = dataplanes.map((d) => ({ certPem: pem(`identity ${d.name}`), keyPem: pem(`key ${d.name}`) }));
const view = (tweak = ''): ZoneView => ({
  ...zoneViewOf([mesh, allowAll, ...dataplanes, ...externalServices(tweak)], { zone: 'zone-1' }),
  meshCaPem: { default: pem('mesh ca') },
});

const heapBefore = heapMb();
const cache = new SnapshotCache();

// 1. Initial generation of every proxy.
let t0 = process.hrtime.bigint();
let ctx = buildMeshContext(view(), mesh);
const contextMs = ms(t0);
const perProxy: number[] = [];
t0 = process.hrtime.bigint();
let resources = 0;
let externalClusters = 0;
for (let i = 0; i < DATAPLANES; i++) {
  const t = process.hrtime.bigint();
  const set = generateSidecar({ ctx, dataplane: dataplanes[i]!, identity: identities[i] });
  cache.set(`Dataplane/default/dp-${i}`, set);
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
t0 = process.hrtime.bigint();
ctx = buildMeshContext(view('-moved'), mesh, ctx);
let pushed = 0;
let responseBytes = 0;
const changedKinds = new Map<string, ReturnType<SnapshotCache['set']>>();
for (let i = 0; i < DATAPLANES; i++) {
  const key = `Dataplane/default/dp-${i}`;
  const changed = cache.set(key, generateSidecar({ ctx, dataplane: dataplanes[i]!, identity: identities[i] }));
  if (changed.length > 0) pushed++;
  changedKinds.set(key, changed);
}
const regenerateMs = ms(t0);
const t1 = process.hrtime.bigint();
for (let i = 0; i < DATAPLANES; i++) {
  const key = `Dataplane/default/dp-${i}`;
  const changed = changedKinds.get(key) ?? [];
  const snap = cache.get(key);
  if (!snap) continue;
  for (const kind of changed) {
    const ts = snap.types[kind];
    responseBytes += encodeDiscoveryResponse(
      ts.version,
      ts.resources,
      TYPE_URLS[kind],
      String(i),
    ).length;
  }
}
const encodeMs = ms(t1);
const repushMs = ms(t0);

const problems: string[] = [];
if (externalClusters === 0) problems.push('the first proxy has no ExternalService cluster: the mesh config leaves them out, so the change below measures nothing');
if (pushed === 0 || responseBytes === 0) problems.push(`the ExternalService change was pushed to ${pushed} proxies (${responseBytes} bytes): it measured nothing`);

console.log(
  JSON.stringify(
    {
      node: process.version,
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
      externalServiceChange: {
        totalMs: round(repushMs, 1),
        regenerateAndDiffMs: round(regenerateMs, 1),
        encodeResponsesMs: round(encodeMs, 1),
        proxiesPushed: pushed,
        responseMb: round(responseBytes / 1024 / 1024, 1),
      },
    },
    null,
    2,
  ),
);
if (problems.length > 0) {
  for (const p of problems) console.error(`bench failed: ${p}`);
  process.exit(1);
}
