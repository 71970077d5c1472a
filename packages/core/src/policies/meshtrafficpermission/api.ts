/**
 * MeshTrafficPermission: which callers (`from[].targetRef`) may reach the destinations the top-level
 * `targetRef` selects. The plugin (RBAC, and what a sidecar may reach) is `@causeway/xds`
 * `src/policies/meshtrafficpermission/`. Kuma's newer `rules[].default.{allow,deny,allowWithShadowDeny}`
 * (matches on the caller's SPIFFE ID or the SNI) are validated and stored, but not applied yet.
 */
import { z } from 'zod';
import { asObject, kumaRules, under, type Violation } from '../../validation.js';
import { definePolicy, entries, type Match, matchSchema, type TargetRef, targetRefSchema, topTargetRefRules, validateMatch, validateTargetRef } from '../common.js';

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

export const meshTrafficPermission = definePolicy<MeshTrafficPermissionSpec>()({
  type: 'MeshTrafficPermission',
  plural: 'meshtrafficpermissions',
  aliases: ['mtp', 'mesh-traffic-permission', 'mesh-traffic-permissions'],
  schema: meshTrafficPermissionSchema,
  order: 10,
});
