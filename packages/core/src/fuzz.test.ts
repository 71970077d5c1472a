/**
 * Generated fuzz test of validation, one per row of the descriptor table: starting from a valid example
 * of the type (testdata/examples.json), every field of it (recursively, array items and map values
 * included) is replaced in turn by every JSON type, null and huge values, and an unknown field is added
 * at every object level. Every mutant must either be accepted or be refused as INVALID with field
 * errors; nothing else may be thrown (that would be a 500 from the API).
 */
import { describe, expect, it } from 'vitest';
import { decodeResource, fromUniversal } from './codec.js';
import { DESCRIPTORS } from './descriptors.js';
import { CausewayError, type FieldError } from './errors.js';
import type { Resource } from './resource.js';
import { documentPath } from './validation.js';
import { type Doc, fieldPaths, getAt, loadExamples, mutants, REPLACEMENTS } from './testing/fuzz.js';

const EXAMPLES = loadExamples();

/** `tags["kuma.io/service"]` (Kuma's notation, which errors use) -> `tags.kuma.io/service` (the mutants' field names). */
function dotted(field: string): string {
  return field.replace(/\[("(?:[^"\\]|\\.)*")\]/g, (_m, key: string) => `.${JSON.parse(key) as string}`);
}

/** The error is about `field` or one of the fields inside it. */
function mentions(e: FieldError, field: string): boolean {
  const f = dotted(documentPath(e.field));
  return f === field || f.startsWith(`${field}.`) || f.startsWith(`${field}[`);
}

interface Outcome {
  resource?: Resource;
  error?: CausewayError;
}

/** Runs a mutant through both entry points; anything but a resource or an INVALID CausewayError fails the test. */
function decode(doc: Doc): Outcome {
  const viaResult = fromUniversal(doc);
  let outcome: Outcome;
  try {
    outcome = { resource: decodeResource(doc) };
  } catch (e) {
    if (!(e instanceof CausewayError)) throw e;
    outcome = { error: e };
  }
  // fromUniversal and decodeResource agree, and a refusal lists its fields.
  if (outcome.resource) {
    expect(viaResult.errors).toEqual([]);
    expect(viaResult.resource).toEqual(outcome.resource);
  } else {
    expect(viaResult.resource).toBeUndefined();
    expect(outcome.error?.fields).toEqual(viaResult.errors);
  }
  return outcome;
}

describe('validation fuzz: every field of every resource type, replaced by every JSON type', () => {
  it('has a valid example for every row of the descriptor table', () => {
    expect(Object.keys(EXAMPLES).sort()).toEqual(DESCRIPTORS.map((d) => d.type).sort());
  });

  for (const d of DESCRIPTORS) {
    describe(d.type, () => {
      const examples = EXAMPLES[d.type] ?? [];
      const all = examples.flatMap((e) => mutants(e));

      it.each(examples.map((e) => [e.name as string, e] as const))('example %s is valid', (_name, example) => {
        const { resource, errors } = fromUniversal(example);
        expect(errors).toEqual([]);
        expect(resource?.type).toBe(d.type);
      });

      it(`refuses each of its ${all.length} mutants with field errors or accepts it, and never throws anything else`, () => {
        // A type whose example lost its fields would pass vacuously: there must be a real number of mutants.
        const fields = examples.reduce((n, e) => n + fieldPaths(e).length, 0);
        expect(fields, `${d.type}: fields enumerated`).toBeGreaterThanOrEqual(3);
        expect(all.length, `${d.type}: mutants enumerated`).toBeGreaterThanOrEqual(fields * REPLACEMENTS.length);
        expect(all.length).toBeGreaterThanOrEqual(40);

        const problems: string[] = [];
        let refused = 0;
        for (const m of all) {
          const started = performance.now();
          let outcome: Outcome;
          try {
            outcome = decode(m.doc);
          } catch (e) {
            problems.push(`${m.name}: threw ${(e as Error)?.stack?.split('\n').slice(0, 2).join(' ') ?? String(e)}`);
            continue;
          }
          const ms = performance.now() - started;
          if (ms > 500) problems.push(`${m.name}: took ${ms.toFixed(0)} ms`);
          if (outcome.resource) {
            // null may stand for an absent optional field (YAML `labels:` with nothing after it).
            if (m.wrongType && !m.added && getAt(m.doc, m.path) !== null) problems.push(`${m.name}: accepted a value of the wrong type`);
            continue;
          }
          refused += 1;
          const err = outcome.error!;
          if (err.code !== 'INVALID') problems.push(`${m.name}: code ${err.code}, not INVALID`);
          if (err.fields.length === 0) problems.push(`${m.name}: refused without field errors (${err.message})`);
          for (const f of err.fields) {
            if (typeof f.field !== 'string' || typeof f.reason !== 'string' || f.reason.trim() === '')
              problems.push(`${m.name}: field error without a reason: ${JSON.stringify(f)}`);
          }
          if (m.wrongType && !err.fields.some((f) => mentions(f, m.field)))
            problems.push(`${m.name}: no error names ${m.field}: ${JSON.stringify(err.fields.map((f) => f.field))}`);
        }
        expect(problems).toEqual([]);
        // Most mutants are wrong; a run that refused nothing did not test validation.
        expect(refused).toBeGreaterThan(all.length / 2);
      });
    });
  }
});
