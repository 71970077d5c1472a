/**
 * Test fixture: a real nats-server (2.9+) with JetStream, on a free loopback port, configured from a
 * generated file in its own temp dir (JetStream store included), that can be stopped and started again
 * on the same port with the same data — for tests of authorization and of NATS outages.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.js';

export interface NatsServerOptions {
  /** Extra config (e.g. the `authorization { ... }` block from generateNatsConfig). */
  config?: string;
  /** The nats-server binary (default /usr/sbin/nats-server when present, else `nats-server` from PATH). */
  binary?: string;
  /** Port (default: a free one). */
  port?: number;
}

export interface NatsServer {
  readonly url: string;
  readonly port: number;
  readonly dir: string;
  readonly running: boolean;
  /** Everything the server printed, for test failure output. */
  logs(): string;
  /** Starts it again (same port, config and JetStream data) after stop(). */
  start(): Promise<void>;
  /** Stops it (SIGTERM, then SIGKILL after 5 s) and waits for the exit. */
  stop(): Promise<void>;
  /** Stops it and removes its directory. */
  dispose(): Promise<void>;
}

function defaultBinary(): string {
  for (const p of ['/usr/sbin/nats-server', '/usr/bin/nats-server', '/usr/local/bin/nats-server']) if (existsSync(p)) return p;
  return 'nats-server';
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = new Socket();
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
    s.connect(port, '127.0.0.1');
  });
}

export async function startNatsServer(opts: NatsServerOptions = {}): Promise<NatsServer> {
  const dir = mkdtempSync(join(tmpdir(), 'causeway-nats-'));
  const port = opts.port ?? (await freePort());
  const binary = opts.binary ?? defaultBinary();
  const confFile = join(dir, 'nats-server.conf');
  writeFileSync(
    confFile,
    [`listen: "127.0.0.1:${port}"`, `server_name: "causeway-test-${port}"`, `jetstream {`, `  store_dir: ${JSON.stringify(join(dir, 'jetstream'))}`, `}`, opts.config ?? '', ''].join('\n'),
    { mode: 0o600 },
  );
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let output = '';

  const start = async () => {
    if (child) return;
    const c = spawn(binary, ['-c', confFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    child = c;
    let ready = false;
    const onData = (d: Buffer) => {
      output += d.toString();
      if (output.length > 2_000_000) output = output.slice(-1_000_000);
    };
    c.stdout?.on('data', onData);
    c.stderr?.on('data', onData);
    exited = new Promise((resolve) => {
      c.once('exit', (code, signal) => {
        output += `\n[nats-server exited: code ${code} signal ${signal}]\n`;
        if (child === c) child = undefined;
        resolve();
      });
    });
    const spawnError = new Promise<never>((_, reject) => c.once('error', (e) => reject(new Error(`cannot start ${binary}: ${e.message}`))));
    const deadline = Date.now() + 10_000;
    const waitReady = (async () => {
      while (Date.now() < deadline) {
        if (!child) throw new Error(`nats-server exited at start:\n${output}`);
        if (/Server is ready/.test(output) && (await canConnect(port))) {
          ready = true;
          return;
        }
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`nats-server not ready after 10 s:\n${output}`);
    })();
    await Promise.race([waitReady, spawnError]);
    if (!ready) throw new Error('nats-server did not start');
  };

  const stop = async () => {
    const c = child;
    if (!c) return;
    c.kill('SIGTERM');
    const t = setTimeout(() => c.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(t);
  };

  await start();
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    dir,
    get running() {
      return child !== undefined;
    },
    logs: () => output,
    start,
    stop,
    async dispose() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
