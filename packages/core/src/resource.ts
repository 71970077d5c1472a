/**
 * The resource model. Internally every resource is `{ type, mesh, name, labels, spec, version }`;
 * on the wire (YAML, REST) it uses Kuma's universal format: meta fields, then the spec fields at top
 * level, or under `spec:` for new-style policies.
 */

import { POLICIES, type PolicySpecs, type PolicyType } from './policies/registry.js';
import type { DataplaneSpec } from './resources/dataplane.js';
import type { ExternalServiceSpec } from './resources/external-service.js';
import type { ExternalServiceInsightSpec } from './resources/external-service-insight.js';
import type { MeshSpec } from './resources/mesh.js';
import type { SecretSpec } from './resources/secret.js';
import type { DataplaneInsightSpec, ZoneEgressSpec, ZoneIngressSpec, ZoneInsightSpec, ZoneSpec } from './resources/zone.js';

/** The types that are not policies; the policy types come from their folders (policies/). */
const BASE_TYPES = ['Mesh', 'Dataplane', 'ExternalService', 'ZoneIngress', 'ZoneEgress', 'Zone', 'ZoneInsight', 'DataplaneInsight', 'ExternalServiceInsight', 'Secret', 'GlobalSecret'] as const;

export type ResourceType = (typeof BASE_TYPES)[number] | PolicyType;

/** Every resource type: the base types, then the policies in their order. */
export const RESOURCE_TYPES: readonly ResourceType[] = [...BASE_TYPES, ...POLICIES.map((p) => p.type)];

/**
 * The spec type of every resource type: the base types' declared interfaces, and each policy's from its
 * definition (`definePolicy<MeshRetrySpec>()`). The descriptor table checks that each type's schema
 * produces its spec type (`schema: z.ZodType<SpecOf<T>>`).
 */
export type ResourceSpecs = {
  Mesh: MeshSpec;
  Dataplane: DataplaneSpec;
  ExternalService: ExternalServiceSpec;
  ZoneIngress: ZoneIngressSpec;
  ZoneEgress: ZoneEgressSpec;
  Zone: ZoneSpec;
  ZoneInsight: ZoneInsightSpec;
  DataplaneInsight: DataplaneInsightSpec;
  ExternalServiceInsight: ExternalServiceInsightSpec;
  Secret: SecretSpec;
  GlobalSecret: SecretSpec;
} & PolicySpecs;

/** The spec type of `T` (a union of spec types for a union of resource types). */
export type SpecOf<T extends ResourceType> = ResourceSpecs[T];

/** One resource of type `T` (a single type: see `Resource`). */
export interface ResourceOf<T extends ResourceType> {
  type: T;
  /** Set for mesh-scoped types, absent for global-scoped ones. */
  mesh?: string;
  name: string;
  labels: Record<string, string>;
  spec: SpecOf<T>;
  /** Store version, starting at 1; 0 (or absent) for a resource not stored yet. */
  version: number;
  creationTime?: string;
  modificationTime?: string;
}

/**
 * A resource of type `T`: `Resource<'ExternalService'>` has `spec: ExternalServiceSpec`, and a union of
 * types is a union discriminated by `type`: with `AnyResource` (every type), `if (r.type === 'Mesh')
 * r.spec.routing` needs no cast. The store and the descriptors are typed by it (`store.get('Mesh', ...)`).
 *
 * `Resource` without an argument is the untyped resource (`spec: unknown`) for code that handles any
 * type alike (the store, sync, the mirror); `isOfType`/`asType` narrow it.
 */
export type Resource<T = unknown> = unknown extends T ? UntypedResource : T extends ResourceType ? ResourceOf<T> : never;

/** A resource of any type, typed: the union of every `Resource<T>`, discriminated by `type`. */
export type AnyResource = Resource<ResourceType>;

/**
 * A resource whose spec is not known to fit its type yet: decoded input before validation, rows and
 * entries read back from storage or NATS. `trustedResource` makes it a `Resource`.
 */
export type UntypedResource = Omit<ResourceOf<ResourceType>, 'spec'> & { spec: unknown };

/**
 * The one place an unchecked spec becomes typed: for a resource its type's schema accepted (`fromUniversal`
 * validates; the store validates every write, so what it reads back was accepted), or trusted server output.
 */
export function trustedResource(r: UntypedResource): AnyResource {
  return r as AnyResource;
}

/**
 * Whether `r` is of type `type`: narrows a `Resource` to `Resource<T>`. Its spec is trusted to be a
 * `SpecOf<T>`: every resource is validated on its way in (API, store writes, sync, proxy metadata).
 */
export function isOfType<T extends ResourceType>(r: Resource, type: T): r is Resource<T> {
  return r.type === type;
}

/** `r` as a `Resource<T>` (see `isOfType`): throws when it is of another type (a bug where it was looked up). */
export function asType<T extends ResourceType>(r: Resource, type: T): Resource<T> {
  if (!isOfType(r, type)) throw new TypeError(`expected a ${type}, got a ${r.type}`);
  return r;
}

/** The fields of a universal document that are not part of the spec. */
export const META_FIELDS = ['type', 'mesh', 'name', 'labels', 'version', 'creationTime', 'modificationTime'] as const;

/** Identity of a resource: `Type/mesh/name` (mesh `_` for global-scoped types). */
export function resourceKey(r: { type: string; mesh?: string | undefined; name: string }): string {
  return `${r.type}/${r.mesh ?? '_'}/${r.name}`;
}

/** Deep equality of JSON values, insensitive to key order. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((v, i) => jsonEqual(v, bb[i]));
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const ak = Object.keys(ao).filter((k) => ao[k] !== undefined);
  const bk = Object.keys(bo).filter((k) => bo[k] !== undefined);
  return ak.length === bk.length && ak.every((k) => jsonEqual(ao[k], bo[k]));
}
