import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { descriptorByCliName, descriptorOf, DESCRIPTORS } from '../descriptors.js';
import { RESOURCE_TYPES } from '../resource.js';
import { policyFolder } from './common.js';
import { POLICIES } from './registry.js';

const folders = readdirSync(import.meta.dirname, { withFileTypes: true })
  .filter((e) => e.isDirectory())
  .map((e) => e.name)
  .sort();

describe('policy registry (derived from the folders)', () => {
  it('has one definition per folder, and a folder per definition, named after the type', () => {
    expect(POLICIES.map((p) => policyFolder(p.type)).sort()).toEqual(folders);
    for (const f of folders) expect(existsSync(join(import.meta.dirname, f, 'api.ts')), `${f}/api.ts`).toBe(true);
  });

  it('every policy has a valid example in its folder (the fuzz tests mutate it)', () => {
    for (const f of folders) expect(existsSync(join(import.meta.dirname, f, 'testdata', 'examples.yaml')), `${f}/testdata/examples.yaml`).toBe(true);
  });

  it('orders the policies by their order, distinct', () => {
    const orders = POLICIES.map((p) => p.order);
    expect(orders).toEqual([...orders].sort((a, b) => a - b));
    expect(new Set(orders).size).toBe(orders.length);
  });

  it('gives every policy its resource type and its descriptor row', () => {
    for (const p of POLICIES) {
      expect(RESOURCE_TYPES).toContain(p.type);
      const d = descriptorOf(p.type);
      expect(d).toMatchObject({ scope: 'mesh', path: p.plural, owner: 'global', sync: 'global-to-zones', specField: 'spec', schema: p.schema });
      expect(d.cli.singular).toBe(policyFolder(p.type));
      for (const alias of [p.plural, ...p.aliases]) expect(descriptorByCliName(alias)?.type, alias).toBe(p.type);
    }
    // The policy rows close the table, in the policies' order.
    expect(DESCRIPTORS.slice(-POLICIES.length).map((d) => d.type)).toEqual(POLICIES.map((p) => p.type));
  });
});
