/**
 * MeshContext: what a zone knows about one mesh, resolved once and shared by every proxy of the mesh
 * (services and their endpoints, ExternalServices with their TLS material, ZoneIngress/ZoneEgress
 * endpoints, VIPs, the mesh CA), with a hash of all of it. A proxy is regenerated only when the hash
 * of its mesh context or its own inputs changed.
 */
import { createHash } from 'node:crypto';
import {
  dataSourceBytes,
  externalServiceProtocol,
  type MeshSpec,
  meshMtlsEnabled,
  meshPassthrough,
  isPolicyType,
  type PolicyContext,
  type PolicyType,
  type Protocol,
  PROTOCOL_TAG,
  parseHostPort,
  type Resource,
  SERVICE_TAG,
  tlsServerName,
  ZONE_LABEL,
  ZONE_TAG,
} from '@causeway/core';
import { allocateVips, DEFAULT_VIP_CIDR, type VipName } from './vip.js';

// The protocols, `perContext` and the part of a mesh context plugins read live with the policy plugins
// in @causeway/core (policies/context.ts); re-exported for the generators.
export { HTTP_PROTOCOLS, perContext, type Protocol } from '@causeway/core';
export const H2_PROTOCOLS: ReadonlySet<Protocol> = new Set(['http2', 'grpc']);

/** Everything a zone control plane knows, as generator input. */
export interface ZoneView {
  zone: string;
  meshes: Resource<'Mesh'>[];
  /** This zone's Dataplanes. */
  dataplanes: Resource<'Dataplane'>[];
  externalServices: Resource<'ExternalService'>[];
  secrets: Resource<'Secret'>[];
  /** ZoneIngresses of every zone (this zone's, and the ones global relays). */
  zoneIngresses: Resource<'ZoneIngress'>[];
  /** ZoneEgresses (only this zone's are used). */
  zoneEgresses: Resource<'ZoneEgress'>[];
  /** Mesh CA certificates (PEM) by mesh, for meshes with mTLS. */
  meshCaPem: Record<string, string>;
  /** VIP range for builtin DNS (default 127.241.0.0/16). */
  vipCidr?: string;
  /** Traffic policies (MeshTrafficPermission, MeshTimeout, MeshRetry, ...) of every mesh; none when absent. */
  policies?: Resource[];
}

export interface Endpoint {
  address: string;
  port: number;
  zone: string;
  /** Instances behind the endpoint (a ZoneIngress stands for several). */
  weight: number;
}

export interface MeshService {
  name: string;
  protocol: Protocol;
  /** Dataplane inbounds of this zone. */
  local: Endpoint[];
  /** ZoneIngresses of other zones that have the service. */
  remote: Endpoint[];
}

export interface ResolvedTls {
  /** Server name to send; undefined: none. */
  sni: string | undefined;
  allowRenegotiation: boolean;
  /** Name the server certificate must carry (DNS or IP SAN); set when caPem is. */
  verifyName: { type: 'DNS' | 'IP_ADDRESS'; value: string } | undefined;
  caPem: Buffer | undefined;
  client: { certPem: Buffer; keyPem: Buffer } | undefined;
}

export interface ExternalEndpoint {
  name: string;
  service: string;
  host: string;
  port: number;
  isIp: boolean;
  /** `kuma.io/zone` of the ExternalService (undefined: any zone). */
  zone: string | undefined;
  protocol: Protocol;
  /** The ExternalService's tags (policies select it by them). */
  tags: Record<string, string>;
  tls: ResolvedTls | undefined;
  /** Why the ExternalService cannot be used (e.g. a missing Secret); it is then left out. */
  error?: string;
}

export interface MeshContext extends PolicyContext {
  zone: string;
  mesh: string;
  spec: MeshSpec;
  mtls: boolean;
  mtlsMode: 'STRICT' | 'PERMISSIVE';
  passthrough: boolean;
  zoneEgress: boolean;
  localityAware: boolean;
  /** Mesh services by name (sorted). */
  services: Map<string, MeshService>;
  /** ExternalServices grouped by `kuma.io/service` (sorted). */
  external: Map<string, ExternalEndpoint[]>;
  /** This zone's ZoneEgress instances. */
  egresses: Endpoint[];
  /** ZoneIngress endpoints of other zones, by zone. */
  remoteIngresses: Map<string, Endpoint[]>;
  /** Builtin DNS: host name -> VIP. */
  vips: Map<string, string>;
  caPem: string | undefined;
  /** Traffic policies of the mesh by type, each list sorted by name. */
  policies: Map<PolicyType, Resource<PolicyType>[]>;
  /** Hash of everything, policies included. */
  hash: string;
  /**
   * Hash of everything but the policies: a proxy's input hash combines it with the policies that can
   * change that proxy, so a policy change regenerates only the proxies it affects.
   */
  baseHash: string;
  /** Hash of the mesh-wide settings every generated resource may depend on. */
  flagsHash: string;
  /** Per service: hash of everything its outbound resources depend on (flags, endpoints, ExternalServices). */
  fingerprints: Map<string, string>;
  /** Memo of resources shared by every proxy of the mesh (same object -> encoded once). */
  memo: Map<string, unknown>;
  /** The previous context's memo: entries whose key (which includes the fingerprints) still matches are reused. */
  previousMemo: Map<string, unknown> | undefined;
}

function byName<T extends { name: string }>(a: T, b: T): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

function epKey(e: Endpoint): string {
  return `${e.zone}|${e.address}|${e.port}`;
}

/** The zone of a ZoneIngress/ZoneEgress: its spec, else the label set by sync, else this zone. */
export function proxyZone(r: Resource<'ZoneIngress' | 'ZoneEgress'>, localZone: string): string {
  return r.spec.zone ?? r.labels[ZONE_LABEL] ?? localZone;
}

function ingressEndpoint(r: Resource<'ZoneIngress'>, zone: string, weight: number): Endpoint {
  const n = r.spec.networking;
  return { address: n.advertisedAddress ?? n.address, port: n.advertisedPort ?? n.port, zone, weight };
}

/** Local dataplane endpoints of every service in a mesh. */
function localServices(view: ZoneView, mesh: string): Map<string, { protocol: Protocol; endpoints: Endpoint[] }> {
  const out = new Map<string, { protocol: Protocol; endpoints: Endpoint[] }>();
  for (const dp of view.dataplanes) {
    if (dp.mesh !== mesh) continue;
    const n = dp.spec.networking;
    for (const ib of n.inbound ?? []) {
      const service = ib.tags[SERVICE_TAG];
      if (!service) continue;
      let s = out.get(service);
      if (!s) {
        s = { protocol: (ib.tags[PROTOCOL_TAG] as Protocol | undefined) ?? 'tcp', endpoints: [] };
        out.set(service, s);
      }
      if (ib.health?.ready === false) continue;
      s.endpoints.push({ address: ib.address ?? n.advertisedAddress ?? n.address, port: ib.port, zone: view.zone, weight: 1 });
    }
  }
  for (const s of out.values()) s.endpoints.sort((a, b) => (epKey(a) < epKey(b) ? -1 : 1));
  return out;
}

function resolveTls(es: Resource<'ExternalService'>, host: string, isIp: boolean, secrets: Map<string, Buffer>): { tls?: ResolvedTls; error?: string } {
  const tls = es.spec.networking.tls;
  if (!tls?.enabled) return {};
  const lookup = (name: string) => secrets.get(name);
  const bytes = (field: 'caCert' | 'clientCert' | 'clientKey'): Buffer | undefined | 'missing' => {
    const ds = tls[field];
    if (!ds) return undefined;
    return dataSourceBytes(ds, lookup) ?? 'missing';
  };
  const ca = bytes('caCert');
  const cert = bytes('clientCert');
  const key = bytes('clientKey');
  for (const [f, v] of [['caCert', ca], ['clientCert', cert], ['clientKey', key]] as const)
    if (v === 'missing') return { error: `networking.tls.${f}: secret "${tls[f]?.secret}" not found` };
  const written = tlsServerName(tls); // `sni` (the docs' name) or `serverName` (Kuma's API name)
  const sni = written === undefined ? (isIp ? undefined : host) : written === '' ? undefined : written;
  const verify = sni ?? host;
  return {
    tls: {
      sni,
      allowRenegotiation: tls.allowRenegotiation === true,
      caPem: ca as Buffer | undefined,
      verifyName: ca ? { type: !sni && isIp ? 'IP_ADDRESS' : 'DNS', value: verify } : undefined,
      client: cert && key ? { certPem: cert as Buffer, keyPem: key as Buffer } : undefined,
    },
  };
}

/** A short stable hash of a JSON value (context and proxy input hashes). */
export function hashOf(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 16);
}

/**
 * Builds the context of one mesh from a zone's view. With the previous context of the mesh, resources
 * of services whose inputs did not change are reused (not rebuilt, not re-encoded).
 */
export function buildMeshContext(view: ZoneView, meshResource: Resource<'Mesh'>, previous?: MeshContext): MeshContext {
  const mesh = meshResource.name;
  const spec = meshResource.spec;
  const mtls = meshMtlsEnabled(spec);
  const backend = spec.mtls?.backends?.find((b) => b.name === spec.mtls?.enabledBackend);
  const zoneEgress = mtls && spec.routing?.zoneEgress === true;

  // Remote ZoneIngresses and what they offer (cross-zone traffic needs mTLS: ingresses route by SNI).
  const remoteIngresses = new Map<string, Endpoint[]>();
  const remoteByService = new Map<string, { protocol: Protocol; endpoints: Endpoint[] }>();
  for (const zi of [...view.zoneIngresses].sort(byName)) {
    const zone = proxyZone(zi, view.zone);
    if (zone === view.zone) continue;
    const list = remoteIngresses.get(zone) ?? [];
    list.push(ingressEndpoint(zi, zone, 1));
    remoteIngresses.set(zone, list);
    if (!mtls) continue;
    for (const av of zi.spec.availableServices ?? []) {
      if ((av.mesh ?? 'default') !== mesh || av.externalService) continue;
      const service = av.tags[SERVICE_TAG];
      if (!service) continue;
      const s = remoteByService.get(service) ?? { protocol: (av.tags[PROTOCOL_TAG] as Protocol | undefined) ?? 'tcp', endpoints: [] };
      s.endpoints.push(ingressEndpoint(zi, zone, Math.max(1, av.instances ?? 1)));
      remoteByService.set(service, s);
    }
  }

  const local = localServices(view, mesh);
  const services = new Map<string, MeshService>();
  for (const name of [...new Set([...local.keys(), ...remoteByService.keys()])].sort()) {
    const l = local.get(name);
    const r = remoteByService.get(name);
    services.set(name, { name, protocol: l?.protocol ?? r?.protocol ?? 'tcp', local: l?.endpoints ?? [], remote: r?.endpoints ?? [] });
  }

  const secretBytes = new Map<string, Buffer>();
  for (const s of view.secrets) if (s.mesh === mesh) secretBytes.set(s.name, Buffer.from(s.spec.data, 'base64'));

  const external = new Map<string, ExternalEndpoint[]>();
  for (const es of [...view.externalServices].filter((e) => e.mesh === mesh).sort(byName)) {
    const hp = parseHostPort(es.spec.networking.address);
    if (typeof hp === 'string') continue;
    const service = es.spec.tags[SERVICE_TAG] as string;
    const isIp = hp.kind !== 'dns';
    const { tls, error } = resolveTls(es, hp.host, isIp, secretBytes);
    const ep: ExternalEndpoint = {
      name: es.name,
      service,
      host: hp.host,
      port: hp.port,
      isIp,
      zone: es.spec.tags[ZONE_TAG],
      protocol: externalServiceProtocol(es.spec),
      tags: es.spec.tags,
      tls,
      ...(error ? { error } : {}),
    };
    const list = external.get(service) ?? [];
    list.push(ep);
    external.set(service, list);
  }
  // An ExternalService and mesh dataplanes with the same kuma.io/service: the ExternalService wins.
  for (const s of external.keys()) services.delete(s);

  const egresses = view.zoneEgresses
    .filter((ze) => proxyZone(ze, view.zone) === view.zone)
    .sort(byName)
    .map((ze) => ({ address: ze.spec.networking.address, port: ze.spec.networking.port, zone: view.zone, weight: 1 }));

  // VIPs: <service>.mesh for every service and ExternalService, and each ExternalService's real host name.
  const vipNames: VipName[] = [];
  const since = (r: Resource) => r.creationTime ?? '';
  for (const dp of view.dataplanes)
    if (dp.mesh === mesh) for (const ib of dp.spec.networking.inbound ?? []) vipNames.push({ name: `${ib.tags[SERVICE_TAG]}.mesh`, since: since(dp) });
  for (const name of remoteByService.keys()) vipNames.push({ name: `${name}.mesh`, since: '' });
  for (const es of view.externalServices) {
    if (es.mesh !== mesh) continue;
    vipNames.push({ name: `${es.spec.tags[SERVICE_TAG]}.mesh`, since: since(es) });
    const hp = parseHostPort(es.spec.networking.address);
    if (typeof hp !== 'string' && hp.kind === 'dns') vipNames.push({ name: hp.host.toLowerCase().replace(/\.$/, ''), since: since(es) });
  }
  const vips = allocateVips(mesh, vipNames, view.vipCidr ?? DEFAULT_VIP_CIDR);

  const caPem = mtls ? view.meshCaPem[mesh] : undefined;
  const policies = new Map<PolicyType, Resource<PolicyType>[]>();
  for (const p of [...(view.policies ?? [])].filter((r): r is Resource<PolicyType> => r.mesh === mesh && isPolicyType(r.type)).sort(byName)) {
    const list = policies.get(p.type) ?? [];
    list.push(p);
    policies.set(p.type, list);
  }
  const ctx: Omit<MeshContext, 'hash' | 'baseHash' | 'policies' | 'memo' | 'flagsHash' | 'fingerprints' | 'previousMemo'> = {
    zone: view.zone,
    mesh,
    spec,
    mtls,
    mtlsMode: backend?.mode ?? 'STRICT',
    passthrough: meshPassthrough(spec),
    zoneEgress,
    localityAware: spec.routing?.localityAwareLoadBalancing === true,
    services,
    external,
    egresses,
    remoteIngresses,
    vips,
    caPem,
  };
  const baseHash = hashOf({
    ...ctx,
    services: [...services.values()],
    external: [...external.values()],
    remoteIngresses: [...remoteIngresses.entries()],
    vips: [...vips.entries()],
  });
  const hash = hashOf([baseHash, [...policies.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([t, list]) => [t, list.map((p) => [p.name, p.spec])])]);
  const flagsHash = hashOf([mesh, view.zone, mtls, ctx.mtlsMode, ctx.passthrough, zoneEgress, ctx.localityAware, egresses, [...remoteIngresses.entries()], caPem ?? null]);
  const fingerprints = new Map<string, string>();
  for (const name of [...services.keys(), ...external.keys()]) fingerprints.set(name, hashOf([flagsHash, services.get(name) ?? null, external.get(name) ?? null]));
  return { ...ctx, policies, hash, baseHash, flagsHash, fingerprints, memo: new Map(), previousMemo: previous?.memo };
}

/** Builds the context of every mesh of the view, by mesh name. */
export function buildMeshContexts(view: ZoneView, previous?: ReadonlyMap<string, MeshContext>): Map<string, MeshContext> {
  const out = new Map<string, MeshContext>();
  for (const m of [...view.meshes].sort(byName)) out.set(m.name, buildMeshContext(view, m, previous?.get(m.name)));
  return out;
}
