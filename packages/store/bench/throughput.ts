/**
 * Store throughput: for each backend, put 10,000 ExternalServices, get each one, then list them all in
 * pages of 1000; then write another 10,000 with `applyBatch` (batches of 500, one at a time), and apply the
 * same batches again (all unchanged). Prints one JSON line per backend, with the load average. Not a
 * test: no assertions.
 *
 *   npm run bench -w @causeway/store [-- --postgres postgres://postgres@127.0.0.1:5432/postgres] [--count N] [--concurrency N] [--batch N]
 *
 * The Postgres URL is an admin URL: a scratch database is created next to it and dropped afterwards.
 */
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { decodeResource, type Resource } from '@causeway/core';
import pg from 'pg';
import { type BatchOp, openStore, type ResourceStore } from '../src/index.js';

const { values: args } = parseArgs({
  options: {
    postgres: { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/postgres' },
    count: { type: 'string', default: '10000' },
    concurrency: { type: 'string', default: '8' },
    batch: { type: 'string', default: '500' },
  },
});
const COUNT = Number(args.count);
const CONCURRENCY = Number(args.concurrency);
const BATCH = Number(args.batch);

function externalService(i: number, mesh = 'default'): Resource {
  const name = `svc-${String(i).padStart(5, '0')}`;
  return decodeResource({
    type: 'ExternalService',
    mesh,
    name,
    tags: { 'kuma.io/service': name, 'kuma.io/protocol': 'http' },
    networking: { address: `${name}.example.com:443` },
  });
}

/** Runs `fn(0..n-1)` with at most `CONCURRENCY` calls in flight. */
async function pool(n: number, fn: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < n) await fn(next++);
    }),
  );
}

const perSecond = (n: number, ms: number) => Math.round((n * 1000) / ms);

async function measure(backend: string, store: ResourceStore): Promise<void> {
  await store.create(decodeResource({ type: 'Mesh', name: 'default' }));
  const docs = Array.from({ length: COUNT }, (_, i) => externalService(i));

  let t = performance.now();
  await pool(COUNT, (i) => store.create(docs[i]!));
  const putMs = performance.now() - t;

  t = performance.now();
  await pool(COUNT, async (i) => {
    if (!(await store.get('ExternalService', 'default', docs[i]!.name))) throw new Error(`lost ${docs[i]!.name}`);
  });
  const getMs = performance.now() - t;

  t = performance.now();
  let listed = 0;
  let offset: string | undefined;
  do {
    const page = await store.list('ExternalService', { mesh: 'default', size: 1000, ...(offset ? { offset } : {}) });
    listed += page.items.length;
    offset = page.next;
  } while (offset);
  const listMs = performance.now() - t;
  if (listed !== COUNT) throw new Error(`listed ${listed} of ${COUNT}`);

  // The same number of resources again, in batches: one transaction per batch.
  await store.create(decodeResource({ type: 'Mesh', name: 'batched' }));
  const batches: BatchOp[][] = [];
  for (let i = 0; i < COUNT; i += BATCH) {
    batches.push(Array.from({ length: Math.min(BATCH, COUNT - i) }, (_, j) => ({ op: 'upsert', resource: externalService(i + j, 'batched') })));
  }
  const applyAll = async (expected: string) => {
    const t0 = performance.now();
    for (const batch of batches) {
      const results = await store.applyBatch(batch);
      if (!results.every((r) => r.outcome === expected)) throw new Error(`a batch item was not ${expected}`);
    }
    return performance.now() - t0;
  };
  const batchMs = await applyAll('created');
  const unchangedMs = await applyAll('unchanged');
  if ((await store.list('ExternalService', { mesh: 'batched', size: 1 })).total !== COUNT) throw new Error('batched resources missing');

  console.log(
    JSON.stringify({
      backend,
      count: COUNT,
      concurrency: CONCURRENCY,
      puts_per_s: perSecond(COUNT, putMs),
      gets_per_s: perSecond(COUNT, getMs),
      list_items_per_s: perSecond(listed, listMs),
      batch_size: BATCH,
      batch_puts_per_s: perSecond(COUNT, batchMs),
      batch_unchanged_per_s: perSecond(COUNT, unchangedMs),
      loadavg_1m: Math.round(loadavg()[0]! * 100) / 100,
    }),
  );
}

async function admin(url: string, sql: string): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

const memory = await openStore();
try {
  await measure('pglite (memory)', memory);
} finally {
  await memory.close();
}

const dbName = `causeway_store_bench_${randomBytes(6).toString('hex')}`;
await admin(args.postgres, `CREATE DATABASE ${dbName}`);
try {
  const u = new URL(args.postgres);
  u.pathname = `/${dbName}`;
  const store = await openStore({ url: u.toString() });
  try {
    await measure('postgres', store);
  } finally {
    await store.close();
  }
} finally {
  await admin(args.postgres, `DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
}
