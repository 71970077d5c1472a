import type * as grpc from '@grpc/grpc-js';
import type { EnumTypeDefinition, MessageTypeDefinition } from '@grpc/proto-loader';

import type { ResourceAnnotation as _envoy_annotations_ResourceAnnotation, ResourceAnnotation__Output as _envoy_annotations_ResourceAnnotation__Output } from './envoy/annotations/ResourceAnnotation.js';
import type { AccessLog as _envoy_config_accesslog_v3_AccessLog, AccessLog__Output as _envoy_config_accesslog_v3_AccessLog__Output } from './envoy/config/accesslog/v3/AccessLog.js';
import type { AccessLogFilter as _envoy_config_accesslog_v3_AccessLogFilter, AccessLogFilter__Output as _envoy_config_accesslog_v3_AccessLogFilter__Output } from './envoy/config/accesslog/v3/AccessLogFilter.js';
import type { AndFilter as _envoy_config_accesslog_v3_AndFilter, AndFilter__Output as _envoy_config_accesslog_v3_AndFilter__Output } from './envoy/config/accesslog/v3/AndFilter.js';
import type { ComparisonFilter as _envoy_config_accesslog_v3_ComparisonFilter, ComparisonFilter__Output as _envoy_config_accesslog_v3_ComparisonFilter__Output } from './envoy/config/accesslog/v3/ComparisonFilter.js';
import type { DurationFilter as _envoy_config_accesslog_v3_DurationFilter, DurationFilter__Output as _envoy_config_accesslog_v3_DurationFilter__Output } from './envoy/config/accesslog/v3/DurationFilter.js';
import type { ExtensionFilter as _envoy_config_accesslog_v3_ExtensionFilter, ExtensionFilter__Output as _envoy_config_accesslog_v3_ExtensionFilter__Output } from './envoy/config/accesslog/v3/ExtensionFilter.js';
import type { GrpcStatusFilter as _envoy_config_accesslog_v3_GrpcStatusFilter, GrpcStatusFilter__Output as _envoy_config_accesslog_v3_GrpcStatusFilter__Output } from './envoy/config/accesslog/v3/GrpcStatusFilter.js';
import type { HeaderFilter as _envoy_config_accesslog_v3_HeaderFilter, HeaderFilter__Output as _envoy_config_accesslog_v3_HeaderFilter__Output } from './envoy/config/accesslog/v3/HeaderFilter.js';
import type { LogTypeFilter as _envoy_config_accesslog_v3_LogTypeFilter, LogTypeFilter__Output as _envoy_config_accesslog_v3_LogTypeFilter__Output } from './envoy/config/accesslog/v3/LogTypeFilter.js';
import type { MetadataFilter as _envoy_config_accesslog_v3_MetadataFilter, MetadataFilter__Output as _envoy_config_accesslog_v3_MetadataFilter__Output } from './envoy/config/accesslog/v3/MetadataFilter.js';
import type { NotHealthCheckFilter as _envoy_config_accesslog_v3_NotHealthCheckFilter, NotHealthCheckFilter__Output as _envoy_config_accesslog_v3_NotHealthCheckFilter__Output } from './envoy/config/accesslog/v3/NotHealthCheckFilter.js';
import type { OrFilter as _envoy_config_accesslog_v3_OrFilter, OrFilter__Output as _envoy_config_accesslog_v3_OrFilter__Output } from './envoy/config/accesslog/v3/OrFilter.js';
import type { ResponseFlagFilter as _envoy_config_accesslog_v3_ResponseFlagFilter, ResponseFlagFilter__Output as _envoy_config_accesslog_v3_ResponseFlagFilter__Output } from './envoy/config/accesslog/v3/ResponseFlagFilter.js';
import type { RuntimeFilter as _envoy_config_accesslog_v3_RuntimeFilter, RuntimeFilter__Output as _envoy_config_accesslog_v3_RuntimeFilter__Output } from './envoy/config/accesslog/v3/RuntimeFilter.js';
import type { StatusCodeFilter as _envoy_config_accesslog_v3_StatusCodeFilter, StatusCodeFilter__Output as _envoy_config_accesslog_v3_StatusCodeFilter__Output } from './envoy/config/accesslog/v3/StatusCodeFilter.js';
import type { TraceableFilter as _envoy_config_accesslog_v3_TraceableFilter, TraceableFilter__Output as _envoy_config_accesslog_v3_TraceableFilter__Output } from './envoy/config/accesslog/v3/TraceableFilter.js';
import type { CircuitBreakers as _envoy_config_cluster_v3_CircuitBreakers, CircuitBreakers__Output as _envoy_config_cluster_v3_CircuitBreakers__Output } from './envoy/config/cluster/v3/CircuitBreakers.js';
import type { Cluster as _envoy_config_cluster_v3_Cluster, Cluster__Output as _envoy_config_cluster_v3_Cluster__Output } from './envoy/config/cluster/v3/Cluster.js';
import type { ClusterCollection as _envoy_config_cluster_v3_ClusterCollection, ClusterCollection__Output as _envoy_config_cluster_v3_ClusterCollection__Output } from './envoy/config/cluster/v3/ClusterCollection.js';
import type { Filter as _envoy_config_cluster_v3_Filter, Filter__Output as _envoy_config_cluster_v3_Filter__Output } from './envoy/config/cluster/v3/Filter.js';
import type { LoadBalancingPolicy as _envoy_config_cluster_v3_LoadBalancingPolicy, LoadBalancingPolicy__Output as _envoy_config_cluster_v3_LoadBalancingPolicy__Output } from './envoy/config/cluster/v3/LoadBalancingPolicy.js';
import type { OutlierDetection as _envoy_config_cluster_v3_OutlierDetection, OutlierDetection__Output as _envoy_config_cluster_v3_OutlierDetection__Output } from './envoy/config/cluster/v3/OutlierDetection.js';
import type { TrackClusterStats as _envoy_config_cluster_v3_TrackClusterStats, TrackClusterStats__Output as _envoy_config_cluster_v3_TrackClusterStats__Output } from './envoy/config/cluster/v3/TrackClusterStats.js';
import type { UpstreamConnectionOptions as _envoy_config_cluster_v3_UpstreamConnectionOptions, UpstreamConnectionOptions__Output as _envoy_config_cluster_v3_UpstreamConnectionOptions__Output } from './envoy/config/cluster/v3/UpstreamConnectionOptions.js';
import type { Address as _envoy_config_core_v3_Address, Address__Output as _envoy_config_core_v3_Address__Output } from './envoy/config/core/v3/Address.js';
import type { AggregatedConfigSource as _envoy_config_core_v3_AggregatedConfigSource, AggregatedConfigSource__Output as _envoy_config_core_v3_AggregatedConfigSource__Output } from './envoy/config/core/v3/AggregatedConfigSource.js';
import type { AlternateProtocolsCacheOptions as _envoy_config_core_v3_AlternateProtocolsCacheOptions, AlternateProtocolsCacheOptions__Output as _envoy_config_core_v3_AlternateProtocolsCacheOptions__Output } from './envoy/config/core/v3/AlternateProtocolsCacheOptions.js';
import type { ApiConfigSource as _envoy_config_core_v3_ApiConfigSource, ApiConfigSource__Output as _envoy_config_core_v3_ApiConfigSource__Output } from './envoy/config/core/v3/ApiConfigSource.js';
import type { AsyncDataSource as _envoy_config_core_v3_AsyncDataSource, AsyncDataSource__Output as _envoy_config_core_v3_AsyncDataSource__Output } from './envoy/config/core/v3/AsyncDataSource.js';
import type { BackoffStrategy as _envoy_config_core_v3_BackoffStrategy, BackoffStrategy__Output as _envoy_config_core_v3_BackoffStrategy__Output } from './envoy/config/core/v3/BackoffStrategy.js';
import type { BindConfig as _envoy_config_core_v3_BindConfig, BindConfig__Output as _envoy_config_core_v3_BindConfig__Output } from './envoy/config/core/v3/BindConfig.js';
import type { BuildVersion as _envoy_config_core_v3_BuildVersion, BuildVersion__Output as _envoy_config_core_v3_BuildVersion__Output } from './envoy/config/core/v3/BuildVersion.js';
import type { CidrRange as _envoy_config_core_v3_CidrRange, CidrRange__Output as _envoy_config_core_v3_CidrRange__Output } from './envoy/config/core/v3/CidrRange.js';
import type { ConfigSource as _envoy_config_core_v3_ConfigSource, ConfigSource__Output as _envoy_config_core_v3_ConfigSource__Output } from './envoy/config/core/v3/ConfigSource.js';
import type { ControlPlane as _envoy_config_core_v3_ControlPlane, ControlPlane__Output as _envoy_config_core_v3_ControlPlane__Output } from './envoy/config/core/v3/ControlPlane.js';
import type { DataSource as _envoy_config_core_v3_DataSource, DataSource__Output as _envoy_config_core_v3_DataSource__Output } from './envoy/config/core/v3/DataSource.js';
import type { DnsResolutionConfig as _envoy_config_core_v3_DnsResolutionConfig, DnsResolutionConfig__Output as _envoy_config_core_v3_DnsResolutionConfig__Output } from './envoy/config/core/v3/DnsResolutionConfig.js';
import type { DnsResolverOptions as _envoy_config_core_v3_DnsResolverOptions, DnsResolverOptions__Output as _envoy_config_core_v3_DnsResolverOptions__Output } from './envoy/config/core/v3/DnsResolverOptions.js';
import type { EnvoyInternalAddress as _envoy_config_core_v3_EnvoyInternalAddress, EnvoyInternalAddress__Output as _envoy_config_core_v3_EnvoyInternalAddress__Output } from './envoy/config/core/v3/EnvoyInternalAddress.js';
import type { EventServiceConfig as _envoy_config_core_v3_EventServiceConfig, EventServiceConfig__Output as _envoy_config_core_v3_EventServiceConfig__Output } from './envoy/config/core/v3/EventServiceConfig.js';
import type { Extension as _envoy_config_core_v3_Extension, Extension__Output as _envoy_config_core_v3_Extension__Output } from './envoy/config/core/v3/Extension.js';
import type { ExtensionConfigSource as _envoy_config_core_v3_ExtensionConfigSource, ExtensionConfigSource__Output as _envoy_config_core_v3_ExtensionConfigSource__Output } from './envoy/config/core/v3/ExtensionConfigSource.js';
import type { ExtraSourceAddress as _envoy_config_core_v3_ExtraSourceAddress, ExtraSourceAddress__Output as _envoy_config_core_v3_ExtraSourceAddress__Output } from './envoy/config/core/v3/ExtraSourceAddress.js';
import type { GrpcProtocolOptions as _envoy_config_core_v3_GrpcProtocolOptions, GrpcProtocolOptions__Output as _envoy_config_core_v3_GrpcProtocolOptions__Output } from './envoy/config/core/v3/GrpcProtocolOptions.js';
import type { GrpcService as _envoy_config_core_v3_GrpcService, GrpcService__Output as _envoy_config_core_v3_GrpcService__Output } from './envoy/config/core/v3/GrpcService.js';
import type { HeaderMap as _envoy_config_core_v3_HeaderMap, HeaderMap__Output as _envoy_config_core_v3_HeaderMap__Output } from './envoy/config/core/v3/HeaderMap.js';
import type { HeaderValue as _envoy_config_core_v3_HeaderValue, HeaderValue__Output as _envoy_config_core_v3_HeaderValue__Output } from './envoy/config/core/v3/HeaderValue.js';
import type { HeaderValueOption as _envoy_config_core_v3_HeaderValueOption, HeaderValueOption__Output as _envoy_config_core_v3_HeaderValueOption__Output } from './envoy/config/core/v3/HeaderValueOption.js';
import type { HealthCheck as _envoy_config_core_v3_HealthCheck, HealthCheck__Output as _envoy_config_core_v3_HealthCheck__Output } from './envoy/config/core/v3/HealthCheck.js';
import type { HealthStatusSet as _envoy_config_core_v3_HealthStatusSet, HealthStatusSet__Output as _envoy_config_core_v3_HealthStatusSet__Output } from './envoy/config/core/v3/HealthStatusSet.js';
import type { Http1ProtocolOptions as _envoy_config_core_v3_Http1ProtocolOptions, Http1ProtocolOptions__Output as _envoy_config_core_v3_Http1ProtocolOptions__Output } from './envoy/config/core/v3/Http1ProtocolOptions.js';
import type { Http2ProtocolOptions as _envoy_config_core_v3_Http2ProtocolOptions, Http2ProtocolOptions__Output as _envoy_config_core_v3_Http2ProtocolOptions__Output } from './envoy/config/core/v3/Http2ProtocolOptions.js';
import type { Http3ProtocolOptions as _envoy_config_core_v3_Http3ProtocolOptions, Http3ProtocolOptions__Output as _envoy_config_core_v3_Http3ProtocolOptions__Output } from './envoy/config/core/v3/Http3ProtocolOptions.js';
import type { HttpProtocolOptions as _envoy_config_core_v3_HttpProtocolOptions, HttpProtocolOptions__Output as _envoy_config_core_v3_HttpProtocolOptions__Output } from './envoy/config/core/v3/HttpProtocolOptions.js';
import type { HttpUri as _envoy_config_core_v3_HttpUri, HttpUri__Output as _envoy_config_core_v3_HttpUri__Output } from './envoy/config/core/v3/HttpUri.js';
import type { JsonFormatOptions as _envoy_config_core_v3_JsonFormatOptions, JsonFormatOptions__Output as _envoy_config_core_v3_JsonFormatOptions__Output } from './envoy/config/core/v3/JsonFormatOptions.js';
import type { KeepaliveSettings as _envoy_config_core_v3_KeepaliveSettings, KeepaliveSettings__Output as _envoy_config_core_v3_KeepaliveSettings__Output } from './envoy/config/core/v3/KeepaliveSettings.js';
import type { KeyValue as _envoy_config_core_v3_KeyValue, KeyValue__Output as _envoy_config_core_v3_KeyValue__Output } from './envoy/config/core/v3/KeyValue.js';
import type { KeyValueAppend as _envoy_config_core_v3_KeyValueAppend, KeyValueAppend__Output as _envoy_config_core_v3_KeyValueAppend__Output } from './envoy/config/core/v3/KeyValueAppend.js';
import type { KeyValueMutation as _envoy_config_core_v3_KeyValueMutation, KeyValueMutation__Output as _envoy_config_core_v3_KeyValueMutation__Output } from './envoy/config/core/v3/KeyValueMutation.js';
import type { Locality as _envoy_config_core_v3_Locality, Locality__Output as _envoy_config_core_v3_Locality__Output } from './envoy/config/core/v3/Locality.js';
import type { Metadata as _envoy_config_core_v3_Metadata, Metadata__Output as _envoy_config_core_v3_Metadata__Output } from './envoy/config/core/v3/Metadata.js';
import type { Node as _envoy_config_core_v3_Node, Node__Output as _envoy_config_core_v3_Node__Output } from './envoy/config/core/v3/Node.js';
import type { PathConfigSource as _envoy_config_core_v3_PathConfigSource, PathConfigSource__Output as _envoy_config_core_v3_PathConfigSource__Output } from './envoy/config/core/v3/PathConfigSource.js';
import type { Pipe as _envoy_config_core_v3_Pipe, Pipe__Output as _envoy_config_core_v3_Pipe__Output } from './envoy/config/core/v3/Pipe.js';
import type { ProxyProtocolConfig as _envoy_config_core_v3_ProxyProtocolConfig, ProxyProtocolConfig__Output as _envoy_config_core_v3_ProxyProtocolConfig__Output } from './envoy/config/core/v3/ProxyProtocolConfig.js';
import type { ProxyProtocolPassThroughTLVs as _envoy_config_core_v3_ProxyProtocolPassThroughTLVs, ProxyProtocolPassThroughTLVs__Output as _envoy_config_core_v3_ProxyProtocolPassThroughTLVs__Output } from './envoy/config/core/v3/ProxyProtocolPassThroughTLVs.js';
import type { QueryParameter as _envoy_config_core_v3_QueryParameter, QueryParameter__Output as _envoy_config_core_v3_QueryParameter__Output } from './envoy/config/core/v3/QueryParameter.js';
import type { QuicKeepAliveSettings as _envoy_config_core_v3_QuicKeepAliveSettings, QuicKeepAliveSettings__Output as _envoy_config_core_v3_QuicKeepAliveSettings__Output } from './envoy/config/core/v3/QuicKeepAliveSettings.js';
import type { QuicProtocolOptions as _envoy_config_core_v3_QuicProtocolOptions, QuicProtocolOptions__Output as _envoy_config_core_v3_QuicProtocolOptions__Output } from './envoy/config/core/v3/QuicProtocolOptions.js';
import type { RateLimitSettings as _envoy_config_core_v3_RateLimitSettings, RateLimitSettings__Output as _envoy_config_core_v3_RateLimitSettings__Output } from './envoy/config/core/v3/RateLimitSettings.js';
import type { RemoteDataSource as _envoy_config_core_v3_RemoteDataSource, RemoteDataSource__Output as _envoy_config_core_v3_RemoteDataSource__Output } from './envoy/config/core/v3/RemoteDataSource.js';
import type { RetryPolicy as _envoy_config_core_v3_RetryPolicy, RetryPolicy__Output as _envoy_config_core_v3_RetryPolicy__Output } from './envoy/config/core/v3/RetryPolicy.js';
import type { RuntimeDouble as _envoy_config_core_v3_RuntimeDouble, RuntimeDouble__Output as _envoy_config_core_v3_RuntimeDouble__Output } from './envoy/config/core/v3/RuntimeDouble.js';
import type { RuntimeFeatureFlag as _envoy_config_core_v3_RuntimeFeatureFlag, RuntimeFeatureFlag__Output as _envoy_config_core_v3_RuntimeFeatureFlag__Output } from './envoy/config/core/v3/RuntimeFeatureFlag.js';
import type { RuntimeFractionalPercent as _envoy_config_core_v3_RuntimeFractionalPercent, RuntimeFractionalPercent__Output as _envoy_config_core_v3_RuntimeFractionalPercent__Output } from './envoy/config/core/v3/RuntimeFractionalPercent.js';
import type { RuntimePercent as _envoy_config_core_v3_RuntimePercent, RuntimePercent__Output as _envoy_config_core_v3_RuntimePercent__Output } from './envoy/config/core/v3/RuntimePercent.js';
import type { RuntimeUInt32 as _envoy_config_core_v3_RuntimeUInt32, RuntimeUInt32__Output as _envoy_config_core_v3_RuntimeUInt32__Output } from './envoy/config/core/v3/RuntimeUInt32.js';
import type { SchemeHeaderTransformation as _envoy_config_core_v3_SchemeHeaderTransformation, SchemeHeaderTransformation__Output as _envoy_config_core_v3_SchemeHeaderTransformation__Output } from './envoy/config/core/v3/SchemeHeaderTransformation.js';
import type { SelfConfigSource as _envoy_config_core_v3_SelfConfigSource, SelfConfigSource__Output as _envoy_config_core_v3_SelfConfigSource__Output } from './envoy/config/core/v3/SelfConfigSource.js';
import type { SocketAddress as _envoy_config_core_v3_SocketAddress, SocketAddress__Output as _envoy_config_core_v3_SocketAddress__Output } from './envoy/config/core/v3/SocketAddress.js';
import type { SocketOption as _envoy_config_core_v3_SocketOption, SocketOption__Output as _envoy_config_core_v3_SocketOption__Output } from './envoy/config/core/v3/SocketOption.js';
import type { SocketOptionsOverride as _envoy_config_core_v3_SocketOptionsOverride, SocketOptionsOverride__Output as _envoy_config_core_v3_SocketOptionsOverride__Output } from './envoy/config/core/v3/SocketOptionsOverride.js';
import type { SubstitutionFormatString as _envoy_config_core_v3_SubstitutionFormatString, SubstitutionFormatString__Output as _envoy_config_core_v3_SubstitutionFormatString__Output } from './envoy/config/core/v3/SubstitutionFormatString.js';
import type { TcpKeepalive as _envoy_config_core_v3_TcpKeepalive, TcpKeepalive__Output as _envoy_config_core_v3_TcpKeepalive__Output } from './envoy/config/core/v3/TcpKeepalive.js';
import type { TcpProtocolOptions as _envoy_config_core_v3_TcpProtocolOptions, TcpProtocolOptions__Output as _envoy_config_core_v3_TcpProtocolOptions__Output } from './envoy/config/core/v3/TcpProtocolOptions.js';
import type { TransportSocket as _envoy_config_core_v3_TransportSocket, TransportSocket__Output as _envoy_config_core_v3_TransportSocket__Output } from './envoy/config/core/v3/TransportSocket.js';
import type { TypedExtensionConfig as _envoy_config_core_v3_TypedExtensionConfig, TypedExtensionConfig__Output as _envoy_config_core_v3_TypedExtensionConfig__Output } from './envoy/config/core/v3/TypedExtensionConfig.js';
import type { UdpSocketConfig as _envoy_config_core_v3_UdpSocketConfig, UdpSocketConfig__Output as _envoy_config_core_v3_UdpSocketConfig__Output } from './envoy/config/core/v3/UdpSocketConfig.js';
import type { UpstreamHttpProtocolOptions as _envoy_config_core_v3_UpstreamHttpProtocolOptions, UpstreamHttpProtocolOptions__Output as _envoy_config_core_v3_UpstreamHttpProtocolOptions__Output } from './envoy/config/core/v3/UpstreamHttpProtocolOptions.js';
import type { WatchedDirectory as _envoy_config_core_v3_WatchedDirectory, WatchedDirectory__Output as _envoy_config_core_v3_WatchedDirectory__Output } from './envoy/config/core/v3/WatchedDirectory.js';
import type { ClusterLoadAssignment as _envoy_config_endpoint_v3_ClusterLoadAssignment, ClusterLoadAssignment__Output as _envoy_config_endpoint_v3_ClusterLoadAssignment__Output } from './envoy/config/endpoint/v3/ClusterLoadAssignment.js';
import type { Endpoint as _envoy_config_endpoint_v3_Endpoint, Endpoint__Output as _envoy_config_endpoint_v3_Endpoint__Output } from './envoy/config/endpoint/v3/Endpoint.js';
import type { LbEndpoint as _envoy_config_endpoint_v3_LbEndpoint, LbEndpoint__Output as _envoy_config_endpoint_v3_LbEndpoint__Output } from './envoy/config/endpoint/v3/LbEndpoint.js';
import type { LedsClusterLocalityConfig as _envoy_config_endpoint_v3_LedsClusterLocalityConfig, LedsClusterLocalityConfig__Output as _envoy_config_endpoint_v3_LedsClusterLocalityConfig__Output } from './envoy/config/endpoint/v3/LedsClusterLocalityConfig.js';
import type { LocalityLbEndpoints as _envoy_config_endpoint_v3_LocalityLbEndpoints, LocalityLbEndpoints__Output as _envoy_config_endpoint_v3_LocalityLbEndpoints__Output } from './envoy/config/endpoint/v3/LocalityLbEndpoints.js';
import type { ActiveRawUdpListenerConfig as _envoy_config_listener_v3_ActiveRawUdpListenerConfig, ActiveRawUdpListenerConfig__Output as _envoy_config_listener_v3_ActiveRawUdpListenerConfig__Output } from './envoy/config/listener/v3/ActiveRawUdpListenerConfig.js';
import type { AdditionalAddress as _envoy_config_listener_v3_AdditionalAddress, AdditionalAddress__Output as _envoy_config_listener_v3_AdditionalAddress__Output } from './envoy/config/listener/v3/AdditionalAddress.js';
import type { ApiListener as _envoy_config_listener_v3_ApiListener, ApiListener__Output as _envoy_config_listener_v3_ApiListener__Output } from './envoy/config/listener/v3/ApiListener.js';
import type { ApiListenerManager as _envoy_config_listener_v3_ApiListenerManager, ApiListenerManager__Output as _envoy_config_listener_v3_ApiListenerManager__Output } from './envoy/config/listener/v3/ApiListenerManager.js';
import type { Filter as _envoy_config_listener_v3_Filter, Filter__Output as _envoy_config_listener_v3_Filter__Output } from './envoy/config/listener/v3/Filter.js';
import type { FilterChain as _envoy_config_listener_v3_FilterChain, FilterChain__Output as _envoy_config_listener_v3_FilterChain__Output } from './envoy/config/listener/v3/FilterChain.js';
import type { FilterChainMatch as _envoy_config_listener_v3_FilterChainMatch, FilterChainMatch__Output as _envoy_config_listener_v3_FilterChainMatch__Output } from './envoy/config/listener/v3/FilterChainMatch.js';
import type { Listener as _envoy_config_listener_v3_Listener, Listener__Output as _envoy_config_listener_v3_Listener__Output } from './envoy/config/listener/v3/Listener.js';
import type { ListenerCollection as _envoy_config_listener_v3_ListenerCollection, ListenerCollection__Output as _envoy_config_listener_v3_ListenerCollection__Output } from './envoy/config/listener/v3/ListenerCollection.js';
import type { ListenerFilter as _envoy_config_listener_v3_ListenerFilter, ListenerFilter__Output as _envoy_config_listener_v3_ListenerFilter__Output } from './envoy/config/listener/v3/ListenerFilter.js';
import type { ListenerFilterChainMatchPredicate as _envoy_config_listener_v3_ListenerFilterChainMatchPredicate, ListenerFilterChainMatchPredicate__Output as _envoy_config_listener_v3_ListenerFilterChainMatchPredicate__Output } from './envoy/config/listener/v3/ListenerFilterChainMatchPredicate.js';
import type { ListenerManager as _envoy_config_listener_v3_ListenerManager, ListenerManager__Output as _envoy_config_listener_v3_ListenerManager__Output } from './envoy/config/listener/v3/ListenerManager.js';
import type { QuicProtocolOptions as _envoy_config_listener_v3_QuicProtocolOptions, QuicProtocolOptions__Output as _envoy_config_listener_v3_QuicProtocolOptions__Output } from './envoy/config/listener/v3/QuicProtocolOptions.js';
import type { UdpListenerConfig as _envoy_config_listener_v3_UdpListenerConfig, UdpListenerConfig__Output as _envoy_config_listener_v3_UdpListenerConfig__Output } from './envoy/config/listener/v3/UdpListenerConfig.js';
import type { ValidationListenerManager as _envoy_config_listener_v3_ValidationListenerManager, ValidationListenerManager__Output as _envoy_config_listener_v3_ValidationListenerManager__Output } from './envoy/config/listener/v3/ValidationListenerManager.js';
import type { Action as _envoy_config_rbac_v3_Action, Action__Output as _envoy_config_rbac_v3_Action__Output } from './envoy/config/rbac/v3/Action.js';
import type { Permission as _envoy_config_rbac_v3_Permission, Permission__Output as _envoy_config_rbac_v3_Permission__Output } from './envoy/config/rbac/v3/Permission.js';
import type { Policy as _envoy_config_rbac_v3_Policy, Policy__Output as _envoy_config_rbac_v3_Policy__Output } from './envoy/config/rbac/v3/Policy.js';
import type { Principal as _envoy_config_rbac_v3_Principal, Principal__Output as _envoy_config_rbac_v3_Principal__Output } from './envoy/config/rbac/v3/Principal.js';
import type { RBAC as _envoy_config_rbac_v3_RBAC, RBAC__Output as _envoy_config_rbac_v3_RBAC__Output } from './envoy/config/rbac/v3/RBAC.js';
import type { ClusterSpecifierPlugin as _envoy_config_route_v3_ClusterSpecifierPlugin, ClusterSpecifierPlugin__Output as _envoy_config_route_v3_ClusterSpecifierPlugin__Output } from './envoy/config/route/v3/ClusterSpecifierPlugin.js';
import type { CorsPolicy as _envoy_config_route_v3_CorsPolicy, CorsPolicy__Output as _envoy_config_route_v3_CorsPolicy__Output } from './envoy/config/route/v3/CorsPolicy.js';
import type { Decorator as _envoy_config_route_v3_Decorator, Decorator__Output as _envoy_config_route_v3_Decorator__Output } from './envoy/config/route/v3/Decorator.js';
import type { DirectResponseAction as _envoy_config_route_v3_DirectResponseAction, DirectResponseAction__Output as _envoy_config_route_v3_DirectResponseAction__Output } from './envoy/config/route/v3/DirectResponseAction.js';
import type { FilterAction as _envoy_config_route_v3_FilterAction, FilterAction__Output as _envoy_config_route_v3_FilterAction__Output } from './envoy/config/route/v3/FilterAction.js';
import type { FilterConfig as _envoy_config_route_v3_FilterConfig, FilterConfig__Output as _envoy_config_route_v3_FilterConfig__Output } from './envoy/config/route/v3/FilterConfig.js';
import type { HeaderMatcher as _envoy_config_route_v3_HeaderMatcher, HeaderMatcher__Output as _envoy_config_route_v3_HeaderMatcher__Output } from './envoy/config/route/v3/HeaderMatcher.js';
import type { HedgePolicy as _envoy_config_route_v3_HedgePolicy, HedgePolicy__Output as _envoy_config_route_v3_HedgePolicy__Output } from './envoy/config/route/v3/HedgePolicy.js';
import type { InternalRedirectPolicy as _envoy_config_route_v3_InternalRedirectPolicy, InternalRedirectPolicy__Output as _envoy_config_route_v3_InternalRedirectPolicy__Output } from './envoy/config/route/v3/InternalRedirectPolicy.js';
import type { NonForwardingAction as _envoy_config_route_v3_NonForwardingAction, NonForwardingAction__Output as _envoy_config_route_v3_NonForwardingAction__Output } from './envoy/config/route/v3/NonForwardingAction.js';
import type { QueryParameterMatcher as _envoy_config_route_v3_QueryParameterMatcher, QueryParameterMatcher__Output as _envoy_config_route_v3_QueryParameterMatcher__Output } from './envoy/config/route/v3/QueryParameterMatcher.js';
import type { RateLimit as _envoy_config_route_v3_RateLimit, RateLimit__Output as _envoy_config_route_v3_RateLimit__Output } from './envoy/config/route/v3/RateLimit.js';
import type { RedirectAction as _envoy_config_route_v3_RedirectAction, RedirectAction__Output as _envoy_config_route_v3_RedirectAction__Output } from './envoy/config/route/v3/RedirectAction.js';
import type { RetryPolicy as _envoy_config_route_v3_RetryPolicy, RetryPolicy__Output as _envoy_config_route_v3_RetryPolicy__Output } from './envoy/config/route/v3/RetryPolicy.js';
import type { Route as _envoy_config_route_v3_Route, Route__Output as _envoy_config_route_v3_Route__Output } from './envoy/config/route/v3/Route.js';
import type { RouteAction as _envoy_config_route_v3_RouteAction, RouteAction__Output as _envoy_config_route_v3_RouteAction__Output } from './envoy/config/route/v3/RouteAction.js';
import type { RouteConfiguration as _envoy_config_route_v3_RouteConfiguration, RouteConfiguration__Output as _envoy_config_route_v3_RouteConfiguration__Output } from './envoy/config/route/v3/RouteConfiguration.js';
import type { RouteList as _envoy_config_route_v3_RouteList, RouteList__Output as _envoy_config_route_v3_RouteList__Output } from './envoy/config/route/v3/RouteList.js';
import type { RouteMatch as _envoy_config_route_v3_RouteMatch, RouteMatch__Output as _envoy_config_route_v3_RouteMatch__Output } from './envoy/config/route/v3/RouteMatch.js';
import type { ScopedRouteConfiguration as _envoy_config_route_v3_ScopedRouteConfiguration, ScopedRouteConfiguration__Output as _envoy_config_route_v3_ScopedRouteConfiguration__Output } from './envoy/config/route/v3/ScopedRouteConfiguration.js';
import type { Tracing as _envoy_config_route_v3_Tracing, Tracing__Output as _envoy_config_route_v3_Tracing__Output } from './envoy/config/route/v3/Tracing.js';
import type { Vhds as _envoy_config_route_v3_Vhds, Vhds__Output as _envoy_config_route_v3_Vhds__Output } from './envoy/config/route/v3/Vhds.js';
import type { VirtualCluster as _envoy_config_route_v3_VirtualCluster, VirtualCluster__Output as _envoy_config_route_v3_VirtualCluster__Output } from './envoy/config/route/v3/VirtualCluster.js';
import type { VirtualHost as _envoy_config_route_v3_VirtualHost, VirtualHost__Output as _envoy_config_route_v3_VirtualHost__Output } from './envoy/config/route/v3/VirtualHost.js';
import type { WeightedCluster as _envoy_config_route_v3_WeightedCluster, WeightedCluster__Output as _envoy_config_route_v3_WeightedCluster__Output } from './envoy/config/route/v3/WeightedCluster.js';
import type { Tracing as _envoy_config_trace_v3_Tracing, Tracing__Output as _envoy_config_trace_v3_Tracing__Output } from './envoy/config/trace/v3/Tracing.js';
import type { AccessLogCommon as _envoy_data_accesslog_v3_AccessLogCommon, AccessLogCommon__Output as _envoy_data_accesslog_v3_AccessLogCommon__Output } from './envoy/data/accesslog/v3/AccessLogCommon.js';
import type { ConnectionProperties as _envoy_data_accesslog_v3_ConnectionProperties, ConnectionProperties__Output as _envoy_data_accesslog_v3_ConnectionProperties__Output } from './envoy/data/accesslog/v3/ConnectionProperties.js';
import type { HTTPAccessLogEntry as _envoy_data_accesslog_v3_HTTPAccessLogEntry, HTTPAccessLogEntry__Output as _envoy_data_accesslog_v3_HTTPAccessLogEntry__Output } from './envoy/data/accesslog/v3/HTTPAccessLogEntry.js';
import type { HTTPRequestProperties as _envoy_data_accesslog_v3_HTTPRequestProperties, HTTPRequestProperties__Output as _envoy_data_accesslog_v3_HTTPRequestProperties__Output } from './envoy/data/accesslog/v3/HTTPRequestProperties.js';
import type { HTTPResponseProperties as _envoy_data_accesslog_v3_HTTPResponseProperties, HTTPResponseProperties__Output as _envoy_data_accesslog_v3_HTTPResponseProperties__Output } from './envoy/data/accesslog/v3/HTTPResponseProperties.js';
import type { ResponseFlags as _envoy_data_accesslog_v3_ResponseFlags, ResponseFlags__Output as _envoy_data_accesslog_v3_ResponseFlags__Output } from './envoy/data/accesslog/v3/ResponseFlags.js';
import type { TCPAccessLogEntry as _envoy_data_accesslog_v3_TCPAccessLogEntry, TCPAccessLogEntry__Output as _envoy_data_accesslog_v3_TCPAccessLogEntry__Output } from './envoy/data/accesslog/v3/TCPAccessLogEntry.js';
import type { TLSProperties as _envoy_data_accesslog_v3_TLSProperties, TLSProperties__Output as _envoy_data_accesslog_v3_TLSProperties__Output } from './envoy/data/accesslog/v3/TLSProperties.js';
import type { DnsTable as _envoy_data_dns_v3_DnsTable, DnsTable__Output as _envoy_data_dns_v3_DnsTable__Output } from './envoy/data/dns/v3/DnsTable.js';
import type { FileAccessLog as _envoy_extensions_access_loggers_file_v3_FileAccessLog, FileAccessLog__Output as _envoy_extensions_access_loggers_file_v3_FileAccessLog__Output } from './envoy/extensions/access_loggers/file/v3/FileAccessLog.js';
import type { StderrAccessLog as _envoy_extensions_access_loggers_stream_v3_StderrAccessLog, StderrAccessLog__Output as _envoy_extensions_access_loggers_stream_v3_StderrAccessLog__Output } from './envoy/extensions/access_loggers/stream/v3/StderrAccessLog.js';
import type { StdoutAccessLog as _envoy_extensions_access_loggers_stream_v3_StdoutAccessLog, StdoutAccessLog__Output as _envoy_extensions_access_loggers_stream_v3_StdoutAccessLog__Output } from './envoy/extensions/access_loggers/stream/v3/StdoutAccessLog.js';
import type { RBAC as _envoy_extensions_filters_http_rbac_v3_RBAC, RBAC__Output as _envoy_extensions_filters_http_rbac_v3_RBAC__Output } from './envoy/extensions/filters/http/rbac/v3/RBAC.js';
import type { RBACPerRoute as _envoy_extensions_filters_http_rbac_v3_RBACPerRoute, RBACPerRoute__Output as _envoy_extensions_filters_http_rbac_v3_RBACPerRoute__Output } from './envoy/extensions/filters/http/rbac/v3/RBACPerRoute.js';
import type { Router as _envoy_extensions_filters_http_router_v3_Router, Router__Output as _envoy_extensions_filters_http_router_v3_Router__Output } from './envoy/extensions/filters/http/router/v3/Router.js';
import type { OriginalDst as _envoy_extensions_filters_listener_original_dst_v3_OriginalDst, OriginalDst__Output as _envoy_extensions_filters_listener_original_dst_v3_OriginalDst__Output } from './envoy/extensions/filters/listener/original_dst/v3/OriginalDst.js';
import type { TlsInspector as _envoy_extensions_filters_listener_tls_inspector_v3_TlsInspector, TlsInspector__Output as _envoy_extensions_filters_listener_tls_inspector_v3_TlsInspector__Output } from './envoy/extensions/filters/listener/tls_inspector/v3/TlsInspector.js';
import type { EnvoyMobileHttpConnectionManager as _envoy_extensions_filters_network_http_connection_manager_v3_EnvoyMobileHttpConnectionManager, EnvoyMobileHttpConnectionManager__Output as _envoy_extensions_filters_network_http_connection_manager_v3_EnvoyMobileHttpConnectionManager__Output } from './envoy/extensions/filters/network/http_connection_manager/v3/EnvoyMobileHttpConnectionManager.js';
import type { HttpConnectionManager as _envoy_extensions_filters_network_http_connection_manager_v3_HttpConnectionManager, HttpConnectionManager__Output as _envoy_extensions_filters_network_http_connection_manager_v3_HttpConnectionManager__Output } from './envoy/extensions/filters/network/http_connection_manager/v3/HttpConnectionManager.js';
import type { HttpFilter as _envoy_extensions_filters_network_http_connection_manager_v3_HttpFilter, HttpFilter__Output as _envoy_extensions_filters_network_http_connection_manager_v3_HttpFilter__Output } from './envoy/extensions/filters/network/http_connection_manager/v3/HttpFilter.js';
import type { LocalReplyConfig as _envoy_extensions_filters_network_http_connection_manager_v3_LocalReplyConfig, LocalReplyConfig__Output as _envoy_extensions_filters_network_http_connection_manager_v3_LocalReplyConfig__Output } from './envoy/extensions/filters/network/http_connection_manager/v3/LocalReplyConfig.js';
import type { Rds as _envoy_extensions_filters_network_http_connection_manager_v3_Rds, Rds__Output as _envoy_extensions_filters_network_http_connection_manager_v3_Rds__Output } from './envoy/extensions/filters/network/http_connection_manager/v3/Rds.js';
import type { RequestIDExtension as _envoy_extensions_filters_network_http_connection_manager_v3_RequestIDExtension, RequestIDExtension__Output as _envoy_extensions_filters_network_http_connection_manager_v3_RequestIDExtension__Output } from './envoy/extensions/filters/network/http_connection_manager/v3/RequestIDExtension.js';
import type { ResponseMapper as _envoy_extensions_filters_network_http_connection_manager_v3_ResponseMapper, ResponseMapper__Output as _envoy_extensions_filters_network_http_connection_manager_v3_ResponseMapper__Output } from './envoy/extensions/filters/network/http_connection_manager/v3/ResponseMapper.js';
import type { ScopedRds as _envoy_extensions_filters_network_http_connection_manager_v3_ScopedRds, ScopedRds__Output as _envoy_extensions_filters_network_http_connection_manager_v3_ScopedRds__Output } from './envoy/extensions/filters/network/http_connection_manager/v3/ScopedRds.js';
import type { ScopedRouteConfigurationsList as _envoy_extensions_filters_network_http_connection_manager_v3_ScopedRouteConfigurationsList, ScopedRouteConfigurationsList__Output as _envoy_extensions_filters_network_http_connection_manager_v3_ScopedRouteConfigurationsList__Output } from './envoy/extensions/filters/network/http_connection_manager/v3/ScopedRouteConfigurationsList.js';
import type { ScopedRoutes as _envoy_extensions_filters_network_http_connection_manager_v3_ScopedRoutes, ScopedRoutes__Output as _envoy_extensions_filters_network_http_connection_manager_v3_ScopedRoutes__Output } from './envoy/extensions/filters/network/http_connection_manager/v3/ScopedRoutes.js';
import type { RBAC as _envoy_extensions_filters_network_rbac_v3_RBAC, RBAC__Output as _envoy_extensions_filters_network_rbac_v3_RBAC__Output } from './envoy/extensions/filters/network/rbac/v3/RBAC.js';
import type { TcpProxy as _envoy_extensions_filters_network_tcp_proxy_v3_TcpProxy, TcpProxy__Output as _envoy_extensions_filters_network_tcp_proxy_v3_TcpProxy__Output } from './envoy/extensions/filters/network/tcp_proxy/v3/TcpProxy.js';
import type { DnsFilterConfig as _envoy_extensions_filters_udp_dns_filter_v3_DnsFilterConfig, DnsFilterConfig__Output as _envoy_extensions_filters_udp_dns_filter_v3_DnsFilterConfig__Output } from './envoy/extensions/filters/udp/dns_filter/v3/DnsFilterConfig.js';
import type { CertificateProviderPluginInstance as _envoy_extensions_transport_sockets_tls_v3_CertificateProviderPluginInstance, CertificateProviderPluginInstance__Output as _envoy_extensions_transport_sockets_tls_v3_CertificateProviderPluginInstance__Output } from './envoy/extensions/transport_sockets/tls/v3/CertificateProviderPluginInstance.js';
import type { CertificateValidationContext as _envoy_extensions_transport_sockets_tls_v3_CertificateValidationContext, CertificateValidationContext__Output as _envoy_extensions_transport_sockets_tls_v3_CertificateValidationContext__Output } from './envoy/extensions/transport_sockets/tls/v3/CertificateValidationContext.js';
import type { CommonTlsContext as _envoy_extensions_transport_sockets_tls_v3_CommonTlsContext, CommonTlsContext__Output as _envoy_extensions_transport_sockets_tls_v3_CommonTlsContext__Output } from './envoy/extensions/transport_sockets/tls/v3/CommonTlsContext.js';
import type { DownstreamTlsContext as _envoy_extensions_transport_sockets_tls_v3_DownstreamTlsContext, DownstreamTlsContext__Output as _envoy_extensions_transport_sockets_tls_v3_DownstreamTlsContext__Output } from './envoy/extensions/transport_sockets/tls/v3/DownstreamTlsContext.js';
import type { GenericSecret as _envoy_extensions_transport_sockets_tls_v3_GenericSecret, GenericSecret__Output as _envoy_extensions_transport_sockets_tls_v3_GenericSecret__Output } from './envoy/extensions/transport_sockets/tls/v3/GenericSecret.js';
import type { PrivateKeyProvider as _envoy_extensions_transport_sockets_tls_v3_PrivateKeyProvider, PrivateKeyProvider__Output as _envoy_extensions_transport_sockets_tls_v3_PrivateKeyProvider__Output } from './envoy/extensions/transport_sockets/tls/v3/PrivateKeyProvider.js';
import type { SdsSecretConfig as _envoy_extensions_transport_sockets_tls_v3_SdsSecretConfig, SdsSecretConfig__Output as _envoy_extensions_transport_sockets_tls_v3_SdsSecretConfig__Output } from './envoy/extensions/transport_sockets/tls/v3/SdsSecretConfig.js';
import type { Secret as _envoy_extensions_transport_sockets_tls_v3_Secret, Secret__Output as _envoy_extensions_transport_sockets_tls_v3_Secret__Output } from './envoy/extensions/transport_sockets/tls/v3/Secret.js';
import type { SubjectAltNameMatcher as _envoy_extensions_transport_sockets_tls_v3_SubjectAltNameMatcher, SubjectAltNameMatcher__Output as _envoy_extensions_transport_sockets_tls_v3_SubjectAltNameMatcher__Output } from './envoy/extensions/transport_sockets/tls/v3/SubjectAltNameMatcher.js';
import type { TlsCertificate as _envoy_extensions_transport_sockets_tls_v3_TlsCertificate, TlsCertificate__Output as _envoy_extensions_transport_sockets_tls_v3_TlsCertificate__Output } from './envoy/extensions/transport_sockets/tls/v3/TlsCertificate.js';
import type { TlsKeyLog as _envoy_extensions_transport_sockets_tls_v3_TlsKeyLog, TlsKeyLog__Output as _envoy_extensions_transport_sockets_tls_v3_TlsKeyLog__Output } from './envoy/extensions/transport_sockets/tls/v3/TlsKeyLog.js';
import type { TlsParameters as _envoy_extensions_transport_sockets_tls_v3_TlsParameters, TlsParameters__Output as _envoy_extensions_transport_sockets_tls_v3_TlsParameters__Output } from './envoy/extensions/transport_sockets/tls/v3/TlsParameters.js';
import type { TlsSessionTicketKeys as _envoy_extensions_transport_sockets_tls_v3_TlsSessionTicketKeys, TlsSessionTicketKeys__Output as _envoy_extensions_transport_sockets_tls_v3_TlsSessionTicketKeys__Output } from './envoy/extensions/transport_sockets/tls/v3/TlsSessionTicketKeys.js';
import type { UpstreamTlsContext as _envoy_extensions_transport_sockets_tls_v3_UpstreamTlsContext, UpstreamTlsContext__Output as _envoy_extensions_transport_sockets_tls_v3_UpstreamTlsContext__Output } from './envoy/extensions/transport_sockets/tls/v3/UpstreamTlsContext.js';
import type { HttpProtocolOptions as _envoy_extensions_upstreams_http_v3_HttpProtocolOptions, HttpProtocolOptions__Output as _envoy_extensions_upstreams_http_v3_HttpProtocolOptions__Output } from './envoy/extensions/upstreams/http/v3/HttpProtocolOptions.js';
import type { AdsDummy as _envoy_service_discovery_v3_AdsDummy, AdsDummy__Output as _envoy_service_discovery_v3_AdsDummy__Output } from './envoy/service/discovery/v3/AdsDummy.js';
import type { AggregatedDiscoveryServiceClient as _envoy_service_discovery_v3_AggregatedDiscoveryServiceClient, AggregatedDiscoveryServiceDefinition as _envoy_service_discovery_v3_AggregatedDiscoveryServiceDefinition } from './envoy/service/discovery/v3/AggregatedDiscoveryService.js';
import type { DeltaDiscoveryRequest as _envoy_service_discovery_v3_DeltaDiscoveryRequest, DeltaDiscoveryRequest__Output as _envoy_service_discovery_v3_DeltaDiscoveryRequest__Output } from './envoy/service/discovery/v3/DeltaDiscoveryRequest.js';
import type { DeltaDiscoveryResponse as _envoy_service_discovery_v3_DeltaDiscoveryResponse, DeltaDiscoveryResponse__Output as _envoy_service_discovery_v3_DeltaDiscoveryResponse__Output } from './envoy/service/discovery/v3/DeltaDiscoveryResponse.js';
import type { DiscoveryRequest as _envoy_service_discovery_v3_DiscoveryRequest, DiscoveryRequest__Output as _envoy_service_discovery_v3_DiscoveryRequest__Output } from './envoy/service/discovery/v3/DiscoveryRequest.js';
import type { DiscoveryResponse as _envoy_service_discovery_v3_DiscoveryResponse, DiscoveryResponse__Output as _envoy_service_discovery_v3_DiscoveryResponse__Output } from './envoy/service/discovery/v3/DiscoveryResponse.js';
import type { DynamicParameterConstraints as _envoy_service_discovery_v3_DynamicParameterConstraints, DynamicParameterConstraints__Output as _envoy_service_discovery_v3_DynamicParameterConstraints__Output } from './envoy/service/discovery/v3/DynamicParameterConstraints.js';
import type { Resource as _envoy_service_discovery_v3_Resource, Resource__Output as _envoy_service_discovery_v3_Resource__Output } from './envoy/service/discovery/v3/Resource.js';
import type { ResourceLocator as _envoy_service_discovery_v3_ResourceLocator, ResourceLocator__Output as _envoy_service_discovery_v3_ResourceLocator__Output } from './envoy/service/discovery/v3/ResourceLocator.js';
import type { ResourceName as _envoy_service_discovery_v3_ResourceName, ResourceName__Output as _envoy_service_discovery_v3_ResourceName__Output } from './envoy/service/discovery/v3/ResourceName.js';
import type { SdsDummy as _envoy_service_secret_v3_SdsDummy, SdsDummy__Output as _envoy_service_secret_v3_SdsDummy__Output } from './envoy/service/secret/v3/SdsDummy.js';
import type { SecretDiscoveryServiceClient as _envoy_service_secret_v3_SecretDiscoveryServiceClient, SecretDiscoveryServiceDefinition as _envoy_service_secret_v3_SecretDiscoveryServiceDefinition } from './envoy/service/secret/v3/SecretDiscoveryService.js';
import type { PathTransformation as _envoy_type_http_v3_PathTransformation, PathTransformation__Output as _envoy_type_http_v3_PathTransformation__Output } from './envoy/type/http/v3/PathTransformation.js';
import type { DoubleMatcher as _envoy_type_matcher_v3_DoubleMatcher, DoubleMatcher__Output as _envoy_type_matcher_v3_DoubleMatcher__Output } from './envoy/type/matcher/v3/DoubleMatcher.js';
import type { FilterStateMatcher as _envoy_type_matcher_v3_FilterStateMatcher, FilterStateMatcher__Output as _envoy_type_matcher_v3_FilterStateMatcher__Output } from './envoy/type/matcher/v3/FilterStateMatcher.js';
import type { ListMatcher as _envoy_type_matcher_v3_ListMatcher, ListMatcher__Output as _envoy_type_matcher_v3_ListMatcher__Output } from './envoy/type/matcher/v3/ListMatcher.js';
import type { ListStringMatcher as _envoy_type_matcher_v3_ListStringMatcher, ListStringMatcher__Output as _envoy_type_matcher_v3_ListStringMatcher__Output } from './envoy/type/matcher/v3/ListStringMatcher.js';
import type { MetadataMatcher as _envoy_type_matcher_v3_MetadataMatcher, MetadataMatcher__Output as _envoy_type_matcher_v3_MetadataMatcher__Output } from './envoy/type/matcher/v3/MetadataMatcher.js';
import type { OrMatcher as _envoy_type_matcher_v3_OrMatcher, OrMatcher__Output as _envoy_type_matcher_v3_OrMatcher__Output } from './envoy/type/matcher/v3/OrMatcher.js';
import type { PathMatcher as _envoy_type_matcher_v3_PathMatcher, PathMatcher__Output as _envoy_type_matcher_v3_PathMatcher__Output } from './envoy/type/matcher/v3/PathMatcher.js';
import type { RegexMatchAndSubstitute as _envoy_type_matcher_v3_RegexMatchAndSubstitute, RegexMatchAndSubstitute__Output as _envoy_type_matcher_v3_RegexMatchAndSubstitute__Output } from './envoy/type/matcher/v3/RegexMatchAndSubstitute.js';
import type { RegexMatcher as _envoy_type_matcher_v3_RegexMatcher, RegexMatcher__Output as _envoy_type_matcher_v3_RegexMatcher__Output } from './envoy/type/matcher/v3/RegexMatcher.js';
import type { StringMatcher as _envoy_type_matcher_v3_StringMatcher, StringMatcher__Output as _envoy_type_matcher_v3_StringMatcher__Output } from './envoy/type/matcher/v3/StringMatcher.js';
import type { ValueMatcher as _envoy_type_matcher_v3_ValueMatcher, ValueMatcher__Output as _envoy_type_matcher_v3_ValueMatcher__Output } from './envoy/type/matcher/v3/ValueMatcher.js';
import type { MetadataKey as _envoy_type_metadata_v3_MetadataKey, MetadataKey__Output as _envoy_type_metadata_v3_MetadataKey__Output } from './envoy/type/metadata/v3/MetadataKey.js';
import type { MetadataKind as _envoy_type_metadata_v3_MetadataKind, MetadataKind__Output as _envoy_type_metadata_v3_MetadataKind__Output } from './envoy/type/metadata/v3/MetadataKind.js';
import type { CustomTag as _envoy_type_tracing_v3_CustomTag, CustomTag__Output as _envoy_type_tracing_v3_CustomTag__Output } from './envoy/type/tracing/v3/CustomTag.js';
import type { DoubleRange as _envoy_type_v3_DoubleRange, DoubleRange__Output as _envoy_type_v3_DoubleRange__Output } from './envoy/type/v3/DoubleRange.js';
import type { FractionalPercent as _envoy_type_v3_FractionalPercent, FractionalPercent__Output as _envoy_type_v3_FractionalPercent__Output } from './envoy/type/v3/FractionalPercent.js';
import type { HashPolicy as _envoy_type_v3_HashPolicy, HashPolicy__Output as _envoy_type_v3_HashPolicy__Output } from './envoy/type/v3/HashPolicy.js';
import type { Int32Range as _envoy_type_v3_Int32Range, Int32Range__Output as _envoy_type_v3_Int32Range__Output } from './envoy/type/v3/Int32Range.js';
import type { Int64Range as _envoy_type_v3_Int64Range, Int64Range__Output as _envoy_type_v3_Int64Range__Output } from './envoy/type/v3/Int64Range.js';
import type { Percent as _envoy_type_v3_Percent, Percent__Output as _envoy_type_v3_Percent__Output } from './envoy/type/v3/Percent.js';
import type { SemanticVersion as _envoy_type_v3_SemanticVersion, SemanticVersion__Output as _envoy_type_v3_SemanticVersion__Output } from './envoy/type/v3/SemanticVersion.js';
import type { CustomHttpPattern as _google_api_CustomHttpPattern, CustomHttpPattern__Output as _google_api_CustomHttpPattern__Output } from './google/api/CustomHttpPattern.js';
import type { Http as _google_api_Http, Http__Output as _google_api_Http__Output } from './google/api/Http.js';
import type { HttpRule as _google_api_HttpRule, HttpRule__Output as _google_api_HttpRule__Output } from './google/api/HttpRule.js';
import type { CheckedExpr as _google_api_expr_v1alpha1_CheckedExpr, CheckedExpr__Output as _google_api_expr_v1alpha1_CheckedExpr__Output } from './google/api/expr/v1alpha1/CheckedExpr.js';
import type { Constant as _google_api_expr_v1alpha1_Constant, Constant__Output as _google_api_expr_v1alpha1_Constant__Output } from './google/api/expr/v1alpha1/Constant.js';
import type { Decl as _google_api_expr_v1alpha1_Decl, Decl__Output as _google_api_expr_v1alpha1_Decl__Output } from './google/api/expr/v1alpha1/Decl.js';
import type { Expr as _google_api_expr_v1alpha1_Expr, Expr__Output as _google_api_expr_v1alpha1_Expr__Output } from './google/api/expr/v1alpha1/Expr.js';
import type { ParsedExpr as _google_api_expr_v1alpha1_ParsedExpr, ParsedExpr__Output as _google_api_expr_v1alpha1_ParsedExpr__Output } from './google/api/expr/v1alpha1/ParsedExpr.js';
import type { Reference as _google_api_expr_v1alpha1_Reference, Reference__Output as _google_api_expr_v1alpha1_Reference__Output } from './google/api/expr/v1alpha1/Reference.js';
import type { SourceInfo as _google_api_expr_v1alpha1_SourceInfo, SourceInfo__Output as _google_api_expr_v1alpha1_SourceInfo__Output } from './google/api/expr/v1alpha1/SourceInfo.js';
import type { SourcePosition as _google_api_expr_v1alpha1_SourcePosition, SourcePosition__Output as _google_api_expr_v1alpha1_SourcePosition__Output } from './google/api/expr/v1alpha1/SourcePosition.js';
import type { Type as _google_api_expr_v1alpha1_Type, Type__Output as _google_api_expr_v1alpha1_Type__Output } from './google/api/expr/v1alpha1/Type.js';
import type { Any as _google_protobuf_Any, Any__Output as _google_protobuf_Any__Output } from './google/protobuf/Any.js';
import type { BoolValue as _google_protobuf_BoolValue, BoolValue__Output as _google_protobuf_BoolValue__Output } from './google/protobuf/BoolValue.js';
import type { BytesValue as _google_protobuf_BytesValue, BytesValue__Output as _google_protobuf_BytesValue__Output } from './google/protobuf/BytesValue.js';
import type { DescriptorProto as _google_protobuf_DescriptorProto, DescriptorProto__Output as _google_protobuf_DescriptorProto__Output } from './google/protobuf/DescriptorProto.js';
import type { DoubleValue as _google_protobuf_DoubleValue, DoubleValue__Output as _google_protobuf_DoubleValue__Output } from './google/protobuf/DoubleValue.js';
import type { Duration as _google_protobuf_Duration, Duration__Output as _google_protobuf_Duration__Output } from './google/protobuf/Duration.js';
import type { Empty as _google_protobuf_Empty, Empty__Output as _google_protobuf_Empty__Output } from './google/protobuf/Empty.js';
import type { EnumDescriptorProto as _google_protobuf_EnumDescriptorProto, EnumDescriptorProto__Output as _google_protobuf_EnumDescriptorProto__Output } from './google/protobuf/EnumDescriptorProto.js';
import type { EnumOptions as _google_protobuf_EnumOptions, EnumOptions__Output as _google_protobuf_EnumOptions__Output } from './google/protobuf/EnumOptions.js';
import type { EnumValueDescriptorProto as _google_protobuf_EnumValueDescriptorProto, EnumValueDescriptorProto__Output as _google_protobuf_EnumValueDescriptorProto__Output } from './google/protobuf/EnumValueDescriptorProto.js';
import type { EnumValueOptions as _google_protobuf_EnumValueOptions, EnumValueOptions__Output as _google_protobuf_EnumValueOptions__Output } from './google/protobuf/EnumValueOptions.js';
import type { ExtensionRangeOptions as _google_protobuf_ExtensionRangeOptions, ExtensionRangeOptions__Output as _google_protobuf_ExtensionRangeOptions__Output } from './google/protobuf/ExtensionRangeOptions.js';
import type { FeatureSet as _google_protobuf_FeatureSet, FeatureSet__Output as _google_protobuf_FeatureSet__Output } from './google/protobuf/FeatureSet.js';
import type { FeatureSetDefaults as _google_protobuf_FeatureSetDefaults, FeatureSetDefaults__Output as _google_protobuf_FeatureSetDefaults__Output } from './google/protobuf/FeatureSetDefaults.js';
import type { FieldDescriptorProto as _google_protobuf_FieldDescriptorProto, FieldDescriptorProto__Output as _google_protobuf_FieldDescriptorProto__Output } from './google/protobuf/FieldDescriptorProto.js';
import type { FieldOptions as _google_protobuf_FieldOptions, FieldOptions__Output as _google_protobuf_FieldOptions__Output } from './google/protobuf/FieldOptions.js';
import type { FileDescriptorProto as _google_protobuf_FileDescriptorProto, FileDescriptorProto__Output as _google_protobuf_FileDescriptorProto__Output } from './google/protobuf/FileDescriptorProto.js';
import type { FileDescriptorSet as _google_protobuf_FileDescriptorSet, FileDescriptorSet__Output as _google_protobuf_FileDescriptorSet__Output } from './google/protobuf/FileDescriptorSet.js';
import type { FileOptions as _google_protobuf_FileOptions, FileOptions__Output as _google_protobuf_FileOptions__Output } from './google/protobuf/FileOptions.js';
import type { FloatValue as _google_protobuf_FloatValue, FloatValue__Output as _google_protobuf_FloatValue__Output } from './google/protobuf/FloatValue.js';
import type { GeneratedCodeInfo as _google_protobuf_GeneratedCodeInfo, GeneratedCodeInfo__Output as _google_protobuf_GeneratedCodeInfo__Output } from './google/protobuf/GeneratedCodeInfo.js';
import type { Int32Value as _google_protobuf_Int32Value, Int32Value__Output as _google_protobuf_Int32Value__Output } from './google/protobuf/Int32Value.js';
import type { Int64Value as _google_protobuf_Int64Value, Int64Value__Output as _google_protobuf_Int64Value__Output } from './google/protobuf/Int64Value.js';
import type { ListValue as _google_protobuf_ListValue, ListValue__Output as _google_protobuf_ListValue__Output } from './google/protobuf/ListValue.js';
import type { MessageOptions as _google_protobuf_MessageOptions, MessageOptions__Output as _google_protobuf_MessageOptions__Output } from './google/protobuf/MessageOptions.js';
import type { MethodDescriptorProto as _google_protobuf_MethodDescriptorProto, MethodDescriptorProto__Output as _google_protobuf_MethodDescriptorProto__Output } from './google/protobuf/MethodDescriptorProto.js';
import type { MethodOptions as _google_protobuf_MethodOptions, MethodOptions__Output as _google_protobuf_MethodOptions__Output } from './google/protobuf/MethodOptions.js';
import type { OneofDescriptorProto as _google_protobuf_OneofDescriptorProto, OneofDescriptorProto__Output as _google_protobuf_OneofDescriptorProto__Output } from './google/protobuf/OneofDescriptorProto.js';
import type { OneofOptions as _google_protobuf_OneofOptions, OneofOptions__Output as _google_protobuf_OneofOptions__Output } from './google/protobuf/OneofOptions.js';
import type { ServiceDescriptorProto as _google_protobuf_ServiceDescriptorProto, ServiceDescriptorProto__Output as _google_protobuf_ServiceDescriptorProto__Output } from './google/protobuf/ServiceDescriptorProto.js';
import type { ServiceOptions as _google_protobuf_ServiceOptions, ServiceOptions__Output as _google_protobuf_ServiceOptions__Output } from './google/protobuf/ServiceOptions.js';
import type { SourceCodeInfo as _google_protobuf_SourceCodeInfo, SourceCodeInfo__Output as _google_protobuf_SourceCodeInfo__Output } from './google/protobuf/SourceCodeInfo.js';
import type { StringValue as _google_protobuf_StringValue, StringValue__Output as _google_protobuf_StringValue__Output } from './google/protobuf/StringValue.js';
import type { Struct as _google_protobuf_Struct, Struct__Output as _google_protobuf_Struct__Output } from './google/protobuf/Struct.js';
import type { Timestamp as _google_protobuf_Timestamp, Timestamp__Output as _google_protobuf_Timestamp__Output } from './google/protobuf/Timestamp.js';
import type { UInt32Value as _google_protobuf_UInt32Value, UInt32Value__Output as _google_protobuf_UInt32Value__Output } from './google/protobuf/UInt32Value.js';
import type { UInt64Value as _google_protobuf_UInt64Value, UInt64Value__Output as _google_protobuf_UInt64Value__Output } from './google/protobuf/UInt64Value.js';
import type { UninterpretedOption as _google_protobuf_UninterpretedOption, UninterpretedOption__Output as _google_protobuf_UninterpretedOption__Output } from './google/protobuf/UninterpretedOption.js';
import type { Value as _google_protobuf_Value, Value__Output as _google_protobuf_Value__Output } from './google/protobuf/Value.js';
import type { Status as _google_rpc_Status, Status__Output as _google_rpc_Status__Output } from './google/rpc/Status.js';
import type { FieldMigrateAnnotation as _udpa_annotations_FieldMigrateAnnotation, FieldMigrateAnnotation__Output as _udpa_annotations_FieldMigrateAnnotation__Output } from './udpa/annotations/FieldMigrateAnnotation.js';
import type { FieldSecurityAnnotation as _udpa_annotations_FieldSecurityAnnotation, FieldSecurityAnnotation__Output as _udpa_annotations_FieldSecurityAnnotation__Output } from './udpa/annotations/FieldSecurityAnnotation.js';
import type { FileMigrateAnnotation as _udpa_annotations_FileMigrateAnnotation, FileMigrateAnnotation__Output as _udpa_annotations_FileMigrateAnnotation__Output } from './udpa/annotations/FileMigrateAnnotation.js';
import type { MigrateAnnotation as _udpa_annotations_MigrateAnnotation, MigrateAnnotation__Output as _udpa_annotations_MigrateAnnotation__Output } from './udpa/annotations/MigrateAnnotation.js';
import type { StatusAnnotation as _udpa_annotations_StatusAnnotation, StatusAnnotation__Output as _udpa_annotations_StatusAnnotation__Output } from './udpa/annotations/StatusAnnotation.js';
import type { VersioningAnnotation as _udpa_annotations_VersioningAnnotation, VersioningAnnotation__Output as _udpa_annotations_VersioningAnnotation__Output } from './udpa/annotations/VersioningAnnotation.js';
import type { AnyRules as _validate_AnyRules, AnyRules__Output as _validate_AnyRules__Output } from './validate/AnyRules.js';
import type { BoolRules as _validate_BoolRules, BoolRules__Output as _validate_BoolRules__Output } from './validate/BoolRules.js';
import type { BytesRules as _validate_BytesRules, BytesRules__Output as _validate_BytesRules__Output } from './validate/BytesRules.js';
import type { DoubleRules as _validate_DoubleRules, DoubleRules__Output as _validate_DoubleRules__Output } from './validate/DoubleRules.js';
import type { DurationRules as _validate_DurationRules, DurationRules__Output as _validate_DurationRules__Output } from './validate/DurationRules.js';
import type { EnumRules as _validate_EnumRules, EnumRules__Output as _validate_EnumRules__Output } from './validate/EnumRules.js';
import type { FieldRules as _validate_FieldRules, FieldRules__Output as _validate_FieldRules__Output } from './validate/FieldRules.js';
import type { Fixed32Rules as _validate_Fixed32Rules, Fixed32Rules__Output as _validate_Fixed32Rules__Output } from './validate/Fixed32Rules.js';
import type { Fixed64Rules as _validate_Fixed64Rules, Fixed64Rules__Output as _validate_Fixed64Rules__Output } from './validate/Fixed64Rules.js';
import type { FloatRules as _validate_FloatRules, FloatRules__Output as _validate_FloatRules__Output } from './validate/FloatRules.js';
import type { Int32Rules as _validate_Int32Rules, Int32Rules__Output as _validate_Int32Rules__Output } from './validate/Int32Rules.js';
import type { Int64Rules as _validate_Int64Rules, Int64Rules__Output as _validate_Int64Rules__Output } from './validate/Int64Rules.js';
import type { MapRules as _validate_MapRules, MapRules__Output as _validate_MapRules__Output } from './validate/MapRules.js';
import type { MessageRules as _validate_MessageRules, MessageRules__Output as _validate_MessageRules__Output } from './validate/MessageRules.js';
import type { RepeatedRules as _validate_RepeatedRules, RepeatedRules__Output as _validate_RepeatedRules__Output } from './validate/RepeatedRules.js';
import type { SFixed32Rules as _validate_SFixed32Rules, SFixed32Rules__Output as _validate_SFixed32Rules__Output } from './validate/SFixed32Rules.js';
import type { SFixed64Rules as _validate_SFixed64Rules, SFixed64Rules__Output as _validate_SFixed64Rules__Output } from './validate/SFixed64Rules.js';
import type { SInt32Rules as _validate_SInt32Rules, SInt32Rules__Output as _validate_SInt32Rules__Output } from './validate/SInt32Rules.js';
import type { SInt64Rules as _validate_SInt64Rules, SInt64Rules__Output as _validate_SInt64Rules__Output } from './validate/SInt64Rules.js';
import type { StringRules as _validate_StringRules, StringRules__Output as _validate_StringRules__Output } from './validate/StringRules.js';
import type { TimestampRules as _validate_TimestampRules, TimestampRules__Output as _validate_TimestampRules__Output } from './validate/TimestampRules.js';
import type { UInt32Rules as _validate_UInt32Rules, UInt32Rules__Output as _validate_UInt32Rules__Output } from './validate/UInt32Rules.js';
import type { UInt64Rules as _validate_UInt64Rules, UInt64Rules__Output as _validate_UInt64Rules__Output } from './validate/UInt64Rules.js';
import type { FieldStatusAnnotation as _xds_annotations_v3_FieldStatusAnnotation, FieldStatusAnnotation__Output as _xds_annotations_v3_FieldStatusAnnotation__Output } from './xds/annotations/v3/FieldStatusAnnotation.js';
import type { FileStatusAnnotation as _xds_annotations_v3_FileStatusAnnotation, FileStatusAnnotation__Output as _xds_annotations_v3_FileStatusAnnotation__Output } from './xds/annotations/v3/FileStatusAnnotation.js';
import type { MessageStatusAnnotation as _xds_annotations_v3_MessageStatusAnnotation, MessageStatusAnnotation__Output as _xds_annotations_v3_MessageStatusAnnotation__Output } from './xds/annotations/v3/MessageStatusAnnotation.js';
import type { StatusAnnotation as _xds_annotations_v3_StatusAnnotation, StatusAnnotation__Output as _xds_annotations_v3_StatusAnnotation__Output } from './xds/annotations/v3/StatusAnnotation.js';
import type { Authority as _xds_core_v3_Authority, Authority__Output as _xds_core_v3_Authority__Output } from './xds/core/v3/Authority.js';
import type { CollectionEntry as _xds_core_v3_CollectionEntry, CollectionEntry__Output as _xds_core_v3_CollectionEntry__Output } from './xds/core/v3/CollectionEntry.js';
import type { ContextParams as _xds_core_v3_ContextParams, ContextParams__Output as _xds_core_v3_ContextParams__Output } from './xds/core/v3/ContextParams.js';
import type { ResourceLocator as _xds_core_v3_ResourceLocator, ResourceLocator__Output as _xds_core_v3_ResourceLocator__Output } from './xds/core/v3/ResourceLocator.js';
import type { TypedExtensionConfig as _xds_core_v3_TypedExtensionConfig, TypedExtensionConfig__Output as _xds_core_v3_TypedExtensionConfig__Output } from './xds/core/v3/TypedExtensionConfig.js';
import type { ListStringMatcher as _xds_type_matcher_v3_ListStringMatcher, ListStringMatcher__Output as _xds_type_matcher_v3_ListStringMatcher__Output } from './xds/type/matcher/v3/ListStringMatcher.js';
import type { Matcher as _xds_type_matcher_v3_Matcher, Matcher__Output as _xds_type_matcher_v3_Matcher__Output } from './xds/type/matcher/v3/Matcher.js';
import type { RegexMatcher as _xds_type_matcher_v3_RegexMatcher, RegexMatcher__Output as _xds_type_matcher_v3_RegexMatcher__Output } from './xds/type/matcher/v3/RegexMatcher.js';
import type { StringMatcher as _xds_type_matcher_v3_StringMatcher, StringMatcher__Output as _xds_type_matcher_v3_StringMatcher__Output } from './xds/type/matcher/v3/StringMatcher.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  causeway: {
    envoy: {
    }
  }
  envoy: {
    annotations: {
      ResourceAnnotation: MessageTypeDefinition<_envoy_annotations_ResourceAnnotation, _envoy_annotations_ResourceAnnotation__Output>
    }
    config: {
      accesslog: {
        v3: {
          AccessLog: MessageTypeDefinition<_envoy_config_accesslog_v3_AccessLog, _envoy_config_accesslog_v3_AccessLog__Output>
          AccessLogFilter: MessageTypeDefinition<_envoy_config_accesslog_v3_AccessLogFilter, _envoy_config_accesslog_v3_AccessLogFilter__Output>
          AndFilter: MessageTypeDefinition<_envoy_config_accesslog_v3_AndFilter, _envoy_config_accesslog_v3_AndFilter__Output>
          ComparisonFilter: MessageTypeDefinition<_envoy_config_accesslog_v3_ComparisonFilter, _envoy_config_accesslog_v3_ComparisonFilter__Output>
          DurationFilter: MessageTypeDefinition<_envoy_config_accesslog_v3_DurationFilter, _envoy_config_accesslog_v3_DurationFilter__Output>
          ExtensionFilter: MessageTypeDefinition<_envoy_config_accesslog_v3_ExtensionFilter, _envoy_config_accesslog_v3_ExtensionFilter__Output>
          GrpcStatusFilter: MessageTypeDefinition<_envoy_config_accesslog_v3_GrpcStatusFilter, _envoy_config_accesslog_v3_GrpcStatusFilter__Output>
          HeaderFilter: MessageTypeDefinition<_envoy_config_accesslog_v3_HeaderFilter, _envoy_config_accesslog_v3_HeaderFilter__Output>
          LogTypeFilter: MessageTypeDefinition<_envoy_config_accesslog_v3_LogTypeFilter, _envoy_config_accesslog_v3_LogTypeFilter__Output>
          MetadataFilter: MessageTypeDefinition<_envoy_config_accesslog_v3_MetadataFilter, _envoy_config_accesslog_v3_MetadataFilter__Output>
          NotHealthCheckFilter: MessageTypeDefinition<_envoy_config_accesslog_v3_NotHealthCheckFilter, _envoy_config_accesslog_v3_NotHealthCheckFilter__Output>
          OrFilter: MessageTypeDefinition<_envoy_config_accesslog_v3_OrFilter, _envoy_config_accesslog_v3_OrFilter__Output>
          ResponseFlagFilter: MessageTypeDefinition<_envoy_config_accesslog_v3_ResponseFlagFilter, _envoy_config_accesslog_v3_ResponseFlagFilter__Output>
          RuntimeFilter: MessageTypeDefinition<_envoy_config_accesslog_v3_RuntimeFilter, _envoy_config_accesslog_v3_RuntimeFilter__Output>
          StatusCodeFilter: MessageTypeDefinition<_envoy_config_accesslog_v3_StatusCodeFilter, _envoy_config_accesslog_v3_StatusCodeFilter__Output>
          TraceableFilter: MessageTypeDefinition<_envoy_config_accesslog_v3_TraceableFilter, _envoy_config_accesslog_v3_TraceableFilter__Output>
        }
      }
      cluster: {
        v3: {
          CircuitBreakers: MessageTypeDefinition<_envoy_config_cluster_v3_CircuitBreakers, _envoy_config_cluster_v3_CircuitBreakers__Output>
          Cluster: MessageTypeDefinition<_envoy_config_cluster_v3_Cluster, _envoy_config_cluster_v3_Cluster__Output>
          ClusterCollection: MessageTypeDefinition<_envoy_config_cluster_v3_ClusterCollection, _envoy_config_cluster_v3_ClusterCollection__Output>
          Filter: MessageTypeDefinition<_envoy_config_cluster_v3_Filter, _envoy_config_cluster_v3_Filter__Output>
          LoadBalancingPolicy: MessageTypeDefinition<_envoy_config_cluster_v3_LoadBalancingPolicy, _envoy_config_cluster_v3_LoadBalancingPolicy__Output>
          OutlierDetection: MessageTypeDefinition<_envoy_config_cluster_v3_OutlierDetection, _envoy_config_cluster_v3_OutlierDetection__Output>
          TrackClusterStats: MessageTypeDefinition<_envoy_config_cluster_v3_TrackClusterStats, _envoy_config_cluster_v3_TrackClusterStats__Output>
          UpstreamConnectionOptions: MessageTypeDefinition<_envoy_config_cluster_v3_UpstreamConnectionOptions, _envoy_config_cluster_v3_UpstreamConnectionOptions__Output>
        }
      }
      core: {
        v3: {
          Address: MessageTypeDefinition<_envoy_config_core_v3_Address, _envoy_config_core_v3_Address__Output>
          AggregatedConfigSource: MessageTypeDefinition<_envoy_config_core_v3_AggregatedConfigSource, _envoy_config_core_v3_AggregatedConfigSource__Output>
          AlternateProtocolsCacheOptions: MessageTypeDefinition<_envoy_config_core_v3_AlternateProtocolsCacheOptions, _envoy_config_core_v3_AlternateProtocolsCacheOptions__Output>
          ApiConfigSource: MessageTypeDefinition<_envoy_config_core_v3_ApiConfigSource, _envoy_config_core_v3_ApiConfigSource__Output>
          ApiVersion: EnumTypeDefinition
          AsyncDataSource: MessageTypeDefinition<_envoy_config_core_v3_AsyncDataSource, _envoy_config_core_v3_AsyncDataSource__Output>
          BackoffStrategy: MessageTypeDefinition<_envoy_config_core_v3_BackoffStrategy, _envoy_config_core_v3_BackoffStrategy__Output>
          BindConfig: MessageTypeDefinition<_envoy_config_core_v3_BindConfig, _envoy_config_core_v3_BindConfig__Output>
          BuildVersion: MessageTypeDefinition<_envoy_config_core_v3_BuildVersion, _envoy_config_core_v3_BuildVersion__Output>
          CidrRange: MessageTypeDefinition<_envoy_config_core_v3_CidrRange, _envoy_config_core_v3_CidrRange__Output>
          ConfigSource: MessageTypeDefinition<_envoy_config_core_v3_ConfigSource, _envoy_config_core_v3_ConfigSource__Output>
          ControlPlane: MessageTypeDefinition<_envoy_config_core_v3_ControlPlane, _envoy_config_core_v3_ControlPlane__Output>
          DataSource: MessageTypeDefinition<_envoy_config_core_v3_DataSource, _envoy_config_core_v3_DataSource__Output>
          DnsResolutionConfig: MessageTypeDefinition<_envoy_config_core_v3_DnsResolutionConfig, _envoy_config_core_v3_DnsResolutionConfig__Output>
          DnsResolverOptions: MessageTypeDefinition<_envoy_config_core_v3_DnsResolverOptions, _envoy_config_core_v3_DnsResolverOptions__Output>
          EnvoyInternalAddress: MessageTypeDefinition<_envoy_config_core_v3_EnvoyInternalAddress, _envoy_config_core_v3_EnvoyInternalAddress__Output>
          EventServiceConfig: MessageTypeDefinition<_envoy_config_core_v3_EventServiceConfig, _envoy_config_core_v3_EventServiceConfig__Output>
          Extension: MessageTypeDefinition<_envoy_config_core_v3_Extension, _envoy_config_core_v3_Extension__Output>
          ExtensionConfigSource: MessageTypeDefinition<_envoy_config_core_v3_ExtensionConfigSource, _envoy_config_core_v3_ExtensionConfigSource__Output>
          ExtraSourceAddress: MessageTypeDefinition<_envoy_config_core_v3_ExtraSourceAddress, _envoy_config_core_v3_ExtraSourceAddress__Output>
          GrpcProtocolOptions: MessageTypeDefinition<_envoy_config_core_v3_GrpcProtocolOptions, _envoy_config_core_v3_GrpcProtocolOptions__Output>
          GrpcService: MessageTypeDefinition<_envoy_config_core_v3_GrpcService, _envoy_config_core_v3_GrpcService__Output>
          HeaderMap: MessageTypeDefinition<_envoy_config_core_v3_HeaderMap, _envoy_config_core_v3_HeaderMap__Output>
          HeaderValue: MessageTypeDefinition<_envoy_config_core_v3_HeaderValue, _envoy_config_core_v3_HeaderValue__Output>
          HeaderValueOption: MessageTypeDefinition<_envoy_config_core_v3_HeaderValueOption, _envoy_config_core_v3_HeaderValueOption__Output>
          HealthCheck: MessageTypeDefinition<_envoy_config_core_v3_HealthCheck, _envoy_config_core_v3_HealthCheck__Output>
          HealthStatus: EnumTypeDefinition
          HealthStatusSet: MessageTypeDefinition<_envoy_config_core_v3_HealthStatusSet, _envoy_config_core_v3_HealthStatusSet__Output>
          Http1ProtocolOptions: MessageTypeDefinition<_envoy_config_core_v3_Http1ProtocolOptions, _envoy_config_core_v3_Http1ProtocolOptions__Output>
          Http2ProtocolOptions: MessageTypeDefinition<_envoy_config_core_v3_Http2ProtocolOptions, _envoy_config_core_v3_Http2ProtocolOptions__Output>
          Http3ProtocolOptions: MessageTypeDefinition<_envoy_config_core_v3_Http3ProtocolOptions, _envoy_config_core_v3_Http3ProtocolOptions__Output>
          HttpProtocolOptions: MessageTypeDefinition<_envoy_config_core_v3_HttpProtocolOptions, _envoy_config_core_v3_HttpProtocolOptions__Output>
          HttpUri: MessageTypeDefinition<_envoy_config_core_v3_HttpUri, _envoy_config_core_v3_HttpUri__Output>
          JsonFormatOptions: MessageTypeDefinition<_envoy_config_core_v3_JsonFormatOptions, _envoy_config_core_v3_JsonFormatOptions__Output>
          KeepaliveSettings: MessageTypeDefinition<_envoy_config_core_v3_KeepaliveSettings, _envoy_config_core_v3_KeepaliveSettings__Output>
          KeyValue: MessageTypeDefinition<_envoy_config_core_v3_KeyValue, _envoy_config_core_v3_KeyValue__Output>
          KeyValueAppend: MessageTypeDefinition<_envoy_config_core_v3_KeyValueAppend, _envoy_config_core_v3_KeyValueAppend__Output>
          KeyValueMutation: MessageTypeDefinition<_envoy_config_core_v3_KeyValueMutation, _envoy_config_core_v3_KeyValueMutation__Output>
          Locality: MessageTypeDefinition<_envoy_config_core_v3_Locality, _envoy_config_core_v3_Locality__Output>
          Metadata: MessageTypeDefinition<_envoy_config_core_v3_Metadata, _envoy_config_core_v3_Metadata__Output>
          Node: MessageTypeDefinition<_envoy_config_core_v3_Node, _envoy_config_core_v3_Node__Output>
          PathConfigSource: MessageTypeDefinition<_envoy_config_core_v3_PathConfigSource, _envoy_config_core_v3_PathConfigSource__Output>
          Pipe: MessageTypeDefinition<_envoy_config_core_v3_Pipe, _envoy_config_core_v3_Pipe__Output>
          ProxyProtocolConfig: MessageTypeDefinition<_envoy_config_core_v3_ProxyProtocolConfig, _envoy_config_core_v3_ProxyProtocolConfig__Output>
          ProxyProtocolPassThroughTLVs: MessageTypeDefinition<_envoy_config_core_v3_ProxyProtocolPassThroughTLVs, _envoy_config_core_v3_ProxyProtocolPassThroughTLVs__Output>
          QueryParameter: MessageTypeDefinition<_envoy_config_core_v3_QueryParameter, _envoy_config_core_v3_QueryParameter__Output>
          QuicKeepAliveSettings: MessageTypeDefinition<_envoy_config_core_v3_QuicKeepAliveSettings, _envoy_config_core_v3_QuicKeepAliveSettings__Output>
          QuicProtocolOptions: MessageTypeDefinition<_envoy_config_core_v3_QuicProtocolOptions, _envoy_config_core_v3_QuicProtocolOptions__Output>
          RateLimitSettings: MessageTypeDefinition<_envoy_config_core_v3_RateLimitSettings, _envoy_config_core_v3_RateLimitSettings__Output>
          RemoteDataSource: MessageTypeDefinition<_envoy_config_core_v3_RemoteDataSource, _envoy_config_core_v3_RemoteDataSource__Output>
          RequestMethod: EnumTypeDefinition
          RetryPolicy: MessageTypeDefinition<_envoy_config_core_v3_RetryPolicy, _envoy_config_core_v3_RetryPolicy__Output>
          RoutingPriority: EnumTypeDefinition
          RuntimeDouble: MessageTypeDefinition<_envoy_config_core_v3_RuntimeDouble, _envoy_config_core_v3_RuntimeDouble__Output>
          RuntimeFeatureFlag: MessageTypeDefinition<_envoy_config_core_v3_RuntimeFeatureFlag, _envoy_config_core_v3_RuntimeFeatureFlag__Output>
          RuntimeFractionalPercent: MessageTypeDefinition<_envoy_config_core_v3_RuntimeFractionalPercent, _envoy_config_core_v3_RuntimeFractionalPercent__Output>
          RuntimePercent: MessageTypeDefinition<_envoy_config_core_v3_RuntimePercent, _envoy_config_core_v3_RuntimePercent__Output>
          RuntimeUInt32: MessageTypeDefinition<_envoy_config_core_v3_RuntimeUInt32, _envoy_config_core_v3_RuntimeUInt32__Output>
          SchemeHeaderTransformation: MessageTypeDefinition<_envoy_config_core_v3_SchemeHeaderTransformation, _envoy_config_core_v3_SchemeHeaderTransformation__Output>
          SelfConfigSource: MessageTypeDefinition<_envoy_config_core_v3_SelfConfigSource, _envoy_config_core_v3_SelfConfigSource__Output>
          SocketAddress: MessageTypeDefinition<_envoy_config_core_v3_SocketAddress, _envoy_config_core_v3_SocketAddress__Output>
          SocketOption: MessageTypeDefinition<_envoy_config_core_v3_SocketOption, _envoy_config_core_v3_SocketOption__Output>
          SocketOptionsOverride: MessageTypeDefinition<_envoy_config_core_v3_SocketOptionsOverride, _envoy_config_core_v3_SocketOptionsOverride__Output>
          SubstitutionFormatString: MessageTypeDefinition<_envoy_config_core_v3_SubstitutionFormatString, _envoy_config_core_v3_SubstitutionFormatString__Output>
          TcpKeepalive: MessageTypeDefinition<_envoy_config_core_v3_TcpKeepalive, _envoy_config_core_v3_TcpKeepalive__Output>
          TcpProtocolOptions: MessageTypeDefinition<_envoy_config_core_v3_TcpProtocolOptions, _envoy_config_core_v3_TcpProtocolOptions__Output>
          TrafficDirection: EnumTypeDefinition
          TransportSocket: MessageTypeDefinition<_envoy_config_core_v3_TransportSocket, _envoy_config_core_v3_TransportSocket__Output>
          TypedExtensionConfig: MessageTypeDefinition<_envoy_config_core_v3_TypedExtensionConfig, _envoy_config_core_v3_TypedExtensionConfig__Output>
          UdpSocketConfig: MessageTypeDefinition<_envoy_config_core_v3_UdpSocketConfig, _envoy_config_core_v3_UdpSocketConfig__Output>
          UpstreamHttpProtocolOptions: MessageTypeDefinition<_envoy_config_core_v3_UpstreamHttpProtocolOptions, _envoy_config_core_v3_UpstreamHttpProtocolOptions__Output>
          WatchedDirectory: MessageTypeDefinition<_envoy_config_core_v3_WatchedDirectory, _envoy_config_core_v3_WatchedDirectory__Output>
        }
      }
      endpoint: {
        v3: {
          ClusterLoadAssignment: MessageTypeDefinition<_envoy_config_endpoint_v3_ClusterLoadAssignment, _envoy_config_endpoint_v3_ClusterLoadAssignment__Output>
          Endpoint: MessageTypeDefinition<_envoy_config_endpoint_v3_Endpoint, _envoy_config_endpoint_v3_Endpoint__Output>
          LbEndpoint: MessageTypeDefinition<_envoy_config_endpoint_v3_LbEndpoint, _envoy_config_endpoint_v3_LbEndpoint__Output>
          LedsClusterLocalityConfig: MessageTypeDefinition<_envoy_config_endpoint_v3_LedsClusterLocalityConfig, _envoy_config_endpoint_v3_LedsClusterLocalityConfig__Output>
          LocalityLbEndpoints: MessageTypeDefinition<_envoy_config_endpoint_v3_LocalityLbEndpoints, _envoy_config_endpoint_v3_LocalityLbEndpoints__Output>
        }
      }
      listener: {
        v3: {
          ActiveRawUdpListenerConfig: MessageTypeDefinition<_envoy_config_listener_v3_ActiveRawUdpListenerConfig, _envoy_config_listener_v3_ActiveRawUdpListenerConfig__Output>
          AdditionalAddress: MessageTypeDefinition<_envoy_config_listener_v3_AdditionalAddress, _envoy_config_listener_v3_AdditionalAddress__Output>
          ApiListener: MessageTypeDefinition<_envoy_config_listener_v3_ApiListener, _envoy_config_listener_v3_ApiListener__Output>
          ApiListenerManager: MessageTypeDefinition<_envoy_config_listener_v3_ApiListenerManager, _envoy_config_listener_v3_ApiListenerManager__Output>
          Filter: MessageTypeDefinition<_envoy_config_listener_v3_Filter, _envoy_config_listener_v3_Filter__Output>
          FilterChain: MessageTypeDefinition<_envoy_config_listener_v3_FilterChain, _envoy_config_listener_v3_FilterChain__Output>
          FilterChainMatch: MessageTypeDefinition<_envoy_config_listener_v3_FilterChainMatch, _envoy_config_listener_v3_FilterChainMatch__Output>
          Listener: MessageTypeDefinition<_envoy_config_listener_v3_Listener, _envoy_config_listener_v3_Listener__Output>
          ListenerCollection: MessageTypeDefinition<_envoy_config_listener_v3_ListenerCollection, _envoy_config_listener_v3_ListenerCollection__Output>
          ListenerFilter: MessageTypeDefinition<_envoy_config_listener_v3_ListenerFilter, _envoy_config_listener_v3_ListenerFilter__Output>
          ListenerFilterChainMatchPredicate: MessageTypeDefinition<_envoy_config_listener_v3_ListenerFilterChainMatchPredicate, _envoy_config_listener_v3_ListenerFilterChainMatchPredicate__Output>
          ListenerManager: MessageTypeDefinition<_envoy_config_listener_v3_ListenerManager, _envoy_config_listener_v3_ListenerManager__Output>
          QuicProtocolOptions: MessageTypeDefinition<_envoy_config_listener_v3_QuicProtocolOptions, _envoy_config_listener_v3_QuicProtocolOptions__Output>
          UdpListenerConfig: MessageTypeDefinition<_envoy_config_listener_v3_UdpListenerConfig, _envoy_config_listener_v3_UdpListenerConfig__Output>
          ValidationListenerManager: MessageTypeDefinition<_envoy_config_listener_v3_ValidationListenerManager, _envoy_config_listener_v3_ValidationListenerManager__Output>
        }
      }
      rbac: {
        v3: {
          Action: MessageTypeDefinition<_envoy_config_rbac_v3_Action, _envoy_config_rbac_v3_Action__Output>
          Permission: MessageTypeDefinition<_envoy_config_rbac_v3_Permission, _envoy_config_rbac_v3_Permission__Output>
          Policy: MessageTypeDefinition<_envoy_config_rbac_v3_Policy, _envoy_config_rbac_v3_Policy__Output>
          Principal: MessageTypeDefinition<_envoy_config_rbac_v3_Principal, _envoy_config_rbac_v3_Principal__Output>
          RBAC: MessageTypeDefinition<_envoy_config_rbac_v3_RBAC, _envoy_config_rbac_v3_RBAC__Output>
        }
      }
      route: {
        v3: {
          ClusterSpecifierPlugin: MessageTypeDefinition<_envoy_config_route_v3_ClusterSpecifierPlugin, _envoy_config_route_v3_ClusterSpecifierPlugin__Output>
          CorsPolicy: MessageTypeDefinition<_envoy_config_route_v3_CorsPolicy, _envoy_config_route_v3_CorsPolicy__Output>
          Decorator: MessageTypeDefinition<_envoy_config_route_v3_Decorator, _envoy_config_route_v3_Decorator__Output>
          DirectResponseAction: MessageTypeDefinition<_envoy_config_route_v3_DirectResponseAction, _envoy_config_route_v3_DirectResponseAction__Output>
          FilterAction: MessageTypeDefinition<_envoy_config_route_v3_FilterAction, _envoy_config_route_v3_FilterAction__Output>
          FilterConfig: MessageTypeDefinition<_envoy_config_route_v3_FilterConfig, _envoy_config_route_v3_FilterConfig__Output>
          HeaderMatcher: MessageTypeDefinition<_envoy_config_route_v3_HeaderMatcher, _envoy_config_route_v3_HeaderMatcher__Output>
          HedgePolicy: MessageTypeDefinition<_envoy_config_route_v3_HedgePolicy, _envoy_config_route_v3_HedgePolicy__Output>
          InternalRedirectPolicy: MessageTypeDefinition<_envoy_config_route_v3_InternalRedirectPolicy, _envoy_config_route_v3_InternalRedirectPolicy__Output>
          NonForwardingAction: MessageTypeDefinition<_envoy_config_route_v3_NonForwardingAction, _envoy_config_route_v3_NonForwardingAction__Output>
          QueryParameterMatcher: MessageTypeDefinition<_envoy_config_route_v3_QueryParameterMatcher, _envoy_config_route_v3_QueryParameterMatcher__Output>
          RateLimit: MessageTypeDefinition<_envoy_config_route_v3_RateLimit, _envoy_config_route_v3_RateLimit__Output>
          RedirectAction: MessageTypeDefinition<_envoy_config_route_v3_RedirectAction, _envoy_config_route_v3_RedirectAction__Output>
          RetryPolicy: MessageTypeDefinition<_envoy_config_route_v3_RetryPolicy, _envoy_config_route_v3_RetryPolicy__Output>
          Route: MessageTypeDefinition<_envoy_config_route_v3_Route, _envoy_config_route_v3_Route__Output>
          RouteAction: MessageTypeDefinition<_envoy_config_route_v3_RouteAction, _envoy_config_route_v3_RouteAction__Output>
          RouteConfiguration: MessageTypeDefinition<_envoy_config_route_v3_RouteConfiguration, _envoy_config_route_v3_RouteConfiguration__Output>
          RouteList: MessageTypeDefinition<_envoy_config_route_v3_RouteList, _envoy_config_route_v3_RouteList__Output>
          RouteMatch: MessageTypeDefinition<_envoy_config_route_v3_RouteMatch, _envoy_config_route_v3_RouteMatch__Output>
          ScopedRouteConfiguration: MessageTypeDefinition<_envoy_config_route_v3_ScopedRouteConfiguration, _envoy_config_route_v3_ScopedRouteConfiguration__Output>
          Tracing: MessageTypeDefinition<_envoy_config_route_v3_Tracing, _envoy_config_route_v3_Tracing__Output>
          Vhds: MessageTypeDefinition<_envoy_config_route_v3_Vhds, _envoy_config_route_v3_Vhds__Output>
          VirtualCluster: MessageTypeDefinition<_envoy_config_route_v3_VirtualCluster, _envoy_config_route_v3_VirtualCluster__Output>
          VirtualHost: MessageTypeDefinition<_envoy_config_route_v3_VirtualHost, _envoy_config_route_v3_VirtualHost__Output>
          WeightedCluster: MessageTypeDefinition<_envoy_config_route_v3_WeightedCluster, _envoy_config_route_v3_WeightedCluster__Output>
        }
      }
      trace: {
        v3: {
          Tracing: MessageTypeDefinition<_envoy_config_trace_v3_Tracing, _envoy_config_trace_v3_Tracing__Output>
        }
      }
    }
    data: {
      accesslog: {
        v3: {
          AccessLogCommon: MessageTypeDefinition<_envoy_data_accesslog_v3_AccessLogCommon, _envoy_data_accesslog_v3_AccessLogCommon__Output>
          AccessLogType: EnumTypeDefinition
          ConnectionProperties: MessageTypeDefinition<_envoy_data_accesslog_v3_ConnectionProperties, _envoy_data_accesslog_v3_ConnectionProperties__Output>
          HTTPAccessLogEntry: MessageTypeDefinition<_envoy_data_accesslog_v3_HTTPAccessLogEntry, _envoy_data_accesslog_v3_HTTPAccessLogEntry__Output>
          HTTPRequestProperties: MessageTypeDefinition<_envoy_data_accesslog_v3_HTTPRequestProperties, _envoy_data_accesslog_v3_HTTPRequestProperties__Output>
          HTTPResponseProperties: MessageTypeDefinition<_envoy_data_accesslog_v3_HTTPResponseProperties, _envoy_data_accesslog_v3_HTTPResponseProperties__Output>
          ResponseFlags: MessageTypeDefinition<_envoy_data_accesslog_v3_ResponseFlags, _envoy_data_accesslog_v3_ResponseFlags__Output>
          TCPAccessLogEntry: MessageTypeDefinition<_envoy_data_accesslog_v3_TCPAccessLogEntry, _envoy_data_accesslog_v3_TCPAccessLogEntry__Output>
          TLSProperties: MessageTypeDefinition<_envoy_data_accesslog_v3_TLSProperties, _envoy_data_accesslog_v3_TLSProperties__Output>
        }
      }
      dns: {
        v3: {
          DnsTable: MessageTypeDefinition<_envoy_data_dns_v3_DnsTable, _envoy_data_dns_v3_DnsTable__Output>
        }
      }
    }
    extensions: {
      access_loggers: {
        file: {
          v3: {
            FileAccessLog: MessageTypeDefinition<_envoy_extensions_access_loggers_file_v3_FileAccessLog, _envoy_extensions_access_loggers_file_v3_FileAccessLog__Output>
          }
        }
        stream: {
          v3: {
            StderrAccessLog: MessageTypeDefinition<_envoy_extensions_access_loggers_stream_v3_StderrAccessLog, _envoy_extensions_access_loggers_stream_v3_StderrAccessLog__Output>
            StdoutAccessLog: MessageTypeDefinition<_envoy_extensions_access_loggers_stream_v3_StdoutAccessLog, _envoy_extensions_access_loggers_stream_v3_StdoutAccessLog__Output>
          }
        }
      }
      filters: {
        http: {
          rbac: {
            v3: {
              RBAC: MessageTypeDefinition<_envoy_extensions_filters_http_rbac_v3_RBAC, _envoy_extensions_filters_http_rbac_v3_RBAC__Output>
              RBACPerRoute: MessageTypeDefinition<_envoy_extensions_filters_http_rbac_v3_RBACPerRoute, _envoy_extensions_filters_http_rbac_v3_RBACPerRoute__Output>
            }
          }
          router: {
            v3: {
              Router: MessageTypeDefinition<_envoy_extensions_filters_http_router_v3_Router, _envoy_extensions_filters_http_router_v3_Router__Output>
            }
          }
        }
        listener: {
          original_dst: {
            v3: {
              OriginalDst: MessageTypeDefinition<_envoy_extensions_filters_listener_original_dst_v3_OriginalDst, _envoy_extensions_filters_listener_original_dst_v3_OriginalDst__Output>
            }
          }
          tls_inspector: {
            v3: {
              TlsInspector: MessageTypeDefinition<_envoy_extensions_filters_listener_tls_inspector_v3_TlsInspector, _envoy_extensions_filters_listener_tls_inspector_v3_TlsInspector__Output>
            }
          }
        }
        network: {
          http_connection_manager: {
            v3: {
              EnvoyMobileHttpConnectionManager: MessageTypeDefinition<_envoy_extensions_filters_network_http_connection_manager_v3_EnvoyMobileHttpConnectionManager, _envoy_extensions_filters_network_http_connection_manager_v3_EnvoyMobileHttpConnectionManager__Output>
              HttpConnectionManager: MessageTypeDefinition<_envoy_extensions_filters_network_http_connection_manager_v3_HttpConnectionManager, _envoy_extensions_filters_network_http_connection_manager_v3_HttpConnectionManager__Output>
              HttpFilter: MessageTypeDefinition<_envoy_extensions_filters_network_http_connection_manager_v3_HttpFilter, _envoy_extensions_filters_network_http_connection_manager_v3_HttpFilter__Output>
              LocalReplyConfig: MessageTypeDefinition<_envoy_extensions_filters_network_http_connection_manager_v3_LocalReplyConfig, _envoy_extensions_filters_network_http_connection_manager_v3_LocalReplyConfig__Output>
              Rds: MessageTypeDefinition<_envoy_extensions_filters_network_http_connection_manager_v3_Rds, _envoy_extensions_filters_network_http_connection_manager_v3_Rds__Output>
              RequestIDExtension: MessageTypeDefinition<_envoy_extensions_filters_network_http_connection_manager_v3_RequestIDExtension, _envoy_extensions_filters_network_http_connection_manager_v3_RequestIDExtension__Output>
              ResponseMapper: MessageTypeDefinition<_envoy_extensions_filters_network_http_connection_manager_v3_ResponseMapper, _envoy_extensions_filters_network_http_connection_manager_v3_ResponseMapper__Output>
              ScopedRds: MessageTypeDefinition<_envoy_extensions_filters_network_http_connection_manager_v3_ScopedRds, _envoy_extensions_filters_network_http_connection_manager_v3_ScopedRds__Output>
              ScopedRouteConfigurationsList: MessageTypeDefinition<_envoy_extensions_filters_network_http_connection_manager_v3_ScopedRouteConfigurationsList, _envoy_extensions_filters_network_http_connection_manager_v3_ScopedRouteConfigurationsList__Output>
              ScopedRoutes: MessageTypeDefinition<_envoy_extensions_filters_network_http_connection_manager_v3_ScopedRoutes, _envoy_extensions_filters_network_http_connection_manager_v3_ScopedRoutes__Output>
            }
          }
          rbac: {
            v3: {
              RBAC: MessageTypeDefinition<_envoy_extensions_filters_network_rbac_v3_RBAC, _envoy_extensions_filters_network_rbac_v3_RBAC__Output>
            }
          }
          tcp_proxy: {
            v3: {
              TcpProxy: MessageTypeDefinition<_envoy_extensions_filters_network_tcp_proxy_v3_TcpProxy, _envoy_extensions_filters_network_tcp_proxy_v3_TcpProxy__Output>
            }
          }
        }
        udp: {
          dns_filter: {
            v3: {
              DnsFilterConfig: MessageTypeDefinition<_envoy_extensions_filters_udp_dns_filter_v3_DnsFilterConfig, _envoy_extensions_filters_udp_dns_filter_v3_DnsFilterConfig__Output>
            }
          }
        }
      }
      transport_sockets: {
        tls: {
          v3: {
            CertificateProviderPluginInstance: MessageTypeDefinition<_envoy_extensions_transport_sockets_tls_v3_CertificateProviderPluginInstance, _envoy_extensions_transport_sockets_tls_v3_CertificateProviderPluginInstance__Output>
            CertificateValidationContext: MessageTypeDefinition<_envoy_extensions_transport_sockets_tls_v3_CertificateValidationContext, _envoy_extensions_transport_sockets_tls_v3_CertificateValidationContext__Output>
            CommonTlsContext: MessageTypeDefinition<_envoy_extensions_transport_sockets_tls_v3_CommonTlsContext, _envoy_extensions_transport_sockets_tls_v3_CommonTlsContext__Output>
            DownstreamTlsContext: MessageTypeDefinition<_envoy_extensions_transport_sockets_tls_v3_DownstreamTlsContext, _envoy_extensions_transport_sockets_tls_v3_DownstreamTlsContext__Output>
            GenericSecret: MessageTypeDefinition<_envoy_extensions_transport_sockets_tls_v3_GenericSecret, _envoy_extensions_transport_sockets_tls_v3_GenericSecret__Output>
            PrivateKeyProvider: MessageTypeDefinition<_envoy_extensions_transport_sockets_tls_v3_PrivateKeyProvider, _envoy_extensions_transport_sockets_tls_v3_PrivateKeyProvider__Output>
            SdsSecretConfig: MessageTypeDefinition<_envoy_extensions_transport_sockets_tls_v3_SdsSecretConfig, _envoy_extensions_transport_sockets_tls_v3_SdsSecretConfig__Output>
            Secret: MessageTypeDefinition<_envoy_extensions_transport_sockets_tls_v3_Secret, _envoy_extensions_transport_sockets_tls_v3_Secret__Output>
            SubjectAltNameMatcher: MessageTypeDefinition<_envoy_extensions_transport_sockets_tls_v3_SubjectAltNameMatcher, _envoy_extensions_transport_sockets_tls_v3_SubjectAltNameMatcher__Output>
            TlsCertificate: MessageTypeDefinition<_envoy_extensions_transport_sockets_tls_v3_TlsCertificate, _envoy_extensions_transport_sockets_tls_v3_TlsCertificate__Output>
            TlsKeyLog: MessageTypeDefinition<_envoy_extensions_transport_sockets_tls_v3_TlsKeyLog, _envoy_extensions_transport_sockets_tls_v3_TlsKeyLog__Output>
            TlsParameters: MessageTypeDefinition<_envoy_extensions_transport_sockets_tls_v3_TlsParameters, _envoy_extensions_transport_sockets_tls_v3_TlsParameters__Output>
            TlsSessionTicketKeys: MessageTypeDefinition<_envoy_extensions_transport_sockets_tls_v3_TlsSessionTicketKeys, _envoy_extensions_transport_sockets_tls_v3_TlsSessionTicketKeys__Output>
            UpstreamTlsContext: MessageTypeDefinition<_envoy_extensions_transport_sockets_tls_v3_UpstreamTlsContext, _envoy_extensions_transport_sockets_tls_v3_UpstreamTlsContext__Output>
          }
        }
      }
      upstreams: {
        http: {
          v3: {
            HttpProtocolOptions: MessageTypeDefinition<_envoy_extensions_upstreams_http_v3_HttpProtocolOptions, _envoy_extensions_upstreams_http_v3_HttpProtocolOptions__Output>
          }
        }
      }
    }
    service: {
      discovery: {
        v3: {
          AdsDummy: MessageTypeDefinition<_envoy_service_discovery_v3_AdsDummy, _envoy_service_discovery_v3_AdsDummy__Output>
          AggregatedDiscoveryService: SubtypeConstructor<typeof grpc.Client, _envoy_service_discovery_v3_AggregatedDiscoveryServiceClient> & { service: _envoy_service_discovery_v3_AggregatedDiscoveryServiceDefinition }
          DeltaDiscoveryRequest: MessageTypeDefinition<_envoy_service_discovery_v3_DeltaDiscoveryRequest, _envoy_service_discovery_v3_DeltaDiscoveryRequest__Output>
          DeltaDiscoveryResponse: MessageTypeDefinition<_envoy_service_discovery_v3_DeltaDiscoveryResponse, _envoy_service_discovery_v3_DeltaDiscoveryResponse__Output>
          DiscoveryRequest: MessageTypeDefinition<_envoy_service_discovery_v3_DiscoveryRequest, _envoy_service_discovery_v3_DiscoveryRequest__Output>
          DiscoveryResponse: MessageTypeDefinition<_envoy_service_discovery_v3_DiscoveryResponse, _envoy_service_discovery_v3_DiscoveryResponse__Output>
          DynamicParameterConstraints: MessageTypeDefinition<_envoy_service_discovery_v3_DynamicParameterConstraints, _envoy_service_discovery_v3_DynamicParameterConstraints__Output>
          Resource: MessageTypeDefinition<_envoy_service_discovery_v3_Resource, _envoy_service_discovery_v3_Resource__Output>
          ResourceLocator: MessageTypeDefinition<_envoy_service_discovery_v3_ResourceLocator, _envoy_service_discovery_v3_ResourceLocator__Output>
          ResourceName: MessageTypeDefinition<_envoy_service_discovery_v3_ResourceName, _envoy_service_discovery_v3_ResourceName__Output>
        }
      }
      secret: {
        v3: {
          SdsDummy: MessageTypeDefinition<_envoy_service_secret_v3_SdsDummy, _envoy_service_secret_v3_SdsDummy__Output>
          SecretDiscoveryService: SubtypeConstructor<typeof grpc.Client, _envoy_service_secret_v3_SecretDiscoveryServiceClient> & { service: _envoy_service_secret_v3_SecretDiscoveryServiceDefinition }
        }
      }
    }
    type: {
      http: {
        v3: {
          PathTransformation: MessageTypeDefinition<_envoy_type_http_v3_PathTransformation, _envoy_type_http_v3_PathTransformation__Output>
        }
      }
      matcher: {
        v3: {
          DoubleMatcher: MessageTypeDefinition<_envoy_type_matcher_v3_DoubleMatcher, _envoy_type_matcher_v3_DoubleMatcher__Output>
          FilterStateMatcher: MessageTypeDefinition<_envoy_type_matcher_v3_FilterStateMatcher, _envoy_type_matcher_v3_FilterStateMatcher__Output>
          ListMatcher: MessageTypeDefinition<_envoy_type_matcher_v3_ListMatcher, _envoy_type_matcher_v3_ListMatcher__Output>
          ListStringMatcher: MessageTypeDefinition<_envoy_type_matcher_v3_ListStringMatcher, _envoy_type_matcher_v3_ListStringMatcher__Output>
          MetadataMatcher: MessageTypeDefinition<_envoy_type_matcher_v3_MetadataMatcher, _envoy_type_matcher_v3_MetadataMatcher__Output>
          OrMatcher: MessageTypeDefinition<_envoy_type_matcher_v3_OrMatcher, _envoy_type_matcher_v3_OrMatcher__Output>
          PathMatcher: MessageTypeDefinition<_envoy_type_matcher_v3_PathMatcher, _envoy_type_matcher_v3_PathMatcher__Output>
          RegexMatchAndSubstitute: MessageTypeDefinition<_envoy_type_matcher_v3_RegexMatchAndSubstitute, _envoy_type_matcher_v3_RegexMatchAndSubstitute__Output>
          RegexMatcher: MessageTypeDefinition<_envoy_type_matcher_v3_RegexMatcher, _envoy_type_matcher_v3_RegexMatcher__Output>
          StringMatcher: MessageTypeDefinition<_envoy_type_matcher_v3_StringMatcher, _envoy_type_matcher_v3_StringMatcher__Output>
          ValueMatcher: MessageTypeDefinition<_envoy_type_matcher_v3_ValueMatcher, _envoy_type_matcher_v3_ValueMatcher__Output>
        }
      }
      metadata: {
        v3: {
          MetadataKey: MessageTypeDefinition<_envoy_type_metadata_v3_MetadataKey, _envoy_type_metadata_v3_MetadataKey__Output>
          MetadataKind: MessageTypeDefinition<_envoy_type_metadata_v3_MetadataKind, _envoy_type_metadata_v3_MetadataKind__Output>
        }
      }
      tracing: {
        v3: {
          CustomTag: MessageTypeDefinition<_envoy_type_tracing_v3_CustomTag, _envoy_type_tracing_v3_CustomTag__Output>
        }
      }
      v3: {
        CodecClientType: EnumTypeDefinition
        DoubleRange: MessageTypeDefinition<_envoy_type_v3_DoubleRange, _envoy_type_v3_DoubleRange__Output>
        FractionalPercent: MessageTypeDefinition<_envoy_type_v3_FractionalPercent, _envoy_type_v3_FractionalPercent__Output>
        HashPolicy: MessageTypeDefinition<_envoy_type_v3_HashPolicy, _envoy_type_v3_HashPolicy__Output>
        Int32Range: MessageTypeDefinition<_envoy_type_v3_Int32Range, _envoy_type_v3_Int32Range__Output>
        Int64Range: MessageTypeDefinition<_envoy_type_v3_Int64Range, _envoy_type_v3_Int64Range__Output>
        Percent: MessageTypeDefinition<_envoy_type_v3_Percent, _envoy_type_v3_Percent__Output>
        SemanticVersion: MessageTypeDefinition<_envoy_type_v3_SemanticVersion, _envoy_type_v3_SemanticVersion__Output>
      }
    }
  }
  google: {
    api: {
      CustomHttpPattern: MessageTypeDefinition<_google_api_CustomHttpPattern, _google_api_CustomHttpPattern__Output>
      Http: MessageTypeDefinition<_google_api_Http, _google_api_Http__Output>
      HttpRule: MessageTypeDefinition<_google_api_HttpRule, _google_api_HttpRule__Output>
      expr: {
        v1alpha1: {
          CheckedExpr: MessageTypeDefinition<_google_api_expr_v1alpha1_CheckedExpr, _google_api_expr_v1alpha1_CheckedExpr__Output>
          Constant: MessageTypeDefinition<_google_api_expr_v1alpha1_Constant, _google_api_expr_v1alpha1_Constant__Output>
          Decl: MessageTypeDefinition<_google_api_expr_v1alpha1_Decl, _google_api_expr_v1alpha1_Decl__Output>
          Expr: MessageTypeDefinition<_google_api_expr_v1alpha1_Expr, _google_api_expr_v1alpha1_Expr__Output>
          ParsedExpr: MessageTypeDefinition<_google_api_expr_v1alpha1_ParsedExpr, _google_api_expr_v1alpha1_ParsedExpr__Output>
          Reference: MessageTypeDefinition<_google_api_expr_v1alpha1_Reference, _google_api_expr_v1alpha1_Reference__Output>
          SourceInfo: MessageTypeDefinition<_google_api_expr_v1alpha1_SourceInfo, _google_api_expr_v1alpha1_SourceInfo__Output>
          SourcePosition: MessageTypeDefinition<_google_api_expr_v1alpha1_SourcePosition, _google_api_expr_v1alpha1_SourcePosition__Output>
          Type: MessageTypeDefinition<_google_api_expr_v1alpha1_Type, _google_api_expr_v1alpha1_Type__Output>
        }
      }
    }
    protobuf: {
      Any: MessageTypeDefinition<_google_protobuf_Any, _google_protobuf_Any__Output>
      BoolValue: MessageTypeDefinition<_google_protobuf_BoolValue, _google_protobuf_BoolValue__Output>
      BytesValue: MessageTypeDefinition<_google_protobuf_BytesValue, _google_protobuf_BytesValue__Output>
      DescriptorProto: MessageTypeDefinition<_google_protobuf_DescriptorProto, _google_protobuf_DescriptorProto__Output>
      DoubleValue: MessageTypeDefinition<_google_protobuf_DoubleValue, _google_protobuf_DoubleValue__Output>
      Duration: MessageTypeDefinition<_google_protobuf_Duration, _google_protobuf_Duration__Output>
      Edition: EnumTypeDefinition
      Empty: MessageTypeDefinition<_google_protobuf_Empty, _google_protobuf_Empty__Output>
      EnumDescriptorProto: MessageTypeDefinition<_google_protobuf_EnumDescriptorProto, _google_protobuf_EnumDescriptorProto__Output>
      EnumOptions: MessageTypeDefinition<_google_protobuf_EnumOptions, _google_protobuf_EnumOptions__Output>
      EnumValueDescriptorProto: MessageTypeDefinition<_google_protobuf_EnumValueDescriptorProto, _google_protobuf_EnumValueDescriptorProto__Output>
      EnumValueOptions: MessageTypeDefinition<_google_protobuf_EnumValueOptions, _google_protobuf_EnumValueOptions__Output>
      ExtensionRangeOptions: MessageTypeDefinition<_google_protobuf_ExtensionRangeOptions, _google_protobuf_ExtensionRangeOptions__Output>
      FeatureSet: MessageTypeDefinition<_google_protobuf_FeatureSet, _google_protobuf_FeatureSet__Output>
      FeatureSetDefaults: MessageTypeDefinition<_google_protobuf_FeatureSetDefaults, _google_protobuf_FeatureSetDefaults__Output>
      FieldDescriptorProto: MessageTypeDefinition<_google_protobuf_FieldDescriptorProto, _google_protobuf_FieldDescriptorProto__Output>
      FieldOptions: MessageTypeDefinition<_google_protobuf_FieldOptions, _google_protobuf_FieldOptions__Output>
      FileDescriptorProto: MessageTypeDefinition<_google_protobuf_FileDescriptorProto, _google_protobuf_FileDescriptorProto__Output>
      FileDescriptorSet: MessageTypeDefinition<_google_protobuf_FileDescriptorSet, _google_protobuf_FileDescriptorSet__Output>
      FileOptions: MessageTypeDefinition<_google_protobuf_FileOptions, _google_protobuf_FileOptions__Output>
      FloatValue: MessageTypeDefinition<_google_protobuf_FloatValue, _google_protobuf_FloatValue__Output>
      GeneratedCodeInfo: MessageTypeDefinition<_google_protobuf_GeneratedCodeInfo, _google_protobuf_GeneratedCodeInfo__Output>
      Int32Value: MessageTypeDefinition<_google_protobuf_Int32Value, _google_protobuf_Int32Value__Output>
      Int64Value: MessageTypeDefinition<_google_protobuf_Int64Value, _google_protobuf_Int64Value__Output>
      ListValue: MessageTypeDefinition<_google_protobuf_ListValue, _google_protobuf_ListValue__Output>
      MessageOptions: MessageTypeDefinition<_google_protobuf_MessageOptions, _google_protobuf_MessageOptions__Output>
      MethodDescriptorProto: MessageTypeDefinition<_google_protobuf_MethodDescriptorProto, _google_protobuf_MethodDescriptorProto__Output>
      MethodOptions: MessageTypeDefinition<_google_protobuf_MethodOptions, _google_protobuf_MethodOptions__Output>
      NullValue: EnumTypeDefinition
      OneofDescriptorProto: MessageTypeDefinition<_google_protobuf_OneofDescriptorProto, _google_protobuf_OneofDescriptorProto__Output>
      OneofOptions: MessageTypeDefinition<_google_protobuf_OneofOptions, _google_protobuf_OneofOptions__Output>
      ServiceDescriptorProto: MessageTypeDefinition<_google_protobuf_ServiceDescriptorProto, _google_protobuf_ServiceDescriptorProto__Output>
      ServiceOptions: MessageTypeDefinition<_google_protobuf_ServiceOptions, _google_protobuf_ServiceOptions__Output>
      SourceCodeInfo: MessageTypeDefinition<_google_protobuf_SourceCodeInfo, _google_protobuf_SourceCodeInfo__Output>
      StringValue: MessageTypeDefinition<_google_protobuf_StringValue, _google_protobuf_StringValue__Output>
      Struct: MessageTypeDefinition<_google_protobuf_Struct, _google_protobuf_Struct__Output>
      SymbolVisibility: EnumTypeDefinition
      Timestamp: MessageTypeDefinition<_google_protobuf_Timestamp, _google_protobuf_Timestamp__Output>
      UInt32Value: MessageTypeDefinition<_google_protobuf_UInt32Value, _google_protobuf_UInt32Value__Output>
      UInt64Value: MessageTypeDefinition<_google_protobuf_UInt64Value, _google_protobuf_UInt64Value__Output>
      UninterpretedOption: MessageTypeDefinition<_google_protobuf_UninterpretedOption, _google_protobuf_UninterpretedOption__Output>
      Value: MessageTypeDefinition<_google_protobuf_Value, _google_protobuf_Value__Output>
    }
    rpc: {
      Status: MessageTypeDefinition<_google_rpc_Status, _google_rpc_Status__Output>
    }
  }
  udpa: {
    annotations: {
      FieldMigrateAnnotation: MessageTypeDefinition<_udpa_annotations_FieldMigrateAnnotation, _udpa_annotations_FieldMigrateAnnotation__Output>
      FieldSecurityAnnotation: MessageTypeDefinition<_udpa_annotations_FieldSecurityAnnotation, _udpa_annotations_FieldSecurityAnnotation__Output>
      FileMigrateAnnotation: MessageTypeDefinition<_udpa_annotations_FileMigrateAnnotation, _udpa_annotations_FileMigrateAnnotation__Output>
      MigrateAnnotation: MessageTypeDefinition<_udpa_annotations_MigrateAnnotation, _udpa_annotations_MigrateAnnotation__Output>
      PackageVersionStatus: EnumTypeDefinition
      StatusAnnotation: MessageTypeDefinition<_udpa_annotations_StatusAnnotation, _udpa_annotations_StatusAnnotation__Output>
      VersioningAnnotation: MessageTypeDefinition<_udpa_annotations_VersioningAnnotation, _udpa_annotations_VersioningAnnotation__Output>
    }
  }
  validate: {
    AnyRules: MessageTypeDefinition<_validate_AnyRules, _validate_AnyRules__Output>
    BoolRules: MessageTypeDefinition<_validate_BoolRules, _validate_BoolRules__Output>
    BytesRules: MessageTypeDefinition<_validate_BytesRules, _validate_BytesRules__Output>
    DoubleRules: MessageTypeDefinition<_validate_DoubleRules, _validate_DoubleRules__Output>
    DurationRules: MessageTypeDefinition<_validate_DurationRules, _validate_DurationRules__Output>
    EnumRules: MessageTypeDefinition<_validate_EnumRules, _validate_EnumRules__Output>
    FieldRules: MessageTypeDefinition<_validate_FieldRules, _validate_FieldRules__Output>
    Fixed32Rules: MessageTypeDefinition<_validate_Fixed32Rules, _validate_Fixed32Rules__Output>
    Fixed64Rules: MessageTypeDefinition<_validate_Fixed64Rules, _validate_Fixed64Rules__Output>
    FloatRules: MessageTypeDefinition<_validate_FloatRules, _validate_FloatRules__Output>
    Int32Rules: MessageTypeDefinition<_validate_Int32Rules, _validate_Int32Rules__Output>
    Int64Rules: MessageTypeDefinition<_validate_Int64Rules, _validate_Int64Rules__Output>
    KnownRegex: EnumTypeDefinition
    MapRules: MessageTypeDefinition<_validate_MapRules, _validate_MapRules__Output>
    MessageRules: MessageTypeDefinition<_validate_MessageRules, _validate_MessageRules__Output>
    RepeatedRules: MessageTypeDefinition<_validate_RepeatedRules, _validate_RepeatedRules__Output>
    SFixed32Rules: MessageTypeDefinition<_validate_SFixed32Rules, _validate_SFixed32Rules__Output>
    SFixed64Rules: MessageTypeDefinition<_validate_SFixed64Rules, _validate_SFixed64Rules__Output>
    SInt32Rules: MessageTypeDefinition<_validate_SInt32Rules, _validate_SInt32Rules__Output>
    SInt64Rules: MessageTypeDefinition<_validate_SInt64Rules, _validate_SInt64Rules__Output>
    StringRules: MessageTypeDefinition<_validate_StringRules, _validate_StringRules__Output>
    TimestampRules: MessageTypeDefinition<_validate_TimestampRules, _validate_TimestampRules__Output>
    UInt32Rules: MessageTypeDefinition<_validate_UInt32Rules, _validate_UInt32Rules__Output>
    UInt64Rules: MessageTypeDefinition<_validate_UInt64Rules, _validate_UInt64Rules__Output>
  }
  xds: {
    annotations: {
      v3: {
        FieldStatusAnnotation: MessageTypeDefinition<_xds_annotations_v3_FieldStatusAnnotation, _xds_annotations_v3_FieldStatusAnnotation__Output>
        FileStatusAnnotation: MessageTypeDefinition<_xds_annotations_v3_FileStatusAnnotation, _xds_annotations_v3_FileStatusAnnotation__Output>
        MessageStatusAnnotation: MessageTypeDefinition<_xds_annotations_v3_MessageStatusAnnotation, _xds_annotations_v3_MessageStatusAnnotation__Output>
        PackageVersionStatus: EnumTypeDefinition
        StatusAnnotation: MessageTypeDefinition<_xds_annotations_v3_StatusAnnotation, _xds_annotations_v3_StatusAnnotation__Output>
      }
    }
    core: {
      v3: {
        Authority: MessageTypeDefinition<_xds_core_v3_Authority, _xds_core_v3_Authority__Output>
        CollectionEntry: MessageTypeDefinition<_xds_core_v3_CollectionEntry, _xds_core_v3_CollectionEntry__Output>
        ContextParams: MessageTypeDefinition<_xds_core_v3_ContextParams, _xds_core_v3_ContextParams__Output>
        ResourceLocator: MessageTypeDefinition<_xds_core_v3_ResourceLocator, _xds_core_v3_ResourceLocator__Output>
        TypedExtensionConfig: MessageTypeDefinition<_xds_core_v3_TypedExtensionConfig, _xds_core_v3_TypedExtensionConfig__Output>
      }
    }
    type: {
      matcher: {
        v3: {
          ListStringMatcher: MessageTypeDefinition<_xds_type_matcher_v3_ListStringMatcher, _xds_type_matcher_v3_ListStringMatcher__Output>
          Matcher: MessageTypeDefinition<_xds_type_matcher_v3_Matcher, _xds_type_matcher_v3_Matcher__Output>
          RegexMatcher: MessageTypeDefinition<_xds_type_matcher_v3_RegexMatcher, _xds_type_matcher_v3_RegexMatcher__Output>
          StringMatcher: MessageTypeDefinition<_xds_type_matcher_v3_StringMatcher, _xds_type_matcher_v3_StringMatcher__Output>
        }
      }
    }
  }
}

