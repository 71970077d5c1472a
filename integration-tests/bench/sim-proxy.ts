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
  /** When it applied its last update (ms since the epoch, sub-ms precision). */
  lastUpdateAt = 0;
  /** Per type: the list applied last (as the client hands it: sorted by name). */
  private readonly lists = new Map<ResourceKind, readonly unknown[]>();
  private readonly eds = new NameCounts();
  private readonly rds = new NameCounts();
  private readonly secrets = new NameCounts();
  /** The RBAC rules of each inbound listener it holds (JSON), kept by what each update added and took away. */
  private readonly inbound = new Map<object, string>();
  private rbac: string | undefined = '';

  constructor(
    readonly name: string,
    readonly kind: SimProxyKind,
    private readonly onApplied: (proxy: SimProxy, kind: ResourceKind, at: number) => void,
  ) {}

  /**
   * Applies the whole set of a type. The client hands the objects it held for what did not change, so
   * the set is compared with the one before by object (`changes`): an update costs what it changed, as
   * in a proxy that keeps its state, not a walk of the thousand resources it holds.
   */
  async update(kind: ResourceKind, resources: unknown[], version: string): Promise<void> {
    const before = this.lists.get(kind) ?? [];
    const { added, gone } = changes(kind, before, resources);
    const names = this.held.get(kind)?.names ?? new Set<string>();
    for (const r of gone) names.delete(nameOf(kind, r) as string);
    for (const r of added) names.add(nameOf(kind, r) as string);
    if (kind === 'Cluster' || kind === 'Listener') {
      const refsOf = kind === 'Cluster' ? clusterRefs : listenerRefs;
      for (const r of gone) this.count(refsOf(r as object), -1);
      for (const r of added) this.count(refsOf(r as object), 1);
      if (kind === 'Listener') {
        let inboundChanged = false;
        for (const r of gone) inboundChanged = this.inbound.delete(r as object) || inboundChanged;
        for (const r of added) {
          if ((r as ListenerLike).traffic_direction !== 'INBOUND') continue;
          this.inbound.set(r as object, JSON.stringify(listenerRefs(r as ListenerLike).rbac));
          inboundChanged = true;
        }
        if (inboundChanged) this.rbac = undefined;
      }
    }
    this.lists.set(kind, resources);
    this.held.set(kind, { version, names });
    const at = performance.timeOrigin + performance.now();
    this.lastUpdateAt = at;
    this.onApplied(this, kind, at);
    // As the proxy: the referenced names may have changed (the client re-subscribes when they did).
    this.onDependenciesChanged();
  }

  private count(r: Refs, by: 1 | -1): void {
    this.eds.add(r.eds, by);
    this.rds.add(r.rds, by);
    this.secrets.add(r.secrets, by);
  }

  /**
   * The RBAC rules of its inbound listeners (JSON), i.e. the permissions it enforces: made again only when an
   * inbound listener came or went (an outbound one does not change it; the watches ask after every update).
   */
  get inboundRbac(): string {
    this.rbac ??= [...this.inbound.values()].join('\n');
    return this.rbac;
  }

  edsNames(): string[] {
    return this.eds.sorted();
  }
  rdsNames(): string[] {
    return this.rds.sorted();
  }
  secretNames(): string[] {
    return this.secrets.sorted();
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

/** How many resources reference each name; the sorted names made again only when one came or went. */
class NameCounts {
  private readonly counts = new Map<string, number>();
  private list: string[] | undefined = [];

  add(names: readonly string[], by: 1 | -1): void {
    for (const n of names) {
      const c = (this.counts.get(n) ?? 0) + by;
      if (c === 0) this.counts.delete(n);
      else this.counts.set(n, c);
      if (c === 0 || c === 1) this.list = undefined;
    }
  }

  /** A new list when the names changed, else the same one (the client compares it with the last). */
  sorted(): string[] {
    this.list ??= [...this.counts.keys()].sort();
    return this.list;
  }
}

function nameOf(kind: ResourceKind, r: unknown): unknown {
  return kind === 'ClusterLoadAssignment' ? (r as { cluster_name?: string } | undefined)?.cluster_name : (r as Named | undefined)?.name;
}

/**
 * The resources of `next` that are not in `before` (added or replaced) and those of `before` that are not
 * in `next` (removed or replaced), compared by object. Rejects what the proxy would: a resource without a
 * name, a name twice. Both lists sorted by name (the client sorts them) are walked side by side; a list
 * out of order is compared through sets.
 */
const sortedLists = new WeakSet<readonly unknown[]>();
function changes(kind: ResourceKind, before: readonly unknown[], next: readonly unknown[]): { added: unknown[]; gone: unknown[] } {
  let prev = '';
  let sorted = true;
  next.forEach((r, i) => {
    const name = nameOf(kind, r);
    if (typeof name !== 'string' || name === '') throw new Error(`${kind} resources[${i}]: no name`);
    if (i > 0 && name <= prev) sorted = false;
    prev = name;
  });
  if (sorted) sortedLists.add(next);
  if (!sorted || (before.length > 0 && !sortedLists.has(before))) {
    const names = new Set<string>();
    for (const r of next) {
      const name = nameOf(kind, r) as string;
      if (names.has(name)) throw new Error(`${kind} ${name} appears twice`);
      names.add(name);
    }
    const was = new Set(before);
    const is = new Set(next);
    return { added: next.filter((r) => !was.has(r)), gone: before.filter((r) => !is.has(r)) };
  }
  const added: unknown[] = [];
  const gone: unknown[] = [];
  let i = 0;
  let j = 0;
  while (i < next.length || j < before.length) {
    const a = next[i];
    const b = before[j];
    if (i < next.length && j < before.length && a === b) {
      i++;
      j++;
    } else if (j >= before.length || (i < next.length && (nameOf(kind, a) as string) <= (nameOf(kind, b) as string))) {
      // Added, or (same name) replaced: the old one goes when the walk reaches it.
      if (j < before.length && nameOf(kind, a) === nameOf(kind, b)) {
        gone.push(b);
        j++;
      }
      added.push(a);
      i++;
    } else {
      gone.push(b);
      j++;
    }
  }
  return { added, gone };
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
