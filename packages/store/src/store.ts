/**
 * The ResourceStore contract. Both backends (Postgres via `pg`, PGlite) implement it and pass the same
 * conformance suite (`conformance.ts`).
 */
import { CausewayError, type Resource, type ResourceType } from '@causeway/core';
import type { SharedKeys } from './keys.js';
import type { Leases } from './leases.js';

export interface ListOptions {
  /** Only this mesh (mesh-scoped types). Absent: every mesh. */
  mesh?: string;
  /** Page size, default 100, max 1000. */
  size?: number;
  /** Opaque offset from a previous page's `next`. */
  offset?: string;
  /** Case-insensitive substring of the name. */
  nameContains?: string;
  /** Every tag must be present in one of the resource's tag sets (descriptor `tagSets`). */
  tags?: Record<string, string>;
  /** Every label must match. */
  labels?: Record<string, string>;
  /** Only copies with this origin (sync reconciles what it replicated without touching local ones). */
  origin?: Origin;
  /** Only resources written with this `WriteOptions.zone`. */
  zone?: string;
}

export interface ListResult<T extends ResourceType = ResourceType> {
  items: Resource<T>[];
  total: number;
  /** Offset of the next page, absent on the last page. */
  next?: string;
}

/** Where a stored copy came from. */
export type Origin = 'local' | 'global' | 'zone';

export interface WriteOptions {
  /** Optimistic concurrency: the write fails with CONFLICT unless the stored version equals this. */
  expectedVersion?: number;
  /**
   * A copy replicated from another control plane (sync). Skips reference and uniqueness checks (the
   * owner enforced them) but still validates the resource.
   */
  replicated?: boolean;
  origin?: Origin;
  /** The zone a zone-originated resource came from. */
  zone?: string;
}

export type UpsertOutcome = 'created' | 'updated' | 'unchanged';

export type ChangeOp = 'create' | 'update' | 'delete';

export interface ChangeEvent {
  /** Monotonic store-wide revision of this change. */
  revision: number;
  op: ChangeOp;
  type: ResourceType;
  mesh?: string;
  name: string;
  /** Version after the change (create/update) or the version that was deleted. */
  version: number;
}

/** Options of a delete inside `applyBatch`. */
export interface BatchDeleteOptions {
  /** Optimistic concurrency, as for `delete`. */
  expectedVersion?: number;
  /** An absent resource is not an error: its result is `absent` (default: NOT_FOUND fails the batch). */
  ifExists?: boolean;
}

/** One item of `applyBatch`. */
export type BatchOp =
  | { op: 'upsert'; resource: Resource; opts?: WriteOptions }
  | { op: 'delete'; type: ResourceType; mesh?: string; name: string; opts?: BatchDeleteOptions };

/** The result of one item of `applyBatch`, at the same index. */
export type BatchResult =
  | { op: 'upsert'; outcome: UpsertOutcome; resource: Resource }
  | { op: 'delete'; outcome: 'deleted'; resource: Resource }
  | { op: 'delete'; outcome: 'absent' };

/** Defaults for every upsert of a batch (an item's own `opts` win, field by field). */
export type BatchOptions = Pick<WriteOptions, 'replicated' | 'origin' | 'zone'>;

/**
 * Why a batch was refused: the error of the item at `index` (same `code` and `fields`, the message prefixed
 * with the item), with nothing of the batch applied. `failures` lists every item known to fail when the
 * batch was abandoned, `index` first; it is not necessarily every item that would fail.
 */
export class BatchError extends CausewayError {
  readonly index: number;
  readonly failures: { index: number; error: CausewayError }[];

  constructor(failures: { index: number; error: CausewayError }[]) {
    const sorted = [...failures].sort((a, b) => a.index - b.index);
    const first = sorted[0];
    if (!first) throw new TypeError('a BatchError needs at least one failure');
    const more = sorted.length > 1 ? ` (and ${sorted.length - 1} more failing item${sorted.length > 2 ? 's' : ''})` : '';
    super(first.error.code, `batch item ${first.index}: ${first.error.message}${more}`, first.error.fields, { cause: first.error });
    this.name = 'BatchError';
    this.index = first.index;
    this.failures = sorted;
  }
}

export interface Subscription {
  close(): void;
}

export interface ResourceStore {
  readonly backend: 'postgres' | 'pglite';
  /** Named leases in the same database (leader election of control plane replicas: `leader-lease.ts`). */
  readonly leases: Leases;
  /** Values the replicas share, created once (the first writer wins): `keys.ts`. */
  readonly keys: SharedKeys;

  /** Typed by `type`: `get('Mesh', undefined, 'default')` is a `Resource<'Mesh'>`. */
  get<T extends ResourceType>(type: T, mesh: string | undefined, name: string): Promise<Resource<T> | undefined>;
  list<T extends ResourceType>(type: T, opts?: ListOptions): Promise<ListResult<T>>;

  /** Validates, checks references/uniqueness, inserts. ALREADY_EXISTS if present. Returns the stored resource (version 1). */
  create<T extends ResourceType>(r: Resource & { type: T }, opts?: WriteOptions): Promise<Resource<T>>;
  /** NOT_FOUND if absent; CONFLICT on a stale `expectedVersion`. Version increments by one. */
  update<T extends ResourceType>(r: Resource & { type: T }, opts?: WriteOptions): Promise<Resource<T>>;
  /** Create or update; `unchanged` (no version bump, no change event) when labels and spec are equal. */
  upsert<T extends ResourceType>(r: Resource & { type: T }, opts?: WriteOptions): Promise<{ resource: Resource<T>; outcome: UpsertOutcome }>;
  /** NOT_FOUND if absent. Deleting a Mesh deletes every resource in it (one change event each). */
  delete<T extends ResourceType>(type: T, mesh: string | undefined, name: string, opts?: Pick<WriteOptions, 'expectedVersion'>): Promise<Resource<T>>;

  /**
   * Applies upserts and deletes in ONE transaction, all or nothing, and returns one result per item.
   * - Every resource is validated before anything is written; an item that fails (validation, version,
   *   NOT_FOUND, references, uniqueness) fails the whole batch with a `BatchError` naming its index.
   * - Each item behaves as the single write would (`upsert`, or `delete`, which cascades for a Mesh):
   *   unchanged upserts add no version and no change event. Every change gets one change event, with
   *   revisions in item order, and the batch sends one notification.
   * - A key (type, mesh, name) may appear once per batch. References and uniqueness of non-replicated
   *   upserts are checked against the state the batch leaves (between Mesh deletes), like deferred
   *   constraints: a batch may create a Secret and the ExternalService that refers to it in either order.
   */
  applyBatch(ops: readonly BatchOp[], opts?: BatchOptions): Promise<BatchResult[]>;

  /** The revision of the latest change (0 for an empty store). */
  revision(): Promise<number>;
  /**
   * Calls `onChange` for every change with revision > `fromRevision`, in order, then for each new change
   * as it is committed (also changes written by another process on the same database).
   */
  watch(fromRevision: number, onChange: (e: ChangeEvent) => void): Subscription;

  close(): Promise<void>;
}

/** Reads every page of a list (1,000 per query). */
export async function listAll<T extends ResourceType>(store: Pick<ResourceStore, 'list'>, type: T, opts: Omit<ListOptions, 'size' | 'offset'> = {}): Promise<Resource<T>[]> {
  const out: Resource<T>[] = [];
  let offset: string | undefined;
  do {
    const page = await store.list(type, { ...opts, size: 1000, ...(offset ? { offset } : {}) });
    for (const r of page.items) out.push(r);
    offset = page.next;
  } while (offset);
  return out;
}
