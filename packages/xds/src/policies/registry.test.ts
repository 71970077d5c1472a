import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { POLICIES, policyFolder } from '@causeway/core';
import { describe, expect, it } from 'vitest';
import { POLICY_PLUGINS, POLICY_TYPES } from './registry.js';

const dirs = (path: string) =>
  readdirSync(path, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
const folders = dirs(import.meta.dirname);

describe('policy registry (derived from the folders)', () => {
  it('has exactly one plugin per policy type of @causeway/core, in their order', () => {
    expect(POLICY_TYPES).toEqual(POLICIES.map((p) => p.type));
    for (const p of POLICIES) expect(POLICY_PLUGINS.filter((x) => x.api === p), `plugins of ${p.type}`).toHaveLength(1);
  });

  it('has a folder per policy type, named like its folder in @causeway/core, and nothing else', () => {
    expect(folders).toEqual(POLICIES.map((p) => policyFolder(p.type)).sort());
    for (const f of folders) expect(existsSync(join(import.meta.dirname, f, 'plugin.ts')), `${f}/plugin.ts`).toBe(true);
  });

  it('has golden testdata in every policy folder (run by golden.test.ts)', () => {
    for (const f of folders) {
      const testdata = join(import.meta.dirname, f, 'testdata');
      const cases = existsSync(testdata) ? dirs(testdata) : [];
      expect(cases.length, `${f}/testdata/<case>/`).toBeGreaterThan(0);
      for (const c of cases) {
        expect(existsSync(join(testdata, c, 'input.yaml')), `${f}/testdata/${c}/input.yaml`).toBe(true);
        expect(existsSync(join(testdata, c, `${c}.golden.yaml`)), `${f}/testdata/${c}/${c}.golden.yaml`).toBe(true);
      }
    }
  });
});
