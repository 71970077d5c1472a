/**
 * `causeway import` driven in-process through runCli (no server): what goes to stdout and stderr, the
 * exit codes, and flag errors naming the flag.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { runCli } from '../cli.js';
import { type RecordingIo, recordingIo } from '../testing/recording-io.js';

const TESTDATA = fileURLToPath(new URL('./testdata/', import.meta.url));
const EXAMPLE_003 = join(TESTDATA, 'istio-003-currency-api.yaml');

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'causeway-import-test-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const fakeIo = (stdin = ''): RecordingIo => recordingIo({ dir, stdin });

async function run(args: string[], stdin = '') {
  const io = fakeIo(stdin);
  // An address nothing listens on: a command that tried to reach it would fail differently.
  const code = await runCli(['--address', 'http://127.0.0.1:9', 'import', ...args], io);
  return { code, out: io.out, err: io.err };
}

describe('causeway import', () => {
  it('prints the resources as YAML (the default) and the notes and a summary on stderr', async () => {
    const r = await run(['-f', EXAMPLE_003]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^# from ServiceEntry "currency-api" \(.*istio-003-currency-api\.yaml: document 1 \(line 3\)\)\ntype: ExternalService\n/);
    expect(r.out.split('\n---\n')).toHaveLength(3);
    expect(r.err.split('\n')).toEqual([
      expect.stringMatching(/^note: .*: ServiceEntry "currency-api" spec\.resolution \(NONE/),
      expect.stringMatching(/^note: .*: VirtualService "currency-timeout" spec\.http \(applies to the HTTP ports only/),
      'imported 3 resources (2 ExternalServices, 1 MeshTimeout) from 2 of 2 objects; 0 not mapped, 2 notes',
      '',
    ]);
  });

  it('-o json prints {total, items} in the universal format; -m sets the mesh', async () => {
    const r = await run(['-f', EXAMPLE_003, '-o', 'json', '-m', 'shop']);
    expect(r.code).toBe(0);
    const body = JSON.parse(r.out) as { total: number; items: { type: string; mesh: string; name: string }[] };
    expect(body.total).toBe(3);
    expect(body.items.map((i) => `${i.mesh}/${i.type}/${i.name}`)).toEqual(['shop/ExternalService/www-ecb-europa-eu-80', 'shop/ExternalService/www-ecb-europa-eu-443', 'shop/MeshTimeout/currency-timeout']);
  });

  it('reads standard input (-f -) and directories, several -f in order', async () => {
    const sub = join(dir, 'istio');
    mkdirSync(sub);
    copyFileSync(join(TESTDATA, 'istio-002-tls-origination.yaml'), join(sub, 'b.yaml'));
    copyFileSync(join(TESTDATA, 'gloo-001-routing.yaml'), join(sub, 'a.yml'));
    const r = await run(['-f', 'istio', '-f', '-'], readFileSync(EXAMPLE_003, 'utf8'));
    expect(r.code).toBe(0);
    const names = r.out
      .split('\n---\n')
      .map((d) => parse(d) as { name: string })
      .map((d) => d.name);
    expect(names).toEqual([
      'httpbin-org-80',
      'inventory-db-internal-example-com-5432-1',
      'inventory-db-internal-example-com-5432-2',
      'www-googleapis-com-443',
      'www-ecb-europa-eu-80',
      'www-ecb-europa-eu-443',
      'currency-timeout',
    ]);
    expect(r.err).toContain('note: <stdin>: document 1 (line 7): ServiceEntry "currency-api" spec.resolution');
    expect(r.err).toContain('note: istio/b.yaml: document 2 (line 29): DestinationRule');
  });

  it('exits 1 when nothing could be converted, after saying why for each document', async () => {
    writeFileSync(join(dir, 'gw.yaml'), 'apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata:\n  name: egress\nspec: {}\n');
    const r = await run(['-f', 'gw.yaml']);
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err.split('\n')).toEqual([
      expect.stringMatching(/^not mapped: gw\.yaml: document 1 \(line 1\): Gateway "egress" \(Gateway \(networking\.istio\.io\/v1\) is not imported/),
      'imported 0 resources from 0 of 1 object; 1 not mapped, 0 notes',
      'Error: nothing could be converted',
      '  -f: no ServiceEntry or Gloo Mesh ExternalService of the input became an ExternalService: see the lines above',
      '',
    ]);
  });

  it('flag errors name the flag: usage errors exit 2, a missing -f or unreadable file exits 1', async () => {
    const dry = await run(['-f', EXAMPLE_003, '--dry-run']);
    expect(dry).toMatchObject({ code: 2, out: '' });
    expect(dry.err).toContain("option '--dry-run' goes with '--apply'");
    const both = await run(['-f', EXAMPLE_003, '--apply', '-o', 'yaml']);
    expect(both).toMatchObject({ code: 2, out: '' });
    expect(both.err).toContain("option '-o, --output' prints the converted resources instead of applying them");
    const table = await run(['-f', EXAMPLE_003, '-o', 'table']);
    expect(table.code).toBe(2);
    expect(table.err).toContain("option '-o, --output <format>' argument 'table' is invalid. Allowed choices are yaml, json.");
    const mesh = await run(['-f', EXAMPLE_003, '-m', 'no good']);
    expect(mesh.code).toBe(2);
    expect(mesh.err).toContain("option '-m, --mesh <mesh>' argument 'no good' is invalid. must start and end with a letter or digit");
    const none = await run([]);
    expect(none.code).toBe(1);
    expect(none.err).toBe('Error: nothing to import\n  -f: give a file, a directory or - for standard input (Istio or Gloo Mesh YAML)\n');
    const missing = await run(['-f', 'nope.yaml']);
    expect(missing).toMatchObject({ code: 1, err: 'Error: cannot read nope.yaml: ENOENT\n' });
    const broken = await run(['-f', '-'], 'kind: [unclosed\n');
    expect(broken.code).toBe(1);
    expect(broken.err).toMatch(/^Error: <stdin>: document 1, line \d: YAML syntax error/);
  });

  it('--apply talks to the control plane (and says which resource failed, after the notes)', async () => {
    const r = await run(['-f', EXAMPLE_003, '--apply']);
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toContain('imported 3 resources');
    expect(r.err).toMatch(
      /\nError: ExternalService "www-ecb-europa-eu-80" \(mesh default\) \(from ServiceEntry "currency-api" \(.*istio-003-currency-api\.yaml: document 1 \(line 3\)\)\): cannot reach the control plane at http:\/\/127\.0\.0\.1:9/,
    );
  });

  it('--help lists the flags', async () => {
    const io = fakeIo();
    expect(await runCli(['import', '--help'], io)).toBe(0);
    for (const flag of ['-f, --file', '-m, --mesh', '-o, --output', '--apply', '--dry-run', '-v, --var']) expect(io.out).toContain(flag);
  });
});
