/**
 * ZoneEgress: one listener with the TLS inspector and a filter chain per SNI `<service>{mesh=<mesh>}`.
 * For an ExternalService reachable from this zone (no `kuma.io/zone`, or this zone) the chain
 * terminates mTLS with the egress identity `spiffe://<mesh>/zone-egress`, checks the caller's
 * permission and originates to the ExternalService; for one owned by another zone, and for mesh
 * services of other zones, it passes the connection through to that zone's ZoneIngress.
 */
import type { Resource, } from '@causeway/core';
import { HTTP_PROTOCOLS, type MeshContext } from '../context.js';
import { type FilterChain, identitySecretName, meshCaSecretName, meshQualified, meshSni } from '@causeway/envoy';
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
  meshEndpoint,
  type ResourceSet,
  routeConfiguration,
  tcpProxy,
  tlsCertificateSecret,
  validationSecret,
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
    set.Secret.push(tlsCertificateSecret(identitySecretName(ctx.mesh), identity.certPem, identity.keyPem));
    set.Secret.push(validationSecret(meshCaSecretName(ctx.mesh), ctx.caPem));
    const perMesh: { sni: string; chain: FilterChain }[] = [];
    const passThrough = (service: string, endpoints: LbEndpoint[]) => {
      const cluster = meshQualified(ctx.mesh, service);
      const sni = meshSni(service, ctx.mesh);
      perMesh.push({ sni, chain: { name: sni, filter_chain_match: { server_names: [sni], transport_protocol: 'tls' }, filters: [tcpProxy(cluster)] } });
      set.Cluster.push(edsCluster(cluster, 'tcp'));
      set.ClusterLoadAssignment.push(loadAssignment(cluster, endpoints));
    };
    for (const [service, list] of ctx.external) {
      const here = list.filter((e) => (e.zone === undefined || e.zone === ctx.zone) && !e.error);
      if (here.length > 0) {
        const cluster = meshQualified(ctx.mesh, service);
        const sni = meshSni(service, ctx.mesh);
        const protocol = here[0]?.protocol ?? 'tcp';
        perMesh.push({
          sni,
          chain: {
            name: sni,
            filter_chain_match: { server_names: [sni], transport_protocol: 'tls' },
            transport_socket: downstreamMeshTls(ctx.mesh),
            filters: [l7OrL4(protocol, `egress_${ctx.mesh}_${service}`, `outbound:${cluster}`, cluster)],
          },
        });
        set.Cluster.push(externalCluster(ctx, cluster, here, false));
        set.Secret.push(...externalSecrets(ctx.mesh, here));
        if (HTTP_PROTOCOLS.has(protocol))
          set.RouteConfiguration.push(
            routeConfiguration(`outbound:${cluster}`, cluster, { timeout: DEFAULT_ROUTE_TIMEOUT, retry: DEFAULT_RETRY, autoHostRewrite: here.some((e) => !e.isIp) }),
          );
        continue;
      }
      // Owned by other zones: through their ZoneIngresses.
      const zones = [...new Set(list.map((e) => e.zone).filter((z): z is string => z !== undefined))].sort();
      passThrough(
        service,
        zones.flatMap((z) => (ctx.remoteIngresses.get(z) ?? []).map((e) => meshEndpoint(e, 0))),
      );
    }
    if (ctx.zoneEgress)
      for (const svc of ctx.services.values())
        if (svc.remote.length > 0)
          passThrough(
            svc.name,
            svc.remote.map((e) => meshEndpoint(e, 0)),
          );
    chains.push(...perMesh.sort((a, b) => (a.sni < b.sni ? -1 : 1)).map((c) => c.chain));
  }
  const n = input.egress.spec.networking;
  set.Listener.push(...zoneProxyListeners(n.address, n.port, chains));
  // Traffic permissions (policies/meshtrafficpermission) guard the chains that originate to ExternalServices.
  return applyEgressPolicies(finish(set), { contexts: input.contexts });
}
