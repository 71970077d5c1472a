/**
 * Issue 19, item 5: what `causeway import` makes carries real traffic. The reference example 003 (Istio's
 * ServiceEntry for the European Central Bank's API and the VirtualService with `timeout: 3s`, copied
 * verbatim into services/cli/src/import/testdata/istio-003-currency-api.yaml) is imported with `--apply`
 * at global by the built `causeway` binary; an app calls the host through its sidecar and gets Envoy's 504
 * after about 3 s from a server that answers after 6 s.
 *
 * There is no internet here, so the test applies a copy of the example in which the public host
 * `www.ecb.europa.eu` is replaced by `localhost` (what the local server answers on) and its ports 80 / 443
 * by the local server's port and a free port; nothing else changes. The app calls
 * `http://localhost:<port>/...`: the sidecar's builtin DNS answers `localhost` (the ExternalService's
 * host) with a VIP, and its listener there applies the imported MeshTimeout.
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { CausewayClient } from '@causeway/client';
import { decodeResource } from '@causeway/core';
import { freePort } from '@causeway/sync/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { appGet, eventually, type MultiZoneTopology, ROOT, type Sidecar, startMultiZone, startSidecar, TestEnv } from './harness.js';

const CLI_BIN = join(ROOT, 'services/cli/dist/main.js');
const EXAMPLE_003 = join(ROOT, 'services/cli/src/import/testdata/istio-003-currency-api.yaml');

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

function runCli(args: string[]): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

describe('causeway import: an imported Istio timeout carries real traffic', () => {
  const env = new TestEnv();
  let topo: MultiZoneTopology;
  let api: CausewayClient;
  let app: Sidecar;
  let server: Server;
  let port: number;
  let tlsPort: number;
  let imported: CliResult;
  const hits: string[] = [];

  beforeAll(async () => {
    // The stand-in for www.ecb.europa.eu: /fast answers at once, anything else after 6 s.
    server = createServer((req, res) => {
      hits.push(req.url ?? '');
      if (req.url?.startsWith('/fast')) res.end('rates');
      else setTimeout(() => res.end('too late'), 6000).unref();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
    tlsPort = await freePort();

    topo = await startMultiZone(env, ['zone-1'], 'imp');
    api = topo.api;
    await api.put(decodeResource({ type: 'Mesh', name: 'default' }));

    const original = readFileSync(EXAMPLE_003, 'utf8');
    const copy = original.replaceAll('www.ecb.europa.eu', 'localhost').replace('number: 80\n', `number: ${port}\n`).replace('number: 443\n', `number: ${tlsPort}\n`);
    expect(copy).not.toContain('ecb.europa.eu');
    expect(copy).toContain(`number: ${port}\n`);
    const file = join(env.tempDir('causeway-it-import-'), 'currency-api.yaml');
    writeFileSync(file, copy);

    const global = topo.global;
    imported = await runCli(['--address', global.url, '--auth-token-file', global.tokenFile, 'import', '-f', file, '--apply']);
    if (imported.code !== 0) throw new Error(`causeway import exited ${imported.code}\n${imported.stdout}\n${imported.stderr}`);

    const zone = topo.zones['zone-1'] as MultiZoneTopology['zones'][string];
    await eventually(() => zone.api.get('MeshTimeout', 'default', 'currency-timeout'), 'the imported MeshTimeout in zone-1', 30_000);
    app = await startSidecar(env, zone, { mesh: 'default', name: 'currency-client' });
  }, 180_000);

  afterEach((ctx) => {
    if (ctx.task.result?.state === 'fail') console.error(`${ctx.task.name} failed; process logs:\n${env.dumpLogs()}\nimport:\n${imported?.stdout}\n${imported?.stderr}`);
  });

  afterAll(async () => {
    server?.closeAllConnections();
    server?.close();
    await env.teardown();
  }, 60_000);

  it('applies the example at global: two ExternalServices and the MeshTimeout, with the notes on stderr', async () => {
    expect(imported.stdout.trim().split('\n')).toEqual([
      `ExternalService "localhost-${port}" (mesh default) created`,
      `ExternalService "localhost-${tlsPort}" (mesh default) created`,
      'MeshTimeout "currency-timeout" (mesh default) created',
    ]);
    expect(imported.stderr).toContain('ServiceEntry "currency-api" spec.resolution (NONE (the default)');
    expect(imported.stderr).toContain('imported 3 resources (2 ExternalServices, 1 MeshTimeout) from 2 of 2 objects; 0 not mapped, 2 notes');
    expect((await api.get('MeshTimeout', 'default', 'currency-timeout'))?.spec).toEqual({
      targetRef: { kind: 'Mesh' },
      to: [{ targetRef: { kind: 'MeshService', name: `localhost-${port}` }, default: { http: { requestTimeout: '3s' } } }],
    });
  });

  it("calls through the sidecar answer, and a call the server holds for 6 s gets 504 after Istio's 3 s", async () => {
    // The host name resolves with the sidecar's builtin DNS and the call reaches the server.
    const fast = await eventually(
      async () => {
        const r = await appGet(app.proxy, `http://localhost:${port}/fast`);
        expect(r).toMatchObject({ status: 200, body: 'rates' });
        return r;
      },
      'localhost:<port>/fast through the sidecar',
      45_000,
      250,
    );
    expect(fast.address).toMatch(/^127\.241\./);

    const slow = await appGet(app.proxy, `http://localhost:${port}/rates`, { timeoutMs: 15_000 });
    expect(slow.status).toBe(504);
    expect(slow.body).toContain('upstream request timeout');
    expect(slow.ms).toBeGreaterThanOrEqual(2800);
    expect(slow.ms).toBeLessThan(5000);
    expect(hits).toContain('/rates');
    // The sidecar's access log names the imported ExternalService's cluster and the 504.
    await eventually(() => expect(app.proxy.accessLog().some((l) => Number(l.status) === 504 && l.path === '/rates' && l.cluster === `localhost-${port}`)).toBe(true), 'the 504 in the access log');
  }, 90_000);
});
