/**
 * ZoneEgress: one listener with the TLS inspector and a filter chain per SNI `<service>{mesh=<mesh>}`.
 * For an ExternalService reachable from this zone (no `kuma.io/zone`, or this zone) the chain
 * terminates mTLS with the egress identity `spiffe://<mesh>/zone-egress`, checks the caller's
 * permission and originates to the ExternalService; for one owned by another zone, and for mesh
 * services of other zones, it passes the connection through to that zone's ZoneIngress.
 *
 * What each service gets (its chain, clusters, endpoints, routes, Secrets) is memoized per mesh context
 * (`memo`: the key carries the service's fingerprint and the mesh-wide flags, which hold the remote
 * ingresses and egresses), and the listener is the previous one while its chains are (`zoneProxyListeners`;
 * the permission plugin's guarded listener is derived from it once per set of rules): a pass after a change
 * elsewhere hands the snapshot cache the same objects, so nothing is encoded and hashed again but what
 * changed.
 */
import type { Resource } from '@causeway/core';
import type { EnvoyJson } from '@causeway/envoy';
import { type ExternalEndpoint, HTTP_PROTOCOLS, type MeshContext } from '../context.js';
import { type FilterChain, meshQualified, meshSni } from '@causeway/envoy';
import { applyEgressPolicies } from '../policies/index.js';
import {
  DEFAULT_RETRY,
  DEFAULT_ROUTE_TIMEOUT,
  downstreamMeshTls,
  edsCluster,
  emptySet,
  externalCluster,
  externalSecrets,
  finish,
  type LbEndpoint,
  l7OrL4,
  loadAssignment,
  memo,
  meshIdentitySecrets,
  meshEndpoint,
  type ResourceSet,
  routeConfiguration,
  tcpProxy,
  zoneProxyListeners,
} from './common.js';
import type { Identity } from './sidecar.js';

export interface EgressInput {
  contexts: Map<string, MeshContext>;
  egress: Resource<'ZoneEgress'>;
  /** The egress certificate (`spiffe://<mesh>/zone-egress`) of each mesh with mTLS. */
  identities: Map<string, Identity>;
}

export function generateEgress(input: EgressInput): ResourceSet {
  const set = emptySet();
  const chains: FilterChain[] = [];
  for (const ctx of input.contexts.values()) {
    if (!ctx.mtls || !ctx.caPem) continue;
    const identity = input.identities.get(ctx.mesh);
    if (!identity) continue;
    set.Secret.push(...meshIdentitySecrets(ctx, identity, ctx.caPem));
    const perMesh: ServiceParts[] = [];
    const passThrough = (service: string, endpoints: () => LbEndpoint[]) =>
      memo(
        ctx,
        `egress-through:${service}`,
        (): ServiceParts => {
          const cluster = meshQualified(ctx.mesh, service);
          const sni = meshSni(service, ctx.mesh);
          return {
            sni,
            chain: { name: sni, filter_chain_match: { server_names: [sni], transport_protocol: 'tls' }, filters: [tcpProxy(cluster)] },
            clusters: [edsCluster(cluster, 'tcp')],
            loadAssignments: [loadAssignment(cluster, endpoints())],
            secrets: [],
            routes: [],
          };
        },
        service,
      );
    for (const [service, list] of ctx.external) {
      const here = list.filter((e) => (e.zone === undefined || e.zone === ctx.zone) && !e.error);
      if (here.length > 0) {
        perMesh.push(memo(ctx, `egress-external:${service}`, () => externalParts(ctx, service, here), service));
        continue;
      }
      // Owned by other zones: through their ZoneIngresses.
      const zones = [...new Set(list.map((e) => e.zone).filter((z): z is string => z !== undefined))].sort();
      perMesh.push(passThrough(service, () => zones.flatMap((z) => (ctx.remoteIngresses.get(z) ?? []).map((e) => meshEndpoint(e, 0)))));
    }
    if (ctx.zoneEgress)
      for (const svc of ctx.services.values())
        if (svc.remote.length > 0)
          perMesh.push(
            passThrough(svc.name, () => svc.remote.map((e) => meshEndpoint(e, 0))),
          );
    for (const p of perMesh.sort((a, b) => (a.sni < b.sni ? -1 : 1))) {
      chains.push(p.chain);
      set.Cluster.push(...p.clusters);
      set.ClusterLoadAssignment.push(...p.loadAssignments);
      set.Secret.push(...p.secrets);
      set.RouteConfiguration.push(...p.routes);
    }
  }
  const n = input.egress.spec.networking;
  set.Listener.push(...zoneProxyListeners(input.egress.spec, n.address, n.port, chains));
  // Traffic permissions (policies/meshtrafficpermission) guard the chains that originate to ExternalServices.
  return applyEgressPolicies(finish(set), { contexts: input.contexts });
}

/** What the egress holds for one service: its filter chain and the resources behind it. */
interface ServiceParts {
  sni: string;
  chain: FilterChain;
  clusters: EnvoyJson[];
  loadAssignments: EnvoyJson[];
  secrets: EnvoyJson[];
  routes: EnvoyJson[];
}

/** An ExternalService reachable from this zone: mTLS terminated, originated to the service. */
function externalParts(ctx: MeshContext, service: string, here: ExternalEndpoint[]): ServiceParts {
  const cluster = meshQualified(ctx.mesh, service);
  const sni = meshSni(service, ctx.mesh);
  const protocol = here[0]?.protocol ?? 'tcp';
  return {
    sni,
    chain: {
      name: sni,
      filter_chain_match: { server_names: [sni], transport_protocol: 'tls' },
      transport_socket: downstreamMeshTls(ctx.mesh),
      filters: [l7OrL4(protocol, `egress_${ctx.mesh}_${service}`, `outbound:${cluster}`, cluster)],
    },
    clusters: [externalCluster(ctx, cluster, here, false)],
    loadAssignments: [],
    secrets: externalSecrets(ctx.mesh, here),
    routes: HTTP_PROTOCOLS.has(protocol)
      ? [routeConfiguration(`outbound:${cluster}`, cluster, { timeout: DEFAULT_ROUTE_TIMEOUT, retry: DEFAULT_RETRY, autoHostRewrite: here.some((e) => !e.isIp) })]
      : [],
  };
}
