/**
 * Key scheme of the two JetStream KV buckets.
 *
 *   causeway-global:  <Type>.<mesh|_>.<name>
 *   causeway-zones:   <zone>.<Type>.<mesh|_>.<name>
 *
 * `.` separates tokens of a NATS subject, so every token is escaped to the characters a KV key token may
 * hold without ambiguity: letters, digits, `-` and `_` stay as they are, every other byte of the UTF-8
 * form becomes `=XX` (upper-case hex) — `web.1` is the token `web=2E1`. A token that is exactly `_` (the
 * placeholder for "no mesh") is escaped as `=5F` so a mesh literally named `_` cannot collide with it.
 */
import { descriptorOf, isResourceType, type Resource, type ResourceType } from '@causeway/core';

export const GLOBAL_BUCKET = 'causeway-global';
export const ZONES_BUCKET = 'causeway-zones';

/** Global's reads of a zone's proxies (inspect.ts): `causeway.inspect.<zone>`. */
export const INSPECT_SUBJECT = 'causeway.inspect';

export function inspectSubject(zone: string): string {
  return `${INSPECT_SUBJECT}.${zone}`;
}
/** JetStream stream behind a KV bucket. */
export const streamOf = (bucket: string): string => `KV_${bucket}`;
/** Subject prefix of a KV bucket's keys. */
export const subjectPrefixOf = (bucket: string): string => `$KV.${bucket}.`;

const NO_MESH = '_';
const PLAIN = /^[A-Za-z0-9_-]$/;

/** Escapes one token (a zone, type, mesh or name) to the KV key alphabet. Throws on an empty string. */
export function escapeToken(s: string): string {
  if (s === '') throw new Error('a key token must not be empty');
  if (s === NO_MESH) return '=5F';
  let out = '';
  for (const ch of s) {
    if (PLAIN.test(ch)) out += ch;
    else for (const b of Buffer.from(ch, 'utf8')) out += `=${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

const TOKEN_RE = /^(?:[A-Za-z0-9_-]|=[0-9A-F]{2})+$/;

/** Reverses escapeToken. Returns undefined for a token escapeToken cannot have produced. */
export function unescapeToken(token: string): string | undefined {
  if (!TOKEN_RE.test(token)) return undefined;
  const bytes: number[] = [];
  for (let i = 0; i < token.length; ) {
    if (token[i] === '=') {
      bytes.push(Number.parseInt(token.slice(i + 1, i + 3), 16));
      i += 3;
    } else {
      bytes.push(token.charCodeAt(i));
      i += 1;
    }
  }
  const s = Buffer.from(bytes).toString('utf8');
  // Reject non-canonical spellings (e.g. `=41` for `A`, invalid UTF-8) so one name has one key.
  return escapeToken(s) === token ? s : undefined;
}

/** What a key names: a resource type, its mesh (mesh-scoped types) and its name. */
export interface ResourceRef {
  type: ResourceType;
  mesh?: string;
  name: string;
}

function refTokens(r: ResourceRef): string {
  return `${r.type}.${r.mesh === undefined ? NO_MESH : escapeToken(r.mesh)}.${escapeToken(r.name)}`;
}

function parseRefTokens(tokens: string[]): ResourceRef | undefined {
  if (tokens.length !== 3) return undefined;
  const [type, meshToken, nameToken] = tokens as [string, string, string];
  if (!isResourceType(type)) return undefined;
  const name = unescapeToken(nameToken);
  if (name === undefined) return undefined;
  const meshScoped = descriptorOf(type).scope === 'mesh';
  if (meshToken === NO_MESH) return meshScoped ? undefined : { type, name };
  if (!meshScoped) return undefined;
  const mesh = unescapeToken(meshToken);
  return mesh === undefined ? undefined : { type, mesh, name };
}

/** Key of a resource in causeway-global. */
export function globalKey(r: ResourceRef | Resource): string {
  return refTokens(r);
}

/** Parses a causeway-global key; undefined when it is not one this scheme produces. */
export function parseGlobalKey(key: string): ResourceRef | undefined {
  return parseRefTokens(key.split('.'));
}

/** Key of a zone's resource in causeway-zones. */
export function zoneKey(zone: string, r: ResourceRef | Resource): string {
  return `${escapeToken(zone)}.${refTokens(r)}`;
}

/** Parses a causeway-zones key; undefined when it is not one this scheme produces. */
export function parseZoneKey(key: string): (ResourceRef & { zone: string }) | undefined {
  const tokens = key.split('.');
  if (tokens.length !== 4) return undefined;
  const zone = unescapeToken(tokens[0] as string);
  const ref = parseRefTokens(tokens.slice(1));
  return zone === undefined || ref === undefined ? undefined : { zone, ...ref };
}

/** One bucket's key scheme, as the sync's loops (`engine/`) see it. */
export interface KeySpace<R extends ResourceRef = ResourceRef> {
  bucket: string;
  /** What its keys look like, for logs. */
  format: string;
  /** Undefined for a key this scheme does not produce. */
  parse(key: string): R | undefined;
}

export const GLOBAL_KEYS: KeySpace = { bucket: GLOBAL_BUCKET, format: '<Type>.<mesh|_>.<name>', parse: parseGlobalKey };
export const ZONE_KEYS: KeySpace<ResourceRef & { zone: string }> = { bucket: ZONES_BUCKET, format: '<zone>.<Type>.<mesh|_>.<name>', parse: parseZoneKey };

/** The key prefix (without the trailing `.`) a zone owns in causeway-zones. */
export function zonePrefix(zone: string): string {
  return escapeToken(zone);
}

/** `Type/mesh/name` for logs. */
export function describeRef(r: ResourceRef): string {
  return r.mesh === undefined ? `${r.type} "${r.name}"` : `${r.type} "${r.name}" in mesh "${r.mesh}"`;
}
