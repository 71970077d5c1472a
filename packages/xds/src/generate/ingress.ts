/**
 * ZoneIngress: one listener with the TLS inspector and a filter chain per SNI `<service>{mesh=<mesh>}`
 * that passes the connection through (no decryption) to the local endpoints of that service; for an
 * ExternalService of this zone (meshes routing through zone egress) the endpoints are this zone's
 * ZoneEgress instances.
 */
import type { Resource, ZoneIngressSpec } from '@causeway/core';
import type { MeshContext } from '../context.js';
import { inboundListenerName, meshQualified, meshSni } from '../names.js';
import { TYPE_URLS } from '../protos.js';
import { edsCluster, emptySet, finish, loadAssignment, meshEndpoint, type ResourceSet, socketAddress, TLS_INSPECTOR, tcpProxy } from './common.js';

export interface IngressInput {
  /** Contexts of every mesh, by name. */
  contexts: Map<string, MeshContext>;
  ingress: Resource<ZoneIngressSpec>;
}

export function generateIngress(input: IngressInput): ResourceSet {
  const set = emptySet();
  const chains: Record<string, unknown>[] = [];
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
  // Envoy (and causeway-dp) refuse a listener without filter chains: with nothing to serve yet (no mesh
  // with mTLS, nothing of its mesh to route), the proxy gets no listener rather than one NACKed forever.
  if (chains.length > 0) {
    set.Listener.push({
      '@type': TYPE_URLS.Listener,
      name: inboundListenerName(n.address, n.port),
      address: socketAddress(n.address, n.port),
      traffic_direction: 'INBOUND',
      listener_filters: [TLS_INSPECTOR],
      filter_chains: chains,
    });
  }
  return finish(set);
}
