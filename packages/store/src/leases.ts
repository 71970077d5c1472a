/**
 * The `leases` table: named leases with a holder and an expiry, judged by the database's clock. This
 * file only reads and writes rows; `leader-lease.ts` is the loop that holds one (renews, steps down).
 */
import { CausewayError } from '@causeway/core';
import { and, eq, sql } from 'drizzle-orm';
import type { Backend } from './backend.js';
import { leases } from './schema.js';

/** A lease as stored. Times are the database's. */
export interface LeaseRecord {
  name: string;
  holder: string;
  /** When this holder took it (kept across its renewals). */
  acquiredAt: Date;
  renewedAt: Date;
  expiresAt: Date;
}

export interface LeaseAttempt {
  /** True when `holder` holds the lease now, until `lease.expiresAt`. */
  acquired: boolean;
  /** The lease as it is after the attempt (another holder's when not acquired); undefined if nobody holds one. */
  lease: LeaseRecord | undefined;
}

/** Named leases in the store's database (`ResourceStore.leases`). */
export interface Leases {
  /**
   * Takes the lease `name` for `holder` for `ttlMs` from now (database clock) when nobody holds it, it
   * has expired, or `holder` holds it already (a renewal: `acquiredAt` is kept). One statement.
   */
  acquire(name: string, holder: string, ttlMs: number): Promise<LeaseAttempt>;
  /** Gives the lease up if `holder` holds it; returns whether it did. */
  release(name: string, holder: string): Promise<boolean>;
  get(name: string): Promise<LeaseRecord | undefined>;
}

function check(name: string, holder: string | undefined, ttlMs?: number): void {
  const bad: { field: string; reason: string }[] = [];
  if (typeof name !== 'string' || name.length === 0 || name.length > 253) bad.push({ field: 'name', reason: 'must be a string of 1 to 253 characters' });
  if (holder !== undefined && (typeof holder !== 'string' || holder.length === 0 || holder.length > 253)) bad.push({ field: 'holder', reason: 'must be a string of 1 to 253 characters' });
  if (ttlMs !== undefined && (!Number.isInteger(ttlMs) || ttlMs < 1 || ttlMs > 3_600_000)) bad.push({ field: 'ttlMs', reason: `must be a whole number of milliseconds from 1 to 3600000, got ${ttlMs}` });
  if (bad.length > 0) throw new CausewayError('INVALID', `invalid lease ${bad.map((b) => b.field).join(', ')}`, bad);
}

export class SqlLeases implements Leases {
  constructor(private readonly db: Backend) {}

  async acquire(name: string, holder: string, ttlMs: number): Promise<LeaseAttempt> {
    check(name, holder, ttlMs);
    const expires = sql`clock_timestamp() + make_interval(secs => ${ttlMs / 1000})`;
    // One statement (autocommit): insert, or take over an expired row, or renew our own. Nothing when
    // another holder's lease is still valid.
    const rows = await this.db.read((db) =>
      db
        .insert(leases)
        .values({ name, holder, acquiredAt: sql`clock_timestamp()`, renewedAt: sql`clock_timestamp()`, expiresAt: expires })
        .onConflictDoUpdate({
          target: leases.name,
          set: {
            holder: sql`excluded.holder`,
            acquiredAt: sql`case when ${leases.holder} = excluded.holder then ${leases.acquiredAt} else excluded.acquired_at end`,
            renewedAt: sql`excluded.renewed_at`,
            expiresAt: sql`excluded.expires_at`,
          },
          setWhere: sql`${leases.holder} = excluded.holder or ${leases.expiresAt} <= clock_timestamp()`,
        })
        .returning(),
    );
    const mine = rows[0];
    if (mine) return { acquired: true, lease: mine };
    return { acquired: false, lease: await this.get(name) };
  }

  async release(name: string, holder: string): Promise<boolean> {
    check(name, holder);
    const rows = await this.db.read((db) =>
      db
        .delete(leases)
        .where(and(eq(leases.name, name), eq(leases.holder, holder)))
        .returning({ name: leases.name }),
    );
    return rows.length > 0;
  }

  async get(name: string): Promise<LeaseRecord | undefined> {
    check(name, undefined);
    const rows = await this.db.read((db) => db.select().from(leases).where(eq(leases.name, name)));
    return rows[0];
  }
}
