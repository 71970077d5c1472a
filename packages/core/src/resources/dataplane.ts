import { z } from 'zod';
import { hostSchema, mapKey, portSchema, tagsSchema, validateTags, whenTyped } from '../validation.js';
import { PROTOCOL_TAG, SERVICE_TAG, ZONE_TAG } from './external-service.js';

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

/**
 * The Dataplane as a zone stores it: every inbound tagged `kuma.io/zone: <zone>` (as Kuma's zone control
 * plane does), so its workload certificate carries the zone (`kuma://kuma.io/zone/<zone>`) and a
 * MeshTrafficPermission `from` a MeshSubset with that tag can match its calls. The zone's value replaces
 * one the proxy sent: a proxy does not choose its zone. The same object when nothing changes.
 */
export function withInboundZoneTag(spec: DataplaneSpec, zone: string): DataplaneSpec {
  const inbound = spec.networking.inbound;
  if (!inbound || inbound.every((ib) => ib.tags[ZONE_TAG] === zone)) return spec;
  return { ...spec, networking: { ...spec.networking, inbound: inbound.map((ib) => (ib.tags[ZONE_TAG] === zone ? ib : { ...ib, tags: { ...ib.tags, [ZONE_TAG]: zone } })) } };
}

function requireServiceTag(tags: Record<string, string>, ctx: z.RefinementCtx): void {
  const s = tags[SERVICE_TAG];
  if (s === undefined || s === '') ctx.addIssue({ code: 'custom', path: ['tags', mapKey(SERVICE_TAG)], message: 'is required' });
  // The service and its protocol become a ZoneIngress's availableServices, which Kuma's tag rules check:
  // hold them to those rules here (Kuma checks every Dataplane tag so), not only when the ingress is written.
  const checked = { ...(s ? { [SERVICE_TAG]: s } : {}), ...(tags[PROTOCOL_TAG] !== undefined ? { [PROTOCOL_TAG]: tags[PROTOCOL_TAG] } : {}) };
  for (const v of validateTags(checked)) ctx.addIssue({ code: 'custom', path: ['tags', ...v.path], message: v.message });
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
  .superRefine((ib, ctx) => requireServiceTag(ib.tags, ctx), whenTyped(['tags']));

const outboundSchema = z
  .strictObject({
    port: portSchema,
    address: hostSchema.optional(),
    tags: tagsSchema,
  })
  .superRefine((ob, ctx) => requireServiceTag(ob.tags, ctx), whenTyped(['tags']));

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
    // Every inbound and every outbound on its own address and port. Each list is checked when its own
    // entries have their types; a wrong outbound does not hide a duplicate inbound.
    .superRefine((n, ctx) => {
      const inbound = n.inbound ?? [];
      if (inbound.length === 0) ctx.addIssue({ code: 'custom', path: ['inbound'], message: 'must have at least one inbound' });
      const seen = new Map<string, number>();
      inbound.forEach((ib, i) => {
        const key = `${ib.address ?? ''}:${ib.port}`;
        const first = seen.get(key);
        if (first !== undefined) ctx.addIssue({ code: 'custom', path: ['inbound', i, 'port'], message: `port ${ib.port} is already used by inbound[${first}]` });
        else seen.set(key, i);
      });
    }, whenTyped(['inbound']))
    .superRefine((n, ctx) => {
      const seen = new Map<string, number>();
      (n.outbound ?? []).forEach((ob, i) => {
        const key = `${ob.address ?? '127.0.0.1'}:${ob.port}`;
        const first = seen.get(key);
        if (first !== undefined) ctx.addIssue({ code: 'custom', path: ['outbound', i, 'port'], message: `${key} is already used by outbound[${first}]` });
        else seen.set(key, i);
      });
    }, whenTyped(['outbound'])),
});
