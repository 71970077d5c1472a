/**
 * The static bootstraps of bench/hop.ts, in the shapes the generators of @causeway/xds emit
 * (packages/xds/src/generate/): the same listeners, filters, routes, clusters, TLS contexts and SDS
 * secret names, with what ADS would deliver written inline (a route_config instead of `rds`, STATIC
 * clusters with a load_assignment instead of EDS, the Secrets in `static_resources.secrets`). Access
 * logs are left out (the proxies run with `--access-log off`): the bench measures the data path.
 *
 * - plain: an HTTP listener (route with the generators' timeout and retry policy) and a tcp_proxy
 *   listener in front of the upstream servers;
 * - sidecar: the outbound listener of a Dataplane for the ExternalService `httpbin` of mesh `default`
 *   with `routing.zoneEgress` (generateSidecar): its cluster originates mesh mTLS to the ZoneEgress with
 *   the workload certificate (`spiffe://default/web`), SNI `httpbin{mesh=default}`, and expects the
 *   egress identity `spiffe://default/zone-egress`;
 * - egress: the ZoneEgress listener (generateEgress): TLS inspector, the filter chain of that SNI
 *   terminating mTLS (client certificate required, any identity of the mesh), the HTTP RBAC filter of an
 *   allow-all MeshTrafficPermission, and the route to the ExternalService's cluster (the upstream, plain
 *   HTTP: no TLS origination).
 */
import { createCa, type Pem } from '../src/testing/certs.js';

const T = {
  hcm: 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
  router: 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router',
  httpRbac: 'type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBAC',
  tcpProxy: 'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy',
  tlsInspector: 'type.googleapis.com/envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector',
  upstreamTls: 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext',
  downstreamTls: 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext',
};

const MESH = 'default';
const SERVICE = 'httpbin';
/** meshSni(service, mesh) */
export const MESH_SNI = `${SERVICE}{mesh=${MESH}}`;
/** identitySecretName / meshCaSecretName of @causeway/envoy */
const IDENTITY_SECRET = `identity_cert:secret:${MESH}`;
const MESH_CA_SECRET = `mesh_ca:secret:${MESH}`;
const ADS = { ads: {}, resource_api_version: 'V3' };
/** DEFAULT_ROUTE_TIMEOUT and DEFAULT_RETRY of the generators */
const ROUTE = { timeout: '15s', retry_policy: { retry_on: 'connect-failure', num_retries: 2 } };

export type Bootstrap = { static_resources: { listeners: unknown[]; clusters: unknown[]; secrets?: unknown[] } };

export interface MeshCertificates {
  ca: string;
  /** the workload certificate of the sidecar's Dataplane (service web) */
  sidecar: Pem;
  /** the ZoneEgress certificate */
  egress: Pem;
}

/** A mesh CA and the two proxies' certificates, as the builtin CA issues them (URI SAN = SPIFFE ID). */
export async function meshCertificates(): Promise<MeshCertificates> {
  const ca = await createCa(`mesh ${MESH} CA`);
  return {
    ca: ca.cert,
    sidecar: await ca.issue({ cn: 'web-1', uris: [`spiffe://${MESH}/web`] }),
    egress: await ca.issue({ cn: 'egress-1', uris: [`spiffe://${MESH}/zone-egress`] }),
  };
}

const b64 = (pem: string) => Buffer.from(pem, 'utf8').toString('base64');
const address = (port: number) => ({ socket_address: { address: '127.0.0.1', port_value: port } });

function staticCluster(name: string, port: number, transportSocket?: unknown) {
  return {
    name,
    type: 'STATIC',
    connect_timeout: '5s',
    load_assignment: { cluster_name: name, endpoints: [{ lb_endpoints: [{ endpoint: { address: address(port) } }] }] },
    ...(transportSocket ? { transport_socket: transportSocket } : {}),
  };
}

function hcm(stat: string, routeName: string, cluster: string, filtersBeforeRouter: unknown[] = []) {
  return {
    name: 'envoy.filters.network.http_connection_manager',
    typed_config: {
      '@type': T.hcm,
      stat_prefix: stat,
      route_config: { name: routeName, virtual_hosts: [{ name: cluster, domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster, ...ROUTE } }] }] },
      http_filters: [...filtersBeforeRouter, { name: 'envoy.filters.http.router', typed_config: { '@type': T.router } }],
    },
  };
}

/** meshCommonTls of the generators: identity and mesh CA by SDS name, a SAN matcher on URI SANs. */
function meshCommonTls(san: { exact: string } | { prefix: string }) {
  return {
    tls_certificate_sds_secret_configs: [{ name: IDENTITY_SECRET, sds_config: ADS }],
    combined_validation_context: {
      default_validation_context: { match_typed_subject_alt_names: [{ san_type: 'URI', matcher: san }] },
      validation_context_sds_secret_config: { name: MESH_CA_SECRET, sds_config: ADS },
    },
  };
}

/** tlsCertificateSecret + validationSecret of the generators. */
function meshSecrets(ca: string, identity: Pem) {
  return [
    { name: IDENTITY_SECRET, tls_certificate: { certificate_chain: { inline_bytes: b64(identity.cert) }, private_key: { inline_bytes: b64(identity.key) } } },
    { name: MESH_CA_SECRET, validation_context: { trusted_ca: { inline_bytes: b64(ca) } } },
  ];
}

/** The plain hops: HTTP on `listen.http`, TCP on `listen.tcp`, to the upstream servers. */
export function plainBootstrap(listen: { http: number; tcp: number }, upstream: { http: number; tcp: number }): Bootstrap {
  return {
    static_resources: {
      clusters: [staticCluster('http', upstream.http), staticCluster('tcp', upstream.tcp)],
      listeners: [
        { name: 'http', address: address(listen.http), filter_chains: [{ filters: [hcm('http', 'http', 'http')] }] },
        {
          name: 'tcp',
          address: address(listen.tcp),
          filter_chains: [{ filters: [{ name: 'envoy.filters.network.tcp_proxy', typed_config: { '@type': T.tcpProxy, stat_prefix: 'tcp', cluster: 'tcp' } }] }],
        },
      ],
    },
  };
}

/** The sidecar's outbound listener for `httpbin` on `listen`, its cluster going through the ZoneEgress on `egressPort` with mTLS. */
export function sidecarBootstrap(listen: number, egressPort: number, certs: MeshCertificates): Bootstrap {
  const upstreamMeshTls = {
    name: 'envoy.transport_sockets.tls',
    typed_config: { '@type': T.upstreamTls, sni: MESH_SNI, common_tls_context: meshCommonTls({ exact: `spiffe://${MESH}/zone-egress` }) },
  };
  return {
    static_resources: {
      secrets: meshSecrets(certs.ca, certs.sidecar),
      clusters: [staticCluster(SERVICE, egressPort, upstreamMeshTls)],
      listeners: [
        {
          name: `outbound:127.0.0.1:${listen}`,
          address: address(listen),
          traffic_direction: 'OUTBOUND',
          filter_chains: [{ filters: [hcm(`outbound_${SERVICE}`, `outbound:${SERVICE}`, SERVICE)] }],
        },
      ],
    },
  };
}

/** The ZoneEgress listener on `listen`: mTLS terminated for `httpbin{mesh=default}`, forwarded to the upstream's HTTP port. */
export function egressBootstrap(listen: number, upstreamHttp: number, certs: MeshCertificates): Bootstrap {
  const cluster = `${MESH}:${SERVICE}`;
  const downstreamMeshTls = {
    name: 'envoy.transport_sockets.tls',
    typed_config: { '@type': T.downstreamTls, require_client_certificate: true, common_tls_context: meshCommonTls({ prefix: `spiffe://${MESH}/` }) },
  };
  // what applyEgressPolicies adds for a MeshTrafficPermission allowing the whole mesh
  const rbac = {
    name: 'envoy.filters.http.rbac',
    typed_config: {
      '@type': T.httpRbac,
      rules: { policies: { 'allow-all:from[0]': { permissions: [{ any: true }], principals: [{ authenticated: { principal_name: { prefix: `spiffe://${MESH}/` } } }] } } },
    },
  };
  return {
    static_resources: {
      secrets: meshSecrets(certs.ca, certs.egress),
      clusters: [staticCluster(cluster, upstreamHttp)],
      listeners: [
        {
          name: `inbound:127.0.0.1:${listen}`,
          address: address(listen),
          traffic_direction: 'INBOUND',
          listener_filters: [{ name: 'envoy.filters.listener.tls_inspector', typed_config: { '@type': T.tlsInspector } }],
          filter_chains: [
            {
              name: MESH_SNI,
              filter_chain_match: { server_names: [MESH_SNI], transport_protocol: 'tls' },
              transport_socket: downstreamMeshTls,
              filters: [hcm(`egress_${MESH}_${SERVICE}`, `outbound:${cluster}`, cluster, [rbac])],
            },
          ],
        },
      ],
    },
  };
}
