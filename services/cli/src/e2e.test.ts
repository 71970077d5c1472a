/**
 * End to end: a real `causeway-cp` (global, its own Postgres database; and a zone one, in-memory) driven
 * through the built `causeway` binary. Needs `npm run build` (turbo's test task builds first) and
 * PostgreSQL on 127.0.0.1:5432 (DATABASE_URL overrides the admin URL).
 *
 * The tests of the main suite run in order and build on each other's state, like an operator's session.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ApiError, CausewayClient } from '@causeway/client';
import pg from 'pg';
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import { freePort } from '@causeway/sync/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CP_BIN = join(ROOT, 'services/control-plane/dist/main.js');
const CLI_BIN = join(ROOT, 'services/cli/dist/main.js');
const TESTDATA = join(ROOT, 'packages/core/src/testdata');
const ADMIN_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

const fixture = (name: string) => join(TESTDATA, name);
const b64 = (file: string) => readFileSync(fixture(file)).toString('base64');

/** Parsed documents of a YAML text (comments and key order do not matter). */
function docs(text: string): Record<string, unknown>[] {
  return parseAllDocuments(text).map((d) => d.toJS() as Record<string, unknown>);
}

/** A resource as the server returns it, without the fields the server owns. */
function withoutMeta(doc: Record<string, unknown>): Record<string, unknown> {
  const { version: _v, creationTime: _c, modificationTime: _m, ...rest } = doc;
  return rest;
}


interface Proc {
  name: string;
  child: ChildProcess;
  log: string[];
  url: string;
  tokenFile: string;
}

async function startCp(name: string, args: string[], tokenFile: string): Promise<Proc> {
  const port = await freePort();
  const child = spawn(process.execPath, [CP_BIN, 'run', ...args, '--api-port', String(port), '--api-address', '127.0.0.1', '--admin-token-file', tokenFile], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, CAUSEWAY_LOG_LEVEL: 'info' },
  });
  const proc: Proc = { name, child, log: [], url: `http://127.0.0.1:${port}`, tokenFile };
  child.stdout?.on('data', (d: Buffer) => proc.log.push(d.toString()));
  child.stderr?.on('data', (d: Buffer) => proc.log.push(d.toString()));
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${name} exited (${child.exitCode ?? child.signalCode}) before it was ready:\n${proc.log.join('')}`);
    try {
      if ((await fetch(`${proc.url}/ready`)).ok) return proc;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`${name} was not ready after 30 s:\n${proc.log.join('')}`);
}

async function stopCp(p: Proc | undefined): Promise<void> {
  if (!p || p.child.exitCode !== null || p.child.signalCode !== null) return;
  const exited = new Promise<void>((r) => p.child.once('exit', () => r()));
  p.child.kill('SIGTERM');
  const timer = setTimeout(() => p.child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

let tmp: string;
let global: Proc | undefined;
let zone: Proc | undefined;
let dbName: string | undefined;
let admin: CausewayClient;

/** Runs the built CLI. By default it talks to the global control plane with its admin token. */
async function cli(args: string[], opts: { stdin?: string; target?: Proc; token?: string | null; globals?: string[]; env?: Record<string, string> } = {}): Promise<CliResult> {
  const target = opts.target ?? global!;
  const token = opts.token === undefined ? target.tokenFile : opts.token;
  const globals = opts.globals ?? ['--address', target.url, ...(token ? ['--auth-token-file', token] : [])];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_BIN, ...globals, ...args], { cwd: tmp, stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, HOME: tmp, ...opts.env } });
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
    child.stdin.end(opts.stdin ?? '');
  });
}

function write(name: string, text: string): string {
  const file = join(tmp, name);
  writeFileSync(file, text);
  return file;
}

/** Fails with everything the CLI printed when it did not exit 0. */
function ok(r: CliResult): CliResult {
  if (r.code !== 0) throw new Error(`causeway exited ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
  return r;
}

async function getYaml(type: string, name: string, mesh?: string): Promise<Record<string, unknown>> {
  const r = ok(await cli(['get', type, name, ...(mesh ? ['-m', mesh] : []), '-o', 'yaml']));
  const parsed = docs(r.stdout);
  expect(parsed).toHaveLength(1);
  return parsed[0]!;
}

async function getJson(type: string, name: string, mesh?: string): Promise<Record<string, unknown>> {
  const r = ok(await cli(['get', type, name, ...(mesh ? ['-m', mesh] : []), '-o', 'json']));
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

/** The HTTPS example with `{{ ca }}` in place of the docs' placeholder certificate. */
function httpsTemplate(): string {
  const text = readFileSync(fixture('external-service-https.yaml'), 'utf8');
  const out = text.replace(/inline: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0t\.\.\./, 'inline: {{ ca }}');
  expect(out).not.toBe(text);
  return out;
}

beforeAll(async () => {
  for (const bin of [CP_BIN, CLI_BIN]) if (!existsSync(bin)) throw new Error(`${bin} is missing: run npm run build first`);
  tmp = mkdtempSync(join(tmpdir(), 'causeway-cli-e2e-'));
  dbName = `causeway_cli_e2e_${randomBytes(6).toString('hex')}`;
  const db = new pg.Client({ connectionString: ADMIN_URL });
  await db.connect();
  try {
    await db.query(`CREATE DATABASE "${dbName}"`);
  } finally {
    await db.end();
  }
  const url = new URL(ADMIN_URL);
  url.pathname = `/${dbName}`;
  [global, zone] = await Promise.all([
    startCp('global', ['--mode', 'global', '--database-url', url.toString()], join(tmp, 'global-token')),
    startCp('zone-1', ['--mode', 'zone', '--zone', 'zone-1', '--xds-port', String(await freePort()), '--xds-address', '127.0.0.1'], join(tmp, 'zone-1-token')),
  ]);
  admin = new CausewayClient({ address: global.url, token: readFileSync(global.tokenFile, 'utf8').trim() });
}, 60_000);

afterAll(async () => {
  await Promise.all([stopCp(global), stopCp(zone)]);
  if (dbName) {
    const db = new pg.Client({ connectionString: ADMIN_URL });
    await db.connect();
    try {
      await db.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
    } finally {
      await db.end();
    }
  }
  if (tmp) rmSync(tmp, { recursive: true, force: true });
}, 30_000);

beforeEach(({ onTestFailed }) => {
  onTestFailed(() => {
    for (const p of [global, zone]) if (p) console.error(`---- ${p.name} log (${p.url}) ----\n${p.log.join('').slice(-20_000)}`);
  });
});

describe('causeway CLI against a real global control plane', { timeout: 60_000 }, () => {
  it('creates Mesh default, then the TLS-disabled and zone examples verbatim', async () => {
    expect(ok(await cli(['apply', '-f', '-'], { stdin: 'type: Mesh\nname: default\n' })).stdout).toBe('Mesh "default" created\n');
    const r = ok(await cli(['apply', '-f', fixture('external-service-tcp-tls-disabled.yaml'), '-f', fixture('external-service-zones.yaml'), '-f', fixture('external-service-zone-2-only.yaml')]));
    expect(r.stdout).toBe(
      [
        'ExternalService "example" (mesh default) created',
        'ExternalService "httpbin-for-zone-1" (mesh default) created',
        'ExternalService "httpbin-for-zone-2" (mesh default) created',
        'ExternalService "httpbin-only-in-zone-2" (mesh default) created',
        '',
      ].join('\n'),
    );
  });

  it('gets each example back as YAML and JSON equal to what was applied', async () => {
    const applied = [
      ...docs(readFileSync(fixture('external-service-tcp-tls-disabled.yaml'), 'utf8')),
      ...docs(readFileSync(fixture('external-service-zones.yaml'), 'utf8')),
      ...docs(readFileSync(fixture('external-service-zone-2-only.yaml'), 'utf8')),
    ];
    expect(applied).toHaveLength(4);
    for (const doc of applied) {
      const name = doc.name as string;
      const y = await getYaml('external-service', name, 'default');
      expect(withoutMeta(y)).toEqual(doc);
      expect(y.version).toBe(1);
      expect(typeof y.creationTime).toBe('string');
      const j = await getJson('es', name);
      expect(withoutMeta(j)).toEqual(doc);
    }
  });

  it('refuses the HTTPS example verbatim, naming networking.tls.caCert, and creates nothing', async () => {
    const r = await cli(['apply', '-f', fixture('external-service-https.yaml')]);
    expect(r.code).not.toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^Error: .*external-service-https\.yaml: document 1 \(line 1\): ExternalService "httpbin" is not valid\n/);
    expect(r.stderr).toMatch(/\n {2}networking\.tls\.caCert: .*\(line 13\)/);
    const get = await cli(['get', 'es', 'httpbin']);
    expect(get.code).not.toBe(0);
    expect(get.stderr).toContain('not found');
  });

  it('applies the HTTPS example with a real CA (-v) once the clientCert/clientKey Secrets exist', async () => {
    const secrets = write(
      'secrets.yaml',
      `type: Secret\nmesh: default\nname: clientCert\ndata: ${b64('client.pem')}\n---\ntype: Secret\nmesh: default\nname: clientKey\ndata: ${b64('client-key.pem')}\n`,
    );
    const https = write('https.yaml', httpsTemplate());
    // Without the secrets, the server refuses the references.
    const early = await cli(['apply', '-f', https, '-v', `ca=${b64('ca.pem')}`]);
    expect(early.code).not.toBe(0);
    expect(early.stderr).toContain('networking.tls.clientCert');
    expect(ok(await cli(['apply', '-f', secrets])).stdout).toBe('Secret "clientCert" (mesh default) created\nSecret "clientKey" (mesh default) created\n');
    expect(ok(await cli(['apply', '-f', https, '-v', `ca=${b64('ca.pem')}`])).stdout).toBe('ExternalService "httpbin" (mesh default) created\n');

    const expected = docs(readFileSync(fixture('external-service-https.yaml'), 'utf8'))[0]!;
    (expected.networking as { tls: { caCert: { inline: string } } }).tls.caCert.inline = b64('ca.pem');
    expect(withoutMeta(await getYaml('external-services', 'httpbin', 'default'))).toEqual(expected);
    expect(withoutMeta(await getJson('external-service', 'httpbin', 'default'))).toEqual(expected);
    // Secret data comes back to the admin token as it was stored.
    expect((await getJson('secret', 'clientKey')).data).toBe(b64('client-key.pem'));
  });

  it('lists as a table with MESH, NAME, TAGS, ADDRESS, AGE and pages with a hint', async () => {
    const r = ok(await cli(['get', 'external-services']));
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]?.split(/\s{3,}/)).toEqual(['MESH', 'NAME', 'TAGS', 'ADDRESS', 'AGE']);
    const example = lines.find((l) => l.includes(' example '))!.split(/\s{3,}/);
    expect(example.slice(0, 4)).toEqual(['default', 'example', 'kuma.io/protocol=tcp kuma.io/service=example', 'example.com:443']);
    expect(example[4]).toMatch(/^\d+[smh]$/);
    expect(lines).toHaveLength(1 + 5);

    const page = ok(await cli(['get', 'es', '-m', 'default', '--size', '2']));
    const hint = /Rest of the list: causeway get external-services --mesh default --size 2 --offset (\S+)/.exec(page.stdout);
    expect(hint).not.toBeNull();
    const page2 = ok(await cli(['get', 'es', '-m', 'default', '--size', '2', '--offset', hint![1]!, '-o', 'json']));
    const body = JSON.parse(page2.stdout) as { total: number; items: { name: string }[]; next: string | null };
    expect(body.total).toBe(5);
    expect(body.items).toHaveLength(2);
    const firstNames = page.stdout.split('\n').slice(1, 3).map((l) => l.split(/\s{3,}/)[1]);
    expect(body.items.map((i) => i.name)).not.toContain(firstNames[0]);

    const meshes = ok(await cli(['get', 'meshes']));
    expect(meshes.stdout.split('\n')[0]?.split(/\s{3,}/)).toEqual(['NAME', 'mTLS', 'LOCALITY', 'ZONEEGRESS', 'PASSTHROUGH', 'AGE']);
    expect(meshes.stdout).toMatch(/\ndefault {3}off/);
  });

  it('prints a list as YAML that re-applies cleanly (unchanged)', async () => {
    const y = ok(await cli(['get', 'external-services', '-o', 'yaml']));
    expect(docs(y.stdout)).toHaveLength(5);
    const again = ok(await cli(['apply', '-f', '-'], { stdin: y.stdout }));
    expect(again.stdout.trimEnd().split('\n')).toHaveLength(5);
    expect(again.stdout.trimEnd().split('\n').every((l) => l.endsWith(' unchanged'))).toBe(true);
    expect((await admin.get('ExternalService', 'default', 'example')).version).toBe(1);
  });

  it('reports updated for a changed file and unchanged for the same file', async () => {
    const changed = write('example-changed.yaml', readFileSync(fixture('external-service-tcp-tls-disabled.yaml'), 'utf8').replace('example.com:443', 'example.com:8443'));
    expect(ok(await cli(['apply', '-f', changed])).stdout).toBe('ExternalService "example" (mesh default) updated\n');
    expect(ok(await cli(['apply', '-f', changed])).stdout).toBe('ExternalService "example" (mesh default) unchanged\n');
    const got = await getJson('es', 'example');
    expect((got.networking as { address: string }).address).toBe('example.com:8443');
    expect(got.version).toBe(2);
  });

  it('--dry-run validates and reports without writing', async () => {
    const newOne = write('dry-new.yaml', 'type: ExternalService\nmesh: default\nname: dry\ntags:\n  kuma.io/service: dry\nnetworking:\n  address: dry.example.com:443\n');
    expect(ok(await cli(['apply', '--dry-run', '-f', newOne])).stdout).toBe('ExternalService "dry" (mesh default) created (dry run)\n');
    expect((await cli(['get', 'es', 'dry'])).code).not.toBe(0);

    const back = write('example-back.yaml', readFileSync(fixture('external-service-tcp-tls-disabled.yaml'), 'utf8'));
    expect(ok(await cli(['apply', '--dry-run', '-f', back])).stdout).toBe('ExternalService "example" (mesh default) updated (dry run)\n');
    const same = write('example-same.yaml', readFileSync(back, 'utf8').replace('example.com:443', 'example.com:8443'));
    expect(ok(await cli(['apply', '--dry-run', '-f', same])).stdout).toBe('ExternalService "example" (mesh default) unchanged (dry run)\n');
    const got = await admin.get('ExternalService', 'default', 'example');
    expect(got.version).toBe(2);
    expect((got.spec as { networking: { address: string } }).networking.address).toBe('example.com:8443');
    // an invalid document fails a dry run too
    const bad = await cli(['apply', '--dry-run', '-f', '-'], { stdin: 'type: ExternalService\nmesh: default\nname: x\ntags: {}\nnetworking:\n  address: x:1\n' });
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('tags: mandatory tag "kuma.io/service" is missing');
  });

  it('substitutes -v variables, and refuses a file with an unset one', async () => {
    const tpl = write('tpl.yaml', 'type: ExternalService\nmesh: {{ mesh }}\nname: {{name}}\ntags:\n  kuma.io/service: {{ name }}\nnetworking:\n  address: {{ host }}:{{ port }}\n');
    expect(ok(await cli(['apply', '-f', tpl, '-v', 'mesh=default', '-v', 'name=templated', '-v', 'host=templated.example.com', '-v', 'port=9443'])).stdout).toBe(
      'ExternalService "templated" (mesh default) created\n',
    );
    const got = await getJson('es', 'templated');
    expect(got.tags).toEqual({ 'kuma.io/service': 'templated' });
    expect((got.networking as { address: string }).address).toBe('templated.example.com:9443');
    const missing = await cli(['apply', '-f', tpl, '-v', 'mesh=default', '-v', 'name=x', '-v', 'host=h']);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('variable "port" is not set');
    expect((await cli(['get', 'es', 'x'])).code).not.toBe(0);
  });

  it('applies a directory in file-name order', async () => {
    const dir = join(tmp, 'dir');
    mkdirSync(dir);
    writeFileSync(join(dir, '10-mesh.yaml'), 'type: Mesh\nname: dirmesh\n');
    writeFileSync(join(dir, '20-es.yml'), 'type: ExternalService\nmesh: dirmesh\nname: d\ntags:\n  kuma.io/service: d\nnetworking:\n  address: d.example.com:443\n');
    writeFileSync(join(dir, 'README.txt'), 'not a resource');
    expect(ok(await cli(['apply', '-f', dir])).stdout).toBe('Mesh "dirmesh" created\nExternalService "d" (mesh dirmesh) created\n');
    // listing a mesh-scoped type without -m covers every mesh; -m narrows it
    expect(ok(await cli(['get', 'es'])).stdout).toMatch(/\ndirmesh {3}d {3}/);
    expect(ok(await cli(['get', 'es', '-m', 'dirmesh'])).stdout.trimEnd().split('\n')).toHaveLength(2);
  });

  it('fails on an invalid file with the document and field named, and creates nothing', async () => {
    const file = write(
      'invalid.yaml',
      [
        'type: Mesh',
        'name: never-created',
        '---',
        'type: ExternalService',
        'mesh: default',
        'name: broken',
        'tags:',
        '  kuma.io/service: broken',
        'networking:',
        '  address: broken.example.com:99999',
        '  tls:',
        '    enabled: yes-please',
        '',
      ].join('\n'),
    );
    const r = await cli(['apply', '-f', file]);
    expect(r.code).not.toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('document 2 (line 4)');
    expect(r.stderr).toMatch(/\n {2}networking\.address: .*\(line 10\)/);
    expect(r.stderr).toMatch(/\n {2}networking\.tls\.enabled: .*\(line 12\)/);
    expect((await cli(['get', 'mesh', 'never-created'])).code).not.toBe(0);
    expect(ok(await cli(['get', 'meshes', '-o', 'json'])).stdout).not.toContain('never-created');
  });

  it('shows server-side errors readably (a duplicate address names the field)', async () => {
    const dup = write('dup.yaml', 'type: ExternalService\nmesh: default\nname: dup\ntags:\n  kuma.io/service: dup\nnetworking:\n  address: example.com:8443\n');
    const r = await cli(['apply', '-f', dup]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/^Error: .*dup\.yaml: document 1 \(line 1\), ExternalService "dup" \(mesh default\): /);
    expect(r.stderr).toMatch(/\(HTTP (400|409)\)/);
    expect(r.stderr).toContain('  networking.address: ');
  });

  it('refuses writes without the admin token or with a wrong one (401), and nothing changes', async () => {
    const changed = write('example-401.yaml', readFileSync(fixture('external-service-tcp-tls-disabled.yaml'), 'utf8').replace('example.com:443', 'example.com:1443'));
    const none = await cli(['apply', '-f', changed], { token: null });
    expect(none.code).not.toBe(0);
    expect(none.stderr).toContain('(HTTP 401)');
    expect(none.stderr).toContain('Hint: ');
    const wrongFile = write('wrong-token', 'not-the-admin-token-at-all\n');
    const wrong = await cli(['apply', '-f', changed], { token: wrongFile });
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toContain('the admin token is not valid');
    expect(wrong.stderr).toContain('(HTTP 401)');
    const del = await cli(['delete', 'es', 'example'], { token: null });
    expect(del.code).not.toBe(0);
    expect(del.stderr).toContain('(HTTP 401)');
    const got = await admin.get('ExternalService', 'default', 'example');
    expect(got.version).toBe(2);
    expect((got.spec as { networking: { address: string } }).networking.address).toBe('example.com:8443');
    // reads of non-secret types need no token
    expect(ok(await cli(['get', 'es', 'example'], { token: null })).stdout).toContain('example.com:8443');
  });

  it('gives exactly one 409 for two concurrent PUTs with the same version', async () => {
    const current = await admin.get('ExternalService', 'default', 'example');
    const withAddress = (address: string) => ({
      ...current,
      spec: { ...(current.spec as object), networking: { ...(current.spec as { networking: object }).networking, address } },
    });
    const results = await Promise.allSettled([admin.put(withAddress('example.com:2001')), admin.put(withAddress('example.com:2002'))]);
    const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    const fulfilled = results.filter((r) => r.status === 'fulfilled');
    expect(fulfilled).toHaveLength(1);
    expect(rejected).toHaveLength(1);
    expect(rejected[0]!.reason).toBeInstanceOf(ApiError);
    expect((rejected[0]!.reason as ApiError).httpStatus).toBe(409);
    const after = await admin.get('ExternalService', 'default', 'example');
    expect(after.version).toBe(current.version + 1);
    // A file carrying the stale version is refused too, through the CLI.
    const stale = write('stale.yaml', `type: ExternalService\nmesh: default\nname: example\nversion: ${current.version}\ntags:\n  kuma.io/service: example\nnetworking:\n  address: example.com:3003\n`);
    const r = await cli(['apply', '-f', stale]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('(HTTP 409)');
  });

  it('deletes, then the resource is gone', async () => {
    expect(ok(await cli(['delete', 'external-service', 'templated', '-m', 'default'])).stdout).toBe('ExternalService "templated" (mesh default) deleted\n');
    const gone = await cli(['get', 'es', 'templated']);
    expect(gone.code).not.toBe(0);
    expect(gone.stderr).toMatch(/^Error: .*not found \(HTTP 404\)/);
    const again = await cli(['delete', 'es', 'templated']);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain('(HTTP 404)');
  });

  it('inspects meshes and zones', async () => {
    const meshes = ok(await cli(['inspect', 'meshes']));
    expect(meshes.stdout.split('\n')[0]?.split(/\s{3,}/)).toEqual(['NAME', 'SERVICES', 'EXTERNAL SERVICES', 'DATAPLANES', 'ONLINE', 'OFFLINE', 'POLICIES']);
    const row = meshes.stdout.split('\n').find((l) => l.startsWith('default '))!.split(/\s{3,}/);
    // services: example, httpbin; external services: example, httpbin, the two zone ones, zone-2-only
    expect(row).toEqual(['default', '2', '5', '0', '0', '0', '0']);
    ok(await cli(['apply', '-f', '-'], { stdin: 'type: Zone\nname: zone-1\n' }));
    const zones = ok(await cli(['inspect', 'zones']));
    expect(zones.stdout.split('\n')[1]?.split(/\s{3,}/).slice(0, 5)).toEqual(['zone-1', 'Offline', 'true', '-', 'never']);
    const json = JSON.parse(ok(await cli(['inspect', 'zones', '-o', 'json'])).stdout) as { total: number; items: { status: string }[] };
    expect(json.total).toBe(1);
    expect(json.items[0]?.status).toBe('Offline');
    expect(ok(await cli(['inspect', 'dataplanes', '-m', 'default'])).stdout.split(/\s{3,}/).slice(0, 3)).toEqual(['MESH', 'NAME', 'TAGS']);
    expect(ok(await cli(['inspect', 'zone-egresses'])).stdout.trimEnd().split('\n')).toHaveLength(1);
  });

  it("inspects Kuma's service insights and the dataplanes a policy selects (the API's routes)", async () => {
    const services = ok(await cli(['inspect', 'services']));
    const rows = services.stdout.trimEnd().split('\n').map((l) => l.split(/\s{3,}/));
    expect(rows[0]).toEqual(['SERVICE', 'TYPE', 'STATUS', 'DATAPLANES']);
    expect(rows).toContainEqual(['httpbin', 'external', 'not_available', '0/0']);
    const json = JSON.parse(ok(await cli(['inspect', 'services', '-m', 'default', '-o', 'json'])).stdout) as { total: number; items: { name: string; serviceType: string }[] };
    expect(json.items.find((i) => i.name === 'httpbin')?.serviceType).toBe('external');
    expect(json.total).toBe(rows.length - 1);
    const mtp = 'type: MeshTrafficPermission\nmesh: default\nname: allow-all\nspec:\n  targetRef:\n    kind: Mesh\n  from:\n    - targetRef:\n        kind: Mesh\n      default:\n        action: Allow\n';
    ok(await cli(['apply', '-f', '-'], { stdin: mtp }));
    const selects = ok(await cli(['inspect', 'meshtrafficpermission', 'allow-all']));
    expect(selects.stdout.split('\n').map((l) => l.split(/\s{3,}/))).toEqual([['MeshTrafficPermission "allow-all" (mesh default) selects:'], ['TYPE', 'MESH', 'NAME', 'ZONE'], ['Total: 0'], ['']]);
    expect(JSON.parse(ok(await cli(['inspect', 'mtp', 'allow-all', '-o', 'json'])).stdout)).toMatchObject({ total: 0, items: [] });
    const unknown = await cli(['inspect', 'meshtimeout', 'nope']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('(HTTP 404)');
    ok(await cli(['delete', 'mtp', 'allow-all', '-m', 'default']));
  });

  it('works through a configured control plane (config control-planes add/list/switch/remove)', async () => {
    const configFile = join(tmp, 'cli-config.yaml');
    const base = ['--config-file', configFile];
    const add = ok(await cli(['config', 'control-planes', 'add', '--name', 'global', '--address', global!.url, '--auth-token-file', global!.tokenFile], { globals: base }));
    expect(add.stdout).toContain('added control plane "global"');
    expect(statSync(configFile).mode & 0o777).toBe(0o600);
    const cfg = parseYaml(readFileSync(configFile, 'utf8')) as { currentControlPlane: string; controlPlanes: Record<string, unknown>[] };
    expect(cfg.currentControlPlane).toBe('global');
    expect(cfg.controlPlanes[0]).toEqual({ name: 'global', address: global!.url, authTokenFile: global!.tokenFile, mode: 'global' });
    expect(readFileSync(configFile, 'utf8')).not.toContain(readFileSync(global!.tokenFile, 'utf8').trim());

    const dup = await cli(['config', 'control-planes', 'add', '--name', 'global', '--address', global!.url], { globals: base });
    expect(dup.code).not.toBe(0);
    expect(dup.stderr).toContain('--overwrite');
    const wrong = await cli(['config', 'control-planes', 'add', '--name', 'bad', '--address', global!.url, '--auth-token-file', write('bad-token', 'wrong-token-wrong-token\n')], { globals: base });
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toContain('does not accept the token');

    ok(await cli(['config', 'control-planes', 'add', '--name', 'zone-1', '--address', zone!.url, '--auth-token-file', zone!.tokenFile], { globals: base }));
    const list = ok(await cli(['config', 'control-planes', 'list'], { globals: base }));
    const rows = list.stdout.trimEnd().split('\n').map((l) => l.split(/\s{3,}/));
    expect(rows).toEqual([
      ['ACTIVE', 'NAME', 'ADDRESS', 'MODE', 'ZONE', 'AUTH'],
      ['', 'global', global!.url, 'global', '-', global!.tokenFile],
      ['*', 'zone-1', zone!.url, 'zone', 'zone-1', zone!.tokenFile],
    ]);

    // the current one (zone-1) is used, and --control-plane overrides it for one command
    expect(ok(await cli(['get', 'meshes'], { globals: base })).stdout).not.toContain('default');
    expect(ok(await cli(['get', 'meshes'], { globals: [...base, '--control-plane', 'global'] })).stdout).toContain('default');
    ok(await cli(['config', 'control-planes', 'switch', '--name', 'global'], { globals: base }));
    expect(ok(await cli(['apply', '-f', '-'], { globals: base, stdin: 'type: Mesh\nname: via-config\n' })).stdout).toBe('Mesh "via-config" created\n');
    ok(await cli(['config', 'control-planes', 'remove', '--name', 'zone-1'], { globals: base }));
    expect((parseYaml(readFileSync(configFile, 'utf8')) as { controlPlanes: unknown[] }).controlPlanes).toHaveLength(1);
  });

  it('takes kumactl\'s --auth-type tokens --auth-conf token=... and --headers, redacted by config view; CAUSEWAY_CLI_CONFIG names the file', async () => {
    const configFile = join(tmp, 'cli-config-tokens.yaml');
    const token = readFileSync(global!.tokenFile, 'utf8').trim();
    const env = ['--config-file', configFile];
    const add = ok(await cli(['config', 'control-planes', 'add', '--name', 'g', '--address', global!.url, '--auth-type', 'tokens', '--auth-conf', `token=${token}`, '--headers', 'x-team=mesh'], { globals: env }));
    expect(add.stdout).toContain('added control plane "g"');
    // the token works for a write, and config view does not show it
    expect(ok(await cli(['apply', '-f', '-'], { globals: env, stdin: 'type: Mesh\nname: via-token\n' })).stdout).toBe('Mesh "via-token" created\n');
    const view = ok(await cli(['config', 'view'], { globals: env }));
    expect(view.stdout).not.toContain(token);
    expect(parseYaml(view.stdout)).toMatchObject({ currentControlPlane: 'g', controlPlanes: [{ name: 'g', headers: { 'x-team': 'mesh' }, authType: 'tokens', authConf: { token: '[redacted]' } }] });
    // $CAUSEWAY_CLI_CONFIG instead of the flag (and $CAUSEWAY_CONFIG, causeway-cp's, is not the CLI's)
    const viaEnv = await cli(['get', 'meshes'], { globals: [], env: { CAUSEWAY_CLI_CONFIG: configFile, CAUSEWAY_CONFIG: join(tmp, 'nope.yaml') } });
    expect(ok(viaEnv).stdout).toContain('via-token');
  });

  it('prints completion scripts and issues zone tokens at global (--zone required)', async () => {
    const bash = ok(await cli(['completion', 'bash'], { globals: [] }));
    expect(bash.stdout).toContain('complete -F _causeway causeway');
    const token = ok(await cli(['generate', 'zone-token', '--zone', 'zone-1', '--scope', 'egress', '--valid-for', '2h'])).stdout.trim();
    const [head, payload] = token.split('.').slice(0, 2).map((p) => JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as Record<string, unknown>);
    expect(head).toMatchObject({ alg: 'ES256', kid: 'global/zone-token-signing-key-1' });
    expect(payload).toMatchObject({ kind: 'zone', zone: 'zone-1', scope: ['egress'] });
    expect(Number(payload?.exp) - Number(payload?.iat)).toBe(7200);
    const noZone = await cli(['generate', 'zone-token']);
    expect(noZone.code).toBe(2);
    expect(noZone.stderr).toContain('--zone: is required');
  });
});

describe('causeway CLI against a zone control plane', { timeout: 60_000 }, () => {
  it('refuses ExternalService writes with 405, telling to apply on global', async () => {
    const r = await cli(['apply', '-f', fixture('external-service-tcp-tls-disabled.yaml')], { target: zone! });
    expect(r.code).not.toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('(HTTP 405)');
    expect(r.stderr).toContain('apply it on the global control plane');
    const del = await cli(['delete', 'mesh', 'default'], { target: zone! });
    expect(del.code).not.toBe(0);
    expect(del.stderr).toContain('(HTTP 405)');
    expect(ok(await cli(['get', 'external-services'], { target: zone! })).stdout.trimEnd().split('\n')).toHaveLength(1);
  });

  it('issues dataplane and zone tokens (admin token required)', async () => {
    const issued = ok(
      await cli(['generate', 'dataplane-token', '--mesh', 'default', '--name', 'web-1', '--tag', 'kuma.io/service=web,web-admin', '--tag', 'version=v1', '--valid-for', '1h'], {
        target: zone!,
      }),
    );
    expect(issued.stderr).toBe('');
    const token = issued.stdout.trim();
    const parts = token.split('.');
    expect(parts).toHaveLength(3);
    const claims = JSON.parse(Buffer.from(parts[1] as string, 'base64url').toString('utf8')) as Record<string, unknown>;
    expect(claims).toMatchObject({ kind: 'dataplane', mesh: 'default', name: 'web-1', tags: { 'kuma.io/service': ['web', 'web-admin'], version: ['v1'] } });
    expect(Number(claims.exp) - Number(claims.iat)).toBe(3600);
    // Without --tag: issued, with a warning that zones refuse it by default.
    const untagged = ok(await cli(['generate', 'dataplane-token', '--mesh', 'default', '--name', 'web-1'], { target: zone! }));
    expect(untagged.stdout.trim().split('.')).toHaveLength(3);
    expect(untagged.stderr).toContain('--allow-untagged-dataplane-tokens');
    const badTag = await cli(['generate', 'dataplane-token', '--mesh', 'default', '--name', 'web-1', '--tag', 'kuma.io/service'], { target: zone! });
    expect(badTag.code).toBe(2);
    expect(badTag.stderr).toContain('--tag');
    const zoneToken = ok(await cli(['generate', 'zone-token', '--scope', 'egress'], { target: zone! })).stdout.trim();
    expect(zoneToken.split('.')).toHaveLength(3);
    const bad = await cli(['generate', 'zone-token', '--scope', 'sidecar'], { target: zone! });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--scope');
    // --zone: the zone signs tokens of its own zone, and names --zone for another
    const forZone = ok(await cli(['generate', 'zone-token', '--zone', 'zone-1', '--scope', 'ingress', '--valid-for', '2h'], { target: zone! })).stdout.trim();
    const zoneClaims = JSON.parse(Buffer.from(forZone.split('.')[1] ?? '', 'base64url').toString()) as { kind: string; zone: string; scope: string[]; iat: number; exp: number };
    expect(zoneClaims).toMatchObject({ kind: 'zone', zone: 'zone-1', scope: ['ingress'] });
    expect(zoneClaims.exp - zoneClaims.iat).toBe(7200);
    const otherZone = await cli(['generate', 'zone-token', '--zone', 'zone-2'], { target: zone! });
    expect(otherZone.code).toBe(2);
    expect(otherZone.stderr).toContain('--zone: must be "zone-1"');
    const noAuth = await cli(['generate', 'dataplane-token', '--mesh', 'default', '--name', 'web-1', '--tag', 'kuma.io/service=web'], { target: zone!, token: null });
    expect(noAuth.code).toBe(1);
    expect(noAuth.stderr).toContain('(HTTP 401)');
  });

  it('inspects one proxy: config dump of an unknown dataplane is a readable 404', async () => {
    const r = await cli(['inspect', 'dataplane', 'nope', '-m', 'default', '--type', 'config-dump'], { target: zone! });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('(HTTP 404)');
    expect(r.stderr).toContain('"nope"');
    const wrong = await cli(['inspect', 'zone-ingress', 'x', '--type', 'policies'], { target: zone! });
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('--type');
    // the default type is policies (kumactl's); stats is text, so -o is refused before anything is asked
    const policies = await cli(['inspect', 'dataplane', 'nope', '-m', 'default'], { target: zone! });
    expect(policies.code).toBe(1);
    expect(policies.stderr).toContain('(HTTP 404)');
    const stats = await cli(['inspect', 'dataplane', 'nope', '--type', 'stats'], { target: zone! });
    expect(stats.code).toBe(1);
    expect(stats.stderr).toContain('(HTTP 404)');
    const statsJson = await cli(['inspect', 'dataplane', 'nope', '--type', 'stats', '-o', 'json'], { target: zone! });
    expect(statsJson.code).toBe(2);
    expect(statsJson.stderr).toContain('-o, --output: --type stats is printed as it comes (text): leave out -o');
  });
});
