/**
 * MeshTrafficPermission: which callers (`from[].targetRef`) may reach the destinations the top-level
 * `targetRef` selects. The plugin (RBAC, and what a sidecar may reach) is `@causeway/xds`
 * `src/policies/meshtrafficpermission/`. Kuma's newer `rules[].default.{allow,deny,allowWithShadowDeny}`
 * (matches on the caller's SPIFFE ID or the SNI) are validated and stored, but not applied yet.
 */
import { z } from 'zod';
import { asObject, kumaRules, under, type Violation } from '../../validation.js';
import {
  definePolicy,
  entries,
  isSet,
  type Match,
  matchSchema,
  TOP_NOT_APPLIED,
  type TargetRef,
  targetRefSchema,
  topTargetRefRules,
  type Unapplied,
  unappliedTargetRef,
  validateMatch,
  validateTargetRef,
} from '../common.js';

export type TrafficAction = 'Allow' | 'Deny' | 'AllowWithShadowDeny';

export interface MeshTrafficPermissionRule {
  default: { allow?: Match[]; deny?: Match[]; allowWithShadowDeny?: Match[] };
}

export interface MeshTrafficPermissionSpec {
  targetRef?: TargetRef;
  from?: { targetRef: TargetRef; default: { action: TrafficAction } }[];
  /** Stored, not applied yet. */
  rules?: MeshTrafficPermissionRule[];
}

const ACTIONS = ['Allow', 'Deny', 'AllowWithShadowDeny'] as const;

const structure = z.strictObject({
  targetRef: targetRefSchema.optional(),
  from: z
    .array(
      z.strictObject({
        targetRef: targetRefSchema,
        // A missing default is parsed as {}: its missing action is reported at `default.action`, as Kuma does.
        default: z
          .strictObject({
            action: z.enum(ACTIONS, { error: (iss) => (iss.input === undefined ? 'must be defined' : `must be one of ${ACTIONS.join(', ')}`) }),
          })
          .prefault({} as never),
      }),
    )
    .optional(),
  rules: z
    .array(
      z.strictObject({
        default: z
          .strictObject({
            allow: z.array(matchSchema).optional(),
            deny: z.array(matchSchema).optional(),
            allowWithShadowDeny: z.array(matchSchema).optional(),
          })
          .prefault({}),
      }),
    )
    .optional(),
});

/** Kuma's rules (`MeshTrafficPermissionResource.validate`), paths under `spec`. */
function mtpRules(value: unknown): Violation[] {
  const spec = asObject(value);
  if (!spec) return [];
  const from = entries(spec.from);
  const rules = entries(spec.rules);
  const out: Violation[] = [
    ...topTargetRefRules(spec.targetRef, ['Mesh', 'MeshSubset', 'MeshService', 'MeshServiceSubset', 'Dataplane'], from.length > 0 || rules.length > 0),
  ];
  if (from.length > 0 && rules.length > 0) out.push({ path: [], message: "field 'from' must be empty when 'rules' is defined" });
  if (from.length === 0 && rules.length === 0) out.push({ path: [], message: "at least one of 'from' or 'rules' has to be defined" });
  rules.forEach((rule, i) => {
    const conf = (rule.default ?? {}) as Record<string, unknown>;
    const lists = ['allow', 'allowWithShadowDeny', 'deny'] as const;
    if (lists.every((l) => entries(conf[l]).length === 0))
      out.push({ path: ['rules', i], message: "at least one of 'allow', 'allowWithShadowDeny', 'deny' has to be defined" });
    // Kuma reports matches at `rules[i].<list>[j]` (without `default`).
    for (const l of lists)
      entries(conf[l]).forEach((m, j) => {
        out.push(...under(['rules', i, l, j], validateMatch(m)));
      });
  });
  from.forEach((f, i) => {
    out.push(...under(['from', i, 'targetRef'], validateTargetRef(f.targetRef, { kinds: ['Mesh', 'MeshSubset', 'MeshService', 'MeshServiceSubset'] })));
  });
  return out;
}

export const meshTrafficPermissionSchema = kumaRules(structure, mtpRules);

const DENY_NOT_APPLIED =
  'this Deny denies nothing in Causeway: the callers it names are not denied, and another permission that allows them lets them through (Kuma would refuse them)';
const RULE_DENY_NOT_APPLIED =
  'not applied: this deny denies nothing in Causeway: the callers it matches are not denied, and another permission that allows them lets them through (Kuma would refuse them)';
const ALLOW_NOT_APPLIED = 'this entry allows nothing: with mTLS on, the callers it names stay denied unless another permission allows them';

/** What a permission holds that Causeway does not apply (see `PolicyDefinition.unapplied`). */
function unapplied(spec: MeshTrafficPermissionSpec): Unapplied[] {
  const from = spec.from ?? [];
  const denies = from.some((f) => f.default.action === 'Deny') || (spec.rules ?? []).some((r) => isSet(r.default.deny));
  const out = unappliedTargetRef(spec.targetRef, [], denies ? `${TOP_NOT_APPLIED}: its Deny entries deny nothing in Causeway` : TOP_NOT_APPLIED);
  from.forEach((f, i) => {
    out.push(...unappliedTargetRef(f.targetRef, ['from', i], f.default.action === 'Deny' ? DENY_NOT_APPLIED : ALLOW_NOT_APPLIED));
  });
  if (isSet(spec.rules)) out.push({ path: ['rules'], reason: 'rules are accepted for Kuma compatibility but not applied: this permission allows and denies nothing in Causeway' });
  (spec.rules ?? []).forEach((r, i) => {
    if (isSet(r.default.deny)) out.push({ path: ['rules', i, 'default', 'deny'], reason: RULE_DENY_NOT_APPLIED });
  });
  return out;
}

export const meshTrafficPermission = definePolicy<MeshTrafficPermissionSpec>()({
  type: 'MeshTrafficPermission',
  plural: 'meshtrafficpermissions',
  aliases: ['mtp', 'mesh-traffic-permission', 'mesh-traffic-permissions'],
  schema: meshTrafficPermissionSchema,
  order: 10,
  unapplied,
});
