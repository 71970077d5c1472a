import { z } from 'zod';
import { decodeBase64Strict } from '../validation.js';

/** Secret (mesh-scoped) and GlobalSecret: base64 `data`, as in Kuma. */
export interface SecretSpec {
  data: string;
}

export const secretSchema = z.strictObject({
  data: z.string().superRefine((v, ctx) => {
    if (decodeBase64Strict(v) === undefined) ctx.addIssue({ code: 'custom', message: 'must be non-empty base64' });
  }),
});
