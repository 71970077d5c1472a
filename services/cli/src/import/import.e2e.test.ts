/**
 * `causeway import` end to end: the built binary against a real global `causeway-cp` (embedded store in a
 * temp dir, free port). Needs `npm run build` (turbo's test task builds first).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CausewayClient } from '@causeway/client';
import { decodeResource } from '@causeway/core';
import { freePort } from '@causeway/sync/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const CP_BIN = join(ROOT, 'services/control-plane/dist/main.js');
const CLI_BIN = join(ROOT, 'services/cli/dist/main.js');
const TESTDATA = fileURLToPath(new URL('./testdata/', import.meta.url));
const example = (name: string) => join(TESTDATA, name);


let tmp: string;
let cp: ChildProcess | undefined;
let url: string;
let tokenFile: string;
let api: CausewayClient;
const log: string[] = [];

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(args: string[], stdin = ''): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_BIN, '--address', url, '--auth-token-file', tokenFile, ...args], { cwd: tmp, env: { ...process.env, HOME: tmp } });
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
    child.stdin.end(stdin);
  });
}

function ok(r: Result): Result {
  if (r.code !== 0) throw new Error(`causeway exited ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
  return r;
}

beforeAll(async () => {
  for (const bin of [CP_BIN, CLI_BIN]) if (!existsSync(bin)) throw new Error(`${bin} is missing: run npm run build first`);
  tmp = mkdtempSync(join(tmpdir(), 'causeway-import-e2e-'));
  tokenFile = join(tmp, 'token');
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  const child = spawn(
    process.execPath,
    [CP_BIN, 'run', '--mode', 'global', '--data-dir', join(tmp, 'data'), '--api-port', String(port), '--api-address', '127.0.0.1', '--admin-token-file', tokenFile],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  cp = child;
  child.stdout?.on('data', (d: Buffer) => log.push(d.toString()));
  child.stderr?.on('data', (d: Buffer) => log.push(d.toString()));
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`causeway-cp exited before it was ready:\n${log.join('')}`);
    try {
      if ((await fetch(`${url}/ready`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`causeway-cp not ready after 60 s:\n${log.join('')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  api = new CausewayClient({ address: url, token: readFileSync(tokenFile, 'utf8').trim() });
  await api.put(decodeResource({ type: 'Mesh', name: 'default' }));
}, 90_000);

afterAll(async () => {
  if (cp && cp.exitCode === null) {
    const exited = new Promise((r) => cp?.once('exit', r));
    cp.kill('SIGTERM');
    const t = setTimeout(() => cp?.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(t);
  }
  if (tmp) rmSync(tmp, { recursive: true, force: true });
}, 30_000);

describe('causeway import against a real global control plane', { timeout: 60_000 }, () => {
  it('--apply creates the resources of the 003 example, then finds them unchanged', async () => {
    const first = ok(await cli(['import', '-f', example('istio-003-currency-api.yaml'), '--apply']));
    expect(first.stdout).toBe(
      ['ExternalService "www-ecb-europa-eu-80" (mesh default) created', 'ExternalService "www-ecb-europa-eu-443" (mesh default) created', 'MeshTimeout "currency-timeout" (mesh default) created', ''].join('\n'),
    );
    expect(first.stderr).toContain('imported 3 resources (2 ExternalServices, 1 MeshTimeout) from 2 of 2 objects; 0 not mapped, 2 notes');
    const es = await api.get('ExternalService', 'default', 'www-ecb-europa-eu-80');
    expect(es?.spec).toEqual({ tags: { 'kuma.io/service': 'www-ecb-europa-eu-80', 'kuma.io/protocol': 'http' }, networking: { address: 'www.ecb.europa.eu:80' } });
    const timeout = await api.get('MeshTimeout', 'default', 'currency-timeout');
    expect(timeout?.spec).toEqual({ targetRef: { kind: 'Mesh' }, to: [{ targetRef: { kind: 'MeshService', name: 'www-ecb-europa-eu-80' }, default: { http: { requestTimeout: '3s' } } }] });

    const again = ok(await cli(['import', '-f', example('istio-003-currency-api.yaml'), '--apply']));
    expect(again.stdout.trim().split('\n')).toEqual([
      'ExternalService "www-ecb-europa-eu-80" (mesh default) unchanged',
      'ExternalService "www-ecb-europa-eu-443" (mesh default) unchanged',
      'MeshTimeout "currency-timeout" (mesh default) unchanged',
    ]);
  });

  it('--apply --dry-run writes nothing; the printed YAML applies with causeway apply -f to the same resources', async () => {
    const dry = ok(await cli(['import', '-f', example('istio-002-tls-origination.yaml'), '--apply', '--dry-run']));
    expect(dry.stdout).toBe('ExternalService "www-googleapis-com-443" (mesh default) created (dry run)\n');
    expect(await api.get('ExternalService', 'default', 'www-googleapis-com-443').catch(() => undefined)).toBeUndefined();

    const printed = ok(await cli(['import', '-f', example('istio-002-tls-origination.yaml'), '-f', example('gloo-001-routing.yaml')]));
    const applied = ok(await cli(['apply', '-f', '-'], printed.stdout));
    expect(applied.stdout.trim().split('\n')).toEqual([
      'ExternalService "www-googleapis-com-443" (mesh default) created',
      'ExternalService "httpbin-org-80" (mesh default) created',
      'ExternalService "inventory-db-internal-example-com-5432-1" (mesh default) created',
      'ExternalService "inventory-db-internal-example-com-5432-2" (mesh default) created',
    ]);
    const stored = await api.get('ExternalService', 'default', 'www-googleapis-com-443');
    const expected = parseAllDocuments(printed.stdout).map((d) => d.toJS() as { name: string; networking: unknown })[0];
    expect(stored?.spec).toMatchObject({ networking: expected?.networking });
    expect(((stored?.spec ?? {}) as { networking: unknown }).networking).toEqual({ address: 'www.googleapis.com:443', tls: { enabled: true } });
  });

  it('a resource the control plane refuses stops --apply with the resource, its source and the server error', async () => {
    const r = await cli(['import', '-f', example('istio-002-https-passthrough.yaml'), '--apply', '-m', 'no-such-mesh']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(
      /\nError: ExternalService "www-googleapis-com-443" \(mesh no-such-mesh\) \(from ServiceEntry "googleapis" \(.*istio-002-https-passthrough\.yaml: document 1 \(line 3\)\)\): .*no-such-mesh.*\(HTTP 4\d\d\)/,
    );
  });
});
