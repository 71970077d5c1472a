/**
 * Route matching with Envoy's semantics: virtual host by the Host header (exact domain, then the
 * longest suffix wildcard "*.foo.com", then the longest prefix wildcard "foo.*", then "*"; a port in
 * the Host header is tried as given and then without it), then the first route (in order) whose path
 * matcher, header matchers and query parameter matchers all match.
 */
import type { QueryParameterMatcher, Route, RouteConfiguration, RouteMatch, VirtualHost } from '@causeway/envoy';
import { ConfigError, compileRegex, compileStringMatcher, type Matcher, unwrap } from '../envoy/values.js';
import { type CompiledAction, compileAction } from './action.js';
import { compileHeaderMatcher, type Headers } from './headers.js';

export { compileHeaderMatcher, type HeaderPred, type Headers } from './headers.js';

function compileQueryMatcher(q: QueryParameterMatcher, field: string): (params: URLSearchParams) => boolean {
  if (q.present_match) return (p) => p.has(q.name);
  const m: Matcher = q.string_match ? compileStringMatcher(q.string_match, `${field}.string_match`) : () => true;
  return (p) => {
    const v = p.get(q.name);
    return v !== null && m(v);
  };
}

export interface CompiledRoute {
  route: Route;
  index: number;
  action: CompiledAction;
  /** `headers` may be a function that builds them: it is called only when a header matcher needs them */
  matches(path: string, headers: Headers | (() => Headers)): boolean;
}

function compileRouteMatch(rm: RouteMatch, field: string): (path: string, headers: Headers | (() => Headers)) => boolean {
  const caseSensitive = unwrap(rm.case_sensitive) !== false;
  const lc = (s: string) => (caseSensitive ? s : s.toLowerCase());
  let pathMatch: (p: string) => boolean;
  if (rm.prefix !== undefined) {
    const pre = lc(rm.prefix);
    pathMatch = (p) => lc(p).startsWith(pre);
  } else if (rm.path !== undefined) {
    const full = lc(rm.path);
    pathMatch = (p) => lc(p) === full;
  } else if (rm.safe_regex !== undefined) {
    const re = compileRegex(rm.safe_regex.regex, `${field}.safe_regex`);
    pathMatch = (p) => re.test(p);
  } else if (rm.path_separated_prefix !== undefined) {
    const pre = lc(rm.path_separated_prefix);
    pathMatch = (p) => {
      const s = lc(p);
      return s === pre || (s.startsWith(pre) && s[pre.length] === '/');
    };
  } else {
    throw new ConfigError(`${field}: route match needs prefix, path, safe_regex or path_separated_prefix`);
  }
  const headers = (rm.headers ?? []).map((h, i) => compileHeaderMatcher(h, `${field}.headers[${i}]`));
  const query = (rm.query_parameters ?? []).map((q, i) => compileQueryMatcher(q, `${field}.query_parameters[${i}]`));
  return (rawPath, h) => {
    const qi = rawPath.indexOf('?');
    const path = qi < 0 ? rawPath : rawPath.slice(0, qi);
    if (!pathMatch(path)) return false;
    if (headers.length) {
      const hh = typeof h === 'function' ? h() : h;
      for (const hm of headers) if (!hm(hh)) return false;
    }
    if (query.length) {
      const params = new URLSearchParams(qi < 0 ? '' : rawPath.slice(qi + 1));
      for (const qm of query) if (!qm(params)) return false;
    }
    return true;
  };
}

export interface CompiledVirtualHost {
  vhost: VirtualHost;
  routes: CompiledRoute[];
}

export class CompiledRouteConfig {
  private readonly exact = new Map<string, CompiledVirtualHost>();
  private readonly suffix: { s: string; vh: CompiledVirtualHost }[] = [];
  private readonly prefix: { p: string; vh: CompiledVirtualHost }[] = [];
  private star: CompiledVirtualHost | undefined;

  constructor(
    readonly config: RouteConfiguration,
    field: string,
  ) {
    for (const [i, vh] of (config.virtual_hosts ?? []).entries()) {
      const f = `${field}.virtual_hosts[${i}]`;
      const compiled: CompiledVirtualHost = {
        vhost: vh,
        routes: (vh.routes ?? []).map((r, j) => {
          const rf = `${f}.routes[${j}]`;
          if (!r.match) throw new ConfigError(`${rf}: missing match`);
          if (!r.route && !r.direct_response) throw new ConfigError(`${rf}: only route and direct_response actions are supported`);
          const ra = r.route as unknown as Record<string, unknown> | undefined;
          for (const k of ['request_mirror_policies', 'hash_policy', 'upgrade_configs', 'regex_rewrite', 'path_rewrite_policy']) {
            const v = ra?.[k];
            if (v !== undefined && !(Array.isArray(v) && v.length === 0)) throw new ConfigError(`${rf}.route: ${k} is not supported by this proxy`);
          }
          if (r.route) validateAction(r, rf);
          return { route: r, index: j, action: compileAction(r, vh, config, rf), matches: compileRouteMatch(r.match, `${rf}.match`) };
        }),
      };
      for (const d of vh.domains ?? []) {
        const dom = d.toLowerCase();
        const dup = () => new ConfigError(`${f}: domain "${d}" is used by more than one virtual host`);
        if (dom === '*') {
          if (this.star) throw dup();
          this.star = compiled;
        } else if (dom.startsWith('*')) {
          if (this.suffix.some((x) => x.s === dom.slice(1))) throw dup();
          this.suffix.push({ s: dom.slice(1), vh: compiled });
        } else if (dom.endsWith('*')) {
          if (this.prefix.some((x) => x.p === dom.slice(0, -1))) throw dup();
          this.prefix.push({ p: dom.slice(0, -1), vh: compiled });
        } else {
          if (this.exact.has(dom)) throw dup();
          this.exact.set(dom, compiled);
        }
      }
    }
    this.suffix.sort((a, b) => b.s.length - a.s.length);
    this.prefix.sort((a, b) => b.p.length - a.p.length);
  }

  virtualHost(host: string | undefined): CompiledVirtualHost | undefined {
    const h = (host ?? '').toLowerCase();
    const found = this.lookup(h);
    if (found) return found;
    const colon = h.lastIndexOf(':');
    if (colon > 0 && !h.endsWith(']')) return this.lookup(h.slice(0, colon)) ?? this.star;
    return this.star;
  }

  private lookup(h: string): CompiledVirtualHost | undefined {
    const e = this.exact.get(h);
    if (e) return e;
    for (const s of this.suffix) if (h.length > s.s.length && h.endsWith(s.s)) return s.vh;
    for (const p of this.prefix) if (h.length > p.p.length && h.startsWith(p.p)) return p.vh;
    return undefined;
  }

  /** The route for a request, or undefined (404, "NR"). */
  route(host: string | undefined, path: string, headers: Headers | (() => Headers)): { vh: CompiledVirtualHost; route: CompiledRoute } | undefined {
    const vh = this.virtualHost(host);
    if (!vh) return undefined;
    for (const r of vh.routes) if (r.matches(path, headers)) return { vh, route: r };
    return undefined;
  }
}

function validateAction(r: Route, field: string): void {
  const a = r.route;
  if (!a) return;
  const targets = [a.cluster !== undefined, a.weighted_clusters !== undefined, a.cluster_header !== undefined].filter(Boolean).length;
  if (targets !== 1) throw new ConfigError(`${field}.route: exactly one of cluster, weighted_clusters, cluster_header is required`);
  if (a.weighted_clusters && (a.weighted_clusters.clusters ?? []).length === 0) throw new ConfigError(`${field}.route.weighted_clusters: no clusters`);
}
