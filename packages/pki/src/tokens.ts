/**
 * Dataplane and zone tokens: compact JWTs (ES256) signed with a key of the zone control plane.
 * A dataplane token is scoped to a mesh, a dataplane name and the tags it was issued for (Kuma's
 * `--tag kuma.io/service=web,web-admin`: a tag name and the values allowed for it); a zone token to a
 * zone and the proxy kinds it may register (ZoneIngress, ZoneEgress).
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject, randomUUID, sign, verify } from 'node:crypto';
import { check, type FieldError, parseDuration, SERVICE_TAG, tagsSchema } from '@causeway/core';
import { Kept } from './kept.js';

export type TokenKind = 'dataplane' | 'zone';
export type ZoneScope = 'ingress' | 'egress';

export interface TokenClaims {
  kind: TokenKind;
  /** Dataplane tokens: the Dataplane name and mesh. */
  name?: string;
  mesh?: string;
  /**
   * Dataplane tokens: tag name -> the values the Dataplane may declare for it (Kuma's token `Tags`).
   * `kuma.io/service` binds the service identities (SPIFFE IDs) the proxy may claim.
   */
  tags?: Record<string, string[]>;
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

const b64url = (b: Buffer | string) => Buffer.from(b).toString('base64url');

/** Parses a validity such as `24h`, `30d`, `1y` (default 1 year). */
export function parseValidity(text: string | undefined, fallbackMs = 365 * 86_400_000): number {
  if (text === undefined) return fallbackMs;
  const ms = parseDuration(text, { days: true });
  if (ms === undefined || ms <= 0) throw new TokenError(`"${text}" is not a validity (examples: "24h", "30d", "1y")`);
  return ms;
}

export function signToken(
  signingKeyPem: string,
  claims: Omit<TokenClaims, 'iat' | 'exp' | 'jti'>,
  validForMs: number,
  now: Date = new Date(),
  opts: { kid?: string } = {},
): string {
  const iat = Math.floor(now.getTime() / 1000);
  return signClaims(signingKeyPem, { ...claims, iat, exp: iat + Math.max(1, Math.floor(validForMs / 1000)), jti: randomUUID() } as TokenClaims, opts);
}

/**
 * Signs complete claims (times and id included) as they are. `kid` goes into the JWT header: the id of the
 * key that signed it, so a verifier holding several keys (a zone: its own and global's zone-token key)
 * knows which one to check against, and a later key rotation keeps the older tokens verifiable.
 */
export function signClaims(signingKeyPem: string, claims: TokenClaims, opts: { kid?: string } = {}): string {
  const head = b64url(JSON.stringify({ alg: 'ES256', typ: 'JWT', ...(opts.kid !== undefined ? { kid: opts.kid } : {}) }));
  const payload = b64url(JSON.stringify(claims));
  const sig = sign('sha256', Buffer.from(`${head}.${payload}`), { key: createPrivateKey(signingKeyPem), dsaEncoding: 'ieee-p1363' });
  return `${head}.${payload}.${b64url(sig)}`;
}

/**
 * The `kid` of a token's header, unverified (which key to verify it with); undefined when the token has
 * none or is not a JWT (verifyToken says why).
 */
export function tokenKeyId(token: string): string | undefined {
  const head = token.trim().split('.')[0];
  if (head === undefined) return undefined;
  try {
    const header = JSON.parse(Buffer.from(head, 'base64url').toString('utf8')) as { kid?: unknown } | null;
    return typeof header?.kid === 'string' ? header.kid : undefined;
  } catch {
    return undefined;
  }
}

/** The public key (SPKI PEM) of a signing key (PKCS#8 PEM): what verifiers of its tokens hold. */
export function signingPublicKey(signingKeyPem: string): string {
  return createPublicKey(signingKeyPem).export({ type: 'spki', format: 'pem' }) as string;
}

/** Public keys of the PEMs tokens were verified with (a zone verifies every connecting proxy's token with the same few). */
const verifyKeys = new Kept<KeyObject>(16);

/** The public key of a PEM (private or public), parsed once: parsing it was half of a verification's CPU. */
function verifyKeyOf(pem: string): KeyObject {
  return verifyKeys.get(pem, () => createPublicKey(pem));
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
  const publicKey = typeof key === 'string' ? verifyKeyOf(key) : key.type === 'private' ? createPublicKey(key) : key;
  if (!verify('sha256', Buffer.from(`${head}.${payload}`), { key: publicKey, dsaEncoding: 'ieee-p1363' }, Buffer.from(sig, 'base64url')))
    throw new TokenError('the token signature is not valid (signed by another control plane?)');
  if (typeof claims.exp !== 'number' || claims.exp * 1000 <= now.getTime()) throw new TokenError('the token has expired');
  if (claims.kind !== 'dataplane' && claims.kind !== 'zone') throw new TokenError('the token has no valid kind');
  return claims;
}

/** Tag name -> allowed values, as a dataplane token carries them. */
export type TokenTags = Record<string, string[]>;

/** Bounds of a token's tags (a token travels in a header on every ADS stream). */
const TOKEN_TAG_LIMITS = { tags: 32, values: 32, length: 253 } as const;

const tagPath = (name: string) => `tags[${JSON.stringify(name)}]`;

/**
 * Validates the `tags` of a dataplane token request (`{"kuma.io/service": ["web", "web-admin"]}`):
 * field errors named `tags["kuma.io/service"][1]`, empty when the tags are valid (or absent).
 */
export function tokenTagsErrors(tags: unknown): FieldError[] {
  if (tags === undefined) return [];
  if (typeof tags !== 'object' || tags === null || Array.isArray(tags))
    return [{ field: 'tags', reason: 'must be a map of tag name to a list of values, e.g. {"kuma.io/service": ["web"]}' }];
  const entries = Object.entries(tags);
  if (entries.length > TOKEN_TAG_LIMITS.tags) return [{ field: 'tags', reason: `must have at most ${TOKEN_TAG_LIMITS.tags} tags` }];
  const errors: FieldError[] = [];
  for (const [name, values] of entries) {
    const field = tagPath(name);
    if (name === '' || name.length > TOKEN_TAG_LIMITS.length) {
      errors.push({ field, reason: `tag name must be 1 to ${TOKEN_TAG_LIMITS.length} characters` });
      continue;
    }
    const nameErr = check(tagsSchema, { [name]: '' })[0];
    if (nameErr) {
      errors.push({ field, reason: nameErr.reason });
      continue;
    }
    if (!Array.isArray(values) || values.length === 0) {
      errors.push({ field, reason: 'must be a non-empty list of values' });
      continue;
    }
    if (values.length > TOKEN_TAG_LIMITS.values) {
      errors.push({ field, reason: `must have at most ${TOKEN_TAG_LIMITS.values} values` });
      continue;
    }
    values.forEach((v: unknown, i) => {
      const vf = `${field}[${i}]`;
      if (typeof v !== 'string' || v === '') errors.push({ field: vf, reason: 'must be a non-empty string' });
      else if (v.length > TOKEN_TAG_LIMITS.length) errors.push({ field: vf, reason: `must be at most ${TOKEN_TAG_LIMITS.length} characters` });
      else if (v.includes(',')) errors.push({ field: vf, reason: 'must not contain ","' });
      else {
        const valueErr = check(tagsSchema, { [name]: v })[0];
        if (valueErr) errors.push({ field: vf, reason: valueErr.reason });
      }
    });
  }
  return errors;
}

/** The tags sorted by name, each value once, in the order given. */
function normalizeTags(tags: TokenTags): TokenTags {
  return Object.fromEntries(
    Object.keys(tags)
      .sort()
      .map((k) => [k, [...new Set(tags[k])]]),
  );
}

/**
 * `causeway generate dataplane-token --mesh M --name N --tag kuma.io/service=web [--valid-for 24h]`.
 * Without `tags` the token binds no service: zones refuse it unless they allow untagged tokens.
 */
export function generateDataplaneToken(opts: { signingKeyPem: string; mesh: string; name: string; tags?: TokenTags; validFor?: string; now?: Date }): string {
  const errors = tokenTagsErrors(opts.tags);
  if (errors.length > 0) throw new TokenError(errors.map((e) => `${e.field}: ${e.reason}`).join('; '));
  const tags = opts.tags && Object.keys(opts.tags).length > 0 ? normalizeTags(opts.tags) : undefined;
  return signToken(opts.signingKeyPem, { kind: 'dataplane', mesh: opts.mesh, name: opts.name, ...(tags ? { tags } : {}) }, parseValidity(opts.validFor), opts.now);
}

/**
 * `causeway generate zone-token --zone Z [--scope ingress,egress] [--valid-for 30d]`. `kid`: the id of the
 * signing key, in the header (global's zone-token key has one; a zone's own key has none).
 */
export function generateZoneToken(opts: { signingKeyPem: string; zone: string; scope?: ZoneScope[]; validFor?: string; now?: Date; kid?: string }): string {
  return signToken(
    opts.signingKeyPem,
    { kind: 'zone', zone: opts.zone, scope: opts.scope ?? ['ingress', 'egress'] },
    parseValidity(opts.validFor),
    opts.now,
    opts.kid !== undefined ? { kid: opts.kid } : {},
  );
}

/** Where a Dataplane declares tags: `inbound[i].tags`, and `gateway.tags` when it has a gateway. */
export interface TagSource {
  path: string;
  tags: Readonly<Record<string, string>>;
}

/** The tag sources of a Dataplane spec (`networking.inbound[]`, `networking.gateway`). */
export function dataplaneTagSources(spec: unknown): TagSource[] {
  const networking = (spec as { networking?: { inbound?: unknown; gateway?: unknown } } | undefined)?.networking;
  const out: TagSource[] = [];
  const tagsOf = (x: unknown) => {
    const t = (x as { tags?: unknown } | undefined)?.tags;
    return t && typeof t === 'object' && !Array.isArray(t) ? (t as Record<string, string>) : undefined;
  };
  if (Array.isArray(networking?.inbound))
    networking.inbound.forEach((ib, i) => {
      const tags = tagsOf(ib);
      if (tags) out.push({ path: `inbound[${i}].tags`, tags });
    });
  const gw = tagsOf(networking?.gateway);
  if (gw) out.push({ path: 'gateway.tags', tags: gw });
  return out;
}

/**
 * The tags to issue a Dataplane's token for: `{"kuma.io/service": [...]}` with the services its inbounds
 * (and gateway) declare, in order. Takes the Dataplane spec or its tag sources.
 */
export function dataplaneTokenTags(specOrSources: unknown): TokenTags {
  const sources = Array.isArray(specOrSources) ? (specOrSources as TagSource[]) : dataplaneTagSources(specOrSources);
  const services = [...new Set(sources.map((s) => (Object.hasOwn(s.tags, SERVICE_TAG) ? s.tags[SERVICE_TAG] : undefined)).filter((v): v is string => typeof v === 'string' && v !== ''))];
  return services.length > 0 ? { [SERVICE_TAG]: services } : {};
}

export interface TokenAllowsOptions {
  /**
   * Accept dataplane tokens that carry no `kuma.io/service` tag (issued by mesh and name only). Off by
   * default: such a token lets its bearer claim any service's identity.
   */
  allowUntaggedDataplaneTokens?: boolean;
}

/**
 * Checks that verified claims allow registering this proxy; returns a reason when they do not.
 * A Dataplane's `tags` are where it declares tags (`dataplaneTagSources`): as in Kuma, every tag the token
 * names must be declared by the Dataplane, and every value it declares for that tag must be one the token
 * allows. A token without a `kuma.io/service` tag is refused unless `allowUntaggedDataplaneTokens`.
 */
export function tokenAllows(
  claims: TokenClaims,
  proxy: { type: 'Dataplane' | 'ZoneIngress' | 'ZoneEgress'; name: string; mesh?: string; zone: string; tags?: readonly TagSource[] },
  opts: TokenAllowsOptions = {},
): string | undefined {
  if (proxy.type === 'Dataplane') {
    if (claims.kind !== 'dataplane') return 'a Dataplane needs a dataplane token';
    if (claims.mesh !== proxy.mesh) return `the token is for mesh "${claims.mesh}", not "${proxy.mesh}"`;
    if (claims.name !== undefined && claims.name !== proxy.name) return `the token is for dataplane "${claims.name}", not "${proxy.name}"`;
    const tokenTags: TokenTags = claims.tags && typeof claims.tags === 'object' && !Array.isArray(claims.tags) ? claims.tags : {};
    const sources = proxy.tags ?? [];
    if (!(tokenTags[SERVICE_TAG]?.length ?? 0) && !opts.allowUntaggedDataplaneTokens) {
      const services = dataplaneTokenTags(sources)[SERVICE_TAG] ?? [];
      return (
        `the token has no "${SERVICE_TAG}" tags, so it would let this proxy claim any service: issue one for the Dataplane's services with ` +
        `causeway generate dataplane-token --mesh ${proxy.mesh} --name ${proxy.name} --tag ${SERVICE_TAG}=${services.length > 0 ? services.join(',') : '<service>'}`
      );
    }
    for (const name of Object.keys(tokenTags).sort()) {
      const values = tokenTags[name];
      const allowed: string[] = Array.isArray(values) ? values : [];
      let declared = false;
      for (const src of sources) {
        const v = Object.hasOwn(src.tags, name) ? src.tags[name] : undefined;
        if (v === undefined) continue;
        declared = true;
        if (!allowed.includes(v)) return `${src.path}[${JSON.stringify(name)}]: ${JSON.stringify(v)} is not allowed by the token (issued for: ${allowed.join(', ')})`;
      }
      if (!declared) return `the Dataplane declares no tag ${JSON.stringify(name)}, which the token requires (issued for: ${allowed.join(', ')})`;
    }
    return undefined;
  }
  if (claims.kind !== 'zone') return `a ${proxy.type} needs a zone token`;
  if (claims.zone !== proxy.zone) return `the token is for zone "${claims.zone}", not "${proxy.zone}"`;
  const need: ZoneScope = proxy.type === 'ZoneIngress' ? 'ingress' : 'egress';
  if (!(claims.scope ?? []).includes(need)) return `the token's scope does not include ${need}`;
  return undefined;
}
