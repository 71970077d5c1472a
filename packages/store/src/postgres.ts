/**
 * The Postgres backend: a `pg` pool for queries and transactions, and one dedicated connection for
 * LISTEN (re-established after a failure).
 */
import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';
import { type Backend, CHANGES_CHANNEL, type Db } from './backend.js';
import type { StoreLogger } from './logger.js';
import { migrationsFolder } from './migrations.js';

/** Session advisory lock held while migrating, so stores starting together do not race. */
const MIGRATION_LOCK_ID = 0x43_41_55_53_01; // "CAUS" 1
const LISTEN_RETRY_MS = 1000;

export interface PostgresBackendOptions {
  url: string;
  logger: StoreLogger;
  /** Pool size (default 10). */
  poolSize?: number;
}

/** Applies the drizzle-kit migrations on one connection, under an advisory lock. */
export async function migratePostgres(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('select pg_advisory_lock($1::bigint)', [MIGRATION_LOCK_ID]);
    try {
      await migrate(drizzle(client), { migrationsFolder: migrationsFolder() });
    } finally {
      await client.query('select pg_advisory_unlock($1::bigint)', [MIGRATION_LOCK_ID]);
    }
  } finally {
    await client.end();
  }
}

export async function openPostgresBackend(opts: PostgresBackendOptions): Promise<Backend> {
  const { url, logger } = opts;
  await migratePostgres(url);
  const pool = new pg.Pool({ connectionString: url, max: opts.poolSize ?? 10 });
  pool.on('error', (err) => logger.warn({ err }, 'an idle Postgres connection failed'));
  const db: Db = drizzle(pool);

  return {
    kind: 'postgres',
    read: (fn) => fn(db),
    transaction: (fn) => db.transaction((tx) => fn(tx)),
    async listen(onNotify) {
      let client: pg.Client | undefined;
      let stopped = false;
      let retry: NodeJS.Timeout | undefined;

      const lost = (c: pg.Client, err?: unknown) => {
        if (client !== c) return;
        client = undefined;
        c.end().catch(() => {});
        if (stopped) return;
        logger.warn({ err }, `the ${CHANGES_CHANNEL} listener connection was lost; reconnecting`);
        schedule();
      };
      const schedule = () => {
        if (stopped || retry) return;
        retry = setTimeout(() => {
          retry = undefined;
          connect().catch((err: unknown) => {
            logger.warn({ err }, `reconnecting the ${CHANGES_CHANNEL} listener failed`);
            schedule();
          });
        }, LISTEN_RETRY_MS);
        retry.unref();
      };
      const connect = async () => {
        const c = new pg.Client({ connectionString: url });
        c.on('notification', (msg) => {
          if (msg.channel === CHANGES_CHANNEL) onNotify();
        });
        c.on('error', (err) => lost(c, err));
        c.on('end', () => lost(c));
        try {
          await c.connect();
          await c.query(`LISTEN ${CHANGES_CHANNEL}`);
        } catch (err) {
          c.end().catch(() => {});
          throw err;
        }
        if (stopped) {
          await c.end();
          return;
        }
        client = c;
        // Anything committed while we were not listening.
        onNotify();
      };

      await connect();
      return async () => {
        stopped = true;
        if (retry) clearTimeout(retry);
        const c = client;
        client = undefined;
        await c?.end();
      };
    },
    close: () => pool.end(),
  };
}
