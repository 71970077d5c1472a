/**
 * targetRef matching and ranking, shared by every policy plugin.
 *
 * A policy's top-level `targetRef` selects the proxies it configures; its `to[].targetRef` entries select
 * outbound destinations and its `from[].targetRef` entries select callers. Matching:
 *
 * | kind | selects |
 * | --- | --- |
 * | `Mesh` (or no targetRef) | everything in the mesh |
 * | `MeshSubset` | anything whose tags include all `tags` (value `*`: the tag is present) |
 * | `MeshService` | anything with `kuma.io/service: <name>` |
 * | `MeshServiceSubset` | `kuma.io/service: <name>` and all `tags` |
 *
 * A Dataplane has one tag set per inbound; it is selected when one of them matches (for inbound rules,
 * each inbound is matched on its own). An ExternalService is matched by its `tags`.
 *
 * Ranking: the entries that apply to one outbound / inbound are applied in ascending precedence, each
 * field set by a later entry overriding the earlier value (objects are merged field by field, lists are
 * replaced whole). Precedence, compared in this order:
 * 1. the kind of the policy's top-level targetRef: Mesh < MeshSubset < MeshService < MeshServiceSubset (`KIND_RANK`);
 * 2. the kind of the entry's own targetRef (`to[]` / `from[]`), same scale;
 * 3. the policy name: of two policies of equal kinds, the one whose name sorts first
 *    (lexicographically smaller, byte order) wins, as in Kuma;
 * 4. the position of the entry in its list: a later entry wins over an earlier one of the same policy.
 */
import { SERVICE_TAG } from '../resources/external-service.js';
import { matchesTags, type Tags } from '../selectors.js';
import { isAppliedTargetRef, type TargetRef, type TargetRefKind } from './common.js';

export type { Tags };

/** Kuma's order of kinds (only Mesh < MeshSubset < MeshService < MeshServiceSubset select anything here). */
export const KIND_RANK: Readonly<Record<TargetRefKind, number>> = {
  Mesh: 0,
  Dataplane: 1,
  MeshSubset: 2,
  MeshGateway: 3,
  MeshService: 4,
  MeshExternalService: 5,
  MeshMultiZoneService: 6,
  MeshServiceSubset: 7,
  MeshHTTPRoute: 8,
};

export const MESH_REF: TargetRef = { kind: 'Mesh' };

/**
 * Whether a targetRef selects something with one of these tag sets. A kind or field Causeway does not
 * apply yet (core's `isAppliedTargetRef`: Dataplane, MeshHTTPRoute, labels, sectionName, ...) selects nothing.
 */
export function refMatches(ref: TargetRef | undefined, tagSets: readonly Tags[]): boolean {
  if (!ref) return true;
  if (!isAppliedTargetRef(ref)) return false;
  if (ref.kind === 'Mesh') return true;
  const tags = ref.tags ?? {};
  switch (ref.kind) {
    case 'MeshSubset':
      return tagSets.some((t) => matchesTags(tags, t));
    case 'MeshService':
      return tagSets.some((t) => t[SERVICE_TAG] === ref.name);
    case 'MeshServiceSubset':
      return tagSets.some((t) => t[SERVICE_TAG] === ref.name && matchesTags(tags, t));
  }
}

/** Where an entry stands in the precedence order (see the module comment). */
export interface Rank {
  top: TargetRefKind;
  entry: TargetRefKind;
  policy: string;
  index: number;
}

/** Ascending precedence: negative when `a` is applied before (loses to) `b`. */
export function compareRank(a: Rank, b: Rank): number {
  return (
    KIND_RANK[a.top] - KIND_RANK[b.top] ||
    KIND_RANK[a.entry] - KIND_RANK[b.entry] ||
    (a.policy > b.policy ? -1 : a.policy < b.policy ? 1 : 0) ||
    a.index - b.index
  );
}

/** One `to[]` / `from[]` entry of a policy that applies to an outbound or inbound. */
export interface RuleEntry<C> {
  /** Policy name. */
  policy: string;
  /** The policy's top-level targetRef (`{ kind: Mesh }` when absent). */
  targetRef: TargetRef;
  /** The entry's own targetRef. */
  entryTargetRef: TargetRef;
  /** Position of the entry in the policy's `to[]` / `from[]`. */
  index: number;
  conf: C;
}

export function rankOf(e: RuleEntry<unknown>): Rank {
  return { top: e.targetRef.kind, entry: e.entryTargetRef.kind, policy: e.policy, index: e.index };
}

export function sortEntries<C>(entries: RuleEntry<C>[]): RuleEntry<C>[] {
  return [...entries].sort((a, b) => compareRank(rankOf(a), rankOf(b)));
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Deep merge in order: later values override, objects merge field by field, arrays are replaced. */
export function mergeConfs<C>(confs: readonly C[]): C {
  const merge = (a: unknown, b: unknown): unknown => {
    if (b === undefined) return a;
    if (!isPlainObject(a) || !isPlainObject(b)) return b;
    const out: Record<string, unknown> = { ...a };
    for (const [k, v] of Object.entries(b)) out[k] = merge(out[k], v);
    return out;
  };
  return confs.reduce<unknown>((acc, c) => merge(acc, c), {}) as C;
}

/** JSON with sorted keys: equal values give equal strings (memo keys, hashes). */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (isPlainObject(v))
    return `{${Object.keys(v)
      .filter((k) => v[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(v[k])}`)
      .join(',')}}`;
  return JSON.stringify(v) ?? 'null';
}

/** The spec shape every targetRef policy shares. */
export interface PolicySpecShape<C> {
  targetRef?: TargetRef;
  to?: { targetRef: TargetRef; default: C }[];
  from?: { targetRef: TargetRef; default: C }[];
}

/** A policy whose entries' confs are `C` (a `Resource<'MeshTimeout'>` is a `PolicyWithConf<TimeoutConf>`). */
export interface PolicyWithConf<C> {
  name: string;
  spec: PolicySpecShape<C>;
}

/**
 * The entries of `section` (to / from) of the policies whose top-level targetRef selects `proxyTags`,
 * whose own targetRef satisfies `entryMatches`, in ascending precedence.
 */
export function collectEntries<C>(
  policies: readonly PolicyWithConf<C>[],
  section: 'to' | 'from',
  proxyTags: readonly Tags[],
  entryMatches: (ref: TargetRef) => boolean,
): RuleEntry<C>[] {
  const out: RuleEntry<C>[] = [];
  for (const p of policies) {
    const spec = p.spec;
    if (!refMatches(spec.targetRef, proxyTags)) continue;
    (spec[section] ?? []).forEach((e, index) => {
      if (entryMatches(e.targetRef)) out.push({ policy: p.name, targetRef: spec.targetRef ?? MESH_REF, entryTargetRef: e.targetRef, index, conf: e.default });
    });
  }
  return sortEntries(out);
}
