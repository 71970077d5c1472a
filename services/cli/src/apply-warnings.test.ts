/**
 * `causeway apply` and `causeway import --apply` print the API's warnings (Kuma's `warnings` of a write
 * answer: fields Causeway accepts but does not apply) to stderr, one `Warning: <field>: <reason>` line each,
 * and still exit 0. Against a fake control plane that answers like the API (packages/api warnings.test.ts
 * checks the API's own answers).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeResources, type Resource, unappliedFields, warningText } from '@causeway/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './cli.js';
import { type RecordingIo, recordingIo } from './testing/recording-io.js';

const ES_WARNING = 'networking.disableHostDNSEntry: not applied: the builtin DNS still answers the address\'s host name';

const MTP = `type: MeshTrafficPermission
mesh: default
name: deny-db
spec:
  targetRef:
    kind: Mesh
  from:
    - targetRef:
        kind: MeshService
        labels:
          app: db
      default:
        action: Deny
---
type: MeshTrafficPermission
mesh: default
name: allow-web
spec:
  targetRef:
    kind: Mesh
  from:
    - targetRef:
        kind: MeshService
        name: web
      default:
        action: Allow
`;

// What the API answers for the first document (core's unappliedFields, as the API computes it).
const [DENY_WARNING] = unappliedFields(decodeResources(MTP)[0]?.resource as Resource).map(warningText);

let server: Server;
let base: string;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'causeway-warnings-test-'));
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString();
    });
    req.on('end', () => {
      const json = (status: number, v: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(v));
      };
      if (req.method === 'GET') return json(404, { title: 'Not found', details: 'not found' });
      if (req.method !== 'PUT') return json(405, { title: 'Method not allowed', details: '' });
      const doc = JSON.parse(body) as Record<string, unknown>;
      // What the API answers: the resource, and `warnings` only when it holds fields Causeway does not apply.
      const warnings = doc.name === 'deny-db' ? [DENY_WARNING] : doc.type === 'ExternalService' ? [ES_WARNING] : [];
      res.setHeader('x-causeway-outcome', 'created');
      json(201, { ...doc, version: 1, ...(warnings.length > 0 ? { warnings } : {}) });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});

afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
  rmSync(dir, { recursive: true, force: true });
});

const fakeIo = (): RecordingIo => recordingIo({ dir });

describe('warnings of a write', () => {
  it('causeway apply prints each warning to stderr after its resource, and exits 0', async () => {
    const file = join(dir, 'mtp.yaml');
    writeFileSync(file, MTP);
    const io = fakeIo();
    expect(await runCli(['--address', base, 'apply', '-f', file], io)).toBe(0);
    expect(io.out).toBe('MeshTrafficPermission "deny-db" (mesh default) created\nMeshTrafficPermission "allow-web" (mesh default) created\n');
    expect(io.err).toBe(`Warning: ${DENY_WARNING}\n`);
    expect(DENY_WARNING).toMatch(/^spec\.from\[0\]\.targetRef\.labels: .*this Deny denies nothing in Causeway/);
  });

  it('--dry-run prints the warnings the write would answer (from core), without writing', async () => {
    const file = join(dir, 'mtp.yaml');
    writeFileSync(file, MTP);
    const io = fakeIo();
    expect(await runCli(['--address', base, 'apply', '--dry-run', '-f', file], io)).toBe(0);
    expect(io.out).toContain('MeshTrafficPermission "deny-db" (mesh default) created (dry run)');
    expect(io.err).toBe(`Warning: ${DENY_WARNING}\n`);
  });

  it('causeway import --apply prints them too', async () => {
    const input = fileURLToPath(new URL('./import/testdata/istio-003-currency-api.yaml', import.meta.url));
    const io = fakeIo();
    expect(await runCli(['--address', base, 'import', '-f', input, '--apply'], io)).toBe(0);
    const warnings = io.err.split('\n').filter((l) => l.startsWith('Warning: '));
    expect(warnings).toEqual([`Warning: ${ES_WARNING}`, `Warning: ${ES_WARNING}`]);
  });
});
