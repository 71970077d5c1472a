/**
 * Snapshot cache: the current resource set of every proxy, packed (packing.ts) with a version per type
 * that changes only when that type's content does, and a version per resource (its content hash) for
 * incremental xDS. The response encoders put already encoded resources together: state of the world
 * (`DiscoveryResponse`) and delta (`DeltaDiscoveryResponse`, whose `Resource` wrapper of a packed resource
 * is also encoded once).
 */
import { TYPE_URLS, XDS_KINDS, type XdsKind } from '@causeway/envoy';
import { blocksOf, type ResourceSet } from '../generate/common.js';
import { MessageWriter } from './message-writer.js';
import { isSharedPacked, type PackedResource, packBlocks, packType, prepackList, type SnapshotDiff, type TypeBlocks, type TypeSnapshot } from './packing.js';

export { MessageWriter } from './message-writer.js';
export { pack, type PackedResource, type SnapshotDiff, type TypeDiff, type TypeSnapshot } from './packing.js';

/**
 * Serializes a DiscoveryResponse from already-encoded resources (field numbers of
 * envoy.service.discovery.v3.DiscoveryResponse: version_info 1, resources 2, type_url 4, nonce 5).
 */
export function encodeDiscoveryResponse(version: string, resources: readonly PackedResource[], typeUrl: string, nonce: string): Buffer {
  return discoveryResponse(version, resources, typeUrl, nonce).finish();
}

/** A DiscoveryResponse to send, written out when gRPC serializes it (`serializeResponse`). */
export function discoveryResponse(version: string, resources: readonly PackedResource[], typeUrl: string, nonce: string): MessageWriter {
  const w = new MessageWriter();
  if (version) w.string(1, version);
  for (const r of resources) w.bytes(2, r.anyBytes);
  w.raw(typeUrlField(typeUrl));
  if (nonce) w.string(5, nonce);
  return w;
}

/** The scratch buffer responses are serialized into (see serializeResponse); grows up to SCRATCH_MAX. */
let scratch = Buffer.allocUnsafe(64 * 1024);
const SCRATCH_MAX = 8 * 1024 * 1024;

/**
 * gRPC's serializer of ADS responses: a MessageWriter is written into one scratch buffer shared by every
 * stream, and the view returned is valid until the next call. That is enough because @grpc/grpc-js copies
 * a serialized message into the frame it sends (5-byte header + message) right after calling this, in the
 * same synchronous step (server-interceptors `serializeMessage`). A connect wave sends each of 1,000
 * proxies its whole config (~700 KB): without the scratch, every response was a buffer of its own,
 * garbage the moment gRPC had copied it. A message larger than SCRATCH_MAX gets a buffer of its own.
 */
export function serializeResponse(m: Buffer | MessageWriter): Buffer {
  if (Buffer.isBuffer(m)) return m;
  const n = m.byteLength;
  if (n > SCRATCH_MAX) return m.finish();
  if (n > scratch.length) scratch = Buffer.allocUnsafe(Math.min(SCRATCH_MAX, Math.max(n, scratch.length * 2)));
  m.writeInto(scratch);
  return scratch.subarray(0, n);
}

/** The type_url field (4) of a response, per type URL: the same bytes every time. */
const typeUrlFields = new Map<string, Buffer>();
function typeUrlField(typeUrl: string): Buffer {
  let b = typeUrlFields.get(typeUrl);
  if (!b) {
    const w = new MessageWriter();
    w.string(4, typeUrl);
    b = w.finish();
    if (typeUrlFields.size < 64) typeUrlFields.set(typeUrl, b);
  }
  return b;
}

/**
 * Serializes a DeltaDiscoveryResponse (envoy.service.discovery.v3.DeltaDiscoveryResponse: system_version_info
 * 1, resources 2, type_url 4, nonce 5, removed_resources 6).
 */
export function encodeDeltaDiscoveryResponse(systemVersion: string, resources: readonly PackedResource[], removed: readonly string[], typeUrl: string, nonce: string): Buffer {
  return deltaDiscoveryResponse(systemVersion, resources, removed, typeUrl, nonce).finish();
}

/** A DeltaDiscoveryResponse to send, written out when gRPC serializes it (`serializeResponse`). */
export function deltaDiscoveryResponse(systemVersion: string, resources: readonly PackedResource[], removed: readonly string[], typeUrl: string, nonce: string): MessageWriter {
  const w = new MessageWriter();
  if (systemVersion) w.string(1, systemVersion);
  for (const r of resources) w.raw(r.deltaFieldBytes);
  w.raw(typeUrlField(typeUrl));
  if (nonce) w.string(5, nonce);
  for (const name of removed) w.string(6, name);
  return w;
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

  /**
   * Encodes ahead, awaiting `maybeYield` between resources, what `set(key, set)` would encode in one go:
   * the resources of the set's shared block (of the whole set when it has no blocks) never packed
   * before. A connect wave's first proxy brings a shared block of ~1,000 resources none of which is
   * packed (hundreds of ms in one block of the event loop); a shared block packed already is skipped.
   */
  async prepack(set: ResourceSet, maybeYield: () => Promise<void>): Promise<void> {
    const parts = blocksOf(set);
    for (const kind of XDS_KINDS) {
      const list = parts ? parts.shared[kind] : set[kind];
      if (parts && isSharedPacked(list)) continue;
      await prepackList(kind, list, maybeYield);
    }
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
