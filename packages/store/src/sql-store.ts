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
  type Resource,
  type ResourceDescriptor,
  type ResourceType,
  type UniqueKey,
} from '@causeway/core';
import { and, asc, count, eq, gt, ilike, inArray, notInArray, or, type SQL, sql } from 'drizzle-orm';
import { type Backend, CHANGES_CHANNEL, type Db } from './backend.js';
import type { StoreLogger } from './logger.js';
import { resourceChanges, resources, resourceUniqueKeys } from './schema.js';
import type {
  ChangeEvent,
  ChangeOp,
  ListOptions,
  ListResult,
  ResourceStore,
  Subscription,
  UpsertOutcome,
  WriteOptions,
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

function rowKey(type: ResourceType, mesh: string, name: string): SQL {
  return and(eq(resources.type, type), eq(resources.mesh, mesh), eq(resources.name, name)) as SQL;
}

function describe(type: string, mesh: string, name: string): string {
  return mesh === '' ? `${type} "${name}"` : `${type} "${name}" in mesh "${mesh}"`;
}

function toResource(row: ResourceRow): Resource {
  const d = descriptorOf(row.type as ResourceType);
  return {
    type: d.type,
    ...(d.scope === 'mesh' ? { mesh: row.mesh } : {}),
    name: row.name,
    labels: row.labels,
    spec: row.spec,
    version: row.version,
    creationTime: row.createdAt.toISOString(),
    modificationTime: row.modifiedAt.toISOString(),
  };
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
  private readonly watchers = new Set<Watcher>();
  private readonly inflight = new Set<Promise<void>>();
  private listening: Promise<void> | undefined;
  private unlisten: (() => Promise<void>) | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private readonly pruneTimer: NodeJS.Timeout;
  private closed = false;

  constructor(
    private readonly db: Backend,
    private readonly opts: SqlStoreOptions,
  ) {
    this.backend = db.kind;
    this.pruneTimer = setInterval(() => {
      this.track(this.prune().then(() => undefined));
    }, opts.pruneIntervalMs);
    this.pruneTimer.unref();
  }

  // ------------------------------------------------------------------------------------------
  // Reads

  async get(type: ResourceType, mesh: string | undefined, name: string): Promise<Resource | undefined> {
    const d = descriptorOf(type);
    if (d.scope === 'mesh' && mesh === undefined) return undefined;
    const rows = await this.db.read((db) => db.select().from(resources).where(rowKey(type, meshKey(d, mesh), name)));
    return rows[0] ? toResource(rows[0]) : undefined;
  }

  async list(type: ResourceType, opts: ListOptions = {}): Promise<ListResult> {
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
        items: page.map(toResource),
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

  async create(r: Resource, opts: WriteOptions = {}): Promise<Resource> {
    return (await this.write('create', r, opts)).resource;
  }

  async update(r: Resource, opts: WriteOptions = {}): Promise<Resource> {
    return (await this.write('update', r, opts)).resource;
  }

  upsert(r: Resource, opts: WriteOptions = {}): Promise<{ resource: Resource; outcome: UpsertOutcome }> {
    return this.write('upsert', r, opts);
  }

  async delete(type: ResourceType, mesh: string | undefined, name: string, opts: Pick<WriteOptions, 'expectedVersion'> = {}): Promise<Resource> {
    const d = descriptorOf(type);
    const m = meshKey(d, mesh);
    if (d.scope === 'mesh' && mesh === undefined) throw invalid([{ field: 'mesh', reason: 'is required' }], `${type} is mesh-scoped: a mesh is required`);
    return this.transaction(async (tx) => {
      const [existing] = await tx.select().from(resources).where(rowKey(type, m, name)).for('update');
      if (!existing) throw notFound(`${describe(type, m, name)} not found`);
      this.checkVersion(existing, opts.expectedVersion);
      const events: NewChange[] = [];
      await tx.delete(resources).where(rowKey(type, m, name));
      await tx
        .delete(resourceUniqueKeys)
        .where(and(eq(resourceUniqueKeys.type, type), eq(resourceUniqueKeys.mesh, m), eq(resourceUniqueKeys.name, name)));
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
      events.push({ op: 'delete', type, mesh: m, name, version: existing.version });
      await this.record(tx, events);
      return toResource(existing);
    });
  }

  private async write(mode: 'create' | 'update' | 'upsert', r: Resource, opts: WriteOptions): Promise<{ resource: Resource; outcome: UpsertOutcome }> {
    if (this.closed) throw new CausewayError('UNAVAILABLE', 'the store is closed');
    assertValid(r);
    const d = descriptorOf(r.type);
    const mesh = meshKey(d, r.mesh);
    const labels = plainJson(r.labels ?? {});
    const spec = plainJson(r.spec);
    const tags = d.tagSets(spec);
    const keys = d.uniqueKeys(spec);
    const origin = opts.origin ?? 'local';
    const zone = opts.zone ?? null;
    const what = describe(r.type, mesh, r.name);

    return this.transaction(async (tx) => {
      // Two rounds at most: an upsert that lost a race to a concurrent create updates that row instead.
      for (let round = 0; ; round++) {
        // A create needs no read: the insert below tells whether the resource exists.
        const [existing] = mode === 'create' ? [] : await tx.select().from(resources).where(rowKey(r.type, mesh, r.name)).for('update');
        if (!existing) {
          if (mode === 'update') throw notFound(`${what} not found`);
          if (opts.expectedVersion !== undefined && opts.expectedVersion !== 0)
            throw conflict(`${what} does not exist (expected version ${opts.expectedVersion})`);
          const [row] = await tx
            .insert(resources)
            .values({ type: r.type, mesh, name: r.name, spec, labels, tags, version: 1, origin, zone })
            .onConflictDoNothing()
            .returning();
          if (!row) {
            if (mode === 'create' || round > 0) throw new CausewayError('ALREADY_EXISTS', `${what} already exists`);
            continue;
          }
          // Checked after the insert (a failure rolls it back), so an existing resource is ALREADY_EXISTS first.
          if (!opts.replicated) await this.checkReferences(tx, d, r, mesh, spec);
          await this.claimKeys(tx, r.type, mesh, r.name, keys, !opts.replicated, true);
          await this.record(tx, [{ op: 'create', type: r.type, mesh, name: r.name, version: 1 }]);
          return { resource: toResource(row), outcome: 'created' };
        }

        this.checkVersion(existing, opts.expectedVersion);
        if (mode === 'upsert' && jsonEqual(existing.spec, spec) && jsonEqual(existing.labels, labels)) {
          // Same content: no new version, no change event. Provenance is still kept current.
          if (existing.origin !== origin || existing.zone !== zone) await tx.update(resources).set({ origin, zone }).where(rowKey(r.type, mesh, r.name));
          return { resource: toResource(existing), outcome: 'unchanged' };
        }
        if (!opts.replicated) await this.checkReferences(tx, d, r, mesh, spec);
        const version = existing.version + 1;
        const [row] = await tx
          .update(resources)
          .set({ spec, labels, tags, version, origin, zone, modifiedAt: sql`now()` })
          .where(rowKey(r.type, mesh, r.name))
          .returning();
        if (!row) throw new CausewayError('INTERNAL', `${what} vanished while locked`);
        await this.claimKeys(tx, r.type, mesh, r.name, keys, !opts.replicated, false);
        await this.record(tx, [{ op: 'update', type: r.type, mesh, name: r.name, version }]);
        return { resource: toResource(row), outcome: 'updated' };
      }
    });
  }

  private checkVersion(existing: ResourceRow, expected: number | undefined): void {
    if (expected !== undefined && existing.version !== expected)
      throw conflict(
        `${describe(existing.type, existing.mesh, existing.name)} was changed concurrently: stored version is ${existing.version}, the write expected ${expected}`,
      );
  }

  /**
   * The mesh of a mesh-scoped resource and every referenced resource must exist. One query; the rows
   * found stay locked FOR SHARE until commit, so they cannot be deleted under this write.
   */
  private async checkReferences(tx: Db, d: ResourceDescriptor, r: Resource, mesh: string, spec: unknown): Promise<void> {
    const needed: { type: ResourceType; mesh: string; name: string; field: string; reason: string }[] = [];
    if (d.scope === 'mesh') needed.push({ type: 'Mesh', mesh: '', name: mesh, field: 'mesh', reason: `mesh "${mesh}" does not exist` });
    for (const ref of d.references(spec)) {
      const refMesh = meshKey(descriptorOf(ref.type), mesh);
      needed.push({ type: ref.type, mesh: refMesh, name: ref.name, field: ref.field, reason: `${describe(ref.type, refMesh, ref.name)} does not exist` });
    }
    if (needed.length === 0) return;
    const found = await tx
      .select({ type: resources.type, mesh: resources.mesh, name: resources.name })
      .from(resources)
      .where(or(...needed.map((n) => rowKey(n.type, n.mesh, n.name))))
      .for('share');
    const present = new Set(found.map((f) => `${f.type}/${f.mesh}/${f.name}`));
    const errors: FieldError[] = needed.filter((n) => !present.has(`${n.type}/${n.mesh}/${n.name}`)).map((n) => ({ field: n.field, reason: n.reason }));
    if (errors.length > 0) throw invalid(errors, `${describe(r.type, mesh, r.name)} refers to resources that do not exist`);
  }

  /**
   * Makes `resource_unique_keys` hold exactly `keys` for this resource. A key held by another resource
   * is a CONFLICT when `enforce` (a replicated copy just does not claim it). Race-safe: the primary key
   * makes a concurrent insert of the same key wait for the other transaction, then see its row.
   */
  private async claimKeys(tx: Db, type: ResourceType, mesh: string, name: string, keys: UniqueKey[], enforce: boolean, isNew: boolean): Promise<void> {
    const wanted = new Map(keys.map((k) => [k.key, k]));
    if (!isNew) {
      const owner = and(eq(resourceUniqueKeys.type, type), eq(resourceUniqueKeys.mesh, mesh), eq(resourceUniqueKeys.name, name));
      await tx.delete(resourceUniqueKeys).where(wanted.size > 0 ? and(owner, notInArray(resourceUniqueKeys.key, [...wanted.keys()])) : owner);
    }
    let pending = [...wanted.values()];
    for (let attempt = 0; pending.length > 0; attempt++) {
      const inserted = await tx
        .insert(resourceUniqueKeys)
        .values(pending.map((k) => ({ type, mesh, key: k.key, name })))
        .onConflictDoNothing()
        .returning({ key: resourceUniqueKeys.key });
      const claimed = new Set(inserted.map((i) => i.key));
      const taken = pending.filter((k) => !claimed.has(k.key));
      if (taken.length === 0) return;
      const holders = await tx
        .select({ key: resourceUniqueKeys.key, name: resourceUniqueKeys.name })
        .from(resourceUniqueKeys)
        .where(and(eq(resourceUniqueKeys.type, type), eq(resourceUniqueKeys.mesh, mesh), inArray(resourceUniqueKeys.key, taken.map((k) => k.key))));
      const holderOf = new Map(holders.map((h) => [h.key, h.name]));
      if (enforce) {
        const fields: FieldError[] = [];
        for (const k of taken) {
          const holder = holderOf.get(k.key);
          if (holder !== undefined && holder !== name) fields.push({ field: k.field, reason: `${k.what} is already used by ${describe(type, mesh, holder)}` });
        }
        if (fields.length > 0) throw conflict(fields.map((f) => f.reason).join('; '), fields);
      }
      // Keys released between the insert and the select: claim them again.
      pending = taken.filter((k) => !holderOf.has(k.key));
      if (attempt >= 5 && pending.length > 0)
        throw new CausewayError('UNAVAILABLE', `could not claim ${pending.map((k) => k.what).join(', ')} for ${describe(type, mesh, name)}: try again`);
    }
  }

  /**
   * Appends change events to the outbox and notifies listeners (delivered on commit), in one statement.
   * The advisory lock, taken before the revisions are drawn and held until commit, serializes this last
   * step of every write, so revisions are assigned in commit order: once a watcher sees revision N,
   * every change below N is visible too (no gap that fills in later, which would make a watcher skip it).
   */
  private async record(tx: Db, events: NewChange[]): Promise<void> {
    if (events.length === 0) return;
    const rows = sql.join(
      events.map((e) => sql`(${e.op}, ${e.type}, ${e.mesh ?? ''}, ${e.name}, ${e.version}::bigint)`),
      sql`, `,
    );
    await tx.execute(sql`
      with lock as materialized (select pg_advisory_xact_lock(${OUTBOX_LOCK_ID}::bigint)),
      ins as (
        insert into ${resourceChanges} ("op", "type", "mesh", "name", "version")
        select v.op, v.type, v.mesh, v.name, v.version from lock, (values ${rows}) as v(op, type, mesh, name, version)
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
