/**
 * MeshTrafficPermission: which callers (`from[].targetRef`) may reach the destinations the top-level
 * `targetRef` selects. The plugin (RBAC, and what a sidecar may reach) is `@causeway/xds`
 * `src/policies/meshtrafficpermission/`.
 */
import { z } from 'zod';
import { definePolicy, nonEmptyList, type TargetRef, targetRefSchema } from '../common.js';

export type TrafficAction = 'Allow' | 'Deny' | 'AllowWithShadowDeny';

export interface MeshTrafficPermissionSpec {
  targetRef?: TargetRef;
  from: { targetRef: TargetRef; default: { action: TrafficAction } }[];
}

export const meshTrafficPermissionSchema = z.strictObject({
  targetRef: targetRefSchema.optional(),
  from: nonEmptyList(
    z.strictObject({
      targetRef: targetRefSchema,
      default: z.strictObject({
        action: z.enum(['Allow', 'Deny', 'AllowWithShadowDeny'], { error: 'must be one of Allow, Deny, AllowWithShadowDeny' }),
      }),
    }),
  ),
});

export const meshTrafficPermission = definePolicy<MeshTrafficPermissionSpec>()({
  type: 'MeshTrafficPermission',
  plural: 'meshtrafficpermissions',
  aliases: ['mtp', 'mesh-traffic-permission', 'mesh-traffic-permissions'],
  schema: meshTrafficPermissionSchema,
  order: 10,
});
