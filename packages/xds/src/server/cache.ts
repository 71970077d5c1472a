/**
 * Snapshot cache: the current resource set of every proxy, packed as `google.protobuf.Any` once per
 * resource object (generators share objects between proxies of a mesh, so a shared cluster is encoded
 * once, not once per proxy), with a version per type that changes only when that type's content does.
 */
import { createHash } from 'node:crypto';
import { type AnyProto, type EnvoyJson, encodeAny } from '../codec.js';
import type { ResourceSet } from '../generate/common.js';
import { TYPE_URLS, XDS_KINDS, type XdsKind } from '../protos.js';

export interface PackedResource {
  name: string;
  json: EnvoyJson;
  any: AnyProto;
  /** Content hash (hex). */
  hash: string;
}

export interface TypeSnapshot {
  version: string;
  resources: PackedResource[];
  byName: Map<string, PackedResource>;
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
    p = { name: nameOf(kind, r), json: r, any, hash: createHash('sha256').update(any.value).digest('hex').slice(0, 24) };
    packed.set(r, p);
  }
  return p;
}

export function buildSnapshot(set: ResourceSet, now: Date = new Date()): Snapshot {
  const types = {} as Record<XdsKind, TypeSnapshot>;
  for (const kind of XDS_KINDS) {
    const resources = set[kind].map((r) => pack(kind, r));
    const h = createHash('sha256');
    for (const r of resources) h.update(r.name).update('\0').update(r.hash).update('\n');
    types[kind] = { version: h.digest('hex').slice(0, 16), resources, byName: new Map(resources.map((r) => [r.name, r])) };
  }
  return { types, createdAt: now };
}

export const KIND_BY_URL: ReadonlyMap<string, XdsKind> = new Map(XDS_KINDS.map((k) => [TYPE_URLS[k], k]));

type Listener = (key: string, snapshot: Snapshot, changed: XdsKind[]) => void;

export class SnapshotCache {
  private readonly snapshots = new Map<string, Snapshot>();
  private readonly listeners = new Set<Listener>();

  get(key: string): Snapshot | undefined {
    return this.snapshots.get(key);
  }

  keys(): string[] {
    return [...this.snapshots.keys()];
  }

  /** Stores a proxy's snapshot; returns the types whose version changed (and tells subscribers). */
  set(key: string, set: ResourceSet): XdsKind[] {
    const next = buildSnapshot(set);
    const prev = this.snapshots.get(key);
    const changed = XDS_KINDS.filter((k) => prev?.types[k].version !== next.types[k].version);
    if (changed.length === 0 && prev) return [];
    this.snapshots.set(key, next);
    for (const l of this.listeners) l(key, next, changed);
    return changed;
  }

  delete(key: string): void {
    this.snapshots.delete(key);
  }

  subscribe(l: Listener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }
}
