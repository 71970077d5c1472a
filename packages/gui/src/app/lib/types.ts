/**
 * The API's JSON shapes as the GUI reads them (Kuma's universal format: meta fields, then the spec at the
 * top level, or under `spec` for the new-style policies). Only the fields the GUI uses are typed; the
 * browser bundle does not import @causeway/core (which carries Node-only validation).
 */
export type Tags = Record<string, string>;

export const SERVICE_TAG = 'kuma.io/service';
export const PROTOCOL_TAG = 'kuma.io/protocol';
export const ZONE_TAG = 'kuma.io/zone';
/** Set by multi-zone sync on what a zone publishes to global. */
export const ZONE_LABEL = 'causeway.io/zone';

export interface Meta {
  type: string;
  mesh?: string;
  name: string;
  creationTime?: string;
  modificationTime?: string;
  version?: number;
  labels?: Record<string, string>;
}

export interface ListResponse<T> {
  total: number;
  items: T[];
  next: string | null;
}

export interface IndexInfo {
  version: string;
  mode: 'global' | 'zone';
  zone?: string;
  hostname?: string;
  instanceId?: string;
  leader?: { leader: boolean; holder: string | null };
  /** Zone: the connection to global. */
  global?: { connected: boolean; reason?: string; since?: string; lastReplayTime?: string };
  /** Global: the connection to NATS / the zones. */
  sync?: { enabled: boolean; connected?: boolean; reason?: string; lastReconcileTime?: string };
}

export interface MeshSpec {
  mtls?: { enabledBackend?: string; backends?: { name: string; type: string; mode?: string }[] };
  routing?: { zoneEgress?: boolean; localityAwareLoadBalancing?: boolean };
  networking?: { outbound?: { passthrough?: boolean } };
}
export type Mesh = Meta & MeshSpec;

export interface DataSource {
  secret?: string;
  inline?: string;
  inlineString?: string;
}

export interface ExternalServiceSpec {
  tags: Tags;
  networking: {
    address: string;
    tls?: { enabled?: boolean; allowRenegotiation?: boolean; sni?: string; caCert?: DataSource; clientCert?: DataSource; clientKey?: DataSource };
  };
}
export type ExternalService = Meta & ExternalServiceSpec;

export interface Inbound {
  port: number;
  address?: string;
  servicePort?: number;
  tags: Tags;
}
export interface DataplaneSpec {
  networking: {
    address: string;
    inbound?: Inbound[];
    outbound?: { port: number; address?: string; tags: Tags }[];
    admin?: { port?: number };
  };
}
export interface DataplaneInsight {
  subscriptions?: {
    id: string;
    controlPlaneInstanceId?: string;
    connectTime: string;
    disconnectTime?: string;
    status?: { lastUpdateTime?: string; responsesSent?: number; responsesAcknowledged?: number; responsesRejected?: number };
    lastNack?: { typeUrl: string; error: string; time: string };
  }[];
  mTLS?: { certificateExpirationTime?: string; lastCertificateRegeneration?: string; certificateRegenerations?: number };
}
export interface DataplaneOverview {
  type: 'DataplaneOverview';
  mesh: string;
  name: string;
  labels?: Record<string, string>;
  creationTime?: string;
  modificationTime?: string;
  dataplane: DataplaneSpec;
  dataplaneInsight: DataplaneInsight;
  status: 'Online' | 'Offline';
}

export interface ZoneInsight {
  controlPlaneVersion?: string;
  heartbeatTime?: string;
  heartbeatInterval?: string;
  connectedProxies?: number;
  lastSyncRevision?: number;
  globalConnected?: boolean;
  resourceCounts?: Record<string, number>;
}
export interface ZoneOverview {
  type: 'ZoneOverview';
  name: string;
  creationTime?: string;
  modificationTime?: string;
  zone: { enabled?: boolean };
  zoneInsight: ZoneInsight;
  status: 'Online' | 'Offline';
}

export interface AvailableService {
  tags: Tags;
  instances?: number;
  mesh?: string;
  externalService?: boolean;
}
export interface ZoneIngressSpec {
  zone?: string;
  networking: { address: string; port: number; advertisedAddress?: string; advertisedPort?: number; admin?: { port?: number } };
  availableServices?: AvailableService[];
}
export interface ZoneEgressSpec {
  zone?: string;
  networking: { address: string; port: number; admin?: { port?: number } };
}
export interface ZoneIngressOverview {
  type: 'ZoneIngressOverview';
  name: string;
  creationTime?: string;
  modificationTime?: string;
  zoneIngress: ZoneIngressSpec;
  zone: string | null;
  zoneStatus?: 'Online' | 'Offline';
}
export interface ZoneEgressOverview {
  type: 'ZoneEgressOverview';
  name: string;
  creationTime?: string;
  modificationTime?: string;
  zoneEgress: ZoneEgressSpec;
  zone: string | null;
  zoneStatus?: 'Online' | 'Offline';
}

export interface MeshInsight {
  type: 'MeshInsight';
  name: string;
  dataplanes: { total: number; online: number; offline: number };
  services: { total: number; internal: number; external: number };
  externalServices: { total: number };
  policies: Record<string, { total: number }>;
}

export type TargetRefKind = 'Mesh' | 'MeshSubset' | 'MeshService' | 'MeshServiceSubset';
export interface TargetRef {
  kind: TargetRefKind;
  name?: string;
  tags?: Tags;
}
export type TrafficAction = 'Allow' | 'Deny' | 'AllowWithShadowDeny';

export interface PolicySpec<C = unknown> {
  targetRef?: TargetRef;
  to?: { targetRef: TargetRef; default: C }[];
  from?: { targetRef: TargetRef; default: C }[];
}
export type Policy<C = unknown> = Meta & { spec: PolicySpec<C> };

export interface TimeoutConf {
  connectionTimeout?: string;
  idleTimeout?: string;
  http?: { requestTimeout?: string; streamIdleTimeout?: string; maxStreamDuration?: string; maxConnectionDuration?: string; requestHeadersTimeout?: string };
}
export interface RetryConf {
  tcp?: { maxConnectAttempt?: number };
  http?: { numRetries?: number; perTryTimeout?: string; backOff?: { baseInterval?: string; maxInterval?: string }; retryOn?: string[] };
  grpc?: { numRetries?: number; perTryTimeout?: string; backOff?: { baseInterval?: string; maxInterval?: string }; retryOn?: string[] };
}

/** The policy types the GUI lists, with their REST path segments (Kuma's plurals). */
export const POLICY_TYPES = [
  { type: 'MeshTrafficPermission', path: 'meshtrafficpermissions', title: 'Traffic permissions' },
  { type: 'MeshTimeout', path: 'meshtimeouts', title: 'Timeouts' },
  { type: 'MeshRetry', path: 'meshretries', title: 'Retries' },
] as const;
export type PolicyType = (typeof POLICY_TYPES)[number]['type'];
