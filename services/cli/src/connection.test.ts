/**
 * The connection settings of a control plane (`config control-planes add --ca-cert-file --skip-verify
 * --headers --auth-type tokens --auth-conf token=...`) honoured by every request, against a small HTTPS
 * server whose certificate `causeway generate tls-certificate` made; `config view` and `list -o yaml`
 * redacting tokens; `--config-file` / `$CAUSEWAY_CLI_CONFIG`.
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingHttpHeaders, type Server as HttpServer } from 'node:http';
import { createServer, type Server } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from './cli.js';
import { loadConfig } from './config.js';
import { type RecordingIo, recordingIo } from './testing/recording-io.js';

const TOKEN = 'admin-token-0123456789';
let dir: string;
let server: Server;
let plain: HttpServer;
let httpsUrl: string;
let httpUrl: string;
let seen: { url: string; headers: IncomingHttpHeaders }[] = [];

const fakeIo = (env: Record<string, string> = {}): RecordingIo => recordingIo({ dir, env, now: () => Date.now() });

/** Answers GET / (a global control plane), /global-secrets (admin token only) and /meshes. */
function handler(req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse): void {
  seen.push({ url: req.url ?? '', headers: req.headers });
  const send = (status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  if (req.url === '/') send(200, { version: '9.9.9', mode: 'global', instanceId: 'x' });
  else if (req.url?.startsWith('/global-secrets')) {
    if (req.headers.authorization !== `Bearer ${TOKEN}`) send(401, { title: 'Unauthorized', details: 'the admin token is not valid' });
    else send(200, { total: 0, items: [], next: null });
  } else if (req.url?.startsWith('/meshes'))
    send(200, { total: 1, items: [{ type: 'Mesh', name: 'default', creationTime: '2026-01-01T00:00:00Z', modificationTime: '2026-01-01T00:00:00Z', version: 1 }], next: null });
  else   send(404, { title: 'Not Found', details: `no route GET ${req.url}` });
}

async function run(args: string[], env?: Record<string, string>): Promise<{ code: number; out: string; err: string }> {
  const io = fakeIo(env);
  const code = await runCli(args, io);
  return { code, out: io.out, err: io.err };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'causeway-conn-'));
  // The server's certificate, made by the CLI itself.
  const gen = await run(['generate', 'tls-certificate', '--type', 'server', '--hostname', 'localhost', '--hostname', '127.0.0.1', '--key-type', 'ecdsa', '--key-file', 'key.pem', '--cert-file', 'cert.pem']);
  expect(gen.code).toBe(0);
  server = createServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) }, handler);
  plain = createHttpServer(handler);
  await Promise.all([new Promise<void>((r) => server.listen(0, '127.0.0.1', r)), new Promise<void>((r) => plain.listen(0, '127.0.0.1', r))]);
  httpsUrl = `https://127.0.0.1:${(server.address() as { port: number }).port}`;
  httpUrl = `http://127.0.0.1:${(plain.address() as { port: number }).port}`;
});
afterAll(async () => {
  await Promise.all([new Promise<void>((r) => server.close(() => r())), new Promise<void>((r) => plain.close(() => r()))]);
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  seen = [];
});

describe('config control-planes add over https', () => {
  it('verifies the server with --ca-cert-file, sends --headers and the --auth-conf token on every request', async () => {
    const cfg = join(dir, 'ca.yaml');
    const add = await run([
      '--config-file', cfg, 'config', 'control-planes', 'add', '--name', 'secure', '--address', httpsUrl, '--ca-cert-file', 'cert.pem',
      '--headers', 'x-tenant=blue,x-trace=a,b', '--headers', 'x-api-key=k1', '--auth-type', 'tokens', '--auth-conf', `token=${TOKEN}`,
    ]);
    expect(add).toMatchObject({ code: 0, err: '' });
    expect(add.out).toBe(`added control plane "secure" (${httpsUrl}, global control plane, version 9.9.9) and switched to it\n`);
    expect(loadConfig(cfg).controlPlanes[0]).toEqual({
      name: 'secure',
      address: httpsUrl,
      mode: 'global',
      caCertFile: join(dir, 'cert.pem'),
      headers: { 'x-tenant': 'blue', 'x-trace': 'a,b', 'x-api-key': 'k1' },
      authType: 'tokens',
      authConf: { token: TOKEN },
    });
    expect(statSync(cfg).mode & 0o777).toBe(0o600);
    // The check (GET /, then the token on /global-secrets) and a later command all carry the settings.
    seen = [];
    const get = await run(['--config-file', cfg, 'get', 'meshes']);
    expect(get.code).toBe(0);
    expect(get.out).toContain('default');
    expect(seen).toHaveLength(1);
    expect(seen[0]!.headers).toMatchObject({ 'x-tenant': 'blue', 'x-trace': 'a,b', 'x-api-key': 'k1', authorization: `Bearer ${TOKEN}` });
  });

  it('fails without the CA (the certificate is not trusted), and works with --skip-verify', async () => {
    const cfg = join(dir, 'skip.yaml');
    const untrusted = await run(['--config-file', cfg, 'config', 'control-planes', 'add', '--name', 'x', '--address', httpsUrl]);
    expect(untrusted.code).toBe(1);
    expect(untrusted.err).toMatch(/does not answer as a Causeway control plane: cannot reach the control plane at https:\/\/127\.0\.0\.1:\d+ \(SELF_SIGNED_CERT_IN_CHAIN|DEPTH_ZERO_SELF_SIGNED_CERT/);
    const skip = await run(['--config-file', cfg, 'config', 'control-planes', 'add', '--name', 'x', '--address', httpsUrl, '--skip-verify']);
    expect(skip.code).toBe(0);
    expect(loadConfig(cfg).controlPlanes[0]).toMatchObject({ skipVerify: true });
    expect((await run(['--config-file', cfg, 'get', 'meshes'])).code).toBe(0);
  });

  it('a CA file that disappears later is an error naming caCertFile', async () => {
    const cfg = join(dir, 'gone.yaml');
    writeFileSync(join(dir, 'ca-copy.pem'), readFileSync(join(dir, 'cert.pem')));
    expect((await run(['--config-file', cfg, 'config', 'control-planes', 'add', '--name', 'g', '--address', httpsUrl, '--ca-cert-file', 'ca-copy.pem'])).code).toBe(0);
    rmSync(join(dir, 'ca-copy.pem'));
    const r = await run(['--config-file', cfg, 'get', 'meshes']);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`cannot read the CA certificate file ${join(dir, 'ca-copy.pem')}: ENOENT`);
    expect(r.err).toContain('caCertFile: ');
  });

  it('refuses a wrong --auth-conf token (401 on the check) and stores nothing', async () => {
    const cfg = join(dir, 'wrong.yaml');
    const r = await run(['--config-file', cfg, 'config', 'control-planes', 'add', '--name', 'w', '--address', httpUrl, '--auth-type', 'tokens', '--auth-conf', 'token=nope']);
    expect(r.code).toBe(1);
    expect(r.err).toContain('does not accept the token given with --auth-conf');
    expect(loadConfig(cfg).controlPlanes).toEqual([]);
  });

  it('bad connection flags are usage errors (exit 2) naming the flag, checked before anything is sent', async () => {
    const cfg = join(dir, 'bad.yaml');
    const cases: [string[], string][] = [
      [['--address', httpUrl, '--ca-cert-file', 'cert.pem'], '--ca-cert-file: applies to an https:// address only'],
      [['--address', httpUrl, '--skip-verify'], '--skip-verify: applies to an https:// address only'],
      [['--address', httpsUrl, '--skip-verify', '--ca-cert-file', 'cert.pem'], '--skip-verify: goes without --ca-cert-file'],
      [['--address', httpUrl, '--headers', 'novalue'], '--headers: "novalue" must be written key=value'],
      [['--address', httpUrl, '--headers', 'bad name=1'], '--headers: "bad name" is not a header name'],
      [['--address', httpUrl, '--headers', 'Authorization=Bearer x'], '--headers: Authorization is set by the CLI itself'],
      [['--address', httpUrl, '--auth-conf', 'token=x'], '--auth-conf: goes with --auth-type tokens'],
      [['--address', httpUrl, '--auth-type', 'oidc'], '--auth-type: must be "tokens" (got "oidc")'],
      [['--address', httpUrl, '--auth-type', 'tokens'], '--auth-conf: the tokens authentication needs --auth-conf token=<admin token>'],
      [['--address', httpUrl, '--auth-type', 'tokens', '--auth-conf', 'user=x,token=y'], '--auth-conf: the tokens authentication takes token=<token> only (not user)'],
    ];
    for (const [flags, error] of cases) {
      const r = await run(['--config-file', cfg, 'config', 'control-planes', 'add', '--name', 'b', ...flags]);
      expect({ flags, code: r.code }).toEqual({ flags, code: 2 });
      expect(r.err).toContain(error);
    }
    expect(seen).toEqual([]);
    expect(loadConfig(cfg).controlPlanes).toEqual([]);
  });
});

describe('config view and control-planes list -o', () => {
  it('prints the config with tokens and secret-looking header values redacted (yaml, or -o json); -o table is refused', async () => {
    const cfg = join(dir, 'view.yaml');
    writeFileSync(
      cfg,
      `currentControlPlane: a\ncontrolPlanes:\n  - name: a\n    address: ${httpsUrl}\n    skipVerify: true\n    headers:\n      x-tenant: blue\n      x-api-key: s3cret\n    authType: tokens\n    authConf:\n      token: ${TOKEN}\n  - name: b\n    address: http://b:1\n    authTokenFile: /t/b\n`,
    );
    const view = await run(['config', 'view'], { CAUSEWAY_CLI_CONFIG: cfg });
    expect(view.code).toBe(0);
    expect(view.out).not.toContain(TOKEN);
    expect(view.out).not.toContain('s3cret');
    expect(parseYaml(view.out)).toEqual({
      configFile: cfg,
      currentControlPlane: 'a',
      controlPlanes: [
        { name: 'a', address: httpsUrl, skipVerify: true, headers: { 'x-tenant': 'blue', 'x-api-key': '[redacted]' }, authType: 'tokens', authConf: { token: '[redacted]' } },
        { name: 'b', address: 'http://b:1', authTokenFile: '/t/b' },
      ],
    });
    const json = await run(['--config-file', cfg, 'config', 'view', '-o', 'json']);
    expect(JSON.parse(json.out)).toEqual(parseYaml(view.out));
    const table = await run(['--config-file', cfg, 'config', 'view', '-o', 'table']);
    expect(table.code).toBe(2);
    expect(table.err).toContain('-o, --output: config view can be printed with -o yaml or -o json');

    const list = await run(['--config-file', cfg, 'config', 'control-planes', 'list']);
    expect(list.out.trimEnd().split('\n').map((l) => l.split(/\s{3,}/))).toEqual([
      ['ACTIVE', 'NAME', 'ADDRESS', 'MODE', 'ZONE', 'AUTH'],
      ['*', 'a', httpsUrl, '-', '-', 'token in config'],
      ['', 'b', 'http://b:1', '-', '-', '/t/b'],
    ]);
    const listYaml = await run(['--config-file', cfg, 'config', 'control-planes', 'list', '-o', 'yaml']);
    expect(listYaml.out).not.toContain(TOKEN);
    expect((parseYaml(listYaml.out) as { name: string }[]).map((c) => c.name)).toEqual(['a', 'b']);
    expect((JSON.parse((await run(['--config-file', cfg, 'config', 'control-planes', 'list', '-o', 'json'])).out) as unknown[]).length).toBe(2);
  });

  it('an empty or missing config file views as no control planes; a malformed entry names its field', async () => {
    const missing = await run(['--config-file', join(dir, 'none.yaml'), 'config', 'view']);
    expect(parseYaml(missing.out)).toEqual({ configFile: join(dir, 'none.yaml'), controlPlanes: [] });
    const bad = join(dir, 'malformed.yaml');
    writeFileSync(bad, 'controlPlanes:\n  - name: a\n    address: http://a:1\n    skipVerify: "yes"\n    headers:\n      "x y": 1\n    authConf:\n      token: t\n');
    const r = await run(['--config-file', bad, 'config', 'view']);
    expect(r.code).toBe(1);
    expect(r.err).toContain('controlPlanes[0].skipVerify: must be true or false');
    expect(r.err).toContain('controlPlanes[0].headers["x y"]: must be a string');
    expect(r.err).toContain('controlPlanes[0].authType: must be "tokens" when authConf is set');
  });

  it('reads $CAUSEWAY_CLI_CONFIG, never causeway-cp\'s $CAUSEWAY_CONFIG; --config-file wins', async () => {
    const cliCfg = join(dir, 'cli.yaml');
    writeFileSync(cliCfg, 'controlPlanes:\n  - name: from-cli-env\n    address: http://c:1\n');
    const cpCfg = join(dir, 'cp.yaml');
    writeFileSync(cpCfg, 'mode: zone\nzone: zone-1\n'); // a causeway-cp config: not the CLI's
    const fromEnv = await run(['config', 'view'], { CAUSEWAY_CLI_CONFIG: cliCfg, CAUSEWAY_CONFIG: cpCfg });
    expect(parseYaml(fromEnv.out).controlPlanes[0].name).toBe('from-cli-env');
    const cpOnly = await run(['config', 'view'], { CAUSEWAY_CONFIG: cpCfg });
    expect(cpOnly.code).toBe(0);
    expect(parseYaml(cpOnly.out)).toEqual({ configFile: join(dir, '.causeway', 'config.yaml'), controlPlanes: [] });
    const flag = await run(['--config-file', cpCfg, 'config', 'view'], { CAUSEWAY_CLI_CONFIG: cliCfg });
    expect(flag.code).toBe(1);
    expect(flag.err).toContain(`config file ${cpCfg} is not valid`);
    expect(flag.err).toContain('  mode: is not a setting of the causeway CLI config (currentControlPlane, controlPlanes)');
    const old = await run(['--config', cliCfg, 'config', 'view']);
    expect(old.code).toBe(2);
    expect(old.err).toContain("unknown option '--config'");
  });
});
