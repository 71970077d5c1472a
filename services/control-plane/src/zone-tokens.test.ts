import { buildApi } from '@causeway/api';
import { createSigningKey, generateZoneToken, signToken, type TokenClaims, tokenAllows, tokenKeyId, verifyToken } from '@causeway/pki';
import { openStore, type ResourceStore } from '@causeway/store';
import { AdsError } from '@causeway/xds';
import * as grpc from '@grpc/grpc-js';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureGlobalZoneTokenKey, globalZoneTokenKid, globalZoneTokenRoutes, zoneTokenPublicKeyName, zoneTokenVerifier } from './zone-tokens.js';

const ADMIN = 'admin-token-of-the-zone-tokens-test';
const claimsOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;

describe('zone tokens at global', () => {
  let store: ResourceStore;
  let app: FastifyInstance;
  beforeAll(async () => {
    store = await openStore();
    app = await buildApi({ store, mode: 'global', adminToken: ADMIN, logger: pino({ level: 'silent' }), version: '0.0.0-test', instanceId: 'test' });
    await app.register(globalZoneTokenRoutes, { store });
    await app.ready();
  }, 120_000);
  afterAll(async () => {
    await app.close();
    await store.close();
  });
  const post = (body: unknown, token: string | null = ADMIN) =>
    app.inject({ method: 'POST', url: '/tokens/zone', headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) }, payload: JSON.stringify(body) });

  it('creates the signing key once and publishes its public key as a GlobalSecret synced to zones', async () => {
    const a = await ensureGlobalZoneTokenKey(store);
    const b = await ensureGlobalZoneTokenKey(store);
    expect(a).toEqual(b);
    expect(a.kid).toBe('global/zone-token-signing-key-1');
    const secret = await store.get('GlobalSecret', undefined, 'zone-token-signing-public-key-1');
    expect(secret?.labels['causeway.io/sync-to-zones']).toBe('true');
    const pub = Buffer.from(secret?.spec.data ?? '', 'base64').toString('utf8');
    expect(pub).toMatch(/^-----BEGIN PUBLIC KEY-----/);
    expect(pub).not.toContain('PRIVATE');
    // verifies what the private key signs
    expect(verifyToken(pub, generateZoneToken({ signingKeyPem: a.keyPem, zone: 'zone-1' })).zone).toBe('zone-1');
    // a deleted public key is put back (at start, and before a token is issued)
    const version = secret?.version;
    await ensureGlobalZoneTokenKey(store);
    expect((await store.get('GlobalSecret', undefined, 'zone-token-signing-public-key-1'))?.version).toBe(version);
    await store.delete('GlobalSecret', undefined, 'zone-token-signing-public-key-1');
    expect((await post({ zone: 'zone-1' })).statusCode).toBe(200);
    expect((await store.get('GlobalSecret', undefined, 'zone-token-signing-public-key-1'))?.spec.data).toBe(secret?.spec.data);
  });

  it('replicas starting at once share one key and one public GlobalSecret', async () => {
    const fresh = await openStore();
    try {
      const keys = await Promise.all([1, 2, 3, 4].map(() => ensureGlobalZoneTokenKey(fresh)));
      expect(new Set(keys.map((k) => k.keyPem)).size).toBe(1);
      const secret = await fresh.get('GlobalSecret', undefined, zoneTokenPublicKeyName());
      expect(secret?.version).toBe(1);
    } finally {
      await fresh.close();
    }
  });

  it('POST /tokens/zone issues a token for any zone, with the key id in its header', async () => {
    const res = await post({ zone: 'zone-2', scope: ['egress'], validFor: '2h' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    const token = res.body;
    expect(tokenKeyId(token)).toBe(globalZoneTokenKid());
    expect(claimsOf(token)).toMatchObject({ kind: 'zone', zone: 'zone-2', scope: ['egress'] });
    const c = claimsOf(token) as { iat: number; exp: number };
    expect(c.exp - c.iat).toBe(7200);
    expect(claimsOf((await post({ zone: 'zone-1' })).body)).toMatchObject({ zone: 'zone-1', scope: ['ingress', 'egress'] });
  });

  it('needs the admin token; a missing or bad zone (and other bad fields) is a 400 naming the field', async () => {
    expect((await post({ zone: 'zone-1' }, null)).statusCode).toBe(401);
    expect((await post({ zone: 'zone-1' }, 'wrong')).statusCode).toBe(401);
    const fields = async (body: unknown) => {
      const res = await post(body);
      expect(res.statusCode).toBe(400);
      return (res.json() as { invalid_parameters: { field: string; reason: string }[] }).invalid_parameters;
    };
    expect(await fields({})).toEqual([{ field: 'zone', reason: expect.stringContaining('is required') }]);
    expect((await fields({ zone: 'zone 1' }))[0]?.field).toBe('zone');
    expect((await fields({ zone: 7 }))[0]).toEqual({ field: 'zone', reason: 'must be a string' });
    expect(await fields({ zone: 'zone-1', scope: ['sidecar'] })).toEqual([{ field: 'scope', reason: 'must be a list of "ingress" and/or "egress"' }]);
    expect((await fields({ zone: 'zone-1', validFor: 'soon' }))[0]?.field).toBe('validFor');
    expect((await fields({ zone: 'zone-1', mesh: 'default' }))[0]?.field).toBe('mesh');
    expect((await fields([]))[0]?.field).toBe('body');
  });

  it('/openapi.json describes the route', async () => {
    const doc = (await app.inject({ url: '/openapi.json' })).json() as { paths: Record<string, { post?: { summary?: string; requestBody?: { content?: Record<string, { schema?: { required?: string[] } }> } } }> };
    const op = doc.paths['/tokens/zone']?.post;
    expect(op?.summary).toContain('zone token');
    expect(op?.requestBody?.content?.['application/json']?.schema?.required).toEqual(['zone']);
  });
});

describe('a zone accepts zone tokens signed by its own key or by global', () => {
  const zoneKey = createSigningKey();
  let store: ResourceStore;
  let globalKey: { kid: string; keyPem: string };
  let verify: (token: string, now: Date) => Promise<TokenClaims>;
  /** How xds's admission answers a refusal: the AdsError's code, any other error UNAUTHENTICATED. */
  const refusal = async (token: string) => {
    const e = await verify(token, new Date()).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(Error);
    return { code: e instanceof AdsError ? e.code : grpc.status.UNAUTHENTICATED, message: (e as Error).message };
  };

  beforeAll(async () => {
    // global's store makes the key; the zone's store holds what the sync copies: the public key only
    const global = await openStore();
    globalKey = await ensureGlobalZoneTokenKey(global);
    const pub = await global.get('GlobalSecret', undefined, zoneTokenPublicKeyName());
    await global.close();
    store = await openStore();
    if (pub) await store.create({ ...pub, version: 0 });
    verify = zoneTokenVerifier({ store, zone: 'zone-1', signingKeyPem: zoneKey });
  }, 120_000);
  afterAll(() => store.close());

  it("verifies the zone's own tokens against its key", async () => {
    const own = generateZoneToken({ signingKeyPem: zoneKey, zone: 'zone-1' });
    expect(await verify(own, new Date())).toEqual(verifyToken(zoneKey, own));
    // a token of another key without global's kid is the zone's business: its signature is refused
    expect((await refusal(generateZoneToken({ signingKeyPem: createSigningKey(), zone: 'zone-1' }))).message).toContain('signature is not valid');
  });

  it("accepts global's token of this zone with its claims (xds then checks the scope against the proxy's kind)", async () => {
    const token = generateZoneToken({ signingKeyPem: globalKey.keyPem, kid: globalKey.kid, zone: 'zone-1', scope: ['egress'], validFor: '1h' });
    const claims = await verify(token, new Date());
    expect(claims).toEqual(verifyToken(globalKey.keyPem, token));
    expect(tokenAllows(claims, { type: 'ZoneEgress', name: 'egress-1', zone: 'zone-1' })).toBeUndefined();
    expect(tokenAllows(claims, { type: 'ZoneIngress', name: 'ingress-1', zone: 'zone-1' })).toMatch(/scope does not include ingress/);
  });

  it("refuses global's token of another zone with PERMISSION_DENIED naming the zones", async () => {
    const r = await refusal(generateZoneToken({ signingKeyPem: globalKey.keyPem, kid: globalKey.kid, zone: 'zone-2' }));
    expect(r.code).toBe(grpc.status.PERMISSION_DENIED);
    expect(r.message).toBe('the token is for zone "zone-2", not "zone-1": issue one for this zone with causeway generate zone-token --zone zone-1');
  });

  it('refuses expired, tampered, foreign-key and non-zone tokens naming global\'s key, and says when the key has not arrived', async () => {
    const expired = generateZoneToken({ signingKeyPem: globalKey.keyPem, kid: globalKey.kid, zone: 'zone-1', validFor: '1h', now: new Date(Date.now() - 2 * 3_600_000) });
    expect(await refusal(expired)).toEqual({ code: grpc.status.UNAUTHENTICATED, message: 'the token has expired' });
    // tampered: the claims say zone-1 where the signature was made for zone-2
    const [h, , s] = generateZoneToken({ signingKeyPem: globalKey.keyPem, kid: globalKey.kid, zone: 'zone-2' }).split('.');
    const forged = `${h}.${Buffer.from(JSON.stringify({ ...claimsOf(generateZoneToken({ signingKeyPem: globalKey.keyPem, zone: 'zone-2' })), zone: 'zone-1' })).toString('base64url')}.${s}`;
    expect(await refusal(forged)).toEqual({ code: grpc.status.UNAUTHENTICATED, message: expect.stringContaining('signature is not valid') });
    // another key claiming to be global's
    const other = generateZoneToken({ signingKeyPem: createSigningKey(), kid: globalKey.kid, zone: 'zone-1' });
    expect((await refusal(other)).message).toContain('signature is not valid');
    // global's key signs zone tokens only
    const dp = signToken(globalKey.keyPem, { kind: 'dataplane', mesh: 'default', name: 'web-1', tags: { 'kuma.io/service': ['web'] } }, 60_000, new Date(), { kid: globalKey.kid });
    expect(await refusal(dp)).toEqual({ code: grpc.status.UNAUTHENTICATED, message: expect.stringContaining('signs zone tokens only') });
    // a serial the zone has not received (a rotated key whose GlobalSecret did not arrive yet)
    const later = generateZoneToken({ signingKeyPem: globalKey.keyPem, kid: 'global/zone-token-signing-key-2', zone: 'zone-1' });
    expect(await refusal(later)).toEqual({
      code: grpc.status.UNAUTHENTICATED,
      message: expect.stringContaining('which zone "zone-1" has not received from global yet (GlobalSecret zone-token-signing-public-key-2'),
    });
    expect((await refusal(generateZoneToken({ signingKeyPem: globalKey.keyPem, kid: 'global/zone-token-signing-key-x', zone: 'zone-1' }))).message).toContain('unknown signing key');
  });
});
