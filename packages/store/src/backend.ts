/**
 * What differs between the Postgres and PGlite backends: the driver, how transactions and reads are
 * scheduled, LISTEN/NOTIFY, and shutdown. Everything else (the SQL) lives in `sql-store.ts`.
 */
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';

/** A drizzle database or transaction of either driver. */
export type Db = PgDatabase<PgQueryResultHKT>;

/** The channel every committed change is announced on (payload: the highest revision written). */
export const CHANGES_CHANNEL = 'causeway_changes';

export interface Backend {
  readonly kind: 'postgres' | 'pglite';
  /** Runs reads outside any write transaction. */
  read<T>(fn: (db: Db) => Promise<T>): Promise<T>;
  /** Runs `fn` in one transaction (committed when it resolves, rolled back when it throws). */
  transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T>;
  /**
   * Subscribes to `CHANGES_CHANNEL`. Resolves once listening; `onNotify` is also called after a lost
   * connection is re-established (notifications may have been missed meanwhile). Returns the unsubscribe.
   */
  listen(onNotify: () => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

/** A promise-chain mutex: runs one function at a time, in call order. */
export class Mutex {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn);
    this.tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }
}
