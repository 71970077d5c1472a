/**
 * Helpers for plugins that change generated resources. Generated objects are shared between proxies
 * (memoized per mesh context, encoded once): a plugin never edits one, it derives a new object. A
 * derivation is memoized on the original object and a key describing the change, so every proxy that
 * applies the same change to the same shared resource gets the same derived object (encoded once too).
 */
import type { EnvoyJson, FilterChain as EnvoyFilterChain, NetworkFilter, Rds, Route, RouteAction, TypedAny, VirtualHost, XdsKind } from '@causeway/envoy/config';
import type { ResourceSet } from './context.js';

/**
 * The derivations of one original object: each by its key, held weakly, and the few used last held
 * strongly. An original can outlive many changes (a proxy's own part is reused while its inputs are),
 * and a key can change with every change (a permission's rules): holding every derivation ever made
 * would keep one dead object per change per proxy. A derivation anything still holds (a snapshot, a
 * proxy's current config) stays reachable, so it is found again and stays the same object.
 */
interface Derivations {
  byKey: Map<string, WeakRef<object>>;
  /** The derivations used last, most recent first: kept alive while nothing else holds them. */
  recent: object[];
}
const derivations = new WeakMap<object, Derivations>();
const RECENT = 4;

/** `make(original)` once per (original object, key) while the result is in use; the same derived object afterwards. */
export function derive<T extends object, R extends object = T>(original: T, key: string, make: (o: T) => R): R {
  let d = derivations.get(original);
  if (!d) {
    d = { byKey: new Map(), recent: [] };
    derivations.set(original, d);
  }
  let v = d.byKey.get(key)?.deref() as R | undefined;
  if (v === undefined) {
    v = make(original);
    if (d.byKey.size >= 2 * RECENT) for (const [k, ref] of d.byKey) if (ref.deref() === undefined) d.byKey.delete(k);
    d.byKey.set(key, new WeakRef(v));
  }
  if (d.recent[0] !== v) {
    const at = d.recent.indexOf(v);
    if (at >= 0) d.recent.splice(at, 1);
    d.recent.unshift(v);
    if (d.recent.length > RECENT) d.recent.length = RECENT;
  }
  return v;
}

/**
 * A new set where every resource of `kind` went through `fn`: the same object (unchanged), another one
 * (replaced), or undefined (removed). Lists without changes keep their identity.
 */
export function mapKind(set: ResourceSet, kind: XdsKind, fn: (r: EnvoyJson) => EnvoyJson | undefined): ResourceSet {
  const list = set[kind];
  let changed = false;
  const out: EnvoyJson[] = [];
  for (const r of list) {
    const n = fn(r);
    if (n !== r) changed = true;
    if (n !== undefined) out.push(n);
  }
  return changed ? { ...set, [kind]: out } : set;
}

/** A network filter as the generators write it (always with a typed_config). */
export type Filter = Omit<NetworkFilter, 'typed_config'> & { typed_config: TypedAny };
/** A filter chain as the generators write it (always with filters). */
export type FilterChain = Omit<EnvoyFilterChain, 'filters'> & { filters: Filter[] };
/** A virtual host as the generators write it (always with routes). */
export type GeneratedVirtualHost = Omit<VirtualHost, 'routes'> & { routes: Route[] };

export const TCP_PROXY = 'envoy.filters.network.tcp_proxy';
export const HCM = 'envoy.filters.network.http_connection_manager';

/** A new listener whose filter chains went through `fn` (the same listener when none changed). */
export function mapChains(listener: EnvoyJson, fn: (chain: FilterChain) => FilterChain): EnvoyJson {
  const chains = (listener.filter_chains as FilterChain[] | undefined) ?? [];
  let changed = false;
  const next = chains.map((c) => {
    const n = fn(c);
    if (n !== c) changed = true;
    return n;
  });
  return changed ? { ...listener, filter_chains: next } : listener;
}

/** A new chain whose filters went through `fn` (the same chain when none changed). */
export function mapFilters(chain: FilterChain, fn: (f: Filter) => Filter): FilterChain {
  let changed = false;
  const next = chain.filters.map((f) => {
    const n = fn(f);
    if (n !== f) changed = true;
    return n;
  });
  return changed ? { ...chain, filters: next } : chain;
}

/** A filter with fields of its typed_config set (undefined values leave a field as it is). */
export function withConfig(f: Filter, fields: Record<string, unknown>): Filter {
  const set = Object.entries(fields).filter(([, v]) => v !== undefined);
  if (set.length === 0) return f;
  return { ...f, typed_config: { ...f.typed_config, ...Object.fromEntries(set) } };
}

/** The service an outbound listener's (first chain's) filter sends to: tcp_proxy cluster or the HCM's `outbound:<service>` routes. */
export function outboundListenerService(listener: EnvoyJson): string | undefined {
  const f = (listener.filter_chains as FilterChain[] | undefined)?.[0]?.filters?.[0];
  if (!f) return undefined;
  if (f.name === TCP_PROXY) return f.typed_config.cluster as string | undefined;
  if (f.name === HCM) {
    const route = (f.typed_config.rds as Rds | undefined)?.route_config_name;
    return route?.startsWith('outbound:') ? route.slice('outbound:'.length) : undefined;
  }
  return undefined;
}

/** The first route action of a RouteConfiguration's first virtual host. */
export function withRouteAction(route: EnvoyJson, fields: RouteAction): EnvoyJson {
  const set = Object.entries(fields).filter(([, v]) => v !== undefined);
  if (set.length === 0) return route;
  const vhosts = route.virtual_hosts as GeneratedVirtualHost[];
  return {
    ...route,
    virtual_hosts: vhosts.map((vh) => ({
      ...vh,
      routes: vh.routes.map((r) => (r.route ? { ...r, route: { ...r.route, ...Object.fromEntries(set) } } : r)),
    })),
  };
}
