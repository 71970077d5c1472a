/**
 * ZoneIngress: one listener with the TLS inspector and a filter chain per SNI `<service>{mesh=<mesh>}`
 * that passes the connection through (no decryption) to the local endpoints of that service; for an
 * ExternalService of this zone (meshes routing through zone egress) the endpoints are this zone's
 * ZoneEgress instances.
 */
import type { Resource } from '@causeway/core';
import type { MeshContext } from '../context.js';
import { type FilterChain, meshQualified, meshSni } from '@causeway/envoy';
import { edsCluster, emptySet, finish, loadAssignment, memo, meshEndpoint, type ResourceSet, tcpProxy, zoneProxyListeners } from './common.js';

export interface IngressInput {
  /** Contexts of every mesh, by name. */
  contexts: Map<string, MeshContext>;
  ingress: Resource<'ZoneIngress'>;
}

export function generateIngress(input: IngressInput): ResourceSet {
  const set = emptySet();
  const chains: FilterChain[] = [];
  for (const ctx of input.contexts.values()) {
    // Ingresses route by SNI of mesh mTLS: a mesh without mTLS has no cross-zone traffic.
    if (!ctx.mtls) continue;
    const targets: { service: string; endpoints: () => ReturnType<typeof meshEndpoint>[] }[] = [];
    for (const svc of ctx.services.values()) if (svc.local.length > 0) targets.push({ service: svc.name, endpoints: () => svc.local.map((e) => meshEndpoint(e, 0)) });
    if (ctx.zoneEgress)
      for (const [service, list] of ctx.external) if (list.some((e) => e.zone === ctx.zone)) targets.push({ service, endpoints: () => ctx.egresses.map((e) => meshEndpoint(e, 0)) });
    for (const t of targets.sort((a, b) => (a.service < b.service ? -1 : 1))) {
      // Per service and mesh context (its fingerprint and the mesh-wide flags, which hold the egresses): the
      // same objects on a pass that changed something else.
      const parts = memo(
        ctx,
        `ingress:${t.service}`,
        () => {
          const cluster = meshQualified(ctx.mesh, t.service);
          const sni = meshSni(t.service, ctx.mesh);
          return {
            chain: { name: sni, filter_chain_match: { server_names: [sni], transport_protocol: 'tls' }, filters: [tcpProxy(cluster)] } as FilterChain,
            cluster: edsCluster(cluster, 'tcp'),
            loadAssignment: loadAssignment(cluster, t.endpoints()),
          };
        },
        t.service,
      );
      chains.push(parts.chain);
      set.Cluster.push(parts.cluster);
      set.ClusterLoadAssignment.push(parts.loadAssignment);
    }
  }
  const n = input.ingress.spec.networking;
  set.Listener.push(...zoneProxyListeners(input.ingress.spec, n.address, n.port, chains));
  return finish(set);
}
