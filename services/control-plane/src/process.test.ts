import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@causeway/sync/testing';
import { afterAll, describe, expect, it } from 'vitest';

const MAIN = new URL('../dist/main.js', import.meta.url).pathname;


async function waitReady(url: string, child: ChildProcess, log: () => string): Promise<void> {
  // Generous: PGlite's initdb in WebAssembly takes several times longer on a loaded machine.
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`exited early (${child.exitCode}):\n${log()}`);
    try {
      if ((await fetch(`${url}/ready`)).ok) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`not ready:\n${log()}`);
}

describe('causeway-cp process', () => {
  const dir = mkdtempSync(join(tmpdir(), 'causeway-cp-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('starts on a file-backed PGlite, creates a 0600 admin token, keeps data across restarts, and exits 0 on SIGTERM', async () => {
    const port = await freePort();
    const tokenFile = join(dir, 'token');
    const url = `http://127.0.0.1:${port}`;
    const run = async () => {
      let out = '';
      const child = spawn(process.execPath, [MAIN, 'run', '--mode', 'global', '--api-port', String(port), '--api-address', '127.0.0.1', '--data-dir', join(dir, 'data'), '--admin-token-file', tokenFile], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child.stdout?.on('data', (d) => (out += d));
      child.stderr?.on('data', (d) => (out += d));
      await waitReady(url, child, () => out);
      return { child, log: () => out };
    };
    const first = await run();
    expect(statSync(tokenFile).mode & 0o777).toBe(0o600);
    const token = readFileSync(tokenFile, 'utf8').trim();
    expect(token.length).toBeGreaterThanOrEqual(32);
    expect(first.log()).not.toContain(token);
    const put = await fetch(`${url}/meshes/default`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'Mesh', name: 'default' }),
    });
    expect(put.status).toBe(201);
    // The GUI (packages/gui) is served at /gui: the app for every client-side route, its script with a JS type.
    const gui = await fetch(`${url}/gui/meshes/default`);
    expect(gui.status).toBe(200);
    expect(gui.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const script = /src="(\/gui\/assets\/[^"]+\.js)"/.exec(await gui.text())?.[1];
    expect(script).toBeDefined();
    const js = await fetch(`${url}${script}`);
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toMatch(/javascript/);
    expect(first.log()).toContain(`${url}/gui/`);
    const exited = new Promise<number | null>((r) => first.child.on('exit', (code) => r(code)));
    first.child.kill('SIGTERM');
    expect(await exited).toBe(0);

    const second = await run();
    try {
      const got = await fetch(`${url}/meshes/default`);
      expect(got.status).toBe(200);
    } finally {
      const done = new Promise((r) => second.child.on('exit', r));
      second.child.kill('SIGTERM');
      await done;
    }
  }, 150_000);

  it('exits 2 with the flag named on bad configuration', async () => {
    const child = spawn(process.execPath, [MAIN, 'run', '--mode', 'zone'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr?.on('data', (d) => (err += d));
    const code = await new Promise((r) => child.on('exit', r));
    expect(code).toBe(2);
    expect(err).toContain('--zone');
  });
});
