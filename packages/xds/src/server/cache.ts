/**
 * Snapshot cache: the current resource set of every proxy, packed (packing.ts) with a version per type
 * that changes only when that type's content does, and a version per resource (its content hash) for
 * incremental xDS. The response encoders put already encoded resources together: state of the world
 * (`DiscoveryResponse`) and delta (`DeltaDiscoveryResponse`, whose `Resource` wrapper of a packed resource
 * is also encoded once).
 */
import { TYPE_URLS, XDS_KINDS, type XdsKind } from '@causeway/envoy';
import { blocksOf, type ResourceSet } from '../generate/common.js';
import { lengthDelimited, type PackedResource, packBlocks, packType, type SnapshotDiff, type TypeBlocks, type TypeSnapshot } from './packing.js';

export { lengthDelimited, pack, type PackedResource, type SnapshotDiff, type TypeDiff, type TypeSnapshot } from './packing.js';

/**
 * Serializes a DiscoveryResponse from already-encoded resources (field numbers of
 * envoy.service.discovery.v3.DiscoveryResponse: version_info 1, resources 2, type_url 4, nonce 5).
 */
export function encodeDiscoveryResponse(version: string, resources: readonly PackedResource[], typeUrl: string, nonce: string): Buffer {
  const parts: Buffer[] = [];
  if (version) parts.push(...lengthDelimited(1, Buffer.from(version)));
  for (const r of resources) parts.push(r.fieldBytes);
  parts.push(...lengthDelimited(4, Buffer.from(typeUrl)));
  if (nonce) parts.push(...lengthDelimited(5, Buffer.from(nonce)));
  return Buffer.concat(parts);
}

/**
 * Serializes a DeltaDiscoveryResponse (envoy.service.discovery.v3.DeltaDiscoveryResponse: system_version_info
 * 1, resources 2, type_url 4, nonce 5, removed_resources 6).
 */
export function encodeDeltaDiscoveryResponse(systemVersion: string, resources: readonly PackedResource[], removed: readonly string[], typeUrl: string, nonce: string): Buffer {
  const parts: Buffer[] = [];
  if (systemVersion) parts.push(...lengthDelimited(1, Buffer.from(systemVersion)));
  for (const r of resources) parts.push(r.deltaFieldBytes);
  parts.push(...lengthDelimited(4, Buffer.from(typeUrl)));
  if (nonce) parts.push(...lengthDelimited(5, Buffer.from(nonce)));
  for (const name of removed) parts.push(...lengthDelimited(6, Buffer.from(name)));
  return Buffer.concat(parts);
}

export interface Snapshot {
  types: Record<XdsKind, TypeSnapshot>;
  createdAt: Date;
  /** Per type, the blocks it was packed from (when its set had them: packing.ts `packBlocks`). */
  blocks?: Partial<Record<XdsKind, TypeBlocks>>;
}

/**
 * Packs a proxy's resource set; with its previous snapshot, only what differs is packed and hashed, and
 * `diff` says per changed type what was added, changed and removed.
 */
export function buildSnapshot(set: ResourceSet, now: Date = new Date(), prev?: Snapshot): Snapshot & { diff: SnapshotDiff } {
  const types = {} as Record<XdsKind, TypeSnapshot>;
  const diff: SnapshotDiff = {};
  const parts = blocksOf(set);
  const blocks: Partial<Record<XdsKind, TypeBlocks>> = {};
  for (const kind of XDS_KINDS) {
    const prevTs = prev?.types[kind];
    const byBlocks = parts ? packBlocks(kind, parts.shared[kind], parts.own[kind], prevTs, prev?.blocks?.[kind], () => set[kind]) : undefined;
    if (byBlocks) blocks[kind] = byBlocks.blocks;
    const packedType = byBlocks ?? packType(kind, set[kind], prevTs);
    types[kind] = packedType.ts;
    if (packedType.diff) diff[kind] = packedType.diff;
  }
  return { types, createdAt: now, diff, ...(parts ? { blocks } : {}) };
}

/** Push order that lets Envoy warm clusters before listeners use them (make-before-break). */
export const PUSH_ORDER: readonly XdsKind[] = ['Secret', 'Cluster', 'ClusterLoadAssignment', 'Listener', 'RouteConfiguration'];

export const KIND_BY_URL: ReadonlyMap<string, XdsKind> = new Map(XDS_KINDS.map((k) => [TYPE_URLS[k], k]));

/** Told a proxy's new snapshot, the types whose version changed, and what changed in each. */
type Listener = (snapshot: Snapshot, changed: XdsKind[], diff: SnapshotDiff) => void;

export class SnapshotCache {
  private readonly snapshots = new Map<string, Snapshot>();
  /** Listeners by proxy key (its streams): a proxy's change wakes only its own streams. */
  private readonly listeners = new Map<string, Set<Listener>>();

  get(key: string): Snapshot | undefined {
    return this.snapshots.get(key);
  }

  keys(): string[] {
    return [...this.snapshots.keys()];
  }

  /** Stores a proxy's snapshot; returns the types whose version changed (and tells its subscribers). */
  set(key: string, set: ResourceSet): XdsKind[] {
    const prev = this.snapshots.get(key);
    const { diff, ...next } = buildSnapshot(set, new Date(), prev);
    const changed = XDS_KINDS.filter((k) => prev?.types[k] !== next.types[k]);
    if (changed.length === 0 && prev) return [];
    this.snapshots.set(key, next);
    for (const l of this.listeners.get(key) ?? []) l(next, changed, diff);
    return changed;
  }

  delete(key: string): void {
    this.snapshots.delete(key);
  }

  /** Calls `l` whenever the snapshot of `key` changes; returns the unsubscribe function. */
  subscribe(key: string, l: Listener): () => void {
    let set = this.listeners.get(key);
    if (!set) {
      set = new Set();
      this.listeners.set(key, set);
    }
    set.add(l);
    return () => {
      set.delete(l);
      if (set.size === 0 && this.listeners.get(key) === set) this.listeners.delete(key);
    };
  }
}
