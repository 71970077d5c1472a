/**
 * The load generator of bench/hop.ts and what it reads of the other processes: request/response loops
 * on keep-alive connections (open loop at a fixed rate, or closed loop), and each process's CPU time and
 * resident memory from /proc (Linux).
 */
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { loadavg } from 'node:os';

/** What is sent on every connection and how a reply is recognised. */
export interface Protocol {
  request: Buffer;
  /** Length of the first whole reply in buf, or 0 when it is not whole yet. */
  complete(buf: Buffer): number;
  /** Whether a whole reply is the expected one (HTTP: status 200). */
  ok(reply: Buffer): boolean;
}

/** What one process on the path spent while a measurement ran. */
export interface ProcessCost {
  /** CPU seconds (user + system, all threads) per second of the measurement */
  vcpu: number;
  /** vCPU per 1,000 requests/s through the process: vcpu × 1000 / the measured requests/s */
  vcpu_per_1000_rps: number;
  cpu_us_per_request: number;
  /** the share of that CPU time spent in the kernel (system time: syscalls, loopback TCP, TLS is user time) */
  system_share: number;
  /** largest resident set size sampled every 250 ms during the measurement (VmRSS), MB */
  rss_mb: number;
}

export interface Result {
  /** replies received while measuring (whatever their status) */
  requests: number;
  rps: number;
  p50_ms: number;
  p99_ms: number;
  /** replies that were not the expected one (e.g. a 503 from the proxy), plus connection errors */
  errors: number;
  /**
   * open loop only: requests that fell due while measuring but had no reply when it ended (sent and
   * waiting, or still queued behind a slow reply), how late the load generator sent requests after
   * their scheduled time (its own timer and event-loop lag, already included in the latencies), and
   * whether it achieved 95 % of the rate (if not, the path was saturated)
   */
  open_loop?: { rate: number; unfinished: number; send_lag_p50_ms: number; send_lag_p99_ms: number; rate_achieved: boolean };
  /** 1-minute load average when the measurement started */
  load_1m: number;
  /** the load generator's CPU per request */
  client_cpu_us_per_request: number;
  /** each measured process (upstream, proxies) by role */
  processes: Record<string, ProcessCost>;
}

export const r3 = (n: number) => Math.round(n * 1000) / 1000;
export const r1 = (n: number) => Math.round(n * 10) / 10;

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

/** Linux clock ticks per second (USER_HZ) of /proc/<pid>/stat times. */
const CLOCK_TICKS = 100;

/** CPU time (all threads) a process has used in user and in system mode, in µs; throws when /proc cannot tell. */
export function cpuTimes(pid: number): { user: number; system: number } {
  const stat = readProc(pid, 'stat');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const user = Number(fields[11]);
  const system = Number(fields[12]);
  if (!Number.isFinite(user) || !Number.isFinite(system)) throw new Error(`/proc/${pid}/stat: no utime/stime`);
  return { user: (user * 1e6) / CLOCK_TICKS, system: (system * 1e6) / CLOCK_TICKS };
}

/** CPU time (user + system, all threads) a process has used, in µs. */
export function cpuMicros(pid: number): number {
  const t = cpuTimes(pid);
  return t.user + t.system;
}

/** Resident set size of a process (VmRSS of /proc/<pid>/status), in MB. */
export function rssMb(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(readProc(pid, 'status'));
  if (!m) throw new Error(`/proc/${pid}/status: no VmRSS`);
  return Number(m[1]) / 1024;
}

function readProc(pid: number, file: string): string {
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'utf8');
  } catch (e) {
    throw new Error(`/proc/${pid}/${file}: ${(e as Error).message} (the bench reads CPU and memory from /proc: Linux only, and the process must be alive)`);
  }
}

export function loadAverage(): number {
  return Math.round((loadavg()[0] ?? 0) * 100) / 100;
}

/** Length of the first complete HTTP/1.1 response in buf (content-length framed), or 0. */
export function httpComplete(buf: Buffer): number {
  const end = buf.indexOf('\r\n\r\n');
  if (end < 0) return 0;
  const head = buf.toString('latin1', 0, end);
  const m = /\r\ncontent-length:\s*(\d+)/i.exec(head);
  const len = m ? Number(m[1]) : 0;
  const total = end + 4 + len;
  return buf.length >= total ? total : 0;
}

export interface LoopOptions {
  port: number;
  connections: number;
  seconds: number;
  warmup: number;
  protocol: Protocol;
  /** open loop at this many requests/s over all connections; closed loop without */
  rate?: number;
  /** the processes to measure (role -> pid) */
  processes: Record<string, number>;
}

/**
 * Request/response loops on `connections` keep-alive connections.
 *
 * Closed loop (no `rate`): each connection sends its next request as soon as the previous reply is
 * whole — the throughput at saturation, where latency is mostly queueing (p50 ≈ connections / rate).
 * Open loop (`rate` requests/s over all connections): request i is scheduled at t0 + i / rate, round
 * robin over the connections, whatever the replies do; a 1 ms tick sends the requests that fell due, and
 * a connection still waiting for a reply sends its next request when the reply arrives. Every latency
 * counts from the request's scheduled time, so a slow reply also charges the requests queued behind it
 * and the load generator's own lag is not hidden (it is reported as `send_lag`). Requests that fell due
 * but had no reply when the measurement ended are counted (`unfinished`), and the run says whether it
 * achieved the rate: below 95 % of it, the path was saturated and the latency is not "below
 * saturation".
 */
export async function loop(o: LoopOptions): Promise<Result> {
  const { rate, protocol } = o;
  const lat: number[] = [];
  const sendLag: number[] = [];
  let errors = 0;
  let measuring = false;
  let stop = false;
  interface Conn {
    socket: Socket;
    /** scheduled send times of the requests not sent yet (open loop) */
    due: number[];
    /** when the request in flight was scheduled (open loop) or sent (closed loop); -1: none */
    inFlight: number;
  }
  const conns: Conn[] = [];
  const sendNow = (c: Conn, at: number) => {
    c.inFlight = at;
    if (rate !== undefined && measuring) sendLag.push(performance.now() - at);
    c.socket.write(protocol.request);
  };
  const one = () =>
    new Promise<void>((resolve) => {
      const s = connect({ host: '127.0.0.1', port: o.port, noDelay: true });
      const c: Conn = { socket: s, due: [], inFlight: -1 };
      conns.push(c);
      let buf: Buffer = Buffer.alloc(0);
      const next = () => {
        if (stop) {
          s.destroy();
          resolve();
          return;
        }
        if (rate === undefined) sendNow(c, performance.now());
        else if (c.due.length > 0) sendNow(c, c.due.shift() as number);
      };
      s.on('connect', next);
      s.on('data', (d: Buffer) => {
        buf = buf.length ? Buffer.concat([buf, d]) : d;
        for (;;) {
          const n = protocol.complete(buf);
          if (n <= 0) return;
          if (measuring) {
            lat.push(performance.now() - c.inFlight);
            if (!protocol.ok(buf.subarray(0, n))) errors++;
          }
          buf = buf.subarray(n);
          c.inFlight = -1;
          next();
        }
      });
      s.on('error', () => {
        if (!stop) errors++;
        resolve();
      });
      s.on('close', () => resolve());
    });
  const all = Promise.all(Array.from({ length: o.connections }, one));
  let ticker: NodeJS.Timeout | undefined;
  if (rate !== undefined) {
    // every millisecond, send the requests that fell due, round robin over the connections
    const t0 = performance.now();
    let sent = 0;
    ticker = setInterval(() => {
      const dueNow = Math.floor(((performance.now() - t0) / 1000) * rate);
      for (; sent < dueNow; sent++) {
        const c = conns[sent % conns.length] as Conn;
        const scheduled = t0 + (sent * 1000) / rate;
        if (c.inFlight < 0 && c.socket.writable && c.socket.readyState === 'open') sendNow(c, scheduled);
        else c.due.push(scheduled);
      }
    }, 1);
  }
  await sleep(o.warmup * 1000);
  const load = loadAverage();
  const roles = Object.entries(o.processes);
  const cpu0 = roles.map(([, pid]) => cpuTimes(pid));
  const rss = roles.map(([, pid]) => rssMb(pid));
  const sampler = setInterval(() => {
    roles.forEach(([, pid], i) => {
      rss[i] = Math.max(rss[i] as number, rssMb(pid));
    });
  }, 250);
  const client0 = process.cpuUsage();
  measuring = true;
  const started = performance.now();
  await sleep(o.seconds * 1000);
  measuring = false;
  const ended = performance.now();
  clearInterval(sampler);
  const client = process.cpuUsage(client0);
  const cpu = roles.map(([, pid], i) => {
    const t = cpuTimes(pid);
    const t0 = cpu0[i] as { user: number; system: number };
    return { total: t.user - t0.user + t.system - t0.system, system: t.system - t0.system };
  });
  roles.forEach(([, pid], i) => {
    rss[i] = Math.max(rss[i] as number, rssMb(pid));
  });
  const elapsed = (ended - started) / 1000;
  // fell due after the measurement started and no reply yet: in flight, or queued behind a reply
  let unfinished = 0;
  for (const c of conns) {
    if (c.inFlight >= started) unfinished++;
    unfinished += c.due.filter((t) => t >= started && t < ended).length;
  }
  stop = true;
  if (ticker) clearInterval(ticker);
  const n = Math.max(1, lat.length);
  lat.sort((a, b) => a - b);
  sendLag.sort((a, b) => a - b);
  const rps = lat.length / elapsed;
  const processes: Record<string, ProcessCost> = {};
  roles.forEach(([role], i) => {
    const c = cpu[i] as { total: number; system: number };
    const vcpu = c.total / 1e6 / elapsed;
    processes[role] = {
      vcpu: r3(vcpu),
      vcpu_per_1000_rps: rps > 0 ? r3((vcpu * 1000) / rps) : Number.NaN,
      cpu_us_per_request: r1(c.total / n),
      system_share: c.total > 0 ? r3(c.system / c.total) : 0,
      rss_mb: r1(rss[i] as number),
    };
  });
  const result: Result = {
    requests: lat.length,
    rps: Math.round(rps),
    p50_ms: r3(percentile(lat, 50)),
    p99_ms: r3(percentile(lat, 99)),
    errors,
    ...(rate === undefined
      ? {}
      : { open_loop: { rate, unfinished, send_lag_p50_ms: r3(percentile(sendLag, 50)), send_lag_p99_ms: r3(percentile(sendLag, 99)), rate_achieved: rps >= 0.95 * rate } }),
    load_1m: load,
    client_cpu_us_per_request: r1((client.user + client.system) / n),
    processes,
  };
  for (const c of conns) if (c.inFlight < 0) c.socket.destroy();
  setTimeout(() => {
    for (const c of conns) c.socket.destroy();
  }, 1000).unref();
  await Promise.race([all, sleep(1500)]);
  return result;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
