/**
 * What a causeway-dp hop costs, per 1,000 requests/s through one causeway-dp process: its vCPU (CPU
 * seconds per second, from /proc) and resident memory, and the latency it adds below saturation, for
 * three hops, next to the floor proxy (bench/floor-proxy.mjs) with the same bootstraps in the same run:
 *
 * - http: plain HTTP/1.1 through one proxy;
 * - tcp: a tcp_proxy round trip through one proxy;
 * - mtls: sidecar -> ZoneEgress: the sidecar takes plain HTTP from the client and originates mesh mTLS
 *   with its workload certificate to a second proxy acting as ZoneEgress, which terminates it (client
 *   certificate required, RBAC) and forwards to the upstream. Both processes are measured.
 *
 * The bootstraps (bench/bootstrap.ts) have the shapes the generators of @causeway/xds emit. The upstream
 * servers, each proxy and this process (the load generator) are separate processes. Every measurement is
 * an open loop at a fixed rate (`--rates`, default 1,000 and 2,000 requests/s, well below saturation on
 * `--connections` keep-alive connections), direct to the upstream and then through each proxy set, back
 * to back; the added latency is the proxied run's minus the direct run's at the same rate. A short
 * closed loop per hop gives the throughput at saturation, for information. Prints JSON on stdout (the
 * targets' verdicts first) and a summary table with met / not met on stderr; exits 1 when a measurement
 * saw no requests or any error.
 *
 *   npm run build && node --import tsx bench/hop.ts [--rates 1000,2000] [--duration 10] [--connections 16]
 *       [--warmup 1] [--rounds 1] [--closed-duration 3] [--hops http,tcp,mtls] [--compare OTHER/dist/main.js]
 *       [--node-args="--cpu-prof --cpu-prof-dir /tmp/prof"]   (node flags for the causeway-dp processes)
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { type AddressInfo, connect, createServer as createNetServer } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { type Bootstrap, egressBootstrap, meshCertificates, plainBootstrap, sidecarBootstrap } from './bootstrap.js';
import { cpuMicros, httpComplete, loadAverage, loop, type Protocol, type Result, r1, r3, rssMb, sleep } from './load.js';

const here = dirname(fileURLToPath(import.meta.url));
const MAIN = join(here, '..', 'dist', 'main.js');
const FLOOR = join(here, 'floor-proxy.mjs');
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

// ------------------------------------------------------------------ the hops
type Hop = 'http' | 'tcp' | 'mtls';

const HTTP: Protocol = {
  request: Buffer.from('GET /bench HTTP/1.1\r\nhost: httpbin\r\n\r\n'),
  complete: httpComplete,
  ok: (reply) => reply.toString('latin1', 9, 12) === '200',
};
const TCP_MESSAGE = Buffer.alloc(64, 'y');
const TCP: Protocol = {
  request: TCP_MESSAGE,
  complete: (buf) => (buf.length >= TCP_MESSAGE.length ? TCP_MESSAGE.length : 0),
  ok: (reply) => reply.equals(TCP_MESSAGE),
};

/** A proxy implementation's processes: one for the plain hops, and the sidecar and egress of the mTLS hop. */
interface ProxySet {
  name: string;
  main: string;
  plain: Proc;
  sidecar: Proc;
  egress: Proc;
  ports: { http: number; tcp: number; mtls: number };
}

interface Proc {
  child: ChildProcess;
  pid: number;
  admin: number;
}

const HOPS: Record<Hop, { description: string; protocol: Protocol; direct: 'http' | 'tcp'; targetVcpu: number; processes: (s: ProxySet) => Record<string, number> }> = {
  http: { description: 'HTTP/1.1 through one proxy', protocol: HTTP, direct: 'http', targetVcpu: 0.1, processes: (s) => ({ proxy: s.plain.pid }) },
  tcp: { description: 'a tcp_proxy round trip through one proxy', protocol: TCP, direct: 'tcp', targetVcpu: 0.1, processes: (s) => ({ proxy: s.plain.pid }) },
  mtls: {
    description: 'HTTP/1.1 client -> sidecar -(mesh mTLS)-> ZoneEgress -> upstream; each of the two proxies is measured',
    protocol: HTTP,
    direct: 'http',
    targetVcpu: 0.2,
    processes: (s) => ({ sidecar: s.sidecar.pid, egress: s.egress.pid }),
  },
};
const TARGETS = {
  vcpu: 'vCPU per 1,000 requests/s of each causeway-dp process on the path (median of the rounds): <= 0.10 on the plain hops (http, tcp), <= 0.20 on each proxy of the mTLS hop, at every measured rate',
  rss: 'resident memory of each causeway-dp process <= 60 MB (largest VmRSS sampled during the hop\'s measurements)',
  latency: 'p50 added latency (proxied - direct at the same rate, median of the rounds below saturation: both runs achieved 95 % of the rate and the load generator kept its schedule) < 1 ms at every measured rate',
};
const RSS_TARGET_MB = 60;
const ADDED_P50_TARGET_MS = 1;

// ------------------------------------------------------------------ processes
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

async function waitReady(adminPort: number, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    try {
      if ((await fetch(`http://127.0.0.1:${adminPort}/ready`)).status === 200) return;
    } catch {
      /* not up yet */
    }
    await sleep(50);
  }
  throw new Error(`${what} did not become ready`);
}

/** Starts one proxy process on a static bootstrap (access log off: the bench measures the data path). */
async function startProxy(main: string, what: string, bootstrap: Bootstrap, nodeArgs: string[]): Promise<Proc> {
  const dir = mkdtempSync(join(tmpdir(), 'causeway-dp-bench-'));
  const file = join(dir, 'bootstrap.json');
  writeFileSync(file, JSON.stringify(bootstrap));
  const admin = await freePort();
  const child = spawn(process.execPath, [...nodeArgs, main, 'run', '--bootstrap', file, '--admin-port', String(admin), '--access-log', 'off', '--log-level', 'warn'], { stdio: 'inherit' });
  if (child.pid === undefined) throw new Error(`${what}: could not start ${main}`);
  await waitReady(admin, what);
  return { child, pid: child.pid, admin };
}

async function startSet(name: string, main: string, upstream: { http: number; tcp: number }, certs: Awaited<ReturnType<typeof meshCertificates>>, nodeArgs: string[]): Promise<ProxySet> {
  const ports = { http: await freePort(), tcp: await freePort(), mtls: await freePort() };
  const egressPort = await freePort();
  const plain = await startProxy(main, `${name} (plain hops)`, plainBootstrap(ports, upstream), nodeArgs);
  const egress = await startProxy(main, `${name} (ZoneEgress)`, egressBootstrap(egressPort, upstream.http, certs), nodeArgs);
  const sidecar = await startProxy(main, `${name} (sidecar)`, sidecarBootstrap(ports.mtls, egressPort, certs), nodeArgs);
  return { name, main, plain, sidecar, egress, ports };
}

async function stop(p: Proc): Promise<void> {
  if (p.child.exitCode !== null) return;
  const exited = new Promise<void>((r) => p.child.once('exit', () => r()));
  p.child.kill('SIGTERM');
  // a --cpu-prof profile is written as the process exits
  await Promise.race([exited, sleep(5000)]);
}

/** One request through a hop's entry port: throws unless the reply is the expected one. */
async function checkPath(port: number, protocol: Protocol, what: string): Promise<void> {
  const reply = await new Promise<Buffer>((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port });
    let buf = Buffer.alloc(0);
    const timer = setTimeout(() => s.destroy(new Error('no reply within 5 s')), 5000);
    s.on('connect', () => s.write(protocol.request));
    s.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      const n = protocol.complete(buf);
      if (n > 0) {
        clearTimeout(timer);
        s.destroy();
        resolve(buf.subarray(0, n));
      }
    });
    s.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  }).catch((e: Error) => {
    throw new Error(`${what}: ${e.message}`);
  });
  if (!protocol.ok(reply)) throw new Error(`${what}: unexpected reply ${JSON.stringify(reply.toString('latin1', 0, 80))}`);
}

/** Connections a proxy opened to a cluster (the keep-alive pool should open one per client connection, during the warm-up). */
async function upstreamConnections(p: Proc, cluster: string): Promise<number | undefined> {
  const text = await (await fetch(`http://127.0.0.1:${p.admin}/stats/prometheus`)).text();
  const m = new RegExp(`envoy_cluster_upstream_cx_total\\{envoy_cluster_name="${cluster}"\\} (\\d+)`).exec(text);
  return m ? Number(m[1]) : undefined;
}

// ------------------------------------------------------------------ verdicts
interface Proxied extends Result {
  added_p50_ms: number;
  added_p99_ms: number;
}

/** One round of one hop at one rate: the direct run and each proxy set's run. */
interface Round {
  direct: Result;
  via: Record<string, Proxied>;
}
/** open[rate][hop]: the rounds */
type OpenRuns = Record<string, Partial<Record<Hop, Round[]>>>;

/** the load generator's send lag (p50) above which it fell behind its schedule: requests queued up (its 1 ms tick gives about 0.9 ms at p50 on an idle machine, about 2 ms at load 15) */
const GENERATOR_LAG_MS = 5;

/** A proxied run's latency counts when it and its direct run achieved the rate and the load generator kept its schedule. */
function belowSaturation(direct: Result, r: Result): boolean {
  const ok = (x: Result) => x.open_loop?.rate_achieved === true && x.open_loop.send_lag_p50_ms <= GENERATOR_LAG_MS;
  return ok(direct) && ok(r);
}

/** the lower median (one of the values, not an average of two) */
function median(values: number[]): number {
  const v = [...values].sort((a, b) => a - b);
  return v.length === 0 ? Number.NaN : (v[Math.floor((v.length - 1) / 2)] as number);
}

/** A proxy set's numbers for one hop at every rate (median of the rounds) and whether each target is met. */
function verdict(hop: Hop, set: string, open: OpenRuns) {
  const target = HOPS[hop].targetVcpu;
  const perRate = Object.entries(open).flatMap(([rate, byHop]) => {
    const rounds = (byHop[hop] ?? []).filter((r) => r.via[set] !== undefined);
    const runs = rounds.map((r) => r.via[set] as Proxied);
    if (runs.length === 0) return [];
    // the proxies on the path (the upstream is measured for information only)
    const roles = Object.keys(runs[0]?.processes ?? {}).filter((role) => role !== 'upstream');
    const valid = rounds.filter((r) => belowSaturation(r.direct, r.via[set] as Proxied)).map((r) => r.via[set] as Proxied);
    return [
      {
        rate,
        roles,
        vcpu: Object.fromEntries(roles.map((role) => [role, median(runs.map((x) => x.processes[role]?.vcpu_per_1000_rps ?? Number.NaN))])),
        rss: Object.fromEntries(roles.map((role) => [role, Math.max(...runs.map((x) => x.processes[role]?.rss_mb ?? Number.NaN))])),
        added_p50_ms: median(valid.map((x) => x.added_p50_ms)),
        added_p99_ms: median(valid.map((x) => x.added_p99_ms)),
        rounds_below_saturation: `${valid.length}/${runs.length}`,
        load_1m: runs.map((x) => x.load_1m),
      },
    ];
  });
  const roles = perRate[0]?.roles ?? [];
  const rss = Object.fromEntries(roles.map((role) => [role, Math.max(...perRate.map((p) => p.rss[role] ?? Number.NaN))]));
  const byRate = <T>(pick: (p: (typeof perRate)[number]) => T) => Object.fromEntries(perRate.map((p) => [p.rate, pick(p)]));
  return {
    vcpu_per_1000_rps: Object.fromEntries(roles.map((role) => [role, byRate((p) => p.vcpu[role])])),
    vcpu_target: target,
    vcpu_met: perRate.length > 0 && perRate.every((p) => roles.every((role) => (p.vcpu[role] ?? Number.POSITIVE_INFINITY) <= target)),
    rss_mb: rss,
    rss_met: perRate.length > 0 && Object.values(rss).every((v) => v <= RSS_TARGET_MB),
    /** median over the rounds below saturation (null: none was) */
    added_p50_ms: byRate((p) => p.added_p50_ms),
    added_p99_ms: byRate((p) => p.added_p99_ms),
    rounds_below_saturation: byRate((p) => p.rounds_below_saturation),
    latency_met: perRate.length > 0 && perRate.every((p) => p.added_p50_ms < ADDED_P50_TARGET_MS),
    load_1m: byRate((p) => p.load_1m),
  };
}

const mark = (met: boolean) => (met ? 'met' : 'NOT MET');
const show = (n: number | undefined) => (n === undefined || Number.isNaN(n) ? 'n/a' : String(n));

function printSummary(hops: Hop[], sets: string[], verdicts: Record<string, Record<string, ReturnType<typeof verdict>>>): void {
  const lines: string[] = ['', 'hop    proxy set        process  vCPU/1000 rps by rate      RSS MB  added p50 / p99 ms by rate'];
  for (const hop of hops)
    for (const set of sets) {
      const v = verdicts[set]?.[hop];
      if (!v) continue;
      for (const role of Object.keys(v.vcpu_per_1000_rps)) {
        const vcpu = Object.entries(v.vcpu_per_1000_rps[role] ?? {})
          .map(([rate, x]) => `${rate}: ${show(x)}`)
          .join(', ');
        const lat = Object.keys(v.added_p50_ms)
          .map((rate) => `${rate}: ${show(v.added_p50_ms[rate])} / ${show(v.added_p99_ms[rate])} (${v.rounds_below_saturation[rate]} rounds below saturation)`)
          .join(', ');
        lines.push(`${hop.padEnd(6)} ${set.padEnd(16)} ${role.padEnd(8)} ${vcpu.padEnd(26)} ${String(v.rss_mb[role]).padEnd(7)} ${lat}`);
      }
    }
  const ours = verdicts['causeway-dp'] ?? {};
  lines.push('', 'targets (causeway-dp):');
  for (const hop of hops) {
    const v = ours[hop];
    if (!v) continue;
    lines.push(
      `  ${hop}: vCPU per 1,000 rps <= ${v.vcpu_target}: ${mark(v.vcpu_met)}; RSS <= ${RSS_TARGET_MB} MB: ${mark(v.rss_met)}; p50 added < ${ADDED_P50_TARGET_MS} ms below saturation: ${mark(v.latency_met)}`,
    );
  }
  process.stderr.write(`${lines.join('\n')}\n`);
}

// ------------------------------------------------------------------ main
function allowedCpus(): string {
  try {
    const out = execFileSync('taskset', ['-pc', String(process.pid)], { encoding: 'utf8' });
    return out.slice(out.lastIndexOf(':') + 1).trim();
  } catch {
    return `${cpus().length} (taskset unavailable)`;
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      role: { type: 'string' },
      rates: { type: 'string' },
      duration: { type: 'string' },
      connections: { type: 'string' },
      warmup: { type: 'string' },
      'closed-duration': { type: 'string' },
      rounds: { type: 'string' },
      hops: { type: 'string' },
      compare: { type: 'string' },
      'node-args': { type: 'string' },
    },
  });
  if (values.role === 'upstream') return upstreamRole();
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run "npm run build" first`);
  if (values.compare && !existsSync(values.compare)) throw new Error(`--compare ${values.compare}: no such file`);
  const number = (name: string, v: string | undefined, dflt: number, min: number): number => {
    const n = v === undefined ? dflt : Number(v);
    if (!Number.isFinite(n) || n < min) throw new Error(`--${name} ${v}: expected a number >= ${min}`);
    return n;
  };
  const seconds = number('duration', values.duration, 10, 1);
  const connections = Math.round(number('connections', values.connections, 16, 1));
  const warmup = number('warmup', values.warmup, 1, 0);
  const closedSeconds = number('closed-duration', values['closed-duration'], 3, 0);
  const roundCount = Math.round(number('rounds', values.rounds, 1, 1));
  const rates = (values.rates ?? '1000,2000').split(',').map((r) => number('rates', r, 0, 1));
  const hops = (values.hops ?? 'http,tcp,mtls').split(',') as Hop[];
  for (const h of hops) if (!Object.hasOwn(HOPS, h)) throw new Error(`--hops ${h}: expected http, tcp and/or mtls`);
  // e.g. --cpu-prof --cpu-prof-dir DIR (a profile per process, written as it exits), --max-semi-space-size=2
  const nodeArgs = values['node-args']?.split(/\s+/).filter((a) => a !== '') ?? [];
  const profDir = nodeArgs[nodeArgs.indexOf('--cpu-prof-dir') + 1];
  if (nodeArgs.includes('--cpu-prof-dir') && profDir) mkdirSync(profDir, { recursive: true });

  const upstreamChild = await startChild(['--import', 'tsx', fileURLToPath(import.meta.url), '--role', 'upstream'], (l) => l.startsWith('{'));
  const upstream = JSON.parse(upstreamChild.line) as { http: number; tcp: number };
  const upstreamPid = upstreamChild.child.pid as number;
  const certs = await meshCertificates();
  const sets: ProxySet[] = [];
  try {
    // causeway-dp (with --node-args), the floor, and the --compare build
    sets.push(await startSet('causeway-dp', MAIN, upstream, certs, nodeArgs));
    sets.push(await startSet('floor', FLOOR, upstream, certs, []));
    if (values.compare) sets.push(await startSet('compare', resolve(values.compare), upstream, certs, []));
    const entry = (hop: Hop, s: ProxySet) => s.ports[hop];
    for (const s of sets) for (const hop of hops) await checkPath(entry(hop, s), HOPS[hop].protocol, `${hop} hop through ${s.name}`);

    // idle: what each process costs with no traffic, and its memory after start
    const idle: Record<string, Record<string, { vcpu: number; rss_mb: number }>> = {};
    const idleSeconds = 3;
    const procs = sets.flatMap((s) => (['plain', 'sidecar', 'egress'] as const).map((role) => ({ set: s.name, role, pid: s[role].pid })));
    const cpu0 = procs.map((p) => cpuMicros(p.pid));
    await sleep(idleSeconds * 1000);
    procs.forEach((p, i) => {
      idle[p.set] ??= {};
      (idle[p.set] as Record<string, { vcpu: number; rss_mb: number }>)[p.role] = { vcpu: r3((cpuMicros(p.pid) - (cpu0[i] as number)) / 1e6 / idleSeconds), rss_mb: r1(rssMb(p.pid)) };
    });

    /** The direct run, then each proxy set's (in turn: round 2 reverses the order of round 1, and so on). */
    const measure = async (hop: Hop, rate: number | undefined, round: number): Promise<Round> => {
      const h = HOPS[hop];
      const label = rate === undefined ? 'closed loop' : `${rate}/s round ${round + 1}`;
      const direct = await loop({ port: upstream[h.direct], connections, seconds: rate === undefined ? closedSeconds : seconds, warmup, protocol: h.protocol, rate, processes: { upstream: upstreamPid } });
      const via: Record<string, Proxied> = {};
      for (const s of round % 2 === 0 ? sets : [...sets].reverse()) {
        const r = await loop({
          port: entry(hop, s),
          connections,
          seconds: rate === undefined ? closedSeconds : seconds,
          warmup,
          protocol: h.protocol,
          rate,
          processes: { ...h.processes(s), upstream: upstreamPid },
        });
        via[s.name] = { ...r, added_p50_ms: r3(r.p50_ms - direct.p50_ms), added_p99_ms: r3(r.p99_ms - direct.p99_ms) };
        const costs = Object.entries(r.processes)
          .filter(([role]) => role !== 'upstream')
          .map(([role, c]) => `${role} ${c.vcpu_per_1000_rps} vCPU/1000rps ${c.rss_mb} MB`)
          .join(', ');
        process.stderr.write(`${hop} ${label} ${s.name}: ${r.rps} req/s, added p50 ${via[s.name]?.added_p50_ms} ms, ${costs} (load ${r.load_1m})\n`);
      }
      return { direct, via };
    };

    const open: OpenRuns = {};
    for (let round = 0; round < roundCount; round++)
      for (const rate of rates)
        for (const hop of hops) {
          const run = await measure(hop, rate, round);
          const byHop = open[rate] ?? {};
          byHop[hop] = [...(byHop[hop] ?? []), run];
          open[rate] = byHop;
        }
    // closed loop, for information: the throughput at saturation
    const saturation: Partial<Record<Hop, Record<string, number>>> = {};
    if (closedSeconds > 0)
      for (const hop of hops) {
        const c = await measure(hop, undefined, 0);
        saturation[hop] = { direct: c.direct.rps, ...Object.fromEntries(Object.entries(c.via).map(([n, r]) => [n, r.rps])) };
      }

    const verdicts: Record<string, Record<string, ReturnType<typeof verdict>>> = {};
    for (const s of sets) verdicts[s.name] = Object.fromEntries(hops.map((hop) => [hop, verdict(hop, s.name, open)]));
    const ours = sets[0] as ProxySet;
    const report = {
      targets: { rules: TARGETS, 'causeway-dp': verdicts['causeway-dp'] },
      floor: verdicts.floor,
      ...(values.compare ? { compare: verdicts.compare } : {}),
      node: process.version,
      cpus: allowedCpus(),
      connections,
      duration_s: seconds,
      rounds: roundCount,
      rates,
      proxy: MAIN,
      ...(nodeArgs.length > 0 ? { proxy_node_args: nodeArgs } : {}),
      ...(values.compare ? { compare_proxy: resolve(values.compare) } : {}),
      hops: Object.fromEntries(hops.map((h) => [h, HOPS[h].description])),
      idle_3s: idle,
      saturation_rps: saturation,
      upstream_connections_opened: { http: await upstreamConnections(ours.plain, 'http'), mtls: await upstreamConnections(ours.sidecar, 'httpbin') },
      open_loop: open,
      load_1m_at_end: loadAverage(),
    };
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    printSummary(
      hops,
      sets.map((s) => s.name),
      verdicts,
    );
    // a measurement that saw no requests, or errors, measured something else than the hop
    const bad = Object.entries(open).flatMap(([rate, byHop]) =>
      Object.entries(byHop).flatMap(([hop, rounds]) =>
        rounds.flatMap((run, i) =>
          [['direct', run.direct] as const, ...Object.entries(run.via)]
            .filter(([, r]) => r.requests === 0 || r.errors > 0)
            .map(([n, r]) => `${hop} at ${rate}/s round ${i + 1} via ${n}: ${r.requests} requests, ${r.errors} errors`),
        ),
      ),
    );
    if (bad.length > 0) throw new Error(`invalid measurements:\n  ${bad.join('\n  ')}`);
  } finally {
    await Promise.all(sets.flatMap((s) => [stop(s.plain), stop(s.sidecar), stop(s.egress)]));
    upstreamChild.child.kill('SIGTERM');
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
