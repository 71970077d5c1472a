/**
 * What one causeway-dp hop costs: requests/s and latency (p50/p99) of HTTP/1.1 and TCP round trips
 * with 64 concurrent keep-alive connections, direct to the upstream and through one proxy, measured in
 * the same run. The upstream servers and the proxy (dist/main.js with a static bootstrap) run as
 * separate processes; this process is the load generator. Prints JSON.
 *
 *   npm run build && node --import tsx bench/hop.ts [--duration 5] [--connections 64]
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { type AddressInfo, connect, createServer as createNetServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
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
  const tcp = createNetServer((s) => s.pipe(s));
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
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

function summarize(lat: number[], errors: number, seconds: number): Result {
  lat.sort((a, b) => a - b);
  const r3 = (n: number) => Math.round(n * 1000) / 1000;
  return { requests: lat.length, rps: Math.round(lat.length / seconds), p50_ms: r3(percentile(lat, 50)), p99_ms: r3(percentile(lat, 99)), errors };
}

/** Request/response loops on `connections` keep-alive connections; `complete` says when a reply is whole. */
async function loop(port: number, connections: number, seconds: number, warmup: number, request: Buffer, complete: (buf: Buffer) => number): Promise<Result> {
  const lat: number[] = [];
  let errors = 0;
  let measuring = false;
  let stop = false;
  const sockets: Socket[] = [];
  const one = () =>
    new Promise<void>((resolve) => {
      const s = connect({ host: '127.0.0.1', port, noDelay: true });
      sockets.push(s);
      let buf: Buffer = Buffer.alloc(0);
      let t0 = 0;
      const send = () => {
        if (stop) {
          s.destroy();
          resolve();
          return;
        }
        t0 = performance.now();
        s.write(request);
      };
      s.on('connect', send);
      s.on('data', (d: Buffer) => {
        buf = buf.length ? Buffer.concat([buf, d]) : d;
        const n = complete(buf);
        if (n <= 0) return;
        buf = buf.subarray(n);
        if (measuring) lat.push(performance.now() - t0);
        send();
      });
      s.on('error', () => {
        errors++;
        resolve();
      });
      s.on('close', () => resolve());
    });
  const all = Promise.all(Array.from({ length: connections }, one));
  await new Promise((r) => setTimeout(r, warmup * 1000));
  measuring = true;
  const started = performance.now();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  measuring = false;
  const elapsed = (performance.now() - started) / 1000;
  stop = true;
  const result = summarize(lat, errors, elapsed);
  setTimeout(() => {
    for (const s of sockets) s.destroy();
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

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { role: { type: 'string' }, duration: { type: 'string' }, connections: { type: 'string' }, warmup: { type: 'string' } } });
  if (values.role === 'upstream') return upstreamRole();
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run "npm run build" first`);
  const seconds = Number(values.duration ?? 5);
  const connections = Number(values.connections ?? 64);
  const warmup = Number(values.warmup ?? 1);

  const upstream = await startChild(['--import', 'tsx', fileURLToPath(import.meta.url), '--role', 'upstream'], (l) => l.startsWith('{'));
  const ports = JSON.parse(upstream.line) as { http: number; tcp: number };
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
      clusters: [cluster('http', ports.http), cluster('tcp', ports.tcp)],
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
  // access log off: the benchmark measures the data path (the log costs ~3-5 % more)
  const proxy = spawn(process.execPath, [MAIN, 'run', '--bootstrap', join(dir, 'bootstrap.json'), '--admin-port', String(admin), '--access-log', 'off', '--log-level', 'warn'], { stdio: 'inherit' });
  try {
    await waitReady(admin);
    const httpReq = Buffer.from('GET /bench HTTP/1.1\r\nhost: upstream\r\n\r\n');
    const tcpMsg = Buffer.alloc(64, 'y');
    const tcpComplete = (buf: Buffer) => (buf.length >= tcpMsg.length ? tcpMsg.length : 0);
    const httpDirect = await loop(ports.http, connections, seconds, warmup, httpReq, httpComplete);
    const httpProxied = await loop(httpListen, connections, seconds, warmup, httpReq, httpComplete);
    const tcpDirect = await loop(ports.tcp, connections, seconds, warmup, tcpMsg, tcpComplete);
    const tcpProxied = await loop(tcpListen, connections, seconds, warmup, tcpMsg, tcpComplete);
    const compare = (direct: Result, proxied: Result) => ({
      direct,
      proxied,
      added_p50_ms: Math.round((proxied.p50_ms - direct.p50_ms) * 1000) / 1000,
      added_p99_ms: Math.round((proxied.p99_ms - direct.p99_ms) * 1000) / 1000,
      throughput_ratio: Math.round((proxied.rps / Math.max(1, direct.rps)) * 1000) / 1000,
    });
    // the same with a single connection: the latency one hop adds when nothing queues
    const single = Math.max(1, Math.round(seconds / 2));
    const httpDirect1 = await loop(ports.http, 1, single, warmup, httpReq, httpComplete);
    const httpProxied1 = await loop(httpListen, 1, single, warmup, httpReq, httpComplete);
    const tcpDirect1 = await loop(ports.tcp, 1, single, warmup, tcpMsg, tcpComplete);
    const tcpProxied1 = await loop(tcpListen, 1, single, warmup, tcpMsg, tcpComplete);
    const os = await import('node:os');
    const report = {
      node: process.version,
      cpus: os.cpus().length,
      load_average_1m: Math.round((os.loadavg()[0] ?? 0) * 100) / 100,
      connections,
      duration_s: seconds,
      http: compare(httpDirect, httpProxied),
      tcp: compare(tcpDirect, tcpProxied),
      single_connection: { http: compare(httpDirect1, httpProxied1), tcp: compare(tcpDirect1, tcpProxied1) },
    };
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } finally {
    proxy.kill('SIGTERM');
    upstream.child.kill('SIGTERM');
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
