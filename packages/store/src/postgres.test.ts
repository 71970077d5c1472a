/**
 * The conformance suite against a real Postgres: each suite database gets a random name and is dropped
 * at the end. The admin URL is `DATABASE_URL` if set, else the local trust-auth server.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { storeConformance } from './conformance.js';
import { openStore } from './open.js';
import type { ResourceStore } from './store.js';

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
  async peer(store) {
    const url = urls.get(store);
    if (!url) throw new Error('not a store of this suite');
    return openStore({ url });
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
});
