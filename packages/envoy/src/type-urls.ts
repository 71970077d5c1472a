/** The xDS resource type URLs Causeway serves (no proto loading here: the light entry `@causeway/envoy/config` exports it). */
export const TYPE_PREFIX = 'type.googleapis.com/';

export const TYPE_URLS = {
  Listener: 'type.googleapis.com/envoy.config.listener.v3.Listener',
  RouteConfiguration: 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration',
  Cluster: 'type.googleapis.com/envoy.config.cluster.v3.Cluster',
  ClusterLoadAssignment: 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment',
  Secret: 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret',
} as const;
export type XdsKind = keyof typeof TYPE_URLS;
export const XDS_KINDS = Object.keys(TYPE_URLS) as XdsKind[];
