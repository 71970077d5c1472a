/**
 * What a policy plugin sees of a mesh: the part of the zone's mesh context (built by @causeway/xds,
 * whose `MeshContext` extends this) that plugins read, the protocols, the resource set they change, and
 * `perContext` for values derived once per context.
 */
import type { EnvoyJson, XdsKind } from '@causeway/envoy/config';
import type { Resource } from '../resource.js';
import type { PolicyType } from './registry.js';

export type Protocol = 'tcp' | 'http' | 'http2' | 'grpc' | 'kafka';
export const HTTP_PROTOCOLS: ReadonlySet<Protocol> = new Set(['http', 'http2', 'grpc']);

/** A generated config: resources by xDS kind. */
export type ResourceSet = Record<XdsKind, EnvoyJson[]>;

/** One mesh as a zone knows it, as far as the policy plugins read it. */
export interface PolicyContext {
  zone: string;
  mesh: string;
  mtls: boolean;
  mtlsMode: 'STRICT' | 'PERMISSIVE';
  /** The mesh routes ExternalService traffic through ZoneEgresses (`routing.zoneEgress`). */
  zoneEgress: boolean;
  /** Mesh services by name. */
  services: ReadonlyMap<string, { readonly protocol: Protocol }>;
  /** ExternalServices grouped by `kuma.io/service`. */
  external: ReadonlyMap<string, readonly { readonly protocol: Protocol; readonly tags: Readonly<Record<string, string>> }[]>;
  /** Traffic policies of the mesh by type, each list sorted by name. */
  policies: ReadonlyMap<PolicyType, Resource<PolicyType>[]>;
}

const perContextValues = new WeakMap<object, Map<string, unknown>>();

/**
 * A value that depends only on `ctx` (and on what `key` names), computed once per context and shared by
 * every proxy generated from it; dropped with the context. For the derived facts the generators and
 * policies would otherwise recompute per proxy: destinations, permission decisions, the relevant
 * policies of a set of tags.
 */
export function perContext<T>(ctx: PolicyContext, key: string, make: () => T): T {
  let values = perContextValues.get(ctx);
  if (!values) {
    values = new Map();
    perContextValues.set(ctx, values);
  }
  let v = values.get(key) as T | undefined;
  if (v !== undefined || values.has(key)) return v as T;
  v = make();
  values.set(key, v);
  return v;
}
