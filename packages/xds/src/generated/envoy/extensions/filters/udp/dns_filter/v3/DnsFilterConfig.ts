// Original file: @grpc/grpc-js-xds/deps/envoy-api/envoy/extensions/filters/udp/dns_filter/v3/dns_filter.proto

import type { DnsTable as _envoy_data_dns_v3_DnsTable, DnsTable__Output as _envoy_data_dns_v3_DnsTable__Output } from '../../../../../../envoy/data/dns/v3/DnsTable.js';
import type { DataSource as _envoy_config_core_v3_DataSource, DataSource__Output as _envoy_config_core_v3_DataSource__Output } from '../../../../../../envoy/config/core/v3/DataSource.js';
import type { Duration as _google_protobuf_Duration, Duration__Output as _google_protobuf_Duration__Output } from '../../../../../../google/protobuf/Duration.js';
import type { Address as _envoy_config_core_v3_Address, Address__Output as _envoy_config_core_v3_Address__Output } from '../../../../../../envoy/config/core/v3/Address.js';
import type { DnsResolutionConfig as _envoy_config_core_v3_DnsResolutionConfig, DnsResolutionConfig__Output as _envoy_config_core_v3_DnsResolutionConfig__Output } from '../../../../../../envoy/config/core/v3/DnsResolutionConfig.js';
import type { TypedExtensionConfig as _envoy_config_core_v3_TypedExtensionConfig, TypedExtensionConfig__Output as _envoy_config_core_v3_TypedExtensionConfig__Output } from '../../../../../../envoy/config/core/v3/TypedExtensionConfig.js';
import type { Long } from '@grpc/proto-loader';

export interface _envoy_extensions_filters_udp_dns_filter_v3_DnsFilterConfig_ClientContextConfig {
  'resolver_timeout'?: (_google_protobuf_Duration | null);
  'upstream_resolvers'?: (_envoy_config_core_v3_Address)[];
  'dns_resolution_config'?: (_envoy_config_core_v3_DnsResolutionConfig | null);
  'typed_dns_resolver_config'?: (_envoy_config_core_v3_TypedExtensionConfig | null);
  'max_pending_lookups'?: (number | string | Long);
}

export interface _envoy_extensions_filters_udp_dns_filter_v3_DnsFilterConfig_ClientContextConfig__Output {
  'resolver_timeout'?: (_google_protobuf_Duration__Output);
  'upstream_resolvers'?: (_envoy_config_core_v3_Address__Output)[];
  'dns_resolution_config'?: (_envoy_config_core_v3_DnsResolutionConfig__Output);
  'typed_dns_resolver_config'?: (_envoy_config_core_v3_TypedExtensionConfig__Output);
  'max_pending_lookups'?: (string);
}

export interface _envoy_extensions_filters_udp_dns_filter_v3_DnsFilterConfig_ServerContextConfig {
  'inline_dns_table'?: (_envoy_data_dns_v3_DnsTable | null);
  'external_dns_table'?: (_envoy_config_core_v3_DataSource | null);
  'config_source'?: "inline_dns_table"|"external_dns_table";
}

export interface _envoy_extensions_filters_udp_dns_filter_v3_DnsFilterConfig_ServerContextConfig__Output {
  'inline_dns_table'?: (_envoy_data_dns_v3_DnsTable__Output);
  'external_dns_table'?: (_envoy_config_core_v3_DataSource__Output);
}

export interface DnsFilterConfig {
  'stat_prefix'?: (string);
  'server_config'?: (_envoy_extensions_filters_udp_dns_filter_v3_DnsFilterConfig_ServerContextConfig | null);
  'client_config'?: (_envoy_extensions_filters_udp_dns_filter_v3_DnsFilterConfig_ClientContextConfig | null);
}

export interface DnsFilterConfig__Output {
  'stat_prefix'?: (string);
  'server_config'?: (_envoy_extensions_filters_udp_dns_filter_v3_DnsFilterConfig_ServerContextConfig__Output);
  'client_config'?: (_envoy_extensions_filters_udp_dns_filter_v3_DnsFilterConfig_ClientContextConfig__Output);
}
