/**
 * YAML/JSON codec for resource files: multi-document, `{{ var }}` substitution (`-v key=value`),
 * and errors that carry the document index (1-based) and the line of the offending field.
 */
import { isMap, isPair, isScalar, isSeq, LineCounter, type Node, parseAllDocuments, stringify } from 'yaml';
import { decodeResource, type EncodeOptions, toUniversal } from './codec.js';
import { CausewayError, type FieldError } from './errors.js';
import type { Resource } from './resource.js';

export interface SourceDocument {
  /** 1-based index of the document in its file. */
  index: number;
  /** 1-based line where the document starts. */
  line: number;
  value: unknown;
  /** Line of a field (`networking.tls.caCert`, `inbound[0].port`), or of its closest parent present. */
  lineOf(field: string): number;
}

const VAR_RE = /\{\{\s*([A-Za-z_][A-Za-z0-9_.-]*)\s*\}\}/g;

/** Replaces `{{ name }}` with vars[name]; a missing variable is an error naming it and its line. */
export function substituteVars(text: string, vars: Record<string, string>, source = 'input'): string {
  // variable name -> lines where it is used but not set (one error per variable, not per use)
  const missing = new Map<string, number[]>();
  const out = text.replace(VAR_RE, (match, name: string, offset: number) => {
    const v = vars[name];
    if (v === undefined) {
      const line = text.slice(0, offset).split('\n').length;
      missing.set(name, [...(missing.get(name) ?? []), line]);
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

/** Splits a path like `tags.kuma.io/service` or `inbound[0].port` against the actual YAML keys. */
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
      let best: { key: string; pair: unknown } | undefined;
      for (const pair of node.items) {
        if (!isPair(pair) || !isScalar(pair.key)) continue;
        const k = String(pair.key.value);
        if ((rest === k || rest.startsWith(`${k}.`) || rest.startsWith(`${k}[`)) && (!best || k.length > best.key.length)) best = { key: k, pair };
      }
      if (!best || !isPair(best.pair)) break;
      line = lineAt(best.pair.key as Node) ?? line;
      node = best.pair.value as Node | null;
      rest = rest.slice(best.key.length).replace(/^\./, '');
    } else break;
  }
  return line;
}

/** Parses a (multi-document) YAML or JSON text. Syntax errors name the document and line. */
export function parseDocuments(text: string, opts: { vars?: Record<string, string>; source?: string } = {}): SourceDocument[] {
  const source = opts.source ?? 'input';
  const substituted = substituteVars(text, opts.vars ?? {}, source);
  const lc = new LineCounter();
  const docs = parseAllDocuments(substituted, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  if (!Array.isArray(docs)) return [];
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
    const contents = doc.contents as Node;
    const contentLine = lc.linePos(contents.range?.[0] ?? start).line;
    out.push({
      index,
      line: contentLine,
      value: doc.toJS({ maxAliasCount: 100 }),
      lineOf: (field) => lineOfPath(contents, field, lc, contentLine),
    });
  }
  return out;
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
export function decodeResources(text: string, opts: { vars?: Record<string, string>; source?: string } = {}): DecodedDocument[] {
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
