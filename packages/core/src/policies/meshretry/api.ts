/**
 * MeshRetry: retry policies on the selected proxies' outbounds (`to[]`: `http`, `grpc`, `tcp`). The
 * plugin is `@causeway/xds` `src/policies/meshretry/`.
 */
import { z } from 'zod';
import { durationSchema, quote } from '../../validation.js';
import { definePolicy, nonEmptyList, type TargetRef, targetRefSchema } from '../common.js';

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

export const meshRetry = definePolicy<MeshRetrySpec>()({
  type: 'MeshRetry',
  plural: 'meshretries',
  aliases: ['mesh-retry', 'mesh-retries'],
  schema: meshRetrySchema,
  order: 30,
});
