/**
 * One simulated proxy of the pipeline benchmark: the `XdsSink` causeway-dp's ADS client (`XdsClient`)
 * feeds, in place of the real proxy. It applies nothing; it records what it holds per type (version and
 * names), references RouteConfiguration / ClusterLoadAssignment / Secret names like the proxy does (RDS
 * names of the HTTP connection managers of its listeners, EDS service names of its EDS clusters, SDS
 * names anywhere in their TLS contexts), rejects what the proxy would reject outright (a resource without
 * a name, a name twice: the client NACKs), and tells its owner after every applied update (= ACKed: the
 * client ACKs as soon as `update` resolves).
 */
import { type ResourceKind, referencedSecrets, type Stats, type XdsSink } from '@causeway/dataplane';
import { EXTENSION_TYPE_URLS } from '@causeway/envoy';

export type SimProxyKind = 'sidecar' | 'ingress' | 'egress';

interface Named {
  name?: string;
}
interface ClusterLike extends Named {
  type?: string;
  eds_cluster_config?: { service_name?: string };
}
interface ListenerLike extends Named {
  traffic_direction?: string;
  filter_chains?: { filters?: { typed_config?: Record<string, unknown> }[] }[];
  default_filter_chain?: { filters?: { typed_config?: Record<string, unknown> }[] };
}

const RBAC_TYPES: ReadonlySet<string> = new Set([EXTENSION_TYPE_URLS.HttpRbac, EXTENSION_TYPE_URLS.NetworkRbac]);

export class SimProxy implements XdsSink {
  onDependenciesChanged: () => void = () => {};
  readonly stats: Pick<Stats, 'server'> = { server: { xds_connected: 0, xds_update_success: 0, xds_update_rejected: 0, xds_reconnects: 0 } };
  /** Per type: the version and the names of the resources applied last. */
  readonly held = new Map<ResourceKind, { version: string; names: Set<string> }>();
  /** The RBAC rules of its inbound listeners (JSON), i.e. the permissions it enforces. */
  inboundRbac = '';
  /** When it applied its last update (ms since the epoch, sub-ms precision). */
  lastUpdateAt = 0;
  private eds: string[] = [];
  private rds: string[] = [];
  private clusterSecrets: string[] = [];
  private listenerSecrets: string[] = [];

  constructor(
    readonly name: string,
    readonly kind: SimProxyKind,
    private readonly onApplied: (proxy: SimProxy, kind: ResourceKind, at: number) => void,
  ) {}

  async update(kind: ResourceKind, resources: unknown[], version: string): Promise<void> {
    const names = new Set<string>();
    resources.forEach((r, i) => {
      const name = kind === 'ClusterLoadAssignment' ? (r as { cluster_name?: string } | undefined)?.cluster_name : (r as Named | undefined)?.name;
      if (typeof name !== 'string' || name === '') throw new Error(`${kind} resources[${i}]: no name`);
      if (names.has(name)) throw new Error(`${kind} ${name} appears twice`);
      names.add(name);
    });
    if (kind === 'Cluster') {
      const clusters = (resources as ClusterLike[]).map(clusterRefs);
      this.eds = uniqueSorted(clusters.flatMap((c) => c.eds));
      this.clusterSecrets = uniqueSorted(clusters.flatMap((c) => c.secrets));
    } else if (kind === 'Listener') {
      const listeners = (resources as ListenerLike[]).map(listenerRefs);
      this.rds = uniqueSorted(listeners.flatMap((l) => l.rds));
      this.listenerSecrets = uniqueSorted(listeners.flatMap((l) => l.secrets));
      this.inboundRbac = JSON.stringify(listeners.flatMap((l) => l.rbac));
    }
    this.held.set(kind, { version, names });
    const at = performance.timeOrigin + performance.now();
    this.lastUpdateAt = at;
    this.onApplied(this, kind, at);
    // As the proxy: the referenced names may have changed (the client re-subscribes when they did).
    this.onDependenciesChanged();
  }

  edsNames(): string[] {
    return this.eds;
  }
  rdsNames(): string[] {
    return this.rds;
  }
  secretNames(): string[] {
    return uniqueSorted([...this.clusterSecrets, ...this.listenerSecrets]);
  }

  /** Holds a Cluster of this name. */
  hasCluster(name: string): boolean {
    return this.held.get('Cluster')?.names.has(name) ?? false;
  }

  /** Has applied what a proxy of its kind needs to serve: clusters and listeners, and a sidecar its certificates. */
  get configured(): boolean {
    const needs: ResourceKind[] = this.kind === 'sidecar' ? ['Cluster', 'Listener', 'Secret'] : ['Cluster', 'Listener'];
    return needs.every((k) => this.held.has(k));
  }
}

/**
 * What a resource references, worked out once per decoded object: the client hands every update the
 * whole set of a type, but only the resources a delta response carried are new objects (the rest are the
 * ones it held), so a change costs the walk of what changed, as in a proxy that keeps its state.
 */
type Refs = { eds: string[]; rds: string[]; secrets: string[]; rbac: unknown[] };
const refs = new WeakMap<object, Refs>();
function refsOf(o: object, make: () => Refs): Refs {
  let r = refs.get(o);
  if (!r) {
    r = make();
    refs.set(o, r);
  }
  return r;
}
const clusterRefs = (c: ClusterLike) =>
  refsOf(c, () => ({ eds: c.type === 'EDS' ? [c.eds_cluster_config?.service_name || (c.name as string)] : [], rds: [], secrets: referencedSecrets(c), rbac: [] }));
const listenerRefs = (l: ListenerLike) =>
  refsOf(l, () => ({ eds: [], rds: routeNames(l), secrets: referencedSecrets(l), rbac: l.traffic_direction === 'INBOUND' ? rbacRules(l) : [] }));

function uniqueSorted(list: string[]): string[] {
  return [...new Set(list)].sort();
}

function chains(l: ListenerLike) {
  return [...(l.filter_chains ?? []), ...(l.default_filter_chain ? [l.default_filter_chain] : [])];
}

/** RDS names of the listener's HTTP connection managers. */
function routeNames(l: ListenerLike): string[] {
  const out: string[] = [];
  for (const fc of chains(l))
    for (const f of fc.filters ?? []) {
      const rds = (f.typed_config as { rds?: { route_config_name?: string } } | undefined)?.rds?.route_config_name;
      if (rds) out.push(rds);
    }
  return out;
}

/** The `rules` of every RBAC filter of the listener (network filters, and HTTP filters inside an HCM). */
function rbacRules(l: ListenerLike): unknown[] {
  const out: unknown[] = [];
  for (const fc of chains(l))
    for (const f of fc.filters ?? []) {
      const tc = f.typed_config ?? {};
      if (RBAC_TYPES.has(String(tc['@type']))) out.push(tc.rules);
      for (const h of (tc.http_filters as { typed_config?: Record<string, unknown> }[] | undefined) ?? [])
        if (RBAC_TYPES.has(String(h.typed_config?.['@type']))) out.push(h.typed_config?.rules);
    }
  return out;
}
