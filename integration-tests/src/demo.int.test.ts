/**
 * The `npm start` demo end to end: runs scripts/demo.mjs (the build is done), waits for its "ready"
 * text, runs the command it prints (a curl from the zone-1 app's host through its sidecar to the
 * zone-2-only ExternalService), checks the answer came through zone-2's egress, then sends SIGINT and
 * checks that the demo and every process it started exited.
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
    // Its own process group: what it starts can be checked (and, on a failure, killed) as a whole.
    const child = spawn(process.execPath, [join(ROOT, 'scripts/demo.mjs')], {
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
        150_000,
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

      // The APIs it printed answer.
      for (const port of [5681, 5691, 5701]) expect((await fetch(`http://127.0.0.1:${port}/ready`)).ok).toBe(true);

      // Ctrl-C: everything stops.
      process.kill(pid, 'SIGINT');
      const end = await Promise.race([exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 45_000))]);
      expect(end).toEqual({ code: 0, signal: null });
      expect(output).toContain('stopped: every process exited.');
      await eventually(() => expect(processGroupAlive(pid)).toBe(false), 'every process of the demo exited', 5000);
      for (const port of [5681, 5691, 5701, 5678, 5688, 14222, 10001, 10002, 20001, 20002]) expect(await portFree(port), `port ${port} released`).toBe(true);
    } catch (e) {
      const logs = readdirSync(stateDir)
        .filter((f) => f.endsWith('.log'))
        .map((f) => `----- ${f} -----\n${readFileSync(join(stateDir, f), 'utf8').split('\n').slice(-40).join('\n')}`);
      console.error(`demo output:\n${output}\n${logs.join('\n')}`);
      throw e;
    }
  }, 240_000);
});
