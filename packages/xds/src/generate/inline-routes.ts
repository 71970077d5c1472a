/**
 * A sidecar's HTTP connection managers carry their RouteConfiguration inline (`route_config`), as Kuma's
 * do, instead of naming it for RDS. A new outbound is then one Listener for the proxy, not a Listener, a
 * re-subscription to its route and a RouteConfiguration with an ACK of its own; the routes are made and
 * the policies applied to them as before (generate, then `applySidecarPolicies`), and this is the last
 * step. (Proxyless gRPC clients and the ZoneEgress keep RDS.)
 */
import { type FilterChain, HCM, mapChains, mapFilters } from '@causeway/core';
import type { EnvoyJson } from '@causeway/envoy/config';
import type { ResourceSet } from './common.js';

/** Per listener, per route object: the listener with that route inline (the same object while both are). */
const inlined = new WeakMap<EnvoyJson, WeakMap<EnvoyJson, EnvoyJson>>();
/** Per route: the route as a connection manager holds it (without its `@type`). */
const bare = new WeakMap<EnvoyJson, Record<string, unknown>>();

/**
 * `set` with each route a listener of it names for RDS moved into that listener; routes no listener of
 * the set names stay. A finished set stays finished (lists keep their order).
 */
export function inlineRoutes(set: ResourceSet): ResourceSet {
  if (set.RouteConfiguration.length === 0) return set;
  const routes = new Map<string, EnvoyJson>();
  for (const r of set.RouteConfiguration) routes.set(r.name as string, r);
  const used = new Set<string>();
  let changed = false;
  const listeners = set.Listener.map((l) => {
    const names = new Set(rdsNames(l).filter((n) => routes.has(n)));
    if (names.size === 0) return l;
    changed = true;
    for (const n of names) used.add(n);
    // A sidecar's listener names one route (in each of its chains); one naming more is made again each time.
    const key = routes.get(names.values().next().value as string) as EnvoyJson;
    let byRoute = inlined.get(l);
    if (!byRoute) {
      byRoute = new WeakMap();
      inlined.set(l, byRoute);
    }
    let out = byRoute.get(key);
    if (!out || names.size > 1) {
      out = withInlineRoutes(l, routes);
      byRoute.set(key, out);
    }
    return out;
  });
  if (!changed) return set;
  return { ...set, Listener: listeners, RouteConfiguration: set.RouteConfiguration.filter((r) => !used.has(r.name as string)) };
}

/** The RDS name of a connection manager filter (undefined for any other filter). */
function rdsName(f: { name?: string; typed_config?: unknown }): string | undefined {
  return f.name === HCM ? (f.typed_config as { rds?: { route_config_name?: string } } | undefined)?.rds?.route_config_name : undefined;
}

function rdsNames(l: EnvoyJson): string[] {
  const out: string[] = [];
  for (const c of (l.filter_chains as FilterChain[] | undefined) ?? [])
    for (const f of c.filters) {
      const name = rdsName(f);
      if (name !== undefined) out.push(name);
    }
  return out;
}

function withInlineRoutes(l: EnvoyJson, routes: ReadonlyMap<string, EnvoyJson>): EnvoyJson {
  return mapChains(l, (chain) =>
    mapFilters(chain, (f) => {
      const name = rdsName(f);
      const route = name !== undefined ? routes.get(name) : undefined;
      if (!route) return f;
      // route_config where rds was (the same order of fields for a reader of the config).
      const hcm: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(f.typed_config)) {
        if (k === 'rds') hcm.route_config = bareRoute(route);
        else hcm[k] = v;
      }
      return { ...f, typed_config: hcm as typeof f.typed_config };
    }),
  );
}

function bareRoute(route: EnvoyJson): Record<string, unknown> {
  let b = bare.get(route);
  if (b === undefined) {
    const { '@type': _type, ...rest } = route;
    b = rest;
    bare.set(route, b);
  }
  return b;
}
