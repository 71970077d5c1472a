/**
 * ZoneIngress: one listener with the TLS inspector and a filter chain per SNI `<service>{mesh=<mesh>}`
 * that passes the connection through (no decryption) to the local endpoints of that service; for an
 * ExternalService of this zone (meshes routing through zone egress) the endpoints are this zone's
 * ZoneEgress instances.
 */
import type { Resource, } from '@causeway/core';
import type { MeshContext } from '../context.js';
import { type FilterChain, meshQualified, meshSni } from '@causeway/envoy';
import { edsCluster, emptySet, finish, loadAssignment, meshEndpoint, type ResourceSet, tcpProxy, zoneProxyListeners } from './common.js';

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
    const targets: { service: string; endpoints: ReturnType<typeof meshEndpoint>[] }[] = [];
    for (const svc of ctx.services.values())
      if (svc.local.length > 0)
        targets.push({
          service: svc.name,
          endpoints: svc.local.map((e) => meshEndpoint(e, 0)),
        });
    if (ctx.zoneEgress)
      for (const [service, list] of ctx.external)
        if (list.some((e) => e.zone === ctx.zone))
          targets.push({
            service,
            endpoints: ctx.egresses.map((e) => meshEndpoint(e, 0)),
          });
    for (const t of targets.sort((a, b) => (a.service < b.service ? -1 : 1))) {
      const cluster = meshQualified(ctx.mesh, t.service);
      const sni = meshSni(t.service, ctx.mesh);
      chains.push({ name: sni, filter_chain_match: { server_names: [sni], transport_protocol: 'tls' }, filters: [tcpProxy(cluster)] });
      set.Cluster.push(edsCluster(cluster, 'tcp'));
      set.ClusterLoadAssignment.push(loadAssignment(cluster, t.endpoints));
    }
  }
  const n = input.ingress.spec.networking;
  set.Listener.push(...zoneProxyListeners(n.address, n.port, chains));
  return finish(set);
}
