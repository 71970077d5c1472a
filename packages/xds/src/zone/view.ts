/**
 * The ZoneView of a set of resources: what a zone knows, as generator input. The zone's store mirror
 * builds it from the store; tests and benches build it from their own resources with the same function.
 */
import { isOfType, type Resource, type ResourceType, resourceKey } from '@causeway/core';
import { caSecretNames, enabledBackend } from '@causeway/pki';
import type { ZoneView } from '../context.js';
import { POLICY_TYPES } from '../policies/index.js';

/** The resource types a ZoneView is made of (what the zone controller follows in its store). */
export const ZONE_VIEW_TYPES: ReadonlySet<ResourceType> = new Set<ResourceType>([
  'Mesh',
  'Dataplane',
  'ExternalService',
  'Secret',
  'ZoneIngress',
  'ZoneEgress',
  ...(POLICY_TYPES as ResourceType[]),
]);

/** The list of the view each type goes to (the policy types go to `policies`). */
const LISTS: Partial<Record<ResourceType, 'meshes' | 'dataplanes' | 'externalServices' | 'secrets' | 'zoneIngresses' | 'zoneEgresses'>> = {
  Mesh: 'meshes',
  Dataplane: 'dataplanes',
  ExternalService: 'externalServices',
  Secret: 'secrets',
  ZoneIngress: 'zoneIngresses',
  ZoneEgress: 'zoneEgresses',
};

export interface ZoneViewOptions {
  /** The zone whose view this is. */
  zone: string;
  /** VIP range for builtin DNS (default 127.241.0.0/16). */
  vipCidr?: string | undefined;
}

/** A resource by type, mesh and name (`resourceKey`). */
type ResourceLookup = (key: string) => Resource | undefined;

/** The builtin CA of a mesh (its two Secrets, as global stores them), or undefined when it has none (yet). */
export function meshCaOf(mesh: Resource<'Mesh'>, lookup: ResourceLookup): { certPem: string; keyPem: string } | undefined {
  const backend = enabledBackend(mesh.spec);
  if (!backend) return undefined;
  const names = caSecretNames(mesh.name, backend.name);
  const cert = lookup(resourceKey({ type: 'Secret', mesh: mesh.name, name: names.cert }));
  const key = lookup(resourceKey({ type: 'Secret', mesh: mesh.name, name: names.key }));
  if (!cert || !key || !isOfType(cert, 'Secret') || !isOfType(key, 'Secret')) return undefined;
  return { certPem: Buffer.from(cert.spec.data, 'base64').toString('utf8'), keyPem: Buffer.from(key.spec.data, 'base64').toString('utf8') };
}

/**
 * The view of a zone that holds `resources`: each resource of a ZoneView type goes to its list (other
 * types are ignored), the mesh CA certificates come from the meshes' CA Secrets. ZoneIngresses of other
 * zones are recognised by their `zone` (spec, else the sync label), as sync relays them.
 */
export function zoneViewOf(resources: Iterable<Resource>, opts: ZoneViewOptions): ZoneView {
  const view: ZoneView = {
    zone: opts.zone,
    meshes: [],
    dataplanes: [],
    externalServices: [],
    secrets: [],
    zoneIngresses: [],
    zoneEgresses: [],
    policies: [],
    meshCaPem: {},
    ...(opts.vipCidr ? { vipCidr: opts.vipCidr } : {}),
  };
  const policies: Resource[] = [];
  const secrets = new Map<string, Resource>();
  for (const r of resources) {
    const list = LISTS[r.type];
    if (list) (view[list] as Resource[]).push(r);
    else if (ZONE_VIEW_TYPES.has(r.type)) policies.push(r);
    if (r.type === 'Secret') secrets.set(resourceKey(r), r);
  }
  // Policies in the order of POLICY_TYPES (then as given), as the zone always listed them.
  view.policies = POLICY_TYPES.flatMap((t) => policies.filter((p) => p.type === t));
  for (const m of view.meshes) {
    const ca = meshCaOf(m, (k) => secrets.get(k));
    if (ca) view.meshCaPem[m.name] = ca.certPem;
  }
  return view;
}
