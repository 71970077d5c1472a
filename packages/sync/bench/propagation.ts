/**
 * Propagation benchmark (prints JSON):
 *   1. latency from the global API answering 2xx to a PUT of an ExternalService until the resource is
 *      committed in a zone's store (seen on the zone store's change feed), over N sequential applies;
 *   2. time for a fresh zone (empty store) to resync M resources from causeway-global (the zone applies
 *      them in store batches of up to 500).
 *
 * Real pieces: a nats-server (started here, with the generated authorization), Postgres databases (created
 * and dropped here), the global REST API (`@causeway/api`), and the sync library. Global and zone run in
 * this one process (so they share one event loop).
 *
 *   npm run build && node --import tsx packages/sync/bench/propagation.ts [--applies 1000] [--resync 10000]
 *   (DATABASE_URL overrides the Postgres admin URL, default postgres://postgres@127.0.0.1:5432/postgres)
 */
import { randomBytes } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { buildApi } from '@causeway/api';
import type { Resource } from '@causeway/core';
import { openStore, type ResourceStore } from '@causeway/store';
import pg from 'pg';
import pino from 'pino';
import { jetstream } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { decodeGlobalEntry, GLOBAL_BUCKET, generateNatsConfig, inboxPrefixFor, parseGlobalKey, startGlobalSync, startZoneSync, type ZoneSync } from '../src/index.js';
import { startNatsServer } from '../src/testing/index.js';
import { watchBucket } from '../src/watch.js';

const { values } = parseArgs({ options: { applies: { type: 'string', default: '1000' }, resync: { type: 'string', default: '10000' } } });
const APPLIES = Number(values.applies);
const RESYNC = Number(values.resync);
const ADMIN_URL = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
const log = pino({ level: 'warn' });

const databases: string[] = [];
async function admin(sql: string): Promise<void> {
  const c = new pg.Client({ connectionString: ADMIN_URL });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}
async function database(): Promise<string> {
  const name = `causeway_bench_${randomBytes(5).toString('hex')}`;
  await admin(`CREATE DATABASE ${name}`);
  databases.push(name);
  const u = new URL(ADMIN_URL);
  u.pathname = `/${name}`;
  return u.toString();
}

function percentile(sorted: number[], p: number): number {
  const i = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, i)] as number;
}
const round = (n: number) => Math.round(n * 100) / 100;

const es = (name: string, port: number): Resource => ({
  type: 'ExternalService',
  mesh: 'default',
  name,
  labels: {},
  spec: { tags: { 'kuma.io/service': name, 'kuma.io/protocol': 'http' }, networking: { address: `${name}.example.com:${port}` } },
  version: 0,
});

/** The 1-minute load average, rounded (the machine is shared: numbers mean little without it). */
const load1 = () => Math.round((loadavg()[0] ?? 0) * 100) / 100;

async function main(): Promise<void> {
  const loadAtStart = load1();
  const gen = generateNatsConfig({ zones: ['bench-1', 'bench-2', 'bench-3'], bcryptCost: 4 });
  const nats = await startNatsServer({ config: gen.config });
  const stores: ResourceStore[] = [];
  const zones: ZoneSync[] = [];
  const cred = (z: string) => {
    const c = gen.zones[z];
    if (!c) throw new Error(z);
    return { servers: nats.url, user: c.user, password: c.password };
  };
  try {
    const globalStore = await openStore({ url: await database() });
    stores.push(globalStore);
    const global = await startGlobalSync({ store: globalStore, nats: { servers: nats.url, user: gen.global.user, password: gen.global.password }, logger: log });
    const token = randomBytes(24).toString('base64url');
    const api = await buildApi({ store: globalStore, mode: 'global', adminToken: token, logger: log, version: 'bench', instanceId: 'bench' });
    await api.listen({ port: 0, host: '127.0.0.1' });
    const base = `http://127.0.0.1:${(api.server.address() as { port: number }).port}`;
    await global.synced();
    await globalStore.create({ type: 'Mesh', name: 'default', labels: {}, spec: {}, version: 0 });

    // ---- 1. apply latency -------------------------------------------------------------------
    const zoneStore = await openStore({ url: await database() });
    stores.push(zoneStore);
    const zone = await startZoneSync({ store: zoneStore, zone: 'bench-1', nats: cred('bench-1'), logger: log, version: 'bench' });
    zones.push(zone);
    await zone.synced();
    const waiting = new Map<string, (t: number) => void>();
    const feed = zoneStore.watch(await zoneStore.revision(), (e) => {
      if (e.type === 'ExternalService' && e.op !== 'delete') waiting.get(e.name)?.(performance.now());
    });
    const latencies: number[] = [];
    for (let i = 0; i < APPLIES; i++) {
      const name = `lat-${i}`;
      const seen = new Promise<number>((resolve) => waiting.set(name, resolve));
      const body = JSON.stringify({ type: 'ExternalService', mesh: 'default', name, tags: { 'kuma.io/service': name }, networking: { address: `${name}.example.com:443` } });
      const res = await fetch(`${base}/meshes/default/external-services/${name}`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body,
      });
      const answered = performance.now();
      if (res.status !== 201) throw new Error(`PUT ${name}: HTTP ${res.status} ${await res.text()}`);
      await res.arrayBuffer();
      const at = await seen;
      waiting.delete(name);
      latencies.push(Math.max(0, at - answered));
    }
    feed.close();
    latencies.sort((a, b) => a - b);

    // ---- 2. fresh-zone resync -----------------------------------------------------------------
    const existing = APPLIES + 1; // the ExternalServices above and the Mesh
    const toCreate = Math.max(0, RESYNC - existing);
    const loadStart = performance.now();
    for (let i = 0; i < toCreate; i += 500) {
      await globalStore.applyBatch(Array.from({ length: Math.min(500, toCreate - i) }, (_, j) => ({ op: 'upsert', resource: es(`bulk-${i + j}`, 1 + ((i + j) % 60000)) })));
    }
    const deadline = Date.now() + 120_000;
    while (global.status().published < RESYNC) {
      if (Date.now() > deadline) throw new Error(`global published only ${global.status().published} of ${RESYNC}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const loadMs = performance.now() - loadStart;

    // The sync's own share: replaying the bucket from NATS (decode + validate every entry), no store writes.
    const resync: Record<string, unknown> = {};
    {
      const c = cred('bench-2');
      const nc = await connect({ servers: c.servers, user: c.user, pass: c.password, inboxPrefix: inboxPrefixFor({ zone: 'bench-2' }) });
      const t0 = performance.now();
      let valid = 0;
      const w = await watchBucket({
        js: jetstream(nc),
        bucket: GLOBAL_BUCKET,
        keys: '>',
        onChange: (ch) => {
          const ref = parseGlobalKey(ch.key);
          if (ref && ch.op === 'PUT' && decodeGlobalEntry(ref, ch.value).resource) valid++;
        },
      });
      await w.replayed;
      const ms = performance.now() - t0;
      await w.stop();
      await nc.close();
      resync.natsReplayAndValidateOnly = { resources: valid, ms: Math.round(ms) };
    }
    for (const backend of ['postgres', 'pglite-memory'] as const) {
      const fresh = await openStore(backend === 'postgres' ? { url: await database() } : {});
      stores.push(fresh);
      const t0 = performance.now();
      const z = await startZoneSync({ store: fresh, zone: backend === 'postgres' ? 'bench-2' : 'bench-3', nats: cred(backend === 'postgres' ? 'bench-2' : 'bench-3'), logger: log, version: 'bench' });
      zones.push(z);
      await z.synced();
      const ms = performance.now() - t0;
      let copies = 0;
      for (const type of ['Mesh', 'ExternalService'] as const) copies += (await fresh.list(type, { size: 1 })).total;
      resync[backend] = { resources: copies, ms: Math.round(ms), perSecond: Math.round((copies / ms) * 1000) };
      if (copies !== RESYNC) throw new Error(`fresh zone (${backend}) has ${copies} resources, expected ${RESYNC}`);
    }

    console.log(
      JSON.stringify(
        {
          machine: { cpus: cpus().length, node: process.version, loadavg1m: { start: loadAtStart, end: load1() } },
          applyToZoneStore: {
            applies: APPLIES,
            zoneBackend: 'postgres',
            p50Ms: round(percentile(latencies, 50)),
            p90Ms: round(percentile(latencies, 90)),
            p99Ms: round(percentile(latencies, 99)),
            maxMs: round(latencies[latencies.length - 1] ?? 0),
            meanMs: round(latencies.reduce((a, b) => a + b, 0) / latencies.length),
          },
          freshZoneResync: { resources: RESYNC, globalLoadMs: Math.round(loadMs), ...resync },
        },
        null,
        2,
      ),
    );
    await api.close();
    await global.close();
  } finally {
    await Promise.all(zones.map((z) => z.close().catch(() => {})));
    await Promise.all(stores.map((s) => s.close().catch(() => {})));
    await nats.dispose();
    for (const name of databases) await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => {});
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
