/**
 * Packing: each resource encoded as a `google.protobuf.Any` once per resource object (generators share
 * objects between proxies of a mesh, so a shared cluster is encoded once, not once per proxy), with its
 * content hash (its version in incremental xDS); a type's resources packed against the previous snapshot
 * of that type (what changed, was added, removed), with a version that changes only with content.
 *
 * A proxy's set made of a block shared with other proxies and its own (`blocksOf`, generate/common.ts) is
 * packed block by block (`packBlocks`): the shared block is packed, and diffed against the shared block
 * the proxy held before, once for every proxy holding the same pair; per proxy only its own block is
 * walked. A change to the shared part then costs each proxy what changed, not what it holds.
 */
import { createHash } from 'node:crypto';
import { type EnvoyJson, encodeAny, type XdsKind } from '@causeway/envoy';
import { MessageWriter } from './message-writer.js';

export interface PackedResource {
  name: string;
  json: EnvoyJson;
  /**
   * The `resources` field of a DeltaDiscoveryResponse holding this resource (a `Resource`: name, version,
   * Any): the one copy of its bytes, in a buffer of its own (see `pack`).
   */
  deltaFieldBytes: Buffer;
  /** The resource as an encoded `google.protobuf.Any` (a view of the end of `deltaFieldBytes`): a DiscoveryResponse's `resources` field holds it. */
  anyBytes: Buffer;
  /** Content hash (hex): the resource's version in incremental xDS. */
  hash: string;
  /** The content hash as a number (a term of the type version's sum). */
  value: bigint;
}

export interface TypeSnapshot {
  version: string;
  /** Sum of the resources' `value`s modulo 2^128: the version, kept as a number to update it by a diff. */
  sum: bigint;
  /** Sorted by name (a snapshot made of blocks merges them on first use). */
  readonly resources: PackedResource[];
  /** Lookup by name (built on first use: only named subscriptions need it). */
  readonly byName: Map<string, PackedResource>;
  /** One resource by name; for a snapshot made of blocks, looked up in its blocks (no per-proxy map is built). */
  find(name: string): PackedResource | undefined;
}

const MOD = 1n << 128n;

/** A type snapshot of `sum` whose resources are made on first use (`find`: a lookup by name that does not build `byName`). */
function lazyTypeSnapshot(sum: bigint, make: () => PackedResource[], find?: (name: string) => PackedResource | undefined): TypeSnapshot {
  let resources: PackedResource[] | undefined;
  let byName: Map<string, PackedResource> | undefined;
  const s = ((sum % MOD) + MOD) % MOD;
  return {
    version: s.toString(16).padStart(32, '0').slice(0, 16),
    sum: s,
    get resources() {
      resources ??= make();
      return resources;
    },
    get byName() {
      byName ??= new Map(this.resources.map((r) => [r.name, r]));
      return byName;
    },
    find(name: string) {
      return find ? find(name) : this.byName.get(name);
    },
  };
}

export function typeSnapshot(sum: bigint, resources: PackedResource[]): TypeSnapshot {
  return lazyTypeSnapshot(sum, () => resources);
}

const packed = new WeakMap<EnvoyJson, PackedResource>();

function nameOf(kind: XdsKind, r: EnvoyJson): string {
  return String(kind === 'ClusterLoadAssignment' ? r.cluster_name : r.name);
}

/**
 * Encodes (or returns the cached encoding of) one resource. Its bytes are held once, in a buffer
 * allocated for them alone, laid out as the delta `Resource` field (version 1, resource 2, name 3) that
 * ends with the `Any` a state-of-the-world response carries. A buffer of Node's shared pool (what
 * `Buffer.concat` returns for less than 4 KB) would keep its whole 8 KB slab alive, with the garbage
 * around it; three copies (the Any, its state-of-the-world field and its delta field) held 3x the bytes.
 */
export function pack(kind: XdsKind, r: EnvoyJson): PackedResource {
  let p = packed.get(r);
  if (!p) {
    const encoded = encodeAny(r);
    const any = new MessageWriter(); // google.protobuf.Any: type_url 1, value 2
    any.string(1, encoded.type_url);
    any.bytes(2, encoded.value);
    const anyBytes = any.finish();
    // The type URL is part of the content: two kinds never share a digest.
    const hash = createHash('sha256').update(anyBytes).digest().subarray(0, 16).toString('hex');
    const name = nameOf(kind, r);
    const resource = new MessageWriter(); // envoy.service.discovery.v3.Resource: version 1, resource 2, name 3
    resource.string(3, name);
    resource.string(1, hash);
    resource.bytes(2, anyBytes);
    const field = new MessageWriter(); // the `resources` field (2) of a DeltaDiscoveryResponse
    field.message(2, resource);
    const bytes = Buffer.allocUnsafeSlow(field.byteLength);
    field.writeInto(bytes);
    p = { name, json: r, deltaFieldBytes: bytes, anyBytes: bytes.subarray(bytes.length - anyBytes.length), hash, value: BigInt(`0x${hash}`) };
    packed.set(r, p);
  }
  return p;
}

/** What changed in one type between a proxy's previous snapshot (version `from`) and its next. */
export interface TypeDiff {
  from: string;
  /** Resources added or whose content changed. */
  changed: PackedResource[];
  /** Names gone. */
  removed: string[];
}

export type SnapshotDiff = Partial<Record<XdsKind, TypeDiff>>;

/**
 * The version of a type is a function of its content alone (the same resources give the same version on
 * every replica and after a restart, so a reconnecting state-of-the-world proxy need not be sent its
 * config again): the sum, modulo 2^128, of its resources' content hashes (a name is part of its content,
 * and names are unique within a type), written as its high 64 bits in hex. A sum, unlike a hash of the
 * list, follows a diff: a change to a proxy's snapshot costs what changed, not what the proxy holds.
 */
function sumOf(resources: readonly PackedResource[]): bigint {
  let sum = 0n;
  for (const r of resources) sum += r.value;
  return sum;
}

/**
 * Packs one type's resources against the previous snapshot of the same type. Generators return each
 * type sorted by name and hand over the same objects for what did not change, so a walk along both
 * lists reuses the previous packing for every identical object (no lookup, no hashing) and finds what
 * was added, changed and removed; an unchanged type keeps its previous TypeSnapshot (and version).
 * Order is checked where it can break: reused objects keep the previous (sorted) order, and every newly
 * packed one is compared with its neighbours; a list out of order is diffed by name instead.
 */
export function packType(kind: XdsKind, list: readonly EnvoyJson[], prev: TypeSnapshot | undefined): { ts: TypeSnapshot; diff: TypeDiff | undefined } {
  const old = prev?.resources ?? [];
  // The same objects as before (a proxy's own block on a pass that changed only what it shares): no walk.
  if (prev && list.length === old.length && list.every((r, i) => (old[i] as PackedResource).json === r)) return { ts: prev, diff: undefined };
  const out: PackedResource[] = new Array(list.length);
  const changed: PackedResource[] = [];
  const removed: string[] = [];
  /** What the diff adds to the previous version's sum. */
  let delta = 0n;
  let j = 0;
  let ordered = true;
  const fresh: number[] = [];
  for (let i = 0; i < list.length; i++) {
    const r = list[i] as EnvoyJson;
    const same = old[j];
    if (same !== undefined && same.json === r) {
      out[i] = same;
      j++;
      continue;
    }
    const p = pack(kind, r);
    out[i] = p;
    fresh.push(i);
    if (i > 0 && !((out[i - 1] as PackedResource).name < p.name)) ordered = false;
    if (!ordered) continue;
    while (j < old.length && (old[j] as PackedResource).name < p.name) {
      const gone = old[j++] as PackedResource;
      removed.push(gone.name);
      delta -= gone.value;
    }
    const o = old[j];
    if (o !== undefined && o.name === p.name) {
      if (o.hash !== p.hash) {
        changed.push(p);
        delta += p.value - o.value;
      }
      j++;
    } else {
      changed.push(p);
      delta += p.value;
    }
  }
  if (ordered) ordered = fresh.every((i) => i === out.length - 1 || (out[i] as PackedResource).name < (out[i + 1] as PackedResource).name);
  if (ordered) {
    for (; j < old.length; j++) {
      const gone = old[j] as PackedResource;
      removed.push(gone.name);
      delta -= gone.value;
    }
  } else {
    // Not sorted by name (a generator's contract broken): diff by name instead of walking.
    changed.length = 0;
    removed.length = 0;
    const before = new Map(old.map((o) => [o.name, o.hash]));
    for (const p of out) if (before.get(p.name) !== p.hash) changed.push(p);
    const now = new Set(out.map((p) => p.name));
    for (const o of old) if (!now.has(o.name)) removed.push(o.name);
  }
  if (prev && changed.length === 0 && removed.length === 0) return { ts: prev, diff: undefined };
  const ts = typeSnapshot(prev && ordered ? prev.sum + delta : sumOf(out), out);
  return { ts, diff: prev ? { from: prev.version, changed, removed } : undefined };
}

// ------------------------------------------------------------------------------------------------
// Block by block

/** How a type of a proxy's snapshot was packed when its set had blocks: the shared block's and its own. */
export interface TypeBlocks {
  shared: TypeSnapshot;
  own: TypeSnapshot;
  /** The list `own` was packed from: handed the same list again, the proxy's own block is unchanged. */
  ownList?: readonly EnvoyJson[];
}

/** The packing of each shared list (one per list object: every proxy holding it gets the same one). */
const sharedPacked = new WeakMap<readonly EnvoyJson[], TypeSnapshot>();
/** The diff between two packed shared blocks, computed once for every proxy that moves from one to the other. */
const sharedDiffs = new WeakMap<TypeSnapshot, WeakMap<TypeSnapshot, { changed: PackedResource[]; removed: string[] }>>();

function packShared(kind: XdsKind, list: readonly EnvoyJson[], prev: TypeSnapshot | undefined): TypeSnapshot {
  let ts = sharedPacked.get(list);
  if (!ts) {
    // Against the shared block this proxy held: identical objects keep their packing (no encoding).
    ts = packType(kind, list, prev).ts;
    sharedPacked.set(list, ts);
  }
  return ts;
}

/** Whether a shared list was packed already (every proxy holding it gets that packing). */
export function isSharedPacked(list: readonly EnvoyJson[]): boolean {
  return sharedPacked.has(list);
}

/**
 * Encodes the resources of `list` that were never packed, awaiting `maybeYield` after each: what
 * `packType` would encode in one go, done ahead in slices (see SnapshotCache.prepack).
 */
export async function prepackList(kind: XdsKind, list: readonly EnvoyJson[], maybeYield: () => Promise<void>): Promise<void> {
  for (const r of list) {
    if (packed.has(r)) continue;
    pack(kind, r);
    await maybeYield();
  }
}

/** What changed from one sorted list of packed resources to another (a walk by name). */
function diffPacked(from: TypeSnapshot, to: TypeSnapshot): { changed: PackedResource[]; removed: string[] } {
  let byTarget = sharedDiffs.get(from);
  if (!byTarget) {
    byTarget = new WeakMap();
    sharedDiffs.set(from, byTarget);
  }
  let d = byTarget.get(to);
  if (!d) {
    const a = from.resources;
    const b = to.resources;
    const changed: PackedResource[] = [];
    const removed: string[] = [];
    let i = 0;
    let j = 0;
    while (i < a.length || j < b.length) {
      const x = a[i];
      const y = b[j];
      if (x !== undefined && y !== undefined && x.name === y.name) {
        if (x !== y && x.hash !== y.hash) changed.push(y);
        i++;
        j++;
      } else if (y === undefined || (x !== undefined && x.name < y.name)) {
        removed.push((x as PackedResource).name);
        i++;
      } else {
        changed.push(y);
        j++;
      }
    }
    d = { changed, removed };
    byTarget.set(to, d);
  }
  return d;
}

/** Merges two sorted lists of packed resources with no name in common. */
function mergePacked(a: readonly PackedResource[], b: readonly PackedResource[]): PackedResource[] {
  if (b.length === 0) return a as PackedResource[];
  if (a.length === 0) return b as PackedResource[];
  const out: PackedResource[] = new Array(a.length + b.length);
  let i = 0;
  let j = 0;
  let k = 0;
  while (i < a.length && j < b.length) out[k++] = ((a[i] as PackedResource).name < (b[j] as PackedResource).name ? a[i++] : b[j++]) as PackedResource;
  while (i < a.length) out[k++] = a[i++] as PackedResource;
  while (j < b.length) out[k++] = b[j++] as PackedResource;
  return out;
}

/**
 * Packs one type of a set made of a shared block and the proxy's own (`shared`, `own`: finished lists),
 * against the proxy's previous snapshot of the type (`prev`, and `prevBlocks` when that one was packed by
 * blocks too; `merged`: the two merged, asked for only when there is nothing block-wise to diff against).
 * Undefined when the two blocks have a name in common (the merged set dropped the own one): the caller
 * packs the merged list instead.
 */
export function packBlocks(
  kind: XdsKind,
  shared: readonly EnvoyJson[],
  own: readonly EnvoyJson[],
  prev: TypeSnapshot | undefined,
  prevBlocks: TypeBlocks | undefined,
  merged: () => readonly EnvoyJson[],
): { ts: TypeSnapshot; diff: TypeDiff | undefined; blocks: TypeBlocks } | undefined {
  const sharedTs = packShared(kind, shared, prevBlocks?.shared);
  const ownPacked = prevBlocks && prevBlocks.ownList === own ? { ts: prevBlocks.own, diff: undefined } : packType(kind, own, prevBlocks?.own);
  const ownTs = ownPacked.ts;
  if (ownTs.resources.length > 0 && sharedTs.resources.length > 0) {
    const names = sharedTs.byName;
    for (const r of ownTs.resources) if (names.has(r.name)) return undefined;
  }
  const blocks: TypeBlocks = { shared: sharedTs, own: ownTs, ownList: own };
  if (!prev || !prevBlocks) {
    // Nothing block-wise to diff against: the merged list, walked against the previous snapshot (looked
    // up by name through the blocks, like the snapshots that follow).
    const whole = packType(kind, merged(), prev);
    const ts = whole.ts === prev ? whole.ts : lazyTypeSnapshot(whole.ts.sum, () => whole.ts.resources, (name) => ownTs.find(name) ?? sharedTs.find(name));
    return { ts, diff: whole.diff, blocks };
  }
  if (prevBlocks.shared === sharedTs && prevBlocks.own === ownTs) return { ts: prev, diff: undefined, blocks };
  const sharedDiff = prevBlocks.shared === sharedTs ? undefined : diffPacked(prevBlocks.shared, sharedTs);
  const ownDiff = ownPacked.diff;
  let changed: PackedResource[];
  let removed: string[];
  if (sharedDiff && prevBlocks.own === ownTs) {
    // Only the shared block changed (the common case: a change elsewhere in the mesh): its diff, computed
    // once for every proxy that moves between the same two blocks, is this proxy's.
    changed = sharedDiff.changed;
    removed = sharedDiff.removed;
  } else {
    changed = [...(sharedDiff?.changed ?? []), ...(ownDiff?.changed ?? [])];
    removed = [...(sharedDiff?.removed ?? []), ...(ownDiff?.removed ?? [])];
    // A name that moved from one block to the other is changed, not removed.
    if (changed.length > 0 && removed.length > 0) {
      const now = new Set(changed.map((r) => r.name));
      removed = removed.filter((n) => !now.has(n));
    }
  }
  if (changed.length === 0 && removed.length === 0) return { ts: prev, diff: undefined, blocks };
  const ts = lazyTypeSnapshot(
    sharedTs.sum + ownTs.sum,
    () => mergePacked(sharedTs.resources, ownTs.resources),
    (name) => ownTs.find(name) ?? sharedTs.find(name),
  );
  return { ts, diff: { from: prev.version, changed, removed }, blocks };
}
