/**
 * What one causeway-dp hop costs: requests/s and latency (p50/p99) of HTTP/1.1 and TCP round trips
 * with 64 concurrent keep-alive connections, direct to the upstream and through one proxy, measured in
 * the same run. The upstream servers and the proxy (dist/main.js with a static bootstrap) run as
 * separate processes; this process is the load generator (it shares no event loop with either).
 *
 * Three measurements, each direct and proxied back to back:
 * - closed loop (every connection sends its next request when the reply arrives): the throughput at
 *   saturation, and the throughput ratio proxied/direct; `--rounds` rounds, median and range;
 * - open loop at `--rate` requests/s spread over the same connections: the latency a hop adds below
 *   saturation (latency at saturation is queueing: p50 ≈ connections / throughput);
 * - one connection: the latency a hop adds when nothing queues.
 * in one or both CPU layouts (`--layout shared,pinned`), on the CPUs taskset allows: `shared` lets the
 * three processes compete for every core (the throughput target is judged here: the hop's CPU comes out
 * of the cores the direct run had); `pinned` gives the proxy a core of its own and the load generator
 * and the upstream the rest, for direct and proxied runs alike, so the proxied run has one core more and
 * its ratio is reported as the hop's capacity, not scored against the target.
 *
 * The machine is shared, so each measurement records the 1-minute load average and the CPU time each
 * process spent per request (client, upstream, proxy), which hardly depends on how much CPU the rest
 * of the machine leaves us. `--compare FILE` runs a second build of causeway-dp (e.g. a copy of the
 * previous dist/) in the same rounds, for before/after numbers. Prints JSON: the targets' verdicts,
 * then every measurement.
 *
 *   npm run build && node --import tsx bench/hop.ts [--duration 5] [--connections 64] [--rounds 3] [--rate 5000]
 *                                                 [--layout shared,pinned] [--compare OTHER/dist/main.js]
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { type AddressInfo, connect, createServer as createNetServer, type Socket } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));
const MAIN = join(here, '..', 'dist', 'main.js');
const BODY = Buffer.alloc(64, 'x');

// ------------------------------------------------------------------ role: upstream servers
async function upstreamRole(): Promise<void> {
  const http = createHttpServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': BODY.length });
    res.end(BODY);
  });
  http.keepAliveTimeout = 120_000;
  const tcp = createNetServer((s) => {
    s.on('error', () => {}); // a client that stops mid-message resets the connection
    s.pipe(s);
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', () => r()));
  await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', () => r()));
  process.stdout.write(`${JSON.stringify({ http: (http.address() as AddressInfo).port, tcp: (tcp.address() as AddressInfo).port })}\n`);
}

// ------------------------------------------------------------------ load generator
interface Result {
  requests: number;
  rps: number;
  p50_ms: number;
  p99_ms: number;
  errors: number;
  /**
   * open loop only: requests that fell due while measuring but had no reply when it ended (sent and
   * waiting, or still queued behind a slow reply), and how late the load generator sent requests after
   * their scheduled time (its own timer and event-loop lag, already included in the latencies)
   */
  open_loop?: { unfinished: number; send_lag_p50_ms: number; send_lag_p99_ms: number; rate_achieved: boolean };
  /** 1-minute load average when the measurement started */
  load_1m: number;
  /** CPU time (user + system) per request of each process during the measurement */
  cpu_us_per_request: { client: number; upstream: number; proxy?: number };
}

const r3 = (n: number) => Math.round(n * 1000) / 1000;
const r1 = (n: number) => Math.round(n * 10) / 10;

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

/** Linux clock ticks per second (USER_HZ) of /proc/<pid>/stat times. */
const CLOCK_TICKS = 100;

/** CPU time (user + system) a process has used, in µs (from /proc: Linux only; 0 elsewhere). */
function cpuMicros(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1e6) / CLOCK_TICKS;
  } catch {
    return 0;
  }
}

function loadAverage(): number {
  return Math.round((loadavg()[0] ?? 0) * 100) / 100;
}

interface Target {
  port: number;
  upstreamPid: number | undefined;
  proxyPid: number | undefined;
}

/**
 * Request/response loops on `connections` keep-alive connections; `complete` says when a reply is whole.
 *
 * Closed loop (no `rate`): each connection sends its next request as soon as the previous reply is
 * whole — the throughput at saturation, where latency is mostly queueing (p50 ≈ connections / rate).
 * Open loop (`rate` requests/s over all connections): request i is scheduled at t0 + i / rate, round
 * robin over the connections, whatever the replies do; a 1 ms tick sends the requests that fell due, and
 * a connection still waiting for a reply sends its next request when the reply arrives. Every latency
 * counts from the request's scheduled time, so a slow reply also charges the requests queued behind it
 * and the load generator's own lag is not hidden (it is reported as `send_lag`). Requests that fell due
 * but had no reply when the measurement ended are counted (`unfinished`), and the run says whether it
 * achieved the rate: below 95 % of it, the system was saturated and the latency is not "below
 * saturation". That is the latency below saturation.
 */
async function loop(target: Target, connections: number, seconds: number, warmup: number, request: Buffer, complete: (buf: Buffer) => number, rate?: number): Promise<Result> {
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
    c.socket.write(request);
  };
  const one = () =>
    new Promise<void>((resolve) => {
      const s = connect({ host: '127.0.0.1', port: target.port, noDelay: true });
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
          const n = complete(buf);
          if (n <= 0) return;
          buf = buf.subarray(n);
          if (measuring) lat.push(performance.now() - c.inFlight);
          c.inFlight = -1;
          next();
        }
      });
      s.on('error', () => {
        errors++;
        resolve();
      });
      s.on('close', () => resolve());
    });
  const all = Promise.all(Array.from({ length: connections }, one));
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
  await new Promise((r) => setTimeout(r, warmup * 1000));
  const load = loadAverage();
  const client0 = process.cpuUsage();
  const upstream0 = cpuMicros(target.upstreamPid);
  const proxy0 = cpuMicros(target.proxyPid);
  measuring = true;
  const started = performance.now();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  measuring = false;
  const ended = performance.now();
  const elapsed = (ended - started) / 1000;
  // fell due after the measurement started and no reply yet: in flight, or queued behind a reply
  let unfinished = 0;
  for (const c of conns) {
    if (c.inFlight >= started) unfinished++;
    unfinished += c.due.filter((t) => t >= started && t < ended).length;
  }
  const client = process.cpuUsage(client0);
  const upstream = cpuMicros(target.upstreamPid) - upstream0;
  const proxy = cpuMicros(target.proxyPid) - proxy0;
  stop = true;
  if (ticker) clearInterval(ticker);
  const n = Math.max(1, lat.length);
  lat.sort((a, b) => a - b);
  sendLag.sort((a, b) => a - b);
  const rps = Math.round(lat.length / elapsed);
  const result: Result = {
    requests: lat.length,
    rps,
    p50_ms: r3(percentile(lat, 50)),
    p99_ms: r3(percentile(lat, 99)),
    errors,
    ...(rate === undefined
      ? {}
      : { open_loop: { unfinished, send_lag_p50_ms: r3(percentile(sendLag, 50)), send_lag_p99_ms: r3(percentile(sendLag, 99)), rate_achieved: rps >= 0.95 * rate } }),
    load_1m: load,
    cpu_us_per_request: {
      client: r1((client.user + client.system) / n),
      upstream: r1(upstream / n),
      ...(target.proxyPid === undefined ? {} : { proxy: r1(proxy / n) }),
    },
  };
  for (const c of conns) if (c.inFlight < 0) c.socket.destroy();
  setTimeout(() => {
    for (const c of conns) c.socket.destroy();
  }, 1000).unref();
  await Promise.race([all, new Promise((r) => setTimeout(r, 1500))]);
  return result;
}

/** Length of the first complete HTTP/1.1 response in buf (content-length framed), or 0. */
function httpComplete(buf: Buffer): number {
  const end = buf.indexOf('\r\n\r\n');
  if (end < 0) return 0;
  const head = buf.toString('latin1', 0, end);
  const m = /\r\ncontent-length:\s*(\d+)/i.exec(head);
  const len = m ? Number(m[1]) : 0;
  const total = end + 4 + len;
  return buf.length >= total ? total : 0;
}

async function startChild(cmd: string[], readyLine: (line: string) => boolean): Promise<{ child: ChildProcess; line: string }> {
  const child = spawn(process.execPath, cmd, { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      for (const l of out.split('\n')) if (readyLine(l)) resolve(l);
    });
    child.once('exit', (code) => reject(new Error(`${cmd.join(' ')} exited ${code}`)));
  });
  child.stdout?.removeAllListeners('data');
  child.stdout?.resume();
  return { child, line };
}

async function freePort(): Promise<number> {
  const s = createNetServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const p = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return p;
}

async function waitReady(adminPort: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    try {
      if ((await fetch(`http://127.0.0.1:${adminPort}/ready`)).status === 200) return;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('proxy did not become ready');
}

interface Proxy {
  main: string;
  child: ChildProcess;
  http: number;
  tcp: number;
  admin: number;
}

/** Starts a causeway-dp build with a static bootstrap: an HTTP listener and a TCP listener in front of the upstreams. */
async function startProxy(main: string, upstream: { http: number; tcp: number }): Promise<Proxy> {
  const httpListen = await freePort();
  const tcpListen = await freePort();
  const admin = await freePort();
  const cluster = (name: string, port: number) => ({
    name,
    type: 'STATIC',
    connect_timeout: '1s',
    load_assignment: { cluster_name: name, endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: port } } } }] }] },
  });
  const bootstrap = {
    static_resources: {
      clusters: [cluster('http', upstream.http), cluster('tcp', upstream.tcp)],
      listeners: [
        {
          name: 'http',
          address: { socket_address: { address: '127.0.0.1', port_value: httpListen } },
          filter_chains: [
            {
              filters: [
                {
                  name: 'envoy.filters.network.http_connection_manager',
                  typed_config: {
                    '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
                    stat_prefix: 'bench',
                    route_config: { name: 'r', virtual_hosts: [{ name: 'v', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster: 'http', timeout: '15s', retry_policy: { retry_on: 'connect-failure', num_retries: 2 } } }] }] },
                    http_filters: [{ name: 'envoy.filters.http.router', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' } }],
                  },
                },
              ],
            },
          ],
        },
        {
          name: 'tcp',
          address: { socket_address: { address: '127.0.0.1', port_value: tcpListen } },
          filter_chains: [{ filters: [{ name: 'envoy.filters.network.tcp_proxy', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy', stat_prefix: 'tcp', cluster: 'tcp' } }] }],
        },
      ],
    },
  };
  const dir = mkdtempSync(join(tmpdir(), 'causeway-dp-bench-'));
  writeFileSync(join(dir, 'bootstrap.json'), JSON.stringify(bootstrap));
  // access log off: the benchmark measures the data path (with the log on, to a file, an HTTP request costs the proxy ~10 us more CPU)
  const child = spawn(process.execPath, [main, 'run', '--bootstrap', join(dir, 'bootstrap.json'), '--admin-port', String(admin), '--access-log', 'off', '--log-level', 'warn'], { stdio: 'inherit' });
  await waitReady(admin);
  return { main, child, http: httpListen, tcp: tcpListen, admin };
}

/** Connections the proxy opened to the HTTP upstream (the keep-alive pool should hold them all). */
async function upstreamConnections(p: Proxy): Promise<number | undefined> {
  const text = await (await fetch(`http://127.0.0.1:${p.admin}/stats/prometheus`)).text();
  const m = /envoy_cluster_upstream_cx_total\{envoy_cluster_name="http"\} (\d+)/.exec(text);
  return m ? Number(m[1]) : undefined;
}

function compare(direct: Result, proxied: Result) {
  return {
    added_p50_ms: r3(proxied.p50_ms - direct.p50_ms),
    added_p99_ms: r3(proxied.p99_ms - direct.p99_ms),
    throughput_ratio: r3(proxied.rps / Math.max(1, direct.rps)),
  };
}

function spread(values: number[]): { median: number; min: number; max: number } {
  const v = [...values].sort((a, b) => a - b);
  return { median: v[Math.floor((v.length - 1) / 2)] as number, min: v[0] as number, max: v[v.length - 1] as number };
}

interface Round {
  direct: Result;
  proxied: Result & ReturnType<typeof compare>;
  compare?: Result & ReturnType<typeof compare>;
}

function summary(rounds: Round[]) {
  const of = (pick: (r: Round) => Result & ReturnType<typeof compare>) => ({
    rps: spread(rounds.map((r) => pick(r).rps)),
    throughput_ratio: spread(rounds.map((r) => pick(r).throughput_ratio)),
    added_p50_ms: spread(rounds.map((r) => pick(r).added_p50_ms)),
    added_p99_ms: spread(rounds.map((r) => pick(r).added_p99_ms)),
    proxy_cpu_us_per_request: spread(rounds.map((r) => pick(r).cpu_us_per_request.proxy ?? 0)),
  });
  const withCompare = rounds.every((r) => r.compare !== undefined);
  return {
    direct_rps: spread(rounds.map((r) => r.direct.rps)),
    direct_cpu_us_per_request: { client: spread(rounds.map((r) => r.direct.cpu_us_per_request.client)), upstream: spread(rounds.map((r) => r.direct.cpu_us_per_request.upstream)) },
    load_1m: spread(rounds.flatMap((r) => [r.direct.load_1m, r.proxied.load_1m])),
    proxied: of((r) => r.proxied),
    ...(withCompare ? { compare: of((r) => r.compare as Round['proxied']) } : {}),
  };
}

type Layout = 'shared' | 'pinned';

const LAYOUTS: Record<Layout, string> = {
  shared: 'every process may run on every core this process may use: the hop takes its CPU from the same cores the direct run had (the targets as written)',
  pinned: 'the proxy alone on the last allowed core; the load generator and the upstream share the others, in the direct run too. The proxied run has one core more than the direct run, so its throughput ratio is the hop\'s capacity on its own core relative to the client and upstream on theirs, not the throughput kept on the same hardware',
};

/** Sets the CPU affinity of a process and all its threads (Linux `taskset`). */
function pin(pid: number | undefined, cores: string): void {
  if (pid === undefined) return;
  execFileSync('taskset', ['-a', '-p', '-c', cores, String(pid)], { stdio: 'ignore' });
}

/**
 * The CPUs this process may run on (`taskset -pc`: a container or cgroup may allow fewer than the
 * machine has), or undefined when taskset is missing.
 */
function allowedCpus(): number[] | undefined {
  try {
    const out = execFileSync('taskset', ['-pc', String(process.pid)], { encoding: 'utf8' });
    const list = out.slice(out.lastIndexOf(':') + 1).trim();
    const ids: number[] = [];
    for (const part of list.split(',')) {
      const [a, b] = part.split('-').map(Number);
      if (a === undefined || !Number.isInteger(a)) return undefined;
      for (let i = a; i <= (b ?? a); i++) ids.push(i);
    }
    return ids;
  } catch {
    return undefined;
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      role: { type: 'string' },
      duration: { type: 'string' },
      connections: { type: 'string' },
      warmup: { type: 'string' },
      rounds: { type: 'string' },
      rate: { type: 'string' },
      layout: { type: 'string' },
      compare: { type: 'string' },
    },
  });
  if (values.role === 'upstream') return upstreamRole();
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run "npm run build" first`);
  if (values.compare && !existsSync(values.compare)) throw new Error(`--compare ${values.compare}: no such file`);
  const positive = (name: string, v: string | undefined, dflt: number): number => {
    const n = v === undefined ? dflt : Number(v);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} ${v}: expected a positive number`);
    return n;
  };
  const seconds = positive('duration', values.duration, 5);
  const connections = Math.round(positive('connections', values.connections, 64));
  const warmup = positive('warmup', values.warmup, 1);
  const roundCount = Math.round(positive('rounds', values.rounds, 3));
  const rate = positive('rate', values.rate, 5000);
  const layouts: Layout[] = values.layout === undefined ? ['shared', 'pinned'] : (values.layout.split(',') as Layout[]);
  for (const l of layouts) if (!Object.hasOwn(LAYOUTS, l)) throw new Error(`--layout ${l}: expected shared, pinned or shared,pinned`);
  const allowed = allowedCpus();
  const pinnable = allowed !== undefined && allowed.length >= 2;
  if (layouts.includes('pinned') && !pinnable) process.stderr.write(`the pinned layout needs taskset and 2+ allowed cores (allowed: ${allowed?.join(',') ?? 'unknown'}): skipped\n`);

  const upstream = await startChild(['--import', 'tsx', fileURLToPath(import.meta.url), '--role', 'upstream'], (l) => l.startsWith('{'));
  const ports = JSON.parse(upstream.line) as { http: number; tcp: number };
  const proxies: Proxy[] = [];
  try {
    const proxy = await startProxy(MAIN, ports);
    proxies.push(proxy);
    const other = values.compare ? await startProxy(values.compare, ports) : undefined;
    if (other) proxies.push(other);
    const httpReq = Buffer.from('GET /bench HTTP/1.1\r\nhost: upstream\r\n\r\n');
    const tcpMsg = Buffer.alloc(64, 'y');
    const tcpComplete = (buf: Buffer) => (buf.length >= tcpMsg.length ? tcpMsg.length : 0);
    const protocols = [
      { name: 'http' as const, request: httpReq, complete: httpComplete },
      { name: 'tcp' as const, request: tcpMsg, complete: tcpComplete },
    ];
    const upstreamPid = upstream.child.pid;
    const measure = async (label: string, conns: number, secs: number, rounds: number, openRate?: number): Promise<Record<'http' | 'tcp', Round[]>> => {
      const out: Record<'http' | 'tcp', Round[]> = { http: [], tcp: [] };
      for (let round = 0; round < rounds; round++) {
        for (const p of protocols) {
          const run = (px: Proxy) => loop({ port: px[p.name], upstreamPid, proxyPid: px.child.pid }, conns, secs, warmup, p.request, p.complete, openRate);
          const direct = await loop({ port: ports[p.name], upstreamPid, proxyPid: undefined }, conns, secs, warmup, p.request, p.complete, openRate);
          // with --compare, the two builds take turns going first
          const o1 = other && round % 2 === 1 ? await run(other) : undefined;
          const proxied = await run(proxy);
          const o = other ? (o1 ?? (await run(other))) : undefined;
          const r: Round = { direct, proxied: { ...proxied, ...compare(direct, proxied) } };
          if (o) r.compare = { ...o, ...compare(direct, o) };
          out[p.name].push(r);
          process.stderr.write(`${label}, ${conns} connections, round ${round + 1}, ${p.name}: direct ${direct.rps} req/s p50 ${direct.p50_ms} ms, proxied ${proxied.rps} req/s p50 ${proxied.p50_ms} ms (load ${direct.load_1m})\n`);
        }
      }
      return out;
    };
    const results: Record<string, unknown> = {};
    const targets: Record<string, unknown> = {};
    const cpuList = allowed?.join(',') ?? '';
    for (const layout of layouts) {
      if (layout === 'pinned' && !pinnable) continue;
      try {
        if (allowed !== undefined) {
          const proxyCpu = String(allowed[allowed.length - 1]);
          const others = allowed.slice(0, -1).join(',');
          pin(process.pid, layout === 'pinned' ? others : cpuList);
          pin(upstreamPid, layout === 'pinned' ? others : cpuList);
          for (const p of proxies) pin(p.child.pid, layout === 'pinned' ? proxyCpu : cpuList);
        }
        // closed loop: the throughput at saturation
        const many = await measure(`${layout} closed loop`, connections, seconds, roundCount);
        // open loop at a fixed rate: the latency one hop adds below saturation
        const open = await measure(`${layout} open loop ${rate}/s`, connections, seconds, 1, rate);
        // a single connection: the latency one hop adds when nothing queues
        const single = await measure(`${layout} single`, 1, Math.max(1, Math.round(seconds / 2)), 1);
        const closed = { http: summary(many.http), tcp: summary(many.tcp) };
        results[layout] = {
          description: LAYOUTS[layout],
          closed_loop: { http: { summary: closed.http, rounds: many.http }, tcp: { summary: closed.tcp, rounds: many.tcp } },
          open_loop: { rate, http: open.http[0], tcp: open.tcp[0] },
          single_connection: { http: single.http[0], tcp: single.tcp[0] },
        };
        const verdict = (name: 'http' | 'tcp') => {
          const s = closed[name];
          const o = open[name][0];
          const belowSaturation = o !== undefined && o.direct.open_loop?.rate_achieved === true && o.proxied.open_loop?.rate_achieved === true;
          const added = o?.proxied.added_p50_ms ?? Number.NaN;
          const latency = { added_p50_ms_at_rate: added, rate_achieved: belowSaturation, latency_met: belowSaturation && added < 1 };
          const cpu = {
            proxy_cpu_us_per_request: s.proxied.proxy_cpu_us_per_request.median,
            client_plus_upstream_cpu_us_per_request: r1(s.direct_cpu_us_per_request.client.median + s.direct_cpu_us_per_request.upstream.median),
          };
          const ratio = s.proxied.throughput_ratio.median;
          // shared cores: the hop's CPU comes out of the client's and upstream's, so the ratio can reach
          // 0.5 only if the proxy costs no more CPU per request than the client and upstream together
          if (layout === 'shared') return { throughput_ratio: ratio, throughput_met: ratio >= 0.5, ...cpu, ...latency };
          // pinned: one core more than the direct run, so this is capacity, not throughput kept
          return { capacity_ratio: ratio, ...cpu, ...latency };
        };
        targets[layout] = { http: verdict('http'), tcp: verdict('tcp') };
      } catch (e) {
        // keep what the other layouts measured
        process.stderr.write(`${layout} layout failed: ${(e as Error).message}\n`);
        results[layout] = { description: LAYOUTS[layout], error: (e as Error).message };
        targets[layout] = { error: (e as Error).message };
      }
    }
    const report = {
      targets: {
        rule: 'per hop: at least 50 % of the direct throughput on the same cores (shared layout, closed loop, median of the rounds) and under 1 ms added at p50 below saturation (open loop at the fixed rate, which both runs must achieve)',
        ...targets,
      },
      node: process.version,
      cpus: cpuList || `${cpus().length} (taskset unavailable)`,
      connections,
      duration_s: seconds,
      rounds: roundCount,
      open_loop_rate: rate,
      proxy: MAIN,
      ...(other ? { compare: other.main } : {}),
      ...results,
      http_upstream_connections_opened: await upstreamConnections(proxy),
    };
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } finally {
    for (const p of proxies) p.child.kill('SIGTERM');
    upstream.child.kill('SIGTERM');
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
