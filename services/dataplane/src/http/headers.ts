/** Header objects from raw header lists, and Envoy's HeaderMatcher over them. */
import type { IncomingHttpHeaders } from 'node:http';
import type { HeaderMatcher } from '@causeway/envoy';
import { compileRegex, compileStringMatcher } from '../envoy/values.js';

export type Headers = Record<string, string | string[] | undefined>;
export type HeaderPred = (h: Headers) => boolean;

function headerValue(h: Headers, name: string): string | undefined {
  const v = h[name];
  if (v === undefined) return undefined;
  return Array.isArray(v) ? v.join(',') : v;
}

/** Envoy's HeaderMatcher (with the deprecated *_match fields, string_match, present and range, invert). */
export function compileHeaderMatcher(h: HeaderMatcher, field: string): HeaderPred {
  const name = h.name.toLowerCase();
  const pseudo = name === ':authority' ? 'host' : name;
  let m: (v: string | undefined) => boolean;
  if (h.exact_match !== undefined) {
    const e = h.exact_match;
    m = (v) => v === e;
  } else if (h.prefix_match !== undefined) {
    const p = h.prefix_match;
    m = (v) => v?.startsWith(p) === true;
  } else if (h.suffix_match !== undefined) {
    const p = h.suffix_match;
    m = (v) => v?.endsWith(p) === true;
  } else if (h.contains_match !== undefined) {
    const p = h.contains_match;
    m = (v) => v?.includes(p) === true;
  } else if (h.safe_regex_match !== undefined) {
    const re = compileRegex(h.safe_regex_match.regex, `${field}.safe_regex_match`);
    m = (v) => v !== undefined && re.test(v);
  } else if (h.string_match !== undefined) {
    m = compileStringMatcher(h.string_match, `${field}.string_match`);
  } else if (h.range_match !== undefined) {
    const start = Number(h.range_match.start);
    const end = Number(h.range_match.end);
    m = (v) => v !== undefined && /^-?\d+$/.test(v) && Number(v) >= start && Number(v) < end;
  } else if (h.present_match !== undefined) {
    const want = h.present_match;
    m = (v) => (v !== undefined) === want;
  } else {
    m = (v) => v !== undefined; // no match specifier: header present
  }
  const invert = h.invert_match === true;
  const missingAsEmpty = h.treat_missing_header_as_empty === true;
  return (headers) => {
    let v = headerValue(headers, pseudo);
    if (v === undefined && missingAsEmpty) v = '';
    const r = m(v);
    // a missing header never matches, inverted or not (except present_match)
    if (v === undefined && h.present_match === undefined) return false;
    return invert ? !r : r;
  };
}

/** Headers whose repeated values are dropped, as node:http does (the first one counts). */
const SINGLE = new Set(['host', 'content-length', 'content-type', 'user-agent', 'referer', 'authorization', 'proxy-authorization', 'if-modified-since', 'if-unmodified-since', 'from', 'location', 'max-forwards', 'retry-after', 'etag', 'last-modified', 'server', 'age', 'expires']);

/** The lower-cased header object of a raw [name, value, ...] list (repeats joined with ", ", cookies with "; "). */
export function headerObject(raw: readonly string[]): IncomingHttpHeaders {
  const h: Record<string, string | string[]> = {};
  for (let i = 0; i < raw.length; i += 2) {
    const k = (raw[i] as string).toLowerCase();
    const v = raw[i + 1] as string;
    const prev = h[k];
    if (prev === undefined) h[k] = k === 'set-cookie' ? [v] : v;
    else if (k === 'set-cookie') (prev as string[]).push(v);
    else if (!SINGLE.has(k)) h[k] = `${prev as string}${k === 'cookie' ? '; ' : ', '}${v}`;
  }
  return h;
}
