/**
 * Names shared by the generators and the proxies: SNI of mesh traffic, SPIFFE identities, and the
 * names of listeners, clusters, routes and secrets (see SUBSET.md).
 */

/** SNI of mesh traffic: `<service>{mesh=<mesh>}`, extra tags sorted by key and joined `k=v,`. */
export function meshSni(service: string, mesh: string, tags: Record<string, string> = {}): string {
  const extra = Object.entries(tags)
    .filter(([k]) => k !== 'kuma.io/service' && k !== 'mesh')
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`);
  return `${service}{${[`mesh=${mesh}`, ...extra].join(',')}}`;
}

/** Parses an SNI made by meshSni (undefined when it is not one). */
export function parseMeshSni(sni: string): { service: string; mesh: string; tags: Record<string, string> } | undefined {
  const m = /^([^{}]+)\{([^{}]*)\}$/.exec(sni);
  if (!m) return undefined;
  const tags: Record<string, string> = {};
  for (const part of (m[2] as string).split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) return undefined;
    tags[part.slice(0, eq)] = part.slice(eq + 1);
  }
  const mesh = tags.mesh;
  if (!mesh) return undefined;
  delete tags.mesh;
  return { service: m[1] as string, mesh, tags };
}

export const spiffeId = (mesh: string, service: string): string => `spiffe://${mesh}/${service}`;
/** Tags other than `kuma.io/service` are carried in workload certificates as `kuma://<tag>/<value>` URI SANs. */
export const TAG_URI_SCHEME = 'kuma://';
export const tagUri = (tag: string, value: string): string => `${TAG_URI_SCHEME}${tag}/${value}`;

/**
 * URI SANs of a Dataplane's workload certificate: `spiffe://<mesh>/<service>` for each inbound service,
 * `kuma://<tag>/<value>` for each other inbound tag (what traffic permissions select callers by); sorted.
 */
export function dataplaneIdentityUris(mesh: string, spec: { networking: { inbound?: { tags: Record<string, string> }[] } }): string[] {
  const out = new Set<string>();
  for (const ib of spec.networking.inbound ?? [])
    for (const [k, v] of Object.entries(ib.tags)) out.add(k === 'kuma.io/service' ? spiffeId(mesh, v) : tagUri(k, v));
  return [...out].sort();
}
export const ZONE_EGRESS_SERVICE = 'zone-egress';
export const zoneEgressSpiffeId = (mesh: string): string => spiffeId(mesh, ZONE_EGRESS_SERVICE);
export const meshSpiffePrefix = (mesh: string): string => `spiffe://${mesh}/`;

export const inboundListenerName = (address: string, port: number): string => `inbound:${address}:${port}`;
export const outboundListenerName = (address: string, port: number): string => `outbound:${address}:${port}`;
export const PASSTHROUGH = 'outbound:passthrough:ipv4';
export const localClusterName = (port: number): string => `localhost:${port}`;
/** Route configuration of a sidecar's outbound to a service. */
export const outboundRouteName = (service: string): string => `outbound:${service}`;
/** Cluster / route names on a ZoneIngress or ZoneEgress, which serve several meshes. */
export const meshQualified = (mesh: string, service: string): string => `${mesh}:${service}`;

export const identitySecretName = (mesh: string): string => `identity_cert:secret:${mesh}`;
export const meshCaSecretName = (mesh: string): string => `mesh_ca:secret:${mesh}`;
export const externalClientSecretName = (mesh: string, esName: string): string => `external:${mesh}:${esName}:client`;

/** Envoy node id of a proxy: `<mesh>.<name>` for a Dataplane, `<name>` for ZoneIngress / ZoneEgress. */
export function nodeId(type: 'Dataplane' | 'ZoneIngress' | 'ZoneEgress', name: string, mesh?: string): string {
  return type === 'Dataplane' ? `${mesh}.${name}` : name;
}

/** Statistic prefixes: Envoy wants no ':' in them ('.' separates stat name segments). */
export function statPrefix(name: string): string {
  return name.replace(/[:.{}=,]/g, '_');
}
