/**
 * Builders of the Envoy pieces every generator uses. Each returns Envoy's JSON shape (see codec.ts) and
 * uses only what SUBSET.md lists.
 */
import {
  type AccessLogConfig,
  type Address,
  type Cluster,
  type ClusterLoadAssignment,
  type CommonTlsContext,
  type DownstreamTlsContext,
  EXTENSION_TYPE_URLS as T,
  type EnvoyJson,
  externalClientSecretName,
  type FilterChain,
  type HttpConnectionManager,
  identitySecretName,
  inboundListenerName,
  type Listener,
  type ListenerFilter,
  type LocalityLbEndpoints,
  meshCaSecretName,
  meshSpiffePrefix,
  type NetworkFilter,
  type RouteConfiguration,
  type SdsSecretConfig,
  type Secret,
  type StdoutAccessLog,
  type TcpProxy,
  type TransportSocket,
  type TransportSocketMatch,
  type Typed,
  TYPE_URLS,
  type TypedAny,
  type UpstreamHttpProtocolOptions,
  type UpstreamTlsContext,
  type XdsKind,
  XDS_KINDS,
  statPrefix,
} from '@causeway/envoy';
import { HCM, type ResourceSet } from '@causeway/core';
import type { Endpoint, ExternalEndpoint, MeshContext, Protocol, ResolvedTls } from '../context.js';
import { H2_PROTOCOLS, HTTP_PROTOCOLS } from '../context.js';

/**
 * The resources of one proxy by kind. The builders below return the typed model of @causeway/envoy
 * (`Typed<Cluster>`, ...); the set holds them as EnvoyJson, the shape the snapshot cache packs.
 */
export type { ResourceSet };

export function emptySet(): ResourceSet {
  return { Listener: [], RouteConfiguration: [], Cluster: [], ClusterLoadAssignment: [], Secret: [] };
}

/** Sorts every list by resource name and drops duplicates (same name, first wins): the output is deterministic. */
export function finish(set: ResourceSet): ResourceSet {
  const out = emptySet();
  for (const kind of Object.keys(set) as XdsKind[]) {
    const list = set[kind];
    const named = list.map((r, i) => ({ name: (kind === 'ClusterLoadAssignment' ? r.cluster_name : r.name) as string, i, r }));
    // Stable for equal names (the first one stays first); nearly sorted input sorts in linear time.
    named.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.i - b.i));
    const result: EnvoyJson[] = [];
    let last: string | undefined;
    for (const n of named) {
      if (n.name === last) continue;
      last = n.name;
      result.push(n.r);
    }
    out[kind] = result;
  }
  return out;
}

function nameOfResource(kind: XdsKind, r: EnvoyJson): string {
  return (kind === 'ClusterLoadAssignment' ? r.cluster_name : r.name) as string;
}

/** The two finished sets a merged set was made of: the block shared with other proxies, and the proxy's own. */
export interface SetBlocks {
  shared: ResourceSet;
  own: ResourceSet;
}

const blocks = new WeakMap<ResourceSet, SetBlocks>();

/**
 * The blocks `mergeFinished` made a set of (undefined for any other set). The snapshot cache packs and
 * diffs a shared block once for every proxy that holds it, and only the small own block per proxy.
 */
export function blocksOf(set: ResourceSet): SetBlocks | undefined {
  return blocks.get(set);
}

/**
 * Merges two finished (sorted, deduplicated) sets; on equal names `a` wins. Used to add a proxy's own
 * resources (`b`, a few) to the block it shares with the other proxies of its mesh (`a`, many): each of
 * `b` is placed by binary search and the runs of `a` between them are copied whole. The result remembers
 * both (`blocksOf`). Each kind's list is merged on first use: the snapshot cache packs the two blocks
 * without the merged list (packing.ts `packBlocks`), so a regeneration pass does not copy the shared
 * block (~1,000 resources) once per proxy.
 */
export function mergeFinished(a: ResourceSet, b: ResourceSet): ResourceSet {
  const merged: Partial<ResourceSet> = {};
  const list = (kind: XdsKind): EnvoyJson[] => {
    let l = merged[kind];
    if (l === undefined) {
      l = b[kind].length === 0 ? a[kind] : mergeSorted(kind, a[kind], b[kind]);
      merged[kind] = l;
    }
    return l;
  };
  // Own, enumerable accessors (Object.keys, spread and equality see five lists), in the kinds' order.
  const out = {} as ResourceSet;
  for (const kind of XDS_KINDS)
    Object.defineProperty(out, kind, {
      enumerable: true,
      get: () => list(kind),
      set: (v: EnvoyJson[]) => {
        merged[kind] = v;
      },
    });
  blocks.set(out, { shared: a, own: b });
  return out;
}

/** `x` and `y` (sorted by name) merged; on equal names `x` wins. */
function mergeSorted(kind: XdsKind, x: readonly EnvoyJson[], y: readonly EnvoyJson[]): EnvoyJson[] {
  const runs: (readonly EnvoyJson[])[] = [];
  let from = 0;
  for (const r of y) {
    const name = nameOfResource(kind, r);
    // The first index of x at or after `from` whose name is not below `name`.
    let lo = from;
    let hi = x.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (nameOfResource(kind, x[mid] as EnvoyJson) < name) lo = mid + 1;
      else hi = mid;
    }
    if (lo > from) runs.push(x.slice(from, lo));
    from = lo;
    if (lo < x.length && nameOfResource(kind, x[lo] as EnvoyJson) === name) continue;
    runs.push([r]);
  }
  if (from < x.length) runs.push(from === 0 ? x : x.slice(from));
  return runs.length === 1 ? (runs[0] as EnvoyJson[]) : ([] as EnvoyJson[]).concat(...runs);
}

/**
 * Memoizes a resource shared by every proxy of a mesh (one object: encoded once by the cache). The key
 * gets the fingerprint of `service` (or the mesh-wide flags), so an entry of the previous context is
 * reused exactly when its inputs are unchanged.
 *
 * A context keeps the entries used while it was current (the rest are dropped with the context before
 * it). An entry made of other entries (a shared outbound part, of each service's cluster, route and
 * listener) records them, and brings them along when it is carried over: a pass that reused the whole part
 * does not leave its pieces behind, to be made (and encoded) again by the next pass that needs a new part.
 */
export function memo<T>(ctx: MeshContext, key: string, make: () => T, service?: string): T {
  const full = `${key}#${(service !== undefined ? ctx.fingerprints.get(service) : undefined) ?? ctx.flagsHash}`;
  making?.push(full);
  let v = ctx.memo.get(full) as T | undefined;
  if (v === undefined) {
    v = ctx.previousMemo?.get(full) as T | undefined;
    if (v !== undefined) carryOver(ctx, full);
    else {
      const outer = making;
      const parts: string[] = [];
      making = parts;
      try {
        v = make();
      } finally {
        making = outer;
      }
      if (parts.length > 0) partsOf(ctx.memo).set(full, parts);
    }
    ctx.memo.set(full, v);
  }
  return v;
}

/** The keys of the entries the entry being made used (see `memo`). */
let making: string[] | undefined;
/** Per memo table: the entries each entry was made of. */
const memoParts = new WeakMap<Map<string, unknown>, Map<string, string[]>>();
function partsOf(table: Map<string, unknown>): Map<string, string[]> {
  let p = memoParts.get(table);
  if (!p) {
    p = new Map();
    memoParts.set(table, p);
  }
  return p;
}

/** Brings the entries `full` was made of from the previous context's table into the current one. */
function carryOver(ctx: MeshContext, full: string): void {
  const previous = ctx.previousMemo;
  const parts = previous ? memoParts.get(previous)?.get(full) : undefined;
  if (!previous || !parts) return;
  partsOf(ctx.memo).set(full, parts);
  for (const k of parts) {
    if (ctx.memo.has(k)) continue;
    const v = previous.get(k);
    if (v === undefined) continue;
    ctx.memo.set(k, v);
    carryOver(ctx, k);
  }
}

/**
 * A proxy's mTLS Secrets in a mesh: its workload certificate (the same object while the certificate is, not
 * encoded again when the proxy is regenerated) and the mesh CA (one object for the mesh).
 */
export function meshIdentitySecrets(ctx: MeshContext, identity: { certPem: string; keyPem: string }, caPem: string): EnvoyJson[] {
  const own = proxyMemo(ctx, 'identity-secret', identity.certPem, (s) => s.keyPem === identity.keyPem, () => ({
    keyPem: identity.keyPem,
    secret: tlsCertificateSecret(identitySecretName(ctx.mesh), identity.certPem, identity.keyPem),
  }));
  return [own.secret, memo(ctx, 'mesh-ca-secret', () => validationSecret(meshCaSecretName(ctx.mesh), caPem))];
}

/** Whether two lists hold the same objects in the same order. */
export function sameObjects(a: readonly unknown[], b: readonly unknown[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * Like `memo`, for an object of one proxy found by a string the caller already holds (e.g. its
 * certificate: no key string is built and hashed per call): a table per context and `table`, whose
 * entries looked up again are carried over from the previous context. `valid` checks an entry found
 * (what else it was made from).
 */
export function proxyMemo<T>(ctx: MeshContext, table: string, key: string, valid: (v: T) => boolean, make: () => T): T {
  const name = `${table}#${ctx.flagsHash}`;
  let current = ctx.memo.get(name) as Map<string, T> | undefined;
  if (!current) {
    current = new Map();
    ctx.memo.set(name, current);
  }
  let v = current.get(key);
  if (v === undefined || !valid(v)) {
    const previous = (ctx.previousMemo?.get(name) as Map<string, T> | undefined)?.get(key);
    v = previous !== undefined && valid(previous) ? previous : make();
    current.set(key, v);
  }
  return v;
}

export const ADS = { ads: {}, resource_api_version: 'V3' } as const;
export const CONNECT_TIMEOUT = '5s';
export const DEFAULT_ROUTE_TIMEOUT = '15s';

export const ACCESS_LOG: AccessLogConfig[] = [
  {
    name: 'envoy.access_loggers.stdout',
    typed_config: {
      '@type': T.StdoutAccessLog,
      log_format: {
        json_format: {
          start_time: '%START_TIME%',
          source: '%DOWNSTREAM_REMOTE_ADDRESS%',
          // The caller's SPIFFE ID (its mTLS certificate's URI SAN), '-' without one.
          caller: '%DOWNSTREAM_PEER_URI_SAN%',
          destination: '%UPSTREAM_HOST%',
          cluster: '%UPSTREAM_CLUSTER%',
          sni: '%REQUESTED_SERVER_NAME%',
          method: '%REQ(:METHOD)%',
          path: '%REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%',
          status: '%RESPONSE_CODE%',
          response_flags: '%RESPONSE_FLAGS%',
          bytes_received: '%BYTES_RECEIVED%',
          bytes_sent: '%BYTES_SENT%',
          duration_ms: '%DURATION%',
        },
      },
    } satisfies Typed<StdoutAccessLog>,
  },
];

export const TLS_INSPECTOR: ListenerFilter = { name: 'envoy.filters.listener.tls_inspector', typed_config: { '@type': T.TlsInspector } };
export const ORIGINAL_DST: ListenerFilter = { name: 'envoy.filters.listener.original_dst', typed_config: { '@type': T.OriginalDst } };

export function tcpProxy(cluster: string): NetworkFilter {
  return {
    name: 'envoy.filters.network.tcp_proxy',
    typed_config: { '@type': T.TcpProxy, stat_prefix: statPrefix(cluster), cluster, access_log: ACCESS_LOG } satisfies Typed<TcpProxy>,
  };
}

export function hcmConfig(stat: string, routeName: string): Typed<HttpConnectionManager> {
  return {
    '@type': T.HttpConnectionManager,
    stat_prefix: statPrefix(stat),
    rds: { config_source: ADS, route_config_name: routeName },
    http_filters: [{ name: 'envoy.filters.http.router', typed_config: { '@type': T.Router } }],
    access_log: ACCESS_LOG,
  };
}

export function httpConnectionManager(stat: string, routeName: string): NetworkFilter {
  return { name: HCM, typed_config: hcmConfig(stat, routeName) };
}

/** tcp_proxy or http_connection_manager by protocol. */
export function l7OrL4(protocol: Protocol, stat: string, routeName: string, cluster: string): NetworkFilter {
  return HTTP_PROTOCOLS.has(protocol) ? httpConnectionManager(stat, routeName) : tcpProxy(cluster);
}

function sds(name: string): SdsSecretConfig {
  return { name, sds_config: ADS };
}

function b64(data: string | Buffer): string {
  return (typeof data === 'string' ? Buffer.from(data, 'utf8') : data).toString('base64');
}

/** Mesh mTLS common context: identity certificate and mesh CA via SDS, SAN matcher on URI SANs. */
function meshCommonTls(mesh: string, san: { exact: string } | { prefix: string }, alpn?: string[]): CommonTlsContext {
  return {
    tls_certificate_sds_secret_configs: [sds(identitySecretName(mesh))],
    combined_validation_context: {
      default_validation_context: { match_typed_subject_alt_names: [{ san_type: 'URI', matcher: san }] },
      validation_context_sds_secret_config: sds(meshCaSecretName(mesh)),
    },
    ...(alpn ? { alpn_protocols: alpn } : {}),
  };
}

export function upstreamMeshTls(mesh: string, sni: string, expectedSpiffe: string): TransportSocket {
  return {
    name: 'envoy.transport_sockets.tls',
    typed_config: { '@type': T.UpstreamTlsContext, sni, common_tls_context: meshCommonTls(mesh, { exact: expectedSpiffe }) } satisfies Typed<UpstreamTlsContext>,
  };
}

export function downstreamMeshTls(mesh: string): TransportSocket {
  return {
    name: 'envoy.transport_sockets.tls',
    typed_config: {
      '@type': T.DownstreamTlsContext,
      require_client_certificate: true,
      common_tls_context: meshCommonTls(mesh, { prefix: meshSpiffePrefix(mesh) }),
    } satisfies Typed<DownstreamTlsContext>,
  };
}

/** TLS origination to an ExternalService. */
export function upstreamExternalTls(mesh: string, es: ExternalEndpoint, tls: ResolvedTls): TransportSocket {
  const common: CommonTlsContext = {};
  if (tls.client) common.tls_certificate_sds_secret_configs = [sds(externalClientSecretName(mesh, es.name))];
  if (tls.caPem && tls.verifyName)
    common.validation_context = {
      trusted_ca: { inline_bytes: b64(tls.caPem) },
      match_typed_subject_alt_names: [{ san_type: tls.verifyName.type, matcher: { exact: tls.verifyName.value } }],
    };
  if (H2_PROTOCOLS.has(es.protocol)) common.alpn_protocols = ['h2'];
  return {
    name: 'envoy.transport_sockets.tls',
    typed_config: {
      '@type': T.UpstreamTlsContext,
      ...(tls.sni ? { sni: tls.sni } : {}),
      ...(tls.allowRenegotiation ? { allow_renegotiation: true } : {}),
      ...(Object.keys(common).length > 0 ? { common_tls_context: common } : {}),
    } satisfies Typed<UpstreamTlsContext>,
  };
}

export function tlsCertificateSecret(name: string, certPem: string | Buffer, keyPem: string | Buffer): Typed<Secret> {
  return {
    '@type': TYPE_URLS.Secret,
    name,
    tls_certificate: { certificate_chain: { inline_bytes: b64(certPem) }, private_key: { inline_bytes: b64(keyPem) } },
  };
}

export function validationSecret(name: string, caPem: string | Buffer): Typed<Secret> {
  return { '@type': TYPE_URLS.Secret, name, validation_context: { trusted_ca: { inline_bytes: b64(caPem) } } };
}

export const H2_OPTIONS: Record<string, TypedAny> = {
  'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
    '@type': T.HttpProtocolOptions,
    explicit_http_config: { http2_protocol_options: {} },
  } satisfies Typed<UpstreamHttpProtocolOptions>,
};

export function edsCluster(name: string, protocol: Protocol, transportSocket?: TransportSocket): Typed<Cluster> {
  return {
    '@type': TYPE_URLS.Cluster,
    name,
    type: 'EDS',
    connect_timeout: CONNECT_TIMEOUT,
    eds_cluster_config: { eds_config: ADS },
    ...(transportSocket ? { transport_socket: transportSocket } : {}),
    ...(H2_PROTOCOLS.has(protocol) ? { typed_extension_protocol_options: H2_OPTIONS } : {}),
  };
}

/**
 * A cluster whose endpoints come with it (`load_assignment`), not by EDS: for endpoints that change
 * rarely (a sidecar's ExternalServices through the zone's ZoneEgress), so a new one is one resource for
 * the proxy, not a cluster, a re-subscription and a ClusterLoadAssignment. Addresses must be IPs (as EDS's).
 */
export function staticCluster(name: string, protocol: Protocol, endpoints: LbEndpoint[], transportSocket?: TransportSocket): Typed<Cluster> {
  const { '@type': _t, ...assignment } = loadAssignment(name, endpoints);
  return {
    '@type': TYPE_URLS.Cluster,
    name,
    type: 'STATIC',
    connect_timeout: CONNECT_TIMEOUT,
    load_assignment: assignment,
    ...(transportSocket ? { transport_socket: transportSocket } : {}),
    ...(H2_PROTOCOLS.has(protocol) ? { typed_extension_protocol_options: H2_OPTIONS } : {}),
  };
}

export interface LbEndpoint {
  address: string;
  port: number;
  zone: string | undefined;
  priority: number;
  weight: number;
  metadata?: Record<string, Record<string, unknown>>;
}

/** Groups endpoints into localities (zone + priority), priorities renumbered from 0 without gaps. */
export function localities(endpoints: LbEndpoint[]): LocalityLbEndpoints[] {
  const prios = [...new Set(endpoints.map((e) => e.priority))].sort((a, b) => a - b);
  const groups = new Map<string, { zone: string | undefined; priority: number; eps: LbEndpoint[] }>();
  for (const e of endpoints) {
    const priority = prios.indexOf(e.priority);
    const key = `${priority}|${e.zone ?? ''}`;
    const g = groups.get(key) ?? { zone: e.zone, priority, eps: [] };
    g.eps.push(e);
    groups.set(key, g);
  }
  return [...groups.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, g]) => ({
      ...(g.zone ? { locality: { zone: g.zone } } : {}),
      lb_endpoints: g.eps.map((e) => ({
        endpoint: { address: { socket_address: { address: e.address, port_value: e.port } } },
        ...(e.metadata ? { metadata: { filter_metadata: e.metadata } } : {}),
        ...(e.weight !== 1 ? { load_balancing_weight: e.weight } : {}),
      })),
      load_balancing_weight: g.eps.reduce((n, e) => n + e.weight, 0),
      ...(g.priority > 0 ? { priority: g.priority } : {}),
    }));
}

export function loadAssignment(clusterName: string, endpoints: LbEndpoint[]): Typed<ClusterLoadAssignment> {
  const eps = localities(endpoints);
  return { '@type': TYPE_URLS.ClusterLoadAssignment, cluster_name: clusterName, ...(eps.length > 0 ? { endpoints: eps } : {}) };
}

export function meshEndpoint(e: Endpoint, priority: number): LbEndpoint {
  return { address: e.address, port: e.port, zone: e.zone, priority, weight: e.weight };
}

/** A STATIC (all IPs) or STRICT_DNS cluster to ExternalServices, with TLS origination per ExternalService. */
export function externalCluster(ctx: MeshContext, name: string, list: ExternalEndpoint[], localityAware: boolean): Typed<Cluster> {
  const usable = list.filter((e) => !e.error);
  const sockets = usable.map((e) => (e.tls ? upstreamExternalTls(ctx.mesh, e, e.tls) : undefined));
  const distinct = new Set(sockets.map((s) => JSON.stringify(s ?? null)));
  const perEndpoint = distinct.size > 1;
  const eps: LbEndpoint[] = usable.map((e) => ({
    address: e.host,
    port: e.port,
    zone: e.zone,
    priority: localityAware && e.zone !== undefined && e.zone !== ctx.zone ? 1 : 0,
    weight: 1,
    ...(perEndpoint ? { metadata: { 'envoy.transport_socket_match': { 'external-service': e.name } } } : {}),
  }));
  const protocol = usable[0]?.protocol ?? 'tcp';
  const allIp = usable.every((e) => e.isIp);
  const { '@type': _t, ...assignment } = loadAssignment(name, eps);
  const matches: TransportSocketMatch[] = perEndpoint
    ? usable.flatMap((e, i) => (sockets[i] ? [{ name: e.name, match: { 'external-service': e.name }, transport_socket: sockets[i] }] : []))
    : [];
  return {
    '@type': TYPE_URLS.Cluster,
    name,
    type: allIp ? 'STATIC' : 'STRICT_DNS',
    connect_timeout: CONNECT_TIMEOUT,
    ...(allIp ? {} : { dns_lookup_family: 'V4_ONLY' }),
    load_assignment: assignment,
    ...(!perEndpoint && sockets[0] ? { transport_socket: sockets[0] } : {}),
    ...(matches.length > 0 ? { transport_socket_matches: matches } : {}),
    ...(H2_PROTOCOLS.has(protocol) ? { typed_extension_protocol_options: H2_OPTIONS } : {}),
  };
}

/** Client certificate Secrets of the ExternalServices of a list. */
export function externalSecrets(mesh: string, list: ExternalEndpoint[]): Typed<Secret>[] {
  return list.flatMap((e) => (!e.error && e.tls?.client ? [tlsCertificateSecret(externalClientSecretName(mesh, e.name), e.tls.client.certPem, e.tls.client.keyPem)] : []));
}

export interface RouteOptions {
  timeout: string;
  retry?: { retry_on: string; num_retries: number };
  autoHostRewrite?: boolean;
}

export function routeConfiguration(name: string, cluster: string, opts: RouteOptions): Typed<RouteConfiguration> {
  return {
    '@type': TYPE_URLS.RouteConfiguration,
    name,
    virtual_hosts: [
      {
        name: cluster,
        domains: ['*'],
        routes: [
          {
            match: { prefix: '/' },
            route: {
              cluster,
              timeout: opts.timeout,
              ...(opts.autoHostRewrite ? { auto_host_rewrite: true } : {}),
              ...(opts.retry ? { retry_policy: opts.retry } : {}),
            },
          },
        ],
      },
    ],
  };
}

export const DEFAULT_RETRY = { retry_on: 'connect-failure', num_retries: 2 };

export function socketAddress(address: string, port: number): Address {
  return { socket_address: { address, port_value: port } };
}

/**
 * The listener of a ZoneIngress or ZoneEgress: the TLS inspector, then one filter chain per SNI. Envoy
 * (and causeway-dp) refuse a listener without filter chains, so with nothing to serve yet (no mesh with
 * mTLS, nothing of its mesh to route) there is no listener rather than one NACKed forever. `owner` (the
 * proxy's spec) keeps the last listeners: handed the same chains again, the same objects.
 */
export function zoneProxyListeners(owner: object, address: string, port: number, chains: FilterChain[]): Typed<Listener>[] {
  const last = lastZoneListeners.get(owner);
  if (last && last.address === address && last.port === port && sameObjects(last.chains, chains)) return last.listeners;
  const listeners: Typed<Listener>[] =
    chains.length === 0
      ? []
      : [
          {
            '@type': TYPE_URLS.Listener,
            name: inboundListenerName(address, port),
            address: socketAddress(address, port),
            traffic_direction: 'INBOUND',
            listener_filters: [TLS_INSPECTOR],
            filter_chains: chains,
          },
        ];
  lastZoneListeners.set(owner, { address, port, chains, listeners });
  return listeners;
}

/** The listeners `zoneProxyListeners` made last, per owner: the same objects while the chains are (not encoded again). */
const lastZoneListeners = new WeakMap<object, { address: string; port: number; chains: FilterChain[]; listeners: Typed<Listener>[] }>();
