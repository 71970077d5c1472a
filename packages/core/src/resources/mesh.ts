import { z } from 'zod';
import { expirationSchema, nameSchema, quote, whenTyped } from '../validation.js';

export interface MeshBackend {
  name: string;
  type: 'builtin';
  mode?: 'STRICT' | 'PERMISSIVE';
  dpCert?: { rotation?: { expiration?: string } };
  conf?: { caCert?: { RSAbits?: number; expiration?: string } };
}

export interface MeshSpec {
  mtls?: { enabledBackend?: string; backends?: MeshBackend[] };
  routing?: { zoneEgress?: boolean; localityAwareLoadBalancing?: boolean };
  networking?: { outbound?: { passthrough?: boolean } };
}

const backendSchema = z.strictObject({
  name: nameSchema,
  type: z.literal('builtin', { error: 'must be "builtin" (the only supported CA backend)' }),
  mode: z.enum(['STRICT', 'PERMISSIVE']).optional(),
  dpCert: z
    .strictObject({
      rotation: z.strictObject({ expiration: expirationSchema.optional() }).optional(),
    })
    .optional(),
  conf: z
    .strictObject({
      caCert: z
        .strictObject({
          RSAbits: z.number().int('must be an integer').min(2048, 'must be at least 2048').max(8192, 'must be at most 8192').optional(),
          expiration: expirationSchema.optional(),
        })
        .optional(),
    })
    .optional(),
});

export const meshSchema = z
  .strictObject({
    mtls: z
      .strictObject({
        enabledBackend: z.string().optional(),
        backends: z.array(backendSchema).optional(),
      })
      // Backend names are unique and enabledBackend names one of them.
      .superRefine(
        (mtls, ctx) => {
          const names = (mtls.backends ?? []).map((b) => b.name);
          names.forEach((n, i) => {
            if (names.indexOf(n) !== i) ctx.addIssue({ code: 'custom', path: ['backends', i, 'name'], message: `duplicate backend name ${quote(n)}` });
          });
          const enabled = mtls.enabledBackend;
          if (enabled !== undefined && enabled !== '' && !names.includes(enabled))
            ctx.addIssue({
              code: 'custom',
              path: ['enabledBackend'],
              message:
                names.length === 0
                  ? `names backend ${quote(enabled)} but "mtls.backends" is empty`
                  : `must name one of the backends (${names.join(', ')}), got ${quote(enabled)}`,
            });
        },
        whenTyped(['backends'], ['enabledBackend']),
      )
      .optional(),
    routing: z
      .strictObject({
        zoneEgress: z.boolean().optional(),
        localityAwareLoadBalancing: z.boolean().optional(),
      })
      .optional(),
    networking: z
      .strictObject({
        outbound: z.strictObject({ passthrough: z.boolean().optional() }).optional(),
      })
      .optional(),
  })
  .superRefine(
    (spec, ctx) => {
      // An enabledBackend that names no backend is reported on its own field; do not pile a second
      // error for the same mistake on routing.zoneEgress.
      const enabled = spec.mtls?.enabledBackend;
      if (spec.routing?.zoneEgress === true && (enabled === undefined || enabled === ''))
        ctx.addIssue({ code: 'custom', path: ['routing', 'zoneEgress'], message: 'requires mTLS: set "mtls.enabledBackend" to a builtin backend' });
    },
    whenTyped(['mtls', 'enabledBackend'], ['routing', 'zoneEgress']),
  );

export function meshMtlsEnabled(spec: MeshSpec): boolean {
  const enabled = spec.mtls?.enabledBackend;
  return typeof enabled === 'string' && enabled !== '' && (spec.mtls?.backends ?? []).some((b) => b?.name === enabled);
}

/** The mesh's effective passthrough setting (default true). */
export function meshPassthrough(spec: MeshSpec): boolean {
  return spec.networking?.outbound?.passthrough ?? true;
}
