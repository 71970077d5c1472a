/**
 * Kuma's new-style policies (`spec.targetRef` + `from`/`to`). Validated structurally here; how they change
 * traffic lives with the xDS policy plugins.
 */
import { z } from 'zod';
import { durationSchema, nameSchema, quote, tagsSchema, whenTyped } from '../validation.js';

export const TARGET_REF_KINDS = ['Mesh', 'MeshSubset', 'MeshService', 'MeshServiceSubset'] as const;
export type TargetRefKind = (typeof TARGET_REF_KINDS)[number];

export interface TargetRef {
  kind: TargetRefKind;
  name?: string;
  tags?: Record<string, string>;
}

export const targetRefSchema = z
  .strictObject({
    kind: z.enum(TARGET_REF_KINDS, { error: `must be one of ${TARGET_REF_KINDS.join(', ')}` }),
    name: nameSchema.optional(),
    tags: tagsSchema.optional(),
  })
  .superRefine(
    (ref, ctx) => {
      const { kind, name, tags } = ref;
      const hasTags = tags !== undefined && Object.keys(tags).length > 0;
      switch (kind) {
        case 'Mesh':
          if (name !== undefined) ctx.addIssue({ code: 'custom', path: ['name'], message: 'must not be set with kind Mesh' });
          if (tags !== undefined) ctx.addIssue({ code: 'custom', path: ['tags'], message: 'must not be set with kind Mesh' });
          break;
        case 'MeshSubset':
          if (name !== undefined) ctx.addIssue({ code: 'custom', path: ['name'], message: 'must not be set with kind MeshSubset' });
          if (!hasTags) ctx.addIssue({ code: 'custom', path: ['tags'], message: 'is required with kind MeshSubset' });
          break;
        case 'MeshService':
          if (name === undefined) ctx.addIssue({ code: 'custom', path: ['name'], message: 'is required with kind MeshService' });
          if (tags !== undefined) ctx.addIssue({ code: 'custom', path: ['tags'], message: 'must not be set with kind MeshService' });
          break;
        case 'MeshServiceSubset':
          if (name === undefined) ctx.addIssue({ code: 'custom', path: ['name'], message: 'is required with kind MeshServiceSubset' });
          if (!hasTags) ctx.addIssue({ code: 'custom', path: ['tags'], message: 'is required with kind MeshServiceSubset' });
          break;
      }
    },
    // kind, name and tags are read together: only once each has its type (tags: null is a 400, not Object.keys(null)).
    whenTyped(['kind'], ['name'], ['tags']),
  );

function nonEmptyList<T extends z.ZodType>(item: T) {
  return z.array(item).min(1, 'must have at least one entry');
}

// --- MeshTrafficPermission ---------------------------------------------------------------------
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

// --- MeshTimeout -------------------------------------------------------------------------------
export interface TimeoutConf {
  connectionTimeout?: string;
  idleTimeout?: string;
  http?: {
    requestTimeout?: string;
    streamIdleTimeout?: string;
    maxStreamDuration?: string;
    maxConnectionDuration?: string;
    requestHeadersTimeout?: string;
  };
}
export interface MeshTimeoutSpec {
  targetRef?: TargetRef;
  from?: { targetRef: TargetRef; default: TimeoutConf }[];
  to?: { targetRef: TargetRef; default: TimeoutConf }[];
}
const timeoutConfSchema = z.strictObject({
  connectionTimeout: durationSchema.optional(),
  idleTimeout: durationSchema.optional(),
  http: z
    .strictObject({
      requestTimeout: durationSchema.optional(),
      streamIdleTimeout: durationSchema.optional(),
      maxStreamDuration: durationSchema.optional(),
      maxConnectionDuration: durationSchema.optional(),
      requestHeadersTimeout: durationSchema.optional(),
    })
    .optional(),
});
const timeoutEntry = z.strictObject({ targetRef: targetRefSchema, default: timeoutConfSchema });
export const meshTimeoutSchema = z
  .strictObject({
    targetRef: targetRefSchema.optional(),
    from: nonEmptyList(timeoutEntry).optional(),
    to: nonEmptyList(timeoutEntry).optional(),
  })
  .superRefine(
    (spec, ctx) => {
      // Reported on the spec itself, as Kuma does (`field: spec`): neither list is there to point at.
      if (spec.from === undefined && spec.to === undefined) ctx.addIssue({ code: 'custom', path: [], message: 'at least one of "from" or "to" is required' });
    },
    whenTyped(['from'], ['to']),
  );

// --- MeshRetry ---------------------------------------------------------------------------------
export const HTTP_RETRY_ON = [
  '5XX',
  'GatewayError',
  'Reset',
  'Retriable4xx',
  'ConnectFailure',
  'EnvoyRatelimited',
  'RefusedStream',
  'Http3PostConnectFailure',
  'HttpMethodConnect',
  'HttpMethodDelete',
  'HttpMethodGet',
  'HttpMethodHead',
  'HttpMethodOptions',
  'HttpMethodPatch',
  'HttpMethodPost',
  'HttpMethodPut',
  'HttpMethodTrace',
] as const;
export const GRPC_RETRY_ON = ['Canceled', 'DeadlineExceeded', 'Internal', 'ResourceExhausted', 'Unavailable'] as const;

export interface RetryConf {
  tcp?: { maxConnectAttempt?: number };
  http?: {
    numRetries?: number;
    perTryTimeout?: string;
    backOff?: { baseInterval?: string; maxInterval?: string };
    retryOn?: string[];
  };
  grpc?: {
    numRetries?: number;
    perTryTimeout?: string;
    backOff?: { baseInterval?: string; maxInterval?: string };
    retryOn?: string[];
  };
}
export interface MeshRetrySpec {
  targetRef?: TargetRef;
  to: { targetRef: TargetRef; default: RetryConf }[];
}
const backOffSchema = z.strictObject({ baseInterval: durationSchema.optional(), maxInterval: durationSchema.optional() });
const retries = z.number().int('must be an integer').min(0, 'must not be negative').max(100, 'must be at most 100');
export const meshRetrySchema = z.strictObject({
  targetRef: targetRefSchema.optional(),
  to: nonEmptyList(
    z.strictObject({
      targetRef: targetRefSchema,
      default: z.strictObject({
        tcp: z.strictObject({ maxConnectAttempt: z.number().int('must be an integer').min(1, 'must be at least 1').max(100, 'must be at most 100').optional() }).optional(),
        http: z
          .strictObject({
            numRetries: retries.optional(),
            perTryTimeout: durationSchema.optional(),
            backOff: backOffSchema.optional(),
            retryOn: z
              .array(
                z.string().superRefine((v, ctx) => {
                  if (!(HTTP_RETRY_ON as readonly string[]).includes(v) && !/^[1-5]\d\d$/.test(v))
                    ctx.addIssue({ code: 'custom', message: `${quote(v)} is not a retry condition (one of ${HTTP_RETRY_ON.join(', ')}, or an HTTP status code)` });
                }),
              )
              .optional(),
          })
          .optional(),
        grpc: z
          .strictObject({
            numRetries: retries.optional(),
            perTryTimeout: durationSchema.optional(),
            backOff: backOffSchema.optional(),
            retryOn: z.array(z.enum(GRPC_RETRY_ON, { error: `must be one of ${GRPC_RETRY_ON.join(', ')}` })).optional(),
          })
          .optional(),
      }),
    }),
  ),
});
