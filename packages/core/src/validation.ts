/**
 * Validation building blocks shared by every resource schema: zod issue -> FieldError mapping, field
 * paths in Kuma's style (`inbound[0].tags`), and the common field schemas (names, tags, addresses,
 * durations, data sources).
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { isIP } from 'node:net';
import { z } from 'zod';
import type { FieldError } from './errors.js';

export type Path = readonly PropertyKey[];

/** `['inbound', 0, 'tags']` -> `inbound[0].tags`. */
export function formatPath(path: Path): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? String(seg) : `.${String(seg)}`;
  }
  return out;
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

const TAG_KEY_RE = /^[A-Za-z0-9.\-_:/]+$/;
const TAG_VALUE_RE = /^[A-Za-z0-9.\-_:/{}=,*]*$/;
/** Tags / labels: a string -> string map with Kuma's character set. */
export const tagsSchema = z.record(z.string(), z.string()).superRefine((tags, ctx) => {
  for (const [k, v] of Object.entries(tags)) {
    if (!TAG_KEY_RE.test(k)) ctx.addIssue({ code: 'custom', path: [k], message: 'tag name may contain only letters, digits and ".-_:/"' });
    else if (!TAG_VALUE_RE.test(v))
      ctx.addIssue({ code: 'custom', path: [k], message: 'tag value may contain only letters, digits and ".-_:/"' });
  }
});

export const labelsSchema = z.record(z.string(), z.string()).superRefine((labels, ctx) => {
  for (const [k, v] of Object.entries(labels)) {
    if (k === '' || k.length > 317 || !/^[A-Za-z0-9.\-_/]+$/.test(k))
      ctx.addIssue({ code: 'custom', path: [k], message: 'label name may contain only letters, digits and ".-_/"' });
    if (v.length > 63) ctx.addIssue({ code: 'custom', path: [k], message: 'label value must be at most 63 characters' });
  }
});

export const portSchema = z
  .number({ error: 'must be a port number' })
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

/** Parses `host:port` where host is an IPv4 address, `[IPv6]`, or a DNS name. */
export function parseHostPort(address: string): HostPort | string {
  let host: string;
  let portStr: string;
  if (address.startsWith('[')) {
    const end = address.indexOf(']');
    if (end < 0 || address[end + 1] !== ':') return 'must be "host:port" (an IPv6 address goes in brackets: "[::1]:443")';
    host = address.slice(1, end);
    portStr = address.slice(end + 2);
    if (isIP(host) !== 6) return `${quote(host)} is not a valid IPv6 address`;
  } else {
    const idx = address.lastIndexOf(':');
    if (idx < 0) return 'must be "host:port"';
    host = address.slice(0, idx);
    portStr = address.slice(idx + 1);
    if (host.includes(':')) return 'an IPv6 address must be written in brackets: "[::1]:443"';
    if (host === '') return 'must be "host:port" with a non-empty host';
  }
  if (!/^\d{1,5}$/.test(portStr)) return `port ${quote(portStr)} must be a number between 1 and 65535`;
  const port = Number(portStr);
  if (port < 1 || port > 65535) return `port ${port} must be between 1 and 65535`;
  if (address.startsWith('[')) return { host, port, kind: 'ip6' };
  if (isIP(host) === 4) return { host, port, kind: 'ip4' };
  if (/^[0-9.]+$/.test(host)) return `${quote(host)} is not a valid IPv4 address`;
  if (!isHostname(host)) return `${quote(host)} is not a valid IP address or DNS name`;
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

/** Go-style durations as Kuma writes them: `5s`, `1m30s`, `250ms`, `1h`. */
const DURATION_RE = /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/;
/** Certificate lifetimes also take days and years, as Kuma's mTLS examples write them: `1d`, `10y`. */
const LONG_DURATION_RE = /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h|d|y))+$/;
const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, y: 365 * 86_400_000 };
/**
 * Parses a duration to milliseconds (undefined when malformed). `days: true` also accepts `d` (24h)
 * and `y` (365d), for certificate expirations.
 */
export function parseDuration(v: string, opts: { days?: boolean } = {}): number | undefined {
  if (v === '0') return 0;
  if (!(opts.days ? LONG_DURATION_RE : DURATION_RE).test(v)) return undefined;
  let total = 0;
  for (const m of v.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h|d|y)/g)) total += Number(m[1]) * (UNIT_MS[m[2] as string] ?? 0);
  return total;
}
export const durationSchema = z.string().superRefine((v, ctx) => {
  if (parseDuration(v) === undefined) ctx.addIssue({ code: 'custom', message: `${quote(v)} is not a duration (examples: "500ms", "5s", "1m30s", "1h")` });
});
/** A certificate expiration: a duration that may also use `d` and `y` (`1d`, `10y`). */
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

export function dataSourceSchema(kind: PemKind) {
  return z
    .strictObject({
      inline: z.string().optional(),
      inlineString: z.string().optional(),
      secret: z.string().optional(),
    })
    .superRefine((ds, ctx) => {
      const set = (['inline', 'inlineString', 'secret'] as const).filter((k) => ds[k] !== undefined);
      if (set.length !== 1) {
        ctx.addIssue({
          code: 'custom',
          message:
            set.length === 0
              ? 'must set exactly one of "inline", "inlineString" or "secret"'
              : `must set exactly one of "inline", "inlineString" or "secret", not ${set.map((s) => `"${s}"`).join(' and ')}`,
        });
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
