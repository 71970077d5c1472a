/**
 * The ResourceStore contract. Both backends (Postgres via `pg`, PGlite) implement it and pass the same
 * conformance suite (`conformance.ts`).
 */
import type { Resource, ResourceType } from '@causeway/core';

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

export interface ListResult {
  items: Resource[];
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

export interface Subscription {
  close(): void;
}

export interface ResourceStore {
  readonly backend: 'postgres' | 'pglite';

  get(type: ResourceType, mesh: string | undefined, name: string): Promise<Resource | undefined>;
  list(type: ResourceType, opts?: ListOptions): Promise<ListResult>;

  /** Validates, checks references/uniqueness, inserts. ALREADY_EXISTS if present. Returns the stored resource (version 1). */
  create(r: Resource, opts?: WriteOptions): Promise<Resource>;
  /** NOT_FOUND if absent; CONFLICT on a stale `expectedVersion`. Version increments by one. */
  update(r: Resource, opts?: WriteOptions): Promise<Resource>;
  /** Create or update; `unchanged` (no version bump, no change event) when labels and spec are equal. */
  upsert(r: Resource, opts?: WriteOptions): Promise<{ resource: Resource; outcome: UpsertOutcome }>;
  /** NOT_FOUND if absent. Deleting a Mesh deletes every resource in it (one change event each). */
  delete(type: ResourceType, mesh: string | undefined, name: string, opts?: Pick<WriteOptions, 'expectedVersion'>): Promise<Resource>;

  /** The revision of the latest change (0 for an empty store). */
  revision(): Promise<number>;
  /**
   * Calls `onChange` for every change with revision > `fromRevision`, in order, then for each new change
   * as it is committed (also changes written by another process on the same database).
   */
  watch(fromRevision: number, onChange: (e: ChangeEvent) => void): Subscription;

  close(): Promise<void>;
}
