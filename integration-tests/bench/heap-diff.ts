/**
 * Compares two V8 heap snapshots (e.g. of a zone after connect and after many changes, written by
 * `pipeline.ts --heap-snapshots DIR`): per node type and constructor/name, the count and self size in
 * each, sorted by growth; then, for the constructors that grew most, where a few of the objects that are
 * new in the second snapshot are held from (the shortest retainer path from the GC roots).
 *
 * Run: node --import tsx bench/heap-diff.ts A.heapsnapshot B.heapsnapshot [--top 40] [--paths 8] [--name NAME]...
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values: opts, positionals } = parseArgs({
  allowPositionals: true,
  options: { top: { type: 'string', default: '40' }, paths: { type: 'string', default: '8' }, name: { type: 'string', multiple: true } },
});
if (positionals.length !== 2) throw new Error('usage: heap-diff.ts A.heapsnapshot B.heapsnapshot');

interface Snapshot {
  nodeTypes: string[];
  edgeTypes: string[];
  strings: string[];
  nodes: Uint32Array | number[];
  edges: Uint32Array | number[];
  nf: number;
  ef: number;
  nodeCount: number;
  /** index of the node's first edge in `edges` (per node) */
  firstEdge: Uint32Array;
  type(n: number): string;
  name(n: number): string;
  id(n: number): number;
  self(n: number): number;
}

function load(file: string): Snapshot {
  const raw = JSON.parse(readFileSync(file, 'utf8')) as {
    snapshot: { meta: { node_fields: string[]; node_types: [string[]]; edge_fields: string[]; edge_types: [string[]] } };
    nodes: number[];
    edges: number[];
    strings: string[];
  };
  const m = raw.snapshot.meta;
  const nf = m.node_fields.length;
  const ef = m.edge_fields.length;
  const [iType, iName, iId, iSelf, iEdges] = ['type', 'name', 'id', 'self_size', 'edge_count'].map((f) => m.node_fields.indexOf(f)) as [number, number, number, number, number];
  const nodes = raw.nodes;
  const nodeCount = nodes.length / nf;
  const firstEdge = new Uint32Array(nodeCount + 1);
  for (let n = 0, e = 0; n < nodeCount; n++) {
    firstEdge[n] = e;
    e += (nodes[n * nf + iEdges] as number) * ef;
    firstEdge[n + 1] = e;
  }
  const nodeTypes = m.node_types[0];
  return {
    nodeTypes,
    edgeTypes: m.edge_types[0],
    strings: raw.strings,
    nodes,
    edges: raw.edges,
    nf,
    ef,
    nodeCount,
    firstEdge,
    type: (n) => nodeTypes[nodes[n * nf + iType] as number] as string,
    name: (n) => raw.strings[nodes[n * nf + iName] as number] as string,
    id: (n) => nodes[n * nf + iId] as number,
    self: (n) => nodes[n * nf + iSelf] as number,
  };
}

const keyOf = (s: Snapshot, n: number) => {
  const t = s.type(n);
  const name = s.name(n);
  return t === 'object' || t === 'closure' || t === 'native' ? `${t} ${name}` : t === 'string' || t === 'concatenated string' || t === 'sliced string' ? `(${t})` : `${t} ${name.slice(0, 60)}`;
};

function aggregate(s: Snapshot): Map<string, { count: number; size: number }> {
  const out = new Map<string, { count: number; size: number }>();
  for (let n = 0; n < s.nodeCount; n++) {
    const k = keyOf(s, n);
    const a = out.get(k) ?? { count: 0, size: 0 };
    a.count++;
    a.size += s.self(n);
    out.set(k, a);
  }
  return out;
}

const [fa, fb] = positionals as [string, string];
const a = load(fa);
const aggA = aggregate(a);
const idsA = new Set<number>();
for (let n = 0; n < a.nodeCount; n++) idsA.add(a.id(n));
const totalA = [...aggA.values()].reduce((x, v) => x + v.size, 0);
(a as Partial<Snapshot>).nodes = [];
const b = load(fb);
const aggB = aggregate(b);
const totalB = [...aggB.values()].reduce((x, v) => x + v.size, 0);
console.log(`A ${fa}: ${a.nodeCount} nodes, ${(totalA / 1048576).toFixed(1)} MB; B ${fb}: ${b.nodeCount} nodes, ${(totalB / 1048576).toFixed(1)} MB`);
const rows = [...new Set([...aggA.keys(), ...aggB.keys()])].map((k) => {
  const x = aggA.get(k) ?? { count: 0, size: 0 };
  const y = aggB.get(k) ?? { count: 0, size: 0 };
  return { k, dc: y.count - x.count, ds: y.size - x.size, ca: x.count, cb: y.count, sb: y.size };
});
rows.sort((p, q) => q.ds - p.ds);
const TOP = Number(opts.top);
console.log('\ngrowth by self size (B - A):\n  delta KB   delta count   count A -> B   what');
for (const r of rows.slice(0, TOP)) console.log(`${(r.ds / 1024).toFixed(1).padStart(10)} ${String(r.dc).padStart(12)}   ${r.ca} -> ${r.cb}   ${r.k}`);
console.log('\nshrunk most:');
for (const r of rows.slice(-8).reverse()) console.log(`${(r.ds / 1024).toFixed(1).padStart(10)} ${String(r.dc).padStart(12)}   ${r.ca} -> ${r.cb}   ${r.k}`);

// Retainer paths in B of objects new since A, for the names asked for (or the top object growers).
const names = opts.name ?? rows.filter((r) => r.dc > 0 && /^(object|closure|array|native) /.test(r.k)).slice(0, 6).map((r) => r.k);
const E_TO = 2; // edge fields: type, name_or_index, to_node
const weak = b.edgeTypes.indexOf('weak');
const shortcut = b.edgeTypes.indexOf('shortcut');
// Reverse edges and BFS distance from the root (node 0), weak edges skipped.
const retCount = new Uint32Array(b.nodeCount + 1);
for (let n = 0; n < b.nodeCount; n++)
  for (let e = b.firstEdge[n] as number; e < (b.firstEdge[n + 1] as number); e += b.ef) {
    const t = b.edges[e] as number;
    if (t === weak || t === shortcut) continue;
    retCount[(b.edges[e + E_TO] as number) / b.nf] = (retCount[(b.edges[e + E_TO] as number) / b.nf] as number) + 1;
  }
const retStart = new Uint32Array(b.nodeCount + 1);
for (let n = 0; n < b.nodeCount; n++) retStart[n + 1] = (retStart[n] as number) + (retCount[n] as number);
const retFill = retStart.slice();
const retNode = new Uint32Array(retStart[b.nodeCount] as number);
const retEdge = new Uint32Array(retStart[b.nodeCount] as number);
for (let n = 0; n < b.nodeCount; n++)
  for (let e = b.firstEdge[n] as number; e < (b.firstEdge[n + 1] as number); e += b.ef) {
    const t = b.edges[e] as number;
    if (t === weak || t === shortcut) continue;
    const to = (b.edges[e + E_TO] as number) / b.nf;
    const i = retFill[to] as number;
    retFill[to] = i + 1;
    retNode[i] = n;
    retEdge[i] = e;
  }
const dist = new Int32Array(b.nodeCount).fill(-1);
dist[0] = 0;
const queue = new Uint32Array(b.nodeCount);
let qh = 0;
let qt = 0;
queue[qt++] = 0;
while (qh < qt) {
  const n = queue[qh++] as number;
  for (let e = b.firstEdge[n] as number; e < (b.firstEdge[n + 1] as number); e += b.ef) {
    const t = b.edges[e] as number;
    if (t === weak || t === shortcut) continue;
    const to = (b.edges[e + E_TO] as number) / b.nf;
    if (dist[to] === -1) {
      dist[to] = (dist[n] as number) + 1;
      queue[qt++] = to;
    }
  }
}
const edgeName = (e: number) => {
  const t = b.edgeTypes[b.edges[e] as number];
  const v = b.edges[e + 1] as number;
  return t === 'element' || t === 'hidden' ? `[${v}]` : String(b.strings[v]);
};
const PATHS = Number(opts.paths);
/** The shortest path from `start` up to the roots (at most `maxDepth` steps), as `holder.edge` steps. */
function retainers(start: number, maxDepth = 40): string[] {
  const path: string[] = [];
  let n = start;
  for (let depth = 0; depth < maxDepth && n !== 0; depth++) {
    let best = -1;
    let bestE = -1;
    for (let i = retStart[n] as number; i < (retStart[n + 1] as number); i++) {
      const r = retNode[i] as number;
      if (dist[r] === -1) continue;
      if (best === -1 || (dist[r] as number) < (dist[best] as number)) {
        best = r;
        bestE = retEdge[i] as number;
      }
    }
    if (best === -1) {
      path.push('(unreachable)');
      break;
    }
    path.push(`${keyOf(b, best)}.${edgeName(bestE)}`);
    n = best;
  }
  return path;
}
/** Where a path is held from: the module variable (a Context slot) or class field closest to the roots. */
function holderOf(path: readonly string[]): string {
  for (let i = path.length - 1; i >= 0; i--) {
    const step = path[i] as string;
    if (step.startsWith('object system / Context.') && !/\.(this|extension|previous|\[\d+\])$/.test(step)) return step.slice('object system / '.length);
  }
  for (let i = path.length - 1; i >= 0; i--) if (!(path[i] as string).startsWith('synthetic')) return path[i] as string;
  return '(root)';
}
// Every object new since A, its self size attributed to where it is held from.
const byHolder = new Map<string, { count: number; size: number }>();
for (let n = 0; n < b.nodeCount; n++) {
  if (idsA.has(b.id(n))) continue;
  const h = holderOf(retainers(n));
  const x = byHolder.get(h) ?? { count: 0, size: 0 };
  x.count++;
  x.size += b.self(n);
  byHolder.set(h, x);
}
console.log('\nobjects new since A, by where they are held from (self size):');
for (const [h, x] of [...byHolder].sort((p, q) => q[1].size - p[1].size).slice(0, 15)) console.log(`${(x.size / 1024).toFixed(1).padStart(10)} KB ${String(x.count).padStart(8)}   ${h}`);

for (const want of names) {
  const fresh: number[] = [];
  for (let n = 0; n < b.nodeCount && fresh.length < 2000; n++) if (keyOf(b, n) === want && !idsA.has(b.id(n))) fresh.push(n);
  console.log(`\n== ${want}: ${fresh.length >= 2000 ? '2000+' : fresh.length} new since A; retainer paths of ${Math.min(PATHS, fresh.length)} (spread over them):`);
  const seen = new Map<string, number>();
  for (let k = 0; k < Math.min(PATHS, fresh.length); k++) {
    const n = fresh[Math.floor((k * fresh.length) / Math.min(PATHS, fresh.length))] as number;
    const path = retainers(n, 25);
    const p = path.join(' <- ');
    seen.set(p, (seen.get(p) ?? 0) + 1);
  }
  for (const [p, c] of seen) console.log(`  ${c}x ${p}`);
}
