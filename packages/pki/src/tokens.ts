/**
 * Dataplane and zone tokens: compact JWTs (ES256) signed with a key of the zone control plane.
 * A dataplane token is scoped to a mesh and a dataplane name; a zone token to a zone and the proxy
 * kinds it may register (ZoneIngress, ZoneEgress).
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject, randomUUID, sign, verify } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseDuration } from '@causeway/core';

export type TokenKind = 'dataplane' | 'zone';
export type ZoneScope = 'ingress' | 'egress';

export interface TokenClaims {
  kind: TokenKind;
  /** Dataplane tokens: the Dataplane name and mesh. */
  name?: string;
  mesh?: string;
  /** Zone tokens: the zone and what the bearer may register. */
  zone?: string;
  scope?: ZoneScope[];
  iat: number;
  exp: number;
  jti: string;
}

export class TokenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TokenError';
  }
}

/** A new EC P-256 signing key, PKCS#8 PEM. */
export function createSigningKey(): string {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
}

/** Reads the signing key file, or creates it (mode 0600) when it does not exist. */
export function loadOrCreateSigningKey(file: string): { keyPem: string; created: boolean } {
  if (existsSync(file)) {
    const keyPem = readFileSync(file, 'utf8');
    createPrivateKey(keyPem); // fails loudly on a corrupt file
    return { keyPem, created: false };
  }
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const keyPem = createSigningKey();
  writeFileSync(file, keyPem, { mode: 0o600 });
  chmodSync(file, 0o600);
  return { keyPem, created: true };
}

const b64url = (b: Buffer | string) => Buffer.from(b).toString('base64url');

/** Parses a validity such as `24h`, `30d`, `1y` (default 1 year). */
export function parseValidity(text: string | undefined, fallbackMs = 365 * 86_400_000): number {
  if (text === undefined) return fallbackMs;
  const ms = parseDuration(text, { days: true });
  if (ms === undefined || ms <= 0) throw new TokenError(`"${text}" is not a validity (examples: "24h", "30d", "1y")`);
  return ms;
}

export function signToken(signingKeyPem: string, claims: Omit<TokenClaims, 'iat' | 'exp' | 'jti'>, validForMs: number, now: Date = new Date()): string {
  const iat = Math.floor(now.getTime() / 1000);
  const body: TokenClaims = { ...claims, iat, exp: iat + Math.max(1, Math.floor(validForMs / 1000)), jti: randomUUID() };
  const head = b64url(JSON.stringify({ alg: 'ES256', typ: 'JWT' }));
  const payload = b64url(JSON.stringify(body));
  const sig = sign('sha256', Buffer.from(`${head}.${payload}`), { key: createPrivateKey(signingKeyPem), dsaEncoding: 'ieee-p1363' });
  return `${head}.${payload}.${b64url(sig)}`;
}

/** Verifies signature, algorithm and expiry; returns the claims or throws TokenError. */
export function verifyToken(key: string | KeyObject, token: string, now: Date = new Date()): TokenClaims {
  const parts = token.trim().split('.');
  if (parts.length !== 3) throw new TokenError('the token is not a JWT');
  const [head, payload, sig] = parts as [string, string, string];
  let header: { alg?: unknown };
  let claims: TokenClaims;
  try {
    header = JSON.parse(Buffer.from(head, 'base64url').toString('utf8'));
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    throw new TokenError('the token is not a JWT');
  }
  if (header.alg !== 'ES256') throw new TokenError(`unsupported token algorithm ${JSON.stringify(header.alg)}`);
  const publicKey = typeof key === 'string' ? createPublicKey(key) : key.type === 'private' ? createPublicKey(key) : key;
  if (!verify('sha256', Buffer.from(`${head}.${payload}`), { key: publicKey, dsaEncoding: 'ieee-p1363' }, Buffer.from(sig, 'base64url')))
    throw new TokenError('the token signature is not valid (signed by another control plane?)');
  if (typeof claims.exp !== 'number' || claims.exp * 1000 <= now.getTime()) throw new TokenError('the token has expired');
  if (claims.kind !== 'dataplane' && claims.kind !== 'zone') throw new TokenError('the token has no valid kind');
  return claims;
}

/** `causeway generate dataplane-token --mesh M --name N [--valid-for 24h]`. */
export function generateDataplaneToken(opts: { signingKeyPem: string; mesh: string; name: string; validFor?: string; now?: Date }): string {
  return signToken(opts.signingKeyPem, { kind: 'dataplane', mesh: opts.mesh, name: opts.name }, parseValidity(opts.validFor), opts.now);
}

/** `causeway generate zone-token --zone Z [--scope ingress,egress] [--valid-for 30d]`. */
export function generateZoneToken(opts: { signingKeyPem: string; zone: string; scope?: ZoneScope[]; validFor?: string; now?: Date }): string {
  return signToken(opts.signingKeyPem, { kind: 'zone', zone: opts.zone, scope: opts.scope ?? ['ingress', 'egress'] }, parseValidity(opts.validFor), opts.now);
}

/** Checks that verified claims allow registering this proxy; returns a reason when they do not. */
export function tokenAllows(claims: TokenClaims, proxy: { type: 'Dataplane' | 'ZoneIngress' | 'ZoneEgress'; name: string; mesh?: string; zone: string }): string | undefined {
  if (proxy.type === 'Dataplane') {
    if (claims.kind !== 'dataplane') return 'a Dataplane needs a dataplane token';
    if (claims.mesh !== proxy.mesh) return `the token is for mesh "${claims.mesh}", not "${proxy.mesh}"`;
    if (claims.name !== undefined && claims.name !== proxy.name) return `the token is for dataplane "${claims.name}", not "${proxy.name}"`;
    return undefined;
  }
  if (claims.kind !== 'zone') return `a ${proxy.type} needs a zone token`;
  if (claims.zone !== proxy.zone) return `the token is for zone "${claims.zone}", not "${proxy.zone}"`;
  const need: ZoneScope = proxy.type === 'ZoneIngress' ? 'ingress' : 'egress';
  if (!(claims.scope ?? []).includes(need)) return `the token's scope does not include ${need}`;
  return undefined;
}
