import { z } from 'zod';
import { type DataSource, dataSourceSchema, hostPortSchema, isHostname, parseHostPort, quote, tagsSchema, whenTyped } from '../validation.js';

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
        if (v !== '' && !isHostname(v)) ctx.addIssue({ code: 'custom', message: `${quote(v)} is not a valid server name (use a DNS name, or "" to send no SNI)` });
      })
      .optional(),
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

export const externalServiceSchema = z
  .strictObject({
    tags: tagsSchema,
    networking: z.strictObject({
      address: hostPortSchema,
      tls: tlsSchema.optional(),
    }),
  })
  // The tags on their own: kuma.io/service is required and not empty, kuma.io/protocol and kuma.io/zone
  // have their own values.
  .superRefine((spec, ctx) => {
    const service = spec.tags[SERVICE_TAG];
    if (service === undefined) ctx.addIssue({ code: 'custom', path: ['tags', SERVICE_TAG], message: 'is required' });
    else if (service === '') ctx.addIssue({ code: 'custom', path: ['tags', SERVICE_TAG], message: 'must not be empty' });
    const protocol = spec.tags[PROTOCOL_TAG];
    if (protocol !== undefined && !(EXTERNAL_SERVICE_PROTOCOLS as readonly string[]).includes(protocol))
      ctx.addIssue({ code: 'custom', path: ['tags', PROTOCOL_TAG], message: `must be one of ${EXTERNAL_SERVICE_PROTOCOLS.join(', ')}` });
    if (spec.tags[ZONE_TAG] === '') ctx.addIssue({ code: 'custom', path: ['tags', ZONE_TAG], message: 'must not be empty (leave the tag out to mean "any zone")' });
  }, whenTyped(['tags']))
  // The service against the address: it names the service, not the host it runs on.
  .superRefine(
    (spec, ctx) => {
      const service = spec.tags[SERVICE_TAG];
      const hp = parseHostPort(spec.networking.address);
      if (service === undefined || service === '' || typeof hp === 'string' || hp.host.toLowerCase() !== service.toLowerCase()) return;
      ctx.addIssue({
        code: 'custom',
        path: ['tags', SERVICE_TAG],
        message:
          hp.kind === 'dns'
            ? `must not be the address host ${quote(hp.host)}: name the service (for example ${quote(hp.host.split('.')[0] ?? '')})`
            : `must not be the address host ${quote(hp.host)}: name the service`,
      });
    },
    whenTyped(['tags'], ['networking', 'address']),
  );

/** The protocol an ExternalService is served with (`https` is tcp with TLS). */
export function externalServiceProtocol(spec: ExternalServiceSpec): 'tcp' | 'http' | 'http2' | 'grpc' | 'kafka' {
  const p = spec.tags[PROTOCOL_TAG] ?? 'tcp';
  return p === 'https' ? 'tcp' : (p as 'tcp' | 'http' | 'http2' | 'grpc' | 'kafka');
}
