import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiError } from '@causeway/client';
import { CausewayError, type Resource } from '@causeway/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decodeInputs, parseVars, readInputs } from './apply.js';
import { runCli } from './cli.js';
import {
  addControlPlane,
  defaultConfigPath,
  loadConfig,
  normalizeAddress,
  readTokenFile,
  removeControlPlane,
  saveConfig,
  switchControlPlane,
} from './config.js';
import { resolveTarget } from './connect.js';
import { parseTagFlag } from './generate.js';
import { age, describeResource, formatError, renderTable, resourceTable } from './format.js';
import { nextPageHint } from './get.js';
import { resolveView } from './inspect.js';
import { resolveType } from './types.js';
import { type RecordingIo, recordingIo } from './testing/recording-io.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'causeway-cli-test-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const fakeIo = (opts: { stdin?: string; env?: Record<string, string> } = {}): RecordingIo => recordingIo({ dir, ...opts });

describe('age', () => {
  const now = Date.parse('2026-01-10T12:00:00Z');
  it.each([
    ['2026-01-10T11:59:55Z', '5s'],
    ['2026-01-10T11:59:00Z', '1m'],
    ['2026-01-10T11:57:00Z', '3m'],
    ['2026-01-10T09:59:00Z', '2h'],
    ['2026-01-06T12:00:00Z', '4d'],
    ['2024-01-01T00:00:00Z', '2y'],
    ['2026-01-10T12:00:30Z', '0s'],
  ])('%s -> %s', (time, want) => {
    expect(age(time, now)).toBe(want);
  });
  it('is "-" without a time or with a bad one', () => {
    expect(age(undefined, now)).toBe('-');
    expect(age('yesterday', now)).toBe('-');
  });
});

describe('renderTable', () => {
  it('aligns columns with three spaces and no trailing blanks', () => {
    expect(renderTable(['NAME', 'ADDRESS', 'AGE'], [['httpbin', 'httpbin.org:443', '5s'], ['a', '', '3m']])).toBe(
      ['NAME      ADDRESS           AGE', 'httpbin   httpbin.org:443   5s', 'a                           3m', ''].join('\n'),
    );
  });
  it('prints only the headers for no rows', () => {
    expect(renderTable(['MESH', 'NAME'], [])).toBe('MESH   NAME\n');
  });
});

describe('resourceTable', () => {
  const es: Resource<'ExternalService'> = {
    type: 'ExternalService',
    mesh: 'default',
    name: 'httpbin',
    labels: {},
    version: 1,
    creationTime: '2026-01-10T11:58:00Z',
    spec: { tags: { 'kuma.io/service': 'httpbin', 'kuma.io/protocol': 'http' }, networking: { address: 'httpbin.org:443' } },
  };
  it('has MESH, NAME, the descriptor columns and AGE for a mesh-scoped type', () => {
    const lines = resourceTable('ExternalService', [es], Date.parse('2026-01-10T12:00:00Z')).trimEnd().split('\n');
    expect(lines[0]?.split(/\s{3,}/)).toEqual(['MESH', 'NAME', 'TAGS', 'ADDRESS', 'AGE']);
    expect(lines[1]?.split(/\s{3,}/)).toEqual(['default', 'httpbin', 'kuma.io/protocol=http kuma.io/service=httpbin', 'httpbin.org:443', '2m']);
  });
  it('has no MESH column for a global-scoped type', () => {
    const mesh: Resource<'Mesh'> = { type: 'Mesh', name: 'default', labels: {}, version: 1, spec: {} };
    const header = resourceTable('Mesh', [mesh]).split('\n')[0]!;
    expect(header.split(/\s{3,}/)).toEqual(['NAME', 'mTLS', 'LOCALITY', 'ZONEEGRESS', 'PASSTHROUGH', 'AGE']);
  });
});

describe('resolveType', () => {
  it.each([
    ['external-services', 'ExternalService'],
    ['external-service', 'ExternalService'],
    ['es', 'ExternalService'],
    ['ExternalService', 'ExternalService'],
    ['meshes', 'Mesh'],
    ['mesh', 'Mesh'],
    ['dp', 'Dataplane'],
    ['zone-ingresses', 'ZoneIngress'],
    ['mtp', 'MeshTrafficPermission'],
  ])('%s -> %s', (name, type) => {
    expect(resolveType(name).type).toBe(type);
  });
  it('rejects an unknown name listing the known ones', () => {
    try {
      resolveType('externalz');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(CausewayError);
      expect((e as CausewayError).message).toContain('"externalz"');
      expect((e as CausewayError).fields[0]?.reason).toContain('external-services');
    }
  });
  it('resolves inspect views and their spellings', () => {
    expect(resolveView('zone-ingress')).toBe('zone-ingresses');
    expect(resolveView('dataplanes')).toBe('dataplanes');
    expect(resolveView('services')).toBe('services');
    expect(resolveView('svc')).toBe('services');
    expect(() => resolveView('widgets')).toThrow(/cannot inspect "widgets"/);
  });
});

describe('formatError', () => {
  it('prints details and one line per field', () => {
    const e = new CausewayError('INVALID', 'ExternalService "x" is not valid', [
      { field: 'networking.address', reason: 'must be "host:port"' },
      { field: 'tags', reason: 'is required' },
    ]);
    expect(formatError(e)).toBe('Error: ExternalService "x" is not valid\n  networking.address: must be "host:port"\n  tags: is required\n');
  });
  it('adds the HTTP status, a context and a hint on 401', () => {
    const e = new ApiError(401, { title: 'Unauthorized', details: 'changing a Mesh needs a token' }, 'x');
    const text = formatError(e, 'Mesh "default"');
    expect(text).toContain('Error: Mesh "default": changing a Mesh needs a token (HTTP 401)\n');
    expect(text).toContain('Hint: ');
  });
  it('describes resources', () => {
    expect(describeResource({ type: 'ExternalService', mesh: 'default', name: 'httpbin' })).toBe('ExternalService "httpbin" (mesh default)');
    expect(describeResource({ type: 'Mesh', name: 'default' })).toBe('Mesh "default"');
  });
  it('builds the next-page hint', () => {
    expect(nextPageHint(['get', 'external-services'], { mesh: 'default', size: 2 }, 'abc')).toBe(
      'Rest of the list: causeway get external-services --mesh default --size 2 --offset abc\n',
    );
  });
});

describe('config file', () => {
  it('is empty when missing, and round-trips with mode 0600', () => {
    const file = join(dir, 'sub', 'config.yaml');
    expect(loadConfig(file)).toEqual({ controlPlanes: [] });
    let cfg = addControlPlane(loadConfig(file), { name: 'global', address: 'http://127.0.0.1:5681', authTokenFile: '/tmp/token', mode: 'global' }, false);
    cfg = addControlPlane(cfg, { name: 'zone-1', address: 'http://127.0.0.1:5682', mode: 'zone', zone: 'zone-1' }, false);
    saveConfig(file, cfg);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'sub')).mode & 0o777).toBe(0o700);
    const back = loadConfig(file);
    expect(back.currentControlPlane).toBe('zone-1');
    expect(back.controlPlanes.map((c) => c.name)).toEqual(['global', 'zone-1']);
    expect(back.controlPlanes[0]).toEqual({ name: 'global', address: 'http://127.0.0.1:5681', authTokenFile: '/tmp/token', mode: 'global' });
    // the token itself is never in the file
    expect(readFileSync(file, 'utf8')).not.toMatch(/token:/);
  });
  it('refuses a duplicate name without overwrite and replaces it with', () => {
    const cfg = addControlPlane({ controlPlanes: [] }, { name: 'a', address: 'http://x:1' }, false);
    expect(() => addControlPlane(cfg, { name: 'a', address: 'http://y:2' }, false)).toThrow(/already exists.*--overwrite/);
    const replaced = addControlPlane(cfg, { name: 'a', address: 'http://y:2' }, true);
    expect(replaced.controlPlanes).toEqual([{ name: 'a', address: 'http://y:2' }]);
  });
  it('switches and removes; removing the current one picks the first remaining', () => {
    let cfg = addControlPlane({ controlPlanes: [] }, { name: 'a', address: 'http://x:1' }, false);
    cfg = addControlPlane(cfg, { name: 'b', address: 'http://x:2' }, false);
    expect(switchControlPlane(cfg, 'a').currentControlPlane).toBe('a');
    expect(() => switchControlPlane(cfg, 'c')).toThrow(/"c" is not configured \(known: a, b\)/);
    const removed = removeControlPlane(cfg, 'b');
    expect(removed).toEqual({ currentControlPlane: 'a', controlPlanes: [{ name: 'a', address: 'http://x:1' }] });
    expect(removeControlPlane(removed, 'a')).toEqual({ controlPlanes: [] });
  });
  it('rejects bad names and addresses', () => {
    expect(() => addControlPlane({ controlPlanes: [] }, { name: 'bad name', address: 'http://x:1' }, false)).toThrow(/invalid control plane name/);
    expect(() => normalizeAddress('127.0.0.1:5681')).toThrow(CausewayError);
    expect(() => normalizeAddress('ftp://x')).toThrow(/invalid address/);
    expect(normalizeAddress('http://x:1//')).toBe('http://x:1');
  });
  it('reports malformed files with the field', () => {
    const file = join(dir, 'config.yaml');
    writeFileSync(file, 'controlPlanes:\n  - name: a\n');
    try {
      loadConfig(file);
      expect.unreachable();
    } catch (e) {
      expect((e as CausewayError).fields).toEqual([{ field: 'controlPlanes[0].address', reason: 'is required' }]);
    }
    writeFileSync(file, '- a\n');
    expect(() => loadConfig(file)).toThrow(/must be a YAML map/);
  });
  it('reads token files at use time and refuses empty ones', () => {
    const f = join(dir, 'token');
    writeFileSync(f, 'secret-token\n');
    expect(readTokenFile(f)).toBe('secret-token');
    writeFileSync(f, '\n');
    expect(() => readTokenFile(f)).toThrow(/is empty/);
    expect(() => readTokenFile(join(dir, 'nope'))).toThrow(/ENOENT/);
  });
  it('defaults to ~/.causeway/config.yaml', () => {
    expect(defaultConfigPath('/home/u')).toBe('/home/u/.causeway/config.yaml');
  });
});

describe('target resolution', () => {
  it('uses --address without any config, with a token file relative to the working directory', () => {
    const io = fakeIo();
    expect(resolveTarget({ address: 'http://10.0.0.1:5681/', authTokenFile: 'tok' }, io)).toEqual({ address: 'http://10.0.0.1:5681', authTokenFile: join(dir, 'tok') });
  });
  it('uses the current control plane, --control-plane, or the local default', () => {
    const io = fakeIo();
    const file = join(dir, 'c.yaml');
    expect(resolveTarget({ configFile: file }, io)).toEqual({ address: 'http://127.0.0.1:5681' });
    let cfg = addControlPlane({ controlPlanes: [] }, { name: 'a', address: 'http://a:1', authTokenFile: '/t/a' }, false);
    cfg = addControlPlane(cfg, { name: 'b', address: 'http://b:1' }, false);
    saveConfig(file, cfg);
    expect(resolveTarget({ configFile: file }, io)).toEqual({ address: 'http://b:1', name: 'b' });
    expect(resolveTarget({ configFile: file, controlPlane: 'a' }, io)).toEqual({ address: 'http://a:1', name: 'a', authTokenFile: '/t/a' });
    expect(() => resolveTarget({ configFile: file, controlPlane: 'z' }, io)).toThrow(/"z" is not configured/);
    // CAUSEWAY_CLI_CONFIG is honoured when --config-file is not given; CAUSEWAY_CONFIG (causeway-cp's) is not read
    expect(resolveTarget({}, fakeIo({ env: { CAUSEWAY_CLI_CONFIG: file } })).name).toBe('b');
    expect(resolveTarget({}, fakeIo({ env: { CAUSEWAY_CONFIG: file } }))).toEqual({ address: 'http://127.0.0.1:5681' });
    expect(resolveTarget({ configFile: file }, fakeIo({ env: { CAUSEWAY_CLI_CONFIG: join(dir, 'other.yaml') } })).name).toBe('b');
  });
});

describe('apply input handling', () => {
  it('parses -v key=value (values may hold "=")', () => {
    expect(parseVars(['a=1', 'b=x=y', 'c='])).toEqual({ a: '1', b: 'x=y', c: '' });
    expect(() => parseVars(['novalue'])).toThrow(/invalid variable "novalue"/);
    expect(() => parseVars(['=v'])).toThrow(/invalid variable/);
  });
  it('reads a directory: only *.yaml, *.yml and *.json, sorted', async () => {
    writeFileSync(join(dir, 'b.yml'), 'B');
    writeFileSync(join(dir, 'a.yaml'), 'A');
    writeFileSync(join(dir, 'c.json'), 'C');
    writeFileSync(join(dir, 'notes.txt'), 'no');
    const inputs = await readInputs(['.'], fakeIo());
    expect(inputs.map((i) => [i.source, i.text])).toEqual([
      ['a.yaml', 'A'],
      ['b.yml', 'B'],
      ['c.json', 'C'],
    ]);
  });
  it('reads standard input for -, once', async () => {
    expect(await readInputs(['-'], fakeIo({ stdin: 'X' }))).toEqual([{ source: '<stdin>', text: 'X' }]);
    await expect(readInputs(['-', '-'], fakeIo())).rejects.toThrow(/only once/);
    await expect(readInputs(['missing.yaml'], fakeIo())).rejects.toThrow(/cannot read missing.yaml: ENOENT/);
  });
  it('substitutes variables and keeps file order', () => {
    const planned = decodeInputs(
      [
        { source: 'a.yaml', text: 'type: Mesh\nname: {{ mesh }}\n' },
        { source: 'b.yaml', text: 'type: ExternalService\nmesh: {{mesh}}\nname: es\ntags:\n  kuma.io/service: es\nnetworking:\n  address: {{ host }}:80\n' },
      ],
      { mesh: 'm1', host: 'example.com' },
    );
    expect(planned.map((p) => [p.source, p.resource.type, p.resource.mesh, p.resource.name])).toEqual([
      ['a.yaml', 'Mesh', undefined, 'm1'],
      ['b.yaml', 'ExternalService', 'm1', 'es'],
    ]);
    expect((planned[1]!.resource.spec as { networking: { address: string } }).networking.address).toBe('example.com:80');
  });
});

describe('runCli (no server needed)', () => {
  it('stops at the first invalid document with its index, line and fields, and sends nothing', async () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(
      file,
      [
        'type: Mesh',
        'name: default',
        '---',
        'type: ExternalService',
        'mesh: default',
        'name: broken',
        'tags:',
        '  kuma.io/service: broken',
        'networking:',
        '  address: no-port',
        '---',
        'type: Mesh',
        'name: ok',
        '',
      ].join('\n'),
    );
    const io = fakeIo();
    // The address is unreachable: reaching it would fail with a different error.
    const code = await runCli(['--address', 'http://127.0.0.1:9', 'apply', '-f', file], io);
    expect(code).toBe(1);
    expect(io.out).toBe('');
    expect(io.err).toContain('document 2 (line 4)');
    expect(io.err).toMatch(/\n {2}networking\.address: .*\(line 10\)/);
    expect(io.err).not.toContain('cannot reach');
  });
  it('names a missing template variable', async () => {
    const io = fakeIo({ stdin: 'type: Mesh\nname: {{ name }}\n' });
    expect(await runCli(['--address', 'http://127.0.0.1:9', 'apply', '-f', '-'], io)).toBe(1);
    expect(io.err).toContain('variable "name" is not set');
    expect(io.err).toContain('-v name=VALUE');
  });
  it('reports an unreachable control plane', async () => {
    const io = fakeIo({ stdin: 'type: Mesh\nname: default\n' });
    expect(await runCli(['--address', 'http://127.0.0.1:9', 'apply', '-f', '-'], io)).toBe(1);
    expect(io.err).toMatch(/^Error: <stdin>: document 1 \(line 1\), Mesh "default": cannot reach the control plane at http:\/\/127\.0\.0\.1:9/);
  });
  it('exits 2 on usage errors and 0 on --help', async () => {
    const bad = fakeIo();
    expect(await runCli(['get', 'es', '-o', 'xml'], bad)).toBe(2);
    expect(bad.err).toContain("argument 'xml' is invalid");
    const size = fakeIo();
    expect(await runCli(['get', 'es', '--size', '0'], size)).toBe(2);
    expect(size.err).toContain('between 1 and 1000');
    const help = fakeIo();
    expect(await runCli(['get', '--help'], help)).toBe(0);
    expect(help.out).toContain('external-services (external-service, externalservice, externalservices, es)');
  });
  it('parses repeatable --tag NAME=VALUE[,VALUE...] for dataplane tokens, and names the flag on a bad value', async () => {
    expect(parseTagFlag('kuma.io/service=web')).toEqual({ 'kuma.io/service': ['web'] });
    expect(parseTagFlag('kuma.io/service=web,web-admin')).toEqual({ 'kuma.io/service': ['web', 'web-admin'] });
    expect(parseTagFlag('version=v1', parseTagFlag('kuma.io/service=web'))).toEqual({ 'kuma.io/service': ['web'], version: ['v1'] });
    expect(parseTagFlag('kuma.io/service=web-admin,web', { 'kuma.io/service': ['web'] })).toEqual({ 'kuma.io/service': ['web', 'web-admin'] });
    for (const [bad, why] of [
      ['web', /NAME=VALUE/],
      ['=web', /NAME=VALUE/],
      ['kuma.io/service=', /empty value/],
      ['kuma.io/service=web,', /empty value/],
      ['kuma.io/service=web,version=v1', /one tag per --tag/],
      ['kuma.io/service=we b', /"we b": tag value may contain only/],
      ['bad name=x', /"bad name": tag name may contain only/],
    ] as const)
      expect(() => parseTagFlag(bad), bad).toThrow(why);
    // Through the command line: a usage error (exit 2) naming --tag, before anything is sent.
    const io = fakeIo();
    expect(await runCli(['--address', 'http://127.0.0.1:9', 'generate', 'dataplane-token', '-m', 'default', '--name', 'web-1', '--tag', 'web'], io)).toBe(2);
    expect(io.err).toContain("option '--tag <name=values>' argument 'web' is invalid");
    expect(io.err).toContain('must be NAME=VALUE[,VALUE...], e.g. --tag kuma.io/service=web');
    expect(io.err).not.toContain('cannot reach');
    const help = fakeIo();
    expect(await runCli(['generate', 'dataplane-token', '--help'], help)).toBe(0);
    expect(help.out).toContain('--tag <name=values>');
    expect(help.out).toContain('--tag kuma.io/service=web,web-admin');
  });
  it('rejects -m for a global-scoped type (a usage error, exit 2) and an unknown type before connecting', async () => {
    const io = fakeIo();
    expect(await runCli(['--address', 'http://127.0.0.1:9', 'get', 'zones', '-m', 'default'], io)).toBe(2);
    expect(io.err).toContain('zones are not mesh-scoped');
    const io2 = fakeIo();
    expect(await runCli(['--address', 'http://127.0.0.1:9', 'delete', 'nope', 'x'], io2)).toBe(1);
    expect(io2.err).toContain('unknown resource type "nope"');
  });
  it('lists, switches and removes control planes in the --config file', async () => {
    const file = join(dir, 'cfg.yaml');
    saveConfig(file, addControlPlane(addControlPlane({ controlPlanes: [] }, { name: 'a', address: 'http://a:1', mode: 'global' }, false), { name: 'b', address: 'http://b:1' }, false));
    const list = fakeIo();
    expect(await runCli(['--config-file', file, 'config', 'control-planes', 'list'], list)).toBe(0);
    expect(list.out.split('\n').map((l) => l.split(/\s{3,}/))).toEqual([
      ['ACTIVE', 'NAME', 'ADDRESS', 'MODE', 'ZONE', 'AUTH'],
      ['', 'a', 'http://a:1', 'global', '-', '-'],
      ['*', 'b', 'http://b:1', '-', '-', '-'],
      [''],
    ]);
    expect(await runCli(['--config-file', file, 'config', 'control-planes', 'switch', '--name', 'a'], fakeIo())).toBe(0);
    expect(loadConfig(file).currentControlPlane).toBe('a');
    const missing = fakeIo();
    expect(await runCli(['--config-file', file, 'config', 'control-planes', 'remove', '--name', 'zz'], missing)).toBe(1);
    expect(missing.err).toContain('"zz" is not configured');
    expect(await runCli(['--config-file', file, 'config', 'control-planes', 'remove', '--name', 'a'], fakeIo())).toBe(0);
    expect(loadConfig(file)).toEqual({ currentControlPlane: 'b', controlPlanes: [{ name: 'b', address: 'http://b:1' }] });
  });
  it('refuses to add a control plane that does not answer, and a duplicate name', async () => {
    const file = join(dir, 'cfg.yaml');
    const io = fakeIo();
    expect(await runCli(['--config-file', file, 'config', 'control-planes', 'add', '--name', 'x', '--address', 'http://127.0.0.1:9'], io)).toBe(1);
    expect(io.err).toContain('does not answer');
    expect(loadConfig(file)).toEqual({ controlPlanes: [] });
    saveConfig(file, addControlPlane({ controlPlanes: [] }, { name: 'x', address: 'http://a:1' }, false));
    const dup = fakeIo();
    expect(await runCli(['--config-file', file, 'config', 'control-planes', 'add', '--name', 'x', '--address', 'http://127.0.0.1:9'], dup)).toBe(1);
    expect(dup.err).toContain('already exists');
  });
});
