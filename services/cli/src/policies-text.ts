/**
 * `causeway inspect dataplane NAME` (`--type policies`, the default) as text, in kumactl's layout: one
 * block per attachment — the DATAPLANE itself, then each OUTBOUND and INBOUND — listing per policy type
 * the policies that apply. Causeway's API says more than Kuma's (which entry of which policy matched,
 * its precedence, the merged result), so each entry carries that on its line and the result follows.
 */

type Dict = Record<string, unknown>;

interface TargetRef {
  kind?: string;
  name?: string;
  tags?: Record<string, string>;
}

interface Entry {
  policy: string;
  targetRef?: TargetRef;
  entryTargetRef?: TargetRef;
  section?: string;
  index?: number;
  precedence?: number;
}

interface Target {
  name: string;
  service?: string;
  rules: Entry[];
  result?: unknown;
}

interface Explanation {
  type: string;
  policies: { name: string; targetRef?: TargetRef }[];
  outbounds: Target[];
  inbounds: Target[];
  notes?: string[];
}

export interface DataplanePoliciesBody {
  dataplane: { mesh: string; name: string };
  mtls?: boolean;
  zoneEgress?: boolean;
  precedence?: string;
  policies: Explanation[];
}

const list = <T>(v: unknown): T[] => (Array.isArray(v) ? (v as T[]) : []);

/** `Mesh`, `MeshService httpbin`, `MeshSubset {version=v1}`. */
export function targetRefText(ref: TargetRef | undefined): string {
  if (!ref?.kind) return '-';
  const tags = Object.entries(ref.tags ?? {})
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  return [ref.kind, ref.name, tags ? `{${tags}}` : undefined].filter((p) => p !== undefined && p !== '').join(' ');
}

/** `http.requestTimeout: 3s, idleTimeout: 1h`: the leaves of a merged result, by path. */
export function resultText(v: unknown): string {
  const leaves: string[] = [];
  const walk = (x: unknown, path: string) => {
    if (typeof x === 'object' && x !== null && !Array.isArray(x)) {
      const entries = Object.entries(x as Dict);
      if (entries.length === 0 && path) leaves.push(`${path}: {}`);
      for (const [k, val] of entries) walk(val, path ? `${path}.${k}` : k);
      return;
    }
    const text = typeof x === 'string' ? x : JSON.stringify(x);
    leaves.push(path ? `${path}: ${text}` : text);
  };
  walk(v, '');
  return leaves.join(', ');
}

function entryLine(e: Entry): string {
  const where = e.section !== undefined ? `${e.section}[${e.index ?? 0}] ${targetRefText(e.entryTargetRef)}` : targetRefText(e.entryTargetRef);
  return `${e.policy} (${where}${e.precedence !== undefined ? `, precedence ${e.precedence}` : ''})`;
}

/** The body of `GET /meshes/{mesh}/dataplanes/{name}/policies` as text. */
export function renderDataplanePolicies(body: DataplanePoliciesBody): string {
  const explanations = list<Explanation>(body.policies);
  const out: string[] = [];
  const flags = [`mesh ${body.dataplane.mesh}`];
  if (body.mtls !== undefined) flags.push(`mTLS ${body.mtls ? 'on' : 'off'}`);
  if (body.zoneEgress !== undefined) flags.push(`zone egress ${body.zoneEgress ? 'on' : 'off'}`);
  out.push(`DATAPLANE ${body.dataplane.name} (${flags.join(', ')}):`);
  const selecting = explanations.filter((x) => list(x.policies).length > 0);
  if (selecting.length === 0) out.push('  no policy selects this dataplane');
  for (const x of selecting) {
    out.push(`  ${x.type}`);
    for (const p of list<{ name: string; targetRef?: TargetRef }>(x.policies)) out.push(`    ${p.name} (targetRef ${targetRefText(p.targetRef)})`);
  }

  // Attachments in order: outbounds by service, then inbounds by address; each lists its policy types.
  const attachments = new Map<string, { title: string; lines: string[] }>();
  const add = (key: string, title: string, type: string, t: Target) => {
    if (list(t.rules).length === 0) return;
    const a = attachments.get(key) ?? { title, lines: [] };
    a.lines.push(`  ${type}`);
    for (const e of list<Entry>(t.rules)) a.lines.push(`    ${entryLine(e)}`);
    if (t.result !== undefined && t.result !== null) a.lines.push(`    = ${resultText(t.result)}`);
    attachments.set(key, a);
  };
  const outbounds = explanations.flatMap((x) => list<Target>(x.outbounds).map((t) => ({ type: x.type, t })));
  const inbounds = explanations.flatMap((x) => list<Target>(x.inbounds).map((t) => ({ type: x.type, t })));
  for (const { type, t } of outbounds.sort((a, b) => a.t.name.localeCompare(b.t.name))) add(`out:${t.name}`, `OUTBOUND ${t.name}`, type, t);
  for (const { type, t } of inbounds.sort((a, b) => a.t.name.localeCompare(b.t.name)))
    add(`in:${t.name}`, `INBOUND ${t.name}${t.service ? ` (service ${t.service})` : ''}`, type, t);
  for (const a of attachments.values()) out.push('', `${a.title}:`, ...a.lines);

  const notes = explanations.flatMap((x) => list<string>(x.notes).map((n) => `  ${x.type}: ${n}`));
  if (notes.length > 0) out.push('', 'NOTES:', ...notes);
  if (body.precedence) out.push('', `Precedence: ${body.precedence}`);
  return `${out.join('\n')}\n`;
}
