/**
 * What the pipeline benchmark reads from the processes it runs: CPU and RSS from /proc, a control
 * plane's /metrics (event-loop lag, ADS stream counters), and how fast its /ready answers.
 */
import { readFileSync } from 'node:fs';
import { type ControlPlaneProcess, Metrics } from '../src/harness.js';

const CLK_TCK = 100; // USER_HZ on Linux

/** CPU seconds used so far (user + system) and resident memory of a process. */
/**
 * A process's CPU (all its threads: the main thread, V8's GC helpers, libuv's pool), its main thread's
 * (the event loop, where a control plane's own work runs) and RSS.
 */
/** A process's CPU (all threads; the main thread), its RSS and its peak RSS so far (VmHWM). */
export function procStats(pid: number): { cpuS: number; mainCpuS: number; rssMb: number; peakRssMb: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? Number.NaN);
  return { cpuS: statCpuS(`/proc/${pid}/stat`), mainCpuS: statCpuS(`/proc/${pid}/task/${pid}/stat`), rssMb: kb('VmRSS') / 1024, peakRssMb: kb('VmHWM') / 1024 };
}

function statCpuS(file: string): number {
  const stat = readFileSync(file, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state): utime is field 14, stime field 15.
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

export function pidOf(cp: ControlPlaneProcess): number {
  const pid = cp.pid;
  if (pid === undefined) throw new Error(`${cp.name} is not running`);
  return pid;
}

export interface ZoneMetrics {
  /** Event-loop delay since the previous scrape (prom-client resets its histogram at each scrape), seconds. */
  lagP99S: number;
  lagMaxS: number;
  /** The zone's own CPU in its longest event-loop block since the previous scrape (the rest of a block is waiting for a core). */
  blockCpuMaxS: number;
  streams: number;
  /** ADS streams ended by reason since the process started. */
  dropped: number;
  ended: number;
  failed: number;
  responses: number;
  nacks: number;
}

export async function scrape(cp: ControlPlaneProcess): Promise<ZoneMetrics> {
  const res = await fetch(`${cp.url}/metrics`);
  if (!res.ok) throw new Error(`${cp.name} /metrics: ${res.status}`);
  const m = new Metrics(await res.text());
  const has = (name: string) => m.text.includes(`\n${name}`) || m.text.startsWith(name);
  const get = (name: string, labels: Record<string, string> = {}) => (has(name) ? m.get(name, labels) : Number.NaN);
  return {
    lagP99S: get('causeway_nodejs_eventloop_lag_p99_seconds'),
    lagMaxS: get('causeway_nodejs_eventloop_lag_max_seconds'),
    blockCpuMaxS: get('causeway_event_loop_block_cpu_max_seconds'),
    streams: get('causeway_xds_streams'),
    dropped: get('causeway_xds_streams_ended_total', { reason: 'dropped' }),
    ended: get('causeway_xds_streams_ended_total', { reason: 'ended' }),
    failed: get('causeway_xds_streams_ended_total', { reason: 'failed' }),
    responses: get('causeway_xds_responses_total'),
    nacks: get('causeway_xds_nacks_total'),
  };
}

/** Asks `/ready` every `everyMs` (one request at a time) and records how long each answer took. */
export class ReadyProbe {
  readonly times: number[] = [];
  failures = 0;
  private timer: NodeJS.Timeout | undefined;
  private inFlight = false;

  constructor(
    private readonly cp: ControlPlaneProcess,
    private readonly everyMs = 100,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.probe(), this.everyMs);
  }

  private async probe(): Promise<void> {
    if (this.inFlight) return;
    this.inFlight = true;
    const t0 = performance.now();
    try {
      const res = await fetch(`${this.cp.url}/ready`, { signal: AbortSignal.timeout(30_000) });
      await res.arrayBuffer();
      if (res.ok) this.times.push(performance.now() - t0);
      else this.failures++;
    } catch {
      this.failures++;
    } finally {
      this.inFlight = false;
    }
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

/** The p-th percentile (nearest rank) of an ascending list; NaN when empty. */
export function pct(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
}

export const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;
