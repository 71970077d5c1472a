/**
 * Clusters: STATIC, STRICT_DNS, LOGICAL_DNS and EDS host sets, Envoy's priority load balancing
 * (overprovisioning factor 1.4, panic threshold 50 %), round robin / random / least request,
 * connect timeouts, upstream TLS, per-host HTTP/1.1 connection pools, and passive outlier detection
 * (`outlier_detection`: consecutive 5xx / gateway failures / local-origin failures eject a host for
 * base_ejection_time x number of ejections; at least one host may always be ejected).
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import { connect as netConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import type { Cluster, ClusterLoadAssignment, LbEndpoint, Locality, OutlierDetection, TransportSocket, UpstreamTlsContext } from '@causeway/envoy';
import { ENVOY_TYPE_URLS as TYPE } from '@causeway/envoy';
import { ConfigError, durationMs, unwrapNumber } from '../envoy/values.js';
import type { ClusterStats } from '../stats.js';
import { compileUpstreamTls, type SecretLookup, type UpstreamTls } from '../tls/contexts.js';
import { HostPool } from './http1.js';
import { H2HostPool } from './http2.js';

export type DnsResolve = (host: string, family: 'AUTO' | 'V4_ONLY' | 'V6_ONLY' | 'V4_PREFERRED' | 'ALL') => Promise<string[]>;

export const systemDnsResolve: DnsResolve = async (host, family) => {
  const fam = family === 'V4_ONLY' ? 4 : family === 'V6_ONLY' ? 6 : 0;
  const all = await dnsLookup(host, { all: true, family: fam });
  const v4 = all.filter((a) => a.family === 4).map((a) => a.address);
  const v6 = all.filter((a) => a.family === 6).map((a) => a.address);
  switch (family) {
    case 'V4_ONLY':
      return v4;
    case 'V6_ONLY':
      return v6;
    case 'V4_PREFERRED':
      return v4.length ? v4 : v6;
    case 'ALL':
      return [...v4, ...v6];
    default:
      return v6.length ? v6 : v4; // Envoy's AUTO prefers IPv6
  }
};

/** Why an upstream attempt failed, in Envoy's terms. */
export type UpstreamFailure = 'connect-failure' | 'connect-timeout' | 'reset' | 'timeout';

const CONNECTED = Symbol('causeway.connected');
export type UpstreamSocket = (Socket | TLSSocket) & { [CONNECTED]?: boolean };

export function isConnected(s: unknown): boolean {
  return (s as UpstreamSocket | null | undefined)?.[CONNECTED] === true;
}

export class ConnectError extends Error {
  constructor(
    message: string,
    readonly failure: 'connect-failure' | 'connect-timeout',
  ) {
    super(message);
  }
}

export class Host {
  readonly key: string;
  activeRequests = 0;
  // outlier detection state
  consecutive5xx = 0;
  consecutiveGatewayFailure = 0;
  consecutiveLocalOriginFailure = 0;
  ejectedUntil = 0;
  ejectionCount = 0;
  private connections: HostPool | undefined;
  private h2: H2HostPool | undefined;
  constructor(
    readonly cluster: ClusterRuntime,
    readonly address: string,
    readonly port: number,
    readonly weight: number,
    readonly priority: number,
    readonly locality: Locality | undefined,
    public edsHealthy: boolean,
    readonly hostname: string | undefined,
    /** TLS towards this host (the cluster's transport socket, or a transport_socket_matches entry) */
    readonly tls: UpstreamTls | undefined,
  ) {
    this.key = `${address}:${port}`;
  }

  get ejected(): boolean {
    return this.ejectedUntil > 0;
  }
  get healthy(): boolean {
    return this.edsHealthy && !this.ejected;
  }

  /** The keep-alive HTTP/1.1 connection pool to this host. */
  pool(): HostPool {
    this.connections ??= new HostPool(this);
    return this.connections;
  }

  /** The HTTP/2 session to this host. */
  h2pool(): H2HostPool {
    this.h2 ??= new H2HostPool(this);
    return this.h2;
  }

  drain(): void {
    this.connections?.drain();
    this.h2?.drain();
  }
}

interface OutlierConfig {
  consecutive5xx: number;
  consecutiveGatewayFailure: number;
  consecutiveLocalOriginFailure: number;
  enforce5xx: number;
  enforceGateway: number;
  enforceLocalOrigin: number;
  intervalMs: number;
  baseEjectionMs: number;
  maxEjectionMs: number;
  maxEjectionPercent: number;
  splitLocalOrigin: boolean;
}

function compileOutlier(o: OutlierDetection | undefined, field: string): OutlierConfig | undefined {
  if (!o) return undefined;
  const n = (v: Parameters<typeof unwrapNumber>[0], d: number, f: string) => unwrapNumber(v, `${field}.${f}`) ?? d;
  return {
    consecutive5xx: n(o.consecutive_5xx, 5, 'consecutive_5xx'),
    consecutiveGatewayFailure: n(o.consecutive_gateway_failure, 5, 'consecutive_gateway_failure'),
    consecutiveLocalOriginFailure: n(o.consecutive_local_origin_failure, 5, 'consecutive_local_origin_failure'),
    enforce5xx: n(o.enforcing_consecutive_5xx, 100, 'enforcing_consecutive_5xx'),
    enforceGateway: n(o.enforcing_consecutive_gateway_failure, 0, 'enforcing_consecutive_gateway_failure'),
    enforceLocalOrigin: n(o.enforcing_consecutive_local_origin_failure, 100, 'enforcing_consecutive_local_origin_failure'),
    intervalMs: durationMs(o.interval, `${field}.interval`) ?? 10_000,
    baseEjectionMs: durationMs(o.base_ejection_time, `${field}.base_ejection_time`) ?? 30_000,
    maxEjectionMs: durationMs(o.max_ejection_time, `${field}.max_ejection_time`) ?? 300_000,
    maxEjectionPercent: n(o.max_ejection_percent, 10, 'max_ejection_percent'),
    splitLocalOrigin: o.split_external_local_origin_errors === true,
  };
}

interface EndpointSpec {
  address: string; // IP or host name (DNS clusters)
  port: number;
  weight: number;
  priority: number;
  locality: Locality | undefined;
  healthy: boolean;
  hostname: string | undefined;
  /** filter_metadata["envoy.transport_socket_match"] */
  socketMatch: Record<string, unknown> | undefined;
}

function endpointsOf(cla: ClusterLoadAssignment | undefined, field: string): EndpointSpec[] {
  const out: EndpointSpec[] = [];
  (cla?.endpoints ?? []).forEach((lle, i) => {
    const priority = lle.priority ?? 0;
    (lle.lb_endpoints ?? []).forEach((lb: LbEndpoint, j) => {
      const sa = lb.endpoint?.address?.socket_address;
      const f = `${field}.endpoints[${i}].lb_endpoints[${j}]`;
      if (!sa?.address) throw new ConfigError(`${f}: endpoint needs a socket_address`);
      if (sa.port_value === undefined) throw new ConfigError(`${f}: endpoint needs a port_value`);
      const hs = lb.health_status ?? 'UNKNOWN';
      out.push({
        address: sa.address,
        port: sa.port_value,
        weight: unwrapNumber(lb.load_balancing_weight, `${f}.load_balancing_weight`) ?? 1,
        priority,
        locality: lle.locality,
        healthy: hs === 'UNKNOWN' || hs === 'HEALTHY' || hs === 'DEGRADED',
        hostname: lb.endpoint?.hostname,
        socketMatch: lb.metadata?.filter_metadata?.['envoy.transport_socket_match'],
      });
    });
  });
  return out;
}

export interface ClusterDeps {
  secrets: SecretLookup;
  /** whether ip:port is one of this proxy's own listeners (ORIGINAL_DST must not loop back) */
  isLocalListener?: (ip: string, port: number) => boolean;
  stats: ClusterStats;
  log: Logger;
  dns: DnsResolve;
}

/** One active version of a cluster. A config change builds a new one; the old one drains. */
function compileTransport(ts: TransportSocket | undefined, secrets: SecretLookup, field: string): UpstreamTls | undefined {
  if (!ts) return undefined;
  const t = ts.typed_config?.['@type'];
  if (t === TYPE.UpstreamTlsContext) return compileUpstreamTls(ts.typed_config as unknown as UpstreamTlsContext, secrets, field);
  if (t === TYPE.RawBuffer || (t === undefined && ts.name === 'envoy.transport_sockets.raw_buffer')) return undefined;
  throw new ConfigError(`${field}: unsupported transport socket ${ts.name} (${t ?? 'no typed_config'})`);
}

export class ClusterRuntime {
  readonly name: string;
  readonly type: 'STATIC' | 'STRICT_DNS' | 'LOGICAL_DNS' | 'EDS' | 'ORIGINAL_DST';
  readonly edsServiceName: string | undefined;
  readonly connectTimeoutMs: number;
  readonly tls: UpstreamTls | undefined;
  /** requests go upstream as HTTP/2 (explicit_http_config.http2_protocol_options) */
  readonly http2: boolean;
  private readonly socketMatches: { name: string; match: Record<string, unknown>; tls: UpstreamTls | undefined }[];
  readonly secrets: string[];
  readonly stats: ClusterStats;
  private readonly lbPolicy: 'ROUND_ROBIN' | 'RANDOM' | 'LEAST_REQUEST';
  private readonly isLocalListener: (ip: string, port: number) => boolean;
  private readonly originalDstHosts = new Map<string, Host>();
  private readonly outlier: OutlierConfig | undefined;
  private overprovisioning: number;
  private readonly panicThreshold: number;
  private readonly log: Logger;
  private readonly dns: DnsResolve;
  private readonly dnsRefreshMs: number;
  private readonly dnsFamily: NonNullable<Cluster['dns_lookup_family']>;
  private specs: EndpointSpec[] = [];
  /** hosts per priority level */
  private priorities: Host[][] = [];
  /** scratch space of chooseHost: the health of each priority level */
  private readonly levelHealth: number[] = [];
  private hostsByKey = new Map<string, Host>();
  private rr = new Map<number, number>();
  private timers: NodeJS.Timeout[] = [];
  private closed = false;
  private dnsReady: Promise<void> | undefined;

  constructor(
    readonly config: Cluster,
    deps: ClusterDeps,
  ) {
    const f = `cluster ${config.name}`;
    this.name = config.name;
    this.stats = deps.stats;
    this.log = deps.log.child({ cluster: config.name });
    this.dns = deps.dns;
    if (config.cluster_type) throw new ConfigError(`${f}: custom cluster_type ${config.cluster_type.name} is not supported`);
    // fields that change behaviour and that this proxy does not support: rejected (NACK) rather than silently ignored
    const extra = config as unknown as Record<string, unknown>;
    for (const k of ['health_checks', 'lb_subset_config', 'ring_hash_lb_config', 'maglev_lb_config', 'load_balancing_policy']) {
      const v = extra[k];
      if (v !== undefined && !(Array.isArray(v) && v.length === 0)) throw new ConfigError(`${f}: ${k} is not supported by this proxy`);
    }
    const type = config.type ?? 'STATIC';
    if (!['STATIC', 'STRICT_DNS', 'LOGICAL_DNS', 'EDS', 'ORIGINAL_DST'].includes(type)) throw new ConfigError(`${f}: unsupported type ${type}`);
    this.type = type;
    this.edsServiceName = type === 'EDS' ? (config.eds_cluster_config?.service_name ?? config.name) : undefined;
    this.connectTimeoutMs = durationMs(config.connect_timeout, `${f}.connect_timeout`) ?? 5000;
    const lb = config.lb_policy ?? 'ROUND_ROBIN';
    if (type === 'ORIGINAL_DST') {
      if (lb !== 'CLUSTER_PROVIDED' && lb !== 'ROUND_ROBIN') throw new ConfigError(`${f}: ORIGINAL_DST needs lb_policy CLUSTER_PROVIDED`);
      this.lbPolicy = 'ROUND_ROBIN';
    } else {
      if (lb !== 'ROUND_ROBIN' && lb !== 'RANDOM' && lb !== 'LEAST_REQUEST') throw new ConfigError(`${f}: unsupported lb_policy ${lb}`);
      this.lbPolicy = lb;
    }
    this.isLocalListener = deps.isLocalListener ?? (() => false);
    this.outlier = compileOutlier(config.outlier_detection, `${f}.outlier_detection`);
    const panic = config.common_lb_config?.healthy_panic_threshold;
    this.panicThreshold = panic === undefined ? 50 : Number(typeof panic === 'object' ? (panic.value ?? 0) : panic);
    this.dnsRefreshMs = durationMs(config.dns_refresh_rate, `${f}.dns_refresh_rate`) ?? 5000;
    this.dnsFamily = config.dns_lookup_family ?? 'AUTO';
    this.overprovisioning = (unwrapNumber(config.load_assignment?.policy?.overprovisioning_factor, `${f}.load_assignment.policy.overprovisioning_factor`) ?? 140) / 100;
    this.tls = compileTransport(config.transport_socket, deps.secrets, `${f}.transport_socket`);
    this.socketMatches = (config.transport_socket_matches ?? []).map((m, i) => {
      const tm = m as { name?: string; match?: Record<string, unknown>; transport_socket?: TransportSocket };
      const ff = `${f}.transport_socket_matches[${i}]`;
      return { name: tm.name ?? String(i), match: tm.match ?? {}, tls: compileTransport(tm.transport_socket, deps.secrets, `${ff}.transport_socket`) };
    });
    const opts = config.typed_extension_protocol_options?.['envoy.extensions.upstreams.http.v3.HttpProtocolOptions'];
    const explicit = (opts as { explicit_http_config?: Record<string, unknown> } | undefined)?.explicit_http_config;
    if (opts && !explicit) throw new ConfigError(`${f}: HttpProtocolOptions without explicit_http_config are not supported`);
    this.http2 = explicit !== undefined && 'http2_protocol_options' in explicit;
    this.secrets = [...(this.tls?.secrets ?? []), ...this.socketMatches.flatMap((m) => m.tls?.secrets ?? [])];
    if (type === 'STATIC' || type === 'STRICT_DNS' || type === 'LOGICAL_DNS') {
      this.specs = endpointsOf(config.load_assignment, `${f}.load_assignment`);
      if (type === 'STATIC') {
        for (const s of this.specs) if (!isIP(s.address)) throw new ConfigError(`${f}: STATIC endpoint ${s.address} is not an IP address`);
        this.rebuild(this.specs);
      }
    }
  }

  /** Starts DNS resolution and outlier timers. */
  start(): void {
    if (this.type === 'STRICT_DNS' || this.type === 'LOGICAL_DNS') {
      this.dnsReady = this.resolve();
      const t = setInterval(() => void this.resolve(), this.dnsRefreshMs);
      t.unref();
      this.timers.push(t);
    }
    if (this.outlier) {
      const t = setInterval(() => this.outlierTick(), this.outlier.intervalMs);
      t.unref();
      this.timers.push(t);
    }
  }

  /** Resolves when the first DNS resolution is done (DNS clusters), at once otherwise. */
  async ready(): Promise<void> {
    await this.dnsReady;
  }

  private async resolve(): Promise<void> {
    const resolved: EndpointSpec[] = [];
    for (const s of this.specs) {
      if (isIP(s.address)) {
        resolved.push(s);
        continue;
      }
      try {
        const ips = await this.dns(s.address, this.dnsFamily);
        const chosen = this.type === 'LOGICAL_DNS' ? ips.slice(0, 1) : ips;
        for (const ip of chosen) resolved.push({ ...s, address: ip, hostname: s.hostname ?? s.address });
      } catch (e) {
        // Envoy keeps the previous hosts of a name that fails to resolve
        this.log.warn({ host: s.address, err: (e as Error).message }, 'DNS resolution failed; keeping previous hosts');
        for (const h of this.hostsByKey.values()) if (h.hostname === s.address) resolved.push({ ...s, address: h.address });
      }
    }
    if (!this.closed) this.rebuild(resolved);
  }

  /** EDS: the new ClusterLoadAssignment of this cluster. */
  setLoadAssignment(cla: ClusterLoadAssignment | undefined): void {
    const specs = endpointsOf(cla, `ClusterLoadAssignment ${cla?.cluster_name ?? this.name}`);
    const op = unwrapNumber(cla?.policy?.overprovisioning_factor, 'policy.overprovisioning_factor');
    if (op !== undefined) this.overprovisioning = op / 100;
    this.rebuild(specs);
  }

  /** Replaces the host set, keeping Host objects (pools, outlier state) of endpoints that remain. */
  private rebuild(specs: EndpointSpec[]): void {
    const next = new Map<string, Host>();
    const prios: Host[][] = [];
    for (const s of specs) {
      const key = `${s.address}:${s.port}`;
      let h = this.hostsByKey.get(key);
      const tls = this.transportFor(s.socketMatch);
      if (!h || h.priority !== s.priority || h.weight !== s.weight || h.tls !== tls) {
        h = new Host(this, s.address, s.port, s.weight, s.priority, s.locality, s.healthy, s.hostname, tls);
      } else h.edsHealthy = s.healthy;
      if (next.has(key)) continue;
      next.set(key, h);
      const level = prios[s.priority] ?? [];
      level.push(h);
      prios[s.priority] = level;
    }
    for (const [k, h] of this.hostsByKey) if (next.get(k) !== h) h.drain();
    this.hostsByKey = next;
    this.priorities = Array.from(prios, (p) => p ?? []);
    this.updateMembership();
  }

  private updateMembership(): void {
    let healthy = 0;
    let ejected = 0;
    for (const h of this.hostsByKey.values()) {
      if (h.healthy) healthy++;
      if (h.ejected) ejected++;
    }
    this.stats.membership_total = this.hostsByKey.size;
    this.stats.membership_healthy = healthy;
    this.stats.outlier_detection_ejections_active = ejected;
  }

  /** The transport of an endpoint: the first transport_socket_matches entry whose labels it carries, else the cluster's. */
  private transportFor(meta: Record<string, unknown> | undefined): UpstreamTls | undefined {
    for (const m of this.socketMatches) {
      const entries = Object.entries(m.match);
      if (entries.every(([k, v]) => meta !== undefined && meta[k] === v)) return m.tls;
    }
    return this.tls;
  }

  hosts(): Host[] {
    return [...this.hostsByKey.values()];
  }

  /**
   * Picks a host: a priority level by Envoy's priority load (health x overprovisioning factor, spilling
   * to the next level), then a host of that level by the lb policy; a level below the panic threshold
   * balances over all its hosts. `avoid` holds hosts already tried by this request (retries).
   */
  chooseHost(avoid?: Set<Host>, downstream?: { destinationIp: string; destinationPort: number }): Host | undefined {
    if (this.type === 'ORIGINAL_DST') {
      // the host is where the downstream connection was going; never one of our own listeners (a loop)
      if (!downstream || this.isLocalListener(downstream.destinationIp, downstream.destinationPort)) return undefined;
      const key = `${downstream.destinationIp}:${downstream.destinationPort}`;
      let h = this.originalDstHosts.get(key);
      if (!h) {
        if (this.originalDstHosts.size >= 1024) this.originalDstHosts.clear();
        h = new Host(this, downstream.destinationIp, downstream.destinationPort, 1, 0, undefined, true, undefined, this.tls);
        this.originalDstHosts.set(key, h);
      }
      return h;
    }
    // (per request: loops over the levels instead of intermediate arrays)
    const prios = this.priorities;
    const health = this.levelHealth;
    let levels = 0;
    let first = -1;
    let sum = 0;
    for (let i = 0; i < prios.length; i++) {
      const p = prios[i] as Host[];
      if (p.length === 0) continue;
      if (first < 0) first = i;
      levels++;
      let healthy = 0;
      for (const h of p) if (h.healthy) healthy++;
      const hl = Math.min(100, (healthy / p.length) * 100 * this.overprovisioning);
      health[i] = hl;
      sum += hl;
    }
    if (levels === 0) return undefined;
    const total = Math.min(100, sum);
    let levelIndex = first; // everything unhealthy: panic on the first level
    if (total > 0) {
      // each level takes what its health allows of what the levels above left (Envoy's priority load)
      let remaining = 100;
      let r = Math.random() * total;
      let seen = 0;
      for (let i = 0; i < prios.length; i++) {
        if ((prios[i] as Host[]).length === 0) continue;
        seen++;
        const load = Math.min(remaining, health[i] as number);
        remaining -= load;
        levelIndex = i;
        if (seen === levels || r < load) break;
        r -= load;
      }
    }
    const level = prios[levelIndex] as Host[];
    let healthy = 0;
    for (const h of level) if (h.healthy) healthy++;
    const panic = (healthy / level.length) * 100 < this.panicThreshold;
    let candidates = panic || healthy === 0 || healthy === level.length ? level : level.filter((h) => h.healthy);
    if (avoid && avoid.size > 0 && candidates.length > 1) {
      const fresh = candidates.filter((h) => !avoid.has(h));
      if (fresh.length > 0) candidates = fresh;
    }
    return this.pick(candidates, levelIndex);
  }

  private pick(hosts: Host[], levelIndex: number): Host | undefined {
    if (hosts.length <= 1) return hosts[0];
    if (this.lbPolicy === 'RANDOM') return hosts[Math.floor(Math.random() * hosts.length)];
    if (this.lbPolicy === 'LEAST_REQUEST') {
      // power of two choices, as Envoy's default least-request
      const a = hosts[Math.floor(Math.random() * hosts.length)] as Host;
      const b = hosts[Math.floor(Math.random() * hosts.length)] as Host;
      return a.activeRequests <= b.activeRequests ? a : b;
    }
    const n = this.rr.get(levelIndex) ?? 0;
    this.rr.set(levelIndex, n + 1);
    const totalWeight = hosts.reduce((a, h) => a + h.weight, 0);
    if (totalWeight === hosts.length) return hosts[n % hosts.length];
    // weighted round robin: walk the cumulative weights
    let slot = n % totalWeight;
    for (const h of hosts) {
      slot -= h.weight;
      if (slot < 0) return h;
    }
    return hosts[0];
  }

  /**
   * Opens a connection to a host: TCP connect with connect_timeout, then the TLS handshake when the
   * cluster originates TLS. Failures are counted as connect failures and reported to outlier detection.
   */
  openSocket(host: Host, halfOpen = false): UpstreamSocket {
    const started = performance.now();
    this.stats.upstream_cx_total++;
    this.stats.upstream_cx_active++;
    let socket: UpstreamSocket;
    const tls = host.tls;
    if (tls) {
      socket = tlsConnect({ host: host.address, port: host.port, ...tls.connectOptions }) as UpstreamSocket;
    } else {
      socket = netConnect({ host: host.address, port: host.port, noDelay: true, allowHalfOpen: halfOpen }) as UpstreamSocket;
    }
    // counted from the start: upstream_cx_rx/tx_bytes_total move while the connection is open
    this.stats.upstream_cx_bytes.opened(socket);
    const connectEvent = tls ? 'secureConnect' : 'connect';
    const timer = setTimeout(() => {
      this.stats.upstream_cx_connect_timeout++;
      socket.destroy(new ConnectError(`connect timeout to ${host.key} after ${this.connectTimeoutMs} ms`, 'connect-timeout'));
    }, this.connectTimeoutMs);
    socket.once(connectEvent, () => {
      clearTimeout(timer);
      if (tls) {
        const err = tls.verify(socket as TLSSocket);
        if (err) {
          socket.destroy(new ConnectError(`TLS error: ${err}`, 'connect-failure'));
          return;
        }
      }
      socket[CONNECTED] = true;
      socket.setNoDelay(true);
      this.stats.upstream_cx_connect_ms.record(performance.now() - started);
    });
    socket.once('close', () => {
      clearTimeout(timer);
      this.stats.upstream_cx_active--;
      this.stats.upstream_cx_bytes.closed(socket);
      if (!socket[CONNECTED]) {
        this.stats.upstream_cx_connect_fail++;
        this.recordFailure(host, 'local-origin');
      }
    });
    socket.on('error', () => {
      /* reported through the request or the tcp proxy */
    });
    return socket;
  }

  /** Opens a connection and resolves once it is established (TCP proxy). */
  connect(host: Host): Promise<UpstreamSocket> {
    return new Promise((resolve, reject) => {
      const s = this.openSocket(host, true);
      let done = false;
      const cleanup = () => {
        s.removeListener('error', onError);
        s.removeListener('close', onClose);
      };
      const onError = (e: Error) => {
        if (done) return;
        done = true;
        cleanup();
        reject(e instanceof ConnectError ? e : new ConnectError(`${(e as NodeJS.ErrnoException).code ?? 'error'}: ${e.message}`, 'connect-failure'));
      };
      const onClose = () => onError(new ConnectError('connection closed during connect', 'connect-failure'));
      s.once('error', onError);
      s.once('close', onClose);
      // openSocket's own listener ran first: it marked the socket connected or destroyed it
      s.once(host.tls ? 'secureConnect' : 'connect', () => {
        if (done || !isConnected(s) || s.destroyed) return;
        done = true;
        cleanup();
        resolve(s);
      });
    });
  }

  /** Outcome of a request to a host, for outlier detection. */
  recordSuccess(host: Host): void {
    host.consecutive5xx = 0;
    host.consecutiveGatewayFailure = 0;
    host.consecutiveLocalOriginFailure = 0;
  }

  /** `status`: an HTTP status from the upstream, or 'local-origin' (connect failure, reset, timeout). */
  recordFailure(host: Host, status: number | 'local-origin'): void {
    const o = this.outlier;
    if (!o || this.closed) return;
    if (status === 'local-origin' && o.splitLocalOrigin) {
      host.consecutiveLocalOriginFailure++;
      if (host.consecutiveLocalOriginFailure >= o.consecutiveLocalOriginFailure) this.maybeEject(host, o.enforceLocalOrigin, 'consecutive local origin failures');
      return;
    }
    // without the split, local-origin failures count as 503s (a gateway error)
    const code = status === 'local-origin' ? 503 : status;
    if (code >= 500) {
      host.consecutive5xx++;
      if (code === 502 || code === 503 || code === 504) host.consecutiveGatewayFailure++;
      else host.consecutiveGatewayFailure = 0;
      if (host.consecutive5xx >= o.consecutive5xx && this.maybeEject(host, o.enforce5xx, 'consecutive 5xx')) return;
      if (host.consecutiveGatewayFailure >= o.consecutiveGatewayFailure) this.maybeEject(host, o.enforceGateway, 'consecutive gateway failures');
    }
  }

  private maybeEject(host: Host, enforcePercent: number, reason: string): boolean {
    const o = this.outlier;
    if (!o || host.ejected) return false;
    if (Math.random() * 100 >= enforcePercent) return false;
    const all = this.hosts();
    const ejected = all.filter((h) => h.ejected).length;
    // Envoy always allows ejecting one host, whatever max_ejection_percent says
    if (ejected > 0 && ((ejected + 1) / all.length) * 100 > o.maxEjectionPercent) return false;
    host.ejectionCount++;
    const ms = Math.min(o.baseEjectionMs * host.ejectionCount, Math.max(o.maxEjectionMs, o.baseEjectionMs));
    host.ejectedUntil = Date.now() + ms;
    host.consecutive5xx = 0;
    host.consecutiveGatewayFailure = 0;
    host.consecutiveLocalOriginFailure = 0;
    this.stats.outlier_detection_ejections_total++;
    this.updateMembership();
    this.log.info({ host: host.key, reason, ejection_ms: ms }, 'host ejected');
    return true;
  }

  /** Un-ejects hosts whose ejection time is over (Envoy does it on the interval timer). */
  outlierTick(now = Date.now()): void {
    let changed = false;
    for (const h of this.hostsByKey.values()) {
      if (h.ejected && h.ejectedUntil <= now) {
        h.ejectedUntil = 0;
        changed = true;
        this.log.info({ host: h.key }, 'host returned from ejection');
      } else if (!h.ejected && h.ejectionCount > 0 && this.outlier && now - h.ejectedUntil > this.outlier.baseEjectionMs) {
        // a host that stayed healthy long enough gets its ejection multiplier decreased
        h.ejectionCount = Math.max(0, h.ejectionCount - 1);
      }
    }
    if (changed) this.updateMembership();
  }

  /** Stops timers and lets pooled connections close once their requests are done. */
  drain(): void {
    this.closed = true;
    for (const t of this.timers) clearInterval(t);
    for (const h of this.hostsByKey.values()) h.drain();
  }
}
