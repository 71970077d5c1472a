/**
 * Where a profiled process spent its CPU: reads a V8 .cpuprofile (node --cpu-prof, e.g. from
 * `bench/hop.ts --node-args="--cpu-prof --cpu-prof-dir DIR"`, or a zone's from the pipeline benchmark's
 * `--cpu-profile DIR`) and prints the busy time (idle left out) by category — our code (dist/), each
 * dependency, Node.js internals (node:), garbage collection, (program) = native work outside JS (syscalls,
 * libuv, OpenSSL, llhttp) — and the functions with the most self time; with `--inclusive N` also the N
 * functions with the most time spent in them and what they called (each counted once per stack: where a
 * whole feature's time goes). Samples of the first `--from` seconds (default 5: the process's start and
 * hop.ts's 3 s idle measurement) are left out, so that the start (module loading, parsing the bootstrap)
 * does not mix with the data path; `--window FROM:TO` (seconds since the profile started, repeatable)
 * counts only the samples inside those windows instead (the pipeline benchmark writes each change's
 * window to `DIR/changes.json`).
 *
 * Time a thread was off its core (waiting for it, on a loaded machine) is charged to the sample that
 * follows: native writes (`writev`, `writeBuffer`) then look more expensive than they are.
 *
 *   node --import tsx bench/profile.ts DIR/CPU.*.cpuprofile [--top 25] [--from 5 | --window 12.5:19 ...] [--inclusive 40]
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** The category a frame's self time goes to. */
function category(url: string, fn: string): string {
  if (fn === '(garbage collector)' || fn === '(program)' || fn === '(idle)' || fn === '(root)') return fn;
  if (url.startsWith('node:')) return 'node: internals';
  const dep = /node_modules\/((@[^/]+\/)?[^/]+)/.exec(url);
  if (dep) return `dependency ${dep[1]}`;
  const ours = /\/(services|packages)\/([^/]+)\/dist\//.exec(url);
  if (ours) return `${ours[1]}/${ours[2]}`;
  return url === '' ? '(native)' : url;
}

/** `FROM:TO` seconds -> a window in µs since the profile started. */
function windowOf(v: string): [number, number] {
  const m = /^(\d+(?:\.\d+)?):(\d+(?:\.\d+)?)$/.exec(v);
  if (!m || Number(m[1]) >= Number(m[2])) throw new Error(`--window ${v}: expected FROM:TO in seconds since the profile started, FROM < TO (e.g. 12.5:19)`);
  return [Number(m[1]) * 1e6, Number(m[2]) * 1e6];
}

function main(): void {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { top: { type: 'string' }, from: { type: 'string' }, window: { type: 'string', multiple: true }, inclusive: { type: 'string' } },
  });
  const top = values.top === undefined ? 25 : Number(values.top);
  if (!Number.isInteger(top) || top < 1) throw new Error(`--top ${values.top}: expected a positive integer`);
  const inclusive = values.inclusive === undefined ? 0 : Number(values.inclusive);
  if (!Number.isInteger(inclusive) || inclusive < 0) throw new Error(`--inclusive ${values.inclusive}: expected a whole number`);
  const windows = (values.window ?? []).map(windowOf);
  if (windows.length > 0 && values.from !== undefined) throw new Error('--from and --window: one or the other');
  const from = values.from === undefined ? (windows.length > 0 ? 0 : 5) : Number(values.from);
  if (!Number.isFinite(from) || from < 0) throw new Error(`--from ${values.from}: expected seconds >= 0`);
  if (positionals.length === 0) throw new Error('usage: profile.ts FILE.cpuprofile... [--top 25] [--from 5 | --window FROM:TO ...] [--inclusive N]');
  const counted = (sinceStartUs: number) => (windows.length > 0 ? windows.some(([a, b]) => sinceStartUs >= a && sinceStartUs < b) : sinceStartUs >= from * 1e6);
  for (const file of positionals) {
    const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
    if (!Array.isArray(p.nodes) || !Array.isArray(p.samples) || !Array.isArray(p.timeDeltas)) throw new Error(`${file}: not a .cpuprofile (nodes, samples, timeDeltas)`);
    const byId = new Map(p.nodes.map((n) => [n.id, n]));
    const self = new Map<number, number>();
    // timeDeltas[i] is the time before sample i: charge each interval to the sample that ends it
    let t = p.startTime;
    p.samples.forEach((id, i) => {
      const dt = p.timeDeltas[i] ?? 0;
      t += dt;
      if (counted(t - p.startTime)) self.set(id, (self.get(id) ?? 0) + dt);
    });
    const label = (n: ProfileNode) => `${n.callFrame.functionName || '(anonymous)'} ${n.callFrame.url.replace(/^.*\/(services|packages|node_modules)\//, '$1/')}:${n.callFrame.lineNumber + 1}`;
    const cats = new Map<string, number>();
    const fns = new Map<string, number>();
    let busy = 0;
    for (const [id, us] of self) {
      const n = byId.get(id);
      if (!n) continue;
      const c = category(n.callFrame.url, n.callFrame.functionName);
      if (c === '(idle)') continue;
      busy += us;
      cats.set(c, (cats.get(c) ?? 0) + us);
      fns.set(label(n), (fns.get(label(n)) ?? 0) + us);
    }
    const wall = windows.length > 0 ? windows.reduce((s, [a, b]) => s + (b - a), 0) / 1e6 : Math.max(0, (p.endTime - p.startTime) / 1e6 - from);
    const pct = (us: number) => `${((100 * us) / Math.max(1, busy)).toFixed(1).padStart(5)} %`;
    const span = windows.length > 0 ? `in ${windows.length} window(s)` : `after the first ${from} s`;
    const out = [`${file}: ${wall.toFixed(1)} s profiled ${span}, ${(busy / 1e6).toFixed(2)} s busy (${((busy / 1e6 / wall) * 100).toFixed(1)} % of one core)`, '  by category:'];
    for (const [c, us] of [...cats].sort((a, b) => b[1] - a[1])) out.push(`    ${pct(us)}  ${c}`);
    out.push(`  top ${top} functions by self time:`);
    for (const [f, us] of [...fns].sort((a, b) => b[1] - a[1]).slice(0, top)) out.push(`    ${pct(us)}  ${f}`);
    if (inclusive > 0) {
      const parent = new Map<number, number>();
      for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
      const total = new Map<string, number>();
      for (const [id, us] of self) {
        const n = byId.get(id);
        if (!n || category(n.callFrame.url, n.callFrame.functionName) === '(idle)') continue;
        const seen = new Set<string>();
        for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
          const node = byId.get(cur);
          if (!node || node.callFrame.functionName === '(root)') continue;
          const k = label(node);
          if (seen.has(k)) continue;
          seen.add(k);
          total.set(k, (total.get(k) ?? 0) + us);
        }
      }
      out.push(`  top ${inclusive} functions by time in them and what they called:`);
      for (const [f, us] of [...total].sort((a, b) => b[1] - a[1]).slice(0, inclusive)) out.push(`    ${pct(us)}  ${f}`);
    }
    process.stdout.write(`${out.join('\n')}\n`);
  }
}

main();
