/**
 * The `shared_keys` table: values the replicas of one control plane share and create once (a zone's
 * token signing key, the CA of its xDS server). The first writer wins: `putIfAbsent` returns the value
 * that is stored after it, the caller's or the one another replica wrote first.
 */
import { CausewayError } from '@causeway/core';
import { eq } from 'drizzle-orm';
import type { Backend } from './backend.js';
import { sharedKeys } from './schema.js';

/** Shared values in the store's database (`ResourceStore.keys`). */
export interface SharedKeys {
  get(name: string): Promise<string | undefined>;
  /** Stores `value` under `name` unless a value is stored already; returns the stored value. */
  putIfAbsent(name: string, value: string): Promise<string>;
}

function check(name: string, value?: string): void {
  const bad: { field: string; reason: string }[] = [];
  if (typeof name !== 'string' || name.length === 0 || name.length > 253) bad.push({ field: 'name', reason: 'must be a string of 1 to 253 characters' });
  if (value !== undefined && (typeof value !== 'string' || value.length === 0 || value.length > 65_536)) bad.push({ field: 'value', reason: 'must be a string of 1 to 65536 characters' });
  if (bad.length > 0) throw new CausewayError('INVALID', `invalid shared key ${bad.map((b) => b.field).join(', ')}`, bad);
}

export class SqlSharedKeys implements SharedKeys {
  constructor(private readonly db: Backend) {}

  async get(name: string): Promise<string | undefined> {
    check(name);
    const rows = await this.db.read((db) => db.select({ value: sharedKeys.value }).from(sharedKeys).where(eq(sharedKeys.name, name)));
    return rows[0]?.value;
  }

  async putIfAbsent(name: string, value: string): Promise<string> {
    check(name, value);
    const inserted = await this.db.read((db) => db.insert(sharedKeys).values({ name, value }).onConflictDoNothing({ target: sharedKeys.name }).returning({ value: sharedKeys.value }));
    if (inserted[0]) return inserted[0].value;
    const stored = await this.get(name);
    if (stored === undefined) throw new Error(`shared key ${name}: neither inserted nor found`);
    return stored;
  }
}
