/**
 * Validation building blocks shared by every resource schema: zod issue -> FieldError mapping, field
 * paths in Kuma's notation (`networking.inbound[0].tags["kuma.io/service"]`: fields joined by `.`, list
 * indexes in `[]`, map keys quoted in `[""]`), Kuma-style rule checks that report at the paths Kuma's
 * validators use (`Violation`, `kumaRules`), and the common field schemas (names, tags, addresses,
 * durations, data sources).
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { isIP } from 'node:net';
import { z } from 'zod';
import type { FieldError } from './errors.js';

/**
 * A field path. Strings are fields, numbers list indexes, and symbols made by `mapKey` map keys (a map key
 * may hold dots and slashes, `kuma.io/service`, so it is not written like a field).
 */
export type Path = readonly PropertyKey[];

/** A map key as a path segment: written `["key"]`, as Kuma writes `tags["kuma.io/service"]`. */
export function mapKey(key: string): symbol {
  return Symbol(key);
}

/** `['inbound', 0, 'tags', mapKey('kuma.io/service')]` -> `inbound[0].tags["kuma.io/service"]`. */
export function formatPath(path: Path): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (typeof seg === 'symbol') out += `[${JSON.stringify(seg.description ?? '')}]`;
    else out += out === '' ? seg : `.${seg}`;
  }
  return out;
}

/**
 * The path in the document of a field Kuma's validators report under a name of their own (and so do we,
 * for parity): `spec.to[0].default.conf.http` is `spec.to[0].default.http`, a logging or tracing backend's
 * `config` is its `conf`, `availableService[0]` is `availableServices[0]`, `networking.address.address` is
 * `networking.address`, `mtls.dpcert.rotation.expiration` is one of `mtls.backends`, and a
 * MeshTrafficPermission's `rules[0].allow[0]` is `rules[0].default.allow[0]`. Other paths are returned as
 * they are. For finding the line of a field in a file, or the field a client should highlight.
 */
export function documentPath(field: string): string {
  return field
    .replace(/\.default\.conf(?=$|[.[])/, '.default')
    .replace(/^((?:logging|tracing)\.backends\[\d+\])\.config(?=$|[.[])/, '$1.conf')
    .replace(/^availableService\[/, 'availableServices[')
    .replace(/^(networking\.(?:address|advertisedAddress))\.address$/, '$1')
    .replace(/^mtls\.dpcert\.rotation\.expiration$/, 'mtls.backends')
    .replace(/^(spec\.rules\[\d+\])\.(allow|deny|allowWithShadowDeny)\[/, '$1.default.$2[');
}

/** One rule violation at a path relative to the value checked (Kuma's `validators.Violation`). */
export interface Violation {
  path: PropertyKey[];
  message: string;
}

/** The violations of `list` moved under `prefix`. */
export function under(prefix: Path, list: readonly Violation[]): Violation[] {
  return list.map((v) => ({ path: [...prefix, ...v.path], message: v.message }));
}

/**
 * Adds rule checks to a schema that run on every value, whatever else is wrong with it, and report at
 * the paths they choose (Kuma's validators report some rules at paths of their own, `spec.to[0].default.conf`).
 * `rules` gets the value as parsed so far, which may hold values of the wrong type where the schema
 * already reported one: it must check the type of everything it reads (`asObject`, `asString`, ...).
 */
export function kumaRules<S extends z.ZodType>(schema: S, rules: (value: unknown) => Violation[]) {
  return schema.superRefine(
    (value, ctx) => {
      for (const v of rules(value)) ctx.addIssue({ code: 'custom', path: v.path, message: v.message });
    },
    { when: () => true },
  );
}

/** The value as a plain object, or undefined (for rule checks, which see unchecked values). */
export function asObject(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}
export function asArray(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}
export function asString(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}
/** A string map's string entries (other values were reported by the schema). */
export function asStringMap(v: unknown): Record<string, string> | undefined {
  const o = asObject(v);
  if (!o) return undefined;
  return Object.fromEntries(Object.entries(o).filter((e): e is [string, string] => typeof e[1] === 'string'));
}

function describeType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v); // YAML's .inf and .nan
  if (typeof v === 'object') return 'an object';
  return `a ${typeof v}`;
}

/** A user's value quoted in a reason; long values are cut so an error never echoes a megabyte back. */
export function quote(v: string, max = 100): string {
  return JSON.stringify(v.length > max ? `${v.slice(0, max)}…` : v);
}

const EXPECTED: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'a boolean (true or false)',
  object: 'an object',
  array: 'a list',
  record: 'a map',
};

/** Turns zod issues into field errors with readable reasons. Unknown keys become one error each. */
export function zodIssuesToFieldErrors(issues: readonly z.core.$ZodIssue[], prefix: Path = []): FieldError[] {
  const out: FieldError[] = [];
  for (const issue of issues) {
    const path = [...prefix, ...issue.path];
    switch (issue.code) {
      case 'unrecognized_keys':
        for (const key of issue.keys) out.push({ field: formatPath([...path, key]), reason: 'unknown field' });
        break;
      case 'invalid_type': {
        const expected = EXPECTED[issue.expected] ?? issue.expected;
        const got = 'input' in issue ? issue.input : undefined;
        // A schema's own message (`{ error: ... }`) says it better than the generic one.
        if (!issue.message.startsWith('Invalid input')) {
          out.push({ field: formatPath(path), reason: issue.message });
          break;
        }
        out.push({
          field: formatPath(path),
          reason: got === undefined ? `is required (${expected})` : `must be ${expected}, got ${describeType(got)}`,
        });
        break;
      }
      case 'invalid_value':
        out.push({ field: formatPath(path), reason: issue.message.startsWith('Invalid') ? `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}` : issue.message });
        break;
      default:
        out.push({ field: formatPath(path), reason: issue.message });
    }
  }
  return dedupe(out);
}

function dedupe(errors: FieldError[]): FieldError[] {
  const seen = new Set<string>();
  return errors.filter((e) => {
    const k = `${e.field}\u0000${e.reason}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

function isPrefix(prefix: Path, path: Path): boolean {
  return prefix.length <= path.length && prefix.every((seg, i) => seg === path[i]);
}

/**
 * When a cross-field refinement of an object runs: only on values whose type was checked. zod skips an
 * object's refinements as soon as any of its fields failed; to report every error at once, a cross-field
 * check should still run when an unrelated field is wrong, but it must never see a value of the wrong type
 * (`Object.keys(null)`, `(5).trim()`: a 500 instead of a 400). `whenTyped(['clientCert'], ['clientKey'])`
 * runs the check when the object is an object and the fields it reads (paths relative to the object, with
 * everything below them) passed their type checks. A refinement error on such a field (a bad certificate,
 * a bad tag character) does not stop it, since the value still has its type; a wrong type, a missing
 * required field or a value outside an enum does. Unknown fields never stop it (they are not in the value).
 */
export function whenTyped(...fields: Path[]): { when: (payload: z.core.ParsePayload) => boolean } {
  return {
    when: (payload) =>
      payload.issues.every((issue) => {
        if (issue.continue === true || issue.code === 'unrecognized_keys') return true;
        const path: Path = issue.path ?? [];
        return path.length > 0 && !fields.some((f) => isPrefix(f, path) || isPrefix(path, f));
      }),
  };
}

// ---------------------------------------------------------------------------------------------
// Common field schemas

/** Resource names: Kuma universal names (letters, digits, `-`, `_`, `.`), at most 253 characters. */
export const NAME_RE = /^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$/;
export function nameError(name: unknown): string | undefined {
  if (typeof name !== 'string' || name === '') return 'is required';
  if (name.length > 253) return 'must be at most 253 characters';
  if (!NAME_RE.test(name)) return 'must start and end with a letter or digit and contain only letters, digits, "-", "_" and "."';
  return undefined;
}
export const nameSchema = z.string().superRefine((v, ctx) => {
  const err = nameError(v);
  if (err) ctx.addIssue({ code: 'custom', message: err });
});

/**
 * A map of strings (`tags`, `labels`): any keys, string values (a value of another type is reported at
 * its key, `tags["version"]`), then `entry` on each string entry.
 */
export function stringMapSchema(entry?: (key: string, value: string) => string | undefined) {
  return z.record(z.string(), z.any()).superRefine((map, ctx) => {
    for (const [k, v] of Object.entries(map)) {
      if (typeof v !== 'string') {
        ctx.addIssue({ code: 'custom', path: [mapKey(k)], message: v === null ? 'value must be non-empty (got null)' : `must be a string, got ${describeType(v)}` });
        continue;
      }
      const err = entry?.(k, v);
      if (err) ctx.addIssue({ code: 'custom', path: [mapKey(k)], message: err });
    }
  });
}

const TAG_KEY_RE = /^[A-Za-z0-9.\-_:/]+$/;
const TAG_VALUE_RE = /^[A-Za-z0-9.\-_:/{}=,*]*$/;
/**
 * Tags of Dataplanes and tokens: a string -> string map with the character set of tag selectors (values
 * may be empty). ExternalService, ZoneIngress and policy tags follow Kuma's stricter rules: `validateTags`.
 */
export const tagsSchema = stringMapSchema((k, v) => {
  if (!TAG_KEY_RE.test(k)) return 'tag name may contain only letters, digits and ".-_:/"';
  if (!TAG_VALUE_RE.test(v)) return 'tag value may contain only letters, digits and ".-_:/"';
  return undefined;
});

export const labelsSchema = stringMapSchema((k, v) => {
  if (k === '' || k.length > 317 || !/^[A-Za-z0-9.\-_/]+$/.test(k)) return 'label name may contain only letters, digits and ".-_/"';
  if (v.length > 63) return 'label value must be at most 63 characters';
  return undefined;
});

// Kuma's tag rules (pkg/core/resources/apis/mesh/validators.go): names of letters, digits and `.-_:/`,
// values of letters, digits and `.-_:` (selectors also `/`, or exactly `*`), neither empty.
const KUMA_TAG_NAME_RE = /^[a-zA-Z0-9.\-_:/]*$/;
const KUMA_TAG_VALUE_RE = /^[a-zA-Z0-9.\-_:]*$/;
const KUMA_SELECTOR_VALUE_RE = /^([a-zA-Z0-9.\-_:/]*|\*)$/;

export interface KumaTagOptions {
  /** `must have at least one tag` when the map is empty. */
  requireAtLeastOne?: boolean;
  /** `mandatory tag "kuma.io/service" is missing`. */
  requireService?: boolean;
  /** Selector values: may also hold `/`, or be `*`. */
  selector?: boolean;
}

/**
 * Kuma's checks of a tag map (`ValidateTags` / `ValidateSelector`), paths relative to the map: an empty
 * name is reported on the map, everything else at its key. Non-string values are the schema's to report.
 */
export function validateTags(value: unknown, opts: KumaTagOptions = {}): Violation[] {
  const tags = asStringMap(value);
  if (!tags) return [];
  const out: Violation[] = [];
  const keys = Object.keys(asObject(value) ?? {});
  if (opts.requireAtLeastOne && keys.length === 0) out.push({ path: [], message: 'must have at least one tag' });
  for (const key of [...keys].sort()) {
    if (key === '') out.push({ path: [], message: 'tag name must be non-empty' });
    if (!KUMA_TAG_NAME_RE.test(key)) out.push({ path: [mapKey(key)], message: 'tag name must consist of alphanumeric characters, dots, dashes, slashes and underscores' });
    const v = tags[key];
    if (v === undefined) continue;
    if (v === '') out.push({ path: [mapKey(key)], message: 'tag value must be non-empty' });
    if (opts.selector) {
      if (!KUMA_SELECTOR_VALUE_RE.test(v))
        out.push({ path: [mapKey(key)], message: 'tag value must consist of alphanumeric characters, dots, dashes, slashes and underscores or be "*"' });
    } else if (!KUMA_TAG_VALUE_RE.test(v)) out.push({ path: [mapKey(key)], message: 'tag value must consist of alphanumeric characters, dots, dashes and underscores' });
  }
  if (opts.requireService && !keys.includes('kuma.io/service')) out.push({ path: [], message: 'mandatory tag "kuma.io/service" is missing' });
  return out;
}

export const portSchema = z
  .number()
  .int('must be an integer')
  .min(1, 'must be between 1 and 65535')
  .max(65535, 'must be between 1 and 65535');

const DNS_LABEL_RE = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
/** True for a DNS host name (RFC 1123 labels). */
export function isHostname(host: string): boolean {
  if (host.length === 0 || host.length > 253) return false;
  const h = host.endsWith('.') ? host.slice(0, -1) : host;
  return h.split('.').every((l) => DNS_LABEL_RE.test(l));
}

export interface HostPort {
  host: string;
  port: number;
  /** ip4, ip6 or dns */
  kind: 'ip4' | 'ip6' | 'dns';
}

/**
 * Parses `host:port` where host is an IPv4 address, `[IPv6]`, or a DNS name; the string returned instead
 * says what is wrong, in Kuma's words where Kuma has some (`port must be in the range [1, 65535]`).
 */
export function parseHostPort(address: string): HostPort | string {
  let host: string;
  let portStr: string;
  if (/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(address)) return `unable to parse address: must be "host:port", without a scheme (got ${quote(address)})`;
  if (address.startsWith('[')) {
    const end = address.indexOf(']');
    if (end < 0 || address[end + 1] !== ':') return 'unable to parse address: must be "host:port" (an IPv6 address goes in brackets: "[::1]:443")';
    host = address.slice(1, end);
    portStr = address.slice(end + 2);
    if (isIP(host) !== 6) return `address has to be a valid IP address or a domain name: ${quote(host)} is not a valid IPv6 address`;
  } else {
    const idx = address.lastIndexOf(':');
    if (idx < 0) return 'unable to parse address: must be "host:port"';
    host = address.slice(0, idx);
    portStr = address.slice(idx + 1);
    if (host.includes(':'))
      return isIP(host) === 6 ? 'unable to parse address: an IPv6 address must be written in brackets: "[::1]:443"' : 'unable to parse address: must be "host:port"';
    if (host === '') return 'unable to parse address: must be "host:port" with a non-empty host';
  }
  if (!/^\d{1,5}$/.test(portStr)) return `unable to parse port in address: port must be in the range [1, 65535], got ${quote(portStr)}`;
  const port = Number(portStr);
  if (port < 1 || port > 65535) return `port must be in the range [1, 65535], got ${port}`;
  if (address.startsWith('[')) return { host, port, kind: 'ip6' };
  if (isIP(host) === 4) return { host, port, kind: 'ip4' };
  if (/^[0-9.]+$/.test(host)) return `address has to be a valid IP address or a domain name: ${quote(host)} is not a valid IPv4 address`;
  if (!isHostname(host)) return `address has to be a valid IP address or a domain name, got ${quote(host)}`;
  return { host, port, kind: 'dns' };
}

export const hostPortSchema = z.string().superRefine((v, ctx) => {
  const r = parseHostPort(v);
  if (typeof r === 'string') ctx.addIssue({ code: 'custom', message: r });
});

/** An IP address or DNS name (no port). */
export const hostSchema = z.string().superRefine((v, ctx) => {
  if (v === '') ctx.addIssue({ code: 'custom', message: 'is required' });
  else if (isIP(v) === 0 && !isHostname(v)) ctx.addIssue({ code: 'custom', message: `${quote(v)} is not a valid IP address or DNS name` });
});

const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 7 * 86_400_000,
  y: 365 * 86_400_000,
};
const GO_UNITS = new Set(['ns', 'us', 'µs', 'μs', 'ms', 's', 'm', 'h']);
const PART_RE = /(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h|d|w|y)/y;

/** The unsigned part of a duration in milliseconds, or undefined; `units` are the units allowed. */
function durationMs(text: string, units: (u: string) => boolean): number | undefined {
  if (text === '0') return 0;
  if (text === '') return undefined;
  let total = 0;
  PART_RE.lastIndex = 0;
  while (PART_RE.lastIndex < text.length) {
    const m = PART_RE.exec(text);
    if (!m || !units(m[2] as string)) return undefined;
    total += Number(m[1]) * (UNIT_MS[m[2] as string] ?? 0);
  }
  return total;
}

/**
 * A Go duration (`time.ParseDuration`, what Kuma's policies use: `5s`, `1m30s`, `250ms`, `1.5h`, `-1s`)
 * in milliseconds, sign included; undefined when malformed.
 */
export function parseGoDuration(v: string): number | undefined {
  const sign = v.startsWith('-') ? -1 : 1;
  const ms = durationMs(v.replace(/^[-+]/, ''), (u) => GO_UNITS.has(u));
  return ms === undefined ? undefined : sign * ms;
}

/**
 * Parses a non-negative duration to milliseconds (undefined when malformed or negative): Go's syntax, and
 * with `days: true` also `d` (24h), `w` (7d) and `y` (365d), for certificate expirations.
 */
export function parseDuration(v: string, opts: { days?: boolean } = {}): number | undefined {
  if (v.startsWith('-')) return undefined;
  return durationMs(v.replace(/^\+/, ''), (u) => opts.days === true || GO_UNITS.has(u));
}

/** Kuma's own duration format for certificate rotation (`mesh.ParseDuration`): one number and one unit of y, w, d, h, m, s, ms, or `0`. */
export function parseKumaDuration(v: string): number | undefined {
  if (v === '0') return 0;
  const m = /^(\d+)(y|w|d|h|m|s|ms)$/.exec(v);
  return m ? Number(m[1]) * (UNIT_MS[m[2] as string] ?? 0) : undefined;
}

/** A non-negative Go duration. */
export const durationSchema = z.string().superRefine((v, ctx) => {
  if (parseDuration(v) === undefined) ctx.addIssue({ code: 'custom', message: `${quote(v)} is not a duration (examples: "500ms", "5s", "1m30s", "1h")` });
});
/** A Go duration that may be negative (the policy's rules say where a negative one is refused, and how). */
export const signedDurationSchema = z.string().superRefine((v, ctx) => {
  if (parseGoDuration(v) === undefined) ctx.addIssue({ code: 'custom', message: `${quote(v)} is not a duration (examples: "500ms", "5s", "1m30s", "1h")` });
});
/** A certificate expiration: a duration that may also use `d`, `w` and `y` (`1d`, `10y`). */
export const expirationSchema = z.string().superRefine((v, ctx) => {
  if (parseDuration(v, { days: true }) === undefined)
    ctx.addIssue({ code: 'custom', message: `${quote(v)} is not a duration (examples: "24h", "1d", "10y")` });
});

// ---------------------------------------------------------------------------------------------
// Data sources (certificates and keys): exactly one of inline (base64), inlineString, secret.

export type PemKind = 'certificate' | 'privateKey' | 'any';

const B64_RE = /^[A-Za-z0-9+/]*={0,2}$/;
/** Strict base64: right alphabet, right padding. */
export function decodeBase64Strict(v: string): Buffer | undefined {
  const s = v.replace(/\s+/g, '');
  if (s.length === 0 || s.length % 4 !== 0 || !B64_RE.test(s)) return undefined;
  return Buffer.from(s, 'base64');
}

/** Checks that text is PEM of the wanted kind; returns a reason or undefined. */
export function pemError(text: string, kind: PemKind): string | undefined {
  if (kind === 'any') return undefined;
  if (kind === 'certificate') {
    if (!text.includes('-----BEGIN CERTIFICATE-----')) return 'is not a PEM certificate (no "BEGIN CERTIFICATE" block)';
    try {
      new X509Certificate(text);
    } catch (e) {
      return `is not a valid PEM certificate: ${(e as Error).message}`;
    }
    return undefined;
  }
  if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text)) return 'is not a PEM private key (no "BEGIN ... PRIVATE KEY" block)';
  try {
    createPrivateKey(text);
  } catch (e) {
    return `is not a valid PEM private key: ${(e as Error).message}`;
  }
  return undefined;
}

export interface DataSource {
  inline?: string;
  inlineString?: string;
  secret?: string;
}

const EMPTY_DATA_SOURCE = 'data source cannot be empty';

export function dataSourceSchema(kind: PemKind) {
  return z
    .strictObject({
      inline: z.string().optional(),
      inlineString: z.string().optional(),
      secret: z.string().optional(),
      // Kuma's data sources may name a file on the control plane's disk; Causeway's never read its files.
      file: z.never({ error: 'is not supported: give the data "inline", as "inlineString" or from a "secret"' }).optional(),
    })
    .superRefine((ds, ctx) => {
      const set = (['inline', 'inlineString', 'secret'] as const).filter((k) => ds[k] !== undefined);
      if (set.length === 0) {
        if (ds.file === undefined) ctx.addIssue({ code: 'custom', message: `${EMPTY_DATA_SOURCE}: set one of "inline", "inlineString" or "secret"` });
        return;
      }
      if (set.length > 1) {
        ctx.addIssue({ code: 'custom', message: `must set exactly one of "inline", "inlineString" or "secret", not ${set.map((s) => `"${s}"`).join(' and ')}` });
        return;
      }
      if (set.every((k) => ds[k] === '')) {
        ctx.addIssue({ code: 'custom', message: EMPTY_DATA_SOURCE });
        return;
      }
      if (ds.inline !== undefined) {
        const bytes = decodeBase64Strict(ds.inline);
        if (!bytes) {
          ctx.addIssue({ code: 'custom', message: '"inline" must be base64-encoded PEM data (the value is not valid base64)' });
          return;
        }
        const err = pemError(bytes.toString('utf8'), kind);
        if (err) ctx.addIssue({ code: 'custom', message: `"inline" ${err}` });
      } else if (ds.inlineString !== undefined) {
        const err = ds.inlineString.trim() === '' ? 'is empty' : pemError(ds.inlineString, kind);
        if (err) ctx.addIssue({ code: 'custom', message: `"inlineString" ${err}` });
      } else if (ds.secret !== undefined) {
        const err = nameError(ds.secret);
        if (err) ctx.addIssue({ code: 'custom', message: `"secret" ${err}` });
      }
    }, whenTyped(['inline'], ['inlineString'], ['secret']));
}

/** Resolves a data source to bytes given a secret lookup. */
export function dataSourceBytes(ds: DataSource, secret: (name: string) => Buffer | undefined): Buffer | undefined {
  if (ds.inline !== undefined) return decodeBase64Strict(ds.inline);
  if (ds.inlineString !== undefined) return Buffer.from(ds.inlineString, 'utf8');
  if (ds.secret !== undefined) return secret(ds.secret);
  return undefined;
}

/** Runs a zod schema and returns field errors (empty when valid). */
export function check(schema: z.ZodType, value: unknown, prefix: Path = []): FieldError[] {
  // reportInput: zod 4 leaves `input` out of issues by default, and without it a value of the wrong
  // type could not be told from a missing one ("is required" for `enabled: "yes"`).
  const r = schema.safeParse(value, { reportInput: true });
  return r.success ? [] : zodIssuesToFieldErrors(r.error.issues, prefix);
}
