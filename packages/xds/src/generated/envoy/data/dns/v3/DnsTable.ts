// Original file: @grpc/grpc-js-xds/deps/envoy-api/envoy/data/dns/v3/dns_table.proto

import type { StringMatcher as _envoy_type_matcher_v3_StringMatcher, StringMatcher__Output as _envoy_type_matcher_v3_StringMatcher__Output } from '../../../../envoy/type/matcher/v3/StringMatcher.js';
import type { Duration as _google_protobuf_Duration, Duration__Output as _google_protobuf_Duration__Output } from '../../../../google/protobuf/Duration.js';

export interface _envoy_data_dns_v3_DnsTable_AddressList {
  'address'?: (string)[];
}

export interface _envoy_data_dns_v3_DnsTable_AddressList__Output {
  'address'?: (string)[];
}

export interface _envoy_data_dns_v3_DnsTable_DnsEndpoint {
  'address_list'?: (_envoy_data_dns_v3_DnsTable_AddressList | null);
  'cluster_name'?: (string);
  'service_list'?: (_envoy_data_dns_v3_DnsTable_DnsServiceList | null);
  'endpoint_config'?: "address_list"|"cluster_name"|"service_list";
}

export interface _envoy_data_dns_v3_DnsTable_DnsEndpoint__Output {
  'address_list'?: (_envoy_data_dns_v3_DnsTable_AddressList__Output);
  'cluster_name'?: (string);
  'service_list'?: (_envoy_data_dns_v3_DnsTable_DnsServiceList__Output);
}

export interface _envoy_data_dns_v3_DnsTable_DnsService {
  'service_name'?: (string);
  'protocol'?: (_envoy_data_dns_v3_DnsTable_DnsServiceProtocol | null);
  'ttl'?: (_google_protobuf_Duration | null);
  'targets'?: (_envoy_data_dns_v3_DnsTable_DnsServiceTarget)[];
}

export interface _envoy_data_dns_v3_DnsTable_DnsService__Output {
  'service_name'?: (string);
  'protocol'?: (_envoy_data_dns_v3_DnsTable_DnsServiceProtocol__Output);
  'ttl'?: (_google_protobuf_Duration__Output);
  'targets'?: (_envoy_data_dns_v3_DnsTable_DnsServiceTarget__Output)[];
}

export interface _envoy_data_dns_v3_DnsTable_DnsServiceList {
  'services'?: (_envoy_data_dns_v3_DnsTable_DnsService)[];
}

export interface _envoy_data_dns_v3_DnsTable_DnsServiceList__Output {
  'services'?: (_envoy_data_dns_v3_DnsTable_DnsService__Output)[];
}

export interface _envoy_data_dns_v3_DnsTable_DnsServiceProtocol {
  'number'?: (number);
  'name'?: (string);
  'protocol_config'?: "number"|"name";
}

export interface _envoy_data_dns_v3_DnsTable_DnsServiceProtocol__Output {
  'number'?: (number);
  'name'?: (string);
}

export interface _envoy_data_dns_v3_DnsTable_DnsServiceTarget {
  'host_name'?: (string);
  'cluster_name'?: (string);
  'priority'?: (number);
  'weight'?: (number);
  'port'?: (number);
  'endpoint_type'?: "host_name"|"cluster_name";
}

export interface _envoy_data_dns_v3_DnsTable_DnsServiceTarget__Output {
  'host_name'?: (string);
  'cluster_name'?: (string);
  'priority'?: (number);
  'weight'?: (number);
  'port'?: (number);
}

export interface _envoy_data_dns_v3_DnsTable_DnsVirtualDomain {
  'name'?: (string);
  'endpoint'?: (_envoy_data_dns_v3_DnsTable_DnsEndpoint | null);
  'answer_ttl'?: (_google_protobuf_Duration | null);
}

export interface _envoy_data_dns_v3_DnsTable_DnsVirtualDomain__Output {
  'name'?: (string);
  'endpoint'?: (_envoy_data_dns_v3_DnsTable_DnsEndpoint__Output);
  'answer_ttl'?: (_google_protobuf_Duration__Output);
}

export interface DnsTable {
  'external_retry_count'?: (number);
  'virtual_domains'?: (_envoy_data_dns_v3_DnsTable_DnsVirtualDomain)[];
  'known_suffixes'?: (_envoy_type_matcher_v3_StringMatcher)[];
}

export interface DnsTable__Output {
  'external_retry_count'?: (number);
  'virtual_domains'?: (_envoy_data_dns_v3_DnsTable_DnsVirtualDomain__Output)[];
  'known_suffixes'?: (_envoy_type_matcher_v3_StringMatcher__Output)[];
}
