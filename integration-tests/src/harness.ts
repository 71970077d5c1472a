/**
 * Multi-zone test harness: real `causeway-cp` processes (the built `services/control-plane/dist/main.js`),
 * Postgres databases with random names, and polling helpers. Everything a test starts is registered so
 * that `teardown()` stops it even when the test failed half way.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CausewayClient } from '@causeway/client';
import { freePort } from '@causeway/sync/testing';
import pg from 'pg';

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

async function adminQuery(sql: string): Promise<void> {
  const c = new pg.Client({ connectionString: ADMIN_DB_URL });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

export class TestEnv {
  private readonly databases: string[] = [];
  private readonly dirs: string[] = [];
  readonly processes: ControlPlaneProcess[] = [];
  private readonly cleanups: (() => Promise<void>)[] = [];

  /** Creates an empty Postgres database; returns its URL. */
  async database(prefix = 'causeway_it'): Promise<string> {
    const name = `${prefix}_${randomBytes(6).toString('hex')}`;
    await adminQuery(`CREATE DATABASE ${name}`);
    this.databases.push(name);
    const u = new URL(ADMIN_DB_URL);
    u.pathname = `/${name}`;
    return u.toString();
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

  /** A control plane process (not started yet). */
  controlPlane(name: string, args: string[]): ControlPlaneProcess {
    const p = new ControlPlaneProcess(name, args, join(this.tempDir(`causeway-it-${name}-`), 'admin-token'));
    this.processes.push(p);
    return p;
  }

  /** The last lines of every process's output, for a failed test. */
  dumpLogs(lines = 80): string {
    return this.processes.map((p) => `----- ${p.name} (last ${lines} lines) -----\n${p.logs().split('\n').slice(-lines).join('\n')}`).join('\n');
  }

  async teardown(): Promise<void> {
    const errors: unknown[] = [];
    // CAUSEWAY_IT_LOG_DIR=DIR keeps every process's full output there (for looking into a run).
    const keep = process.env.CAUSEWAY_IT_LOG_DIR;
    if (keep) {
      mkdirSync(keep, { recursive: true });
      for (const p of this.processes) writeFileSync(join(keep, `${p.name}.log`), p.logs());
    }
    await Promise.all(this.processes.map((p) => p.kill().catch((e: unknown) => errors.push(e))));
    for (const fn of this.cleanups.reverse()) await fn().catch((e: unknown) => errors.push(e));
    for (const name of this.databases.splice(0)) await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch((e: unknown) => errors.push(e));
    for (const d of this.dirs.splice(0)) rmSync(d, { recursive: true, force: true });
    if (errors.length > 0) throw new AggregateError(errors, 'teardown failed');
  }
}

/** The test's environment without CAUSEWAY_* settings: a process gets exactly the flags the test passes. */
function childEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('CAUSEWAY_')));
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
  ) {}

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
  async start(): Promise<void> {
    if (this.child) throw new Error(`${this.name} is already running`);
    if (this.port === 0) this.port = await freePort();
    // Several zones run on one machine: each gets its own xDS port instead of the default 5678.
    const zoneMode = this.args.includes('zone') && !this.args.includes('--xds-port');
    if (zoneMode && this.xdsPort === 0) this.xdsPort = await freePort();
    const xdsArgs = zoneMode ? ['--xds-port', String(this.xdsPort), '--xds-address', '127.0.0.1'] : [];
    this.output.push(`\n===== start ${this.name}: ${this.args.join(' ')} =====\n`);
    const child = spawn(
      process.execPath,
      [CP_BIN, 'run', ...this.args, ...xdsArgs, '--api-port', String(this.port), '--api-address', '127.0.0.1', '--admin-token-file', this.tokenFile, '--log-level', 'debug'],
      { stdio: ['ignore', 'pipe', 'pipe'], env: childEnv() },
    );
    this.child = child;
    child.stdout?.on('data', (d: Buffer) => this.output.push(d.toString()));
    child.stderr?.on('data', (d: Buffer) => this.output.push(d.toString()));
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.output.push(`\n===== ${this.name} exited: code ${code} signal ${signal} =====\n`);
        if (this.child === child) this.child = undefined;
        resolve(code);
      });
    });
    const deadline = Date.now() + 30_000;
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
    throw new Error(`${this.name} was not ready after 30 s:\n${this.logs()}`);
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
