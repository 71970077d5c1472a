/**
 * Drizzle schema of the store. Migrations in `../drizzle/` are generated from this file with
 * `npm run generate -w @causeway/store` (drizzle-kit) and applied when a store opens.
 */
import { bigint, bigserial, customType, index, jsonb, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * Text compared byte-wise (`COLLATE "C"`): resource names are ASCII, and list order and keyset
 * pagination must not depend on the database's locale (Postgres and PGlite agree).
 */
const ctext = customType<{ data: string; driverData: string }>({
  dataType: () => 'text COLLATE "C"',
});

export const resources = pgTable(
  'resources',
  {
    type: text('type').notNull(),
    /** `''` for global-scoped types. */
    mesh: ctext('mesh').notNull().default(''),
    name: ctext('name').notNull(),
    spec: jsonb('spec').$type<unknown>().notNull(),
    labels: jsonb('labels').$type<Record<string, string>>().notNull().default({}),
    /** The descriptor's tag sets (`[{tag: value}, ...]`), matched by `tag=k:v` filters with `@>`. */
    tags: jsonb('tags').$type<Record<string, string>[]>().notNull().default([]),
    version: bigint('version', { mode: 'number' }).notNull(),
    origin: text('origin').notNull().default('local'),
    zone: text('zone'),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    modifiedAt: timestamp('modified_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ name: 'resources_pkey', columns: [t.type, t.mesh, t.name] }),
    index('resources_mesh_idx').on(t.mesh),
    index('resources_tags_idx').using('gin', t.tags),
    index('resources_labels_idx').using('gin', t.labels),
  ],
);

/** Values that must be unique per (type, mesh): descriptor `uniqueKeys`, owned by the resource `name`. */
export const resourceUniqueKeys = pgTable(
  'resource_unique_keys',
  {
    type: text('type').notNull(),
    mesh: ctext('mesh').notNull().default(''),
    key: text('key').notNull(),
    name: ctext('name').notNull(),
  },
  (t) => [
    primaryKey({ name: 'resource_unique_keys_pkey', columns: [t.type, t.mesh, t.key] }),
    index('resource_unique_keys_owner_idx').on(t.type, t.mesh, t.name),
  ],
);

/** The change feed (outbox): one row per create/update/delete, written in the same transaction. */
export const resourceChanges = pgTable(
  'resource_changes',
  {
    revision: bigserial('revision', { mode: 'number' }).primaryKey(),
    op: text('op').notNull(),
    type: text('type').notNull(),
    mesh: text('mesh').notNull().default(''),
    name: text('name').notNull(),
    version: bigint('version', { mode: 'number' }).notNull(),
    at: timestamp('at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [index('resource_changes_at_idx').on(t.at)],
);

/**
 * Leader leases (lease.ts): one row per lease name. A holder takes the row when it has expired (or is
 * already its own) and renews it; `expires_at` is the database's clock plus the ttl, so every replica
 * judges expiry by one clock.
 */
export const leases = pgTable('leases', {
  name: text('name').primaryKey(),
  holder: text('holder').notNull(),
  /** When the current holder took it (kept across its renewals). */
  acquiredAt: timestamp('acquired_at', { withTimezone: true, mode: 'date' }).notNull(),
  renewedAt: timestamp('renewed_at', { withTimezone: true, mode: 'date' }).notNull(),
  expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'date' }).notNull(),
});

/**
 * Values every replica of a control plane must share and that are created once (keys.ts): e.g. a zone's
 * token signing key and the CA of its xDS server. The first writer wins; the others read its value.
 */
export const sharedKeys = pgTable('shared_keys', {
  name: text('name').primaryKey(),
  value: text('value').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
});
