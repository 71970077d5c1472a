/**
 * Multi-zone test harness: real `causeway-cp` processes (the built `services/control-plane/dist/main.js`),
 * real `causeway-dp` proxies (`services/dataplane/dist/main.js`), NATS and Postgres (local processes, or
 * containers when a container engine is present), Postgres databases with random names, test apps, fake
 * external services (./externals.ts) and polling helpers. Every process logs to a file under the
 * environment's log directory (printed by `dumpLogs()` when a test fails). Everything a test starts is
 * registered so that `teardown()` stops it even when the test failed half way, and a process-exit hook
 * kills whatever is still running if the test process ends without a teardown.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Resolver } from 'node:dns/promises';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, type WriteStream, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect as connectTcp } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CausewayClient } from '@causeway/client';
import { dataplaneTokenTags } from '@causeway/pki';
import { type GeneratedNatsConfig, generateNatsConfig } from '@causeway/sync';
import { freePort, startNatsServer } from '@causeway/sync/testing';
import pg from 'pg';
import { expect } from 'vitest';
import { decideContainers, IMAGES } from './containers/engine.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const CP_BIN = join(ROOT, 'services/control-plane/dist/main.js');
/** Admin URL of the Postgres server the tests create their databases on. */
export const ADMIN_DB_URL = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';

/** Polls `fn` until it stops throwing (then returns its value) or the deadline passes. */
export async function eventually<T>(fn: () => Promise<T> | T, what: string, timeoutMs = 15_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      return await fn();
    } catch (e) {
      last = e;
    }
    if (Date.now() >= deadline) throw new Error(`${what}: still not true after ${timeoutMs} ms; last error: ${(last as Error)?.message ?? String(last)}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

async function adminQuery(sql: string, adminUrl: string = ADMIN_DB_URL): Promise<void> {
  const c = new pg.Client({ connectionString: adminUrl });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

export class TestEnv {
  private readonly databases: { name: string; adminUrl: string }[] = [];
  private readonly dirs: string[] = [];
  readonly processes: ControlPlaneProcess[] = [];
  /** causeway-dp proxies started with `proxy()`. */
  readonly proxies: ProxyProcess[] = [];
  private readonly cleanups: (() => Promise<void>)[] = [];
  private logDirectory: string | undefined;

  /** Creates an empty Postgres database (on `adminUrl`, default ADMIN_DB_URL); returns its URL. */
  async database(prefix = 'causeway_it', adminUrl: string = ADMIN_DB_URL): Promise<string> {
    const name = `${prefix}_${randomBytes(6).toString('hex')}`;
    await adminQuery(`CREATE DATABASE ${name}`, adminUrl);
    this.databases.push({ name, adminUrl });
    const u = new URL(adminUrl);
    u.pathname = `/${name}`;
    return u.toString();
  }

  /**
   * Where every process of this environment writes its log file (`<name>.log`): CAUSEWAY_IT_LOG_DIR when
   * set (kept after the run), else a temp dir removed at teardown.
   */
  get logDir(): string {
    if (!this.logDirectory) {
      const keep = process.env.CAUSEWAY_IT_LOG_DIR;
      if (keep) mkdirSync(keep, { recursive: true });
      this.logDirectory = keep ?? this.tempDir('causeway-it-logs-');
    }
    return this.logDirectory;
  }

  /** The log file of a process of this environment. */
  logFile(name: string): string {
    return join(this.logDir, `${name}.log`);
  }

  tempDir(prefix = 'causeway-it-'): string {
    const d = mkdtempSync(join(tmpdir(), prefix));
    this.dirs.push(d);
    return d;
  }

  /** Something else to undo at teardown (e.g. a nats-server). */
  onTeardown(fn: () => Promise<void>): void {
    this.cleanups.push(fn);
  }

  /**
   * A control plane process (not started yet). `opts.home` runs it with that HOME (a zone on Postgres
   * keeps its xDS CA and token signing key in `~/.causeway/zone-<zone>`: per test, not the user's).
   * `opts.nats` connects it to NATS: the URL and user as flags, the password in the environment
   * (CAUSEWAY_NATS_PASSWORD), so that it shows neither in `ps` nor in the logged command line.
   */
  controlPlane(name: string, args: string[], opts: ControlPlaneOptions = {}): ControlPlaneProcess {
    const p = new ControlPlaneProcess(name, args, join(this.tempDir(`causeway-it-${name}-`), 'admin-token'), { logFile: this.logFile(name), ...opts });
    this.processes.push(p);
    return p;
  }

  /** A causeway-dp proxy (not started yet). */
  proxy(name: string, spec: ProxySpec): ProxyProcess {
    const p = new ProxyProcess(name, spec, this.tempDir(`causeway-it-dp-${name}-`), this.logFile(name));
    this.proxies.push(p);
    return p;
  }

  /** The last lines of every process's output, for a failed test. */
  dumpLogs(lines = 80): string {
    const all: { name: string; logs(): string; logFile?: string | undefined }[] = [...this.processes, ...this.proxies];
    return all.map((p) => `----- ${p.name} (last ${lines} lines${p.logFile ? `; full log: ${p.logFile}` : ''}) -----\n${p.logs().split('\n').slice(-lines).join('\n')}`).join('\n');
  }

  async teardown(): Promise<void> {
    const errors: unknown[] = [];
    // CAUSEWAY_IT_LOG_DIR=DIR keeps every process's full output there (for looking into a run).
    const keep = process.env.CAUSEWAY_IT_LOG_DIR;
    if (keep) {
      mkdirSync(keep, { recursive: true });
      for (const p of this.processes) if (!p.logFile) writeFileSync(join(keep, `${p.name}.log`), p.logs());
    }
    await Promise.all([...this.proxies, ...this.processes].map((p) => p.kill().catch((e: unknown) => errors.push(e))));
    // The databases first: a Postgres container of startInfrastructure is one of the cleanups.
    for (const db of this.databases.splice(0)) await adminQuery(`DROP DATABASE IF EXISTS ${db.name} WITH (FORCE)`, db.adminUrl).catch((e: unknown) => errors.push(e));
    for (const fn of this.cleanups.reverse()) await fn().catch((e: unknown) => errors.push(e));
    for (const d of this.dirs.splice(0)) rmSync(d, { recursive: true, force: true });
    if (errors.length > 0) throw new AggregateError(errors, 'teardown failed');
  }
}

/**
 * How long a control plane may take to become ready. A fresh PGlite store runs initdb in WebAssembly:
 * ~5 s on an idle 2-core machine, several times that when a few start at once on a loaded one.
 */
export const START_TIMEOUT_MS = 90_000;

/** The test's environment without CAUSEWAY_* settings: a process gets exactly the flags the test passes. */
function childEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('CAUSEWAY_')));
}

/** How the harness reaches NATS as one control plane. */
export interface NatsAccess {
  url: string;
  user: string;
  password: string;
}

export interface ControlPlaneOptions {
  home?: string;
  nats?: NatsAccess;
  /** `--log-level` (default `debug`: the tests read the logs; a benchmark wants `info`). */
  logLevel?: string;
}

export class ControlPlaneProcess {
  private child: ChildProcess | undefined;
  private exited: Promise<number | null> = Promise.resolve(null);
  private output: string[] = [];
  private port = 0;
  /** Zone mode: the ADS port (kept across restarts, like the API port). */
  private xdsPort = 0;

  constructor(
    readonly name: string,
    readonly args: string[],
    readonly tokenFile: string,
    readonly opts: ControlPlaneOptions & { logFile?: string } = {},
  ) {}

  /** The file its output goes to (besides memory), when it has one. */
  get logFile(): string | undefined {
    return this.opts.logFile;
  }

  /** The process id while it runs. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  private argValue(flag: string): string | undefined {
    const i = this.args.indexOf(flag);
    return i >= 0 ? this.args[i + 1] : undefined;
  }

  /** Zone mode: the CA file proxies trust for the ADS port (`<data dir>/xds-ca.pem`, else under HOME). */
  get xdsCaFile(): string {
    const dataDir = this.argValue('--data-dir');
    if (dataDir) return join(dataDir, 'xds-ca.pem');
    return join(this.opts.home ?? homedir(), '.causeway', `zone-${this.argValue('--zone')}`, 'xds-ca.pem');
  }

  private async postToken(path: string, body: unknown): Promise<string> {
    const admin = readFileSync(this.tokenFile, 'utf8').trim();
    const res = await fetch(`${this.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}` }, body: JSON.stringify(body) });
    if (!res.ok) throw new Error(`${this.name} ${path}: ${res.status} ${await res.text()}`);
    return (await res.text()).trim();
  }

  /**
   * Zone mode: a dataplane token (`POST /tokens/dataplane`) issued for `tags`: the `kuma.io/service` of
   * the Dataplane's inbounds (`dataplaneTokenTags(resource)`); zones refuse tokens without them.
   */
  dataplaneToken(mesh: string, name: string, tags: Record<string, string[]>): Promise<string> {
    return this.postToken('/tokens/dataplane', { mesh, name, tags });
  }

  /**
   * A zone token for a ZoneIngress / ZoneEgress (`POST /tokens/zone`): a zone control plane's for its own
   * zone, or global's (signed with its zone-token key) for `zone`, which global requires.
   */
  zoneToken(scope: 'ingress' | 'egress', zone?: string): Promise<string> {
    return this.postToken('/tokens/zone', { ...(zone !== undefined ? { zone } : {}), scope: [scope] });
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Zone mode: the port of the zone's ADS server (TLS). */
  get xdsAddress(): string {
    return `localhost:${this.xdsPort}`;
  }

  get running(): boolean {
    return this.child !== undefined;
  }

  logs(): string {
    return this.output.join('');
  }

  private sink: LogSink | undefined;

  private record(text: string): void {
    this.output.push(text);
    if (this.opts.logFile) {
      this.sink ??= new LogSink(this.opts.logFile);
      this.sink.write(text);
    }
  }

  /** Parsed JSON log lines. */
  logLines(): Record<string, unknown>[] {
    return this.logs()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => {
        try {
          return JSON.parse(l) as Record<string, unknown>;
        } catch {
          return {};
        }
      });
  }

  /** Starts the process (on the same port as before when restarted) and waits until `/ready`. */
  async start(timeoutMs = START_TIMEOUT_MS): Promise<void> {
    if (this.child) throw new Error(`${this.name} is already running`);
    if (this.port === 0) this.port = await freePort();
    // Several zones run on one machine: each gets its own xDS port instead of the default 5678.
    const zoneMode = this.args.includes('zone') && !this.args.includes('--xds-port');
    if (zoneMode && this.xdsPort === 0) this.xdsPort = await freePort();
    const xdsArgs = zoneMode ? ['--xds-port', String(this.xdsPort), '--xds-address', '127.0.0.1'] : [];
    const nats = this.opts.nats;
    const natsArgs = nats ? ['--nats-url', nats.url, '--nats-user', nats.user] : [];
    this.record(`\n===== start ${this.name}: ${[...this.args, ...natsArgs].join(' ')}${nats ? ' (NATS password in CAUSEWAY_NATS_PASSWORD)' : ''} =====\n`);
    const env = { ...childEnv(), ...(this.opts.home ? { HOME: this.opts.home } : {}), ...(nats ? { CAUSEWAY_NATS_PASSWORD: nats.password } : {}) };
    const child = spawn(
      process.execPath,
      [CP_BIN, 'run', ...this.args, ...natsArgs, ...xdsArgs, '--api-port', String(this.port), '--api-address', '127.0.0.1', '--admin-token-file', this.tokenFile, '--log-level', this.opts.logLevel ?? 'debug'],
      { stdio: ['ignore', 'pipe', 'pipe'], env },
    );
    this.child = child;
    trackChild(this.name, child);
    child.stdout?.on('data', (d: Buffer) => this.record(d.toString()));
    child.stderr?.on('data', (d: Buffer) => this.record(d.toString()));
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.record(`\n===== ${this.name} exited: code ${code} signal ${signal} =====\n`);
        if (this.child === child) this.child = undefined;
        resolve(code);
      });
    });
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!this.child) throw new Error(`${this.name} exited before it was ready:\n${this.logs()}`);
      try {
        if ((await fetch(`${this.url}/ready`)).ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    await this.kill();
    throw new Error(`${this.name} was not ready after ${timeoutMs / 1000} s:\n${this.logs()}`);
  }

  /** SIGTERM and wait; returns the exit code (SIGKILL after 15 s). */
  async stop(): Promise<number | null> {
    const child = this.child;
    if (!child) return null;
    child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), 15_000);
    const code = await this.exited;
    clearTimeout(t);
    return code;
  }

  /** SIGKILL (a crash) and wait. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child) return;
    child.kill('SIGKILL');
    await this.exited;
  }

  client(): CausewayClient {
    if (!existsSync(this.tokenFile)) throw new Error(`${this.name} has no admin token file yet`);
    return new CausewayClient({ address: this.url, token: readFileSync(this.tokenFile, 'utf8').trim(), timeoutMs: 10_000 });
  }

  async index(): Promise<Record<string, unknown>> {
    const res = await fetch(`${this.url}/`);
    return (await res.json()) as Record<string, unknown>;
  }
}

// ---------------------------------------------------------------------------------------------------
// Every child process the harness starts: killed by a process-exit hook if the test process ends
// without a teardown (a crash, a timeout, Ctrl-C), and looked up by pid to tell which process opened a
// connection (externals.ts).

const liveChildren = new Map<number, { name: string; child: ChildProcess; group: boolean }>();
let exitHookInstalled = false;

function killAllChildrenNow(): void {
  for (const [pid, { child, group }] of liveChildren) {
    try {
      if (group) process.kill(-pid, 'SIGKILL');
      else child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
  liveChildren.clear();
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', killAllChildrenNow);
  for (const [sig, n] of [
    ['SIGINT', 2],
    ['SIGTERM', 15],
    ['SIGHUP', 1],
  ] as const) {
    process.on(sig, () => {
      killAllChildrenNow();
      // Only when nobody else handles the signal: keep its default meaning (terminate).
      if (process.listenerCount(sig) === 1) process.exit(128 + n);
    });
  }
}

/**
 * Registers a child for the exit hook and for harnessProcesses(). `group: true` for a child started
 * `detached` (its own process group): the hook then kills the whole group, grandchildren included.
 */
export function trackChild(name: string, child: ChildProcess, opts: { group?: boolean } = {}): void {
  installExitHook();
  const pid = child.pid;
  if (pid === undefined) return;
  liveChildren.set(pid, { name, child, group: opts.group === true });
  // A group may outlive its leader (a grandchild that did not stop): then the hook still kills it.
  child.once('exit', () => {
    if (!opts.group || !processGroupAlive(pid)) liveChildren.delete(pid);
  });
}

/** Whether any process of the process group `pgid` is still alive. */
export function processGroupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** pid -> name of every process the harness started that is still running. */
export function harnessProcesses(): ReadonlyMap<number, string> {
  return new Map([...liveChildren.entries()].map(([pid, { name }]) => [pid, name]));
}

/** Appends a process's output to its log file. */
class LogSink {
  private readonly stream: WriteStream;
  constructor(readonly file: string) {
    this.stream = createWriteStream(file, { flags: 'a' });
    this.stream.on('error', () => {});
  }
  write(text: string): void {
    this.stream.write(text);
  }
  end(): void {
    this.stream.end();
  }
}

// ---------------------------------------------------------------------------------------------------
// causeway-dp proxies

export const DP_BIN = join(ROOT, 'services/dataplane/dist/main.js');

export type ProxyMode = 'sidecar' | 'ingress' | 'egress';

export interface ProxySpec {
  mode: ProxyMode;
  /** The proxy's Dataplane / ZoneIngress / ZoneEgress in the universal format (sent on registration). */
  resource: Record<string, unknown>;
  /** The zone control plane it connects to (ADS port, CA file, token). */
  zone: ControlPlaneProcess;
  /** Other replicas of the zone's control plane, listed after `zone` in `--cp-address` (it fails over to them). */
  replicas?: ControlPlaneProcess[];
  /** Issues the proxy's token (default: its zone control plane, a dataplane or zone token). */
  token?: () => Promise<string>;
}

/** One access log line of a proxy (the generators' json_format: SUBSET.md "Access log"). */
export interface AccessLogLine {
  start_time: string;
  source: string;
  destination: string;
  cluster: string;
  sni: string;
  method: string;
  path: string;
  status: number | string;
  response_flags: string;
  bytes_received: number | string;
  bytes_sent: number | string;
  duration_ms: number | string;
}

/** A Prometheus text exposition, parsed. */
export class Metrics {
  private readonly series: { name: string; labels: Record<string, string>; value: number }[] = [];

  constructor(readonly text: string) {
    for (const line of text.split('\n')) {
      const m = /^([a-zA-Z_:][\w:]*)(?:\{([^}]*)\})?\s+(\S+)$/.exec(line.trim());
      if (!m) continue;
      const labels: Record<string, string> = {};
      for (const l of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1] as string] = (l[2] as string).replace(/\\(.)/g, '$1');
      this.series.push({ name: m[1] as string, labels, value: Number(m[3]) });
    }
  }

  /** The sum of every series of `name` whose labels include `labels` (0 when there is none). */
  get(name: string, labels: Record<string, string> = {}): number {
    return this.series.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)).reduce((n, s) => n + s.value, 0);
  }

  /** A cluster counter or gauge (`envoy_cluster_<stat>{envoy_cluster_name=...}`). */
  cluster(cluster: string, stat: string): number {
    return this.get(`envoy_cluster_${stat}`, { envoy_cluster_name: cluster });
  }
}

export class ProxyProcess {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private output: string[] = [];
  private stdoutLines: string[] = [];
  private stdoutRest = '';
  private sink: LogSink | undefined;
  adminPort = 0;
  dnsPort = 0;

  constructor(
    readonly name: string,
    readonly spec: ProxySpec,
    private readonly dir: string,
    readonly logFile: string,
  ) {}

  get running(): boolean {
    return this.child !== undefined;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** `networking.address` of its resource. */
  get address(): string {
    return (this.spec.resource.networking as { address: string }).address;
  }

  get adminUrl(): string {
    return `http://127.0.0.1:${this.adminPort}`;
  }

  logs(): string {
    return this.output.join('');
  }

  private record(text: string): void {
    this.output.push(text);
    this.sink ??= new LogSink(this.logFile);
    this.sink.write(text);
  }

  /** The access log so far (JSON lines on stdout). */
  accessLog(): AccessLogLine[] {
    return this.stdoutLines.flatMap((l) => {
      if (!l.startsWith('{')) return [];
      try {
        const o = JSON.parse(l) as AccessLogLine;
        return typeof o.start_time === 'string' ? [o] : [];
      } catch {
        return [];
      }
    });
  }

  /**
   * Starts `causeway-dp run` (a fresh token from the zone on the first start; the same admin and DNS
   * ports on a restart) and waits until it is ready: a sidecar serves a listener (`/ready`); a
   * ZoneIngress / ZoneEgress has applied its first listeners and clusters (it may have nothing to
   * route yet, and then has no listener).
   */
  async start(timeoutMs = 30_000): Promise<void> {
    if (this.child) throw new Error(`${this.name} is already running`);
    const resourceFile = join(this.dir, 'resource.json');
    const tokenFile = join(this.dir, 'token');
    if (!existsSync(tokenFile)) {
      const { zone, mode, resource } = this.spec;
      const token = this.spec.token
        ? await this.spec.token()
        : mode === 'sidecar'
          ? await zone.dataplaneToken(String(resource.mesh), String(resource.name), dataplaneTokenTags(resource))
          : await zone.zoneToken(mode);
      writeFileSync(tokenFile, token, { mode: 0o600 });
    }
    writeFileSync(resourceFile, JSON.stringify(this.spec.resource));
    if (this.adminPort === 0) this.adminPort = await freePort();
    if (this.dnsPort === 0) this.dnsPort = await freePort();
    const args = [
      DP_BIN,
      'run',
      '--mode',
      this.spec.mode,
      '--cp-address',
      [this.spec.zone, ...(this.spec.replicas ?? [])].map((cp) => `grpcs://${cp.xdsAddress}`).join(','),
      '--ca-cert-file',
      this.spec.zone.xdsCaFile,
      '--dataplane-file',
      resourceFile,
      '--dataplane-token-file',
      tokenFile,
      '--admin-port',
      String(this.adminPort),
      '--dns-port',
      String(this.dnsPort),
      '--log-level',
      'debug',
    ];
    this.record(`\n===== start ${this.name}: causeway-dp ${args.slice(2).join(' ')} =====\n`);
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: childEnv() });
    this.child = child;
    trackChild(this.name, child);
    child.stdout?.on('data', (d: Buffer) => {
      const text = d.toString();
      this.record(text);
      const parts = (this.stdoutRest + text).split('\n');
      this.stdoutRest = parts.pop() ?? '';
      this.stdoutLines.push(...parts);
    });
    child.stderr?.on('data', (d: Buffer) => this.record(d.toString()));
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        this.record(`\n===== ${this.name} exited: code ${code} signal ${signal} =====\n`);
        this.sink?.end();
        this.sink = undefined;
        if (this.child === child) this.child = undefined;
        resolve();
      }),
    );
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!this.child) throw new Error(`${this.name} exited before it was ready:\n${this.logs()}`);
      try {
        if (await this.isReady()) return;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`${this.name} was not ready after ${timeoutMs} ms:\n${this.logs()}`);
  }

  private async isReady(): Promise<boolean> {
    if (this.spec.mode === 'sidecar') return (await fetch(`${this.adminUrl}/ready`)).ok;
    const info = (await (await fetch(`${this.adminUrl}/server_info`)).json()) as { xds?: { versions?: Record<string, string> } };
    return info.xds?.versions?.Listener !== undefined && info.xds.versions.Cluster !== undefined;
  }

  /** SIGTERM and wait (SIGKILL after 10 s). */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await this.exited;
    clearTimeout(t);
  }

  /** SIGKILL and wait. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child) return;
    child.kill('SIGKILL');
    await this.exited;
  }

  private async admin(path: string): Promise<Response> {
    const res = await fetch(`${this.adminUrl}${path}`, { signal: AbortSignal.timeout(5000) });
    if (!res.ok) throw new Error(`${this.name} ${path}: ${res.status}`);
    return res;
  }

  async metrics(): Promise<Metrics> {
    return new Metrics(await (await this.admin('/metrics')).text());
  }

  /** Envoy's ConfigDump of what runs now. */
  async configDump(): Promise<{ configs: Record<string, unknown>[] }> {
    return (await (await this.admin('/config_dump')).json()) as { configs: Record<string, unknown>[] };
  }

  /** Names of the active listeners. */
  async listenerNames(): Promise<string[]> {
    const dump = await this.configDump();
    const listeners = dump.configs.find((c) => String(c['@type']).endsWith('ListenersConfigDump')) as { dynamic_listeners?: { name: string; active_state?: unknown }[] } | undefined;
    return (listeners?.dynamic_listeners ?? []).filter((l) => l.active_state).map((l) => l.name);
  }

  /** The hosts of each cluster (`/clusters`): `cluster -> [{ host: "ip:port", priority }]`. */
  async clusterHosts(): Promise<Map<string, { host: string; priority: number }[]>> {
    const out = new Map<string, { host: string; priority: number }[]>();
    for (const line of (await (await this.admin('/clusters')).text()).split('\n')) {
      const m = /^(.*)::([^:]+:\d+)::priority::(\d+)$/.exec(line);
      if (!m) continue;
      const list = out.get(m[1] as string) ?? [];
      list.push({ host: m[2] as string, priority: Number(m[3]) });
      out.set(m[1] as string, list);
    }
    return out;
  }

  /** Sidecars: asks the proxy's builtin DNS (on loopback, at its `--dns-port`) for an A record (rejects with e.g. code EREFUSED). */
  async resolve(host: string): Promise<string> {
    const r = new Resolver({ timeout: 1500, tries: 1 });
    r.setServers([`127.0.0.1:${this.dnsPort}`]);
    const [ip] = await r.resolve4(host);
    if (!ip) throw new Error(`${this.name}: no address for ${host}`);
    return ip;
  }
}

// ---------------------------------------------------------------------------------------------------
// NATS and Postgres: containers when a container engine is present and the local images exist
// (containers/engine.ts decides; nothing is pulled), else local processes.

export const NATS_IMAGE = IMAGES.nats;
export const POSTGRES_IMAGE = IMAGES.postgres;

export interface Infrastructure {
  kind: 'containers' | 'local';
  /** What runs, and why (printed in the test output). */
  description: string;
  natsUrl: string;
  /** The generated NATS authorization (the server runs with it) and each party's credentials. */
  natsConfig: GeneratedNatsConfig;
  natsLogs(): string;
  /** A fresh database (dropped at teardown); returns its URL. */
  database(prefix?: string): Promise<string>;
}

export async function startInfrastructure(env: TestEnv, zones: readonly string[]): Promise<Infrastructure> {
  const natsConfig = generateNatsConfig({ zones: [...zones] });
  // Containers only when their images are already built (the container suite builds them; this does not).
  const engine = await decideContainers([NATS_IMAGE, POSTGRES_IMAGE], { build: false });
  let infra: Infrastructure;
  if (engine.use) {
    const { GenericContainer, Wait } = await import('testcontainers');
    const conf = ['listen: "0.0.0.0:4222"', 'jetstream {', '  store_dir: "/tmp/jetstream"', '}', natsConfig.config, ''].join('\n');
    const nats = await new GenericContainer(NATS_IMAGE)
      .withCopyContentToContainer([{ content: conf, target: '/etc/causeway-nats.conf' }])
      .withCommand(['-c', '/etc/causeway-nats.conf'])
      .withExposedPorts(4222)
      .withWaitStrategy(Wait.forLogMessage(/Server is ready/))
      .start();
    env.onTeardown(async () => {
      await nats.stop();
    });
    let natsOut = '';
    (await nats.logs()).on('data', (d: Buffer | string) => {
      natsOut += d.toString();
    });
    const postgres = await new GenericContainer(POSTGRES_IMAGE)
      .withEnvironment({ POSTGRES_HOST_AUTH_METHOD: 'trust' })
      .withExposedPorts(5432)
      .withWaitStrategy(Wait.forLogMessage(/database system is ready to accept connections/))
      .start();
    env.onTeardown(async () => {
      await postgres.stop();
    });
    const adminUrl = `postgres://postgres@${postgres.getHost()}:${postgres.getMappedPort(5432)}/postgres`;
    infra = {
      kind: 'containers',
      description: `NATS and Postgres in containers (testcontainers; ${engine.reason})`,
      natsUrl: `nats://${nats.getHost()}:${nats.getMappedPort(4222)}`,
      natsConfig,
      natsLogs: () => natsOut,
      database: (prefix) => env.database(prefix, adminUrl),
    };
  } else {
    try {
      await adminQuery('SELECT 1');
    } catch (e) {
      throw new Error(`Postgres is not reachable at ${ADMIN_DB_URL} (${(e as Error).message}): start one (bash .ci/run does) or set DATABASE_URL`);
    }
    const nats = await startNatsServer({ config: natsConfig.config });
    env.onTeardown(() => nats.dispose());
    infra = {
      kind: 'local',
      description: `NATS and Postgres as local processes (${engine.reason}): nats-server on ${nats.url}, Postgres at ${new URL(ADMIN_DB_URL).host}`,
      natsUrl: nats.url,
      natsConfig,
      natsLogs: () => nats.logs(),
      database: (prefix) => env.database(prefix),
    };
  }
  console.log(`[harness] ${infra.description}`);
  return infra;
}

/** How a control plane with these credentials reaches the harness's NATS. */
export function natsAccess(infra: Infrastructure, who: 'global' | string): NatsAccess {
  const cred = who === 'global' ? infra.natsConfig.global : infra.natsConfig.zones[who];
  if (!cred) throw new Error(`no NATS credentials for ${who}`);
  return { url: infra.natsUrl, user: cred.user, password: cred.password };
}

// ---------------------------------------------------------------------------------------------------
// Test apps and what an app does: resolve a name with its sidecar's DNS, then call the address.

export interface TestApp {
  name: string;
  port: number;
  /** Requests it answered. */
  readonly hits: number;
  close(): Promise<void>;
}

/** A tiny HTTP app on 127.0.0.1: answers `{"app": name, "method", "path"}`. */
export async function startTestApp(env: TestEnv, name: string): Promise<TestApp> {
  let hits = 0;
  const server = createHttpServer((req, res) => {
    hits++;
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(`${JSON.stringify({ app: name, method: req.method, path: req.url })}\n`);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  env.onTeardown(close);
  return {
    name,
    port: (server.address() as { port: number }).port,
    get hits() {
      return hits;
    },
    close,
  };
}

export interface AppReply {
  /** HTTP status; 0 when the call failed before a response (then `error` says why). */
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
  error?: string;
  /** The address the name resolved to. */
  address?: string;
  ms: number;
}

function isIpv4(host: string): boolean {
  return /^\d+\.\d+\.\d+\.\d+$/.test(host);
}

/**
 * What the app next to a sidecar does for `GET url`: resolves the host with the sidecar's builtin DNS
 * (an IP is used as is), connects to that address and port (a fresh connection, `Host` as in the URL).
 * `https:` URLs: TLS from the app itself (`ca` to verify, SNI = the URL's host).
 */
export async function appGet(sidecar: ProxyProcess, url: string, opts: { ca?: string; timeoutMs?: number; address?: string } = {}): Promise<AppReply> {
  const start = Date.now();
  const u = new URL(url);
  const tls = u.protocol === 'https:';
  const port = Number(u.port || (tls ? 443 : 80));
  let address = opts.address;
  if (!address) {
    try {
      address = isIpv4(u.hostname) ? u.hostname : await sidecar.resolve(u.hostname);
    } catch (e) {
      return { status: 0, body: '', headers: {}, error: `resolve ${u.hostname}: ${(e as { code?: string }).code ?? (e as Error).message}`, ms: Date.now() - start };
    }
  }
  const resolved = address;
  return new Promise((resolve) => {
    const done = (r: Omit<AppReply, 'ms' | 'address'>) => resolve({ ...r, address: resolved, ms: Date.now() - start });
    const options = { host: resolved, port, path: `${u.pathname}${u.search}`, headers: { host: u.host }, agent: false as const };
    const onResponse = (res: IncomingMessage) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        body += c;
      });
      res.on('end', () => done({ status: res.statusCode ?? 0, body, headers: res.headers }));
      res.on('error', (e) => done({ status: 0, body, headers: res.headers, error: e.message }));
    };
    const req = tls ? httpsRequest({ ...options, servername: u.hostname, ...(opts.ca ? { ca: opts.ca } : {}) }, onResponse) : httpRequest(options, onResponse);
    req.setTimeout(opts.timeoutMs ?? 10_000, () => req.destroy(new Error('timeout')));
    req.on('error', (e: NodeJS.ErrnoException) => done({ status: 0, body: '', headers: {}, error: e.code ?? e.message }));
    req.end();
  });
}

/** A raw TCP connection of an app (to `host:port` resolved with the sidecar's DNS), line by line. */
export interface AppTcpConnection {
  readonly lines: string[];
  readonly closed: boolean;
  send(line: string): void;
  /** Waits until a line matching `re` arrives. */
  expectLine(re: RegExp, timeoutMs?: number): Promise<string>;
  close(): Promise<void>;
}

export async function appConnect(sidecar: ProxyProcess, host: string, port: number): Promise<AppTcpConnection> {
  const address = isIpv4(host) ? host : await sidecar.resolve(host);
  const socket = connectTcp({ host: address, port });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('error', reject);
  });
  const lines: string[] = [];
  let rest = '';
  let closed = false;
  socket.on('data', (d: Buffer) => {
    const parts = (rest + d.toString('utf8')).split('\n');
    rest = parts.pop() ?? '';
    lines.push(...parts);
  });
  socket.on('error', () => {});
  socket.once('close', () => {
    closed = true;
  });
  return {
    lines,
    get closed() {
      return closed;
    },
    send: (line) => {
      socket.write(`${line}\n`);
    },
    expectLine: (re, timeoutMs = 5000) =>
      eventually(
        () => {
          const l = lines.find((x) => re.test(x));
          if (l === undefined) throw new Error(`no line matching ${re} yet (got ${JSON.stringify(lines)}${closed ? ', connection closed' : ''})`);
          return l;
        },
        `line ${re}`,
        timeoutMs,
        20,
      ),
    close: () =>
      new Promise<void>((resolve) => {
        if (closed) return resolve();
        socket.once('close', () => resolve());
        socket.end();
        setTimeout(() => socket.destroy(), 1000).unref();
      }),
  };
}

// ---------------------------------------------------------------------------------------------------
// A multi-zone topology: NATS + Postgres, global, zones, and a ZoneIngress + ZoneEgress per zone.

export interface ZoneTopology {
  name: string;
  cp: ControlPlaneProcess;
  api: CausewayClient;
  ingress: ProxyProcess;
  egress: ProxyProcess;
  /** The zone's builtin DNS VIP range (each zone its own: their sidecars share this host's loopback). */
  vipCidr: string;
  /** Loopback addresses for this zone's sidecars (`127.0.<zone index + 1>.<n>`). */
  nextSidecarAddress(): string;
}

export interface MultiZoneTopology {
  infra: Infrastructure;
  global: ControlPlaneProcess;
  api: CausewayClient;
  zones: Record<string, ZoneTopology>;
}

/** The zones overview at global (`/zones+insights`). */
export async function zoneOverview(global: CausewayClient, zone: string): Promise<{ name: string; status: string } | undefined> {
  const page = await global.getJson<{ items: { name: string; status: string }[] }>('/zones+insights');
  return page.items.find((z) => z.name === zone);
}

/**
 * Starts NATS and Postgres (startInfrastructure), a global control plane and one zone control plane per
 * zone (each on its own Postgres database, with sync), waits until global shows every zone online, then
 * starts each zone's ZoneIngress and ZoneEgress. `opts.zoneArgs`: more flags for every zone control plane.
 */
export async function startMultiZone(env: TestEnv, zones: readonly string[], prefix = 'mz', opts: { zoneArgs?: readonly string[] } = {}): Promise<MultiZoneTopology> {
  const infra = await startInfrastructure(env, zones);
  const global = env.controlPlane(`${prefix}-global`, ['--mode', 'global', '--database-url', await infra.database(`causeway_it_${prefix}_global`)], { nats: natsAccess(infra, 'global') });
  await global.start();
  const api = global.client();
  const out: Record<string, ZoneTopology> = {};
  await Promise.all(
    zones.map(async (zone, i) => {
      const vipCidr = `127.${241 + i}.0.0/16`;
      const cp = env.controlPlane(
        `${prefix}-${zone}`,
        ['--mode', 'zone', '--zone', zone, '--database-url', await infra.database(`causeway_it_${prefix}_${zone.replace(/-/g, '_')}`), '--vip-cidr', vipCidr, ...(opts.zoneArgs ?? [])],
        { home: env.tempDir(`causeway-it-${prefix}-${zone}-home-`), nats: natsAccess(infra, zone) },
      );
      await cp.start();
      const port = async () => await freePort();
      const ingress = env.proxy(`${prefix}-ingress-${i + 1}`, { mode: 'ingress', zone: cp, resource: { type: 'ZoneIngress', name: `ingress-${i + 1}`, networking: { address: '127.0.0.1', port: await port() } } });
      const egress = env.proxy(`${prefix}-egress-${i + 1}`, { mode: 'egress', zone: cp, resource: { type: 'ZoneEgress', name: `egress-${i + 1}`, networking: { address: '127.0.0.1', port: await port() } } });
      let n = 0;
      out[zone] = { name: zone, cp, api: cp.client(), ingress, egress, vipCidr, nextSidecarAddress: () => `127.0.${i + 1}.${++n}` };
    }),
  );
  for (const zone of zones) await eventually(async () => expect((await zoneOverview(api, zone))?.status).toBe('Online'), `${zone} online at global`, 30_000);
  await Promise.all(Object.values(out).flatMap((z) => [z.ingress.start(), z.egress.start()]));
  return { infra, global, api, zones: out };
}

export interface SidecarOptions {
  mesh: string;
  name: string;
  /** `kuma.io/service` of its inbound (default: the name). */
  service?: string;
  /** Dataplane `networking.outbound` entries (`127.0.0.1:port` -> service). */
  outbound?: { port: number; service: string }[];
}

export interface Sidecar {
  proxy: ProxyProcess;
  app: TestApp;
  zone: ZoneTopology;
}

/** A test app and its sidecar in a zone, on the zone's next loopback address; waits until it is ready. */
export async function startSidecar(env: TestEnv, zone: ZoneTopology, opts: SidecarOptions): Promise<Sidecar> {
  const app = await startTestApp(env, opts.name);
  const resource = {
    type: 'Dataplane',
    mesh: opts.mesh,
    name: opts.name,
    networking: {
      address: zone.nextSidecarAddress(),
      inbound: [{ port: await freePort(), servicePort: app.port, tags: { 'kuma.io/service': opts.service ?? opts.name, 'kuma.io/protocol': 'http' } }],
      ...(opts.outbound ? { outbound: opts.outbound.map((o) => ({ port: o.port, tags: { 'kuma.io/service': o.service } })) } : {}),
    },
  };
  const proxy = env.proxy(opts.name, { mode: 'sidecar', zone: zone.cp, resource });
  await proxy.start();
  return { proxy, app, zone };
}
