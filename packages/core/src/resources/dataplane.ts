import { z } from 'zod';
import { always, hostSchema, portSchema, tagsSchema } from '../validation.js';
import { SERVICE_TAG } from './external-service.js';

export interface DataplaneInbound {
  port: number;
  servicePort?: number;
  serviceAddress?: string;
  address?: string;
  tags: Record<string, string>;
  health?: { ready?: boolean };
}

export interface DataplaneOutbound {
  port: number;
  address?: string;
  tags: Record<string, string>;
}

export interface DataplaneSpec {
  networking: {
    address: string;
    advertisedAddress?: string;
    admin?: { port?: number };
    inbound?: DataplaneInbound[];
    outbound?: DataplaneOutbound[];
    transparentProxying?: {
      redirectPortInbound?: number;
      redirectPortOutbound?: number;
      reachableServices?: string[];
    };
  };
}

function requireServiceTag(tags: unknown, ctx: z.RefinementCtx): void {
  if (typeof tags !== 'object' || tags === null || Array.isArray(tags)) return;
  const s = (tags as Record<string, unknown>)[SERVICE_TAG];
  if (s === undefined || s === '') ctx.addIssue({ code: 'custom', path: ['tags', SERVICE_TAG], message: 'is required' });
}

const inboundSchema = z
  .strictObject({
    port: portSchema,
    servicePort: portSchema.optional(),
    serviceAddress: hostSchema.optional(),
    address: hostSchema.optional(),
    tags: tagsSchema,
    health: z.strictObject({ ready: z.boolean().optional() }).optional(),
  })
  .superRefine((ib, ctx) => requireServiceTag(ib?.tags, ctx), always);

const outboundSchema = z
  .strictObject({
    port: portSchema,
    address: hostSchema.optional(),
    tags: tagsSchema,
  })
  .superRefine((ob, ctx) => requireServiceTag(ob?.tags, ctx), always);

export const dataplaneSchema = z.strictObject({
  networking: z
    .strictObject({
      address: hostSchema,
      advertisedAddress: hostSchema.optional(),
      admin: z.strictObject({ port: portSchema.optional() }).optional(),
      inbound: z.array(inboundSchema).optional(),
      outbound: z.array(outboundSchema).optional(),
      transparentProxying: z
        .strictObject({
          redirectPortInbound: portSchema.optional(),
          redirectPortOutbound: portSchema.optional(),
          reachableServices: z.array(z.string()).optional(),
        })
        .optional(),
    })
    .superRefine((n, ctx) => {
      if (typeof n !== 'object' || n === null) return;
      const inbound = Array.isArray(n.inbound) ? n.inbound : [];
      if (n.inbound === undefined || (Array.isArray(n.inbound) && n.inbound.length === 0)) ctx.addIssue({ code: 'custom', path: ['inbound'], message: 'must have at least one inbound' });
      const seenIn = new Map<string, number>();
      inbound.forEach((ib, i) => {
        const key = `${ib?.address ?? ''}:${ib?.port}`;
        if (seenIn.has(key)) ctx.addIssue({ code: 'custom', path: ['inbound', i, 'port'], message: `port ${ib?.port} is already used by inbound[${seenIn.get(key)}]` });
        else seenIn.set(key, i);
      });
      const outbound = Array.isArray(n.outbound) ? n.outbound : [];
      const seenOut = new Map<string, number>();
      outbound.forEach((ob, i) => {
        const key = `${ob?.address ?? '127.0.0.1'}:${ob?.port}`;
        if (seenOut.has(key))
          ctx.addIssue({ code: 'custom', path: ['outbound', i, 'port'], message: `${key} is already used by outbound[${seenOut.get(key)}]` });
        else seenOut.set(key, i);
      });
    }, always),
});
