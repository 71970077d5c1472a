/**
 * What syncs where, how zone-originated resources are named at global, and the labels the sync sets.
 * Everything here is pure (no I/O) and driven by the descriptor table.
 */
import {
  DESCRIPTORS,
  descriptorOf,
  type AnyResource,
  type FieldError,
  fromUniversal,
  type Resource,
  type ResourceType,
  toUniversal,
  validateResource,
} from '@causeway/core';
import type { KeySpace, ResourceRef } from './keys.js';

import { DISPLAY_NAME_LABEL, ORIGIN_LABEL, SYNC_TO_ZONES_LABEL, ZONE_LABEL } from '@causeway/core';

export { DISPLAY_NAME_LABEL, ORIGIN_LABEL, SYNC_TO_ZONES_LABEL, ZONE_LABEL };

/** Label values are at most 63 characters (core `labelsSchema`). */
const MAX_LABEL_VALUE = 63;

/** Types global publishes to causeway-global (its own ones, and the zone ones it relays). */
export const GLOBAL_TO_ZONE_TYPES: readonly ResourceType[] = DESCRIPTORS.filter((d) => d.sync === 'global-to-zones' || d.relayToZones).map((d) => d.type);

/** Types a zone publishes to causeway-zones. */
export const ZONE_TO_GLOBAL_TYPES: readonly ResourceType[] = DESCRIPTORS.filter((d) => d.sync === 'zone-to-global').map((d) => d.type);

/** Apply order: Meshes first (what lives in a mesh needs it), then secrets (referenced), then the rest. */
export function typePriority(type: ResourceType): number {
  if (type === 'Mesh') return 0;
  if (type === 'Secret' || type === 'GlobalSecret') return 1;
  return 2;
}

/** The apply/publish priority of a bucket key (`typePriority` of its type; unparsable keys last). */
export function keyPriority(keys: KeySpace, key: string): number {
  return typePriority(keys.parse(key)?.type ?? 'ExternalService');
}

/** Whether a type flows global -> zones at all (its own sync direction, or relayed). */
export function flowsToZones(type: ResourceType): boolean {
  const d = descriptorOf(type);
  return d.sync === 'global-to-zones' || d.relayToZones;
}

/** Whether a type flows zone -> global. */
export function flowsToGlobal(type: ResourceType): boolean {
  return descriptorOf(type).sync === 'zone-to-global';
}

/** Whether global publishes this stored resource to causeway-global. */
export function publishedByGlobal(r: Resource): boolean {
  const d = descriptorOf(r.type);
  if (d.sync === 'global-to-zones') return r.type !== 'GlobalSecret' || r.labels[SYNC_TO_ZONES_LABEL] === 'true';
  // Relayed: only what global received from a zone (it cannot hold local ones: the API refuses them).
  return d.relayToZones && r.labels[ORIGIN_LABEL] === 'zone';
}

/** Whether a resource in a zone's store is a copy received from global. */
export function isGlobalCopy(r: Resource): boolean {
  return descriptorOf(r.type).owner === 'global' || r.labels[ORIGIN_LABEL] === 'global';
}

/** Whether a zone publishes this stored resource to causeway-zones (heartbeats are sent separately). */
export function publishedByZone(r: Resource): boolean {
  return flowsToGlobal(r.type) && r.type !== 'ZoneInsight' && !isGlobalCopy(r);
}

/** The wire form of a resource in both buckets: universal JSON without version and times. */
export function toWire(r: Resource): Record<string, unknown> {
  return toUniversal(r, { omitMeta: true });
}

/** Reads a wire document and validates it like an API write (`fromUniversal`). */
export function fromWire(doc: unknown): { resource: AnyResource | undefined; errors: FieldError[] } {
  return fromUniversal(doc);
}

/**
 * Name at global of a zone's resource: `<name>.<zone>`, so two zones may both have a Dataplane `web-1`
 * (`web-1.zone-1`, `web-1.zone-2`). A zone's ZoneInsight is named after the zone.
 */
export function globalNameOf(zone: string, type: ResourceType, name: string): string {
  return type === 'ZoneInsight' ? zone : `${name}.${zone}`;
}

/** Reverses globalNameOf; undefined when the name is not one of that zone's. */
export function zoneNameOf(zone: string, type: ResourceType, globalName: string): string | undefined {
  if (type === 'ZoneInsight') return globalName === zone ? zone : undefined;
  const suffix = `.${zone}`;
  return globalName.endsWith(suffix) && globalName.length > suffix.length ? globalName.slice(0, -suffix.length) : undefined;
}

/** What decoding an entry of either bucket starts with: UTF-8 JSON of a type that flows that way, read by `fromWire`. */
function readEntry(type: ResourceType, value: Uint8Array, flows: (type: ResourceType) => boolean, direction: string): { resource: AnyResource | undefined; errors: FieldError[] } {
  let doc: unknown;
  try {
    doc = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(value));
  } catch (e) {
    return { resource: undefined, errors: [{ field: '', reason: `is not UTF-8 JSON: ${(e as Error).message}` }] };
  }
  if (!flows(type)) return { resource: undefined, errors: [{ field: 'type', reason: `${type} is not synced from ${direction}` }] };
  return fromWire(doc);
}

export type ZoneEntryResult = { resource: Resource; errors?: undefined } | { resource?: undefined; errors: FieldError[] };

/**
 * Turns one entry of causeway-zones into the resource global stores, validating it like an API write
 * (`fromUniversal`: schema, names, labels; the store adds its own checks when writing). The zone comes
 * from the KEY (which NATS permissions tie to the zone's credentials), never from the value: the resource
 * is renamed `<name>.<zone>`, labelled with its origin, zone and display name, and the `zone` field of a
 * ZoneIngress/ZoneEgress is overwritten with the key's zone.
 */
export function decodeZoneEntry(key: ResourceRef & { zone: string }, value: Uint8Array): ZoneEntryResult {
  const { resource, errors } = readEntry(key.type, value, flowsToGlobal, 'zones to global');
  if (!resource) return { errors };
  const mismatch: FieldError[] = [];
  if (resource.type !== key.type) mismatch.push({ field: 'type', reason: `is ${resource.type} but the key says ${key.type}` });
  if (resource.mesh !== key.mesh) mismatch.push({ field: 'mesh', reason: `is ${JSON.stringify(resource.mesh)} but the key says ${JSON.stringify(key.mesh)}` });
  if (resource.name !== key.name) mismatch.push({ field: 'name', reason: `is "${resource.name}" but the key says "${key.name}"` });
  if (key.type === 'ZoneInsight' && key.name !== key.zone) mismatch.push({ field: 'name', reason: `a ZoneInsight must be named after its zone ("${key.zone}")` });
  if (mismatch.length > 0) return { errors: mismatch };

  const labels: Record<string, string> = { ...resource.labels, [ORIGIN_LABEL]: 'zone', [ZONE_LABEL]: key.zone };
  delete labels[DISPLAY_NAME_LABEL];
  if (key.type !== 'ZoneInsight' && key.name.length <= MAX_LABEL_VALUE) labels[DISPLAY_NAME_LABEL] = key.name;
  let spec: unknown = resource.spec;
  if (resource.type === 'ZoneIngress' || resource.type === 'ZoneEgress') spec = { ...resource.spec, zone: key.zone };
  const out: Resource = {
    type: resource.type,
    ...(resource.mesh !== undefined ? { mesh: resource.mesh } : {}),
    name: globalNameOf(key.zone, key.type, key.name),
    labels,
    spec,
    version: 0,
  };
  const more = validateResource(out);
  if (more.length > 0) return { errors: more };
  return { resource: out };
}

/** Turns an entry of causeway-global into the copy a zone stores (validated: NATS input is untrusted). */
export function decodeGlobalEntry(key: ResourceRef, value: Uint8Array): ZoneEntryResult {
  const { resource, errors } = readEntry(key.type, value, flowsToZones, 'global to zones');
  if (!resource) return { errors };
  if (resource.type !== key.type || resource.mesh !== key.mesh || resource.name !== key.name)
    return { errors: [{ field: 'name', reason: 'the resource does not match its key' }] };
  return { resource: { ...resource, labels: { ...resource.labels, [ORIGIN_LABEL]: 'global' }, version: 0 } };
}
