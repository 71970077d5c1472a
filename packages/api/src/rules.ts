/**
 * Kuma's inspect rules of a Dataplane (`GET /meshes/{mesh}/dataplanes/{name}/_rules`, its InspectRules:
 * `{resource, rules: [{type, toRules, fromRules, warnings}], httpMatches}`), built from what the zone's
 * `GET .../policies` computes (@causeway/xds: per policy type, the entries that apply to each outbound
 * and inbound of the proxy, in ascending precedence) and the entries' `default` confs from the store:
 *
 * - `toRules`: one rule per outbound the policy type configures, matching that destination
 *   (`kuma.io/service: <service>`), its conf the merge of the entries that apply (later, higher-precedence
 *   entries override field by field, as the generators merge), `origin` the policies in merge order;
 * - `fromRules`: per inbound (`{inbound: {tags, port}, rules}`), one rule per distinct set of callers the
 *   `from[]` entries name (matchers from the entry's targetRef: `Mesh` none, `MeshService` its
 *   `kuma.io/service`, `MeshSubset` its tags); a rule's conf merges every entry that selects all the callers
 *   the rule names, in precedence order. Rules are listed most specific first: a caller gets the conf of
 *   the first rule whose matchers it carries (Kuma lists disjoint subsets with negated matchers instead;
 *   `not` is always false here);
 * - `warnings`: the notes the policies endpoint gives (e.g. a permission without mTLS is not enforced).
 * Policy types that select nothing on the proxy are left out. `httpMatches` is empty: Causeway has no
 * MeshHTTPRoute.
 */
import { type ExplainedEntry, type ExplainedTarget, mergeConfs, refMatches, SERVICE_TAG, type TargetRef } from '@causeway/core';
import type { DataplanePolicies } from '@causeway/xds';

export interface RuleMatcher {
  key: string;
  value: string;
  not: boolean;
}

export interface Meta {
  type: string;
  mesh: string;
  name: string;
  labels: Record<string, string>;
}

export interface Rule {
  matchers: RuleMatcher[];
  conf: unknown;
  origin: Meta[];
}

export interface InspectRule {
  type: string;
  toRules: Rule[];
  fromRules: { inbound: { tags: Record<string, string>; port: number }; rules: Rule[] }[];
  warnings: string[];
}

export interface InspectRules {
  resource: Meta;
  rules: InspectRule[];
  httpMatches: unknown[];
}

/** The `default` of entry `index` of a policy's `to` / `from`, or undefined when the policy is not known. */
export type ConfOf = (type: string, policy: string, section: 'to' | 'from', index: number) => unknown;

/** The callers (or destinations) a targetRef names, as Kuma's matchers; sorted by key. */
export function matchersOf(ref: TargetRef): RuleMatcher[] {
  const out = new Map<string, string>();
  if ((ref.kind === 'MeshService' || ref.kind === 'MeshServiceSubset') && ref.name) out.set(SERVICE_TAG, ref.name);
  if (ref.kind === 'MeshSubset' || ref.kind === 'MeshServiceSubset') for (const [k, v] of Object.entries(ref.tags ?? {})) if (!out.has(k)) out.set(k, v);
  return [...out.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([key, value]) => ({ key, value, not: false }));
}

/** Whether every caller `narrow` names is also named by `wide` (a matcher `k: *` takes any value of k). */
function covers(wide: RuleMatcher[], narrow: RuleMatcher[]): boolean {
  return wide.every((w) => narrow.some((n) => n.key === w.key && (w.value === '*' || w.value === n.value)));
}

function originOf(type: string, mesh: string, entries: readonly ExplainedEntry[]): Meta[] {
  const seen = new Set<string>();
  const out: Meta[] = [];
  for (const e of entries) {
    if (seen.has(e.policy)) continue;
    seen.add(e.policy);
    out.push({ type, mesh, name: e.policy, labels: {} });
  }
  return out;
}

function ordered(entries: readonly ExplainedEntry[]): ExplainedEntry[] {
  return [...entries].sort((a, b) => a.precedence - b.precedence);
}

/** Kuma's InspectRules of a Dataplane from its policies explanation. */
export function inspectRules(
  dataplane: { mesh: string; name: string; labels: Record<string, string>; inbound: { port: number; address?: string | undefined; tags: Record<string, string> }[]; address: string },
  explained: DataplanePolicies,
  confOf: ConfOf,
): InspectRules {
  const { mesh } = dataplane;
  const merged = (type: string, entries: readonly ExplainedEntry[]) => mergeConfs(entries.map((e) => confOf(type, e.policy, e.section, e.index) ?? {}));
  const tagSets = dataplane.inbound.map((i) => i.tags);
  const rules: InspectRule[] = [];
  for (const p of explained.policies) {
    const toRules: Rule[] = p.outbounds
      .map((o: ExplainedTarget) => {
        // An outbound's from[] entries (a permission on an ExternalService) name callers: the ones naming this proxy apply.
        const entries = ordered(o.rules).filter((e) => e.section === 'to' || refMatches(e.entryTargetRef, tagSets));
        return { matchers: [{ key: SERVICE_TAG, value: o.service, not: false }], conf: merged(p.type, entries), origin: originOf(p.type, mesh, entries) };
      })
      .filter((r) => r.origin.length > 0);
    const fromRules = p.inbounds
      .filter((i) => i.rules.length > 0)
      .map((i) => {
        const ib = dataplane.inbound.find((x) => `${x.address ?? dataplane.address}:${x.port}` === i.name);
        const entries = ordered(i.rules);
        const groups = new Map<string, RuleMatcher[]>();
        for (const e of entries) {
          const m = matchersOf(e.entryTargetRef);
          groups.set(JSON.stringify(m), m);
        }
        const inboundRules = [...groups.values()]
          .sort((a, b) => b.length - a.length)
          .map((m) => {
            const applying = entries.filter((e) => covers(matchersOf(e.entryTargetRef), m));
            return { matchers: m, conf: merged(p.type, applying), origin: originOf(p.type, mesh, applying) };
          });
        const port = ib?.port ?? Number(i.name.slice(i.name.lastIndexOf(':') + 1));
        return { inbound: { tags: ib?.tags ?? { [SERVICE_TAG]: i.service }, port }, rules: inboundRules };
      });
    if (p.policies.length === 0 && toRules.length === 0 && fromRules.length === 0) continue;
    rules.push({ type: p.type, toRules, fromRules, warnings: p.notes ?? [] });
  }
  return { resource: { type: 'Dataplane', mesh, name: dataplane.name, labels: dataplane.labels }, rules, httpMatches: [] };
}
