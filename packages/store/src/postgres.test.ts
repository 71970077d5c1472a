/**
 * The conformance suite against a real Postgres: each suite database gets a random name and is dropped
 * at the end. The admin URL is `DATABASE_URL` if set, else the local trust-auth server.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { storeConformance } from './testing/conformance.js';
import { openStore } from './open.js';
import { CHANGES_CHANNEL } from './backend.js';
import { OUTBOX_LOCK_ID } from './sql-store.js';
import type { BatchOp, ChangeEvent, ResourceStore } from './store.js';

const ADMIN_URL = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';

function databaseUrl(name: string): string {
  const u = new URL(ADMIN_URL);
  u.pathname = `/${name}`;
  return u.toString();
}

async function admin(sql: string): Promise<void> {
  const c = new pg.Client({ connectionString: ADMIN_URL });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

const databases: string[] = [];
async function createDatabase(): Promise<string> {
  const name = `causeway_store_test_${randomBytes(6).toString('hex')}`;
  await admin(`CREATE DATABASE ${name}`);
  databases.push(name);
  return databaseUrl(name);
}
async function dropDatabases(): Promise<void> {
  for (const name of databases.splice(0)) await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
}

const urls = new WeakMap<ResourceStore, string>();

storeConformance('postgres', {
  async fresh(tuning) {
    const url = await createDatabase();
    const store = await openStore({ ...tuning, url });
    urls.set(store, url);
    return store;
  },
  async peer(store, tuning) {
    const url = urls.get(store);
    if (!url) throw new Error('not a store of this suite');
    return openStore({ ...tuning, url });
  },
  dispose: dropDatabases,
});

describe('postgres backend', () => {
  afterAll(dropDatabases);

  it('migrates once when several stores open the same new database together', async () => {
    const url = await createDatabase();
    const stores = await Promise.all([openStore({ url }), openStore({ url }), openStore({ url })]);
    try {
      expect(stores.map((s) => s.backend)).toEqual(['postgres', 'postgres', 'postgres']);
      expect(await Promise.all(stores.map((s) => s.revision()))).toEqual([0, 0, 0]);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });

  it('keeps its data across reopening', async () => {
    const url = await createDatabase();
    const first = await openStore({ url });
    await first.create({ type: 'Mesh', name: 'default', labels: {}, spec: {}, version: 0 });
    await first.close();
    const second = await openStore({ url });
    try {
      expect((await second.get('Mesh', undefined, 'default'))?.version).toBe(1);
      expect(await second.revision()).toBe(1);
    } finally {
      await second.close();
    }
  });

  it('hands out revisions in commit order, so a watcher never skips a slow writer', async () => {
    const url = await createDatabase();
    const store = await openStore({ url });
    const raw = new pg.Client({ connectionString: url });
    await raw.connect();
    try {
      const events: ChangeEvent[] = [];
      const sub = store.watch(0, (e) => events.push(e));
      // Another writer following the outbox protocol holds the outbox lock; our write must wait for it
      // before drawing a revision, so the slow writer's revision comes first even though it draws later.
      await raw.query('BEGIN');
      await raw.query('select pg_advisory_xact_lock($1::bigint)', [OUTBOX_LOCK_ID]);
      const created = store.create({ type: 'Mesh', name: 'fast', labels: {}, spec: {}, version: 0 });
      await new Promise((r) => setTimeout(r, 300));
      const slow = await raw.query("insert into resource_changes (op, type, mesh, name, version) values ('create', 'Mesh', '', 'slow', 1) returning revision");
      await raw.query('COMMIT');
      await created;
      const until = Date.now() + 10_000;
      while (events.length < 2 && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
      sub.close();
      expect(events.map((e) => e.name)).toEqual(['slow', 'fast']);
      expect(events[1]!.revision).toBeGreaterThan(events[0]!.revision);
      expect(events[0]?.revision).toBe(Number(slow.rows[0].revision));
    } finally {
      await raw.end();
      await store.close();
    }
  });

  it('picks up changes it was not notified of with the safety-net poll', async () => {
    const url = await createDatabase();
    const store = await openStore({ url, pollIntervalMs: 100 });
    const raw = new pg.Client({ connectionString: url });
    await raw.connect();
    try {
      const events: ChangeEvent[] = [];
      const sub = store.watch(0, (e) => events.push(e));
      await raw.query("insert into resource_changes (op, type, mesh, name, version) values ('create', 'Mesh', '', 'quiet', 1)");
      const until = Date.now() + 10_000;
      while (events.length < 1 && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
      sub.close();
      expect(events.map((e) => [e.op, e.type, e.name, e.version])).toEqual([['create', 'Mesh', 'quiet', 1]]);
    } finally {
      await raw.end();
      await store.close();
    }
  });

  it('re-establishes a lost LISTEN connection and catches up', async () => {
    const url = await createDatabase();
    const store = await openStore({ url, pollIntervalMs: 600_000 });
    const raw = new pg.Client({ connectionString: url });
    await raw.connect();
    try {
      const events: ChangeEvent[] = [];
      const sub = store.watch(0, (e) => events.push(e));
      await store.create({ type: 'Mesh', name: 'before', labels: {}, spec: {}, version: 0 });
      const wait = async (n: number) => {
        const until = Date.now() + 10_000;
        while (events.length < n && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
      };
      await wait(1);
      const killed = await raw.query(
        "select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid() and query ilike 'LISTEN%'",
      );
      expect(killed.rowCount).toBe(1);
      // written while the listener is down: delivered by the catch-up after reconnecting
      await raw.query("insert into resource_changes (op, type, mesh, name, version) values ('create', 'Mesh', '', 'missed', 1)");
      await wait(2);
      await store.create({ type: 'Mesh', name: 'after', labels: {}, spec: {}, version: 0 });
      await wait(3);
      sub.close();
      expect(events.map((e) => e.name)).toEqual(['before', 'missed', 'after']);
    } finally {
      await raw.end();
      await store.close();
    }
  });

  it('sends one notification per batch, carrying its last revision', async () => {
    const url = await createDatabase();
    const store = await openStore({ url });
    const listener = new pg.Client({ connectionString: url });
    await listener.connect();
    try {
      const payloads: string[] = [];
      listener.on('notification', (msg) => payloads.push(msg.payload ?? ''));
      await listener.query(`LISTEN ${CHANGES_CHANNEL}`);
      await store.create({ type: 'Mesh', name: 'default', labels: {}, spec: {}, version: 0 });
      const secret = (name: string): BatchOp => ({
        op: 'upsert',
        resource: { type: 'Secret', mesh: 'default', name, labels: {}, spec: { data: Buffer.from(name).toString('base64') }, version: 0 },
      });
      await store.applyBatch(Array.from({ length: 50 }, (_, i) => secret(`s-${i}`)));
      // all unchanged: no change, no notification
      await store.applyBatch(Array.from({ length: 50 }, (_, i) => secret(`s-${i}`)));
      await store.applyBatch([secret('last')]);
      const until = Date.now() + 10_000;
      while (payloads.length < 3 && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
      await new Promise((r) => setTimeout(r, 200));
      expect(payloads).toEqual(['1', '51', '52']);
    } finally {
      await listener.end();
      await store.close();
    }
  });

  it('updates a row that another transaction created while the batch ran, instead of failing', async () => {
    const url = await createDatabase();
    const store = await openStore({ url });
    const raw = new pg.Client({ connectionString: url });
    await raw.connect();
    try {
      await store.create({ type: 'Mesh', name: 'default', labels: {}, spec: {}, version: 0 });
      const secret = (name: string, text: string): BatchOp => ({
        op: 'upsert',
        resource: { type: 'Secret', mesh: 'default', name, labels: {}, spec: { data: Buffer.from(text).toString('base64') }, version: 0 },
      });
      // A concurrent writer has inserted "raced" but not committed: the batch does not see it when it
      // locks its rows, then its insert waits on that row and loses.
      await raw.query('BEGIN');
      await raw.query(
        `insert into resources (type, mesh, name, spec, labels, tags, version) values ('Secret', 'default', 'raced', $1::jsonb, '{}', '[]', 1)`,
        [JSON.stringify({ data: Buffer.from('theirs').toString('base64') })],
      );
      const batch = store.applyBatch([secret('mine', 'a'), secret('raced', 'ours')]);
      await new Promise((r) => setTimeout(r, 300));
      await raw.query('COMMIT');
      const results = await batch;
      expect(results.map((r) => r.outcome)).toEqual(['created', 'updated']);
      expect(results[1]).toMatchObject({ op: 'upsert', resource: { name: 'raced', version: 2 } });
      expect((await store.get('Secret', 'default', 'raced'))?.spec).toEqual({ data: Buffer.from('ours').toString('base64') });
    } finally {
      await raw.end();
      await store.close();
    }
  });
});
