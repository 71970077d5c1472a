import { z } from 'zod';
import { isSet, type Unapplied } from '../policies/common.js';
import {
  asObject,
  asString,
  asStringMap,
  type DataSource,
  dataSourceSchema,
  isHostname,
  kumaRules,
  mapKey,
  parseHostPort,
  quote,
  stringMapSchema,
  under,
  type Violation,
  validateTags,
  whenTyped,
} from '../validation.js';

export const SERVICE_TAG = 'kuma.io/service';
export const PROTOCOL_TAG = 'kuma.io/protocol';
export const ZONE_TAG = 'kuma.io/zone';

/** Protocols an ExternalService may declare. `https` is accepted (Kuma's docs list it) and means tcp + TLS. */
export const EXTERNAL_SERVICE_PROTOCOLS = ['tcp', 'http', 'http2', 'grpc', 'kafka', 'https'] as const;
export type ExternalServiceProtocol = (typeof EXTERNAL_SERVICE_PROTOCOLS)[number];

export interface ExternalServiceTls {
  enabled?: boolean;
  allowRenegotiation?: boolean;
  /** Overrides the SNI; `""` sends no SNI. The docs' name of Kuma's `serverName`: set one or the other. */
  sni?: string;
  /** Kuma's API name of `sni` (it may not be empty). Read the effective value with `tlsServerName`. */
  serverName?: string;
  /** Accepted and stored for Kuma compatibility; not applied yet (the certificate's name is still checked). */
  skipHostnameVerification?: boolean;
  caCert?: DataSource;
  clientCert?: DataSource;
  clientKey?: DataSource;
}

export interface ExternalServiceSpec {
  tags: Record<string, string>;
  networking: {
    address: string;
    tls?: ExternalServiceTls;
    /** Accepted and stored for Kuma compatibility; not applied yet (the builtin DNS still answers the address's host). */
    disableHostDNSEntry?: boolean;
  };
}

/** The server name to send: `sni` or `serverName`, whichever was written (undefined when neither). */
export function tlsServerName(tls: ExternalServiceTls | undefined): string | undefined {
  return tls?.sni ?? tls?.serverName;
}

const serverNameError = (v: string) => (v !== '' && !isHostname(v) ? `${quote(v)} is not a valid server name (use a DNS name, or "" to send no SNI)` : undefined);
const serverName = z.string().superRefine((v, ctx) => {
  const err = serverNameError(v);
  if (err) ctx.addIssue({ code: 'custom', message: err });
});

const tlsSchema = z
  .strictObject({
    enabled: z.boolean().optional(),
    allowRenegotiation: z.boolean().optional(),
    sni: serverName.optional(),
    serverName: serverName.optional(),
    skipHostnameVerification: z.boolean().optional(),
    caCert: dataSourceSchema('certificate').optional(),
    clientCert: dataSourceSchema('certificate').optional(),
    clientKey: dataSourceSchema('privateKey').optional(),
  })
  .superRefine(
    (tls, ctx) => {
      const hasCert = tls.clientCert !== undefined;
      const hasKey = tls.clientKey !== undefined;
      if (hasCert && !hasKey) ctx.addIssue({ code: 'custom', path: ['clientKey'], message: 'is required when "clientCert" is set' });
      if (hasKey && !hasCert) ctx.addIssue({ code: 'custom', path: ['clientCert'], message: 'is required when "clientKey" is set' });
    },
    whenTyped(['clientCert'], ['clientKey']),
  );

/** `host:port` as Kuma checks it (`validateExternalServiceAddress`), with reasons that say what is wrong. */
function addressViolations(value: unknown): Violation[] {
  if (value === undefined || value === '') return [{ path: [], message: "address can't be empty" }];
  if (typeof value !== 'string') return []; // the schema reported the type
  const hp = parseHostPort(value);
  return typeof hp === 'string' ? [{ path: [], message: hp }] : [];
}

/**
 * Kuma's rules (`ExternalServiceResource.Validate`), at Kuma's paths: the address, `serverName` (not
 * empty), empty data sources (the schema's), the tags (`kuma.io/service` required, `kuma.io/protocol` a
 * known protocol, names and values of Kuma's characters), and the service not named like the address's host.
 */
function externalServiceRules(value: unknown): Violation[] {
  const spec = asObject(value);
  if (!spec) return [];
  const out: Violation[] = [];
  const networking = asObject(spec.networking);
  if (networking) {
    out.push(...under(['networking', 'address'], addressViolations(networking.address)));
    const tls = asObject(networking.tls);
    if (tls?.serverName === '') out.push({ path: ['networking', 'tls', 'serverName'], message: 'cannot be empty (write sni: "" to send no SNI)' });
    if (tls && tls.serverName !== undefined && tls.sni !== undefined)
      out.push({ path: ['networking', 'tls', 'serverName'], message: 'must not be set together with "sni": they are the same field (Kuma\'s API calls it serverName)' });
  }
  const tags = asStringMap(spec.tags);
  if (spec.tags === undefined || tags) {
    const protocol = tags?.[PROTOCOL_TAG];
    if (protocol !== undefined && !(EXTERNAL_SERVICE_PROTOCOLS as readonly string[]).includes(protocol))
      out.push({
        path: ['tags', mapKey(PROTOCOL_TAG)],
        message: `tag "${PROTOCOL_TAG}" has an invalid value ${JSON.stringify(protocol)}. Allowed values: ${[...EXTERNAL_SERVICE_PROTOCOLS].sort().join(', ')}`,
      });
    out.push(...under(['tags'], validateTags(spec.tags ?? {}, { requireService: true })));
  }
  // The service names the service, not the host it runs on (Kuma compares them as written; so do DNS
  // names, which ignore case).
  const service = tags?.[SERVICE_TAG];
  const address = asString(networking?.address);
  const hp = address !== undefined ? parseHostPort(address) : undefined;
  if (service && hp && typeof hp !== 'string' && hp.host.toLowerCase() === service.toLowerCase())
    out.push({
      path: ['tags', mapKey(SERVICE_TAG)],
      message:
        hp.kind === 'dns'
          ? `cannot be the same as networking.address (the host ${quote(hp.host)}): name the service, for example ${quote(hp.host.split('.')[0] ?? '')}`
          : `cannot be the same as networking.address (the host ${quote(hp.host)}): name the service`,
    });
  return out;
}

export const externalServiceSchema = kumaRules(
  z.strictObject({
    // Both checked by the rules, where Kuma reports them (`tags: mandatory tag ...`, `networking: should have networking`).
    tags: stringMapSchema().prefault({}),
    networking: z.strictObject(
      {
        address: z.string({ error: (iss) => (iss.input === null ? "address can't be empty" : undefined) }).prefault(''),
        tls: tlsSchema.optional(),
        disableHostDNSEntry: z.boolean().optional(),
      },
      { error: (iss) => (iss.input === undefined ? 'should have networking' : undefined) },
    ),
  }),
  externalServiceRules,
);

/** The protocol an ExternalService is served with (`https` is tcp with TLS). */
export function externalServiceProtocol(spec: ExternalServiceSpec): 'tcp' | 'http' | 'http2' | 'grpc' | 'kafka' {
  const p = spec.tags[PROTOCOL_TAG] ?? 'tcp';
  return p === 'https' ? 'tcp' : (p as 'tcp' | 'http' | 'http2' | 'grpc' | 'kafka');
}

/**
 * What an ExternalService holds that Causeway accepts and stores for Kuma compatibility but does not apply
 * (the descriptor's `unapplied`; `unappliedFields` returns them with document paths).
 */
export function externalServiceUnapplied(spec: ExternalServiceSpec): Unapplied[] {
  const out: Unapplied[] = [];
  if (isSet(spec.networking.tls?.skipHostnameVerification))
    out.push({
      path: ['networking', 'tls', 'skipHostnameVerification'],
      reason: "not applied: the server certificate's name is still verified when a caCert is given (a certificate for another name is refused)",
    });
  if (isSet(spec.networking.disableHostDNSEntry))
    out.push({ path: ['networking', 'disableHostDNSEntry'], reason: "not applied: the builtin DNS still answers the address's host name" });
  return out;
}
