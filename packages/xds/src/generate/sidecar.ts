/**
 * Sidecar dataplane: inbound listeners (mTLS termination when the mesh has mTLS, permission check,
 * forward to the app), outbound listeners per reachable service / ExternalService on the dataplane's
 * `outbound` ports and on DNS VIPs, the clusters behind them, and the passthrough listener.
 */
import { createHash } from 'node:crypto';
import { type DataplaneSpec, derive, type InboundTarget, inboundTargets, outboundTarget, type Resource, SERVICE_TAG } from '@causeway/core';
import { H2_PROTOCOLS, HTTP_PROTOCOLS, type MeshContext, perContext, type Protocol } from '../context.js';
import {
  type CaresDnsResolverConfig,
  type Cluster,
  type ClusterLoadAssignment,
  type EnvoyJson,
  type DnsFilterConfig,
  EXTENSION_TYPE_URLS,
  type FilterChain,
  inboundListenerName,
  type Listener,
  type ListenerFilter,
  localClusterName,
  meshSni,
  outboundListenerName,
  outboundRouteName,
  PASSTHROUGH,
  type RouteConfiguration,
  type Secret,
  spiffeId,
  type Typed,
  TYPE_URLS,
  zoneEgressSpiffeId,
} from '@causeway/envoy';
import { applySidecarPolicies, sidecarPolicyHash, vetoOf } from '../policies/registry.js';
import { fnv1a } from '../hash.js';
import { inlineRoutes } from './inline-routes.js';
import {
  CONNECT_TIMEOUT,
  DEFAULT_RETRY,
  DEFAULT_ROUTE_TIMEOUT,
  downstreamMeshTls,
  edsCluster,
  emptySet,
  externalCluster,
  externalSecrets,
  finish,
  H2_OPTIONS,
  hcmConfig,
  type LbEndpoint,
  l7OrL4,
  loadAssignment,
  meshEndpoint,
  memo,
  meshIdentitySecrets,
  sameObjects,
  mergeFinished,
  ORIGINAL_DST,
  type ResourceSet,
  routeConfiguration,
  socketAddress,
  staticCluster,
  TLS_INSPECTOR,
  tcpProxy,
  upstreamMeshTls,
} from './common.js';

export interface Identity {
  certPem: string;
  keyPem: string;
}

export interface SidecarInput {
  ctx: MeshContext;
  dataplane: Resource<'Dataplane'>;
  /** The workload certificate (required when the mesh has mTLS). */
  identity?: Identity;
  /** A proxyless gRPC client: API listeners named after services, no inbound/outbound sockets. */
  proxyless?: boolean;
}

export const DEFAULT_PASSTHROUGH_PORT = 15001;

/** The protocol of a service as the caller sees it. */
function protocolOf(ctx: MeshContext, service: string): Protocol {
  const ext = ctx.external.get(service);
  if (ext) return ext[0]?.protocol ?? 'tcp';
  return ctx.services.get(service)?.protocol ?? 'tcp';
}

/** Cluster + endpoints of one outbound service (shared by every sidecar of the mesh). */
function serviceCluster(ctx: MeshContext, service: string): { cluster: Typed<Cluster>; cla?: Typed<ClusterLoadAssignment>; secrets: Typed<Secret>[] } {
  return memo(ctx, `sidecar-cluster:${service}`, () => {
    const protocol = protocolOf(ctx, service);
    const ext = ctx.external.get(service);
    if (ext) {
      if (ctx.zoneEgress) {
        // Every ExternalService call goes through this zone's ZoneEgress (none running: no endpoints). The
        // egress's addresses are in the cluster: an ExternalService added is one new resource for a proxy.
        const tls = upstreamMeshTls(ctx.mesh, meshSni(service, ctx.mesh), zoneEgressSpiffeId(ctx.mesh));
        return { cluster: staticCluster(service, protocol, ctx.egresses.map((e) => meshEndpoint(e, 0)), tls), secrets: [] };
      }
      return { cluster: externalCluster(ctx, service, ext, ctx.localityAware), secrets: externalSecrets(ctx.mesh, ext) };
    }
    const svc = ctx.services.get(service);
    const eps: LbEndpoint[] = (svc?.local ?? []).map((e) => meshEndpoint(e, 0));
    const remotePriority = ctx.localityAware ? 1 : 0;
    if (svc && svc.remote.length > 0) {
      if (ctx.zoneEgress) eps.push(...ctx.egresses.map((e) => meshEndpoint(e, remotePriority)));
      else eps.push(...svc.remote.map((e) => meshEndpoint(e, remotePriority)));
    }
    const tls = ctx.mtls ? upstreamMeshTls(ctx.mesh, meshSni(service, ctx.mesh), spiffeId(ctx.mesh, service)) : undefined;
    return { cluster: edsCluster(service, protocol, tls), cla: loadAssignment(service, eps), secrets: [] };
  }, service);
}

function serviceRoute(ctx: MeshContext, service: string): Typed<RouteConfiguration> {
  return memo(ctx, `sidecar-route:${service}`, () => {
    const ext = ctx.external.get(service);
    // Direct to an ExternalService by host name: send the real host in the Host header.
    const autoHostRewrite = !!ext && !ctx.zoneEgress && ext.some((e) => !e.isIp);
    return routeConfiguration(outboundRouteName(service), service, { timeout: DEFAULT_ROUTE_TIMEOUT, retry: DEFAULT_RETRY, autoHostRewrite });
  }, service);
}

/**
 * The outbound listener of `service` on its bindings: the first is the listener's address (and name),
 * the others its `additional_addresses` (a service's VIPs: `<service>.mesh`:80 and each of its
 * ExternalServices' host VIP on its port), so a service is one listener whatever its number of names.
 */
function outboundListener(ctx: MeshContext, bindings: readonly { address: string; port: number }[], service: string): Typed<Listener> {
  const [first, ...more] = bindings as [{ address: string; port: number }, ...{ address: string; port: number }[]];
  const key = bindings.map((b) => `${b.address}:${b.port}`).join(',');
  return memo(ctx, `sidecar-outbound:${key}:${service}`, (): Typed<Listener> => ({
    '@type': TYPE_URLS.Listener,
    name: outboundListenerName(first.address, first.port),
    address: socketAddress(first.address, first.port),
    ...(more.length > 0 ? { additional_addresses: more.map((b) => ({ address: socketAddress(b.address, b.port) })) } : {}),
    traffic_direction: 'OUTBOUND',
    filter_chains: [{ filters: [l7OrL4(protocolOf(ctx, service), `outbound_${service}`, outboundRouteName(service), service)] }],
  }), service);
}

/** Services a dataplane may call: `transparentProxying.reachableServices`, else every one of the mesh (once per context and list). */
export function reachableServices(ctx: MeshContext, dp: DataplaneSpec): string[] {
  return perContext(ctx, `reachable:${reachableKey(dp)}`, () => {
    const all = [...new Set([...ctx.services.keys(), ...ctx.external.keys()])].sort();
    const only = dp.networking.transparentProxying?.reachableServices;
    return only && only.length > 0 ? all.filter((s) => only.includes(s)) : all;
  });
}

/**
 * The destinations a sidecar's outbounds are generated for: its reachable services minus those a policy
 * plugin vetoed (policies/registry.ts `unreachableDestinations`, asked before anything is generated),
 * and a key naming that set for the blocks shared by every dataplane with the same destinations.
 */
interface Destinations {
  services: string[];
  vetoed: ReadonlySet<string>;
  key: string;
}

/**
 * Worked out once per context, reachable list, declared outbound services and veto key (the plugins'
 * name for what their veto depends on): proxies of the same service share it.
 */
function destinations(ctx: MeshContext, dataplane: Resource<'Dataplane'>): Destinations {
  const declared = [...new Set((dataplane.spec.networking.outbound ?? []).map((ob) => ob.tags[SERVICE_TAG] as string))].sort();
  const veto = vetoOf({ ctx, dataplane });
  return perContext(ctx, `destinations:${reachableKey(dataplane.spec)}|${declared.join(',')}|${veto?.key ?? ''}`, (): Destinations => {
    const reachable = reachableServices(ctx, dataplane.spec);
    const vetoed = new Set<string>();
    if (veto && veto.denied.size > 0) for (const s of [...reachable, ...declared]) if (veto.denied.has(s)) vetoed.add(s);
    if (vetoed.size === 0) return { services: reachable, vetoed, key: reachableKey(dataplane.spec) };
    return { services: reachable.filter((s) => !vetoed.has(s)), vetoed, key: `${reachableKey(dataplane.spec)}-${[...vetoed].sort().join(',')}` };
  });
}

/** Host name -> VIP of every name the dataplane's builtin DNS answers (of `services`: by default its reachable services, before any veto). */
export function dnsNames(ctx: MeshContext, dp: DataplaneSpec, services: readonly string[] = reachableServices(ctx, dp)): Map<string, string> {
  const out = new Map<string, string>();
  for (const service of services) for (const name of serviceDnsNames(ctx, service)) out.set(name, ctx.vips.get(name) as string);
  return new Map([...out.entries()].sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** The names of one service the builtin DNS answers (each has a VIP): `<service>.mesh`, its ExternalServices' host names. */
function serviceDnsNames(ctx: MeshContext, service: string): string[] {
  const out: string[] = [];
  if (ctx.vips.get(`${service}.mesh`)) out.push(`${service}.mesh`);
  for (const es of ctx.external.get(service) ?? []) {
    const host = es.host.toLowerCase().replace(/\.$/, '');
    if (!es.isIp && !es.error && ctx.vips.get(host)) out.push(host);
  }
  return out;
}

export const DEFAULT_DNS_PORT = 15053;

function reachableKey(dp: DataplaneSpec): string {
  const only = dp.networking.transparentProxying?.reachableServices;
  return only && only.length > 0 ? [...only].sort().join(',') : '*';
}

/**
 * Where the builtin DNS listens: loopback, like Kuma's DNS (127.0.0.1:15053), so that only the proxy's own
 * applications reach it (not the network on the dataplane's address). Several proxies on one host move it
 * with causeway-dp's `--dns-port`.
 */
export const DNS_ADDRESS = '127.0.0.1';

/**
 * The builtin DNS table is split into partitions, each in its own DNS listener, so that a host name
 * added or removed changes one small listener instead of a table every proxy receives whole (with 1,000
 * proxies and 400 names, ~20 KB each per change). A service's names (`<service>.mesh` and its
 * ExternalServices' host names) go to the partition of a stable hash of the service (a name of several
 * services to that of the first of them, by name). The table has one partition per `DNS_NAMES_PER_PARTITION`
 * names, rounded up to a power of two, at most `DNS_MAX_PARTITIONS`: a small mesh has one, the single
 * listener of before, unchanged.
 *
 * The partitions are chained the way a real Envoy resolves them: the first listens where applications
 * ask (127.0.0.1:15053); each forwards the names it does not hold (`client_config` with a c-ares resolver)
 * to the next one's address (127.0.0.1:15060, 15061, ...); the last forwards to the system resolvers
 * when passthrough is on and holds its answer when it is off, as the single listener did. A name is in
 * exactly one partition, so every name gets the answer it got from the single table; the cost on a real
 * Envoy is up to one loopback hop per partition for a name far down the chain (answers are cached for
 * their 30 s TTL). causeway-dp resolves a chain of its own DNS listeners in process (services/dataplane:
 * the union of the tables, served on the first listener only).
 */
export const DNS_NAMES_PER_PARTITION = 16;
export const DNS_MAX_PARTITIONS = 32;
/** The port of the second partition's DNS listener (the next ones follow it). */
export const DNS_CHAIN_PORT = 15060;

function dnsListeners(ctx: MeshContext, dp: DataplaneSpec, dest: Destinations): readonly Typed<Listener>[] {
  // The same for every dataplane with the same destinations: found through `dest` (one object per
  // context and set of destinations); each partition's listener is memoized on its content, so a
  // partition no change touched stays the same object across contexts (not encoded nor sent again).
  return derive(dest, 'dns-listeners', () =>
    memo(ctx, `dns-listeners:${dest.key}:${hashVips(ctx)}:${reachableFingerprint(ctx, dest)}`, () => {
      const parts = dnsPartitions(ctx, dp, dest.services);
      return parts.map((names, i) => {
        const port = i === 0 ? DEFAULT_DNS_PORT : DNS_CHAIN_PORT + i - 1;
        const next = i + 1 < parts.length ? DNS_CHAIN_PORT + i : undefined;
        const table = names.map(([name, vip]) => `${name}=${vip}`).join(';');
        return memo(ctx, `dns-listener:${port}:${next ?? ''}:${table}`, (): Typed<Listener> => ({
          '@type': TYPE_URLS.Listener,
          name: `dns:${DNS_ADDRESS}:${port}`,
          address: { socket_address: { protocol: 'UDP', address: DNS_ADDRESS, port_value: port } },
          listener_filters: dnsFilters(ctx, names, next),
        }));
      });
    }),
  );
}

/** The DNS names of `services` (host name -> VIP, sorted by name), split into partitions (see dnsListeners). */
export function dnsPartitions(ctx: MeshContext, dp: DataplaneSpec, services: readonly string[]): [string, string][][] {
  const all = dnsNames(ctx, dp, services);
  let count = 1;
  while (count < DNS_MAX_PARTITIONS && count * DNS_NAMES_PER_PARTITION < all.size) count *= 2;
  if (count === 1) return [[...all.entries()]];
  const partitionOf = new Map<string, number>();
  for (const service of [...services].sort()) {
    const p = fnv1a(service) % count;
    for (const name of serviceDnsNames(ctx, service)) if (!partitionOf.has(name)) partitionOf.set(name, p);
  }
  const parts: [string, string][][] = Array.from({ length: count }, () => []);
  for (const [name, vip] of all) (parts[partitionOf.get(name) ?? 0] as [string, string][]).push([name, vip]);
  return parts;
}

const vipHashes = new WeakMap<MeshContext, string>();
function hashVips(ctx: MeshContext): string {
  let h = vipHashes.get(ctx);
  if (h === undefined) {
    h = createHash('sha256')
      .update([...ctx.vips.entries()].join(';'))
      .digest('hex')
      .slice(0, 12);
    vipHashes.set(ctx, h);
  }
  return h;
}

/**
 * Hash of the fingerprints of the services a dataplane reaches (per context and set of destinations). Part
 * of the keys of the blocks shared across proxies and contexts: a change to any of those services (a second
 * ExternalService of the same service and host, new TLS settings, ...) changes no VIP, but must rebuild them.
 */
const reachableFingerprints = new WeakMap<MeshContext, Map<string, string>>();
function reachableFingerprint(ctx: MeshContext, dest: Destinations): string {
  let byKey = reachableFingerprints.get(ctx);
  if (!byKey) {
    byKey = new Map();
    reachableFingerprints.set(ctx, byKey);
  }
  let h = byKey.get(dest.key);
  if (h === undefined) {
    const hash = createHash('sha256');
    for (const service of dest.services) hash.update(`${service}=${ctx.fingerprints.get(service) ?? ''};`);
    h = hash.digest('hex').slice(0, 12);
    byKey.set(dest.key, h);
  }
  return h;
}

/** The DNS filter of one partition: its names, and where the names it does not hold go (`next`: the next partition's port). */
function dnsFilters(ctx: MeshContext, names: readonly [string, string][], next: number | undefined): ListenerFilter[] {
  return [
    {
      name: 'envoy.filters.udp.dns_filter',
      typed_config: {
        '@type': EXTENSION_TYPE_URLS.DnsFilter,
        stat_prefix: 'dns',
        server_config: {
          inline_dns_table: {
            virtual_domains: names.map(([name, vip]) => ({ name, endpoint: { address_list: { address: [vip] } }, answer_ttl: '30s' })),
          },
        },
        // Names not in the table: to the next partition; after the last, to the system resolver only
        // when the mesh allows passthrough.
        ...(next !== undefined
          ? {
              client_config: {
                resolver_timeout: '5s',
                typed_dns_resolver_config: {
                  name: 'envoy.network.dns_resolver.cares',
                  typed_config: {
                    '@type': EXTENSION_TYPE_URLS.CaresDnsResolver,
                    resolvers: [{ socket_address: { address: DNS_ADDRESS, port_value: next } }],
                  } satisfies Typed<CaresDnsResolverConfig>,
                },
                max_pending_lookups: '256',
              },
            }
          : ctx.passthrough
            ? { client_config: { resolver_timeout: '5s', max_pending_lookups: '256' } }
            : {}),
      } satisfies Typed<DnsFilterConfig>,
    },
  ];
}

/** Outbound bindings: `networking.outbound[]`, `<service>.mesh` VIP:80, ExternalService host VIP:port (of `services`: by default the reachable ones, before any veto). */
export function outboundBindings(ctx: MeshContext, dp: DataplaneSpec, services: readonly string[] = reachableServices(ctx, dp)): { address: string; port: number; service: string }[] {
  const out = new Map<string, { address: string; port: number; service: string }>();
  for (const ob of dp.networking.outbound ?? []) out.set(`${ob.address ?? '127.0.0.1'}:${ob.port}`, { address: ob.address ?? '127.0.0.1', port: ob.port, service: ob.tags[SERVICE_TAG] as string });
  for (const b of vipBindings(ctx, services)) if (!out.has(`${b.address}:${b.port}`)) out.set(`${b.address}:${b.port}`, b);
  return [...out.values()].sort((a, b) => (a.address !== b.address ? (a.address < b.address ? -1 : 1) : a.port - b.port));
}

/** Bindings on DNS VIPs of `services`: `<service>.mesh`:80 and each ExternalService's host VIP on its port. */
function vipBindings(ctx: MeshContext, services: readonly string[]): { address: string; port: number; service: string }[] {
  const out = new Map<string, { address: string; port: number; service: string }>();
  const add = (address: string, port: number, service: string) => {
    const key = `${address}:${port}`;
    if (!out.has(key)) out.set(key, { address, port, service });
  };
  for (const service of services) {
    const vip = ctx.vips.get(`${service}.mesh`);
    if (vip) add(vip, 80, service);
    for (const es of ctx.external.get(service) ?? []) {
      if (es.isIp || es.error) continue;
      const hostVip = ctx.vips.get(es.host.toLowerCase().replace(/\.$/, ''));
      if (hostVip) add(hostVip, es.port, service);
    }
  }
  return [...out.values()].sort((a, b) => (a.address !== b.address ? (a.address < b.address ? -1 : 1) : a.port - b.port));
}

/**
 * The inbound resources of a dataplane. Each inbound's are memoized (on everything they are made of, and
 * the mesh-wide flags), so a proxy regenerated for a change elsewhere gets the same objects again: the
 * snapshot cache does not encode them again.
 */
function inbound(ctx: MeshContext, dp: Resource<'Dataplane'>, set: ResourceSet): void {
  const n = dp.spec.networking;
  for (const ib of n.inbound ?? []) {
    const address = ib.address ?? n.address;
    const servicePort = ib.servicePort ?? ib.port;
    const serviceAddress = ib.serviceAddress ?? '127.0.0.1';
    const service = ib.tags[SERVICE_TAG] as string;
    const protocol = (ib.tags['kuma.io/protocol'] as Protocol | undefined) ?? 'tcp';
    const part = memo(ctx, `inbound:${address}:${ib.port}:${serviceAddress}:${servicePort}:${protocol}:${service}`, () =>
      inboundResources(ctx, { address, port: ib.port, serviceAddress, servicePort, service, protocol }),
    );
    set.Cluster.push(part.cluster);
    if (part.route) set.RouteConfiguration.push(part.route);
    set.Listener.push(part.listener);
  }
}

function inboundResources(
  ctx: MeshContext,
  ib: { address: string; port: number; serviceAddress: string; servicePort: number; service: string; protocol: Protocol },
): { cluster: Typed<Cluster>; route: Typed<RouteConfiguration> | undefined; listener: Typed<Listener> } {
  const { address, serviceAddress, servicePort, service, protocol } = ib;
  const clusterName = serviceAddress === '127.0.0.1' ? localClusterName(servicePort) : `inbound:${serviceAddress}:${servicePort}`;
  const listenerName = inboundListenerName(address, ib.port);
  const cluster: Typed<Cluster> = {
    '@type': TYPE_URLS.Cluster,
    name: clusterName,
    type: 'STATIC',
    connect_timeout: CONNECT_TIMEOUT,
    load_assignment: { cluster_name: clusterName, endpoints: [{ lb_endpoints: [{ endpoint: { address: socketAddress(serviceAddress, servicePort) } }] }] },
    // gRPC / HTTP/2 apps are spoken to in HTTP/2 (h2c).
    ...(H2_PROTOCOLS.has(protocol) ? { typed_extension_protocol_options: H2_OPTIONS } : {}),
  };
  const app = l7OrL4(protocol, `inbound_${service}_${ib.port}`, listenerName, clusterName);
  const route = HTTP_PROTOCOLS.has(protocol) ? routeConfiguration(listenerName, clusterName, { timeout: '0s' }) : undefined;
  const chains: FilterChain[] = [];
  if (ctx.mtls) {
    const permissive = ctx.mtlsMode === 'PERMISSIVE';
    chains.push({
      name: `${listenerName}:mtls`,
      ...(permissive ? { filter_chain_match: { transport_protocol: 'tls' } } : {}),
      transport_socket: downstreamMeshTls(ctx.mesh),
      filters: [app],
    });
    if (permissive) chains.push({ name: `${listenerName}:plaintext`, filters: [app] });
  } else {
    chains.push({ filters: [app] });
  }
  const listener: Typed<Listener> = {
    '@type': TYPE_URLS.Listener,
    name: listenerName,
    address: socketAddress(address, ib.port),
    traffic_direction: 'INBOUND',
    ...(ctx.mtls && ctx.mtlsMode === 'PERMISSIVE' ? { listener_filters: [TLS_INSPECTOR] } : {}),
    filter_chains: chains,
  };
  return { cluster, route, listener };
}

function meshSecrets(ctx: MeshContext, identity: Identity | undefined, set: ResourceSet): void {
  if (!ctx.mtls) return;
  if (!identity) throw new Error(`mesh "${ctx.mesh}" has mTLS: a workload certificate is required`);
  if (!ctx.caPem) throw new Error(`mesh "${ctx.mesh}" has mTLS but its CA certificate is not known yet`);
  set.Secret.push(...meshIdentitySecrets(ctx, identity, ctx.caPem));
}

function addService(ctx: MeshContext, service: string, set: ResourceSet, added: Set<string>): void {
  if (added.has(service)) return;
  added.add(service);
  const c = serviceCluster(ctx, service);
  set.Cluster.push(c.cluster);
  if (c.cla) set.ClusterLoadAssignment.push(c.cla);
  set.Secret.push(...c.secrets);
  if (HTTP_PROTOCOLS.has(protocolOf(ctx, service))) set.RouteConfiguration.push(serviceRoute(ctx, service));
}

export function generateSidecar(input: SidecarInput): ResourceSet {
  const { ctx, dataplane } = input;
  const set = emptySet();
  const added = new Set<string>();
  meshSecrets(ctx, input.identity, set);
  const dest = destinations(ctx, dataplane);

  if (input.proxyless) {
    // gRPC clients resolve xds:///<service>: one API listener per reachable HTTP/2-capable service.
    for (const service of dest.services) {
      addService(ctx, service, set, added);
      if (!HTTP_PROTOCOLS.has(protocolOf(ctx, service))) continue;
      set.Listener.push(
        memo(
          ctx,
          `api-listener:${service}`,
          (): Typed<Listener> => ({
            '@type': TYPE_URLS.Listener,
            name: service,
            api_listener: { api_listener: hcmConfig(`outbound_${service}`, outboundRouteName(service)) },
          }),
          service,
        ),
      );
    }
    return withPolicies(input, finish(set), added, []);
  }

  // This proxy's own part: Secrets, inbounds, declared outbounds, passthrough.
  inbound(ctx, dataplane, set);
  const shared = sharedOutbounds(ctx, dataplane.spec, dest);
  const declared = new Set<string>();
  for (const ob of dataplane.spec.networking.outbound ?? []) {
    const service = ob.tags[SERVICE_TAG] as string;
    if (dest.vetoed.has(service)) continue;
    declared.add(service);
    set.Listener.push(outboundListener(ctx, [{ address: ob.address ?? '127.0.0.1', port: ob.port }], service));
    if (!shared.services.has(service)) addService(ctx, service, set, added);
    // Its route goes into its listener (inline-routes.ts), so this part needs it even when the shared part has it too.
    else if (HTTP_PROTOCOLS.has(protocolOf(ctx, service))) set.RouteConfiguration.push(serviceRoute(ctx, service));
  }
  if (ctx.passthrough) {
    const port = dataplane.spec.networking.transparentProxying?.redirectPortOutbound ?? DEFAULT_PASSTHROUGH_PORT;
    const address = dataplane.spec.networking.address;
    set.Listener.push(
      memo(ctx, `passthrough-listener:${address}:${port}`, (): Typed<Listener> => ({
        '@type': TYPE_URLS.Listener,
        name: PASSTHROUGH,
        address: socketAddress(address, port),
        traffic_direction: 'OUTBOUND',
        use_original_dst: true,
        listener_filters: [ORIGINAL_DST],
        filter_chains: [{ filters: [tcpProxy(PASSTHROUGH)] }],
      })),
    );
    set.Cluster.push(
      memo(ctx, 'passthrough-cluster', (): Typed<Cluster> => ({
        '@type': TYPE_URLS.Cluster,
        name: PASSTHROUGH,
        type: 'ORIGINAL_DST',
        lb_policy: 'CLUSTER_PROVIDED',
        connect_timeout: CONNECT_TIMEOUT,
      })),
    );
  }
  // Policies are pointwise (policies/plugin.ts): applied to the shared part once for every proxy with the
  // same policies relevant to outbounds, and to this proxy's own part, then merged (on equal names the
  // shared part wins).
  const outbound = derive(shared.part, `policies:${sidecarPolicyHash(ctx, dataplane, 'outbounds')}`, (part) => inlineRoutes(withPolicies(input, part, shared.services, [])));
  return mergeFinished(outbound, ownPart(input, set, declared, sidecarPolicyHash(ctx, dataplane)));
}

/**
 * A dataplane's own part with its policies applied, kept per Dataplane object: on a pass where its own
 * objects (memoized on everything they are made of), its declared outbounds, the mesh-wide flags and the
 * policies that can change it are the same, it is the previous part (the same objects: nothing to sort,
 * no plugin run, nothing for the snapshot cache to walk). A change elsewhere in the mesh (an
 * ExternalService added) then costs each proxy its shared block only.
 */
const ownParts = new WeakMap<object, { key: string; objects: EnvoyJson[]; part: ResourceSet }>();
function ownPart(input: SidecarInput, set: ResourceSet, declared: ReadonlySet<string>, policies: string): ResourceSet {
  const { ctx, dataplane } = input;
  const key = `${ctx.flagsHash}|${policies}|${[...declared].join(',')}`;
  const objects = [...set.Listener, ...set.RouteConfiguration, ...set.Cluster, ...set.ClusterLoadAssignment, ...set.Secret];
  const last = ownParts.get(dataplane);
  if (last && last.key === key && sameObjects(last.objects, objects)) return last.part;
  const part = inlineRoutes(withPolicies(input, finish(set), declared, inboundTargets(dataplane)));
  ownParts.set(dataplane, { key, objects, part });
  return part;
}

/**
 * The builtin DNS listeners, the VIP listeners and the clusters, endpoints, routes and Secrets behind them: the same for every
 * dataplane that reaches the same services, so assembled (and sorted) once per set of destinations; kept
 * across contexts while the VIPs and the fingerprints of those services stay the same.
 */
function sharedOutbounds(ctx: MeshContext, dp: DataplaneSpec, dest: Destinations): { part: ResourceSet; services: ReadonlySet<string> } {
  return derive(dest, 'vip-outbound', () => memo(ctx, `vip-outbound:${dest.key}:${hashVips(ctx)}:${reachableFingerprint(ctx, dest)}`, () => {
    const part = emptySet();
    // The builtin DNS listeners depend on the destinations alone too.
    part.Listener.push(...dnsListeners(ctx, dp, dest));
    const seen = new Set<string>();
    const byService = new Map<string, { address: string; port: number }[]>();
    for (const b of vipBindings(ctx, dest.services)) {
      const list = byService.get(b.service);
      if (list) list.push(b);
      else byService.set(b.service, [b]);
    }
    for (const [service, bindings] of byService) {
      part.Listener.push(outboundListener(ctx, bindings, service));
      addService(ctx, service, part, seen);
    }
    return { part: finish(part), services: seen };
  }));
}

/**
 * The traffic policies' changes (policies/): the only way the generated resources differ from the
 * defaults. `services` and `inbounds`: the outbounds and inbounds whose resources `set` holds.
 */
function withPolicies(input: SidecarInput, set: ResourceSet, services: ReadonlySet<string>, inbounds: InboundTarget[]): ResourceSet {
  const { ctx, dataplane } = input;
  return applySidecarPolicies(set, {
    ctx,
    dataplane,
    outbounds: [...services].sort().map((s) => outboundTarget(ctx, s)),
    inbounds,
    proxyless: input.proxyless === true,
  });
}
