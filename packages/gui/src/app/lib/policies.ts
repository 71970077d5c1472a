/**
 * Which policies are in effect for an ExternalService, computed in the browser from the policies the API
 * lists, with the rules of packages/core/src/policies (match.ts, plugin.ts, meshtrafficpermission/plugin.ts);
 * `policies.test.ts` checks this module against those functions on the same inputs.
 *
 * - targetRef matching: `Mesh` (or none) selects everything, `MeshSubset` by tags (value `*`: present),
 *   `MeshService` by `kuma.io/service`, `MeshServiceSubset` both. An ExternalService group is matched by
 *   the tags its members have in common.
 * - Precedence, ascending (the last entry applied wins each field it sets): the kind of the policy's
 *   top-level targetRef, then the kind of the entry's targetRef (Mesh < MeshSubset < MeshService <
 *   MeshServiceSubset), then the policy name (the lexicographically smaller wins), then the position.
 * - MeshTrafficPermission: the policies whose top-level targetRef selects the ExternalService; a caller is
 *   decided by the highest-precedence `from[]` entry that selects its identity (its workload certificate's
 *   URIs: `spiffe://<mesh>/<service>` per inbound service, `kuma://<tag>/<value>` per other inbound tag);
 *   no entry: denied. Enforced only with mTLS — at the ZoneEgress that originates (zone egress on), or by
 *   leaving the ExternalService out of the caller's sidecar (no zone egress).
 * - MeshTimeout / MeshRetry: the `to[]` entries that select the ExternalService, of the policies whose
 *   top-level targetRef selects the calling proxy; merged field by field. Fields no policy sets keep the
 *   generators' defaults (connect 5 s, request 15 s; retries on connect-failure, 2 of them).
 */
import { SERVICE_TAG, type Policy, type TargetRef, type TargetRefKind, type Tags, type TrafficAction } from './types.js';

export const KIND_RANK: Readonly<Record<TargetRefKind, number>> = { Mesh: 0, MeshSubset: 1, MeshService: 2, MeshServiceSubset: 3 };
const MESH_REF: TargetRef = { kind: 'Mesh' };

function matchesTags(selector: Tags, tags: Tags): boolean {
  return Object.entries(selector).every(([k, v]) => (v === '*' ? k in tags : tags[k] === v));
}

/** Whether a targetRef selects something with one of these tag sets. */
export function refMatches(ref: TargetRef | undefined, tagSets: readonly Tags[]): boolean {
  if (!ref || ref.kind === 'Mesh') return true;
  const tags = ref.tags ?? {};
  switch (ref.kind) {
    case 'MeshSubset':
      return tagSets.some((t) => matchesTags(tags, t));
    case 'MeshService':
      return tagSets.some((t) => t[SERVICE_TAG] === ref.name);
    case 'MeshServiceSubset':
      return tagSets.some((t) => t[SERVICE_TAG] === ref.name && matchesTags(tags, t));
    default:
      return false;
  }
}

export interface RuleEntry<C> {
  policy: string;
  targetRef: TargetRef;
  entryTargetRef: TargetRef;
  index: number;
  conf: C;
}

export function compareEntries(a: RuleEntry<unknown>, b: RuleEntry<unknown>): number {
  return (
    KIND_RANK[a.targetRef.kind] - KIND_RANK[b.targetRef.kind] ||
    KIND_RANK[a.entryTargetRef.kind] - KIND_RANK[b.entryTargetRef.kind] ||
    (a.policy > b.policy ? -1 : a.policy < b.policy ? 1 : 0) ||
    a.index - b.index
  );
}

/** The entries of `section` of the policies selecting `proxyTags` whose own targetRef passes `entryMatches`, in ascending precedence. */
export function collectEntries<C>(policies: readonly Policy<C>[], section: 'to' | 'from', proxyTags: readonly Tags[], entryMatches: (ref: TargetRef) => boolean): RuleEntry<C>[] {
  const out: RuleEntry<C>[] = [];
  for (const p of policies) {
    if (!refMatches(p.spec?.targetRef, proxyTags)) continue;
    (p.spec?.[section] ?? []).forEach((e, index) => {
      if (entryMatches(e.targetRef)) out.push({ policy: p.name, targetRef: p.spec.targetRef ?? MESH_REF, entryTargetRef: e.targetRef, index, conf: e.default });
    });
  }
  return out.sort(compareEntries);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Deep merge in order: later values override, objects merge field by field, lists are replaced. */
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

/** The tags the members of an ExternalService group have in common (what policies match it by). */
export function commonTags(tagSets: readonly Tags[], service: string): Tags {
  const [first, ...rest] = tagSets;
  if (!first) return { [SERVICE_TAG]: service };
  return Object.fromEntries(Object.entries(first).filter(([k, v]) => rest.every((t) => t[k] === v)));
}

/** The URIs of a caller's workload certificate, from its inbound tag sets. */
export function identityUris(mesh: string, inboundTags: readonly Tags[]): Set<string> {
  const out = new Set<string>();
  for (const tags of inboundTags) for (const [k, v] of Object.entries(tags)) out.add(k === SERVICE_TAG ? `spiffe://${mesh}/${v}` : `kuma://${k}/${v}`);
  return out;
}

/** Whether a `from[].targetRef` selects a caller with these certificate URIs (the RBAC principal's semantics). */
export function callerMatches(ref: TargetRef, mesh: string, uris: ReadonlySet<string>): boolean {
  const tags: [string, string][] = [];
  if (ref.kind === 'MeshService' || ref.kind === 'MeshServiceSubset') tags.push([SERVICE_TAG, ref.name as string]);
  if (ref.kind === 'MeshSubset' || ref.kind === 'MeshServiceSubset')
    for (const [k, v] of Object.entries(ref.tags ?? {})) if (!(k === SERVICE_TAG && tags.length > 0)) tags.push([k, v]);
  const has = (k: string, v: string): boolean => {
    if (k === SERVICE_TAG) return v === '*' ? [...uris].some((u) => u.startsWith(`spiffe://${mesh}/`)) : uris.has(`spiffe://${mesh}/${v}`);
    return v === '*' ? [...uris].some((u) => u.startsWith(`kuma://${k}/`)) : uris.has(`kuma://${k}/${v}`);
  };
  if (tags.length === 0) return [...uris].some((u) => u.startsWith(`spiffe://${mesh}/`));
  return tags.every(([k, v]) => has(k, v));
}

export interface Caller {
  /** A name to show (the Dataplane). */
  name: string;
  zone?: string;
  /** Its inbounds' tag sets. */
  inbounds: Tags[];
}

export interface PermissionDecision {
  caller: Caller;
  services: string[];
  allowed: boolean;
  /** The entry that decided; absent: no entry selects the caller (denied by default). */
  by?: RuleEntry<{ action: TrafficAction }>;
}

export interface Permissions {
  /** Policies whose top-level targetRef selects the ExternalService. */
  policies: string[];
  /** Their `from[]` entries, ascending precedence (the last that selects a caller decides). */
  entries: RuleEntry<{ action: TrafficAction }>[];
  enforced: boolean;
  /** Where the decision is enforced. */
  where: string;
  decisions: PermissionDecision[];
}

/** MeshTrafficPermissions in effect for an ExternalService group, and the decision for each known caller. */
export function permissionsFor(opts: {
  mesh: string;
  mtls: boolean;
  zoneEgress: boolean;
  externalTags: Tags;
  policies: readonly Policy<{ action: TrafficAction }>[];
  callers: readonly Caller[];
}): Permissions {
  const selecting = opts.policies.filter((p) => refMatches(p.spec?.targetRef, [opts.externalTags]));
  const entries = collectEntries(selecting, 'from', [opts.externalTags], () => true);
  const decisions = opts.callers.map((caller): PermissionDecision => {
    const uris = identityUris(opts.mesh, caller.inbounds);
    const services = [...new Set(caller.inbounds.map((t) => t[SERVICE_TAG]).filter((s): s is string => !!s))];
    for (let i = entries.length - 1; i >= 0; i--) {
      const e = entries[i] as RuleEntry<{ action: TrafficAction }>;
      if (callerMatches(e.entryTargetRef, opts.mesh, uris)) return { caller, services, allowed: e.conf.action !== 'Deny', by: e };
    }
    return { caller, services, allowed: false };
  });
  return {
    policies: selecting.map((p) => p.name).sort(),
    entries,
    enforced: opts.mtls,
    where: !opts.mtls
      ? 'not enforced: the mesh has no mTLS, so callers have no identity (every caller may call it)'
      : opts.zoneEgress
        ? 'enforced by the ZoneEgress that originates the call (a denied HTTP call gets a 403, a TCP connection is closed)'
        : 'enforced at the caller: a sidecar that may not call it gets no listener, cluster or DNS name for it',
    decisions: opts.mtls ? decisions : decisions.map((d) => ({ ...d, allowed: true })),
  };
}

export interface Effective<C> {
  entries: RuleEntry<C>[];
  conf: C;
}

/** The `to[]` entries (MeshTimeout / MeshRetry) in effect on a caller's outbound to the ExternalService group, merged. */
export function outboundPolicies<C>(policies: readonly Policy<C>[], callerTags: readonly Tags[], externalTags: Tags): Effective<C> {
  const entries = collectEntries(policies, 'to', callerTags, (ref) => refMatches(ref, [externalTags]));
  return { entries, conf: mergeConfs(entries.map((e) => e.conf)) };
}

/** What the generators set when no policy does (packages/xds generate/common.ts, meshtimeout and meshretry plugins). */
export const DEFAULT_TIMEOUTS = { connectionTimeout: '5s', requestTimeout: '15s' };
export const DEFAULT_RETRY = { retryOn: 'connect-failure', numRetries: 2 };

/** A targetRef as text: `Mesh`, `MeshService/web`, `MeshSubset(version=v1)`. */
export function targetRefText(ref: TargetRef | undefined): string {
  if (!ref) return 'Mesh';
  if (ref.kind === 'Mesh') return 'Mesh';
  const tags = Object.entries(ref.tags ?? {})
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
  if (ref.name && tags) return `${ref.kind}/${ref.name}(${tags})`;
  if (ref.name) return `${ref.kind}/${ref.name}`;
  return `${ref.kind}(${tags})`;
}
