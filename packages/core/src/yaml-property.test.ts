/**
 * Property test of the YAML reader: random YAML texts (maps, sequences and scalars of random depth in
 * block and flow style, anchors and aliases, tags, directives, several documents, resource-shaped
 * documents with random types, and garbage) go through `decodeResources`. Every outcome is resources or
 * a CausewayError that is INVALID (or an input limit, 413), with field errors; never another exception,
 * and every text is read quickly. A failure prints its seed: replay it with YAML_SEED=<seed>, run more
 * with YAML_RUNS=<n> (YAML_COUNTS=1 prints how many texts ended each way).
 *
 * Cases it found and that are fixed: an alias to no anchor, alias expansion past the library's own alias
 * budget, a YAML 1.1 merge of a non-map, `type` given as a map with a `toString` key, and a document with
 * thousands of unknown keys (each a field error whose line was looked up in quadratic time).
 */
import { describe, expect, it } from 'vitest';
import { CausewayError } from './errors.js';
import { isResourceType } from './descriptors.js';
import { fieldPaths, loadExamples, Rand } from './testing/fuzz.js';
import { decodeResources } from './yaml.js';

const EXAMPLES = loadExamples();
const EXAMPLE_LIST = Object.values(EXAMPLES).flat();

const REPLAY = process.env.YAML_SEED ? Number(process.env.YAML_SEED) : undefined;
const BASE_SEED = REPLAY ?? 20_261_114;
const RUNS = REPLAY !== undefined ? 1 : Number(process.env.YAML_RUNS || 1500);
/** A text that takes longer than this to be read or refused fails the test. */
const MAX_MS = 2000;
/** Unknown fields in one document: each is a field error whose line decodeResources looks up. */
const MAX_UNKNOWN_KEYS = 5000;

// --- random YAML ---------------------------------------------------------------------------------

const WORDS = ['type', 'mesh', 'name', 'spec', 'tags', 'networking', 'address', 'tls', 'inbound', 'port', 'kuma.io/service', 'default', 'a', 'b', 'x', '__proto__', 'constructor', 'toString', 'labels', 'from', 'to', 'targetRef', 'kind'];
const SCALARS = [
  'null',
  '~',
  'true',
  'false',
  'yes',
  'off',
  '0',
  '-1',
  '007',
  '0x1F',
  '0o17',
  '1e308',
  '-1e400',
  '18446744073709551616',
  '123456789012345678901234567890',
  '.inf',
  '-.inf',
  '.nan',
  '3.14',
  '""',
  "''",
  '"with \\"escapes\\" \\x00 \\u2028 \\U0001F600"',
  "'single ''quoted'''",
  'plain words here',
  'kuma.io/service',
  'httpbin.org:443',
  'Mesh',
  'ExternalService',
  'MeshTrafficPermission',
  '2026-01-02T03:04:05Z',
  '2001-12-14',
  '!!str 5',
  '!!int "12"',
  '!!float 1',
  '!!bool "true"',
  '!!null ""',
  '!!binary aGVsbG8=',
  '!custom value',
  '!!timestamp 2001-12-14',
  '{{ mesh }}',
  '{{ missing }}',
  '"{{ mesh }}-x"',
];
const GARBAGE = ['\t', '\r', '\n', ' ', ':', '-', '?', ',', '[', ']', '{', '}', '&', '*', '!', '|', '>', "'", '"', '%', '@', '`', '#', '\u0000', '\u0007', '\ufeff', '\u2028', 'é', '😀', '\\', '<<', '---', '...'];

interface Ctx {
  r: Rand;
  anchors: string[];
  nodes: number;
}

function scalar(c: Ctx): string {
  if (c.r.chance(0.2)) return c.r.pick(WORDS);
  if (c.r.chance(0.05)) return `"${'y'.repeat(c.r.int(5000))}"`;
  return c.r.pick(SCALARS);
}

function key(c: Ctx): string {
  if (c.r.chance(0.05)) return '<<';
  if (c.r.chance(0.05)) return c.r.pick(SCALARS);
  if (c.r.chance(0.03)) return `? ${c.r.pick(WORDS)}\n`;
  return c.r.pick(WORDS);
}

/** Anchor or alias decorations, and sometimes a tag. */
function anchor(c: Ctx): string {
  if (!c.r.chance(0.15)) return '';
  const name = `a${c.r.int(6)}`;
  c.anchors.push(name);
  return `&${name} `;
}

function alias(c: Ctx): string | undefined {
  if (!c.r.chance(0.1)) return undefined;
  if (c.anchors.length === 0 || c.r.chance(0.1)) return `*nowhere${c.r.int(3)}`;
  return `*${c.r.pick(c.anchors)}`;
}

function flow(c: Ctx, depth: number): string {
  c.nodes += 1;
  const a = alias(c);
  if (a) return a;
  if (depth <= 0 || c.nodes > 400 || c.r.chance(0.35)) return anchor(c) + scalar(c);
  const n = c.r.int(5);
  const items: string[] = [];
  if (c.r.chance(0.5)) {
    for (let i = 0; i < n; i++) items.push(flow(c, depth - 1));
    return `${anchor(c)}[${items.join(', ')}${c.r.chance(0.1) ? ',' : ''}]`;
  }
  for (let i = 0; i < n; i++) items.push(`${c.r.pick(WORDS)}: ${flow(c, depth - 1)}`);
  return `${anchor(c)}{${items.join(', ')}}`;
}

/** A block node at `indent`, as the text after `key:` or `- ` (starting with a space or a newline). */
function block(c: Ctx, depth: number, indent: number): string {
  c.nodes += 1;
  const a = alias(c);
  if (a) return ` ${a}`;
  if (depth <= 0 || c.nodes > 400 || c.r.chance(0.3)) {
    if (c.r.chance(0.1)) return ` ${c.r.pick(['|', '>', '|-', '>+'])}\n${' '.repeat(indent + 2)}line one\n${' '.repeat(indent + 2)}line two`;
    return c.r.chance(0.2) ? ` ${flow(c, depth)}` : ` ${anchor(c)}${scalar(c)}`;
  }
  const pad = ' '.repeat(indent);
  const n = 1 + c.r.int(4);
  const lines: string[] = [];
  const head = anchor(c);
  if (c.r.chance(0.5)) {
    for (let i = 0; i < n; i++) lines.push(`${pad}-${block(c, depth - 1, indent + 2)}`);
  } else {
    for (let i = 0; i < n; i++) lines.push(`${pad}${key(c)}:${block(c, depth - 1, indent + 2)}`);
  }
  return `${head ? ` ${head.trim()}` : ''}\n${lines.join('\n')}`;
}

function randomDocument(c: Ctx): string {
  const depth = c.r.int(8);
  if (c.r.chance(0.3)) return flow(c, depth);
  const body = block(c, depth, 0);
  return body.startsWith('\n') ? body.slice(1) : body;
}

// --- resource-shaped documents -------------------------------------------------------------------

function randomValue(c: Ctx, depth: number): unknown {
  const k = c.r.int(10);
  if (k === 0) return null;
  if (k === 1) return c.r.chance(0.5);
  if (k === 2) return c.r.pick([0, -1, 1.5, 1e308, 2 ** 64, 65536, 443]);
  if (k === 3) return c.r.pick(['', 'x'.repeat(c.r.int(3000)), 'httpbin', 'not base64!', '5s', 'Mesh', 'Allow', '{{ mesh }}']);
  if (k === 4 && depth > 0) return Array.from({ length: c.r.int(3) }, () => randomValue(c, depth - 1));
  if (k === 5 && depth > 0) return Object.fromEntries(Array.from({ length: c.r.int(3) }, () => [c.r.pick(WORDS), randomValue(c, depth - 1)]));
  return c.r.pick(['default', 'kuma.io/service', 'httpbin.org:443', '10.0.0.1', 'MeshService']);
}

/** Renders a JS value as YAML: block or flow at random, strings quoted when plain would change them. */
function render(c: Ctx, v: unknown, indent: number): string {
  const pad = ' '.repeat(indent);
  if (v === null) return ' null';
  if (typeof v === 'string') return ` ${c.r.chance(0.5) || !/^[A-Za-z][A-Za-z0-9./-]*$/.test(v) ? JSON.stringify(v) : v}`;
  if (typeof v !== 'object') return ` ${String(v)}`;
  if (c.r.chance(0.15)) return ` ${JSON.stringify(v)}`; // JSON is flow YAML
  const entries: [string | number, unknown][] = Array.isArray(v) ? v.map((x, i) => [i, x]) : Object.entries(v);
  if (entries.length === 0) return Array.isArray(v) ? ' []' : ' {}';
  const lines = entries.map(([k, x]) => (typeof k === 'number' ? `${pad}-${render(c, x, indent + 2)}` : `${pad}${JSON.stringify(k)}:${render(c, x, indent + 2)}`));
  return `\n${lines.join('\n')}`;
}

function resourceDocument(c: Ctx): string {
  const doc = structuredClone(c.r.pick(EXAMPLE_LIST));
  const paths = fieldPaths(doc);
  const mutations = c.r.chance(0.25) ? 0 : 1 + c.r.int(3);
  for (let i = 0; i < mutations && paths.length > 0; i++) {
    const path = c.r.pick(paths);
    let node = doc as Record<string | number, unknown>;
    for (const seg of path.slice(0, -1)) {
      const next = node[seg];
      if (next === null || typeof next !== 'object') break;
      node = next as Record<string | number, unknown>;
    }
    const last = path[path.length - 1]!;
    if (c.r.chance(0.15)) delete node[last];
    else node[last] = randomValue(c, 3);
  }
  const text = render(c, doc, 0);
  return text.startsWith('\n') ? text.slice(1) : text;
}

// --- whole texts ---------------------------------------------------------------------------------

function corrupt(c: Ctx, text: string): string {
  let t = text;
  for (let i = 0, n = 1 + c.r.int(4); i < n; i++) {
    const at = c.r.int(t.length + 1);
    switch (c.r.int(4)) {
      case 0:
        t = t.slice(0, at) + c.r.pick(GARBAGE) + t.slice(at);
        break;
      case 1:
        t = t.slice(0, at) + t.slice(at + 1 + c.r.int(10));
        break;
      case 2: {
        const lines = t.split('\n');
        const l = c.r.int(lines.length);
        lines.splice(l, 0, lines[l] ?? '');
        t = lines.join('\n');
        break;
      }
      default:
        t = t.slice(0, at) + String.fromCharCode(c.r.int(0x3000)) + t.slice(at);
    }
  }
  return t;
}

function garbage(c: Ctx): string {
  return Array.from({ length: c.r.int(300) }, () => (c.r.chance(0.6) ? c.r.pick(GARBAGE) : String.fromCharCode(c.r.int(128)))).join('');
}

/** Inputs that cost a naive reader a lot: nesting, alias expansion, many keys. */
function pathological(c: Ctx): string {
  switch (c.r.int(6)) {
    case 0:
      return `${'['.repeat(50 + c.r.int(5000))}1`;
    case 1:
      return `${'{a: '.repeat(50 + c.r.int(3000))}1`;
    case 2: {
      // billion laughs
      const levels = 3 + c.r.int(7);
      const lines = ['a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]'];
      for (let i = 1; i <= levels; i++) lines.push(`a${i}: &a${i} [${Array.from({ length: 10 }, () => `*a${i - 1}`).join(', ')}]`);
      return lines.join('\n');
    }
    case 3:
      return Array.from({ length: 100 + c.r.int(3000) }, (_, i) => `${'  '.repeat(i % 40)}- k${i}:`).join('\n');
    case 4:
      return `type: Zone\nname: z\n${Array.from({ length: c.r.int(MAX_UNKNOWN_KEYS) }, (_, i) => `k${i}: ${i}`).join('\n')}`;
    default:
      return `${Array.from({ length: 2 + c.r.int(200) }, () => 'type: Zone\nname: z-1\n').join('---\n')}`;
  }
}

function randomText(seed: number): { text: string; vars: Record<string, string> } {
  const c: Ctx = { r: new Rand(seed), anchors: [], nodes: 0 };
  const docs: string[] = [];
  for (let i = 0, n = 1 + c.r.int(3); i < n; i++) {
    c.anchors = [];
    const kind = c.r.int(10);
    let doc: string;
    if (kind < 4) doc = resourceDocument(c);
    else if (kind < 8) doc = randomDocument(c);
    else if (kind < 9) doc = garbage(c);
    else doc = pathological(c);
    if (c.r.chance(0.2)) doc = corrupt(c, doc);
    docs.push(doc);
  }
  let text = docs.join(c.r.chance(0.1) ? '\n...\n---\n' : '\n---\n');
  if (c.r.chance(0.05)) text = `%YAML 1.1\n---\n${text}`;
  if (c.r.chance(0.05)) text = `---\n${text}\n---\n`;
  if (c.r.chance(0.03)) text = text.replace(/\n/g, '\r\n');
  return { text, vars: c.r.chance(0.5) ? { mesh: 'default' } : {} };
}

// --- the property ---------------------------------------------------------------------------------

type Outcome = 'resources' | 'invalid' | 'limit';

function outcomeOf(text: string, vars: Record<string, string>): Outcome {
  let docs: ReturnType<typeof decodeResources>;
  try {
    docs = decodeResources(text, { vars, source: 'fuzz.yaml' });
  } catch (e) {
    if (!(e instanceof CausewayError)) throw e;
    // INVALID, or an input limit (413): both are the user's input, answered with its fields.
    if (e.code !== 'INVALID' && e.status !== 413) throw e;
    if (e.fields.length === 0) throw new Error(`${e.code} without field errors: ${e.message}`);
    for (const f of e.fields) if (typeof f.reason !== 'string' || f.reason === '') throw new Error(`field error without a reason: ${JSON.stringify(f)}`);
    return e.code === 'INVALID' ? 'invalid' : 'limit';
  }
  if (docs.length === 0) throw new Error('no resources and no error');
  for (const d of docs) if (!isResourceType(d.resource.type)) throw new Error(`decoded a resource of unknown type ${JSON.stringify(d.resource.type)}`);
  return 'resources';
}

describe('decodeResources on random YAML', () => {
  it(`reads or refuses ${RUNS} random texts (base seed ${BASE_SEED}) with INVALID, never another exception, quickly`, { timeout: 600_000 }, () => {
    const counts: Record<Outcome, number> = { resources: 0, invalid: 0, limit: 0 };
    const failures: string[] = [];
    for (let i = 0; i < RUNS; i++) {
      const seed = (BASE_SEED + i) >>> 0;
      const { text, vars } = randomText(seed);
      const started = performance.now();
      try {
        counts[outcomeOf(text, vars)] += 1;
      } catch (e) {
        failures.push(`YAML_SEED=${seed}: ${(e as Error)?.name}: ${String((e as Error)?.message).slice(0, 200)}\n  input: ${JSON.stringify(text.slice(0, 200))}`);
        continue;
      }
      const ms = performance.now() - started;
      if (ms > MAX_MS) failures.push(`YAML_SEED=${seed}: took ${ms.toFixed(0)} ms (${text.length} characters)`);
    }
    if (failures.length > 0) console.error(`decodeResources property failures (replay with YAML_SEED=<seed>):\n${failures.join('\n')}`);
    if (process.env.YAML_COUNTS) console.log(JSON.stringify(counts));
    expect(failures).toEqual([]);
    // The generator must reach every outcome, or the property says little.
    if (RUNS >= 500) {
      expect(counts.resources, JSON.stringify(counts)).toBeGreaterThan(RUNS / 50);
      expect(counts.invalid, JSON.stringify(counts)).toBeGreaterThan(RUNS / 4);
    }
  });
});
