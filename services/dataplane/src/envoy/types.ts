/**
 * The Envoy v3 resources the proxy consumes, in Envoy's JSON shape (what `decodeAny` of @causeway/xds
 * returns and what Envoy's own config_dump prints): snake_case field names, `google.protobuf.Any` as an
 * object with an `@type` key, durations as strings ("5s", "0.250s"), wrapper types as plain values,
 * enums as their names. Only the fields the proxy reads are listed; other fields are carried along
 * untouched (so `/config_dump` shows what was received). Fields that would change behaviour and are not
 * implemented (active health checks, subsets, mirrors, ...) are refused where they are compiled, so the
 * update is NACKed rather than half-applied. The proto-loader types generated in @causeway/xds describe the binary object shape (durations
 * as `{seconds, nanos}`), which is why the JSON shape is typed here.
 */

export type Duration = string | { seconds?: string | number; nanos?: number };
/** `google.protobuf.UInt32Value` and friends: a plain value in JSON; `{ value }` tolerated. */
export type Wrapped<T> = T | { value?: T };

export interface TypedAny {
  '@type': string;
  [field: string]: unknown;
}

export interface SocketAddress {
  address: string;
  port_value?: number;
  protocol?: 'TCP' | 'UDP';
  ipv4_compat?: boolean;
}
export interface Address {
  socket_address?: SocketAddress;
  pipe?: { path: string };
}

export interface Metadata {
  filter_metadata?: Record<string, Record<string, unknown>>;
  typed_filter_metadata?: Record<string, TypedAny>;
}

export interface DataSource {
  filename?: string;
  inline_bytes?: string; // base64
  inline_string?: string;
  environment_variable?: string;
}

export interface CidrRange {
  address_prefix: string;
  prefix_len?: Wrapped<number>;
}

// ---------------------------------------------------------------- matchers
export interface RegexMatcher {
  regex: string;
  google_re2?: Record<string, unknown>;
}
export interface StringMatcher {
  exact?: string;
  prefix?: string;
  suffix?: string;
  contains?: string;
  safe_regex?: RegexMatcher;
  ignore_case?: boolean;
}

// ---------------------------------------------------------------- listener
export interface FilterChainMatch {
  destination_port?: Wrapped<number>;
  prefix_ranges?: CidrRange[];
  direct_source_prefix_ranges?: CidrRange[];
  source_type?: 'ANY' | 'SAME_IP_OR_LOOPBACK' | 'EXTERNAL';
  source_prefix_ranges?: CidrRange[];
  source_ports?: number[];
  server_names?: string[];
  transport_protocol?: string;
  application_protocols?: string[];
}

export interface NetworkFilter {
  name: string;
  typed_config?: TypedAny;
}

export interface TransportSocket {
  name: string;
  typed_config?: TypedAny;
}

export interface FilterChain {
  name?: string;
  filter_chain_match?: FilterChainMatch;
  filters?: NetworkFilter[];
  transport_socket?: TransportSocket;
  transport_socket_connect_timeout?: Duration;
  metadata?: Metadata;
}

export interface ListenerFilter {
  name: string;
  typed_config?: TypedAny;
}

export interface Listener {
  name: string;
  address?: Address;
  additional_addresses?: { address: Address }[];
  filter_chains?: FilterChain[];
  default_filter_chain?: FilterChain;
  listener_filters?: ListenerFilter[];
  listener_filters_timeout?: Duration;
  continue_on_listener_filters_timeout?: boolean;
  use_original_dst?: Wrapped<boolean>;
  bind_to_port?: Wrapped<boolean>;
  traffic_direction?: 'UNSPECIFIED' | 'INBOUND' | 'OUTBOUND';
  metadata?: Metadata;
  per_connection_buffer_limit_bytes?: Wrapped<number>;
  drain_type?: string;
  stat_prefix?: string;
}

// ---------------------------------------------------------------- tcp_proxy
export interface WeightedClusterEntry {
  name: string;
  weight?: Wrapped<number>;
}
export interface TcpProxy {
  '@type'?: string;
  stat_prefix: string;
  cluster?: string;
  weighted_clusters?: { clusters: WeightedClusterEntry[] };
  idle_timeout?: Duration;
  max_connect_attempts?: Wrapped<number>;
  access_log?: AccessLogConfig[];
}

// ---------------------------------------------------------------- access log
export interface AccessLogConfig {
  name: string;
  typed_config?: TypedAny;
}

// ---------------------------------------------------------------- RBAC
export interface RbacPermission {
  any?: boolean;
  and_rules?: { rules: RbacPermission[] };
  or_rules?: { rules: RbacPermission[] };
  not_rule?: RbacPermission;
  destination_port?: number;
  destination_port_range?: { start: number; end: number };
  destination_ip?: CidrRange;
  requested_server_name?: StringMatcher;
  header?: HeaderMatcher;
  url_path?: { path?: StringMatcher; ignore_case?: boolean };
}
export interface RbacPrincipal {
  any?: boolean;
  and_ids?: { ids: RbacPrincipal[] };
  or_ids?: { ids: RbacPrincipal[] };
  not_id?: RbacPrincipal;
  authenticated?: { principal_name?: StringMatcher };
  source_ip?: CidrRange;
  direct_remote_ip?: CidrRange;
  remote_ip?: CidrRange;
  header?: HeaderMatcher;
  url_path?: { path?: StringMatcher; ignore_case?: boolean };
}
export interface RbacPolicy {
  permissions: RbacPermission[];
  principals: RbacPrincipal[];
}
export interface RbacRules {
  action?: 'ALLOW' | 'DENY' | 'LOG';
  policies?: Record<string, RbacPolicy>;
}
export interface RbacConfig {
  '@type'?: string;
  rules?: RbacRules;
  shadow_rules?: RbacRules;
  stat_prefix?: string;
}

// ---------------------------------------------------------------- HTTP
export interface HeaderMatcher {
  name: string;
  exact_match?: string;
  prefix_match?: string;
  suffix_match?: string;
  contains_match?: string;
  safe_regex_match?: RegexMatcher;
  present_match?: boolean;
  string_match?: StringMatcher;
  invert_match?: boolean;
  treat_missing_header_as_empty?: boolean;
  range_match?: { start: string | number; end: string | number };
}
export interface QueryParameterMatcher {
  name: string;
  string_match?: StringMatcher;
  present_match?: boolean;
}
export interface RouteMatch {
  prefix?: string;
  path?: string;
  safe_regex?: RegexMatcher;
  path_separated_prefix?: string;
  case_sensitive?: Wrapped<boolean>;
  headers?: HeaderMatcher[];
  query_parameters?: QueryParameterMatcher[];
}
export interface RetryPolicy {
  retry_on?: string;
  num_retries?: Wrapped<number>;
  per_try_timeout?: Duration;
  retriable_status_codes?: number[];
  retry_back_off?: { base_interval?: Duration; max_interval?: Duration };
  host_selection_retry_max_attempts?: string | number;
  retriable_request_headers?: HeaderMatcher[];
  retriable_headers?: HeaderMatcher[];
}
export interface HeaderValueOption {
  header: { key: string; value?: string };
  append?: Wrapped<boolean>;
  append_action?: 'APPEND_IF_EXISTS_OR_ADD' | 'ADD_IF_ABSENT' | 'OVERWRITE_IF_EXISTS_OR_ADD' | 'OVERWRITE_IF_EXISTS';
}
export interface RouteAction {
  cluster?: string;
  weighted_clusters?: { clusters: WeightedClusterEntry[]; total_weight?: Wrapped<number> };
  cluster_header?: string;
  timeout?: Duration;
  idle_timeout?: Duration;
  retry_policy?: RetryPolicy;
  prefix_rewrite?: string;
  host_rewrite_literal?: string;
  auto_host_rewrite?: Wrapped<boolean>;
  cluster_not_found_response_code?: 'SERVICE_UNAVAILABLE' | 'NOT_FOUND' | 'INTERNAL_SERVER_ERROR';
  max_stream_duration?: { max_stream_duration?: Duration; grpc_timeout_header_max?: Duration; grpc_timeout_header_offset?: Duration };
}
export interface Route {
  name?: string;
  match: RouteMatch;
  route?: RouteAction;
  direct_response?: { status: number; body?: DataSource };
  redirect?: Record<string, unknown>;
  request_headers_to_add?: HeaderValueOption[];
  request_headers_to_remove?: string[];
  response_headers_to_add?: HeaderValueOption[];
  response_headers_to_remove?: string[];
  metadata?: Metadata;
}
export interface VirtualHost {
  name: string;
  domains: string[];
  routes?: Route[];
  retry_policy?: RetryPolicy;
  request_headers_to_add?: HeaderValueOption[];
  request_headers_to_remove?: string[];
  response_headers_to_add?: HeaderValueOption[];
  response_headers_to_remove?: string[];
}
export interface RouteConfiguration {
  name: string;
  virtual_hosts?: VirtualHost[];
  request_headers_to_add?: HeaderValueOption[];
  request_headers_to_remove?: string[];
  response_headers_to_add?: HeaderValueOption[];
  response_headers_to_remove?: string[];
  validate_clusters?: Wrapped<boolean>;
}
export interface HttpFilter {
  name: string;
  typed_config?: TypedAny;
  disabled?: boolean;
}
export interface HttpConnectionManager {
  '@type'?: string;
  stat_prefix: string;
  codec_type?: 'AUTO' | 'HTTP1' | 'HTTP2' | 'HTTP3';
  route_config?: RouteConfiguration;
  rds?: { route_config_name: string; config_source?: Record<string, unknown> };
  http_filters?: HttpFilter[];
  access_log?: AccessLogConfig[];
  common_http_protocol_options?: { idle_timeout?: Duration; max_stream_duration?: Duration; max_connection_duration?: Duration; max_headers_count?: Wrapped<number> };
  stream_idle_timeout?: Duration;
  request_timeout?: Duration;
  request_headers_timeout?: Duration;
  use_remote_address?: Wrapped<boolean>;
  xff_num_trusted_hops?: number;
  forward_client_cert_details?: string;
  set_current_client_cert_details?: Record<string, unknown>;
  normalize_path?: Wrapped<boolean>;
  merge_slashes?: boolean;
  strip_matching_host_port?: boolean;
  strip_any_host_port?: boolean;
  server_name?: string;
  generate_request_id?: Wrapped<boolean>;
}

// ---------------------------------------------------------------- TLS
export interface TlsCertificate {
  certificate_chain?: DataSource;
  private_key?: DataSource;
  password?: DataSource;
}
export interface SubjectAltNameMatcher {
  san_type: 'SAN_TYPE_UNSPECIFIED' | 'EMAIL' | 'DNS' | 'URI' | 'IP_ADDRESS' | 'OTHER_NAME';
  matcher: StringMatcher;
}
export interface CertificateValidationContext {
  trusted_ca?: DataSource;
  match_typed_subject_alt_names?: SubjectAltNameMatcher[];
  match_subject_alt_names?: StringMatcher[];
  verify_certificate_spki?: string[];
  verify_certificate_hash?: string[];
  trust_chain_verification?: 'VERIFY_TRUST_CHAIN' | 'ACCEPT_UNTRUSTED';
  only_verify_leaf_cert_crl?: boolean;
  crl?: DataSource;
}
export interface SdsSecretConfig {
  name: string;
  sds_config?: Record<string, unknown>;
}
export interface TlsParameters {
  tls_minimum_protocol_version?: 'TLS_AUTO' | 'TLSv1_0' | 'TLSv1_1' | 'TLSv1_2' | 'TLSv1_3';
  tls_maximum_protocol_version?: 'TLS_AUTO' | 'TLSv1_0' | 'TLSv1_1' | 'TLSv1_2' | 'TLSv1_3';
  cipher_suites?: string[];
  ecdh_curves?: string[];
}
export interface CommonTlsContext {
  tls_params?: TlsParameters;
  tls_certificates?: TlsCertificate[];
  tls_certificate_sds_secret_configs?: SdsSecretConfig[];
  validation_context?: CertificateValidationContext;
  validation_context_sds_secret_config?: SdsSecretConfig;
  combined_validation_context?: {
    default_validation_context?: CertificateValidationContext;
    validation_context_sds_secret_config?: SdsSecretConfig;
  };
  alpn_protocols?: string[];
}
export interface UpstreamTlsContext {
  '@type'?: string;
  common_tls_context?: CommonTlsContext;
  sni?: string;
  allow_renegotiation?: boolean;
  max_session_keys?: Wrapped<number>;
  auto_host_sni?: boolean;
  auto_sni_san_validation?: boolean;
}
export interface DownstreamTlsContext {
  '@type'?: string;
  common_tls_context?: CommonTlsContext;
  require_client_certificate?: Wrapped<boolean>;
  require_sni?: Wrapped<boolean>;
  session_timeout?: Duration;
  full_scan_certs_on_sni_mismatch?: Wrapped<boolean>;
}
export interface Secret {
  name: string;
  tls_certificate?: TlsCertificate;
  validation_context?: CertificateValidationContext;
}

// ---------------------------------------------------------------- cluster / endpoints
export interface LbEndpoint {
  endpoint?: { address: Address; hostname?: string; health_check_config?: Record<string, unknown> };
  health_status?: 'UNKNOWN' | 'HEALTHY' | 'UNHEALTHY' | 'DRAINING' | 'TIMEOUT' | 'DEGRADED';
  metadata?: Metadata;
  load_balancing_weight?: Wrapped<number>;
}
export interface Locality {
  region?: string;
  zone?: string;
  sub_zone?: string;
}
export interface LocalityLbEndpoints {
  locality?: Locality;
  lb_endpoints?: LbEndpoint[];
  load_balancing_weight?: Wrapped<number>;
  priority?: number;
  metadata?: Metadata;
}
export interface ClusterLoadAssignment {
  cluster_name: string;
  endpoints?: LocalityLbEndpoints[];
  policy?: { overprovisioning_factor?: Wrapped<number>; weighted_priority_health?: boolean };
}
export interface OutlierDetection {
  consecutive_5xx?: Wrapped<number>;
  consecutive_gateway_failure?: Wrapped<number>;
  consecutive_local_origin_failure?: Wrapped<number>;
  interval?: Duration;
  base_ejection_time?: Duration;
  max_ejection_time?: Duration;
  max_ejection_percent?: Wrapped<number>;
  enforcing_consecutive_5xx?: Wrapped<number>;
  enforcing_consecutive_gateway_failure?: Wrapped<number>;
  enforcing_consecutive_local_origin_failure?: Wrapped<number>;
  split_external_local_origin_errors?: boolean;
}
export type ClusterType = 'STATIC' | 'STRICT_DNS' | 'LOGICAL_DNS' | 'EDS' | 'ORIGINAL_DST';
export interface Cluster {
  name: string;
  type?: ClusterType;
  cluster_type?: { name: string; typed_config?: TypedAny };
  eds_cluster_config?: { service_name?: string; eds_config?: Record<string, unknown> };
  connect_timeout?: Duration;
  lb_policy?: 'ROUND_ROBIN' | 'LEAST_REQUEST' | 'RANDOM' | 'RING_HASH' | 'MAGLEV' | 'CLUSTER_PROVIDED' | 'LOAD_BALANCING_POLICY_CONFIG';
  load_assignment?: ClusterLoadAssignment;
  dns_refresh_rate?: Duration;
  dns_lookup_family?: 'AUTO' | 'V4_ONLY' | 'V6_ONLY' | 'V4_PREFERRED' | 'ALL';
  respect_dns_ttl?: boolean;
  transport_socket?: TransportSocket;
  transport_socket_matches?: unknown[];
  outlier_detection?: OutlierDetection;
  common_lb_config?: {
    healthy_panic_threshold?: { value?: number } | number;
    locality_weighted_lb_config?: Record<string, unknown>;
  };
  typed_extension_protocol_options?: Record<string, TypedAny>;
  circuit_breakers?: { thresholds?: { priority?: string; max_connections?: Wrapped<number>; max_pending_requests?: Wrapped<number>; max_requests?: Wrapped<number>; max_retries?: Wrapped<number> }[] };
  per_connection_buffer_limit_bytes?: Wrapped<number>;
  metadata?: Metadata;
  alt_stat_name?: string;
}

/** Type URLs of the resources and extensions the proxy understands. */
export const TYPE = {
  Listener: 'type.googleapis.com/envoy.config.listener.v3.Listener',
  RouteConfiguration: 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration',
  Cluster: 'type.googleapis.com/envoy.config.cluster.v3.Cluster',
  ClusterLoadAssignment: 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment',
  Secret: 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret',
  TcpProxy: 'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy',
  HttpConnectionManager: 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
  NetworkRbac: 'type.googleapis.com/envoy.extensions.filters.network.rbac.v3.RBAC',
  HttpRbac: 'type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBAC',
  Router: 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router',
  TlsInspector: 'type.googleapis.com/envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector',
  OriginalDst: 'type.googleapis.com/envoy.extensions.filters.listener.original_dst.v3.OriginalDst',
  UpstreamTlsContext: 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext',
  DownstreamTlsContext: 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext',
  RawBuffer: 'type.googleapis.com/envoy.extensions.transport_sockets.raw_buffer.v3.RawBuffer',
  FileAccessLog: 'type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog',
  StdoutAccessLog: 'type.googleapis.com/envoy.extensions.access_loggers.stream.v3.StdoutAccessLog',
  StderrAccessLog: 'type.googleapis.com/envoy.extensions.access_loggers.stream.v3.StderrAccessLog',
  HttpProtocolOptions: 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
} as const;
