/**
 * MeshRetry (Kuma's `to[]` with `default: { http, grpc, tcp }`), on the selected proxy's outbounds.
 *
 * - `http` (destinations with protocol http / http2) and `grpc` (protocol grpc): the route
 *   `outbound:<service>`'s `retry_policy`: `numRetries` -> `num_retries`, `perTryTimeout` ->
 *   `per_try_timeout`, `backOff.{baseInterval,maxInterval}` -> `retry_back_off` (base 25 ms when only
 *   the maximum is given; a maximum below the base is raised to it, as Envoy requires),
 *   `retryOn` -> `retry_on` (`5xx` 5xx, `GatewayError` gateway-error, `Reset` reset, `Retriable4xx`
 *   retriable-4xx, `ConnectFailure` connect-failure, `EnvoyRatelimited` envoy-ratelimited,
 *   `RefusedStream` refused-stream, `Http3PostConnectFailure` http3-post-connect-failure; an HTTP status
 *   code adds `retriable-status-codes` and the code to `retriable_status_codes`; `HttpMethod<M>` limits
 *   retries to requests with that method through `retriable_request_headers` on `:method`; gRPC:
 *   `Canceled` cancelled, `DeadlineExceeded` deadline-exceeded, `Internal` internal,
 *   `ResourceExhausted` resource-exhausted, `Unavailable` unavailable).
 * - `tcp.maxConnectAttempt` (destinations with protocol tcp): tcp_proxy `max_connect_attempts` on the
 *   outbound listeners of the destination.
 *
 * Fields no policy sets keep the generator's default retry policy (`connect-failure`, 2 retries).
 */
import { durationMs, type EnvoyJson, type RetryPolicy } from '@causeway/envoy/config';
import type { Resource } from '../../resource.js';
import { parseDuration } from '../../validation.js';
import { HTTP_PROTOCOLS, type PolicyContext, type Protocol, type ResourceSet } from '../context.js';
import { canonicalJson } from '../match.js';
import {
  dataplaneTagSets,
  explainEntries,
  explainPolicies,
  type PolicyExplanation,
  type PolicyPlugin,
  type Resolved,
  resolveTo,
  routeService,
  type SidecarPolicyInput,
  selecting,
} from '../plugin.js';
import { derive, type GeneratedVirtualHost, mapChains, mapFilters, mapKind, outboundListenerService, TCP_PROXY, withConfig } from '../resources.js';
import { meshRetry, type RetryConf } from './api.js';

const TYPE = meshRetry.type;

const HTTP_RETRY_ON: Record<string, string> = {
  '5xx': '5xx',
  '5XX': '5xx', // what Causeway accepted before Kuma's spelling; kept for policies stored then
  GatewayError: 'gateway-error',
  Reset: 'reset',
  Retriable4xx: 'retriable-4xx',
  ConnectFailure: 'connect-failure',
  EnvoyRatelimited: 'envoy-ratelimited',
  RefusedStream: 'refused-stream',
  Http3PostConnectFailure: 'http3-post-connect-failure',
};
const GRPC_RETRY_ON: Record<string, string> = {
  Canceled: 'cancelled',
  DeadlineExceeded: 'deadline-exceeded',
  Internal: 'internal',
  ResourceExhausted: 'resource-exhausted',
  Unavailable: 'unavailable',
};
const DEFAULT_BASE_INTERVAL_MS = 25;

type HttpRetry = NonNullable<RetryConf['http']>;

/** The section of a conf that applies to a destination's protocol. */
function sectionFor(conf: RetryConf, protocol: Protocol): { kind: 'http' | 'grpc'; conf: HttpRetry } | { kind: 'tcp'; conf: NonNullable<RetryConf['tcp']> } | undefined {
  if (protocol === 'grpc') return conf.grpc ? { kind: 'grpc', conf: conf.grpc } : undefined;
  if (HTTP_PROTOCOLS.has(protocol)) return conf.http ? { kind: 'http', conf: conf.http } : undefined;
  return conf.tcp ? { kind: 'tcp', conf: conf.tcp } : undefined;
}

function ms(v: string | undefined): number | undefined {
  return v === undefined ? undefined : parseDuration(v);
}

/** The route retry_policy: the existing one with the fields the conf sets replaced. */
export function retryPolicy(existing: RetryPolicy | undefined, c: HttpRetry, kind: 'http' | 'grpc'): RetryPolicy {
  const out: RetryPolicy = { ...(existing ?? {}) };
  if (c.retryOn !== undefined) {
    const table = kind === 'grpc' ? GRPC_RETRY_ON : HTTP_RETRY_ON;
    const on: string[] = [];
    const codes: number[] = [];
    const methods: string[] = [];
    for (const item of c.retryOn) {
      const r = String(item); // a status code may be written as a number (`- 503`)
      if (/^\d{3}$/.test(r)) codes.push(Number(r));
      else if (r.startsWith('HttpMethod')) methods.push(r.slice('HttpMethod'.length).toUpperCase());
      else if (table[r]) on.push(table[r] as string);
    }
    if (codes.length > 0) on.push('retriable-status-codes');
    out.retry_on = [...new Set(on)].join(',');
    delete out.retriable_status_codes;
    delete out.retriable_request_headers;
    if (codes.length > 0) out.retriable_status_codes = [...new Set(codes)];
    if (methods.length > 0) out.retriable_request_headers = [...new Set(methods)].map((m) => ({ name: ':method', string_match: { exact: m } }));
  }
  if (c.numRetries !== undefined) out.num_retries = c.numRetries;
  const perTry = ms(c.perTryTimeout);
  if (perTry !== undefined) out.per_try_timeout = durationMs(perTry);
  if (c.backOff && (c.backOff.baseInterval !== undefined || c.backOff.maxInterval !== undefined)) {
    const base = ms(c.backOff.baseInterval) ?? DEFAULT_BASE_INTERVAL_MS;
    const max = ms(c.backOff.maxInterval);
    out.retry_back_off = { base_interval: durationMs(base), ...(max !== undefined ? { max_interval: durationMs(Math.max(base, max)) } : {}) };
  }
  return out;
}

function retryRoute(r: EnvoyJson, c: HttpRetry, kind: 'http' | 'grpc'): EnvoyJson {
  return derive(r, `${TYPE}:${kind}:${canonicalJson(c)}`, (o) => {
    const vhosts = o.virtual_hosts as GeneratedVirtualHost[];
    return {
      ...o,
      virtual_hosts: vhosts.map((vh) => ({
        ...vh,
        routes: vh.routes.map((rt) =>
          rt.route ? { ...rt, route: { ...rt.route, retry_policy: retryPolicy(rt.route.retry_policy, c, kind) } } : rt,
        ),
      })),
    };
  });
}

function outboundRules(input: SidecarPolicyInput): Map<string, Resolved<RetryConf> & { protocol: Protocol }> {
  const out = new Map<string, Resolved<RetryConf> & { protocol: Protocol }>();
  const proxyTags = dataplaneTagSets(input.dataplane.spec);
  // The policies whose targetRef selects this proxy, found through the index by service (not every policy per outbound).
  const policies = selecting(input.ctx, TYPE, proxyTags);
  for (const t of input.outbounds) {
    const r = resolveTo<RetryConf>(policies, proxyTags, t);
    if (r) out.set(t.service, { ...r, protocol: t.protocol });
  }
  return out;
}

function sidecar(set: ResourceSet, input: SidecarPolicyInput): ResourceSet {
  const rules = outboundRules(input);
  if (rules.size === 0) return set;
  let out = mapKind(set, 'RouteConfiguration', (rc) => {
    const r = routeService(rc, rules);
    const s = r ? sectionFor(r.conf, r.protocol) : undefined;
    return s && s.kind !== 'tcp' ? retryRoute(rc, s.conf, s.kind) : rc;
  });
  out = mapKind(out, 'Listener', (l) => {
    if (l.traffic_direction !== 'OUTBOUND') return l;
    const service = outboundListenerService(l);
    const r = service !== undefined ? rules.get(service) : undefined;
    const s = r ? sectionFor(r.conf, r.protocol) : undefined;
    if (s?.kind !== 'tcp' || s.conf.maxConnectAttempt === undefined) return l;
    const attempts = s.conf.maxConnectAttempt;
    return derive(l, `${TYPE}:tcp:${attempts}`, (o) =>
      mapChains(o, (chain) => mapFilters(chain, (f) => (f.name === TCP_PROXY ? withConfig(f, { max_connect_attempts: attempts }) : f))),
    );
  });
  return out;
}

function explain(input: SidecarPolicyInput): PolicyExplanation {
  return {
    type: TYPE,
    policies: explainPolicies(input.ctx, TYPE, dataplaneTagSets(input.dataplane.spec)),
    outbounds: [...outboundRules(input).entries()].map(([service, r]) => {
      const s = sectionFor(r.conf, r.protocol);
      return {
        name: service,
        service,
        rules: explainEntries(r.entries, 'to'),
        result: { protocol: r.protocol, applied: s?.kind ?? 'none', conf: r.conf },
      };
    }),
    inbounds: [],
  };
}

export const meshRetryPlugin: PolicyPlugin<'MeshRetry'> = {
  api: meshRetry,
  sidecar,
  explain,
  relevantToSidecar: (ctx: PolicyContext, dp: Resource<'Dataplane'>) => selecting(ctx, TYPE, dataplaneTagSets(dp.spec)),
};

