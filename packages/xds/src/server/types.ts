/**
 * What the ADS server and the zone share: the node a proxy sends, the requests of both protocols, the
 * registry the server asks to admit proxies and tells about responses, ACKs and NACKs, and the error
 * that ends a stream with a gRPC status.
 */
import type * as grpc from '@grpc/grpc-js';

export interface XdsNode {
  id?: string;
  cluster?: string;
  metadata?: Record<string, unknown>;
  user_agent_name?: string;
  user_agent_version?: string;
}

/** A state-of-the-world request (envoy.service.discovery.v3.DiscoveryRequest). */
export interface DiscoveryRequest {
  version_info?: string;
  node?: XdsNode;
  resource_names?: string[];
  type_url?: string;
  response_nonce?: string;
  error_detail?: { code?: number; message?: string };
}

/** An error that ends a stream with a gRPC status. */
export class AdsError extends Error {
  constructor(
    readonly code: grpc.status,
    message: string,
  ) {
    super(message);
    this.name = 'AdsError';
  }
}

export interface ConnectInfo {
  node: XdsNode;
  /** Bearer token from the `authorization` call header, or `dataplane.token` in the node metadata. */
  token: string | undefined;
  streamId: string;
  peer: string;
}

/** What the server needs from the zone: authentication, registration and bookkeeping. */
export interface ProxyRegistry {
  /** Authenticates and registers the proxy of a new stream; returns the key of its snapshot. Throws AdsError to refuse. */
  connect(info: ConnectInfo): Promise<string>;
  disconnect(key: string, streamId: string): void;
  onResponse(key: string, streamId: string, typeUrl: string, version: string): void;
  onAck(key: string, streamId: string, typeUrl: string, version: string): void;
  onNack(key: string, streamId: string, typeUrl: string, version: string, error: string): void;
}

/** An incremental request (envoy.service.discovery.v3.DeltaDiscoveryRequest). */
export interface DeltaDiscoveryRequest {
  node?: XdsNode;
  type_url?: string;
  resource_names_subscribe?: string[];
  resource_names_unsubscribe?: string[];
  initial_resource_versions?: Record<string, string>;
  response_nonce?: string;
  error_detail?: { code?: number; message?: string };
}
