/**
 * Zone API routes of the xDS side, registered next to the resource API:
 * - config dumps: `GET /meshes/{mesh}/dataplanes/{name}/xds`, `/zoneingresses/{name}/xds`,
 *   `/zoneegresses/{name}/xds` (Envoy's /config_dump shape; private keys redacted unless the admin
 *   token asks for them with `?includeSecrets=true`);
 * - Kuma's `GET /meshes/{mesh}/dataplanes/{name}/_config`: `{"xds": <the config dump>}` (`?include=diff`
 *   adds `"diff": []`, `?shadow=true|false`);
 * - policies: `GET /meshes/{mesh}/dataplanes/{name}/policies`: which traffic policies apply to the
 *   Dataplane and why (matched targetRef, precedence, the merged result per outbound / inbound);
 * - tokens (admin token required): `POST /tokens/dataplane {mesh, name, tags?, validFor?}` (Kuma's
 *   body: `tags` maps a tag name to the values allowed, `{"kuma.io/service": ["web"]}`) and
 *   `POST /tokens/zone {scope?, validFor?}`; the response body is the token (text/plain).
 */
import { hasAdminToken } from '@causeway/api';
import { CausewayError, type FieldError, nameError } from '@causeway/core';
import { generateDataplaneToken, generateZoneToken, TokenError, type TokenTags, tokenTagsErrors, type ZoneScope } from '@causeway/pki';
import type { ProxyType, XdsZone } from '@causeway/xds';
import type { FastifyInstance, FastifyRequest } from 'fastify';

export interface XdsApiOptions {
  xds: XdsZone;
  zone: string;
  signingKeyPem: string;
  adminToken: string;
}

/** The body of `POST /tokens/dataplane` (Kuma's DataplaneTokenRequest, without `workload`). */
const DATAPLANE_TOKEN_FIELDS: ReadonlySet<string> = new Set(['mesh', 'name', 'tags', 'validFor', 'type']);

export async function xdsApiRoutes(app: FastifyInstance, opts: XdsApiOptions): Promise<void> {
  const dump = async (type: ProxyType, mesh: string | undefined, name: string, includeSecrets: boolean) => {
    const d = await opts.xds.configDump(type, mesh, name, { secrets: includeSecrets });
    if (!d) throw new CausewayError('NOT_FOUND', `${type} "${name}"${mesh ? ` in mesh "${mesh}"` : ''} not found in zone "${opts.zone}"`);
    return d;
  };
  const wantsSecrets = (req: { query: unknown; headers: Record<string, unknown> }, admin: boolean) => {
    const q = (req.query as { includeSecrets?: string }).includeSecrets;
    if (q !== 'true') return false;
    if (!admin) throw new CausewayError('UNAUTHORIZED', 'includeSecrets=true needs "Authorization: Bearer <admin token>"');
    return true;
  };

  app.get<{ Params: { mesh: string; name: string } }>('/meshes/:mesh/dataplanes/:name/xds', async (req) =>
    dump('Dataplane', req.params.mesh, req.params.name, wantsSecrets(req, hasAdminToken(req, opts.adminToken))),
  );
  app.get<{ Params: { name: string } }>('/zoneingresses/:name/xds', async (req) =>
    dump('ZoneIngress', undefined, req.params.name, wantsSecrets(req, hasAdminToken(req, opts.adminToken))),
  );
  app.get<{ Params: { name: string } }>('/zoneegresses/:name/xds', async (req) =>
    dump('ZoneEgress', undefined, req.params.name, wantsSecrets(req, hasAdminToken(req, opts.adminToken))),
  );

  // Kuma's `_config` (what `kumactl inspect dataplane --type config` reads): `{xds}` wraps the config the
  // zone computes for the proxy (the /xds dump). `shadow` is Kuma's boolean (no policy here has a shadow
  // effect, so it changes nothing); `include=diff` adds Kuma's JSONPatch diff between the config with and
  // without shadow policies: always empty here.
  app.get(
    '/meshes/:mesh/dataplanes/:name/_config',
    {
      schema: {
        tags: ['Inspect'],
        summary: "The proxy's xDS config as the control plane computes it (Kuma's DataplaneXDSConfig)",
        querystring: {
          type: 'object',
          properties: {
            shadow: { type: 'boolean', default: false, description: "Kuma's: take policies with kuma.io/effect: shadow into account (none here: the same config)" },
            include: { type: 'array', items: { type: 'string', enum: ['diff'] }, description: 'diff: a JSONPatch diff between the config with and without shadow policies (empty here)' },
            includeSecrets: { type: 'boolean', description: 'private keys unredacted (admin token)' },
          },
        },
        response: {
          200: {
            description: 'DataplaneXDSConfig',
            type: 'object',
            required: ['xds'],
            properties: {
              xds: { type: 'object', additionalProperties: true, description: "the xDS config (Envoy's /config_dump shape, as /xds)" },
              diff: { type: 'array', items: { type: 'object', additionalProperties: true }, description: 'with include=diff' },
            },
          },
        },
      },
    },
    async (req: FastifyRequest<{ Params: { mesh: string; name: string }; Querystring: Record<string, string | string[] | undefined> }>) => {
      const one = (k: string) => {
        const v = req.query[k];
        return Array.isArray(v) ? v.at(-1) : v;
      };
      const shadow = one('shadow');
      if (shadow !== undefined && !['true', 'false', '1', '0'].includes(shadow))
        throw new CausewayError('INVALID', "unsupported value for query parameter 'shadow'", [{ field: 'shadow', reason: 'must be true or false' }]);
      const include = [req.query.include ?? []].flat().flatMap((v) => v.split(',')).filter((v) => v !== '');
      const unknown = include.filter((v) => v !== 'diff');
      if (unknown.length > 0)
        throw new CausewayError('INVALID', "unsupported value for query parameter 'include'", [{ field: 'include', reason: `must be "diff" (not ${unknown.map((v) => JSON.stringify(v)).join(', ')})` }]);
      const xds = await dump('Dataplane', req.params.mesh, req.params.name, wantsSecrets(req, hasAdminToken(req, opts.adminToken)));
      return { xds, ...(include.includes('diff') ? { diff: [] } : {}) };
    },
  );

  app.get<{ Params: { mesh: string; name: string } }>('/meshes/:mesh/dataplanes/:name/policies', async (req) => {
    const p = await opts.xds.policies(req.params.mesh, req.params.name);
    if (!p) throw new CausewayError('NOT_FOUND', `Dataplane "${req.params.name}" in mesh "${req.params.mesh}" not found in zone "${opts.zone}"`);
    return p;
  });

  const body = (raw: unknown): Record<string, unknown> => {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
      throw new CausewayError('INVALID', 'the body must be a JSON object', [{ field: 'body', reason: 'must be a JSON object' }]);
    return raw as Record<string, unknown>;
  };
  const tokenError = (e: unknown) => {
    if (e instanceof TokenError) throw new CausewayError('INVALID', e.message, [{ field: 'validFor', reason: e.message }]);
    throw e;
  };

  // `config.admin`: the API checks the token in onRequest, before the body is read (packages/api auth.ts).
  app.post('/tokens/dataplane', { config: { admin: 'issuing a dataplane token' } }, async (req, reply) => {
    const b = body(req.body);
    const fields: FieldError[] = [];
    for (const k of Object.keys(b))
      if (!DATAPLANE_TOKEN_FIELDS.has(k)) fields.push({ field: k, reason: `is not a field of a dataplane token request (${[...DATAPLANE_TOKEN_FIELDS].join(', ')})` });
    if (b.type !== undefined && b.type !== 'dataplane') fields.push({ field: 'type', reason: 'must be "dataplane" (zone proxies use POST /tokens/zone)' });
    for (const f of ['mesh', 'name'] as const) {
      const err = typeof b[f] === 'string' ? nameError(b[f]) : 'is required';
      if (err) fields.push({ field: f, reason: err });
    }
    fields.push(...tokenTagsErrors(b.tags));
    if (b.validFor !== undefined && typeof b.validFor !== 'string') fields.push({ field: 'validFor', reason: 'must be a duration such as "24h"' });
    if (fields.length > 0) throw new CausewayError('INVALID', 'invalid token request', fields);
    try {
      const token = generateDataplaneToken({
        signingKeyPem: opts.signingKeyPem,
        mesh: b.mesh as string,
        name: b.name as string,
        ...(b.tags !== undefined ? { tags: b.tags as TokenTags } : {}),
        ...(typeof b.validFor === 'string' ? { validFor: b.validFor } : {}),
      });
      return reply.type('text/plain').send(token);
    } catch (e) {
      return tokenError(e);
    }
  });

  app.post('/tokens/zone', { config: { admin: 'issuing a zone token' } }, async (req, reply) => {
    const b = body(req.body ?? {});
    if (b.zone !== undefined && b.zone !== opts.zone) throw new CausewayError('INVALID', `this control plane signs tokens of zone "${opts.zone}" only`, [{ field: 'zone', reason: `must be "${opts.zone}"` }]);
    const scope = b.scope ?? ['ingress', 'egress'];
    if (!Array.isArray(scope) || scope.length === 0 || scope.some((s) => s !== 'ingress' && s !== 'egress'))
      throw new CausewayError('INVALID', 'invalid token request', [{ field: 'scope', reason: 'must be a list of "ingress" and/or "egress"' }]);
    try {
      const token = generateZoneToken({ signingKeyPem: opts.signingKeyPem, zone: opts.zone, scope: scope as ZoneScope[], ...(typeof b.validFor === 'string' ? { validFor: b.validFor } : {}) });
      return reply.type('text/plain').send(token);
    } catch (e) {
      return tokenError(e);
    }
  });
}
