import { z } from 'zod';
import { always, type DataSource, dataSourceSchema, hostPortSchema, isHostname, parseHostPort, tagsSchema } from '../validation.js';

export const SERVICE_TAG = 'kuma.io/service';
export const PROTOCOL_TAG = 'kuma.io/protocol';
export const ZONE_TAG = 'kuma.io/zone';

/** Protocols an ExternalService may declare. `https` is accepted (Kuma's docs list it) and means tcp + TLS. */
export const EXTERNAL_SERVICE_PROTOCOLS = ['tcp', 'http', 'http2', 'grpc', 'kafka', 'https'] as const;
export type ExternalServiceProtocol = (typeof EXTERNAL_SERVICE_PROTOCOLS)[number];

export interface ExternalServiceTls {
  enabled?: boolean;
  allowRenegotiation?: boolean;
  /** Overrides the SNI; `""` sends no SNI. */
  sni?: string;
  caCert?: DataSource;
  clientCert?: DataSource;
  clientKey?: DataSource;
}

export interface ExternalServiceSpec {
  tags: Record<string, string>;
  networking: {
    address: string;
    tls?: ExternalServiceTls;
  };
}

const tlsSchema = z
  .strictObject({
    enabled: z.boolean().optional(),
    allowRenegotiation: z.boolean().optional(),
    sni: z
      .string()
      .superRefine((v, ctx) => {
        if (v !== '' && !isHostname(v)) ctx.addIssue({ code: 'custom', message: `"${v}" is not a valid server name (use a DNS name, or "" to send no SNI)` });
      })
      .optional(),
    caCert: dataSourceSchema('certificate').optional(),
    clientCert: dataSourceSchema('certificate').optional(),
    clientKey: dataSourceSchema('privateKey').optional(),
  })
  .superRefine((tls, ctx) => {
    if (typeof tls !== 'object' || tls === null) return;
    const hasCert = tls.clientCert !== undefined;
    const hasKey = tls.clientKey !== undefined;
    if (hasCert && !hasKey) ctx.addIssue({ code: 'custom', path: ['clientKey'], message: 'is required when "clientCert" is set' });
    if (hasKey && !hasCert) ctx.addIssue({ code: 'custom', path: ['clientCert'], message: 'is required when "clientKey" is set' });
  }, always);

export const externalServiceSchema = z
  .strictObject({
    tags: tagsSchema,
    networking: z.strictObject({
      address: hostPortSchema,
      tls: tlsSchema.optional(),
    }),
  })
  .superRefine((spec, ctx) => {
    const tags = (spec as { tags?: unknown }).tags;
    // A non-map `tags` is already reported by the field schema; say nothing more about it.
    if (typeof tags !== 'object' || tags === null || Array.isArray(tags)) return;
    const t = tags as Record<string, unknown>;
    const service = t[SERVICE_TAG];
    if (service === undefined) {
      ctx.addIssue({ code: 'custom', path: ['tags', SERVICE_TAG], message: 'is required' });
    } else if (service === '') {
      ctx.addIssue({ code: 'custom', path: ['tags', SERVICE_TAG], message: 'must not be empty' });
    } else if (typeof service === 'string') {
      const address = (spec as { networking?: { address?: unknown } }).networking?.address;
      if (typeof address === 'string') {
        const hp = parseHostPort(address);
        if (typeof hp !== 'string' && hp.host.toLowerCase() === service.toLowerCase())
          ctx.addIssue({
            code: 'custom',
            path: ['tags', SERVICE_TAG],
            message:
              hp.kind === 'dns'
                ? `must not be the address host "${hp.host}": name the service (for example "${hp.host.split('.')[0]}")`
                : `must not be the address host "${hp.host}": name the service`,
          });
      }
    }
    const protocol = t[PROTOCOL_TAG];
    if (protocol !== undefined && !(EXTERNAL_SERVICE_PROTOCOLS as readonly unknown[]).includes(protocol))
      ctx.addIssue({ code: 'custom', path: ['tags', PROTOCOL_TAG], message: `must be one of ${EXTERNAL_SERVICE_PROTOCOLS.join(', ')}` });
    const zone = t[ZONE_TAG];
    if (zone === '') ctx.addIssue({ code: 'custom', path: ['tags', ZONE_TAG], message: 'must not be empty (leave the tag out to mean "any zone")' });
  }, always);

/** The protocol an ExternalService is served with (`https` is tcp with TLS). */
export function externalServiceProtocol(spec: ExternalServiceSpec): 'tcp' | 'http' | 'http2' | 'grpc' | 'kafka' {
  const p = spec.tags[PROTOCOL_TAG] ?? 'tcp';
  return p === 'https' ? 'tcp' : (p as 'tcp' | 'http' | 'http2' | 'grpc' | 'kafka');
}
