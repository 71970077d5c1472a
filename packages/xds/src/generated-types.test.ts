import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const pkg = join(import.meta.dirname, '..');
const committed = join(pkg, 'src', 'generated');

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();
}

describe('generated Envoy types', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'xds-gen-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('regenerating with scripts/gen-types.mjs gives exactly the committed files', () => {
    execFileSync(process.execPath, [join(pkg, 'scripts', 'gen-types.mjs'), join(tmp, 'out')], { stdio: 'pipe' });
    const fresh = files(join(tmp, 'out'));
    const ours = files(committed);
    expect(fresh).toEqual(ours);
    expect(ours).toContain('envoy/config/cluster/v3/Cluster.ts');
    expect(ours).toContain('envoy/service/discovery/v3/AggregatedDiscoveryService.ts');
    for (const f of ours) expect(readFileSync(join(tmp, 'out', f), 'utf8'), f).toBe(readFileSync(join(committed, f), 'utf8'));
  });
});
