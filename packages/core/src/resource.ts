/**
 * The resource model. Internally every resource is `{ type, mesh, name, labels, spec, version }`;
 * on the wire (YAML, REST) it uses Kuma's universal format: meta fields, then the spec fields at top
 * level, or under `spec:` for new-style policies.
 */

import { POLICIES, type PolicyType } from './policies/registry.js';

/** The types that are not policies; the policy types come from their folders (policies/). */
const BASE_TYPES = ['Mesh', 'Dataplane', 'ExternalService', 'ZoneIngress', 'ZoneEgress', 'Zone', 'ZoneInsight', 'DataplaneInsight', 'Secret', 'GlobalSecret'] as const;

export type ResourceType = (typeof BASE_TYPES)[number] | PolicyType;

/** Every resource type: the base types, then the policies in their order. */
export const RESOURCE_TYPES: readonly ResourceType[] = [...BASE_TYPES, ...POLICIES.map((p) => p.type)];

export interface Resource<S = unknown> {
  type: ResourceType;
  /** Set for mesh-scoped types, absent for global-scoped ones. */
  mesh?: string;
  name: string;
  labels: Record<string, string>;
  spec: S;
  /** Store version, starting at 1; 0 (or absent) for a resource not stored yet. */
  version: number;
  creationTime?: string;
  modificationTime?: string;
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
