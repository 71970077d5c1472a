/**
 * The PGlite backend: Postgres compiled to WASM, in memory or in a data directory. PGlite has one
 * connection, so every read and transaction runs one at a time through a mutex: a query must never run
 * inside another operation's open transaction.
 */
import { PGlite } from '@electric-sql/pglite';
import { drizzle } from 'drizzle-orm/pglite';
import { migrate } from 'drizzle-orm/pglite/migrator';
import { type Backend, CHANGES_CHANNEL, type Db, Mutex } from './backend.js';
import { migrationsFolder } from './migrations.js';

export interface PgliteBackendOptions {
  /** A directory for the database files; absent: in memory. One process at a time may open it. */
  dataDir?: string;
}

export async function openPgliteBackend(opts: PgliteBackendOptions = {}): Promise<Backend> {
  const pg = opts.dataDir !== undefined ? new PGlite(opts.dataDir) : new PGlite();
  await pg.waitReady;
  const pdb = drizzle({ client: pg });
  try {
    await migrate(pdb, { migrationsFolder: migrationsFolder() });
  } catch (err) {
    await pg.close();
    throw err;
  }
  const db: Db = pdb;
  const mutex = new Mutex();

  return {
    kind: 'pglite',
    read: (fn) => mutex.run(() => fn(db)),
    transaction: (fn) => mutex.run(() => db.transaction((tx) => fn(tx))),
    async listen(onNotify) {
      const unsubscribe = await mutex.run(() => pg.listen(CHANGES_CHANNEL, () => onNotify()));
      return () => mutex.run(() => unsubscribe());
    },
    close: () => mutex.run(() => pg.close()),
  };
}
