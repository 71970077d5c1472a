/**
 * Traffic insights of an ExternalService, as the control plane answers them (issue #18 item 1; shapes in
 * packages/core/src/traffic.ts, `ExternalServiceStats` and `ExternalServiceCallers`):
 *   GET /meshes/{mesh}/external-services/{name}/stats    `total` and per-zone windows (`5m`, `1h`) and
 *                                                         chart points (`series['1h']`: 1 min buckets)
 *   GET /meshes/{mesh}/external-services/{name}/callers  `items`: zone, calling service, its windows
 * read into the few numbers the GUI draws and formatted for people. A value the answer lacks (or gives as
 * null: no requests, no responses) stays undefined and is shown as "no data": nothing is made up.
 */

/** One window's aggregates. Rates per second over the window, error rate a fraction (0..1), latencies in ms. */
export interface TrafficSummary {
  window: string;
  requests?: number;
  rps?: number;
  errors?: number;
  errorRate?: number;
  p50Ms?: number;
  p99Ms?: number;
  /** Requests an egress' MeshTrafficPermission denied (403). */
  denied?: number;
  /** 403 responses the callers got. */
  forbidden?: number;
}

/** Chart points (unix seconds), as uPlot wants them: one array per series, `null` where there is no value. */
export interface TrafficSeries {
  t: number[];
  rps: (number | null)[];
  errorRate: (number | null)[];
  p99Ms: (number | null)[];
  deniedPerSecond: (number | null)[];
}

export interface ZoneTraffic {
  zone: string;
  updated?: string;
  sidecars: number;
  egresses: number;
  /** What the zone's sidecars sent over the last hour (its callers). */
  calls: TrafficSummary;
  /** What the zone's ZoneEgresses sent over the last hour. */
  egressed: TrafficSummary;
}

export interface TrafficStats {
  /** `5m` then `1h`. */
  summaries: TrafficSummary[];
  series?: TrafficSeries;
  zones: ZoneTraffic[];
}

export interface CallerEdge {
  zone: string;
  /** The calling service (`kuma.io/service`; `(other)` sums the callers past the first 20 of a zone). */
  service: string;
  proxies?: number;
  requests?: number;
  rps?: number;
  errors?: number;
  errorRate?: number;
  /** 403 responses: what a denied caller gets from the egress. */
  denied?: number;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** One window (`WindowStats`, or a caller's `CallerWindowStats`). */
export function readWindow(window: string, v: unknown): TrafficSummary {
  const o = isObj(v) ? v : {};
  const latency = isObj(o.latencyMs) ? o.latencyMs : {};
  const out: TrafficSummary = { window };
  const set = <K extends keyof TrafficSummary>(k: K, value: TrafficSummary[K] | undefined) => {
    if (value !== undefined) out[k] = value;
  };
  set('requests', num(o.requests));
  set('rps', num(o.requestsPerSecond));
  set('errors', num(o.errors));
  set('errorRate', num(o.errorRate));
  set('p50Ms', num(latency.p50));
  set('p99Ms', num(latency.p99));
  set('denied', num(o.rbacDenied));
  set('forbidden', num(o.forbidden));
  return out;
}

const WINDOWS = ['5m', '1h'] as const;

function timeOf(v: unknown): number | undefined {
  if (typeof v !== 'string') return undefined;
  const ms = Date.parse(v);
  return Number.isNaN(ms) ? undefined : ms / 1000;
}

/** Chart points of one window of `series` (`TrafficPoint[]`), oldest first. */
export function readSeries(points: unknown): TrafficSeries | undefined {
  if (!Array.isArray(points)) return undefined;
  const ps = points
    .filter(isObj)
    .map((p) => ({ t: timeOf(p.time), p }))
    .filter((x): x is { t: number; p: Obj } => x.t !== undefined)
    .sort((a, b) => a.t - b.t);
  if (ps.length === 0) return undefined;
  return {
    t: ps.map((x) => x.t),
    rps: ps.map((x) => num(x.p.requestsPerSecond) ?? null),
    errorRate: ps.map((x) => num(x.p.errorRate) ?? null),
    p99Ms: ps.map((x) => num(x.p.p99Ms) ?? null),
    deniedPerSecond: ps.map((x) => num(x.p.rbacDeniedPerSecond) ?? null),
  };
}

/** Reads a `/stats` answer. */
export function parseStats(body: unknown): TrafficStats {
  const o = isObj(body) ? body : {};
  const total = isObj(o.total) ? o.total : {};
  const summaries = WINDOWS.filter((w) => isObj(total[w])).map((w) => readWindow(w, total[w]));
  const zones: ZoneTraffic[] = (Array.isArray(o.zones) ? o.zones : []).filter(isObj).flatMap((z) => {
    if (typeof z.zone !== 'string') return [];
    const proxies = isObj(z.proxies) ? z.proxies : {};
    const sidecars = isObj(z.sidecars) ? z.sidecars : {};
    const egresses = isObj(z.egresses) ? z.egresses : {};
    return [
      {
        zone: z.zone,
        ...(typeof z.updated === 'string' ? { updated: z.updated } : {}),
        sidecars: num(proxies.sidecars) ?? 0,
        egresses: num(proxies.egresses) ?? 0,
        calls: readWindow('1h', sidecars['1h']),
        egressed: readWindow('1h', egresses['1h']),
      },
    ];
  });
  const series = isObj(o.series) ? readSeries(o.series['1h']) : undefined;
  return { summaries, zones, ...(series ? { series } : {}) };
}

/** Reads a `/callers` answer (the last hour of each caller). */
export function parseCallers(body: unknown): CallerEdge[] {
  const o = isObj(body) ? body : {};
  const out: CallerEdge[] = [];
  for (const c of Array.isArray(o.items) ? o.items : []) {
    if (!isObj(c) || typeof c.service !== 'string') continue;
    const w = readWindow('1h', c['1h']);
    const e: CallerEdge = { zone: typeof c.zone === 'string' ? c.zone : '', service: c.service };
    if (num(c.proxies) !== undefined) e.proxies = num(c.proxies) as number;
    if (w.requests !== undefined) e.requests = w.requests;
    if (w.rps !== undefined) e.rps = w.rps;
    if (w.errors !== undefined) e.errors = w.errors;
    if (w.errorRate !== undefined) e.errorRate = w.errorRate;
    if (w.forbidden !== undefined) e.denied = w.forbidden;
    out.push(e);
  }
  return out;
}

/** `0/s`, `0.05/s`, `3.2/s`, `41/s`, `1.2k/s`. */
export function formatRate(rps: number | undefined): string {
  if (rps === undefined) return 'no data';
  if (rps === 0) return '0/s';
  if (rps >= 1000) return `${trim(rps / 1000, 1)}k/s`;
  if (rps >= 10) return `${Math.round(rps)}/s`;
  if (rps >= 0.1) return `${trim(rps, 1)}/s`;
  return `${trim(rps, 3)}/s`;
}

/** A fraction as a percentage: `0 %`, `0.4 %`, `12 %`. */
export function formatPercent(f: number | undefined): string {
  if (f === undefined) return 'no data';
  const p = f * 100;
  if (p === 0) return '0 %';
  if (p < 0.1) return '<0.1 %';
  return `${p >= 10 ? Math.round(p) : trim(p, 1)} %`;
}

/** `850 ms`, `1.25 s`, `0.4 ms`. */
export function formatMs(ms: number | undefined): string {
  if (ms === undefined) return 'no data';
  if (ms >= 1000) return `${trim(ms / 1000, 2)} s`;
  if (ms >= 10) return `${Math.round(ms)} ms`;
  return `${trim(ms, 1)} ms`;
}

export function formatCount(n: number | undefined): string {
  if (n === undefined) return 'no data';
  if (n >= 1e6) return `${trim(n / 1e6, 1)}M`;
  if (n >= 1e4) return `${trim(n / 1e3, 1)}k`;
  return String(Math.round(n));
}

function trim(n: number, digits: number): string {
  return String(Number(n.toFixed(digits)));
}
