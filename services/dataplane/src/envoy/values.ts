/** Reading Envoy JSON values: durations, wrappers, data sources, CIDR ranges, string matchers. */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import type { CidrRange, DataSource, StringMatcher } from '@causeway/envoy';

/**
 * What the readers below accept: the JSON shape of the model (`"5s"`, bare wrapper values), and also
 * `{seconds, nanos}` durations and `{value}` wrappers, which a hand-written static bootstrap may hold.
 */
export type Duration = string | { seconds?: string | number; nanos?: number };
/** `google.protobuf.UInt32Value` and friends: a plain value in JSON; `{ value }` tolerated. */
export type Wrapped<T> = T | { value?: T };

/** A config the proxy cannot apply; its message becomes the NACK's error_detail. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Milliseconds of a proto3-JSON duration ("5s", "0.250s", "1.5s") or `{seconds, nanos}`. */
export function durationMs(d: Duration | undefined, field: string): number | undefined {
  if (d === undefined || d === null) return undefined;
  if (typeof d === 'string') {
    const m = /^(-?)(\d+)(?:\.(\d{1,9}))?s$/.exec(d.trim());
    if (!m) throw new ConfigError(`${field}: invalid duration ${JSON.stringify(d)} (expected e.g. "5s" or "0.250s")`);
    const whole = Number(m[2]);
    const frac = m[3] ? Number(`0.${m[3]}`) : 0;
    const ms = (whole + frac) * 1000;
    if (m[1]) throw new ConfigError(`${field}: negative duration ${d}`);
    return ms;
  }
  if (typeof d === 'object') {
    const s = Number(d.seconds ?? 0);
    const n = Number(d.nanos ?? 0);
    if (!Number.isFinite(s) || !Number.isFinite(n) || s < 0 || n < 0) throw new ConfigError(`${field}: invalid duration ${JSON.stringify(d)}`);
    return s * 1000 + n / 1e6;
  }
  throw new ConfigError(`${field}: invalid duration ${JSON.stringify(d)}`);
}

/** The value of a `google.protobuf.*Value` wrapper (plain in JSON; `{value}` tolerated). */
export function unwrap<T>(w: Wrapped<T> | undefined): T | undefined {
  if (w === undefined || w === null) return undefined;
  if (typeof w === 'object' && w !== null && !Array.isArray(w) && 'value' in (w as object)) return (w as { value?: T }).value;
  return w as T;
}

export function unwrapNumber(w: Wrapped<number> | Wrapped<string> | undefined, field: string): number | undefined {
  const v = unwrap<number | string>(w as Wrapped<number | string>);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new ConfigError(`${field}: not a number: ${JSON.stringify(v)}`);
  return n;
}

/** The bytes of an Envoy DataSource (inline_bytes is base64 in JSON). */
export function readDataSource(ds: DataSource | undefined, field: string, env: Record<string, string | undefined> = {}): Buffer | undefined {
  if (!ds) return undefined;
  if (ds.inline_string !== undefined) return Buffer.from(ds.inline_string, 'utf8');
  if (ds.inline_bytes !== undefined) return Buffer.from(ds.inline_bytes, 'base64');
  if (ds.filename !== undefined) {
    try {
      return readFileSync(ds.filename);
    } catch (e) {
      throw new ConfigError(`${field}: cannot read ${ds.filename}: ${(e as Error).message}`);
    }
  }
  if (ds.environment_variable !== undefined) {
    const v = env[ds.environment_variable];
    if (v === undefined) throw new ConfigError(`${field}: environment variable ${ds.environment_variable} is not set`);
    return Buffer.from(v, 'utf8');
  }
  return undefined;
}

// ---------------------------------------------------------------- CIDR
export interface Cidr {
  family: 4 | 6;
  bytes: Buffer;
  prefixLen: number;
}

function ipBytes(ip: string): { family: 4 | 6; bytes: Buffer } | undefined {
  let s = ip;
  if (s.startsWith('::ffff:') && isIP(s.slice(7)) === 4) s = s.slice(7);
  const fam = isIP(s);
  if (fam === 4) return { family: 4, bytes: Buffer.from(s.split('.').map(Number)) };
  if (fam === 6) {
    const [head, tail] = s.includes('::') ? (s.split('::') as [string, string]) : [s, undefined];
    const parse = (part: string): number[] => {
      if (!part) return [];
      const out: number[] = [];
      for (const g of part.split(':')) {
        if (g.includes('.')) {
          const b = g.split('.').map(Number);
          out.push(((b[0] ?? 0) << 8) | (b[1] ?? 0), ((b[2] ?? 0) << 8) | (b[3] ?? 0));
        } else out.push(Number.parseInt(g, 16));
      }
      return out;
    };
    const h = parse(head);
    const t = tail === undefined ? [] : parse(tail);
    const groups = [...h, ...new Array(8 - h.length - t.length).fill(0), ...t];
    const buf = Buffer.alloc(16);
    groups.forEach((g, i) => {
      buf.writeUInt16BE(g & 0xffff, i * 2);
    });
    return { family: 6, bytes: buf };
  }
  return undefined;
}

export function parseCidr(r: CidrRange, field: string): Cidr {
  const ip = ipBytes(r.address_prefix);
  if (!ip) throw new ConfigError(`${field}: invalid address_prefix ${JSON.stringify(r.address_prefix)}`);
  const len = unwrapNumber(r.prefix_len, `${field}.prefix_len`) ?? 0;
  const max = ip.family === 4 ? 32 : 128;
  if (len < 0 || len > max) throw new ConfigError(`${field}: prefix_len ${len} out of range`);
  return { ...ip, prefixLen: len };
}

export function cidrContains(c: Cidr, ip: string | undefined): boolean {
  if (!ip) return false;
  const a = ipBytes(ip);
  if (!a || a.family !== c.family) return false;
  let bits = c.prefixLen;
  for (let i = 0; bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if (((a.bytes[i] ?? 0) & mask) !== ((c.bytes[i] ?? 0) & mask)) return false;
  }
  return true;
}

// ---------------------------------------------------------------- string matcher
export type Matcher = (value: string | undefined) => boolean;

/** Envoy's StringMatcher (exact/prefix/suffix/contains/safe_regex, ignore_case). A missing value never matches. */
export function compileStringMatcher(m: StringMatcher | undefined, field: string): Matcher {
  if (!m) throw new ConfigError(`${field}: missing string matcher`);
  const ic = m.ignore_case === true;
  const norm = (s: string) => (ic ? s.toLowerCase() : s);
  if (m.exact !== undefined) {
    const e = norm(m.exact);
    return (v) => v !== undefined && norm(v) === e;
  }
  if (m.prefix !== undefined) {
    const p = norm(m.prefix);
    return (v) => v !== undefined && norm(v).startsWith(p);
  }
  if (m.suffix !== undefined) {
    const s = norm(m.suffix);
    return (v) => v !== undefined && norm(v).endsWith(s);
  }
  if (m.contains !== undefined) {
    const c = norm(m.contains);
    return (v) => v !== undefined && norm(v).includes(c);
  }
  if (m.safe_regex !== undefined) {
    const re = compileRegex(m.safe_regex.regex, field);
    return (v) => v !== undefined && re.test(v);
  }
  throw new ConfigError(`${field}: string matcher sets none of exact, prefix, suffix, contains, safe_regex`);
}

/** RE2 regexes match the whole value in Envoy. */
export function compileRegex(regex: string, field: string): RegExp {
  try {
    return new RegExp(`^(?:${regex})$`);
  } catch (e) {
    throw new ConfigError(`${field}: invalid regex: ${(e as Error).message}`);
  }
}
