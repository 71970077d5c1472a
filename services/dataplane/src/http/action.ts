/** Route actions compiled once per route configuration: target clusters, timeouts, retry policy, rewrites. */
import type { HeaderValueOption, RetryPolicy, Route, RouteConfiguration, VirtualHost } from '@causeway/envoy';
import { compileHeaderMatcher, type HeaderPred, type Headers, headerObject } from './headers.js';
import { ConfigError, durationMs, readDataSource, unwrap, unwrapNumber } from '../envoy/values.js';

export const RETRY_ON = new Set([
  '5xx',
  'gateway-error',
  'reset',
  'reset-before-request',
  'connect-failure',
  'retriable-4xx',
  'refused-stream',
  'retriable-status-codes',
  'retriable-headers',
  'envoy-ratelimited',
  'http3-post-connect-failure',
  'cancelled',
  'deadline-exceeded',
  'internal',
  'resource-exhausted',
  'unavailable',
]);

export interface CompiledRetry {
  /** retriable_request_headers: a request is retried only when one of them matches (none: always) */
  requestHeaders: HeaderPred[];
  /** retriable_headers (retry_on "retriable-headers"): response headers that make a response retriable */
  responseHeaders: HeaderPred[];
  retryOn: Set<string>;
  numRetries: number;
  perTryTimeoutMs: number; // 0: none
  retriableStatusCodes: Set<number>;
  baseIntervalMs: number;
  maxIntervalMs: number;
}

export function compileRetry(p: RetryPolicy, field: string): CompiledRetry {
  const retryOn = new Set(
    (p.retry_on ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  );
  for (const r of retryOn) if (!RETRY_ON.has(r)) throw new ConfigError(`${field}.retry_on: unknown condition "${r}"`);
  const base = durationMs(p.retry_back_off?.base_interval, `${field}.retry_back_off.base_interval`) ?? 25;
  return {
    requestHeaders: (p.retriable_request_headers ?? []).map((h, i) => compileHeaderMatcher(h, `${field}.retriable_request_headers[${i}]`)),
    responseHeaders: (p.retriable_headers ?? []).map((h, i) => compileHeaderMatcher(h, `${field}.retriable_headers[${i}]`)),
    retryOn,
    numRetries: unwrapNumber(p.num_retries, `${field}.num_retries`) ?? 1,
    perTryTimeoutMs: durationMs(p.per_try_timeout, `${field}.per_try_timeout`) ?? 0,
    retriableStatusCodes: new Set(p.retriable_status_codes ?? []),
    baseIntervalMs: base,
    maxIntervalMs: durationMs(p.retry_back_off?.max_interval, `${field}.retry_back_off.max_interval`) ?? base * 10,
  };
}

const GRPC_RETRY_ON: Record<string, number> = { cancelled: 1, 'deadline-exceeded': 4, 'resource-exhausted': 8, internal: 13, unavailable: 14 };

/** The response headers a retry decision reads when no `retriable-headers` matcher is configured. */
const DECISION_HEADERS = new Set(['x-envoy-overloaded', 'x-envoy-ratelimited', 'grpc-status']);
const DECISION_HEADER_LENGTHS = new Set([...DECISION_HEADERS].map((n) => n.length));

/**
 * Whether a response is retried under a policy (Envoy's wouldRetryFromHeaders): by status, by
 * `x-envoy-ratelimited`, by `grpc-status` in the response headers (a trailers-only gRPC response), by
 * retriable_headers. `rawHeaders` is the response's [name, value, ...] list; the whole header object is
 * built only when retriable_headers matchers need it (this runs for every response of a retried route).
 */
export function retriableStatus(r: CompiledRetry, status: number, rawHeaders: readonly string[] = []): boolean {
  let headers: Headers;
  if (r.retryOn.has('retriable-headers')) headers = headerObject(rawHeaders);
  else {
    headers = {};
    for (let i = 0; i < rawHeaders.length; i += 2) {
      const k = rawHeaders[i] as string;
      if (!DECISION_HEADER_LENGTHS.has(k.length)) continue;
      const lk = k.toLowerCase();
      if (DECISION_HEADERS.has(lk)) headers[lk] ??= rawHeaders[i + 1];
    }
  }
  if (headers['x-envoy-overloaded'] !== undefined) return false;
  if (headers['x-envoy-ratelimited'] !== undefined) return r.retryOn.has('envoy-ratelimited');
  if (r.retryOn.has('5xx') && status >= 500 && status <= 599) return true;
  if (r.retryOn.has('gateway-error') && (status === 502 || status === 503 || status === 504)) return true;
  if (r.retryOn.has('retriable-4xx') && status === 409) return true;
  if (r.retryOn.has('retriable-status-codes') && r.retriableStatusCodes.has(status)) return true;
  if (r.retryOn.has('retriable-headers') && r.responseHeaders.some((m) => m(headers))) return true;
  const grpc = headers['grpc-status'];
  if (grpc !== undefined) {
    const code = Number(Array.isArray(grpc) ? grpc[0] : grpc);
    for (const [cond, c] of Object.entries(GRPC_RETRY_ON)) if (c === code && r.retryOn.has(cond)) return true;
  }
  return false;
}

/** Whether a failure without a response is retried (Envoy's wouldRetryFromReset; per-try timeouts as resets). */
export function retriableFailure(r: CompiledRetry, failure: 'connect-failure' | 'reset' | 'per-try-timeout'): boolean {
  if (r.retryOn.has('5xx') || r.retryOn.has('gateway-error') || r.retryOn.has('reset')) return true;
  if (failure === 'connect-failure' && (r.retryOn.has('connect-failure') || r.retryOn.has('reset-before-request'))) return true;
  return false;
}

/** Envoy's fully jittered exponential back-off: uniform in [0, min(base * (2^n - 1), max)]. */
export function backoffMs(r: CompiledRetry, attempt: number): number {
  const ceiling = Math.min(r.baseIntervalMs * (2 ** attempt - 1), r.maxIntervalMs);
  return Math.random() * Math.max(ceiling, r.baseIntervalMs);
}

export interface HeaderAdd {
  key: string;
  value: string;
  mode: 'append' | 'add-if-absent' | 'overwrite' | 'overwrite-if-exists';
}

function compileHeadersToAdd(list: HeaderValueOption[] | undefined, field: string): HeaderAdd[] {
  return (list ?? []).map((h, i) => {
    if (!h.header?.key) throw new ConfigError(`${field}[${i}]: header key is required`);
    const append = unwrap(h.append);
    let mode: HeaderAdd['mode'] = 'append';
    if (h.append_action === 'ADD_IF_ABSENT') mode = 'add-if-absent';
    else if (h.append_action === 'OVERWRITE_IF_EXISTS_OR_ADD' || append === false) mode = 'overwrite';
    else if (h.append_action === 'OVERWRITE_IF_EXISTS') mode = 'overwrite-if-exists';
    return { key: h.header.key.toLowerCase(), value: h.header.value ?? '', mode };
  });
}

export interface CompiledAction {
  clusters: { name: string; weight: number }[];
  totalWeight: number;
  clusterHeader: string | undefined;
  /** 0: no timeout */
  timeoutMs: number;
  /** max_stream_duration.max_stream_duration (0: none): 408 when it passes before the response starts */
  maxStreamDurationMs: number;
  retry: CompiledRetry | undefined;
  prefixRewrite: string | undefined;
  prefix: string | undefined;
  hostRewrite: string | undefined;
  autoHostRewrite: boolean;
  clusterNotFoundStatus: number;
  requestHeadersToAdd: HeaderAdd[];
  requestHeadersToRemove: string[];
  responseHeadersToAdd: HeaderAdd[];
  responseHeadersToRemove: string[];
  directResponse: { status: number; body: Buffer | undefined } | undefined;
}

export function compileAction(route: Route, vh: VirtualHost, rc: RouteConfiguration, field: string): CompiledAction {
  const a = route.route;
  const reqAdd = [
    ...compileHeadersToAdd(route.request_headers_to_add, `${field}.request_headers_to_add`),
    ...compileHeadersToAdd(vh.request_headers_to_add, 'virtual_host.request_headers_to_add'),
    ...compileHeadersToAdd(rc.request_headers_to_add, 'request_headers_to_add'),
  ];
  const respAdd = [
    ...compileHeadersToAdd(route.response_headers_to_add, `${field}.response_headers_to_add`),
    ...compileHeadersToAdd(vh.response_headers_to_add, 'virtual_host.response_headers_to_add'),
    ...compileHeadersToAdd(rc.response_headers_to_add, 'response_headers_to_add'),
  ];
  const reqRemove = [...(route.request_headers_to_remove ?? []), ...(vh.request_headers_to_remove ?? []), ...(rc.request_headers_to_remove ?? [])].map((h) => h.toLowerCase());
  const respRemove = [...(route.response_headers_to_remove ?? []), ...(vh.response_headers_to_remove ?? []), ...(rc.response_headers_to_remove ?? [])].map((h) =>
    h.toLowerCase(),
  );
  const base = {
    requestHeadersToAdd: reqAdd,
    requestHeadersToRemove: reqRemove,
    responseHeadersToAdd: respAdd,
    responseHeadersToRemove: respRemove,
  };
  if (!a) {
    const dr = route.direct_response;
    if (!dr) throw new ConfigError(`${field}: no action`);
    return {
      clusters: [],
      totalWeight: 0,
      clusterHeader: undefined,
      timeoutMs: 0,
      maxStreamDurationMs: 0,
      retry: undefined,
      prefixRewrite: undefined,
      prefix: undefined,
      hostRewrite: undefined,
      autoHostRewrite: false,
      clusterNotFoundStatus: 503,
      ...base,
      directResponse: { status: dr.status, body: readDataSource(dr.body, `${field}.direct_response.body`) },
    };
  }
  const clusters = a.cluster
    ? [{ name: a.cluster, weight: 1 }]
    : (a.weighted_clusters?.clusters ?? []).map((c, i) => ({ name: c.name, weight: unwrapNumber(c.weight, `${field}.route.weighted_clusters.clusters[${i}].weight`) ?? 0 }));
  const totalWeight = clusters.reduce((s, c) => s + c.weight, 0);
  if (a.weighted_clusters && totalWeight <= 0) throw new ConfigError(`${field}.route.weighted_clusters: weights add up to 0`);
  const retryPolicy = a.retry_policy ?? vh.retry_policy;
  return {
    clusters,
    totalWeight,
    clusterHeader: a.cluster_header?.toLowerCase(),
    timeoutMs: durationMs(a.timeout, `${field}.route.timeout`) ?? 15_000,
    maxStreamDurationMs: durationMs(a.max_stream_duration?.max_stream_duration, `${field}.route.max_stream_duration.max_stream_duration`) ?? 0,
    retry: retryPolicy ? compileRetry(retryPolicy, `${field}.route.retry_policy`) : undefined,
    prefixRewrite: a.prefix_rewrite,
    prefix: route.match.prefix ?? route.match.path_separated_prefix,
    hostRewrite: a.host_rewrite_literal,
    autoHostRewrite: unwrap(a.auto_host_rewrite) === true,
    clusterNotFoundStatus: a.cluster_not_found_response_code === 'NOT_FOUND' ? 404 : a.cluster_not_found_response_code === 'INTERNAL_SERVER_ERROR' ? 500 : 503,
    ...base,
    directResponse: undefined,
  };
}

/** The cluster a request goes to: the single cluster, a weighted pick, or the cluster header's value. */
export function pickCluster(a: CompiledAction, headers: Record<string, string | string[] | undefined>): string | undefined {
  if (a.clusterHeader) {
    const v = headers[a.clusterHeader];
    return Array.isArray(v) ? v[0] : v;
  }
  if (a.clusters.length === 1) return a.clusters[0]?.name;
  let r = Math.random() * a.totalWeight;
  for (const c of a.clusters) {
    r -= c.weight;
    if (r < 0) return c.name;
  }
  return a.clusters[a.clusters.length - 1]?.name;
}
