/**
 * Zone tokens issued by global (as Kuma's global issues them with its `zone-token-signing-key-<serial>`).
 *
 * Global side:
 * - The signing key is created once in global's store (`store.keys`, name `global/zone-token-signing-key-1`:
 *   the first replica writes it, every replica reads the same). Its name is the `kid` in the header of
 *   every token it signs, so a later key (`...-2`) can be added while tokens of the first stay valid.
 * - Its public key is the GlobalSecret `zone-token-signing-public-key-<serial>` (base64 PEM, labelled
 *   `causeway.io/sync-to-zones: "true"`), which the global->zone sync copies to every zone. It is written
 *   at start and again before each token is issued, so a deleted or altered copy is put back.
 * - `POST /tokens/zone {zone, scope?, validFor?}` (admin token) issues a token for any zone.
 *
 * Zone side (`zoneTokenVerifier`, the XdsZone's token verifier): a token whose `kid` names global's key is
 * verified with the public key the zone received from global (signature, expiry, kind), and refused with
 * PERMISSION_DENIED when it is for another zone; xds then checks its scope against the proxy's kind as
 * for the zone's own tokens. Nothing else in what the proxy sent is read before the token is verified.
 * Tokens without that `kid` (the zone's own) are verified against the zone's key.
 */
import { CausewayError, type FieldError, nameError, SYNC_TO_ZONES_LABEL } from '@causeway/core';
import { createSigningKey, generateZoneToken, signingPublicKey, type TokenClaims, TokenError, tokenKeyId, verifyToken, type ZoneScope } from '@causeway/pki';
import type { ResourceStore } from '@causeway/store';
import { AdsError } from '@causeway/xds';
import * as grpc from '@grpc/grpc-js';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';

/** The key id (and `store.keys` name) of global's zone-token signing key of a serial. */
export const GLOBAL_ZONE_TOKEN_KID_PREFIX = 'global/zone-token-signing-key-';
/** The GlobalSecret holding the public key of a serial (Kuma's `zone-token-signing-public-key-<serial>`). */
export const ZONE_TOKEN_PUBLIC_KEY_PREFIX = 'zone-token-signing-public-key-';
/** The serial in use (rotation: a higher serial signs, the lower ones still verify). */
export const ZONE_TOKEN_KEY_SERIAL = 1;

export const globalZoneTokenKid = (serial: number = ZONE_TOKEN_KEY_SERIAL): string => `${GLOBAL_ZONE_TOKEN_KID_PREFIX}${serial}`;
export const zoneTokenPublicKeyName = (serial: number = ZONE_TOKEN_KEY_SERIAL): string => `${ZONE_TOKEN_PUBLIC_KEY_PREFIX}${serial}`;

export interface GlobalZoneTokenKey {
  kid: string;
  keyPem: string;
}

/** Global: its zone-token signing key (created once in the store) and the GlobalSecret of its public key, synced to the zones. */
export async function ensureGlobalZoneTokenKey(store: ResourceStore, log?: Logger): Promise<GlobalZoneTokenKey> {
  const kid = globalZoneTokenKid();
  let keyPem = await store.keys.get(kid);
  if (keyPem === undefined) {
    const mine = createSigningKey();
    keyPem = await store.keys.putIfAbsent(kid, mine);
    if (keyPem === mine) log?.info({ key: kid }, 'created the zone token signing key (in the store); its public key syncs to the zones');
  }
  try {
    signingPublicKey(keyPem);
  } catch (e) {
    throw new Error(`global's zone token signing key (store key ${kid}) is not a private key: ${(e as Error).message}`);
  }
  await publishPublicKey(store, keyPem);
  return { kid, keyPem };
}

/** Writes (or puts back) the GlobalSecret of the public key; unchanged when it is there. */
async function publishPublicKey(store: ResourceStore, keyPem: string): Promise<void> {
  const name = zoneTokenPublicKeyName();
  const data = Buffer.from(signingPublicKey(keyPem)).toString('base64');
  const labels = { [SYNC_TO_ZONES_LABEL]: 'true' };
  const current = await store.get('GlobalSecret', undefined, name);
  if (current && current.spec.data === data && current.labels[SYNC_TO_ZONES_LABEL] === 'true') return;
  try {
    await store.upsert({ type: 'GlobalSecret', name, labels: { ...(current?.labels ?? {}), ...labels }, spec: { data }, version: 0 });
  } catch (e) {
    // Another replica wrote it at the same moment: the same key, so theirs is as good.
    if (e instanceof CausewayError && (e.code === 'CONFLICT' || e.code === 'ALREADY_EXISTS')) return;
    throw e;
  }
}

const ZONE_TOKEN_FIELDS: ReadonlySet<string> = new Set(['zone', 'scope', 'validFor']);

/** The fields of `POST /tokens/zone` at global: `zone` (required), `scope`, `validFor`. */
export function zoneTokenRequestErrors(b: Record<string, unknown>): FieldError[] {
  const fields: FieldError[] = [];
  for (const k of Object.keys(b)) if (!ZONE_TOKEN_FIELDS.has(k)) fields.push({ field: k, reason: `is not a field of a zone token request (${[...ZONE_TOKEN_FIELDS].join(', ')})` });
  const zoneErr = typeof b.zone === 'string' ? nameError(b.zone) : b.zone === undefined ? 'is required: the zone whose ZoneIngress/ZoneEgress proxies use the token' : 'must be a string';
  if (zoneErr) fields.push({ field: 'zone', reason: zoneErr });
  const scope = b.scope;
  if (scope !== undefined && (!Array.isArray(scope) || scope.length === 0 || scope.some((s) => s !== 'ingress' && s !== 'egress')))
    fields.push({ field: 'scope', reason: 'must be a list of "ingress" and/or "egress"' });
  if (b.validFor !== undefined && typeof b.validFor !== 'string') fields.push({ field: 'validFor', reason: 'must be a duration such as "24h"' });
  return fields;
}

/** Global: `POST /tokens/zone {zone, scope?, validFor?}` (admin token), the token as text/plain. */
export async function globalZoneTokenRoutes(app: FastifyInstance, opts: { store: ResourceStore; logger?: Logger }): Promise<void> {
  app.post(
    '/tokens/zone',
    {
      // the API checks the admin token in onRequest, before the body is read (packages/api auth.ts)
      config: { admin: 'issuing a zone token' },
      schema: {
        tags: ['Tokens'],
        summary: 'Issue a zone token for the ZoneIngress/ZoneEgress proxies of a zone (admin token)',
        description:
          "Signed with global's zone-token signing key; its public key reaches every zone through the sync, and a zone accepts the token only for its own zone. The response body is the token (text/plain).",
        body: {
          type: 'object',
          required: ['zone'],
          properties: {
            zone: { type: 'string', description: 'the zone whose proxies use the token' },
            scope: { type: 'array', items: { type: 'string', enum: ['ingress', 'egress'] }, description: 'default both' },
            validFor: { type: 'string', description: 'lifetime, e.g. "24h", "30d" (default 1y)' },
          },
        },
        response: { 200: { description: 'the token', content: { 'text/plain': { schema: { type: 'string' } } } } },
        security: [{ bearer: [] }],
      },
    },
    async (req, reply) => {
      // The body schema documents the route; the API validates nothing by schema (server.ts): 400s name the field here.
      const raw = req.body ?? {};
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
        throw new CausewayError('INVALID', 'the body must be a JSON object', [{ field: 'body', reason: 'must be a JSON object' }]);
      const b = raw as Record<string, unknown>;
      const fields = zoneTokenRequestErrors(b);
      if (fields.length > 0) throw new CausewayError('INVALID', 'invalid zone token request', fields);
      const key = await ensureGlobalZoneTokenKey(opts.store, opts.logger);
      try {
        const token = generateZoneToken({
          signingKeyPem: key.keyPem,
          kid: key.kid,
          zone: b.zone as string,
          ...(b.scope !== undefined ? { scope: [...new Set(b.scope as ZoneScope[])] } : {}),
          ...(typeof b.validFor === 'string' ? { validFor: b.validFor } : {}),
        });
        return reply.type('text/plain').send(token);
      } catch (e) {
        if (e instanceof TokenError) throw new CausewayError('INVALID', e.message, [{ field: 'validFor', reason: e.message }]);
        throw e;
      }
    },
  );
}

export interface ZoneTokenVerifierOptions {
  store: Pick<ResourceStore, 'get'>;
  zone: string;
  /** The zone's own token signing key (PEM): tokens without global's `kid` are verified against it. */
  signingKeyPem: string;
}

/**
 * Zone: the token verifier of the zone's XdsZone (`verifyToken`). A token whose `kid` names global's
 * zone-token key is verified with the public key the zone received from global (signature, expiry, kind)
 * and refused with PERMISSION_DENIED when it is for another zone; any other token against the zone's key.
 */
export function zoneTokenVerifier(opts: ZoneTokenVerifierOptions): (token: string, now: Date) => Promise<TokenClaims> {
  const { zone } = opts;
  return async (token, now) => {
    const kid = tokenKeyId(token);
    if (kid === undefined || !kid.startsWith(GLOBAL_ZONE_TOKEN_KID_PREFIX)) return verifyToken(opts.signingKeyPem, token, now);
    const serial = kid.slice(GLOBAL_ZONE_TOKEN_KID_PREFIX.length);
    if (!/^[1-9][0-9]{0,8}$/.test(serial)) throw new AdsError(grpc.status.UNAUTHENTICATED, `the token names an unknown signing key ${JSON.stringify(kid)}`);
    const secret = await opts.store.get('GlobalSecret', undefined, zoneTokenPublicKeyName(Number(serial)));
    if (!secret)
      throw new AdsError(
        grpc.status.UNAUTHENTICATED,
        `the token is signed by global's zone token key ${JSON.stringify(kid)}, which zone "${zone}" has not received from global yet (GlobalSecret ${zoneTokenPublicKeyName(Number(serial))}: is the zone connected to global?)`,
      );
    const claims = verifyToken(Buffer.from(secret.spec.data, 'base64').toString('utf8'), token, now);
    if (claims.kind !== 'zone') throw new AdsError(grpc.status.UNAUTHENTICATED, "global's zone token key signs zone tokens only: a Dataplane needs a dataplane token of its zone");
    if (claims.zone !== zone)
      throw new AdsError(
        grpc.status.PERMISSION_DENIED,
        `the token is for zone ${JSON.stringify(claims.zone)}, not ${JSON.stringify(zone)}: issue one for this zone with causeway generate zone-token --zone ${zone}`,
      );
    return claims;
  };
}
