/**
 * Snapshot cache: the current resource set of every proxy, packed as `google.protobuf.Any` once per
 * resource object (generators share objects between proxies of a mesh, so a shared cluster is encoded
 * once, not once per proxy), with a version per type that changes only when that type's content does,
 * and a version per resource (its content hash) for incremental xDS. The response encoders put already
 * encoded resources together: state of the world (`DiscoveryResponse`) and delta
 * (`DeltaDiscoveryResponse`, whose `Resource` wrapper of a packed resource is also encoded once).
 */
import { createHash } from 'node:crypto';
import { type AnyProto, type EnvoyJson, encodeAny } from '@causeway/envoy';
import type { ResourceSet } from '../generate/common.js';
import { TYPE_URLS, XDS_KINDS, type XdsKind } from '@causeway/envoy';

export interface PackedResource {
  name: string;
  json: EnvoyJson;
  any: AnyProto;
  /** The `resources` field of a DiscoveryResponse holding this resource (tag, length, Any message). */
  fieldBytes: Buffer;
  /** Content hash (hex): the resource's version in incremental xDS. */
  hash: string;
  /** The `resources` field of a DeltaDiscoveryResponse holding this resource (a `Resource`: name, version, Any). */
  readonly deltaFieldBytes: Buffer;
  /** The content hash as a number (a term of the type version's sum). */
  value: bigint;
}

function varint(n: number): Buffer {
  const out: number[] = [];
  let v = n;
  while (v > 0x7f) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return Buffer.from(out);
}

/** A length-delimited protobuf field. */
export function lengthDelimited(fieldNumber: number, bytes: Uint8Array): Buffer[] {
  return [Buffer.from([(fieldNumber << 3) | 2]), varint(bytes.length), Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)];
}

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

export interface TypeSnapshot {
  version: string;
  /** Sum of the resources' `value`s modulo 2^128: the version, kept as a number to update it by a diff. */
  sum: bigint;
  resources: PackedResource[];
  /** Lookup by name (built on first use: only named subscriptions need it). */
  readonly byName: Map<string, PackedResource>;
}

const MOD = 1n << 128n;

function typeSnapshot(sum: bigint, resources: PackedResource[]): TypeSnapshot {
  let byName: Map<string, PackedResource> | undefined;
  const s = ((sum % MOD) + MOD) % MOD;
  return {
    version: s.toString(16).padStart(32, '0').slice(0, 16),
    sum: s,
    resources,
    get byName() {
      byName ??= new Map(resources.map((r) => [r.name, r]));
      return byName;
    },
  };
}

export interface Snapshot {
  types: Record<XdsKind, TypeSnapshot>;
  createdAt: Date;
}

const packed = new WeakMap<EnvoyJson, PackedResource>();

function nameOf(kind: XdsKind, r: EnvoyJson): string {
  return String(kind === 'ClusterLoadAssignment' ? r.cluster_name : r.name);
}

/** Encodes (or returns the cached encoding of) one resource. */
export function pack(kind: XdsKind, r: EnvoyJson): PackedResource {
  let p = packed.get(r);
  if (!p) {
    const any = encodeAny(r);
    const anyBytes = Buffer.concat([...lengthDelimited(1, Buffer.from(any.type_url)), ...lengthDelimited(2, any.value)]);
    // The type URL is part of the content: two kinds never share a digest.
    const digest = createHash('sha256').update(anyBytes).digest().subarray(0, 16);
    const name = nameOf(kind, r);
    const hash = digest.toString('hex');
    let delta: Buffer | undefined;
    p = {
      name,
      json: r,
      any,
      fieldBytes: Buffer.concat(lengthDelimited(2, anyBytes)),
      hash,
      value: BigInt(`0x${hash}`),
      // envoy.service.discovery.v3.Resource: version 1, resource 2, name 3. Built on first use: only
      // incremental streams need it.
      get deltaFieldBytes() {
        delta ??= Buffer.concat(lengthDelimited(2, Buffer.concat([...lengthDelimited(3, Buffer.from(name)), ...lengthDelimited(1, Buffer.from(hash)), ...lengthDelimited(2, anyBytes)])));
        return delta;
      },
    };
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
function packType(kind: XdsKind, list: readonly EnvoyJson[], prev: TypeSnapshot | undefined): { ts: TypeSnapshot; diff: TypeDiff | undefined } {
  const old = prev?.resources ?? [];
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

/**
 * Packs a proxy's resource set; with its previous snapshot, only what differs is packed and hashed, and
 * `diff` says per changed type what was added, changed and removed.
 */
export function buildSnapshot(set: ResourceSet, now: Date = new Date(), prev?: Snapshot): Snapshot & { diff: SnapshotDiff } {
  const types = {} as Record<XdsKind, TypeSnapshot>;
  const diff: SnapshotDiff = {};
  for (const kind of XDS_KINDS) {
    const packedType = packType(kind, set[kind], prev?.types[kind]);
    types[kind] = packedType.ts;
    if (packedType.diff) diff[kind] = packedType.diff;
  }
  return { types, createdAt: now, diff };
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
