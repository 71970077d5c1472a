/**
 * Validation parity with Kuma v2.14 for ExternalService, Mesh, ZoneIngress, ZoneEgress,
 * MeshTrafficPermission, MeshTimeout and MeshRetry: every case of `testdata/kuma-parity/*.yaml` (the
 * inputs of Kuma's own validator tests, and cases of our own for the rules they do not reach) must get
 * Kuma's verdict and exactly Kuma's field paths, unless the case records a deliberate difference
 * (`causeway:` and `why:`). The format is described in `testdata/kuma-parity/README.md`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { fromUniversal } from './codec.js';

interface ParityCase {
  name: string;
  from: string;
  /** Kuma's verdict: `valid`, or the field paths it refuses the document on. */
  kuma: 'valid' | string[];
  kuma_messages?: string[];
  /** Only where Causeway deliberately differs from Kuma: its own verdict. */
  causeway?: 'valid' | string[];
  why?: string;
  /** Substrings the reasons must contain (in any field), when a case wants to pin a message. */
  messages?: string[];
  doc: Record<string, unknown>;
}

const DIR = new URL('./testdata/kuma-parity/', import.meta.url);
const FILES = readdirSync(DIR)
  .filter((f) => f.endsWith('.yaml'))
  .sort();
const CASES: { file: string; c: ParityCase }[] = FILES.flatMap((file) => (parse(readFileSync(new URL(file, DIR), 'utf8')) as ParityCase[]).map((c) => ({ file, c })));

/** The distinct field paths of the errors, sorted. */
function fieldsOf(doc: Record<string, unknown>): 'valid' | string[] {
  const { resource, errors } = fromUniversal(doc);
  if (errors.length === 0) {
    expect(resource).toBeDefined();
    return 'valid';
  }
  expect(resource).toBeUndefined();
  return [...new Set(errors.map((e) => e.field))].sort();
}

const sorted = (v: 'valid' | string[]) => (v === 'valid' ? v : [...new Set(v)].sort());

describe('Kuma v2.14 validation parity', () => {
  it('has at least 150 cases, each well-formed', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(150);
    const names = new Set<string>();
    for (const { file, c } of CASES) {
      const key = `${file}: ${c.name}`;
      expect(names.has(key), `duplicate case name ${key}`).toBe(false);
      names.add(key);
      expect(c.kuma === 'valid' || (Array.isArray(c.kuma) && c.kuma.length > 0), key).toBe(true);
      expect(typeof c.from, key).toBe('string');
      // A deliberate difference says why.
      if (c.causeway !== undefined) expect(c.why, `${key}: a difference from Kuma needs a why`).toBeTruthy();
    }
  });

  describe.each(FILES)('%s', (file) => {
    it.each(CASES.filter((x) => x.file === file).map(({ c }) => [c.name, c] as const))('%s', (_name, c) => {
      const expected = sorted(c.causeway ?? c.kuma);
      expect(fieldsOf(c.doc)).toEqual(expected);
      if (c.messages) {
        const reasons = fromUniversal(c.doc).errors.map((e) => `${e.field}: ${e.reason}`);
        for (const m of c.messages) expect(reasons.some((r) => r.includes(m)), `no reason contains ${JSON.stringify(m)}: ${reasons.join('; ')}`).toBe(true);
      }
    });
  });

  it('matches Kuma on most verdicts and field paths (the summary)', () => {
    let verdicts = 0;
    let paths = 0;
    let messages = 0;
    let kumaMessages = 0;
    for (const { c } of CASES) {
      const ours = fieldsOf(c.doc);
      const kuma = sorted(c.kuma);
      if ((ours === 'valid') === (kuma === 'valid')) verdicts++;
      if (JSON.stringify(ours) === JSON.stringify(kuma)) paths++;
      const errors = fromUniversal(c.doc).errors;
      for (const m of c.kuma_messages ?? []) {
        kumaMessages++;
        if (errors.some((e) => e.reason.toLowerCase().includes(m.trim().toLowerCase()))) messages++;
      }
    }
    const differences = CASES.filter(({ c }) => c.causeway !== undefined).length;
    console.log(
      `kuma parity: ${CASES.length} cases; Kuma's verdict in ${verdicts}, Kuma's exact field paths in ${paths}; ${differences} deliberate differences; Kuma's message contained in ${messages} of ${kumaMessages} violations`,
    );
    expect(verdicts + paths).toBeGreaterThan(0);
    // Every case that records no difference gets Kuma's paths (checked one by one above).
    expect(paths).toBeGreaterThanOrEqual(CASES.length - differences);
  });
});
