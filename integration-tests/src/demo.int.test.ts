/**
 * The `npm start` demo end to end: runs scripts/demo.mjs (the build is done), waits for its "ready"
 * text, runs the command it prints (a curl from the zone-1 app's host through its sidecar to the
 * zone-2-only ExternalService), checks the answer came through zone-2's egress, then sends SIGINT and
 * checks that the demo and every process it started exited. It runs on a free port range (--port-base), so
 * it neither needs the demo's default ports nor disturbs a demo someone runs on them.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { eventually, processGroupAlive, ROOT, TestEnv, trackChild } from './harness.js';

function sh(command: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('sh', ['-c', command], { timeout: 15_000 }, (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }));
  });
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

const PORT_COUNT = 20; // scripts/demo.mjs uses --port-base .. --port-base + 19

/** A base whose PORT_COUNT ports are all free on 127.0.0.1 (random, so two runs rarely race for one). */
async function freePortBase(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + PORT_COUNT * Math.floor(Math.random() * 2000);
    let free = true;
    for (let p = base; free && p < base + PORT_COUNT; p++) free = await portFree(p);
    if (free) return base;
  }
  throw new Error(`no ${PORT_COUNT} consecutive free ports found between 20000 and 60000`);
}

describe('npm start (scripts/demo.mjs)', () => {
  const env = new TestEnv();
  let demo: ChildProcess | undefined;
  let output = '';

  afterAll(async () => {
    if (demo?.pid && processGroupAlive(demo.pid)) process.kill(-demo.pid, 'SIGKILL');
    await env.teardown();
  });

  it('brings up the topology, prints a command that reaches the zone-2-only ExternalService from zone-1, and stops cleanly on Ctrl-C', async () => {
    const stateDir = env.tempDir('causeway-it-demo-');
    const base = await freePortBase();
    // Its own process group: what it starts can be checked (and, on a failure, killed) as a whole.
    const child = spawn(process.execPath, [join(ROOT, 'scripts/demo.mjs'), '--no-build', '--port-base', String(base)], {
      cwd: ROOT,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('CAUSEWAY_'))), CAUSEWAY_DEMO_DIR: stateDir },
    });
    demo = child;
    trackChild('demo', child, { group: true });
    const pid = child.pid as number;
    child.stdout?.on('data', (d: Buffer) => {
      output += d.toString();
    });
    child.stderr?.on('data', (d: Buffer) => {
      output += d.toString();
    });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    try {
      await eventually(
        () => {
          if (child.exitCode !== null) throw new Error(`the demo exited (${child.exitCode})`);
          expect(output).toContain('Ctrl-C stops everything.');
        },
        'the demo is up',
        240_000,
        250,
      );

      // The printed command, run as printed.
      const command = /^\s*(curl -s --resolve \S+ http:\/\/httpbin\.mesh\/get)\s*$/m.exec(output)?.[1];
      expect(command, output).toBeDefined();
      const viaVip = await sh(command as string);
      expect(viaVip.code).toBe(0);
      const answer = JSON.parse(viaVip.stdout) as { url: string; origin: string; headers: Record<string, string> };
      expect(answer.url).toBe('http://httpbin.mesh/get');
      expect(answer.origin).toContain("zone-2's ZoneEgress");
      expect(answer.headers['x-envoy-expected-rq-timeout-ms']).toBeDefined(); // it went through the proxies

      // The Dataplane's outbound port works the same; the stand-in refuses anyone but zone-2's egress.
      const outbound = /^\s*(curl -s http:\/\/127\.0\.0\.1:\d+\/anything)\s*$/m.exec(output)?.[1];
      expect(outbound, output).toBeDefined();
      expect(JSON.parse((await sh(`${outbound}?from=outbound`)).stdout)).toMatchObject({ args: { from: 'outbound' }, method: 'GET' });
      const direct = /curl -s (http:\/\/127\.0\.0\.1:\d+\/get) gets a 403/.exec(output)?.[1];
      expect(direct, output).toBeDefined();
      expect((await sh(`curl -s -o /dev/null -w '%{http_code}' ${direct}`)).stdout).toBe('403');

      // The APIs it printed answer, on ports of its range.
      const apis = [...output.matchAll(/^ {2}(global|zone-1|zone-2) +http:\/\/127\.0\.0\.1:(\d+) /gm)].map((m) => Number(m[2]));
      expect(apis, output).toHaveLength(3);
      for (const port of apis) {
        expect(port).toBeGreaterThanOrEqual(base);
        expect(port).toBeLessThan(base + PORT_COUNT);
        expect((await fetch(`http://127.0.0.1:${port}/ready`)).ok).toBe(true);
      }

      // The GUI it printed answers the app (packages/gui) on global's API port.
      const gui = /^ {2}global +(http:\/\/127\.0\.0\.1:\d+\/gui\/)$/m.exec(output)?.[1];
      expect(gui, output).toBeDefined();
      const page = await fetch(gui as string);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<div id="app">');

      // Ctrl-C: everything stops.
      process.kill(pid, 'SIGINT');
      const end = await Promise.race([exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 45_000))]);
      expect(end).toEqual({ code: 0, signal: null });
      expect(output).toContain('stopped: every process exited.');
      await eventually(() => expect(processGroupAlive(pid)).toBe(false), 'every process of the demo exited', 5000);
      for (let port = base; port < base + PORT_COUNT; port++) expect(await portFree(port), `port ${port} released`).toBe(true);
    } catch (e) {
      const logs = readdirSync(stateDir)
        .filter((f) => f.endsWith('.log'))
        .map((f) => `----- ${f} -----\n${readFileSync(join(stateDir, f), 'utf8').split('\n').slice(-40).join('\n')}`);
      console.error(`demo output:\n${output}\n${logs.join('\n')}`);
      throw e;
    }
  }, 360_000);
});
