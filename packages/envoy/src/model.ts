/**
 * The typed Envoy config model: the subset of the Envoy v3 API that Causeway's generators emit and
 * `causeway-dp` reads (SUBSET.md of @causeway/xds), in Envoy's JSON shape, the one `decodeAny` returns,
 * `encodeAny` takes and Envoy's own config_dump prints:
 *
 * - snake_case proto field names; every field optional unless Causeway always sets it (proto3 has no
 *   required fields; the validate rules of the protos make some of them required, see validate.ts);
 * - `google.protobuf.Any` as an object with an `@type` key (`Typed<T>`, `TypedAny`);
 * - `google.protobuf.Duration` as a string (`"5s"`, `"0.250s"`);
 * - wrappers (`UInt32Value`, `BoolValue`, ...) as their bare value; 64-bit integers as decimal strings;
 *   bytes as base64 strings; `google.protobuf.Struct` as a plain JSON object; enums by name.
 *
 * Hand-written on purpose: it lists only what Causeway uses, with the presence Causeway relies on, so a
 * generator that starts emitting something new (which causeway-dp must then implement and SUBSET.md must
 * list) adds it here first. Each type names its proto message with `@proto`; `model.test.ts` checks every
 * field against the loaded protos (name, kind, enum values, nested message), so the model cannot drift
 * from the API it describes. The proto-loader types of the whole API (the binary object shape:
 * durations as `{seconds, nanos}`, wrappers as `{value}`) are not used anywhere and are not kept.
 */
import { TYPE_URLS } from './type-urls.js';

/** `google.protobuf.Duration` in proto3 JSON: seconds with an `s` suffix (`"5s"`, `"0.250s"`). */
export type Duration = string;
/** `int64` / `uint64` (and their wrappers): a decimal string (the encoder also takes a safe integer). */
export type Int64 = string;
/** `bytes`: base64. */
export type Base64 = string;
/** `google.protobuf.Struct`: a plain JSON object. */
export type Struct = Record<string, unknown>;

/** A `google.protobuf.Any` of an unknown or open type: `@type` plus the fields of that message. */
export type TypedAny = { '@type': string; [field: string]: unknown };
/** A `google.protobuf.Any` holding a `T`. */
export type Typed<T, U extends string = string> = T & { '@type': U };

// ---------------------------------------------------------------- core

/** @proto envoy.config.core.v3.SocketAddress */
export type SocketAddress = {
  address: string;
  port_value?: number;
  protocol?: 'TCP' | 'UDP';
  ipv4_compat?: boolean;
};
/** @proto envoy.config.core.v3.Pipe */
export type Pipe = { path: string };
/** @proto envoy.config.core.v3.Address */
export type Address = {
  socket_address?: SocketAddress;
  pipe?: Pipe;
};
/** @proto envoy.config.listener.v3.AdditionalAddress */
export type AdditionalAddress = { address: Address };

/** @proto envoy.config.core.v3.Metadata */
export type Metadata = {
  filter_metadata?: Record<string, Struct>;
  typed_filter_metadata?: Record<string, TypedAny>;
};

/** @proto envoy.config.core.v3.DataSource */
export type DataSource = {
  filename?: string;
  inline_bytes?: Base64;
  inline_string?: string;
  environment_variable?: string;
};

/** @proto envoy.config.core.v3.CidrRange */
export type CidrRange = {
  address_prefix: string;
  prefix_len?: number;
};

/** @proto envoy.config.core.v3.AggregatedConfigSource */
export type AggregatedConfigSource = Record<never, never>;
/**
 * A config source; Causeway always writes `ADS` (`{ ads: {}, resource_api_version: 'V3' }`).
 * @proto envoy.config.core.v3.ConfigSource
 */
export type ConfigSource = {
  ads?: AggregatedConfigSource;
  resource_api_version?: 'AUTO' | 'V2' | 'V3';
};

/** @proto envoy.config.core.v3.TransportSocket */
export type TransportSocket = {
  name: string;
  typed_config?: TypedAny;
};

/** @proto envoy.config.core.v3.Locality */
export type Locality = {
  region?: string;
  zone?: string;
  sub_zone?: string;
};

/** @proto envoy.config.core.v3.HeaderValue */
export type HeaderValue = { key: string; value?: string };
/** @proto envoy.config.core.v3.HeaderValueOption */
export type HeaderValueOption = {
  header: HeaderValue;
  append?: boolean;
  append_action?: 'APPEND_IF_EXISTS_OR_ADD' | 'ADD_IF_ABSENT' | 'OVERWRITE_IF_EXISTS_OR_ADD' | 'OVERWRITE_IF_EXISTS';
};

/** @proto envoy.config.core.v3.HttpProtocolOptions */
export type CommonHttpProtocolOptions = {
  idle_timeout?: Duration;
  max_connection_duration?: Duration;
  max_headers_count?: number;
  max_stream_duration?: Duration;
};
/** @proto envoy.config.core.v3.Http2ProtocolOptions */
export type Http2ProtocolOptions = {
  max_concurrent_streams?: number;
  initial_stream_window_size?: number;
  initial_connection_window_size?: number;
};

// ---------------------------------------------------------------- matchers

/** @proto envoy.type.matcher.v3.RegexMatcher */
export type RegexMatcher = {
  regex: string;
  google_re2?: Struct;
};
/** @proto envoy.type.matcher.v3.StringMatcher */
export type StringMatcher = {
  exact?: string;
  prefix?: string;
  suffix?: string;
  contains?: string;
  safe_regex?: RegexMatcher;
  ignore_case?: boolean;
};
/** @proto envoy.type.v3.Int64Range */
export type Int64Range = { start: Int64 | number; end: Int64 | number };
/** @proto envoy.config.route.v3.HeaderMatcher */
export type HeaderMatcher = {
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
  range_match?: Int64Range;
};
/** @proto envoy.type.matcher.v3.PathMatcher */
export type PathMatcher = { path?: StringMatcher };

// ---------------------------------------------------------------- listener

/** @proto envoy.config.listener.v3.FilterChainMatch */
export type FilterChainMatch = {
  destination_port?: number;
  prefix_ranges?: CidrRange[];
  direct_source_prefix_ranges?: CidrRange[];
  source_type?: 'ANY' | 'SAME_IP_OR_LOOPBACK' | 'EXTERNAL';
  source_prefix_ranges?: CidrRange[];
  source_ports?: number[];
  server_names?: string[];
  transport_protocol?: string;
  application_protocols?: string[];
};

/** @proto envoy.config.listener.v3.Filter */
export type NetworkFilter = {
  name: string;
  typed_config?: TypedAny;
};

/** @proto envoy.config.listener.v3.FilterChain */
export type FilterChain = {
  name?: string;
  filter_chain_match?: FilterChainMatch;
  filters?: NetworkFilter[];
  transport_socket?: TransportSocket;
  transport_socket_connect_timeout?: Duration;
  metadata?: Metadata;
};

/** @proto envoy.config.listener.v3.ListenerFilter */
export type ListenerFilter = {
  name: string;
  typed_config?: TypedAny;
};

/** @proto envoy.config.listener.v3.ApiListener */
export type ApiListener = { api_listener?: TypedAny };

/** @proto envoy.config.listener.v3.Listener */
export type Listener = {
  name: string;
  address?: Address;
  additional_addresses?: AdditionalAddress[];
  filter_chains?: FilterChain[];
  default_filter_chain?: FilterChain;
  listener_filters?: ListenerFilter[];
  listener_filters_timeout?: Duration;
  continue_on_listener_filters_timeout?: boolean;
  use_original_dst?: boolean;
  bind_to_port?: boolean;
  traffic_direction?: 'UNSPECIFIED' | 'INBOUND' | 'OUTBOUND';
  metadata?: Metadata;
  per_connection_buffer_limit_bytes?: number;
  drain_type?: 'DEFAULT' | 'MODIFY_ONLY';
  stat_prefix?: string;
  api_listener?: ApiListener;
};

/** @proto envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector */
export type TlsInspector = { enable_ja3_fingerprinting?: boolean };
/** @proto envoy.extensions.filters.listener.original_dst.v3.OriginalDst */
export type OriginalDst = Record<never, never>;

// ---------------------------------------------------------------- DNS filter

/** @proto envoy.data.dns.v3.DnsTable.AddressList */
export type DnsAddressList = { address: string[] };
/** @proto envoy.data.dns.v3.DnsTable.DnsEndpoint */
export type DnsEndpoint = { address_list?: DnsAddressList; cluster_name?: string };
/** @proto envoy.data.dns.v3.DnsTable.DnsVirtualDomain */
export type DnsVirtualDomain = { name: string; endpoint: DnsEndpoint; answer_ttl?: Duration };
/** @proto envoy.data.dns.v3.DnsTable */
export type DnsTable = {
  external_retry_count?: number;
  virtual_domains?: DnsVirtualDomain[];
  known_suffixes?: StringMatcher[];
};
/** @proto envoy.extensions.filters.udp.dns_filter.v3.DnsFilterConfig.ServerContextConfig */
export type DnsServerConfig = { inline_dns_table?: DnsTable; external_dns_table?: DataSource };
/** @proto envoy.extensions.network.dns_resolver.cares.v3.CaresDnsResolverConfig */
export type CaresDnsResolverConfig = { resolvers: Address[]; use_resolvers_as_fallback?: boolean };
/** @proto envoy.config.core.v3.TypedExtensionConfig */
export type TypedExtensionConfig = { name: string; typed_config: TypedAny };
/** @proto envoy.extensions.filters.udp.dns_filter.v3.DnsFilterConfig.ClientContextConfig */
export type DnsClientConfig = { resolver_timeout?: Duration; typed_dns_resolver_config?: TypedExtensionConfig; max_pending_lookups?: Int64 };
/** @proto envoy.extensions.filters.udp.dns_filter.v3.DnsFilterConfig */
export type DnsFilterConfig = {
  stat_prefix: string;
  server_config?: DnsServerConfig;
  client_config?: DnsClientConfig;
};

// ---------------------------------------------------------------- access log

/** @proto envoy.config.core.v3.SubstitutionFormatString */
export type SubstitutionFormatString = {
  text_format?: string;
  json_format?: Struct;
  text_format_source?: DataSource;
  omit_empty_values?: boolean;
  content_type?: string;
};
/** @proto envoy.config.accesslog.v3.AccessLog */
export type AccessLogConfig = {
  name: string;
  typed_config?: TypedAny;
};
/** @proto envoy.extensions.access_loggers.stream.v3.StdoutAccessLog */
export type StdoutAccessLog = { log_format?: SubstitutionFormatString };
/** @proto envoy.extensions.access_loggers.stream.v3.StderrAccessLog */
export type StderrAccessLog = { log_format?: SubstitutionFormatString };
/** @proto envoy.extensions.access_loggers.file.v3.FileAccessLog */
export type FileAccessLog = {
  path: string;
  format?: string;
  json_format?: Struct;
  log_format?: SubstitutionFormatString;
};

// ---------------------------------------------------------------- tcp_proxy

/** @proto envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy.WeightedCluster.ClusterWeight */
export type TcpWeightedClusterEntry = { name: string; weight?: number };
/** @proto envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy */
export type TcpProxy = {
  stat_prefix: string;
  cluster?: string;
  weighted_clusters?: { clusters: TcpWeightedClusterEntry[] };
  idle_timeout?: Duration;
  max_connect_attempts?: number;
  access_log?: AccessLogConfig[];
};

// ---------------------------------------------------------------- RBAC

/** @proto envoy.type.v3.Int32Range */
export type Int32Range = { start: number; end: number };
/** @proto envoy.config.rbac.v3.Permission */
export type RbacPermission = {
  any?: boolean;
  and_rules?: { rules: RbacPermission[] };
  or_rules?: { rules: RbacPermission[] };
  not_rule?: RbacPermission;
  destination_port?: number;
  destination_port_range?: Int32Range;
  destination_ip?: CidrRange;
  requested_server_name?: StringMatcher;
  header?: HeaderMatcher;
  url_path?: PathMatcher;
};
/** @proto envoy.config.rbac.v3.Principal.Authenticated */
export type RbacAuthenticated = { principal_name?: StringMatcher };
/** @proto envoy.config.rbac.v3.Principal */
export type RbacPrincipal = {
  any?: boolean;
  and_ids?: { ids: RbacPrincipal[] };
  or_ids?: { ids: RbacPrincipal[] };
  not_id?: RbacPrincipal;
  authenticated?: RbacAuthenticated;
  source_ip?: CidrRange;
  direct_remote_ip?: CidrRange;
  remote_ip?: CidrRange;
  header?: HeaderMatcher;
  url_path?: PathMatcher;
};
/** @proto envoy.config.rbac.v3.Policy */
export type RbacPolicy = {
  permissions: RbacPermission[];
  principals: RbacPrincipal[];
};
/** @proto envoy.config.rbac.v3.RBAC */
export type RbacRules = {
  action?: 'ALLOW' | 'DENY' | 'LOG';
  policies?: Record<string, RbacPolicy>;
};
/**
 * The network RBAC filter's config (the HTTP filter's, HttpRbacConfig, has no stat_prefix).
 * @proto envoy.extensions.filters.network.rbac.v3.RBAC
 */
export type RbacConfig = {
  rules?: RbacRules;
  shadow_rules?: RbacRules;
  stat_prefix?: string;
};
/** @proto envoy.extensions.filters.http.rbac.v3.RBAC */
export type HttpRbacConfig = {
  rules?: RbacRules;
  shadow_rules?: RbacRules;
};

// ---------------------------------------------------------------- HTTP

/** @proto envoy.config.route.v3.QueryParameterMatcher */
export type QueryParameterMatcher = {
  name: string;
  string_match?: StringMatcher;
  present_match?: boolean;
};
/** @proto envoy.config.route.v3.RouteMatch */
export type RouteMatch = {
  prefix?: string;
  path?: string;
  safe_regex?: RegexMatcher;
  path_separated_prefix?: string;
  case_sensitive?: boolean;
  headers?: HeaderMatcher[];
  query_parameters?: QueryParameterMatcher[];
};
/** @proto envoy.config.route.v3.RetryPolicy.RetryBackOff */
export type RetryBackOff = { base_interval?: Duration; max_interval?: Duration };
/** @proto envoy.config.route.v3.RetryPolicy */
export type RetryPolicy = {
  retry_on?: string;
  num_retries?: number;
  per_try_timeout?: Duration;
  retriable_status_codes?: number[];
  retry_back_off?: RetryBackOff;
  host_selection_retry_max_attempts?: Int64 | number;
  retriable_request_headers?: HeaderMatcher[];
  retriable_headers?: HeaderMatcher[];
};
/** @proto envoy.config.route.v3.WeightedCluster.ClusterWeight */
export type WeightedClusterEntry = { name: string; weight?: number };
/** @proto envoy.config.route.v3.WeightedCluster */
export type WeightedClusters = { clusters: WeightedClusterEntry[]; total_weight?: number };
/** @proto envoy.config.route.v3.RouteAction.MaxStreamDuration */
export type MaxStreamDuration = { max_stream_duration?: Duration; grpc_timeout_header_max?: Duration; grpc_timeout_header_offset?: Duration };
/** @proto envoy.config.route.v3.RouteAction */
export type RouteAction = {
  cluster?: string;
  weighted_clusters?: WeightedClusters;
  cluster_header?: string;
  timeout?: Duration;
  idle_timeout?: Duration;
  retry_policy?: RetryPolicy;
  prefix_rewrite?: string;
  host_rewrite_literal?: string;
  auto_host_rewrite?: boolean;
  cluster_not_found_response_code?: 'SERVICE_UNAVAILABLE' | 'NOT_FOUND' | 'INTERNAL_SERVER_ERROR';
  max_stream_duration?: MaxStreamDuration;
};
/** @proto envoy.config.route.v3.DirectResponseAction */
export type DirectResponseAction = { status: number; body?: DataSource };
/** @proto envoy.config.route.v3.Route */
export type Route = {
  name?: string;
  match: RouteMatch;
  route?: RouteAction;
  direct_response?: DirectResponseAction;
  redirect?: Struct;
  request_headers_to_add?: HeaderValueOption[];
  request_headers_to_remove?: string[];
  response_headers_to_add?: HeaderValueOption[];
  response_headers_to_remove?: string[];
  metadata?: Metadata;
};
/** @proto envoy.config.route.v3.VirtualHost */
export type VirtualHost = {
  name: string;
  domains: string[];
  routes?: Route[];
  retry_policy?: RetryPolicy;
  request_headers_to_add?: HeaderValueOption[];
  request_headers_to_remove?: string[];
  response_headers_to_add?: HeaderValueOption[];
  response_headers_to_remove?: string[];
};
/** @proto envoy.config.route.v3.RouteConfiguration */
export type RouteConfiguration = {
  name: string;
  virtual_hosts?: VirtualHost[];
  request_headers_to_add?: HeaderValueOption[];
  request_headers_to_remove?: string[];
  response_headers_to_add?: HeaderValueOption[];
  response_headers_to_remove?: string[];
  validate_clusters?: boolean;
};
/** @proto envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter */
export type HttpFilter = {
  name: string;
  typed_config?: TypedAny;
  disabled?: boolean;
};
/** @proto envoy.extensions.filters.network.http_connection_manager.v3.Rds */
export type Rds = { route_config_name: string; config_source?: ConfigSource };
/** @proto envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager */
export type HttpConnectionManager = {
  stat_prefix: string;
  codec_type?: 'AUTO' | 'HTTP1' | 'HTTP2' | 'HTTP3';
  route_config?: RouteConfiguration;
  rds?: Rds;
  http_filters?: HttpFilter[];
  access_log?: AccessLogConfig[];
  common_http_protocol_options?: CommonHttpProtocolOptions;
  stream_idle_timeout?: Duration;
  request_timeout?: Duration;
  request_headers_timeout?: Duration;
  use_remote_address?: boolean;
  xff_num_trusted_hops?: number;
  forward_client_cert_details?: 'SANITIZE' | 'FORWARD_ONLY' | 'APPEND_FORWARD' | 'SANITIZE_SET' | 'ALWAYS_FORWARD_ONLY';
  set_current_client_cert_details?: Struct;
  normalize_path?: boolean;
  merge_slashes?: boolean;
  strip_matching_host_port?: boolean;
  strip_any_host_port?: boolean;
  server_name?: string;
  generate_request_id?: boolean;
};
/** @proto envoy.extensions.filters.http.router.v3.Router */
export type Router = { dynamic_stats?: boolean; suppress_envoy_headers?: boolean };

// ---------------------------------------------------------------- TLS

/** @proto envoy.extensions.transport_sockets.tls.v3.TlsCertificate */
export type TlsCertificate = {
  certificate_chain?: DataSource;
  private_key?: DataSource;
  password?: DataSource;
};
/** @proto envoy.extensions.transport_sockets.tls.v3.SubjectAltNameMatcher */
export type SubjectAltNameMatcher = {
  san_type: 'SAN_TYPE_UNSPECIFIED' | 'EMAIL' | 'DNS' | 'URI' | 'IP_ADDRESS' | 'OTHER_NAME';
  matcher: StringMatcher;
};
/** @proto envoy.extensions.transport_sockets.tls.v3.CertificateValidationContext */
export type CertificateValidationContext = {
  trusted_ca?: DataSource;
  match_typed_subject_alt_names?: SubjectAltNameMatcher[];
  match_subject_alt_names?: StringMatcher[];
  verify_certificate_spki?: string[];
  verify_certificate_hash?: string[];
  trust_chain_verification?: 'VERIFY_TRUST_CHAIN' | 'ACCEPT_UNTRUSTED';
  only_verify_leaf_cert_crl?: boolean;
  crl?: DataSource;
};
/** @proto envoy.extensions.transport_sockets.tls.v3.SdsSecretConfig */
export type SdsSecretConfig = {
  name: string;
  sds_config?: ConfigSource;
};
type TlsVersion = 'TLS_AUTO' | 'TLSv1_0' | 'TLSv1_1' | 'TLSv1_2' | 'TLSv1_3';
/** @proto envoy.extensions.transport_sockets.tls.v3.TlsParameters */
export type TlsParameters = {
  tls_minimum_protocol_version?: TlsVersion;
  tls_maximum_protocol_version?: TlsVersion;
  cipher_suites?: string[];
  ecdh_curves?: string[];
};
/** @proto envoy.extensions.transport_sockets.tls.v3.CommonTlsContext.CombinedCertificateValidationContext */
export type CombinedValidationContext = {
  default_validation_context?: CertificateValidationContext;
  validation_context_sds_secret_config?: SdsSecretConfig;
};
/** @proto envoy.extensions.transport_sockets.tls.v3.CommonTlsContext */
export type CommonTlsContext = {
  tls_params?: TlsParameters;
  tls_certificates?: TlsCertificate[];
  tls_certificate_sds_secret_configs?: SdsSecretConfig[];
  validation_context?: CertificateValidationContext;
  validation_context_sds_secret_config?: SdsSecretConfig;
  combined_validation_context?: CombinedValidationContext;
  alpn_protocols?: string[];
};
/** @proto envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext */
export type UpstreamTlsContext = {
  common_tls_context?: CommonTlsContext;
  sni?: string;
  allow_renegotiation?: boolean;
  max_session_keys?: number;
};
/** @proto envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext */
export type DownstreamTlsContext = {
  common_tls_context?: CommonTlsContext;
  require_client_certificate?: boolean;
  require_sni?: boolean;
  session_timeout?: Duration;
  full_scan_certs_on_sni_mismatch?: boolean;
};
/** @proto envoy.extensions.transport_sockets.tls.v3.Secret */
export type Secret = {
  name: string;
  tls_certificate?: TlsCertificate;
  validation_context?: CertificateValidationContext;
};

// ---------------------------------------------------------------- cluster / endpoints

/** @proto envoy.config.endpoint.v3.Endpoint */
export type Endpoint = { address: Address; hostname?: string; health_check_config?: Struct };
/** @proto envoy.config.endpoint.v3.LbEndpoint */
export type LbEndpoint = {
  endpoint?: Endpoint;
  health_status?: 'UNKNOWN' | 'HEALTHY' | 'UNHEALTHY' | 'DRAINING' | 'TIMEOUT' | 'DEGRADED';
  metadata?: Metadata;
  load_balancing_weight?: number;
};
/** @proto envoy.config.endpoint.v3.LocalityLbEndpoints */
export type LocalityLbEndpoints = {
  locality?: Locality;
  lb_endpoints?: LbEndpoint[];
  load_balancing_weight?: number;
  priority?: number;
  metadata?: Metadata;
};
/** @proto envoy.config.endpoint.v3.ClusterLoadAssignment.Policy */
export type ClusterLoadAssignmentPolicy = { overprovisioning_factor?: number; weighted_priority_health?: boolean };
/** @proto envoy.config.endpoint.v3.ClusterLoadAssignment */
export type ClusterLoadAssignment = {
  cluster_name: string;
  endpoints?: LocalityLbEndpoints[];
  policy?: ClusterLoadAssignmentPolicy;
};
/** @proto envoy.config.cluster.v3.OutlierDetection */
export type OutlierDetection = {
  consecutive_5xx?: number;
  consecutive_gateway_failure?: number;
  consecutive_local_origin_failure?: number;
  interval?: Duration;
  base_ejection_time?: Duration;
  max_ejection_time?: Duration;
  max_ejection_percent?: number;
  enforcing_consecutive_5xx?: number;
  enforcing_consecutive_gateway_failure?: number;
  enforcing_consecutive_local_origin_failure?: number;
  split_external_local_origin_errors?: boolean;
};
export type ClusterType = 'STATIC' | 'STRICT_DNS' | 'LOGICAL_DNS' | 'EDS' | 'ORIGINAL_DST';
/** @proto envoy.config.cluster.v3.Cluster.CustomClusterType */
export type CustomClusterType = { name: string; typed_config?: TypedAny };
/** @proto envoy.config.cluster.v3.Cluster.EdsClusterConfig */
export type EdsClusterConfig = { service_name?: string; eds_config?: ConfigSource };
/** @proto envoy.config.cluster.v3.Cluster.TransportSocketMatch */
export type TransportSocketMatch = { name: string; match?: Struct; transport_socket?: TransportSocket };
/** @proto envoy.type.v3.Percent */
export type Percent = { value?: number };
/** @proto envoy.config.cluster.v3.Cluster.CommonLbConfig */
export type CommonLbConfig = {
  healthy_panic_threshold?: Percent;
  locality_weighted_lb_config?: Struct;
};
/** @proto envoy.config.cluster.v3.CircuitBreakers.Thresholds */
export type CircuitBreakerThresholds = {
  priority?: 'DEFAULT' | 'HIGH';
  max_connections?: number;
  max_pending_requests?: number;
  max_requests?: number;
  max_retries?: number;
};
/** @proto envoy.config.cluster.v3.CircuitBreakers */
export type CircuitBreakers = { thresholds?: CircuitBreakerThresholds[] };
/** @proto envoy.config.cluster.v3.Cluster */
export type Cluster = {
  name: string;
  type?: ClusterType;
  cluster_type?: CustomClusterType;
  eds_cluster_config?: EdsClusterConfig;
  connect_timeout?: Duration;
  lb_policy?: 'ROUND_ROBIN' | 'LEAST_REQUEST' | 'RANDOM' | 'RING_HASH' | 'MAGLEV' | 'CLUSTER_PROVIDED' | 'LOAD_BALANCING_POLICY_CONFIG';
  load_assignment?: ClusterLoadAssignment;
  dns_refresh_rate?: Duration;
  dns_lookup_family?: 'AUTO' | 'V4_ONLY' | 'V6_ONLY' | 'V4_PREFERRED' | 'ALL';
  respect_dns_ttl?: boolean;
  transport_socket?: TransportSocket;
  transport_socket_matches?: TransportSocketMatch[];
  outlier_detection?: OutlierDetection;
  common_lb_config?: CommonLbConfig;
  typed_extension_protocol_options?: Record<string, TypedAny>;
  circuit_breakers?: CircuitBreakers;
  per_connection_buffer_limit_bytes?: number;
  metadata?: Metadata;
  alt_stat_name?: string;
};

/** @proto envoy.extensions.upstreams.http.v3.HttpProtocolOptions.ExplicitHttpConfig */
export type ExplicitHttpConfig = { http_protocol_options?: Struct; http2_protocol_options?: Http2ProtocolOptions };
/** @proto envoy.extensions.upstreams.http.v3.HttpProtocolOptions */
export type UpstreamHttpProtocolOptions = {
  common_http_protocol_options?: CommonHttpProtocolOptions;
  explicit_http_config?: ExplicitHttpConfig;
};

// ---------------------------------------------------------------- type URLs and resources

/** The type URLs of the extensions (typed_config) Causeway emits and causeway-dp reads. */
export const EXTENSION_TYPE_URLS = {
  TcpProxy: 'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy',
  HttpConnectionManager: 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
  NetworkRbac: 'type.googleapis.com/envoy.extensions.filters.network.rbac.v3.RBAC',
  HttpRbac: 'type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBAC',
  Router: 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router',
  TlsInspector: 'type.googleapis.com/envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector',
  OriginalDst: 'type.googleapis.com/envoy.extensions.filters.listener.original_dst.v3.OriginalDst',
  DnsFilter: 'type.googleapis.com/envoy.extensions.filters.udp.dns_filter.v3.DnsFilterConfig',
  CaresDnsResolver: 'type.googleapis.com/envoy.extensions.network.dns_resolver.cares.v3.CaresDnsResolverConfig',
  UpstreamTlsContext: 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext',
  DownstreamTlsContext: 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext',
  /** Plaintext; causeway-dp accepts it by name, nothing emits it and its proto is not loaded. */
  RawBuffer: 'type.googleapis.com/envoy.extensions.transport_sockets.raw_buffer.v3.RawBuffer',
  FileAccessLog: 'type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog',
  StdoutAccessLog: 'type.googleapis.com/envoy.extensions.access_loggers.stream.v3.StdoutAccessLog',
  StderrAccessLog: 'type.googleapis.com/envoy.extensions.access_loggers.stream.v3.StderrAccessLog',
  HttpProtocolOptions: 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
} as const;

/** Every type URL of the model: the xDS resources (TYPE_URLS) and the extensions. */
export const ENVOY_TYPE_URLS = { ...TYPE_URLS, ...EXTENSION_TYPE_URLS } as const;

/** The model type of each xDS resource kind (see TYPE_URLS in protos.ts). */
export type XdsResources = {
  Listener: Listener;
  RouteConfiguration: RouteConfiguration;
  Cluster: Cluster;
  ClusterLoadAssignment: ClusterLoadAssignment;
  Secret: Secret;
};
