/**
 * YAML/JSON codec for resource files: multi-document, `{{ var }}` substitution (`-v key=value`),
 * and errors that carry the document index (1-based) and the line of the offending field.
 */
import { type CST, Composer, type Document, isAlias, isMap, isPair, isScalar, isSeq, LineCounter, Lexer, type Node, type Pair, Parser, stringify } from 'yaml';
import { decodeResource, type EncodeOptions, toUniversal } from './codec.js';
import { CausewayError, type FieldError } from './errors.js';
import { assertShape, INPUT_LIMITS, type InputLimits, tooDeep, tooManyNodes } from './limits.js';
import type { Resource } from './resource.js';
import { documentPath } from './validation.js';

export interface SourceDocument {
  /** 1-based index of the document in its file. */
  index: number;
  /** 1-based line where the document starts. */
  line: number;
  value: unknown;
  /** Line of a field (`networking.tls.caCert`, `inbound[0].port`, `tags["kuma.io/service"]`), or of its closest parent present. */
  lineOf(field: string): number;
}

const VAR_RE = /\{\{\s*([A-Za-z_][A-Za-z0-9_.-]*)\s*\}\}/g;

/** Replaces `{{ name }}` with vars[name]; a missing variable is an error naming it and its line. */
export function substituteVars(text: string, vars: Record<string, string>, source = 'input'): string {
  // variable name -> lines where it is used but not set (one error per variable, not per use)
  const missing = new Map<string, number[]>();
  // Lines are counted forward from the previous match: linear in the text, however many matches.
  let line = 1;
  let counted = 0;
  const lineAt = (offset: number) => {
    for (let i = text.indexOf('\n', counted); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) line += 1;
    counted = offset;
    return line;
  };
  const out = text.replace(VAR_RE, (match, name: string, offset: number) => {
    const v = vars[name];
    if (v === undefined) {
      const lines = missing.get(name) ?? [];
      if (lines.length < 10) lines.push(lineAt(offset));
      missing.set(name, lines);
      return match;
    }
    return v;
  });
  if (missing.size > 0) {
    const names = [...missing.keys()];
    const fields: FieldError[] = [...missing].map(([name, lines]) => ({
      field: `{{ ${name} }}`,
      reason: `variable "${name}" is not set (line${lines.length > 1 ? 's' : ''} ${lines.join(', ')}); pass it with -v ${name}=VALUE`,
    }));
    throw new CausewayError('INVALID', `${source}: missing template variable${names.length > 1 ? 's' : ''} ${names.map((n) => `"${n}"`).join(', ')}`, fields);
  }
  return out;
}

const keyIndexes = new WeakMap<object, Map<string, Pair>>();

/** The pairs of a map by key text, built once per map (field errors look lines up many times). */
function keyIndex(map: { items: unknown[] }): Map<string, Pair> {
  let index = keyIndexes.get(map);
  if (!index) {
    index = new Map();
    for (const pair of map.items) if (isPair(pair) && isScalar(pair.key)) index.set(String(pair.key.value), pair);
    keyIndexes.set(map, index);
  }
  return index;
}

/** Splits a path like `tags["kuma.io/service"]`, `tags.kuma.io/service` or `inbound[0].port` against the actual YAML keys. */
function lineOfPath(root: Node | null | undefined, field: string, lc: LineCounter, fallback: number): number {
  let node: Node | null | undefined = root;
  let line = fallback;
  let rest = field;
  const lineAt = (n: Node | null | undefined) => (n?.range ? lc.linePos(n.range[0]).line : undefined);
  while (rest !== '' && node) {
    if (isSeq(node)) {
      const m = /^\[(\d+)\]\.?/.exec(rest);
      if (!m) break;
      const item = node.items[Number(m[1])] as Node | undefined;
      if (!item) break;
      node = item;
      line = lineAt(item) ?? line;
      rest = rest.slice(m[0].length);
    } else if (isMap(node)) {
      const index = keyIndex(node);
      // A map key in Kuma's notation: `["kuma.io/service"]`.
      const quoted = /^\[("(?:[^"\\]|\\.)*")\]\.?/.exec(rest);
      if (quoted) {
        const pair = index.get(JSON.parse(quoted[1] as string) as string);
        if (!pair) break;
        line = lineAt(pair.key as Node) ?? line;
        node = pair.value as Node | null;
        rest = rest.slice(quoted[0].length);
        continue;
      }
      // The longest key that is a prefix of the rest up to a `.` or `[` (keys may hold dots: kuma.io/service).
      let best: { key: string; pair: Pair } | undefined;
      for (let i = rest.length; i > 0; i = Math.max(rest.lastIndexOf('.', i - 1), rest.lastIndexOf('[', i - 1))) {
        const pair = index.get(rest.slice(0, i));
        if (pair) {
          best = { key: rest.slice(0, i), pair };
          break;
        }
      }
      if (!best) break;
      line = lineAt(best.pair.key as Node) ?? line;
      node = best.pair.value as Node | null;
      rest = rest.slice(best.key.length).replace(/^\./, '');
    } else break;
  }
  return line;
}

export interface YamlLimits extends InputLimits {
  /** Aliases (`*name`) per document. */
  maxAliases: number;
}

export const YAML_LIMITS: Readonly<YamlLimits> = Object.freeze({ ...INPUT_LIMITS, maxAliases: 100 });

/**
 * A proxy's own resource in its ADS node metadata (Dataplane, ZoneIngress, ZoneEgress): parsed on every
 * connect, so held to a tighter budget (a Dataplane with hundreds of inbounds and outbounds fits easily).
 */
export const PROXY_METADATA_LIMITS: Readonly<YamlLimits & { maxTextBytes: number }> = Object.freeze({
  ...YAML_LIMITS,
  maxNodes: 5_000,
  maxTextBytes: 128 * 1024,
});

export interface ParseOptions {
  vars?: Record<string, string>;
  source?: string;
  limits?: YamlLimits;
}

/**
 * First pass, on the token stream (linear, stops at the first excess): flow collections (`[[[`) and
 * compact block collections on one line (`- - - x`) may not nest deeper than the limit. This refuses the
 * cheap deep-nesting inputs before the parser builds anything.
 */
function lexCheck(text: string, limits: YamlLimits, source: string): void {
  let flow = 0;
  let onLine = 0;
  let offset = 0;
  // Scalars, indicators and collection starts of the current document: a document has at most about two
  // of them per value, so three per value allowed stops a huge document before it is parsed.
  let marks = 0;
  let doc = 1;
  for (const token of new Lexer().lex(text)) {
    const c = token[0];
    if (token === '[' || token === '{') flow += 1;
    else if (token === ']' || token === '}') flow = Math.max(0, flow - 1);
    else if (token === '-' || token === '?') onLine += 1;
    else if (token === '\n' || token === '\r\n') onLine = 0;
    else if (token === '---' || token === '...') {
      if (marks > 0) doc += 1;
      marks = 0;
    }
    if (c === SCALAR || c === '"' || c === "'" || c === '[' || c === '{' || c === '-' || c === '?' || c === ':') marks += 1;
    if (flow + onLine > limits.maxDepth) throw limitAt(tooDeep(`document[${doc}]`, limits), offset, text, source);
    if (marks > 3 * limits.maxNodes) throw limitAt(tooManyNodes(`document[${doc}]`, limits), offset, text, source);
    offset += token.length;
  }
}

/** The lexer's mark before a plain scalar. */
const SCALAR = '\x1f';

function limitAt(e: CausewayError, offset: number, text: string, source: string): CausewayError {
  // The line counter is filled by the parser, which runs after this pass: count the lines here.
  const line = text.slice(0, offset).split('\n').length;
  const f = e.fields[0];
  return new CausewayError(e.code, `${source}: line ${line}: ${e.message}`, f ? [{ field: f.field, reason: `${f.reason} (line ${line})` }] : []);
}

type CstItem = { start?: unknown; key?: CST.Token | null; sep?: unknown; value?: CST.Token };

/** Second pass, on each document's syntax tree (no recursion): nesting depth and number of nodes. */
function checkCst(doc: CST.Document, limits: YamlLimits, lc: LineCounter, source: string, index: number): void {
  const stack: { t: CST.Token; depth: number }[] = doc.value ? [{ t: doc.value, depth: 0 }] : [];
  let nodes = 0;
  const fail = (e: CausewayError, t: CST.Token) => {
    const line = lc.linePos(t.offset).line;
    const f = e.fields[0];
    return new CausewayError(e.code, `${source}: document ${index}, line ${line}: ${e.message}`, f ? [{ field: `document[${index}]`, reason: `${f.reason} (line ${line})` }] : []);
  };
  while (stack.length > 0) {
    const { t, depth } = stack.pop() as { t: CST.Token; depth: number };
    nodes += 1;
    if (nodes > limits.maxNodes) throw fail(tooManyNodes('', limits), t);
    if (t.type !== 'block-map' && t.type !== 'block-seq' && t.type !== 'flow-collection') continue;
    if (depth >= limits.maxDepth) throw fail(tooDeep('', limits), t);
    for (const item of t.items as CstItem[]) {
      if (item.key) stack.push({ t: item.key, depth: depth + 1 });
      if (item.value) stack.push({ t: item.value, depth: depth + 1 });
    }
  }
}

/**
 * Third pass, on each composed document: duplicate keys (a linear check; the YAML library's own is
 * quadratic in the number of keys), and the size of the value once aliases are expanded — nodes, depth
 * and bytes — so an alias bomb is refused before it is built.
 */
function checkDocument(doc: Document.Parsed, limits: YamlLimits, lc: LineCounter, source: string, index: number): void {
  type Size = { nodes: number; depth: number; bytes: number };
  const anchors = new Map<string, Node>();
  const sizes = new Map<Node, Size>();
  const inProgress = new Set<Node>();
  let aliases = 0;
  const fail = (message: string, reason: string, node: Node | null | undefined, code: 'INVALID' | 'TOO_LARGE' = 'INVALID') => {
    const line = lc.linePos(node?.range?.[0] ?? 0).line;
    return new CausewayError(code, `${source}: document ${index}, line ${line}: ${message}`, [{ field: `document[${index}]`, reason: `${reason} (line ${line})` }]);
  };
  const check = (s: Size, node: Node) => {
    if (s.nodes > limits.maxNodes) throw fail(tooManyNodes('', limits).message, `has more than the limit of ${limits.maxNodes} values once aliases are expanded`, node, 'TOO_LARGE');
    if (s.depth > limits.maxDepth) throw fail(tooDeep('', limits).message, `nests deeper than the limit of ${limits.maxDepth} levels once aliases are expanded`, node);
    if (s.bytes > limits.maxResourceBytes * 4)
      throw fail('the document is too large once aliases are expanded', `expands to more than ${limits.maxResourceBytes * 4} bytes`, node, 'TOO_LARGE');
    return s;
  };
  // Depth is bounded by checkCst, so this recursion is too.
  const size = (node: unknown): Size => {
    if (isAlias(node)) {
      aliases += 1;
      if (aliases > limits.maxAliases) throw fail(`more than ${limits.maxAliases} aliases`, `uses more than the limit of ${limits.maxAliases} aliases`, node);
      const target = anchors.get(node.source);
      if (!target) throw fail(`alias *${node.source} refers to no anchor before it`, `alias *${node.source} has no anchor &${node.source} before it`, node);
      if (inProgress.has(target)) throw fail(`alias *${node.source} refers to a node that contains it`, `alias *${node.source} contains itself`, node);
      return sizes.get(target) ?? { nodes: 1, depth: 0, bytes: 0 };
    }
    if (!node || typeof node !== 'object') return { nodes: 0, depth: 0, bytes: 0 };
    const n = node as Node;
    if (n.anchor) anchors.set(n.anchor, n);
    let s: Size;
    if (isScalar(n)) {
      const v = n.value;
      s = { nodes: 1, depth: 0, bytes: 2 + (typeof v === 'string' ? v.length : String(v).length) };
    } else if (isMap(n) || isSeq(n)) {
      inProgress.add(n);
      s = { nodes: 1, depth: 1, bytes: 2 };
      const seen = isMap(n) ? new Set<unknown>() : undefined;
      for (const item of n.items) {
        let parts: unknown[];
        if (isPair(item)) {
          if (seen && isScalar(item.key)) {
            const k = item.key.value;
            if (seen.has(k)) throw fail(`YAML syntax error: Map keys must be unique (${JSON.stringify(k)} appears twice)`, `the key ${JSON.stringify(k)} appears twice in one map`, item.key as Node);
            seen.add(k);
          }
          parts = [item.key, item.value];
        } else parts = [item];
        for (const part of parts) {
          const c = size(part);
          s = check({ nodes: s.nodes + c.nodes, depth: Math.max(s.depth, c.depth + 1), bytes: s.bytes + c.bytes + 1 }, n);
        }
      }
      inProgress.delete(n);
    } else s = { nodes: 1, depth: 0, bytes: 0 };
    sizes.set(n, s);
    return s;
  };
  if (doc.contents) check(size(doc.contents), doc.contents as Node);
}

/**
 * Parses a (multi-document) YAML or JSON text within `limits` (default `YAML_LIMITS`): nesting depth,
 * values per document and aliases, checked without recursion before the document is built, so any input
 * is parsed or refused in time linear in its length. Syntax errors and limits name the document and line.
 */
export function parseDocuments(text: string, opts: ParseOptions = {}): SourceDocument[] {
  const source = opts.source ?? 'input';
  const limits = opts.limits ?? YAML_LIMITS;
  const substituted = substituteVars(text, opts.vars ?? {}, source);
  const lc = new LineCounter();
  lexCheck(substituted, limits, source);
  let cstIndex = 0;
  function* checked(tokens: Generator<CST.Token>): Generator<CST.Token> {
    for (const t of tokens) {
      if (t.type === 'document') {
        cstIndex += 1;
        checkCst(t, limits, lc, source, cstIndex);
      }
      yield t;
    }
  }
  const composer = new Composer({ uniqueKeys: false });
  const docs = Array.from(composer.compose(checked(new Parser(lc.addNewLine).parse(substituted)), true, substituted.length));
  const out: SourceDocument[] = [];
  let index = 0;
  for (const doc of docs) {
    index += 1;
    const start = doc.range?.[0] ?? 0;
    if (doc.errors.length > 0) {
      const e = doc.errors[0]!;
      const pos = lc.linePos(e.pos[0]);
      throw new CausewayError('INVALID', `${source}: document ${index}, line ${pos.line}: YAML syntax error: ${e.message.split('\n')[0]}`, [
        { field: `document[${index}]`, reason: `line ${pos.line}, column ${pos.col}: ${e.message.split('\n')[0]}` },
      ]);
    }
    // An empty document (a trailing `---`, or only comments) is not counted. The parser gives it
    // either no contents or an empty null scalar.
    if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) {
      index -= 1;
      continue;
    }
    checkDocument(doc, limits, lc, source, index);
    const contents = doc.contents as Node;
    const contentLine = lc.linePos(contents.range?.[0] ?? start).line;
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: limits.maxAliases });
    } catch (e) {
      // What the checks above cannot see: the library's own alias budget, YAML 1.1 merge keys (`<<`).
      const msg = (e as Error).message.split('\n')[0] ?? 'cannot be read';
      const tooLarge = msg.startsWith('Excessive alias count');
      throw new CausewayError(tooLarge ? 'TOO_LARGE' : 'INVALID', `${source}: document ${index} (line ${contentLine}): ${msg}`, [
        { field: `document[${index}]`, reason: tooLarge ? `expands aliases more than the limit of ${limits.maxAliases} allows` : msg },
      ]);
    }
    out.push({
      index,
      line: contentLine,
      value,
      lineOf: (field) => lineOfPath(contents, documentPath(field), lc, contentLine),
    });
  }
  return out;
}

/**
 * One YAML or JSON document from outside (a REST body, ADS node metadata), within the limits. JSON is
 * parsed as JSON (faster) and then shape-checked; anything else as YAML. More than one document is refused.
 */
export function parseSingleDocument(text: string, opts: { source?: string; limits?: YamlLimits } = {}): unknown {
  const source = opts.source ?? 'input';
  const limits = opts.limits ?? YAML_LIMITS;
  const trimmed = text.trimStart();
  if (trimmed.startsWith('{')) {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (e) {
      throw new CausewayError('INVALID', `${source} is not valid JSON: ${(e as Error).message}`, [{ field: '', reason: 'not valid JSON' }]);
    }
    assertShape(value, limits);
    return value;
  }
  const docs = parseDocuments(text, { source, limits });
  if (docs.length > 1) throw new CausewayError('INVALID', `${source} holds ${docs.length} documents; send one`, [{ field: 'document[2]', reason: 'only one document is accepted here' }]);
  return docs[0]?.value ?? null;
}

export interface DecodedDocument {
  index: number;
  line: number;
  resource: Resource;
}

/**
 * Parses and validates every resource of a file. Stops at the first invalid document: the error
 * message names the document index, and each field error carries its line.
 */
export function decodeResources(text: string, opts: ParseOptions = {}): DecodedDocument[] {
  const source = opts.source ?? 'input';
  const docs = parseDocuments(text, opts);
  if (docs.length === 0) throw new CausewayError('INVALID', `${source}: no resources found`, [{ field: 'document[1]', reason: 'the file is empty' }]);
  return docs.map((doc) => {
    try {
      return { index: doc.index, line: doc.line, resource: decodeResource(doc.value) };
    } catch (e) {
      if (e instanceof CausewayError && e.code === 'INVALID') {
        const fields = e.fields.map((f) => ({ field: f.field, reason: `${f.reason} (line ${doc.lineOf(f.field)})` }));
        throw new CausewayError('INVALID', `${source}: document ${doc.index} (line ${doc.line}): ${e.message}`, fields);
      }
      throw e;
    }
  });
}

/** Resources -> a multi-document YAML text in the universal format. */
export function encodeYaml(resources: Resource[], opts: EncodeOptions = {}): string {
  return resources.map((r) => stringify(toUniversal(r, opts), { lineWidth: 0 })).join('---\n');
}
