import { isIP } from 'node:net';
import { z } from 'zod';
import {
  asArray,
  asObject,
  asString,
  durationSchema,
  isHostname,
  kumaRules,
  nameSchema,
  portSchema,
  stringMapSchema,
  under,
  type Violation,
  validateTags,
} from '../validation.js';

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

/** An IP address in one spelling per address (IPv6 compressed, IPv4-mapped IPv6 as IPv4); undefined for a name. */
function canonicalIp(address: string): string | undefined {
  if (isIP(address) === 4) return address;
  if (isIP(address) !== 6) return undefined;
  try {
    const ip = new URL(`http://[${address}]/`).hostname.slice(1, -1);
    const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(ip);
    if (!mapped) return ip;
    const [hi, lo] = [Number.parseInt(mapped[1] as string, 16), Number.parseInt(mapped[2] as string, 16)];
    return [hi >> 8, hi & 255, lo >> 8, lo & 255].join('.');
  } catch {
    return address;
  }
}

/** Whether two addresses overlap as Kuma sees it: equal IPs, or either one the wildcard. A DNS name overlaps nothing. */
function overlap(a: string, b: unknown): boolean {
  const x = canonicalIp(a);
  const y = typeof b === 'string' ? canonicalIp(b) : undefined;
  if (x === undefined || y === undefined) return false;
  const wildcard = (ip: string) => ip === '0.0.0.0' || ip === '::';
  return wildcard(x) || wildcard(y) || x === y;
}

/**
 * Kuma's `validateAddress` (for ZoneIngress and ZoneEgress), reported where Kuma reports it: at
 * `<field>.address` (`networking.address.address`).
 */
function proxyAddressRules(value: unknown): Violation[] {
  if (typeof value !== 'string' || value === '') return [];
  const out: Violation[] = [];
  if (value === '0.0.0.0' || value === '::') out.push({ path: ['address'], message: 'must not be 0.0.0.0 or ::' });
  if (isIP(value) === 0 && !isHostname(value)) out.push({ path: ['address'], message: 'address has to be valid IP address or domain name' });
  return out;
}

/** Kuma's `ValidatePort` for a port that is given (0 and a missing port are the schema's). */
function portRules(value: unknown): Violation[] {
  return typeof value === 'number' && Number.isInteger(value) && (value < 1 || value > 65535) ? [{ path: [], message: 'port must be in the range [1, 65535]' }] : [];
}

/** The admin port (Envoy's admin API, on loopback) must not be a port the proxy listens on at an overlapping address. */
function adminPortRules(n: Record<string, unknown>, listeners: [string, string][]): Violation[] {
  const admin = asObject(n.admin)?.port;
  if (typeof admin !== 'number') return [];
  return listeners.some(([address, port]) => n[port] === admin && overlap('127.0.0.1', n[address])) ? [{ path: ['admin', 'port'], message: 'must differ from port' }] : [];
}

function zoneIngressRules(value: unknown): Violation[] {
  const spec = asObject(value);
  const n = asObject(spec?.networking);
  const out: Violation[] = [];
  if (n) {
    const net: Violation[] = [...adminPortRules(n, [['address', 'port'], ['advertisedAddress', 'advertisedPort']])];
    const advAddress = asString(n.advertisedAddress) ?? '';
    const advPort = n.advertisedPort;
    if (advAddress === '' && typeof advPort === 'number' && advPort !== 0) net.push({ path: ['advertisedAddress'], message: 'has to be defined with advertisedPort' });
    if ((advPort === undefined || advPort === 0) && advAddress !== '') net.push({ path: ['advertisedPort'], message: 'has to be defined with advertisedAddress' });
    net.push(...under(['address'], proxyAddressRules(n.address)), ...under(['advertisedAddress'], proxyAddressRules(n.advertisedAddress)));
    net.push(...under(['port'], portRules(n.port)), ...under(['advertisedPort'], portRules(n.advertisedPort)));
    out.push(...under(['networking'], net));
  }
  // Kuma reports these at `availableService[i]` (singular).
  asArray(spec?.availableServices).forEach((s, i) => {
    out.push(...under(['availableService', i, 'tags'], validateTags(asObject(s)?.tags ?? {}, { requireService: true })));
  });
  return out;
}

/** The proxy's own address: required (the proxy listens on it); its form is checked by the rules, at Kuma's path. */
const proxyAddress = z.string().superRefine((v, ctx) => {
  if (v === '') ctx.addIssue({ code: 'custom', message: 'is required' });
});

// Ports: the rules report a port out of range as Kuma does; the schema only wants an integer (and a port).
const anyPort = z.number({ error: (iss) => (iss.input === undefined ? 'port must be in the range [1, 65535]' : undefined) }).int('must be an integer');

export const zoneIngressSchema = kumaRules(
  z.strictObject({
    zone: z.string().optional(),
    networking: z.strictObject({
      address: proxyAddress,
      port: anyPort,
      advertisedAddress: z.string().optional(),
      advertisedPort: anyPort.optional(),
      admin: z.strictObject({ port: portSchema.optional() }).optional(),
    }),
    availableServices: z
      .array(
        z.strictObject({
          tags: stringMapSchema(),
          instances: z.number().int('must be an integer').min(0, 'must not be negative').optional(),
          mesh: nameSchema.optional(),
          externalService: z.boolean().optional(),
        }),
      )
      .optional(),
  }),
  zoneIngressRules,
);

export interface ZoneEgressSpec {
  zone?: string;
  networking: { address: string; port: number; admin?: { port?: number } };
}

function zoneEgressRules(value: unknown): Violation[] {
  const n = asObject(asObject(value)?.networking);
  if (!n) return [];
  return under(['networking'], [
    ...adminPortRules(n, [['address', 'port']]),
    ...under(['address'], proxyAddressRules(n.address)),
    ...under(['port'], portRules(n.port)),
  ]);
}

export const zoneEgressSchema = kumaRules(
  z.strictObject({
    zone: z.string().optional(),
    networking: z.strictObject({
      address: proxyAddress,
      port: anyPort,
      admin: z.strictObject({ port: portSchema.optional() }).optional(),
    }),
  }),
  zoneEgressRules,
);

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
