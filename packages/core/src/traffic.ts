/**
 * Traffic insights arithmetic (pure): adding counter deltas to the buckets of an ExternalServiceInsight,
 * dropping buckets that left their window, and turning buckets into what the API answers — rates over
 * the last 5 minutes and the last hour, error rate, p50/p99 latency from the histogram buckets — for
 * `GET /meshes/{mesh}/external-services/{name}/stats` and `.../callers`. The answer types are here so
 * that the CLI and the GUI read the same shapes the API writes.
 */
import { ZONE_LABEL } from './labels.js';
import type { Resource } from './resource.js';
import {
  type CallerSeries,
  type ExternalServiceInsightSpec,
  LATENCY_BOUNDS_MS,
  STATUS_CLASSES,
  type StatusClass,
  type TrafficBucket,
  type TrafficSeries,
} from './resources/external-service-insight.js';

export type TrafficWindow = '5m' | '1h';

/** The windows the API answers, and the buckets each is computed from. */
export const TRAFFIC_WINDOWS: Readonly<Record<TrafficWindow, { seconds: number; step: number; field: 'buckets10s' | 'buckets1m' }>> = {
  '5m': { seconds: 300, step: 10, field: 'buckets10s' },
  '1h': { seconds: 3600, step: 60, field: 'buckets1m' },
};
export const TRAFFIC_WINDOW_NAMES: readonly TrafficWindow[] = ['5m', '1h'];

/** The counters of a bucket, without its time. */
export type TrafficDelta = Omit<TrafficBucket, 't'>;

const SCALARS = ['requests', 'forbidden', 'rxBytes', 'txBytes', 'connections', 'rbacDenied'] as const;

/** Whether a delta counted nothing. */
export function isEmptyDelta(d: TrafficDelta): boolean {
  if (SCALARS.some((k) => (d[k] ?? 0) > 0)) return false;
  if (STATUS_CLASSES.some((c) => (d.responses?.[c] ?? 0) > 0)) return false;
  return !(d.latency ?? []).some((n) => n > 0) && !((d.latencySumMs ?? 0) > 0);
}

function addArrays(a: readonly number[] | undefined, b: readonly number[] | undefined): number[] {
  const out: number[] = [];
  const n = Math.max(a?.length ?? 0, b?.length ?? 0);
  for (let i = 0; i < n; i++) out.push((a?.[i] ?? 0) + (b?.[i] ?? 0));
  return out;
}

/** `a + b`, in the stored form: zeros left out, the latency histogram's trailing zeros cut. */
export function addDelta<T extends TrafficDelta>(a: T, b: TrafficDelta): T {
  const out: TrafficDelta = { ...a };
  for (const k of SCALARS) {
    const v = (a[k] ?? 0) + (b[k] ?? 0);
    if (v > 0) out[k] = v;
    else delete out[k];
  }
  const responses: Partial<Record<StatusClass, number>> = {};
  for (const c of STATUS_CLASSES) {
    const v = (a.responses?.[c] ?? 0) + (b.responses?.[c] ?? 0);
    if (v > 0) responses[c] = v;
  }
  if (Object.keys(responses).length > 0) out.responses = responses;
  else delete out.responses;
  const latency = addArrays(a.latency, b.latency);
  while (latency.length > 0 && latency[latency.length - 1] === 0) latency.pop();
  if (latency.length > 0) out.latency = latency;
  else delete out.latency;
  const sum = Math.round(((a.latencySumMs ?? 0) + (b.latencySumMs ?? 0)) * 1000) / 1000;
  if (sum > 0) out.latencySumMs = sum;
  else delete out.latencySumMs;
  return out as T;
}

/** Adds `delta` to the bucket of `step` seconds holding `time` (Unix seconds); buckets stay sorted by time. */
export function addToBuckets(buckets: readonly TrafficBucket[], step: number, time: number, delta: TrafficDelta): TrafficBucket[] {
  if (isEmptyDelta(delta)) return [...buckets];
  const t = Math.floor(time / step) * step;
  const out = [...buckets];
  const i = out.findIndex((b) => b.t >= t);
  if (i >= 0 && out[i]?.t === t) out[i] = { ...addDelta(out[i] as TrafficBucket, delta), t };
  else {
    const bucket: TrafficBucket = { t, ...addDelta({}, delta) };
    if (i < 0) out.push(bucket);
    else out.splice(i, 0, bucket);
  }
  return out;
}

/** The buckets of `step` that still belong to a window of `seconds` ending at `now` (Unix seconds). */
export function pruneBuckets(buckets: readonly TrafficBucket[], step: number, seconds: number, now: number): TrafficBucket[] {
  const oldest = Math.floor(now / step) * step - seconds + step;
  return buckets.filter((b) => b.t >= oldest);
}

/** Adds a delta counted at `time` to both resolutions of a series. */
export function addToSeries<S extends TrafficSeries>(series: S, time: number, delta: TrafficDelta): S {
  if (isEmptyDelta(delta)) return series;
  const out: S = { ...series };
  for (const w of TRAFFIC_WINDOW_NAMES) {
    const { step, field } = TRAFFIC_WINDOWS[w];
    out[field] = addToBuckets(series[field] ?? [], step, time, delta);
  }
  return out;
}

/** Drops the buckets of a series that left their window (empty lists left out). */
export function pruneSeries<S extends TrafficSeries>(series: S, now: number): S {
  const out: S = { ...series };
  for (const w of TRAFFIC_WINDOW_NAMES) {
    const { step, seconds, field } = TRAFFIC_WINDOWS[w];
    const kept = pruneBuckets(series[field] ?? [], step, seconds, now);
    if (kept.length > 0) out[field] = kept;
    else delete out[field];
  }
  return out;
}

/**
 * Quantile `q` (0..1) of a histogram with `bounds` (ms) and `counts` per bucket (the last one above the
 * highest bound), interpolated linearly inside the bucket like Prometheus' `histogram_quantile`: the first
 * bucket starts at 0; a rank in the bucket above the highest bound answers that bound. Undefined for an
 * empty histogram.
 */
export function histogramQuantile(q: number, counts: readonly number[], bounds: readonly number[] = LATENCY_BOUNDS_MS): number | undefined {
  const total = counts.reduce((a, b) => a + b, 0);
  if (total <= 0) return undefined;
  const rank = Math.min(Math.max(q, 0), 1) * total;
  let cumulative = 0;
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i] ?? 0;
    if (c > 0 && cumulative + c >= rank) {
      if (i >= bounds.length) return bounds[bounds.length - 1];
      const lower = i === 0 ? 0 : (bounds[i - 1] as number);
      const upper = bounds[i] as number;
      return lower + (upper - lower) * ((rank - cumulative) / c);
    }
    cumulative += c;
  }
  return bounds[bounds.length - 1];
}

// ------------------------------------------------------------------------------------------------
// What the API answers

export interface LatencyStats {
  p50: number | null;
  p99: number | null;
  mean: number | null;
}

/** The traffic of one window: counts, and rates per second over the whole window. */
export interface WindowStats {
  window: TrafficWindow;
  seconds: number;
  /** Upstream requests started (retries included). */
  requests: number;
  requestsPerSecond: number;
  /** Responses by status class, and the same per second. */
  responses: Record<StatusClass, number>;
  responsesPerSecond: Record<StatusClass, number>;
  /** Requests that got no response (connection failure, reset, timeout): requests minus responses. */
  noResponse: number;
  /** 5xx responses and requests without a response. */
  errors: number;
  /** `errors / requests`; null without requests. */
  errorRate: number | null;
  /** 403 responses. */
  forbidden: number;
  /** From the latency histogram (ms); null without responses. */
  latencyMs: LatencyStats;
  bytes: { received: number; sent: number; receivedPerSecond: number; sentPerSecond: number };
  /** `active`: open at the last scrape (the same in both windows); `opened`: during the window. */
  connections: { active: number; opened: number; openedPerSecond: number };
  /** Requests denied by the HTTP RBAC filter of an egress (MeshTrafficPermission). */
  rbacDenied: number;
  rbacDeniedPerSecond: number;
}

export type WindowedStats = Record<TrafficWindow, WindowStats>;

export interface ZoneTrafficStats {
  zone: string;
  /** When the zone last changed its insight (absent: it sent none). */
  updated?: string;
  proxies: { sidecars: number; egresses: number };
  /** What the zone's sidecars sent (the calls made by its services). */
  sidecars: WindowedStats;
  /** What the zone's ZoneEgresses sent (the calls they originated or passed on to another zone). */
  egresses: WindowedStats;
}

/** One point of a chart: the total of one bucket. */
export interface TrafficPoint {
  /** Start of the bucket (RFC 3339). */
  time: string;
  requestsPerSecond: number;
  errorRate: number | null;
  p99Ms: number | null;
  rbacDeniedPerSecond: number;
}

/** `GET /meshes/{mesh}/external-services/{name}/stats` */
export interface ExternalServiceStats {
  mesh: string;
  externalService: string;
  service: string;
  /** The end of the windows (the time of the answer). */
  time: string;
  /** Every zone: what their sidecars sent, and the RBAC denials at their egresses. */
  total: WindowedStats;
  zones: ZoneTrafficStats[];
  /** The total per bucket, oldest first, every bucket of the window (0 without traffic): 10 s for `5m`, 1 min for `1h`. */
  series: Record<TrafficWindow, TrafficPoint[]>;
}

export type CallerWindowStats = Pick<WindowStats, 'window' | 'seconds' | 'requests' | 'requestsPerSecond' | 'responses' | 'noResponse' | 'errors' | 'errorRate' | 'forbidden'>;

export interface CallerStats {
  zone: string;
  /** The calling service (`(other)`: the callers past the first 20 of the zone, summed). */
  service: string;
  proxies: number;
  activeConnections: number;
  '5m': CallerWindowStats;
  '1h': CallerWindowStats;
}

/** `GET /meshes/{mesh}/external-services/{name}/callers` */
export interface ExternalServiceCallers {
  mesh: string;
  externalService: string;
  service: string;
  time: string;
  total: number;
  /** By zone, then by requests over the last hour (most first). */
  items: CallerStats[];
}

const round = (v: number, digits: number) => {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
};
const perSecond = (n: number, seconds: number) => round(n / seconds, 4);

function emptyResponses(): Record<StatusClass, number> {
  return { '1xx': 0, '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0 };
}

/** The buckets of `series` inside a window ending at `now` (Unix seconds), summed. */
export function windowDelta(series: readonly TrafficSeries[], window: TrafficWindow, now: number): TrafficDelta {
  const { step, seconds, field } = TRAFFIC_WINDOWS[window];
  let sum: TrafficDelta = {};
  for (const s of series) for (const b of pruneBuckets(s[field] ?? [], step, seconds, now)) sum = addDelta(sum, b);
  return sum;
}

/** The stats of one window from summed counters. */
export function statsOf(d: TrafficDelta, window: TrafficWindow, activeConnections: number): WindowStats {
  const { seconds } = TRAFFIC_WINDOWS[window];
  const responses = emptyResponses();
  const responsesPerSecond = emptyResponses();
  let answered = 0;
  for (const c of STATUS_CLASSES) {
    responses[c] = d.responses?.[c] ?? 0;
    responsesPerSecond[c] = perSecond(responses[c], seconds);
    answered += responses[c];
  }
  const requests = d.requests ?? 0;
  const noResponse = Math.max(0, requests - answered);
  const errors = responses['5xx'] + noResponse;
  const latency = d.latency ?? [];
  const observed = latency.reduce((a, b) => a + b, 0);
  const q = (p: number) => {
    const v = histogramQuantile(p, latency);
    return v === undefined ? null : round(v, 3);
  };
  const rx = d.rxBytes ?? 0;
  const tx = d.txBytes ?? 0;
  const opened = d.connections ?? 0;
  const denied = d.rbacDenied ?? 0;
  return {
    window,
    seconds,
    requests,
    requestsPerSecond: perSecond(requests, seconds),
    responses,
    responsesPerSecond,
    noResponse,
    errors,
    errorRate: requests > 0 ? round(Math.min(1, errors / requests), 4) : null,
    forbidden: d.forbidden ?? 0,
    latencyMs: { p50: q(0.5), p99: q(0.99), mean: observed > 0 ? round((d.latencySumMs ?? 0) / observed, 3) : null },
    bytes: { received: rx, sent: tx, receivedPerSecond: perSecond(rx, seconds), sentPerSecond: perSecond(tx, seconds) },
    connections: { active: activeConnections, opened, openedPerSecond: perSecond(opened, seconds) },
    rbacDenied: denied,
    rbacDeniedPerSecond: perSecond(denied, seconds),
  };
}

function windowed(series: readonly TrafficSeries[], now: number, active: number, override?: (w: TrafficWindow) => Partial<TrafficDelta>): WindowedStats {
  const out = {} as WindowedStats;
  for (const w of TRAFFIC_WINDOW_NAMES) out[w] = statsOf({ ...windowDelta(series, w, now), ...(override?.(w) ?? {}) }, w, active);
  return out;
}

const active = (series: readonly (TrafficSeries | undefined)[]) => series.reduce((n, s) => n + (s?.activeConnections ?? 0), 0);

/** Every bucket of a window ending at `now` as a chart point (the sum of `series`, and denials of `denials`). */
function points(series: readonly TrafficSeries[], denials: readonly TrafficSeries[], window: TrafficWindow, now: number): TrafficPoint[] {
  const { step, seconds, field } = TRAFFIC_WINDOWS[window];
  const first = Math.floor(now / step) * step - seconds + step;
  const byTime = (list: readonly TrafficSeries[]) => {
    const m = new Map<number, TrafficDelta>();
    for (const s of list) for (const b of s[field] ?? []) if (b.t >= first) m.set(b.t, addDelta(m.get(b.t) ?? {}, b));
    return m;
  };
  const calls = byTime(series);
  const denied = byTime(denials);
  const out: TrafficPoint[] = [];
  for (let t = first; t <= first + seconds - step; t += step) {
    const d = calls.get(t) ?? {};
    const answered = STATUS_CLASSES.reduce((n, c) => n + (d.responses?.[c] ?? 0), 0);
    const requests = d.requests ?? 0;
    const errors = (d.responses?.['5xx'] ?? 0) + Math.max(0, requests - answered);
    const p99 = histogramQuantile(0.99, d.latency ?? []);
    out.push({
      time: new Date(t * 1000).toISOString(),
      requestsPerSecond: perSecond(requests, step),
      errorRate: requests > 0 ? round(Math.min(1, errors / requests), 4) : null,
      p99Ms: p99 === undefined ? null : round(p99, 3),
      rbacDeniedPerSecond: perSecond(denied.get(t)?.rbacDenied ?? 0, step),
    });
  }
  return out;
}

/** The zone of an insight: its `zone` field, else the label global sets, else `fallback`. */
function zoneOf(r: Resource<'ExternalServiceInsight'>, fallback: string): string {
  return r.spec.zone ?? r.labels[ZONE_LABEL] ?? fallback;
}

export interface TrafficAnswerInput {
  mesh: string;
  /** The ExternalService's name. */
  externalService: string;
  service: string;
  /** Its insights, one per zone that sent one. */
  insights: readonly Resource<'ExternalServiceInsight'>[];
  /** Zones to list even without an insight (every zone known). */
  zones?: readonly string[];
  /** Unix milliseconds. */
  now: number;
}

/** The answer of `GET .../stats`. */
export function externalServiceStats(input: TrafficAnswerInput): ExternalServiceStats {
  const now = Math.floor(input.now / 1000);
  const byZone = new Map<string, Resource<'ExternalServiceInsight'>>();
  for (const r of input.insights) byZone.set(zoneOf(r, '-'), r);
  const zones = [...new Set([...(input.zones ?? []), ...byZone.keys()])].sort();
  const sidecars = input.insights.flatMap((r) => (r.spec.sidecars ? [r.spec.sidecars] : []));
  const egresses = input.insights.flatMap((r) => (r.spec.egresses ? [r.spec.egresses] : []));
  return {
    mesh: input.mesh,
    externalService: input.externalService,
    service: input.service,
    time: new Date(input.now).toISOString(),
    total: windowed(sidecars, now, active(sidecars), (w) => ({ rbacDenied: windowDelta(egresses, w, now).rbacDenied ?? 0 })),
    zones: zones.map((zone) => {
      const r = byZone.get(zone);
      const s = r?.spec;
      return {
        zone,
        ...(r?.modificationTime ? { updated: r.modificationTime } : {}),
        proxies: { sidecars: s?.sidecars?.proxies ?? 0, egresses: s?.egresses?.proxies ?? 0 },
        sidecars: windowed(s?.sidecars ? [s.sidecars] : [], now, s?.sidecars?.activeConnections ?? 0),
        egresses: windowed(s?.egresses ? [s.egresses] : [], now, s?.egresses?.activeConnections ?? 0),
      };
    }),
    series: { '5m': points(sidecars, egresses, '5m', now), '1h': points(sidecars, egresses, '1h', now) },
  };
}

function callerWindow(s: WindowStats): CallerWindowStats {
  const { window, seconds, requests, requestsPerSecond, responses, noResponse, errors, errorRate, forbidden } = s;
  return { window, seconds, requests, requestsPerSecond, responses, noResponse, errors, errorRate, forbidden };
}

/** The answer of `GET .../callers`. */
export function externalServiceCallers(input: TrafficAnswerInput): ExternalServiceCallers {
  const now = Math.floor(input.now / 1000);
  const items: CallerStats[] = [];
  for (const r of input.insights) {
    const zone = zoneOf(r, '-');
    for (const c of r.spec.callers ?? ([] as CallerSeries[])) {
      const w = windowed([c], now, c.activeConnections ?? 0);
      items.push({ zone, service: c.service, proxies: c.proxies ?? 0, activeConnections: c.activeConnections ?? 0, '5m': callerWindow(w['5m']), '1h': callerWindow(w['1h']) });
    }
  }
  items.sort((a, b) => (a.zone !== b.zone ? (a.zone < b.zone ? -1 : 1) : b['1h'].requests - a['1h'].requests || (a.service < b.service ? -1 : a.service > b.service ? 1 : 0)));
  return { mesh: input.mesh, externalService: input.externalService, service: input.service, time: new Date(input.now).toISOString(), total: items.length, items };
}

/** An insight's spec as it is written: every series pruned to its windows, empty parts left out. */
export function prunedInsight(spec: ExternalServiceInsightSpec, now: number): ExternalServiceInsightSpec {
  const out: ExternalServiceInsightSpec = { externalService: spec.externalService, service: spec.service, ...(spec.zone ? { zone: spec.zone } : {}) };
  if (spec.sidecars) out.sidecars = pruneSeries(spec.sidecars, now);
  if (spec.egresses) out.egresses = pruneSeries(spec.egresses, now);
  if (spec.callers && spec.callers.length > 0) out.callers = spec.callers.map((c) => pruneSeries(c, now));
  return out;
}
