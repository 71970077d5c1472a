/**
 * The zone's traffic insights (issue #18 item 1): every `intervalMs` (default 10 s) the zone's leader
 * scrapes the `/metrics` of the zone's sidecars and ZoneEgresses — found in the store at the admin address
 * they announced, as `GET /prometheus/sd` lists them — and turns the counters of the ExternalServices'
 * clusters into one ExternalServiceInsight per ExternalService, which the zone sync publishes to global.
 *
 * Which cluster is which ExternalService: a sidecar's cluster is named by the service (the
 * ExternalService's `kuma.io/service`), an egress' `<mesh>:<service>`; the egress' HTTP RBAC counters carry
 * the stat prefix of its chain for the service (`egress_<mesh>_<service>`). The calling service of a
 * sidecar is the `kuma.io/service` of its Dataplane's first inbound.
 *
 * Deltas: between two scrapes of the same proxy (same resource, same address), counter by counter, a
 * counter that went down was reset (see counters.ts). A proxy seen for the first time counts from 0 when
 * it started after this collector did (`envoy_server_uptime`), since then all it counted is new; one that
 * was already running (this replica just became the leader, or the control plane restarted) is taken as
 * the baseline, so nothing the previous leader counted is counted twice; what it counted between the
 * previous leader's last scrape and this first one is lost. A proxy that is gone from the store is
 * forgotten; one whose scrape fails keeps its last counters, so its next scrape counts what it missed.
 *
 * Writes: an insight is created at its ExternalService's first traffic, written when what it holds
 * changed (new counts, the proxies or open connections changed), with buckets older than their window
 * dropped then; an unchanged one is never written, so quiet ExternalServices cost no writes and no sync.
 * Insights of ExternalServices that are gone are deleted.
 */
import {
  addToBuckets,
  addToSeries,
  type CallerSeries,
  dataplaneServices,
  type ExternalServiceInsightSpec,
  jsonEqual,
  MAX_CALLERS,
  ORIGIN_LABEL,
  OTHER_CALLERS,
  prunedInsight,
  type Resource,
  SERVICE_TAG,
  TRAFFIC_WINDOW_NAMES,
  TRAFFIC_WINDOWS,
  type TrafficDelta,
  type TrafficSeries,
  windowDelta,
  addDelta,
} from '@causeway/core';
import { listAll, type ResourceStore } from '@causeway/store';
import { metricsTarget, statPrefix } from '@causeway/xds';
import type { Logger } from 'pino';
import { callerDelta, clusterDelta, type ProxyCounters, readProxyCounters, wantedMetric } from './counters.js';
import { parsePrometheusText } from './prometheus-text.js';

export const DEFAULT_TRAFFIC_INSIGHTS_INTERVAL_MS = 10_000;
/** Largest `/metrics` body read from a proxy. */
const MAX_METRICS_BYTES = 32 * 1024 * 1024;

export type ScrapeFn = (url: string, timeoutMs: number) => Promise<string>;

export interface TrafficInsightsOptions {
  store: ResourceStore;
  zone: string;
  logger: Logger;
  /** Collection interval (default 10 s). */
  intervalMs?: number;
  /** Timeout of one scrape (default: the interval, at most 5 s). */
  scrapeTimeoutMs?: number;
  /** Scrapes in flight at once (default 16). */
  concurrency?: number;
  /** Fetches a `/metrics` text (tests replace it). */
  scrape?: ScrapeFn;
  /** The clock, Unix ms (tests replace it). */
  now?: () => number;
}

/** Counters of the collector, for `/metrics`. */
export interface TrafficInsightsStats {
  rounds: number;
  scrapes: number;
  scrapeErrors: number;
  /** Proxies scraped successfully in the last round. */
  targets: number;
  writes: number;
  lastRoundMs: number;
}

/** Fetches `url` as text, at most MAX_METRICS_BYTES. */
export async function fetchMetrics(url: string, timeoutMs: number): Promise<string> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), headers: { accept: 'text/plain' } });
  if (!res.ok) {
    await res.body?.cancel();
    throw new Error(`HTTP ${res.status}`);
  }
  const reader = res.body?.getReader();
  if (!reader) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_METRICS_BYTES) {
      await reader.cancel();
      throw new Error(`the metrics are larger than ${MAX_METRICS_BYTES} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

interface Target {
  key: string;
  kind: 'sidecar' | 'egress';
  url: string;
  /** Sidecars: the mesh and the calling service. */
  mesh?: string;
  caller?: string;
}

interface TargetState {
  url: string;
  counters: ProxyCounters;
}

/** What the proxies of one kind counted for one service this round. */
interface Part {
  proxies: number;
  active: number;
  delta: TrafficDelta;
}

interface ServiceTraffic {
  sidecars: Part;
  egresses: Part;
  callers: Map<string, Part>;
}

const newPart = (): Part => ({ proxies: 0, active: 0, delta: {} });

function hostPort(host: string, port: number): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]:${port}` : `${host}:${port}`;
}

const serviceKey = (mesh: string, service: string) => `${mesh}\u0000${service}`;
const insightKey = (mesh: string, name: string) => `${mesh}/${name}`;
/** An egress' cluster of a service (@causeway/envoy's meshQualified). */
const meshQualified = (mesh: string, service: string) => `${mesh}:${service}`;

/** A series after this round: counts added, the proxies and open connections of this round. */
function nextSeries<S extends TrafficSeries>(prev: S | undefined, part: Part | undefined, now: number, base: S): S {
  const out: S = addToSeries({ ...base, ...(prev ?? {}) }, now, part?.delta ?? {});
  if (part && part.proxies > 0) out.proxies = part.proxies;
  else delete out.proxies;
  if (part && part.active > 0) out.activeConnections = part.active;
  else delete out.activeConnections;
  return out;
}

/** Counted something in the windows, or has connections open. */
function hasTraffic(s: TrafficSeries | undefined): boolean {
  return !!s && ((s.activeConnections ?? 0) > 0 || (s.buckets10s?.length ?? 0) > 0 || (s.buckets1m?.length ?? 0) > 0);
}

function hasData(s: TrafficSeries | undefined): boolean {
  return !!s && ((s.proxies ?? 0) > 0 || (s.activeConnections ?? 0) > 0 || (s.buckets10s?.length ?? 0) > 0 || (s.buckets1m?.length ?? 0) > 0);
}

/** `a + b` of two series (buckets by time; proxies and connections summed). */
function mergeSeries<S extends TrafficSeries>(a: S, b: TrafficSeries): S {
  let out: S = { ...a };
  for (const w of TRAFFIC_WINDOW_NAMES) {
    const { step, field } = TRAFFIC_WINDOWS[w];
    let list = out[field] ?? [];
    for (const bucket of b[field] ?? []) list = addToBuckets(list, step, bucket.t, bucket);
    if (list.length > 0) out[field] = list;
  }
  const proxies = (a.proxies ?? 0) + (b.proxies ?? 0);
  const active = (a.activeConnections ?? 0) + (b.activeConnections ?? 0);
  out = { ...out, ...(proxies > 0 ? { proxies } : {}), ...(active > 0 ? { activeConnections: active } : {}) };
  return out;
}

/** At most MAX_CALLERS callers: the busiest over the hour; the others summed into OTHER_CALLERS. */
export function capCallers(callers: CallerSeries[], now: number): CallerSeries[] {
  if (callers.length <= MAX_CALLERS) return callers;
  const hour = (c: CallerSeries) => windowDelta([c], '1h', now).requests ?? 0;
  const ranked = callers
    .filter((c) => c.service !== OTHER_CALLERS)
    .sort((a, b) => hour(b) - hour(a) || (a.service < b.service ? -1 : 1));
  const kept = ranked.slice(0, MAX_CALLERS);
  let other: CallerSeries = callers.find((c) => c.service === OTHER_CALLERS) ?? { service: OTHER_CALLERS };
  for (const c of ranked.slice(MAX_CALLERS)) other = mergeSeries(other, c);
  return [...kept, other];
}

export class TrafficInsightsCollector {
  private readonly store: ResourceStore;
  private readonly log: Logger;
  private readonly intervalMs: number;
  private readonly scrapeTimeoutMs: number;
  private readonly concurrency: number;
  private readonly scrape: ScrapeFn;
  private readonly now: () => number;
  private readonly startedAt: number;
  private readonly targets = new Map<string, TargetState>();
  /** What each insight holds in the store, by `mesh/name` (loaded at start: a new leader continues the series). */
  private readonly insights = new Map<string, ExternalServiceInsightSpec>();
  private readonly failing = new Set<string>();
  private loaded = false;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private closed = false;
  readonly stats: TrafficInsightsStats = { rounds: 0, scrapes: 0, scrapeErrors: 0, targets: 0, writes: 0, lastRoundMs: 0 };

  constructor(private readonly opts: TrafficInsightsOptions) {
    this.store = opts.store;
    this.log = opts.logger;
    this.intervalMs = opts.intervalMs ?? DEFAULT_TRAFFIC_INSIGHTS_INTERVAL_MS;
    this.scrapeTimeoutMs = opts.scrapeTimeoutMs ?? Math.min(this.intervalMs, 5000);
    this.concurrency = opts.concurrency ?? 16;
    this.scrape = opts.scrape ?? fetchMetrics;
    this.now = opts.now ?? Date.now;
    this.startedAt = this.now();
  }

  /** Runs a round every interval until `close()`. */
  start(): void {
    this.log.info({ intervalMs: this.intervalMs }, 'traffic insights: scraping the zone proxies for ExternalService traffic');
    this.schedule(0);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  private schedule(delayMs: number): void {
    if (this.closed) return;
    this.timer = setTimeout(() => {
      const started = this.now();
      this.running = this.round()
        .catch((e: unknown) => this.log.warn({ err: (e as Error).message }, 'traffic insights: a collection round failed'))
        .finally(() => {
          this.running = undefined;
          this.schedule(Math.max(0, this.intervalMs - (this.now() - started)));
        });
    }, delayMs);
    this.timer.unref();
  }

  /** One collection: scrape every proxy, add what they counted, write the insights that changed. */
  async round(): Promise<void> {
    const started = this.now();
    const now = started / 1000;
    if (!this.loaded) {
      for (const r of await listAll(this.store, 'ExternalServiceInsight')) this.insights.set(insightKey(r.mesh ?? '', r.name), r.spec);
      this.loaded = true;
    }
    const [dataplanes, egresses, externals] = await Promise.all([listAll(this.store, 'Dataplane'), listAll(this.store, 'ZoneEgress'), listAll(this.store, 'ExternalService')]);

    // mesh -> services of its ExternalServices
    const servicesByMesh = new Map<string, Set<string>>();
    for (const es of externals) {
      const service = es.spec.tags[SERVICE_TAG];
      if (!service || !es.mesh) continue;
      const set = servicesByMesh.get(es.mesh) ?? new Set<string>();
      servicesByMesh.set(es.mesh, set);
      set.add(service);
    }
    const egressClusters = new Map<string, { mesh: string; service: string }>();
    const rbacPrefixes = new Map<string, string>();
    for (const [mesh, services] of servicesByMesh)
      for (const service of services) {
        egressClusters.set(meshQualified(mesh, service), { mesh, service });
        rbacPrefixes.set(serviceKey(mesh, service), statPrefix(`egress_${mesh}_${service}`));
      }

    const targets: Target[] = [];
    const local = (r: Resource) => r.labels[ORIGIN_LABEL] !== 'global';
    for (const dp of dataplanes) {
      if (!local(dp) || !dp.mesh || !servicesByMesh.has(dp.mesh)) continue;
      const t = metricsTarget(dp);
      if (!t) continue;
      const caller = dataplaneServices(dp.spec)[0] ?? dp.name;
      targets.push({ key: `Dataplane/${dp.mesh}/${dp.name}`, kind: 'sidecar', url: `http://${hostPort(t.host, t.port)}/metrics`, mesh: dp.mesh, caller });
    }
    for (const eg of egresses) {
      if (!local(eg) || (eg.spec.zone !== undefined && eg.spec.zone !== this.opts.zone) || egressClusters.size === 0) continue;
      const t = metricsTarget(eg);
      if (t) targets.push({ key: `ZoneEgress/${eg.name}`, kind: 'egress', url: `http://${hostPort(t.host, t.port)}/metrics` });
    }

    const traffic = new Map<string, ServiceTraffic>();
    const trafficOf = (mesh: string, service: string) => {
      const k = serviceKey(mesh, service);
      const t = traffic.get(k) ?? { sidecars: newPart(), egresses: newPart(), callers: new Map<string, Part>() };
      traffic.set(k, t);
      return t;
    };
    const add = (part: Part, active: number, delta: TrafficDelta) => {
      part.proxies++;
      part.active += active;
      part.delta = addDelta(part.delta, delta);
    };

    let ok = 0;
    await this.forEach(targets, async (target) => {
      const counters = await this.scrapeTarget(target, servicesByMesh, egressClusters);
      if (!counters) return;
      ok++;
      const prev = this.baseline(target, counters);
      this.targets.set(target.key, { url: target.url, counters });
      if (target.kind === 'sidecar') {
        const mesh = target.mesh as string;
        for (const [cluster, c] of counters.clusters) {
          const delta = clusterDelta(prev?.clusters.get(cluster), c);
          const t = trafficOf(mesh, cluster);
          add(t.sidecars, c.activeConnections, delta);
          const caller = target.caller as string;
          const part = t.callers.get(caller) ?? newPart();
          t.callers.set(caller, part);
          add(part, c.activeConnections, callerDelta(delta));
        }
      } else {
        for (const [cluster, c] of counters.clusters) {
          const es = egressClusters.get(cluster);
          if (!es) continue;
          const delta = clusterDelta(prev?.clusters.get(cluster), c);
          const prefix = rbacPrefixes.get(serviceKey(es.mesh, es.service)) as string;
          const denied = counters.httpRbacDenied.get(prefix) ?? 0;
          const deniedBefore = prev?.httpRbacDenied.get(prefix) ?? 0;
          const increase = denied >= deniedBefore ? denied - deniedBefore : denied;
          add(trafficOf(es.mesh, es.service).egresses, c.activeConnections, increase > 0 ? { ...delta, rbacDenied: increase } : delta);
        }
      }
    });
    // proxies that are gone are forgotten
    const present = new Set(targets.map((t) => t.key));
    for (const k of this.targets.keys()) if (!present.has(k)) this.targets.delete(k);
    for (const k of this.failing) if (!present.has(k)) this.failing.delete(k);

    await this.publish(externals, traffic, now);
    this.stats.rounds++;
    this.stats.targets = ok;
    this.stats.lastRoundMs = this.now() - started;
  }

  /** The counters to subtract from this scrape's (undefined: count everything it holds). */
  private baseline(target: Target, counters: ProxyCounters): ProxyCounters | undefined {
    const state = this.targets.get(target.key);
    const uptime = counters.uptimeSeconds;
    if (state && state.url === target.url) {
      // the proxy restarted: its counters started again from 0
      const before = state.counters.uptimeSeconds;
      if (uptime !== undefined && before !== undefined && uptime < before) return undefined;
      return state.counters;
    }
    // First sight: a proxy that started after this collector counted nothing anyone else saw.
    if (uptime !== undefined && this.now() - uptime * 1000 >= this.startedAt) return undefined;
    return counters;
  }

  private async scrapeTarget(target: Target, servicesByMesh: Map<string, Set<string>>, egressClusters: Map<string, unknown>): Promise<ProxyCounters | undefined> {
    this.stats.scrapes++;
    let text: string;
    try {
      text = await this.scrape(target.url, this.scrapeTimeoutMs);
    } catch (e) {
      this.stats.scrapeErrors++;
      const err = (e as Error).message;
      if (!this.failing.has(target.key)) {
        this.failing.add(target.key);
        this.log.warn({ proxy: target.key, url: target.url, err }, 'traffic insights: cannot scrape a proxy (its traffic is counted when a scrape works again)');
      } else this.log.debug({ proxy: target.key, url: target.url, err }, 'traffic insights: scrape failed');
      return undefined;
    }
    if (this.failing.delete(target.key)) this.log.info({ proxy: target.key }, 'traffic insights: the proxy answers again');
    const services = target.kind === 'sidecar' ? (servicesByMesh.get(target.mesh as string) ?? new Set<string>()) : undefined;
    const want = services ? (c: string) => services.has(c) : (c: string) => egressClusters.has(c);
    return readProxyCounters(parsePrometheusText(text, wantedMetric).samples, want);
  }

  private async forEach<T>(items: readonly T[], fn: (item: T) => Promise<void>): Promise<void> {
    let next = 0;
    const worker = async () => {
      while (next < items.length) {
        const item = items[next++] as T;
        await fn(item);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, items.length) }, worker));
  }

  /** Writes the insights that changed, deletes those of ExternalServices that are gone. */
  private async publish(externals: readonly Resource<'ExternalService'>[], traffic: Map<string, ServiceTraffic>, now: number): Promise<void> {
    const alive = new Set<string>();
    for (const es of externals) {
      if (!es.mesh) continue;
      const key = insightKey(es.mesh, es.name);
      alive.add(key);
      const service = es.spec.tags[SERVICE_TAG] ?? es.name;
      const t = traffic.get(serviceKey(es.mesh, service));
      const prev = this.insights.get(key);
      const next = this.nextInsight(es.name, service, prev, t, now);
      // created at the first traffic (proxies that merely have the cluster are no news)
      if (!prev && !hasTraffic(next.sidecars) && !hasTraffic(next.egresses)) continue;
      if (prev && jsonEqual(next, prev)) continue;
      const spec = this.written(next, now);
      try {
        await this.store.upsert({ type: 'ExternalServiceInsight', mesh: es.mesh, name: es.name, labels: {}, spec, version: 0 });
        this.insights.set(key, spec);
        this.stats.writes++;
      } catch (e) {
        this.log.warn({ mesh: es.mesh, externalService: es.name, err: (e as Error).message }, 'traffic insights: the store refused an insight');
      }
    }
    for (const key of [...this.insights.keys()]) {
      if (alive.has(key)) continue;
      const [mesh, ...rest] = key.split('/');
      const name = rest.join('/');
      try {
        if (await this.store.get('ExternalServiceInsight', mesh, name)) await this.store.delete('ExternalServiceInsight', mesh, name);
        this.insights.delete(key);
      } catch (e) {
        this.log.warn({ mesh, externalService: name, err: (e as Error).message }, 'traffic insights: cannot delete the insight of a deleted ExternalService');
      }
    }
  }

  /** The insight after this round, before pruning (equal to `prev` when nothing changed). */
  private nextInsight(name: string, service: string, prev: ExternalServiceInsightSpec | undefined, t: ServiceTraffic | undefined, now: number): ExternalServiceInsightSpec {
    const next: ExternalServiceInsightSpec = { externalService: name, service, zone: this.opts.zone };
    const sidecars = nextSeries(prev?.sidecars, t?.sidecars, now, {});
    if (hasData(sidecars)) next.sidecars = sidecars;
    const egresses = nextSeries(prev?.egresses, t?.egresses, now, {});
    if (hasData(egresses)) next.egresses = egresses;
    // This round's parts by caller; once the list is full (it has OTHER_CALLERS), new callers count there.
    const parts = new Map(t?.callers ?? []);
    const known = new Set((prev?.callers ?? []).map((c) => c.service));
    if (known.has(OTHER_CALLERS)) {
      for (const [caller, part] of [...parts]) {
        if (known.has(caller)) continue;
        parts.delete(caller);
        const other = parts.get(OTHER_CALLERS) ?? newPart();
        parts.set(OTHER_CALLERS, { proxies: other.proxies + part.proxies, active: other.active + part.active, delta: addDelta(other.delta, part.delta) });
      }
    }
    const callers: CallerSeries[] = [];
    for (const c of prev?.callers ?? []) {
      const s = nextSeries(c, parts.get(c.service), now, { service: c.service });
      if (hasData(s)) callers.push(s);
    }
    for (const [caller, part] of parts) {
      if (known.has(caller)) continue;
      const s = nextSeries<CallerSeries>(undefined, part, now, { service: caller });
      if (hasData(s)) callers.push(s);
    }
    if (callers.length > 0) next.callers = callers;
    return next;
  }

  /** What is written: pruned to the windows, callers capped, parts left with nothing dropped. */
  private written(next: ExternalServiceInsightSpec, now: number): ExternalServiceInsightSpec {
    const spec = prunedInsight(next, now);
    if (spec.sidecars && !hasData(spec.sidecars)) delete spec.sidecars;
    if (spec.egresses && !hasData(spec.egresses)) delete spec.egresses;
    const callers = capCallers((spec.callers ?? []).filter(hasData), now);
    if (callers.length > 0) spec.callers = callers;
    else delete spec.callers;
    return spec;
  }
}
