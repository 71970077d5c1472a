/**
 * Where a profiled proxy spent its CPU: reads a V8 .cpuprofile (node --cpu-prof, e.g. from
 * `bench/hop.ts --node-args="--cpu-prof --cpu-prof-dir DIR"`) and prints the busy time (idle left out)
 * by category — our code (dist/), each dependency, Node.js internals (node:), garbage collection,
 * (program) = native work outside JS (syscalls, libuv, OpenSSL, llhttp) — and the functions with the
 * most self time. Samples of the first `--from` seconds (default 5: the process's start and hop.ts's
 * 3 s idle measurement) are left out, so that the start (module loading, parsing the bootstrap) does not
 * mix with the data path.
 *
 *   node --import tsx bench/profile.ts DIR/CPU.*.cpuprofile [--top 25] [--from 5]
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

function main(): void {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string' }, from: { type: 'string' } } });
  const top = values.top === undefined ? 25 : Number(values.top);
  if (!Number.isInteger(top) || top < 1) throw new Error(`--top ${values.top}: expected a positive integer`);
  const from = values.from === undefined ? 5 : Number(values.from);
  if (!Number.isFinite(from) || from < 0) throw new Error(`--from ${values.from}: expected seconds >= 0`);
  if (positionals.length === 0) throw new Error('usage: profile.ts FILE.cpuprofile... [--top 25] [--from 5]');
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
      if (t - p.startTime >= from * 1e6) self.set(id, (self.get(id) ?? 0) + dt);
    });
    const cats = new Map<string, number>();
    const fns = new Map<string, number>();
    let busy = 0;
    for (const [id, us] of self) {
      const n = byId.get(id);
      if (!n) continue;
      const { functionName, url, lineNumber } = n.callFrame;
      const c = category(url, functionName);
      if (c === '(idle)') continue;
      busy += us;
      cats.set(c, (cats.get(c) ?? 0) + us);
      const key = `${functionName || '(anonymous)'} ${url.replace(/^.*\/(services|packages|node_modules)\//, '$1/')}:${lineNumber + 1}`;
      fns.set(key, (fns.get(key) ?? 0) + us);
    }
    const wall = Math.max(0, (p.endTime - p.startTime) / 1e6 - from);
    const pct = (us: number) => `${((100 * us) / Math.max(1, busy)).toFixed(1).padStart(5)} %`;
    const out = [`${file}: ${wall.toFixed(1)} s profiled after the first ${from} s, ${(busy / 1e6).toFixed(2)} s busy (${((busy / 1e6 / wall) * 100).toFixed(1)} % of one core)`, '  by category:'];
    for (const [c, us] of [...cats].sort((a, b) => b[1] - a[1])) out.push(`    ${pct(us)}  ${c}`);
    out.push(`  top ${top} functions by self time:`);
    for (const [f, us] of [...fns].sort((a, b) => b[1] - a[1]).slice(0, top)) out.push(`    ${pct(us)}  ${f}`);
    process.stdout.write(`${out.join('\n')}\n`);
  }
}

main();
