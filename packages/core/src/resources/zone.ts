import { z } from 'zod';
import { durationSchema, hostSchema, nameSchema, portSchema, tagsSchema } from '../validation.js';

export interface ZoneSpec {
  enabled?: boolean;
}
export const zoneSchema = z.strictObject({ enabled: z.boolean().optional() });

export interface AvailableService {
  tags: Record<string, string>;
  instances?: number;
  mesh?: string;
  externalService?: boolean;
}

export interface ZoneIngressSpec {
  zone?: string;
  networking: {
    address: string;
    port: number;
    advertisedAddress?: string;
    advertisedPort?: number;
    admin?: { port?: number };
  };
  availableServices?: AvailableService[];
}

export const zoneIngressSchema = z.strictObject({
  zone: z.string().optional(),
  networking: z.strictObject({
    address: hostSchema,
    port: portSchema,
    advertisedAddress: hostSchema.optional(),
    advertisedPort: portSchema.optional(),
    admin: z.strictObject({ port: portSchema.optional() }).optional(),
  }),
  availableServices: z
    .array(
      z.strictObject({
        tags: tagsSchema,
        instances: z.number().int('must be an integer').min(0, 'must not be negative').optional(),
        mesh: nameSchema.optional(),
        externalService: z.boolean().optional(),
      }),
    )
    .optional(),
});

export interface ZoneEgressSpec {
  zone?: string;
  networking: { address: string; port: number; admin?: { port?: number } };
}

export const zoneEgressSchema = z.strictObject({
  zone: z.string().optional(),
  networking: z.strictObject({
    address: hostSchema,
    port: portSchema,
    admin: z.strictObject({ port: portSchema.optional() }).optional(),
  }),
});

/** Heartbeat a zone control plane publishes about itself. */
export interface ZoneInsightSpec {
  /** Version of the zone's control plane (not `version`: that is the store version in the universal format). */
  controlPlaneVersion?: string;
  heartbeatTime?: string;
  heartbeatInterval?: string;
  connectedProxies?: number;
  lastSyncRevision?: number;
  globalConnected?: boolean;
  resourceCounts?: Record<string, number>;
}

export const zoneInsightSchema = z.strictObject({
  controlPlaneVersion: z.string().optional(),
  heartbeatTime: z.iso.datetime({ error: 'must be an RFC 3339 time' }).optional(),
  heartbeatInterval: durationSchema.optional(),
  connectedProxies: z.number().int().min(0).optional(),
  lastSyncRevision: z.number().int().min(0).optional(),
  globalConnected: z.boolean().optional(),
  resourceCounts: z.record(z.string(), z.number().int().min(0)).optional(),
});

/** What a zone knows about one proxy's xDS stream. */
export interface DataplaneInsightSpec {
  subscriptions?: {
    id: string;
    controlPlaneInstanceId?: string;
    connectTime: string;
    disconnectTime?: string;
    status?: { lastUpdateTime?: string; responsesSent?: number; responsesAcknowledged?: number; responsesRejected?: number };
    lastNack?: { typeUrl: string; error: string; time: string };
  }[];
  mTLS?: { certificateExpirationTime?: string; lastCertificateRegeneration?: string; certificateRegenerations?: number };
}

const counter = z.number().int().min(0).optional();
export const dataplaneInsightSchema = z.strictObject({
  subscriptions: z
    .array(
      z.strictObject({
        id: z.string(),
        controlPlaneInstanceId: z.string().optional(),
        connectTime: z.iso.datetime(),
        disconnectTime: z.iso.datetime().optional(),
        status: z
          .strictObject({ lastUpdateTime: z.iso.datetime().optional(), responsesSent: counter, responsesAcknowledged: counter, responsesRejected: counter })
          .optional(),
        lastNack: z.strictObject({ typeUrl: z.string(), error: z.string(), time: z.iso.datetime() }).optional(),
      }),
    )
    .optional(),
  mTLS: z
    .strictObject({
      certificateExpirationTime: z.iso.datetime().optional(),
      lastCertificateRegeneration: z.iso.datetime().optional(),
      certificateRegenerations: counter,
    })
    .optional(),
});
