/**
 * The one implementation of `ResourceStore` on top of drizzle. Both backends run this SQL; they differ
 * only in the `Backend` they hand in (driver, transaction scheduling, LISTEN/NOTIFY, shutdown).
 */
import {
  assertValid,
  CausewayError,
  conflict,
  descriptorOf,
  type FieldError,
  invalid,
  jsonEqual,
  notFound,
  asType,
  type Resource,
  type ResourceDescriptor,
  type ResourceType,
  type SpecOf,
  trustedResource,
  type UniqueKey,
} from '@causeway/core';
import { and, asc, count, eq, gt, ilike, or, type SQL, sql } from 'drizzle-orm';
import { type Backend, CHANGES_CHANNEL, type Db } from './backend.js';
import { type SharedKeys, SqlSharedKeys } from './keys.js';
import { type Leases, SqlLeases } from './leases.js';
import type { StoreLogger } from './logger.js';
import { CoalescedReads } from './coalesced-reads.js';
import { resourceChanges, resources, resourceUniqueKeys } from './schema.js';
import {
  BatchError,
  type BatchOp,
  type BatchOptions,
  type BatchResult,
  type ChangeEvent,
  type ChangeOp,
  type ListOptions,
  type ListResult,
  type Origin,
  type ResourceStore,
  type Subscription,
  type UpsertOutcome,
  type WriteOptions,
} from './store.js';

export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 1000;

/** Serializes outbox inserts so that revision order is commit order (see `record`). */
export const OUTBOX_LOCK_ID = 0x43_41_55_53_02; // "CAUS" 2
/** Rows fetched per round trip when a watcher catches up. */
const WATCH_BATCH = 500;

export interface ChangeRetention {
  /** Outbox rows older than this are pruned (default 1 hour). */
  maxAgeMs: number;
  /** At most this many newest outbox rows are kept (default 100,000). */
  maxRows: number;
}

export interface SqlStoreOptions {
  logger: StoreLogger;
  /** Safety-net poll of the change feed for watchers, in case a notification is lost (default 5 s). */
  pollIntervalMs: number;
  /** How often the outbox is pruned (default 10 minutes; also once at open). */
  pruneIntervalMs: number;
  retention: ChangeRetention;
}

type ResourceRow = typeof resources.$inferSelect;
type ChangeRow = typeof resourceChanges.$inferSelect;
type NewChange = Omit<typeof resourceChanges.$inferInsert, 'revision' | 'at'> & { op: ChangeOp };

interface Watcher {
  last: number;
  closed: boolean;
  running: boolean;
  again: boolean;
  onChange: (e: ChangeEvent) => void;
}

/** `''` for global-scoped types (the column is NOT NULL), the mesh otherwise. */
function meshKey(d: ResourceDescriptor, mesh: string | undefined): string {
  return d.scope === 'mesh' ? (mesh ?? '') : '';
}

function rowKey(type: string, mesh: string, name: string): SQL {
  return and(eq(resources.type, type), eq(resources.mesh, mesh), eq(resources.name, name)) as SQL;
}

/** The identity of a row as one string (type, mesh and name never contain NUL). */
function keyOf(type: string, mesh: string, name: string): string {
  return `${type}\u0000${mesh}\u0000${name}`;
}

interface ResourceKey {
  type: string;
  mesh: string;
  name: string;
}

/** A validated upsert, with what the store derives from the resource. */
interface UpsertItem extends ResourceKey {
  kind: 'upsert';
  /** Position in the batch (0 for a single write). */
  index: number;
  type: ResourceType;
  d: ResourceDescriptor;
  labels: Record<string, string>;
  spec: SpecOf<ResourceType>;
  tags: Record<string, string>[];
  keys: UniqueKey[];
  origin: Origin;
  zone: string | null;
  expectedVersion: number | undefined;
  /** Check references and uniqueness (not a replicated copy). */
  enforce: boolean;
  what: string;
}

interface DeleteItem extends ResourceKey {
  kind: 'delete';
  index: number;
  type: ResourceType;
  expectedVersion: number | undefined;
  ifExists: boolean;
  what: string;
}

type BatchItem = UpsertItem | DeleteItem;

/** An upsert that changed its row, whose unique keys must now be claimed. */
type Claim = UpsertItem & { isNew: boolean };

interface ItemFailure {
  index: number;
  error: CausewayError;
}

/** Up to this many rows go to SQL as a VALUES list; more as one jsonb parameter. */
const VALUES_MAX_ROWS = 32;

/**
 * Rows as a FROM item `alias(columns)`, `columns` like `'type text, mesh text, name text'`. A few rows are a
 * VALUES list (cheapest to plan, the planner knows the row count). More rows are ONE jsonb parameter read
 * with `jsonb_to_recordset` (any number of rows, no limit on bind parameters); its `limit` is the row count,
 * since without it the planner assumes 100 rows and may scan the whole table to join against them.
 */
function rowsSource(rows: readonly Record<string, unknown>[], columns: string, alias: string): SQL {
  const cols = columns.split(',').map((c) => {
    const [name = '', type = ''] = c.trim().split(/\s+/);
    return { name, type };
  });
  const names = sql.raw(cols.map((c) => c.name).join(', '));
  if (rows.length > VALUES_MAX_ROWS) {
    return sql`(select * from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as x(${sql.raw(columns)}) limit ${rows.length}) as ${sql.raw(alias)}`;
  }
  const tuples = rows.map(
    (r) =>
      sql`(${sql.join(
        cols.map((c) => {
          const v = r[c.name];
          const param = v === undefined || v === null ? null : c.type === 'jsonb' ? JSON.stringify(v) : v;
          return sql`${param}::${sql.raw(c.type)}`;
        }),
        sql`, `,
      )})`,
  );
  return sql`(values ${sql.join(tuples, sql`, `)}) as ${sql.raw(alias)}(${names})`;
}

const KEY_COLUMNS = 'type text, mesh text, name text';

/** Rows by `keyOf`. */
function rowsByKey(rows: readonly ResourceRow[]): Map<string, ResourceRow> {
  return new Map(rows.map((r) => [keyOf(r.type, r.mesh, r.name), r]));
}

/**
 * `resources` rows with one of these keys. A few keys are an OR of primary-key matches (cheapest to plan);
 * more are a semi-join against the keys as rows.
 */
function resourceKeysIn(keys: readonly ResourceKey[]): SQL {
  if (keys.length <= VALUES_MAX_ROWS) return or(...keys.map((k) => rowKey(k.type, k.mesh, k.name))) as SQL;
  const rows = keys.map((k) => ({ type: k.type, mesh: k.mesh, name: k.name }));
  return sql`(${resources.type}, ${resources.mesh}, ${resources.name}) in (select k.type, k.mesh, k.name from ${rowsSource(rows, KEY_COLUMNS, 'k')})`;
}

/** `resource_unique_keys` rows with one of these (type, mesh, key), like `resourceKeysIn`. */
function uniqueKeysIn(keys: readonly { type: string; mesh: string; key: string }[]): SQL {
  const k = resourceUniqueKeys;
  if (keys.length <= VALUES_MAX_ROWS) return or(...keys.map((u) => and(eq(k.type, u.type), eq(k.mesh, u.mesh), eq(k.key, u.key)))) as SQL;
  return sql`(${k.type}, ${k.mesh}, ${k.key}) in (select u.type, u.mesh, u.key from ${rowsSource(keys, 'type text, mesh text, key text', 'u')})`;
}

/** The rows of a raw `execute` (both drivers return `{ rows }`). */
function driverRecords(result: unknown): Record<string, unknown>[] {
  return (result as { rows: Record<string, unknown>[] }).rows;
}

/** What a raw write `returning type, mesh, name, created_at, modified_at` reports: the row times, by key. */
function writtenTimes(result: unknown): Map<string, { createdAt: Date; modifiedAt: Date }> {
  const times = new Map<string, { createdAt: Date; modifiedAt: Date }>();
  for (const raw of driverRecords(result)) {
    times.set(keyOf(String(raw.type), String(raw.mesh), String(raw.name)), {
      createdAt: resources.createdAt.mapFromDriverValue(raw.created_at as string) as Date,
      modifiedAt: resources.modifiedAt.mapFromDriverValue(raw.modified_at as string) as Date,
    });
  }
  return times;
}

/** The row an upsert wrote: its own content (not read back, which saves decoding every spec), the database times. */
function writtenRow(it: UpsertItem, version: number, times: { createdAt: Date; modifiedAt: Date }): ResourceRow {
  return { type: it.type, mesh: it.mesh, name: it.name, spec: it.spec, labels: it.labels, tags: it.tags, version, origin: it.origin, zone: it.zone, ...times };
}

function versionError(existing: ResourceRow, expected: number | undefined): CausewayError | undefined {
  if (expected === undefined || existing.version === expected) return undefined;
  return conflict(
    `${describe(existing.type, existing.mesh, existing.name)} was changed concurrently: stored version is ${existing.version}, the write expected ${expected}`,
  );
}

function throwFirst(failures: readonly ItemFailure[]): void {
  const first = failures[0];
  if (first) throw first.error;
}

/**
 * Sorts upserts against the rows they found: inserts, updates (with the new version) and unchanged ones
 * (result set here; `touch` when only their provenance differs). Version mismatches go to `failures`.
 */
function planUpserts(
  pending: readonly UpsertItem[],
  existing: Map<string, ResourceRow>,
  results: BatchResult[],
  failures: ItemFailure[],
): { insert: UpsertItem[]; update: { item: UpsertItem; version: number }[]; touch: UpsertItem[] } {
  const plan = { insert: [] as UpsertItem[], update: [] as { item: UpsertItem; version: number }[], touch: [] as UpsertItem[] };
  for (const it of pending) {
    const row = existing.get(keyOf(it.type, it.mesh, it.name));
    if (!row) {
      if (it.expectedVersion !== undefined && it.expectedVersion !== 0)
        failures.push({ index: it.index, error: conflict(`${it.what} does not exist (expected version ${it.expectedVersion})`) });
      else plan.insert.push(it);
      continue;
    }
    const stale = versionError(row, it.expectedVersion);
    if (stale) {
      failures.push({ index: it.index, error: stale });
      continue;
    }
    if (jsonEqual(row.spec, it.spec) && jsonEqual(row.labels, it.labels)) {
      // Same content: no new version, no change event. Provenance is still kept current.
      if (row.origin !== it.origin || row.zone !== it.zone) plan.touch.push(it);
      results[it.index] = { op: 'upsert', outcome: 'unchanged', resource: toResource(row) };
    } else {
      plan.update.push({ item: it, version: row.version + 1 });
    }
  }
  return plan;
}

function describe(type: string, mesh: string, name: string): string {
  return mesh === '' ? `${type} "${name}"` : `${type} "${name}" in mesh "${mesh}"`;
}

function toResource(row: ResourceRow): Resource {
  const d = descriptorOf(row.type as ResourceType);
  // Every row was validated when it was written.
  return trustedResource({
    type: d.type,
    ...(d.scope === 'mesh' ? { mesh: row.mesh } : {}),
    name: row.name,
    labels: row.labels,
    spec: row.spec,
    version: row.version,
    creationTime: row.createdAt.toISOString(),
    modificationTime: row.modifiedAt.toISOString(),
  });
}

function toEvent(row: ChangeRow): ChangeEvent {
  return {
    revision: row.revision,
    op: row.op as ChangeOp,
    type: row.type as ResourceType,
    ...(row.mesh !== '' ? { mesh: row.mesh } : {}),
    name: row.name,
    version: row.version,
  };
}

/** A JSON copy: drops `undefined` members so what is compared is what is stored. */
function plainJson<T>(v: T): T {
  return v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T);
}

function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** List offsets are the last (mesh, name) of the previous page, as base64url JSON. */
export function encodeOffset(mesh: string, name: string): string {
  return Buffer.from(JSON.stringify([mesh, name]), 'utf8').toString('base64url');
}

export function decodeOffset(offset: string): [string, string] {
  const bad = () => invalid([{ field: 'offset', reason: 'is not an offset returned by a previous list call (use its "next")' }], 'invalid list offset');
  if (!/^[A-Za-z0-9_-]+$/.test(offset)) throw bad();
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(offset, 'base64url').toString('utf8'));
  } catch {
    throw bad();
  }
  if (!Array.isArray(v) || v.length !== 2 || typeof v[0] !== 'string' || typeof v[1] !== 'string') throw bad();
  if (encodeOffset(v[0], v[1]) !== offset) throw bad();
  return [v[0], v[1]];
}

/** The SQLSTATE of a driver error (drizzle wraps them; the code is on the cause). */
function sqlState(e: unknown): string | undefined {
  for (let cur: unknown = e, i = 0; cur && i < 5; cur = (cur as { cause?: unknown }).cause, i++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
  }
  return undefined;
}

export class SqlStore implements ResourceStore {
  readonly backend: 'postgres' | 'pglite';
  readonly leases: Leases;
  readonly keys: SharedKeys;
  private readonly watchers = new Set<Watcher>();
  private readonly inflight = new Set<Promise<void>>();
  private listening: Promise<void> | undefined;
  private unlisten: (() => Promise<void>) | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private readonly pruneTimer: NodeJS.Timeout;
  private closed = false;
  /** Concurrent `get`s, read in one query per turn of the event loop. */
  private readonly reads = new CoalescedReads<ResourceKey, ResourceRow>(
    (keys) => this.readRows(keys),
    (k) => keyOf(k.type, k.mesh, k.name),
  );

  constructor(
    private readonly db: Backend,
    private readonly opts: SqlStoreOptions,
  ) {
    this.backend = db.kind;
    this.leases = new SqlLeases(db);
    this.keys = new SqlSharedKeys(db);
    this.pruneTimer = setInterval(() => {
      this.track(this.prune().then(() => undefined));
    }, opts.pruneIntervalMs);
    this.pruneTimer.unref();
  }

  // ------------------------------------------------------------------------------------------
  // Reads

  async get<T extends ResourceType>(type: T, mesh: string | undefined, name: string): Promise<Resource<T> | undefined> {
    const d = descriptorOf(type);
    if (d.scope === 'mesh' && mesh === undefined) return undefined;
    const row = await this.reads.get({ type, mesh: meshKey(d, mesh), name });
    return row ? asType(toResource(row), type) : undefined;
  }

  /** The rows of these keys (absent ones left out), by `keyOf`. */
  private readRows(keys: ResourceKey[]): Promise<Map<string, ResourceRow>> {
    return this.db.read(async (db) => {
      return rowsByKey(await db.select().from(resources).where(resourceKeysIn(keys)));
    });
  }

  async list<T extends ResourceType>(type: T, opts: ListOptions = {}): Promise<ListResult<T>> {
    const d = descriptorOf(type);
    const size = opts.size ?? DEFAULT_PAGE_SIZE;
    if (!Number.isInteger(size) || size < 1 || size > MAX_PAGE_SIZE)
      throw invalid([{ field: 'size', reason: `must be an integer between 1 and ${MAX_PAGE_SIZE}, got ${size}` }], 'invalid list size');
    const after = opts.offset !== undefined && opts.offset !== '' ? decodeOffset(opts.offset) : undefined;

    const conds: SQL[] = [eq(resources.type, type)];
    if (opts.mesh !== undefined && d.scope === 'mesh') conds.push(eq(resources.mesh, opts.mesh));
    if (opts.nameContains) conds.push(ilike(resources.name, `%${escapeLike(opts.nameContains)}%`));
    if (opts.tags && Object.keys(opts.tags).length > 0) conds.push(sql`${resources.tags} @> ${JSON.stringify([opts.tags])}::jsonb`);
    if (opts.labels && Object.keys(opts.labels).length > 0) conds.push(sql`${resources.labels} @> ${JSON.stringify(opts.labels)}::jsonb`);
    if (opts.origin !== undefined) conds.push(eq(resources.origin, opts.origin));
    if (opts.zone !== undefined) conds.push(eq(resources.zone, opts.zone));
    const where = and(...conds);
    const pageWhere = after ? and(where, sql`(${resources.mesh}, ${resources.name}) > (${after[0]}, ${after[1]})`) : where;

    return this.db.read(async (db) => {
      const rows = await db
        .select()
        .from(resources)
        .where(pageWhere)
        .orderBy(asc(resources.mesh), asc(resources.name))
        .limit(size + 1);
      const [total] = await db.select({ n: count() }).from(resources).where(where);
      const page = rows.slice(0, size);
      const last = page[page.length - 1];
      return {
        items: page.map((row) => asType(toResource(row), type)),
        total: Number(total?.n ?? 0),
        ...(rows.length > size && last ? { next: encodeOffset(last.mesh, last.name) } : {}),
      };
    });
  }

  async revision(): Promise<number> {
    const [row] = await this.db.read((db) => db.select({ max: sql<string | number | null>`max(${resourceChanges.revision})` }).from(resourceChanges));
    return Number(row?.max ?? 0);
  }

  // ------------------------------------------------------------------------------------------
  // Writes

  async create<T extends ResourceType>(r: Resource & { type: T }, opts: WriteOptions = {}): Promise<Resource<T>> {
    return asType((await this.write('create', r, opts)).resource, r.type);
  }

  async update<T extends ResourceType>(r: Resource & { type: T }, opts: WriteOptions = {}): Promise<Resource<T>> {
    return asType((await this.write('update', r, opts)).resource, r.type);
  }

  async upsert<T extends ResourceType>(r: Resource & { type: T }, opts: WriteOptions = {}): Promise<{ resource: Resource<T>; outcome: UpsertOutcome }> {
    const { resource, outcome } = await this.write('upsert', r, opts);
    return { resource: asType(resource, r.type), outcome };
  }

  async delete<T extends ResourceType>(type: T, mesh: string | undefined, name: string, opts: Pick<WriteOptions, 'expectedVersion'> = {}): Promise<Resource<T>> {
    const d = descriptorOf(type);
    const m = meshKey(d, mesh);
    if (d.scope === 'mesh' && mesh === undefined) throw invalid([{ field: 'mesh', reason: 'is required' }], `${type} is mesh-scoped: a mesh is required`);
    return this.transaction(async (tx) => {
      const [existing] = await tx.select().from(resources).where(rowKey(type, m, name)).for('update');
      if (!existing) throw notFound(`${describe(type, m, name)} not found`);
      const stale = versionError(existing, opts.expectedVersion);
      if (stale) throw stale;
      await this.record(tx, await this.deleteLocked(tx, existing));
      return asType(toResource(existing), type);
    });
  }

  /**
   * Deletes a row this transaction has locked, and its unique keys. A Mesh takes everything in it along.
   * Returns the change events (the Mesh's own last).
   */
  private async deleteLocked(tx: Db, existing: ResourceRow): Promise<NewChange[]> {
    const { type, mesh, name } = existing;
    const events: NewChange[] = [];
    await tx.delete(resources).where(rowKey(type, mesh, name));
    await tx.delete(resourceUniqueKeys).where(and(eq(resourceUniqueKeys.type, type), eq(resourceUniqueKeys.mesh, mesh), eq(resourceUniqueKeys.name, name)));
    if (type === 'Mesh') {
      // The Mesh row is deleted (and locked) first: a concurrent write into this mesh either
      // committed before (and is deleted here) or waits on it and then finds the mesh gone.
      const children = await tx
        .delete(resources)
        .where(eq(resources.mesh, name))
        .returning({ type: resources.type, name: resources.name, version: resources.version });
      await tx.delete(resourceUniqueKeys).where(eq(resourceUniqueKeys.mesh, name));
      children.sort((a, b) => (a.type === b.type ? (a.name < b.name ? -1 : 1) : a.type < b.type ? -1 : 1));
      for (const c of children) events.push({ op: 'delete', type: c.type, mesh: name, name: c.name, version: c.version });
    }
    events.push({ op: 'delete', type, mesh, name, version: existing.version });
    return events;
  }

  /** Validates a resource and computes what the store derives from it (tags, unique keys). */
  private prepareUpsert(r: Resource, opts: WriteOptions, index: number): UpsertItem {
    assertValid(r);
    const d = descriptorOf(r.type);
    const mesh = meshKey(d, r.mesh);
    const spec = plainJson(r.spec);
    return {
      kind: 'upsert',
      index,
      d,
      type: r.type,
      mesh,
      name: r.name,
      labels: plainJson(r.labels ?? {}),
      spec,
      tags: d.tagSets(spec),
      keys: d.uniqueKeys(spec),
      origin: opts.origin ?? 'local',
      zone: opts.zone ?? null,
      expectedVersion: opts.expectedVersion,
      enforce: !opts.replicated,
      what: describe(r.type, mesh, r.name),
    };
  }

  private async write(mode: 'create' | 'update' | 'upsert', r: Resource, opts: WriteOptions): Promise<{ resource: Resource; outcome: UpsertOutcome }> {
    if (this.closed) throw new CausewayError('UNAVAILABLE', 'the store is closed');
    const it = this.prepareUpsert(r, opts, 0);
    const { type, mesh, name, spec, labels, tags, origin, zone, what } = it;

    return this.transaction(async (tx) => {
      // Two rounds at most: an upsert that lost a race to a concurrent create updates that row instead.
      for (let round = 0; ; round++) {
        // A create needs no read: the insert below tells whether the resource exists.
        const [existing] = mode === 'create' ? [] : await tx.select().from(resources).where(rowKey(type, mesh, name)).for('update');
        if (!existing) {
          if (mode === 'update') throw notFound(`${what} not found`);
          if (it.expectedVersion !== undefined && it.expectedVersion !== 0) throw conflict(`${what} does not exist (expected version ${it.expectedVersion})`);
          const [row] = await tx.insert(resources).values({ type, mesh, name, spec, labels, tags, version: 1, origin, zone }).onConflictDoNothing().returning();
          if (!row) {
            if (mode === 'create' || round > 0) throw new CausewayError('ALREADY_EXISTS', `${what} already exists`);
            continue;
          }
          // Checked after the insert (a failure rolls it back), so an existing resource is ALREADY_EXISTS first.
          if (it.enforce) throwFirst(await this.referenceFailures(tx, [it]));
          throwFirst(await this.claimKeys(tx, [{ ...it, isNew: true }]));
          await this.record(tx, [{ op: 'create', type, mesh, name, version: 1 }]);
          return { resource: toResource(row), outcome: 'created' };
        }

        const stale = versionError(existing, it.expectedVersion);
        if (stale) throw stale;
        if (mode === 'upsert' && jsonEqual(existing.spec, spec) && jsonEqual(existing.labels, labels)) {
          // Same content: no new version, no change event. Provenance is still kept current.
          if (existing.origin !== origin || existing.zone !== zone) await tx.update(resources).set({ origin, zone }).where(rowKey(type, mesh, name));
          return { resource: toResource(existing), outcome: 'unchanged' };
        }
        if (it.enforce) throwFirst(await this.referenceFailures(tx, [it]));
        const version = existing.version + 1;
        const [row] = await tx
          .update(resources)
          .set({ spec, labels, tags, version, origin, zone, modifiedAt: sql`now()` })
          .where(rowKey(type, mesh, name))
          .returning();
        if (!row) throw new CausewayError('INTERNAL', `${what} vanished while locked`);
        throwFirst(await this.claimKeys(tx, [{ ...it, isNew: false }]));
        await this.record(tx, [{ op: 'update', type, mesh, name, version }]);
        return { resource: toResource(row), outcome: 'updated' };
      }
    });
  }

  // ------------------------------------------------------------------------------------------
  // Batches

  async applyBatch(ops: readonly BatchOp[], opts: BatchOptions = {}): Promise<BatchResult[]> {
    if (this.closed) throw new CausewayError('UNAVAILABLE', 'the store is closed');
    // Everything is validated before the transaction starts: a batch with one bad item writes nothing.
    const failures: ItemFailure[] = [];
    const items: BatchItem[] = [];
    const seen = new Map<string, number>();
    ops.forEach((op, index) => {
      try {
        let item: BatchItem;
        if (op.op === 'upsert') {
          const own = op.opts ?? {};
          item = this.prepareUpsert(
            op.resource,
            {
              expectedVersion: own.expectedVersion,
              replicated: own.replicated ?? opts.replicated,
              origin: own.origin ?? opts.origin,
              zone: own.zone ?? opts.zone,
            },
            index,
          );
        } else if (op.op === 'delete') {
          const d = descriptorOf(op.type);
          if (d.scope === 'mesh' && op.mesh === undefined) throw invalid([{ field: 'mesh', reason: 'is required' }], `${op.type} is mesh-scoped: a mesh is required`);
          const mesh = meshKey(d, op.mesh);
          item = {
            kind: 'delete',
            index,
            type: op.type,
            mesh,
            name: op.name,
            expectedVersion: op.opts?.expectedVersion,
            ifExists: op.opts?.ifExists === true,
            what: describe(op.type, mesh, op.name),
          };
        } else {
          throw invalid([{ field: 'op', reason: `must be "upsert" or "delete", got ${JSON.stringify((op as { op: unknown }).op)}` }], 'unknown batch operation');
        }
        const key = keyOf(item.type, item.mesh, item.name);
        const first = seen.get(key);
        if (first !== undefined) {
          throw invalid([{ field: 'name', reason: `${item.what} is also item ${first} of the batch: a resource may appear once per batch` }], `${item.what} appears twice in the batch`);
        }
        seen.set(key, index);
        items.push(item);
      } catch (e) {
        if (!(e instanceof CausewayError)) throw e;
        failures.push({ index, error: e });
      }
    });
    if (failures.length > 0) throw new BatchError(failures);
    if (items.length === 0) return [];

    return this.transaction(async (tx) => {
      const results: BatchResult[] = new Array<BatchResult>(ops.length);
      const events: NewChange[][] = ops.map(() => []);
      // A Mesh delete takes everything in the mesh along: it runs in its place, between the items before
      // it and the items after it, so the batch means what it says in order.
      let segment: BatchItem[] = [];
      for (const item of items) {
        if (item.kind === 'delete' && item.type === 'Mesh') {
          await this.applySegment(tx, segment, results, events);
          segment = [];
          await this.applyMeshDelete(tx, item, results, events);
        } else {
          segment.push(item);
        }
      }
      await this.applySegment(tx, segment, results, events);
      await this.record(tx, events.flat());
      return results;
    });
  }

  private async applyMeshDelete(tx: Db, del: DeleteItem, results: BatchResult[], events: NewChange[][]): Promise<void> {
    const [row] = await tx.select().from(resources).where(rowKey('Mesh', '', del.name)).for('update');
    if (!row) {
      if (!del.ifExists) throw new BatchError([{ index: del.index, error: notFound(`${del.what} not found`) }]);
      results[del.index] = { op: 'delete', outcome: 'absent' };
      return;
    }
    const stale = versionError(row, del.expectedVersion);
    if (stale) throw new BatchError([{ index: del.index, error: stale }]);
    events[del.index] = await this.deleteLocked(tx, row);
    results[del.index] = { op: 'delete', outcome: 'deleted', resource: toResource(row) };
  }

  /**
   * Items on distinct keys, no Mesh delete among them: every row is locked at once, then deletes, updates
   * and inserts run as one statement each; references and unique keys are checked last, against the
   * state the segment leaves.
   */
  private async applySegment(tx: Db, segment: BatchItem[], results: BatchResult[], events: NewChange[][]): Promise<void> {
    if (segment.length === 0) return;
    const failures: ItemFailure[] = [];
    let existing = await this.lockRows(tx, segment);

    const gone: ResourceRow[] = [];
    for (const del of segment) {
      if (del.kind !== 'delete') continue;
      const row = existing.get(keyOf(del.type, del.mesh, del.name));
      if (!row) {
        if (del.ifExists) results[del.index] = { op: 'delete', outcome: 'absent' };
        else failures.push({ index: del.index, error: notFound(`${del.what} not found`) });
        continue;
      }
      const stale = versionError(row, del.expectedVersion);
      if (stale) {
        failures.push({ index: del.index, error: stale });
        continue;
      }
      gone.push(row);
      results[del.index] = { op: 'delete', outcome: 'deleted', resource: toResource(row) };
      events[del.index] = [{ op: 'delete', type: row.type, mesh: row.mesh, name: row.name, version: row.version }];
    }

    const changed: Claim[] = [];
    let pending = segment.filter((i): i is UpsertItem => i.kind === 'upsert');
    for (let round = 0; ; round++) {
      const plan = planUpserts(pending, existing, results, failures);
      if (failures.length > 0) throw new BatchError(failures);
      if (round === 0 && gone.length > 0) await this.deleteRows(tx, gone);
      if (plan.touch.length > 0) {
        await tx.execute(sql`
          update ${resources} as r set origin = v.origin, zone = v.zone
          from ${rowsSource(plan.touch.map((it) => ({ type: it.type, mesh: it.mesh, name: it.name, origin: it.origin, zone: it.zone })), 'type text, mesh text, name text, origin text, zone text', 'v')}
          where r.type = v.type and r.mesh = v.mesh and r.name = v.name`);
      }
      if (plan.update.length > 0) {
        const written = writtenTimes(
          await tx.execute(sql`
            update ${resources} as r
            set spec = v.spec, labels = v.labels, tags = v.tags, version = v.version, origin = v.origin, zone = v.zone, modified_at = now()
            from ${rowsSource(plan.update.map(({ item: it, version }) => ({ type: it.type, mesh: it.mesh, name: it.name, spec: it.spec, labels: it.labels, tags: it.tags, version, origin: it.origin, zone: it.zone })), 'type text, mesh text, name text, spec jsonb, labels jsonb, tags jsonb, version bigint, origin text, zone text', 'v')}
            where r.type = v.type and r.mesh = v.mesh and r.name = v.name
            returning r.type, r.mesh, r.name, r.created_at, r.modified_at`),
        );
        for (const { item: it, version } of plan.update) {
          const times = written.get(keyOf(it.type, it.mesh, it.name));
          if (!times) throw new CausewayError('INTERNAL', `${it.what} vanished while locked`);
          results[it.index] = { op: 'upsert', outcome: 'updated', resource: toResource(writtenRow(it, version, times)) };
          events[it.index] = [{ op: 'update', type: it.type, mesh: it.mesh, name: it.name, version }];
          changed.push({ ...it, isNew: false });
        }
      }
      const lost: UpsertItem[] = [];
      if (plan.insert.length > 0) {
        // In key order, like the locks: two batches inserting the same keys wait on each other, never deadlock.
        const written = writtenTimes(
          await tx.execute(sql`
            insert into ${resources} (type, mesh, name, spec, labels, tags, version, origin, zone)
            select v.type, v.mesh, v.name, v.spec, v.labels, v.tags, 1, v.origin, v.zone
            from ${rowsSource(plan.insert.map((it) => ({ type: it.type, mesh: it.mesh, name: it.name, spec: it.spec, labels: it.labels, tags: it.tags, origin: it.origin, zone: it.zone })), 'type text, mesh text, name text, spec jsonb, labels jsonb, tags jsonb, origin text, zone text', 'v')}
            order by v.type, v.mesh, v.name
            on conflict do nothing
            returning type, mesh, name, created_at, modified_at`),
        );
        for (const it of plan.insert) {
          const times = written.get(keyOf(it.type, it.mesh, it.name));
          if (!times) {
            lost.push(it);
            continue;
          }
          results[it.index] = { op: 'upsert', outcome: 'created', resource: toResource(writtenRow(it, 1, times)) };
          events[it.index] = [{ op: 'create', type: it.type, mesh: it.mesh, name: it.name, version: 1 }];
          changed.push({ ...it, isNew: true });
        }
      }
      if (lost.length === 0) break;
      // Created concurrently since the rows were locked: update those rows instead (as `upsert` does).
      if (round > 0) throw new BatchError(lost.map((it) => ({ index: it.index, error: new CausewayError('ALREADY_EXISTS', `${it.what} already exists`) })));
      existing = await this.lockRows(tx, lost);
      pending = lost;
    }

    const refFailures = await this.referenceFailures(
      tx,
      changed.filter((c) => c.enforce),
    );
    if (refFailures.length > 0) throw new BatchError(refFailures);
    const keyFailures = await this.claimKeys(tx, changed);
    if (keyFailures.length > 0) throw new BatchError(keyFailures);
  }

  /** Locks the rows of these keys FOR UPDATE (in key order, so concurrent batches do not deadlock). */
  private async lockRows(tx: Db, keys: readonly ResourceKey[]): Promise<Map<string, ResourceRow>> {
    const rows = await tx
      .select()
      .from(resources)
      .where(resourceKeysIn(keys))
      .orderBy(asc(resources.type), asc(resources.mesh), asc(resources.name))
      .for('update');
    return rowsByKey(rows);
  }

  /** Deletes rows (locked by this transaction) and their unique keys. */
  private async deleteRows(tx: Db, rows: readonly ResourceRow[]): Promise<void> {
    const keys = (alias: string) =>
      rowsSource(
        rows.map((r) => ({ type: r.type, mesh: r.mesh, name: r.name })),
        KEY_COLUMNS,
        alias,
      );
    await tx.execute(sql`
      delete from ${resources} as r using ${keys('v')}
      where r.type = v.type and r.mesh = v.mesh and r.name = v.name`);
    await tx.execute(sql`
      delete from ${resourceUniqueKeys} as k using ${keys('v')}
      where k.type = v.type and k.mesh = v.mesh and k.name = v.name`);
  }

  /**
   * The mesh of a mesh-scoped resource and every referenced resource must exist. One query for all the
   * items; the rows found stay locked FOR SHARE until commit, so they cannot be deleted under this write.
   * Returns one failure per item that misses something (every missing reference of it).
   */
  private async referenceFailures(tx: Db, items: readonly UpsertItem[]): Promise<ItemFailure[]> {
    const needed: (ResourceKey & { index: number; field: string; reason: string })[] = [];
    for (const it of items) {
      if (it.d.scope === 'mesh') needed.push({ index: it.index, type: 'Mesh', mesh: '', name: it.mesh, field: 'mesh', reason: `mesh "${it.mesh}" does not exist` });
      for (const ref of it.d.references(it.spec)) {
        const refMesh = meshKey(descriptorOf(ref.type), it.mesh);
        needed.push({ index: it.index, type: ref.type, mesh: refMesh, name: ref.name, field: ref.field, reason: `${describe(ref.type, refMesh, ref.name)} does not exist` });
      }
    }
    if (needed.length === 0) return [];
    const distinct = new Map(needed.map((n) => [keyOf(n.type, n.mesh, n.name), { type: n.type, mesh: n.mesh, name: n.name }]));
    const found = await tx
      .select({ type: resources.type, mesh: resources.mesh, name: resources.name })
      .from(resources)
      .where(resourceKeysIn([...distinct.values()]))
      .orderBy(asc(resources.type), asc(resources.mesh), asc(resources.name))
      .for('share');
    const present = new Set(found.map((f) => keyOf(f.type, f.mesh, f.name)));
    const missing = new Map<number, FieldError[]>();
    for (const n of needed) {
      if (present.has(keyOf(n.type, n.mesh, n.name))) continue;
      let list = missing.get(n.index);
      if (!list) {
        list = [];
        missing.set(n.index, list);
      }
      list.push({ field: n.field, reason: n.reason });
    }
    const byIndex = new Map(items.map((it) => [it.index, it]));
    return [...missing].map(([index, errors]) => ({ index, error: invalid(errors, `${byIndex.get(index)?.what ?? 'a resource'} refers to resources that do not exist`) }));
  }

  /**
   * Makes `resource_unique_keys` hold exactly `keys` for each resource: first every key a resource no
   * longer wants is released, then every wanted key is claimed in one insert (in item order). A key held by
   * another resource fails that item with CONFLICT when it `enforce`s (a replicated copy just does not
   * claim it). Race-safe: the primary key makes a concurrent insert of the same key wait for the other
   * transaction, then see its row.
   */
  private async claimKeys(tx: Db, claims: readonly Claim[]): Promise<ItemFailure[]> {
    const owners = claims.filter((c) => !c.isNew);
    if (owners.length > 0) {
      await tx.execute(sql`
        delete from ${resourceUniqueKeys} as k
        using ${rowsSource(owners.map((o) => ({ type: o.type, mesh: o.mesh, name: o.name, keys: o.keys.map((k) => k.key) })), 'type text, mesh text, name text, keys jsonb', 'o')}
        where k.type = o.type and k.mesh = o.mesh and k.name = o.name and not (o.keys @> to_jsonb(k.key))`);
    }
    let pending = claims.flatMap((c) => c.keys.map((k) => ({ claim: c, key: k })));
    for (let attempt = 0; pending.length > 0; attempt++) {
      // In item order, so that of two items wanting one key the earlier gets it: a VALUES list keeps its
      // order; many rows come as one jsonb parameter, sorted by position.
      const rows = pending.map((p, ord) => ({ ord, type: p.claim.type, mesh: p.claim.mesh, key: p.key.key, name: p.claim.name }));
      const inserted: Record<string, unknown>[] =
        rows.length <= VALUES_MAX_ROWS
          ? await tx
              .insert(resourceUniqueKeys)
              .values(rows.map(({ type, mesh, key, name }) => ({ type, mesh, key, name })))
              .onConflictDoNothing()
              .returning({ type: resourceUniqueKeys.type, mesh: resourceUniqueKeys.mesh, key: resourceUniqueKeys.key, name: resourceUniqueKeys.name })
          : driverRecords(
              await tx.execute(sql`
                insert into ${resourceUniqueKeys} (type, mesh, key, name)
                select v.type, v.mesh, v.key, v.name
                from ${rowsSource(rows, 'ord int, type text, mesh text, key text, name text', 'v')}
                order by v.ord
                on conflict do nothing
                returning type, mesh, key, name`),
            );
      const claimed = new Set(inserted.map((i) => `${keyOf(String(i.type), String(i.mesh), String(i.key))}\u0000${String(i.name)}`));
      const taken = pending.filter((p) => !claimed.has(`${keyOf(p.claim.type, p.claim.mesh, p.key.key)}\u0000${p.claim.name}`));
      if (taken.length === 0) return [];
      const holders = await tx
        .select({ type: resourceUniqueKeys.type, mesh: resourceUniqueKeys.mesh, key: resourceUniqueKeys.key, name: resourceUniqueKeys.name })
        .from(resourceUniqueKeys)
        .where(uniqueKeysIn(taken.map((t) => ({ type: t.claim.type, mesh: t.claim.mesh, key: t.key.key }))));
      const holderOf = new Map(holders.map((h) => [keyOf(h.type, h.mesh, h.key), h.name]));
      const clashes = new Map<number, { claim: Claim; fields: FieldError[] }>();
      for (const t of taken) {
        const holder = holderOf.get(keyOf(t.claim.type, t.claim.mesh, t.key.key));
        if (!t.claim.enforce || holder === undefined || holder === t.claim.name) continue;
        let clash = clashes.get(t.claim.index);
        if (!clash) {
          clash = { claim: t.claim, fields: [] };
          clashes.set(t.claim.index, clash);
        }
        clash.fields.push({ field: t.key.field, reason: `${t.key.what} is already used by ${describe(t.claim.type, t.claim.mesh, holder)}` });
      }
      if (clashes.size > 0) return [...clashes].map(([index, c]) => ({ index, error: conflict(c.fields.map((f) => f.reason).join('; '), c.fields) }));
      // Keys released between the insert and the select: claim them again.
      pending = taken.filter((t) => !holderOf.has(keyOf(t.claim.type, t.claim.mesh, t.key.key)));
      if (attempt >= 5 && pending.length > 0)
        throw new CausewayError('UNAVAILABLE', `could not claim ${pending.map((p) => `${p.key.what} for ${describe(p.claim.type, p.claim.mesh, p.claim.name)}`).join(', ')}: try again`);
    }
    return [];
  }

  /**
   * Appends change events to the outbox and notifies listeners (delivered on commit), in one statement,
   * with revisions in the order of `events`. The advisory lock, taken before the revisions are drawn and
   * held until commit, serializes this last step of every write, so revisions are assigned in commit
   * order: once a watcher sees revision N, every change below N is visible too (no gap that fills in
   * later, which would make a watcher skip it).
   */
  private async record(tx: Db, events: NewChange[]): Promise<void> {
    if (events.length === 0) return;
    // A few events (every single write): a plain VALUES list, scanned in order (cheapest to plan). Many:
    // one jsonb parameter, sorted by position.
    const few = events.length <= VALUES_MAX_ROWS;
    const source = few
      ? sql`(values ${sql.join(
          events.map((e) => sql`(${e.op}, ${e.type}, ${e.mesh ?? ''}, ${e.name}, ${e.version}::bigint)`),
          sql`, `,
        )}) as v(op, type, mesh, name, version)`
      : rowsSource(
          events.map((e, ord) => ({ ord, op: e.op, type: e.type, mesh: e.mesh ?? '', name: e.name, version: e.version })),
          'ord int, op text, type text, mesh text, name text, version bigint',
          'v',
        );
    await tx.execute(sql`
      with lock as materialized (select pg_advisory_xact_lock(${OUTBOX_LOCK_ID}::bigint)),
      ins as (
        insert into ${resourceChanges} ("op", "type", "mesh", "name", "version")
        select v.op, v.type, v.mesh, v.name, v.version from lock, ${source}
        ${few ? sql`` : sql`order by v.ord`}
        returning "revision"
      )
      select pg_notify(${CHANGES_CHANNEL}, max("revision")::text) from ins`);
  }

  /** A write transaction, retried on serialization failures and deadlocks. */
  private async transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.db.transaction(fn);
      } catch (e) {
        const state = sqlState(e);
        if ((state === '40001' || state === '40P01') && attempt < 5) {
          this.opts.logger.debug({ state, attempt }, 'retrying a store transaction');
          continue;
        }
        throw e;
      }
    }
  }

  // ------------------------------------------------------------------------------------------
  // Change feed

  watch(fromRevision: number, onChange: (e: ChangeEvent) => void): Subscription {
    const w: Watcher = { last: fromRevision, closed: false, running: false, again: false, onChange };
    if (this.closed) return { close: () => {} };
    this.watchers.add(w);
    this.listening ??= this.startListening();
    this.pollTimer ??= this.startPolling();
    void this.listening.then(() => this.pump(w));
    return {
      close: () => {
        w.closed = true;
        this.watchers.delete(w);
      },
    };
  }

  private startListening(): Promise<void> {
    return this.db.listen(() => this.pumpAll()).then(
      (stop) => {
        if (this.closed) void stop().catch(() => {});
        else this.unlisten = stop;
      },
      (err: unknown) => {
        // Watchers still get every change from the poll.
        this.opts.logger.warn({ err }, `could not LISTEN on ${CHANGES_CHANNEL}; watchers fall back to polling`);
        this.listening = undefined;
      },
    );
  }

  private startPolling(): NodeJS.Timeout {
    const t = setInterval(() => {
      if (!this.listening) this.listening = this.startListening();
      this.pumpAll();
    }, this.opts.pollIntervalMs);
    t.unref();
    return t;
  }

  private pumpAll(): void {
    for (const w of this.watchers) void this.pump(w);
  }

  private pump(w: Watcher): Promise<void> {
    if (w.closed || this.closed) return Promise.resolve();
    if (w.running) {
      w.again = true;
      return Promise.resolve();
    }
    w.running = true;
    return this.track(this.drain(w).finally(() => (w.running = false)));
  }

  /** Delivers every change after `w.last`, in revision order, until none is left. */
  private async drain(w: Watcher): Promise<void> {
    try {
      do {
        w.again = false;
        for (;;) {
          const rows = await this.db.read((db) =>
            db.select().from(resourceChanges).where(gt(resourceChanges.revision, w.last)).orderBy(asc(resourceChanges.revision)).limit(WATCH_BATCH),
          );
          for (const row of rows) {
            if (w.closed || this.closed) return;
            w.last = row.revision;
            try {
              w.onChange(toEvent(row));
            } catch (err) {
              this.opts.logger.error({ err, revision: row.revision }, 'a change watcher threw');
            }
          }
          if (rows.length < WATCH_BATCH) break;
        }
      } while (w.again && !w.closed && !this.closed);
    } catch (err) {
      // The next notification or poll resumes from w.last.
      if (!this.closed) this.opts.logger.warn({ err }, 'reading the change feed failed');
    }
  }

  private track(p: Promise<void>): Promise<void> {
    this.inflight.add(p);
    const done = () => {
      this.inflight.delete(p);
    };
    p.then(done, done);
    return p;
  }

  /**
   * Deletes outbox rows older than `retention.maxAgeMs` or beyond the newest `retention.maxRows`,
   * always keeping the newest row (so `revision()` stays right). A watcher whose `fromRevision` fell
   * behind the pruned range misses those changes: it should re-list and watch from `revision()`.
   */
  async prune(): Promise<number> {
    if (this.closed) return 0;
    try {
      const { maxAgeMs, maxRows } = this.opts.retention;
      return await this.db.read(async (db) => {
        const res = (await db.execute(sql`
          with newest as (select max(${resourceChanges.revision}) as rev from ${resourceChanges})
          delete from ${resourceChanges}
          where ${resourceChanges.revision} < (select rev from newest)
            and (${resourceChanges.at} < now() - make_interval(secs => ${maxAgeMs / 1000})
                 or ${resourceChanges.revision} <= (select rev from newest) - ${maxRows})`)) as unknown as { rowCount?: number | null; affectedRows?: number };
        return Number(res.rowCount ?? res.affectedRows ?? 0);
      });
    } catch (err) {
      if (!this.closed) this.opts.logger.warn({ err }, 'pruning the change feed failed');
      return 0;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.pruneTimer);
    if (this.pollTimer) clearInterval(this.pollTimer);
    for (const w of this.watchers) w.closed = true;
    this.watchers.clear();
    await this.listening;
    await this.unlisten?.().catch((err: unknown) => this.opts.logger.debug({ err }, 'unlisten failed'));
    await Promise.allSettled([...this.inflight]);
    await this.db.close();
  }
}
