/**
 * The proxy's configuration state: the active clusters, endpoints, routes, secrets and listeners, and
 * how updates of each type are applied.
 *
 * An update of a type is validated as a whole: one resource that cannot be applied rejects the update
 * (the caller NACKs it) and the last good config stays. A listener or cluster that references an SDS
 * secret that has not arrived yet is "warming": its previous version (if any) stays active until the
 * secret arrives. A changed secret rebuilds the listeners and clusters that use it; open connections
 * keep the versions they started with.
 */
import type { Logger } from 'pino';
import { type AccessLogger, type AccessLogSink, sinkFor } from './access-log.js';
import type { ProxyContext } from './context.js';
import type { Cluster, ClusterLoadAssignment, Listener, RouteConfiguration, Secret } from '@causeway/envoy';
import { ENVOY_TYPE_URLS as TYPE } from '@causeway/envoy';
import { ConfigError } from './envoy/values.js';
import { chainDnsTables, compileDnsFilter, DnsServer, type DnsTable } from './dns/server.js';
import { CompiledRouteConfig } from './http/match.js';
import { ListenerManager, ListenerRuntime } from './listener/listener.js';
import { Stats } from './stats.js';
import { MissingSecretError } from './tls/contexts.js';
import { ClusterRuntime, type DnsResolve, systemDnsResolve } from './upstream/cluster.js';

export type ResourceKind = 'Listener' | 'Cluster' | 'ClusterLoadAssignment' | 'RouteConfiguration' | 'Secret';

interface Versioned<T> {
  resource: T;
  version: string;
  lastUpdated: string;
}

export interface ProxyOptions {
  log: Logger;
  accessLog: AccessLogger;
  stats?: Stats;
  /** resolver of STRICT_DNS clusters (default: the system's getaddrinfo) */
  dns?: DnsResolve;
  /** `--dns-port`: serve the DNS listener on this port instead of the one in its config */
  dnsPort?: number | undefined;
  /** upstream resolvers of the builtin DNS server (default: the system's) */
  dnsUpstreams?: () => string[];
  /** sinks of xDS access loggers (default: stdout / stderr / files) */
  accessLogSinks?: (target: string) => AccessLogSink;
}

const stable = (v: unknown) => JSON.stringify(v);

export class DataplaneProxy implements ProxyContext {
  readonly stats: Stats;
  readonly accessLog: AccessLogger;
  readonly log: Logger;
  readonly listenerManager: ListenerManager;
  private readonly dns: DnsResolve;
  readonly dnsServer: DnsServer;
  private readonly dnsPort: number | undefined;
  private dnsListener: string | undefined;

  private readonly clusterConfigs = new Map<string, Versioned<Cluster>>();
  private readonly clusters = new Map<string, ClusterRuntime>();
  private readonly warmingClusters = new Set<string>();
  private readonly assignments = new Map<string, Versioned<ClusterLoadAssignment>>();
  private readonly routeConfigs = new Map<string, Versioned<RouteConfiguration> & { compiled: CompiledRouteConfig }>();
  private readonly secrets = new Map<string, Versioned<Secret>>();
  private readonly listenerConfigs = new Map<string, Versioned<Listener>>();
  private readonly listeners = new Map<string, ListenerRuntime>();
  private readonly warmingListeners = new Set<string>();
  /** version_info of the last accepted update per type */
  readonly versions: Record<ResourceKind, string> = { Listener: '', Cluster: '', ClusterLoadAssignment: '', RouteConfiguration: '', Secret: '' };
  /** called when the set of referenced EDS/RDS/SDS names may have changed */
  onDependenciesChanged: () => void = () => {};
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly opts: ProxyOptions) {
    this.log = opts.log;
    this.accessLog = opts.accessLog;
    this.stats = opts.stats ?? new Stats();
    this.dns = opts.dns ?? systemDnsResolve;
    this.listenerManager = new ListenerManager(opts.log.child({ component: 'listeners' }));
    this.dnsServer = new DnsServer(opts.log.child({ component: 'dns' }), opts.dnsUpstreams);
    this.dnsPort = opts.dnsPort;
  }

  accessLogSink(target: string): AccessLogSink {
    return (this.opts.accessLogSinks ?? sinkFor)(target);
  }

  /** Whether ip:port is one of this proxy's listeners (an ORIGINAL_DST loop). */
  isLocalListener = (ip: string, port: number): boolean => {
    for (const l of this.listeners.values())
      for (const a of l.addresses) {
        if (a.port !== port) continue;
        if (a.address === ip || a.address === '0.0.0.0' || a.address === '::') return true;
      }
    return false;
  };

  // ------------------------------------------------------------ ProxyContext
  cluster(name: string): ClusterRuntime | undefined {
    return this.clusters.get(name);
  }
  clusterNames(): string[] {
    return [...this.clusters.keys()].sort();
  }
  routeConfig(name: string): CompiledRouteConfig | undefined {
    return this.routeConfigs.get(name)?.compiled;
  }
  private secret = (name: string): Secret | undefined => this.secrets.get(name)?.resource;

  // ------------------------------------------------------------ subscriptions
  /** EDS service names of the active and warming EDS clusters. */
  edsNames(): string[] {
    const s = new Set<string>();
    for (const v of this.clusterConfigs.values()) {
      const c = v.resource;
      if ((c.type ?? 'STATIC') === 'EDS') s.add(c.eds_cluster_config?.service_name ?? c.name);
    }
    return [...s].sort();
  }
  /** RDS names used by the listeners. */
  rdsNames(): string[] {
    const s = new Set<string>();
    for (const l of this.listeners.values()) for (const n of l.routeNames) s.add(n);
    for (const name of this.warmingListeners) for (const n of referencedRoutes(this.listenerConfigs.get(name)?.resource)) s.add(n);
    return [...s].sort();
  }
  /** SDS secret names referenced anywhere. */
  secretNames(): string[] {
    const s = new Set<string>();
    for (const v of this.clusterConfigs.values()) for (const n of referencedSecrets(v.resource)) s.add(n);
    for (const v of this.listenerConfigs.values()) for (const n of referencedSecrets(v.resource)) s.add(n);
    return [...s].sort();
  }

  /** Serializes updates (each one may await binds or DNS). */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.queue.then(fn, fn);
    this.queue = p.catch(() => undefined);
    return p;
  }

  /** Applies a state-of-the-world update of one type. Throws ConfigError: the update is rejected, nothing changed. */
  update(kind: ResourceKind, resources: unknown[], version: string): Promise<void> {
    return this.serial(async () => {
      switch (kind) {
        case 'Cluster':
          await this.updateClusters(resources as Cluster[], version);
          break;
        case 'ClusterLoadAssignment':
          this.updateEndpoints(resources as ClusterLoadAssignment[], version);
          break;
        case 'RouteConfiguration':
          this.updateRoutes(resources as RouteConfiguration[], version);
          break;
        case 'Secret':
          await this.updateSecrets(resources as Secret[], version);
          break;
        case 'Listener':
          await this.updateListeners(resources as Listener[], version);
          break;
      }
      this.versions[kind] = version;
      this.onDependenciesChanged();
    });
  }

  // ------------------------------------------------------------ clusters
  private buildCluster(c: Cluster): ClusterRuntime {
    return new ClusterRuntime(c, { secrets: this.secret, isLocalListener: this.isLocalListener, stats: this.stats.cluster(c.name), log: this.log.child({ component: 'cluster' }), dns: this.dns });
  }

  private async updateClusters(list: Cluster[], version: string): Promise<void> {
    const names = new Set<string>();
    for (const c of list) {
      if (!c?.name) throw new ConfigError('cluster without a name');
      if (names.has(c.name)) throw new ConfigError(`cluster ${c.name} appears twice`);
      names.add(c.name);
    }
    const built = new Map<string, ClusterRuntime>();
    const warming = new Set<string>();
    const errors: string[] = [];
    const rejected = new Set<string>();
    for (const c of list) {
      const prev = this.clusterConfigs.get(c.name);
      if (prev && stable(prev.resource) === stable(c) && this.clusters.has(c.name)) continue;
      try {
        built.set(c.name, this.buildCluster(c));
      } catch (e) {
        if (e instanceof MissingSecretError) warming.add(c.name);
        else if (e instanceof ConfigError) {
          // as Envoy: the other clusters are applied, this one keeps its previous version (if any)
          errors.push((e as Error).message);
          rejected.add(c.name);
        } else throw e;
      }
    }
    // commit
    for (const rt of built.values()) {
      rt.start();
      const cla = rt.edsServiceName ? this.assignments.get(rt.edsServiceName) : undefined;
      if (cla) rt.setLoadAssignment(cla.resource);
    }
    await Promise.all([...built.values()].map((rt) => rt.ready()));
    const now = new Date().toISOString();
    for (const c of list) {
      if (rejected.has(c.name)) continue;
      const prev = this.clusterConfigs.get(c.name);
      if (!prev || stable(prev.resource) !== stable(c)) this.clusterConfigs.set(c.name, { resource: c, version, lastUpdated: now });
    }
    for (const [name, rt] of built) {
      this.clusters.get(name)?.drain();
      this.clusters.set(name, rt);
      this.stats.cluster(name).update_success++;
    }
    for (const name of [...this.clusterConfigs.keys()]) {
      if (names.has(name)) continue;
      this.clusterConfigs.delete(name);
      this.clusters.get(name)?.drain();
      this.clusters.delete(name);
    }
    this.warmingClusters.clear();
    for (const w of warming) this.warmingClusters.add(w);
    this.log.info({ version, clusters: list.length, warming: [...warming], rejected: [...rejected] }, 'clusters updated');
    if (errors.length > 0) throw new ConfigError(errors.join('; '));
  }

  // ------------------------------------------------------------ endpoints
  private updateEndpoints(list: ClusterLoadAssignment[], version: string): void {
    // validate all before applying any
    const probe = new Map<string, ClusterLoadAssignment>();
    for (const cla of list) {
      if (!cla?.cluster_name) throw new ConfigError('ClusterLoadAssignment without cluster_name');
      for (const [i, lle] of (cla.endpoints ?? []).entries()) {
        for (const [j, lb] of (lle.lb_endpoints ?? []).entries()) {
          const sa = lb.endpoint?.address?.socket_address;
          if (!sa?.address || sa.port_value === undefined) throw new ConfigError(`ClusterLoadAssignment ${cla.cluster_name}.endpoints[${i}].lb_endpoints[${j}]: socket_address with address and port_value is required`);
        }
      }
      probe.set(cla.cluster_name, cla);
    }
    const now = new Date().toISOString();
    for (const [name, cla] of probe) {
      this.assignments.set(name, { resource: cla, version, lastUpdated: now });
      for (const rt of this.clusters.values()) if (rt.edsServiceName === name) rt.setLoadAssignment(cla);
    }
    // SotW for EDS: names no longer subscribed are dropped
    const wanted = new Set(this.edsNames());
    for (const name of [...this.assignments.keys()]) if (!wanted.has(name) && !probe.has(name)) this.assignments.delete(name);
  }

  // ------------------------------------------------------------ routes
  private updateRoutes(list: RouteConfiguration[], version: string): void {
    const compiled = list.map((rc) => {
      if (!rc?.name) throw new ConfigError('RouteConfiguration without a name');
      return { rc, compiled: new CompiledRouteConfig(rc, `route_configuration ${rc.name}`) };
    });
    const now = new Date().toISOString();
    for (const { rc, compiled: c } of compiled) this.routeConfigs.set(rc.name, { resource: rc, version, lastUpdated: now, compiled: c });
    const wanted = new Set([...this.rdsNames(), ...list.map((r) => r.name)]);
    for (const name of [...this.routeConfigs.keys()]) if (!wanted.has(name)) this.routeConfigs.delete(name);
  }

  // ------------------------------------------------------------ secrets
  private async updateSecrets(list: Secret[], version: string): Promise<void> {
    for (const s of list) {
      if (!s?.name) throw new ConfigError('secret without a name');
      if (!s.tls_certificate && !s.validation_context) throw new ConfigError(`secret ${s.name}: only tls_certificate and validation_context secrets are supported`);
    }
    const changed = new Set<string>();
    const now = new Date().toISOString();
    const previous = new Map(this.secrets);
    for (const s of list) {
      const prev = this.secrets.get(s.name);
      if (!prev || stable(prev.resource) !== stable(s)) changed.add(s.name);
      this.secrets.set(s.name, { resource: s, version, lastUpdated: now });
    }
    if (changed.size === 0) return;
    try {
      await this.rebuildDependents(changed);
    } catch (e) {
      // a secret that breaks a listener or cluster (bad key, ...) is rejected as a whole
      this.secrets.clear();
      for (const [k, v] of previous) this.secrets.set(k, v);
      throw e;
    }
  }

  /** Rebuilds the clusters and listeners that use changed secrets, and the warming ones. */
  private async rebuildDependents(changed: Set<string>): Promise<void> {
    const uses = (r: Cluster | Listener) => referencedSecrets(r).some((n) => changed.has(n));
    const clusterList = [...this.clusterConfigs.values()].map((v) => v.resource);
    const affectedClusters = clusterList.filter((c) => uses(c) || this.warmingClusters.has(c.name));
    const built = new Map<string, ClusterRuntime>();
    const stillWarming = new Set<string>();
    for (const c of affectedClusters) {
      try {
        built.set(c.name, this.buildCluster(c));
      } catch (e) {
        if (e instanceof MissingSecretError) stillWarming.add(c.name);
        else throw e;
      }
    }
    const listenerList = [...this.listenerConfigs.values()].map((v) => v.resource);
    const affectedListeners = listenerList.filter((l) => uses(l) || this.warmingListeners.has(l.name));
    const builtListeners = new Map<string, ListenerRuntime>();
    const listenersWarming = new Set<string>();
    for (const l of affectedListeners) {
      try {
        builtListeners.set(l.name, new ListenerRuntime(l, this, this.secret));
      } catch (e) {
        if (e instanceof MissingSecretError) listenersWarming.add(l.name);
        else throw e;
      }
    }
    for (const rt of built.values()) {
      rt.start();
      const cla = rt.edsServiceName ? this.assignments.get(rt.edsServiceName) : undefined;
      if (cla) rt.setLoadAssignment(cla.resource);
    }
    await Promise.all([...built.values()].map((rt) => rt.ready()));
    for (const [name, rt] of built) {
      this.clusters.get(name)?.drain();
      this.clusters.set(name, rt);
      this.warmingClusters.delete(name);
    }
    for (const n of stillWarming) this.warmingClusters.add(n);
    if (builtListeners.size > 0) {
      const next = new Map(this.listeners);
      for (const [name, rt] of builtListeners) next.set(name, rt);
      const failed = await this.listenerManager.apply([...next.values()]);
      for (const [name, rt] of builtListeners) {
        if (failed.has(name)) continue;
        this.listeners.set(name, rt);
        this.warmingListeners.delete(name);
      }
      if (failed.size > 0) throw new ConfigError([...failed.values()].join('; '));
    }
    for (const n of listenersWarming) this.warmingListeners.add(n);
  }

  // ------------------------------------------------------------ listeners
  private async updateListeners(list: Listener[], version: string): Promise<void> {
    const names = new Set<string>();
    for (const l of list) {
      if (!l?.name) throw new ConfigError('listener without a name');
      if (names.has(l.name)) throw new ConfigError(`listener ${l.name} appears twice`);
      names.add(l.name);
    }
    const next = new Map<string, ListenerRuntime>();
    const warming = new Set<string>();
    const dnsListeners = list.filter((l) => l.address?.socket_address?.protocol === 'UDP');
    // Several DNS listeners are one table split and chained (each forwards what it does not hold to the
    // next): served as one, on the head of the chain (the others are not bound).
    const dnsTables = new Map(dnsListeners.map((l) => [`${l.address?.socket_address?.address}:${l.address?.socket_address?.port_value ?? 15053}`, compileDnsListener(l)]));
    const chain = dnsListeners.length > 0 ? chainDnsTables(dnsTables, `listeners ${dnsListeners.map((l) => l.name).join(', ')}`) : undefined;
    const dnsListener = chain ? dnsListeners.find((l) => `${l.address?.socket_address?.address}:${l.address?.socket_address?.port_value ?? 15053}` === chain.head) : undefined;
    const dnsTable = chain?.table;
    const errors: string[] = [];
    const rejected = new Set<string>();
    for (const l of list) {
      if (dnsListeners.includes(l)) continue;
      const prev = this.listenerConfigs.get(l.name);
      const active = this.listeners.get(l.name);
      if (prev && active && stable(prev.resource) === stable(l)) {
        next.set(l.name, active);
        continue;
      }
      try {
        next.set(l.name, new ListenerRuntime(l, this, this.secret));
      } catch (e) {
        if (e instanceof MissingSecretError) warming.add(l.name);
        else if (e instanceof ConfigError) {
          // as Envoy: the other listeners are applied, this one keeps its previous version (if any)
          errors.push(e.message);
          rejected.add(l.name);
        } else throw e;
        if (active) next.set(l.name, active); // keep serving the previous version
      }
    }
    await this.applyDns(dnsListener, dnsTable);
    const bindFailures = await this.listenerManager.apply([...next.values()]);
    for (const [name, err] of bindFailures) {
      errors.push(err);
      rejected.add(name);
      const active = this.listeners.get(name);
      if (active && this.listenerManager.listeners().includes(active)) next.set(name, active);
      else next.delete(name);
    }
    const now = new Date().toISOString();
    for (const l of list) {
      if (rejected.has(l.name)) continue;
      const prev = this.listenerConfigs.get(l.name);
      if (!prev || stable(prev.resource) !== stable(l)) this.listenerConfigs.set(l.name, { resource: l, version, lastUpdated: now });
    }
    for (const name of [...this.listenerConfigs.keys()]) if (!names.has(name) || (rejected.has(name) && !next.has(name))) this.listenerConfigs.delete(name);
    // versions replaced or removed by this update drain their connections
    for (const [name, old] of this.listeners) if (next.get(name) !== old) old.drain();
    this.listeners.clear();
    for (const [k, v] of next) this.listeners.set(k, v);
    this.warmingListeners.clear();
    for (const w of warming) this.warmingListeners.add(w);
    this.log.info({ version, listeners: list.length, warming: [...warming], rejected: [...rejected] }, 'listeners updated');
    if (errors.length > 0) throw new ConfigError(errors.join('; '));
  }

  /** Binds (or rebinds) the builtin DNS server for the DNS listener, or stops it when there is none. */
  private async applyDns(l: Listener | undefined, table: DnsTable | undefined): Promise<void> {
    const sa = l?.address?.socket_address;
    if (!l || !sa || !table) {
      if (this.dnsListener !== undefined) {
        await this.dnsServer.close();
        this.dnsListener = undefined;
      }
      return;
    }
    const port = this.dnsPort ?? sa.port_value ?? 15053;
    const key = `${sa.address}:${port}`;
    if (this.dnsListener !== key) {
      if (this.dnsListener !== undefined) await this.dnsServer.close();
      try {
        await this.dnsServer.listen(sa.address, port);
      } catch (e) {
        this.dnsListener = undefined;
        throw new ConfigError(`listener ${l.name}: cannot bind DNS on ${key}: ${(e as Error).message}`);
      }
      this.dnsListener = key;
    }
    this.dnsServer.setTable(table);
  }

  /** Loads Envoy bootstrap `static_resources` (listeners, clusters, secrets). */
  async loadStatic(res: { listeners?: Listener[]; clusters?: Cluster[]; secrets?: Secret[] }, version = 'static'): Promise<void> {
    if (res.secrets) await this.update('Secret', res.secrets, version);
    if (res.clusters) await this.update('Cluster', res.clusters, version);
    if (res.listeners) await this.update('Listener', res.listeners, version);
  }

  /** Has the proxy got a config to serve (at least one listener is active)? */
  isLive(): boolean {
    return this.listeners.size > 0;
  }

  // ------------------------------------------------------------ config dump
  /** What the proxy runs now, in the shape of Envoy's /config_dump (private keys redacted). */
  configDump(node: Record<string, unknown> = {}): unknown {
    const at = (t: string, r: object) => ({ '@type': t, ...r });
    return {
      configs: [
        at('type.googleapis.com/envoy.admin.v3.BootstrapConfigDump', { bootstrap: { node } }),
        at('type.googleapis.com/envoy.admin.v3.ClustersConfigDump', {
          version_info: this.versions.Cluster,
          dynamic_active_clusters: [...this.clusterConfigs.values()]
            .filter((v) => this.clusters.has(v.resource.name) && !this.warmingClusters.has(v.resource.name))
            .map((v) => ({ version_info: v.version, cluster: at(TYPE.Cluster, v.resource), last_updated: v.lastUpdated })),
          dynamic_warming_clusters: [...this.clusterConfigs.values()]
            .filter((v) => this.warmingClusters.has(v.resource.name))
            .map((v) => ({ version_info: v.version, cluster: at(TYPE.Cluster, v.resource), last_updated: v.lastUpdated })),
        }),
        at('type.googleapis.com/envoy.admin.v3.EndpointsConfigDump', {
          dynamic_endpoint_configs: [...this.assignments.values()].map((v) => ({ version_info: v.version, endpoint_config: at(TYPE.ClusterLoadAssignment, v.resource), last_updated: v.lastUpdated })),
        }),
        at('type.googleapis.com/envoy.admin.v3.ListenersConfigDump', {
          version_info: this.versions.Listener,
          dynamic_listeners: [...this.listenerConfigs.values()].map((v) => {
            const state = { version_info: v.version, listener: at(TYPE.Listener, v.resource), last_updated: v.lastUpdated };
            return this.warmingListeners.has(v.resource.name) ? { name: v.resource.name, warming_state: state } : { name: v.resource.name, active_state: state };
          }),
        }),
        at('type.googleapis.com/envoy.admin.v3.RoutesConfigDump', {
          dynamic_route_configs: [...this.routeConfigs.values()].map((v) => ({ version_info: v.version, route_config: at(TYPE.RouteConfiguration, v.resource), last_updated: v.lastUpdated })),
        }),
        at('type.googleapis.com/envoy.admin.v3.SecretsConfigDump', {
          dynamic_active_secrets: [...this.secrets.values()].map((v) => ({ name: v.resource.name, version_info: v.version, last_updated: v.lastUpdated, secret: at(TYPE.Secret, redact(v.resource)) })),
        }),
      ],
    };
  }

  async close(): Promise<void> {
    await this.listenerManager.close();
    await this.dnsServer.close();
    for (const c of this.clusters.values()) c.drain();
    this.clusters.clear();
    await this.accessLog.close();
  }
}

const DNS_FILTER = 'type.googleapis.com/envoy.extensions.filters.udp.dns_filter.v3.DnsFilterConfig';

function compileDnsListener(l: Listener): DnsTable {
  const f = `listener ${l.name}`;
  if ((l.additional_addresses ?? []).length > 0) throw new ConfigError(`${f}: additional_addresses are not supported on a UDP (DNS) listener`);
  const filters = l.listener_filters ?? [];
  const dns = filters.find((x) => x.typed_config?.['@type'] === DNS_FILTER);
  if (!dns || filters.length !== 1) throw new ConfigError(`${f}: a UDP listener must have exactly one listener filter, envoy.filters.udp.dns_filter`);
  return compileDnsFilter(dns.typed_config as Parameters<typeof compileDnsFilter>[0], `${f}.listener_filters[0].typed_config`);
}

function redact(s: Secret): Secret {
  if (!s.tls_certificate?.private_key) return s;
  return { ...s, tls_certificate: { ...s.tls_certificate, private_key: { inline_string: '[redacted]' } } };
}

/** SDS secret names a cluster or listener references (anywhere in its TLS contexts). */
export function referencedSecrets(r: unknown): string[] {
  const out: string[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        if (k === 'tls_certificate_sds_secret_configs' && Array.isArray(x)) for (const s of x) out.push((s as { name: string }).name);
        else if (k === 'validation_context_sds_secret_config' && x && typeof x === 'object') out.push((x as { name: string }).name);
        else walk(x);
      }
    }
  };
  walk(r);
  return out;
}

function referencedRoutes(l: Listener | undefined): string[] {
  const out: string[] = [];
  for (const fc of [...(l?.filter_chains ?? []), ...(l?.default_filter_chain ? [l.default_filter_chain] : [])]) {
    for (const f of fc.filters ?? []) {
      const rds = (f.typed_config as { rds?: { route_config_name?: string } } | undefined)?.rds?.route_config_name;
      if (rds) out.push(rds);
    }
  }
  return out;
}
