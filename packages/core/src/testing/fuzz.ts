/**
 * Test helpers for fuzzing resources (built and exported as `@causeway/core/testing`, because the API's
 * fuzz test uses them too): a seeded PRNG, the valid example of every resource type, and the mutants of
 * an example — every field replaced by each value of `REPLACEMENTS`, and an unknown field added at every
 * object level.
 */
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { policyFolder } from '../policies/common.js';
import { POLICIES } from '../policies/registry.js';
import { formatPath } from '../validation.js';

export type Doc = Record<string, unknown>;
export type Path = (string | number)[];

/**
 * Valid examples of every resource type, by type: `src/testdata/examples.json`, and for each policy
 * `src/policies/<name>/testdata/examples.yaml` (its folder).
 */
export function loadExamples(): Record<string, Doc[]> {
  // The same relative paths from src/testing/ and from dist/testing/.
  const src = (path: string) => readFileSync(new URL(`../../src/${path}`, import.meta.url), 'utf8');
  const out = JSON.parse(src('testdata/examples.json')) as Record<string, Doc[]>;
  for (const p of POLICIES) out[p.type] = parseAllDocuments(src(`policies/${policyFolder(p.type)}/testdata/examples.yaml`)).map((d) => d.toJS() as Doc);
  return out;
}

/** mulberry32: a small seeded PRNG, so a failing case can be replayed from its seed. */
export class Rand {
  private a: number;
  constructor(seed: number) {
    this.a = seed >>> 0;
  }
  next(): number {
    this.a = (this.a + 0x6d2b79f5) >>> 0;
    let t = this.a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)] as T;
  }
  /** `n` items of `items` in random order (all of them when n >= length). */
  sample<T>(items: readonly T[], n: number): T[] {
    const copy = [...items];
    for (let i = copy.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
    }
    return copy.slice(0, n);
  }
}

function nested(depth: number): unknown {
  let v: unknown = { leaf: 1 };
  for (let i = 0; i < depth; i++) v = { a: v };
  return v;
}

/** What every field is replaced by, in turn. */
export const REPLACEMENTS: readonly (readonly [string, unknown])[] = [
  ['null', null],
  ['true', true],
  ['0', 0],
  ['-1', -1],
  ['1e308', 1e308],
  ['2^64', 2 ** 64],
  ['""', ''],
  ['10,000 characters', 'x'.repeat(10_000)],
  ['[]', []],
  ['[{}]', [{}]],
  ['{}', {}],
  ['{"x":1}', { x: 1 }],
  ['an object 50 levels deep', nested(50)],
];
export const UNKNOWN_FIELD = 'fuzzUnknownField';

export function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

function children(v: unknown): [string | number, unknown][] {
  if (v === null || typeof v !== 'object') return [];
  return Array.isArray(v) ? v.map((x, i) => [i, x]) : Object.entries(v);
}

/** Every path below `v` (not `v` itself): object fields, map values and array items, depth first. */
export function fieldPaths(v: unknown, path: Path = []): Path[] {
  return children(v).flatMap(([k, c]) => [[...path, k], ...fieldPaths(c, [...path, k])]);
}

/** `v` itself and every object (not list) below it. */
export function objectPaths(v: unknown, path: Path = []): Path[] {
  const own = v !== null && typeof v === 'object' && !Array.isArray(v) ? [path] : [];
  return [...own, ...children(v).flatMap(([k, c]) => objectPaths(c, [...path, k]))];
}

export function getAt(doc: unknown, path: Path): unknown {
  let node = doc;
  for (const seg of path) node = (node as Record<string | number, unknown>)[seg];
  return node;
}

/** A copy of `doc` with `value` at `path`. */
export function setAt(doc: Doc, path: Path, value: unknown): Doc {
  const copy = structuredClone(doc);
  const parent = getAt(copy, path.slice(0, -1)) as Record<string | number, unknown>;
  parent[path[path.length - 1] as string | number] = structuredClone(value);
  return copy;
}

export interface Mutant {
  /** `networking.tls.caCert.inline = null` */
  name: string;
  doc: Doc;
  /** The field the mutation is about, in the path style of field errors. */
  field: string;
  path: Path;
  /** The field now holds a value of another JSON type than the example's, or is an unknown field: a refusal must name it. */
  wrongType: boolean;
  /** An unknown field was added (it may still be valid: a new key of a map). */
  added: boolean;
}

export function mutants(example: Doc): Mutant[] {
  const out: Mutant[] = [];
  for (const path of fieldPaths(example)) {
    const original = getAt(example, path);
    const field = formatPath(path);
    for (const [label, value] of REPLACEMENTS) {
      out.push({ name: `${field} = ${label}`, doc: setAt(example, path, value), field, path, wrongType: jsonType(value) !== jsonType(original), added: false });
    }
  }
  for (const path of objectPaths(example)) {
    const field = formatPath([...path, UNKNOWN_FIELD]);
    out.push({ name: `${field} added`, doc: setAt(example, [...path, UNKNOWN_FIELD], 1), field, path: [...path, UNKNOWN_FIELD], wrongType: true, added: true });
  }
  return out;
}
