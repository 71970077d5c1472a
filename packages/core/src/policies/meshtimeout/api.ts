/**
 * MeshTimeout: timeouts on the selected proxies' outbounds (`to[]`) and inbounds (`from[]`). The plugin
 * is `@causeway/xds` `src/policies/meshtimeout/`.
 */
import { z } from 'zod';
import { durationSchema, whenTyped } from '../../validation.js';
import { definePolicy, nonEmptyList, type TargetRef, targetRefSchema } from '../common.js';

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

export const meshTimeout = definePolicy<MeshTimeoutSpec>()({
  type: 'MeshTimeout',
  plural: 'meshtimeouts',
  aliases: ['mesh-timeout', 'mesh-timeouts'],
  schema: meshTimeoutSchema,
  order: 20,
});
