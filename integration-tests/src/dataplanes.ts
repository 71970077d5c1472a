/**
 * Real `causeway-dp` processes (the built `services/dataplane/dist/main.js`) for scenarios with traffic,
 * registered on a TestEnv so that teardown stops them. Additive to harness.ts.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '@causeway/sync/testing';
import { type ControlPlaneProcess, ROOT, type TestEnv } from './harness.js';

export const DP_BIN = join(ROOT, 'services/dataplane/dist/main.js');

export class DataplaneProcess {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private readonly output: string[] = [];
  adminPort = 0;

  constructor(readonly name: string) {}

  logs(): string {
    return this.output.join('');
  }

  /** Starts `causeway-dp run` against a zone and waits until the proxy has an active listener (`/ready`). */
  async start(args: { env: TestEnv; zone: ControlPlaneProcess; zoneDataDir: string; mode: 'sidecar' | 'ingress' | 'egress'; resource: unknown; token: string }): Promise<void> {
    const dir = args.env.tempDir(`causeway-it-dp-${this.name}-`);
    const resourceFile = join(dir, 'resource.json');
    const tokenFile = join(dir, 'token');
    writeFileSync(resourceFile, JSON.stringify(args.resource));
    writeFileSync(tokenFile, args.token);
    this.adminPort = await freePort();
    const dnsPort = await freePort();
    const child = spawn(
      process.execPath,
      [
        DP_BIN,
        'run',
        '--mode',
        args.mode,
        '--cp-address',
        `grpcs://${args.zone.xdsAddress}`,
        '--ca-cert-file',
        join(args.zoneDataDir, 'xds-ca.pem'),
        '--dataplane-file',
        resourceFile,
        '--dataplane-token-file',
        tokenFile,
        '--admin-port',
        String(this.adminPort),
        '--dns-port',
        String(dnsPort),
        '--log-level',
        'debug',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'], env: Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('CAUSEWAY_'))) },
    );
    this.child = child;
    child.stdout?.on('data', (d: Buffer) => this.output.push(d.toString()));
    child.stderr?.on('data', (d: Buffer) => this.output.push(d.toString()));
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        this.output.push(`\n===== ${this.name} exited: code ${code} signal ${signal} =====\n`);
        this.child = undefined;
        resolve();
      }),
    );
    args.env.onTeardown(() => this.stop());
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      if (!this.child) throw new Error(`${this.name} exited before it was ready:\n${this.logs()}`);
      try {
        if ((await fetch(`http://127.0.0.1:${this.adminPort}/ready`)).ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`${this.name} was not ready after 30 s:\n${this.logs()}`);
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await this.exited;
    clearTimeout(t);
  }
}

/** A token from a zone's API (admin): `/tokens/dataplane` or `/tokens/zone`. */
export async function zoneToken(zone: ControlPlaneProcess, adminToken: string, path: string, body: unknown): Promise<string> {
  const res = await fetch(`${zone.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${adminToken}` }, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return res.text();
}
