/**
 * Envoy rejects config that breaks the protoc-gen-validate rules written in its protos (`(validate.rules)`
 * on fields, `(validate.required)` on oneofs): a cluster without a name, a stat_prefix of "", a DNS answer
 * TTL under 30 s, a oneof left empty. The codec only checks types; this checks those rules, so the tests
 * can prove that every generated resource is one a real Envoy accepts.
 *
 * Covered: message.required; string len / min_len / max_len / min_bytes / max_bytes / prefix / in /
 * not_in; numeric const / lt / lte / gt / gte / in / not_in (also on wrapper fields); duration
 * required / lt / lte / gt / gte; repeated min_items / max_items / unique / items; map min_pairs /
 * max_pairs; enum defined_only; any required; required oneofs.
 */
import type { Field, Type } from 'protobufjs';
import { type EnvoyJson, messageType, parseProtoDuration } from './codec.js';

type Rules = Record<string, unknown>;

const WRAPPERS = new Set([
  '.google.protobuf.DoubleValue',
  '.google.protobuf.FloatValue',
  '.google.protobuf.Int32Value',
  '.google.protobuf.UInt32Value',
  '.google.protobuf.Int64Value',
  '.google.protobuf.UInt64Value',
  '.google.protobuf.BoolValue',
  '.google.protobuf.StringValue',
  '.google.protobuf.BytesValue',
]);
const OPAQUE = new Set(['.google.protobuf.Struct', '.google.protobuf.Value', '.google.protobuf.ListValue', '.google.protobuf.Duration', '.google.protobuf.Timestamp']);

function rulesOf(field: Field): Rules | undefined {
  for (const o of (field.parsedOptions ?? []) as Record<string, unknown>[]) if (o['(validate.rules)']) return o['(validate.rules)'] as Rules;
  return undefined;
}

function requiredOneof(options: Record<string, unknown>[] | undefined): boolean {
  return (options ?? []).some((o) => o['(validate.required)'] === true);
}

const durNanos = (d: unknown): bigint => {
  if (typeof d === 'string') {
    const { seconds, nanos } = parseProtoDuration(d);
    return BigInt(seconds) * 1_000_000_000n + BigInt(nanos);
  }
  const o = (d ?? {}) as { seconds?: number | string; nanos?: number };
  return BigInt(o.seconds ?? 0) * 1_000_000_000n + BigInt(o.nanos ?? 0);
};

function checkNumber(v: number, r: Rules, path: string, out: string[]): void {
  const n = (x: unknown) => Number(x);
  if (r.const !== undefined && v !== n(r.const)) out.push(`${path}: must be ${r.const}`);
  if (r.lt !== undefined && !(v < n(r.lt))) out.push(`${path}: must be < ${r.lt}`);
  if (r.lte !== undefined && !(v <= n(r.lte))) out.push(`${path}: must be <= ${r.lte}`);
  if (r.gt !== undefined && !(v > n(r.gt))) out.push(`${path}: must be > ${r.gt}`);
  if (r.gte !== undefined && !(v >= n(r.gte))) out.push(`${path}: must be >= ${r.gte}`);
  if (Array.isArray(r.in) && !r.in.map(n).includes(v)) out.push(`${path}: must be one of ${r.in.join(', ')}`);
  if (Array.isArray(r.not_in) && r.not_in.map(n).includes(v)) out.push(`${path}: must not be ${v}`);
}

function checkString(v: string, r: Rules, path: string, out: string[]): void {
  const chars = [...v].length;
  const bytes = Buffer.byteLength(v);
  if (r.len !== undefined && chars !== Number(r.len)) out.push(`${path}: must be ${r.len} characters`);
  if (r.min_len !== undefined && chars < Number(r.min_len)) out.push(`${path}: must have at least ${r.min_len} characters`);
  if (r.max_len !== undefined && chars > Number(r.max_len)) out.push(`${path}: must have at most ${r.max_len} characters`);
  if (r.min_bytes !== undefined && bytes < Number(r.min_bytes)) out.push(`${path}: must have at least ${r.min_bytes} bytes`);
  if (r.max_bytes !== undefined && bytes > Number(r.max_bytes)) out.push(`${path}: must have at most ${r.max_bytes} bytes`);
  if (typeof r.prefix === 'string' && !v.startsWith(r.prefix)) out.push(`${path}: must start with "${r.prefix}"`);
  if (Array.isArray(r.in) && !r.in.includes(v)) out.push(`${path}: must be one of ${r.in.join(', ')}`);
  if (Array.isArray(r.not_in) && r.not_in.includes(v)) out.push(`${path}: must not be "${v}"`);
  if (r.well_known_regex === 'HTTP_HEADER_NAME' && v !== '' && !/^:?[0-9a-zA-Z!#$%&'*+\-.^_|~`]+$/.test(v)) out.push(`${path}: is not a valid HTTP header name`);
  if (r.well_known_regex === 'HTTP_HEADER_VALUE' && /[\0\r\n]/.test(v)) out.push(`${path}: is not a valid HTTP header value`);
}

/** Checks one value against the rules of its kind (string, uint32, duration, ...). */
function checkValue(value: unknown, rules: Rules, path: string, out: string[]): void {
  for (const [kind, r] of Object.entries(rules)) {
    if (typeof r !== 'object' || r === null) continue;
    const rr = r as Rules;
    switch (kind) {
      case 'string':
        if (typeof value === 'string') checkString(value, rr, path, out);
        break;
      case 'duration': {
        if (value === undefined) break;
        const v = durNanos(value);
        const cmp = (k: string) => (rr[k] === undefined ? undefined : durNanos(rr[k]));
        const [lt, lte, gt, gte] = [cmp('lt'), cmp('lte'), cmp('gt'), cmp('gte')];
        if (lt !== undefined && !(v < lt)) out.push(`${path}: must be shorter than ${Number(lt) / 1e9}s`);
        if (lte !== undefined && !(v <= lte)) out.push(`${path}: must be at most ${Number(lte) / 1e9}s`);
        if (gt !== undefined && !(v > gt)) out.push(`${path}: must be longer than ${Number(gt) / 1e9}s`);
        if (gte !== undefined && !(v >= gte)) out.push(`${path}: must be at least ${Number(gte) / 1e9}s`);
        break;
      }
      case 'enum':
      case 'message':
      case 'repeated':
      case 'map':
      case 'any':
      case 'timestamp':
      case 'bool':
        break;
      default:
        // uint32, int32, uint64, int64, double, float, fixed32, ...: also on wrapper fields (bare value in JSON).
        if (typeof value === 'number' || (typeof value === 'string' && /^-?\d+$/.test(value))) checkNumber(Number(value), rr, path, out);
    }
  }
}

function walkMessage(type: Type, json: unknown, path: string, out: string[]): void {
  const full = type.fullName;
  if (WRAPPERS.has(full) || OPAQUE.has(full)) return;
  if (full === '.google.protobuf.Any') {
    const o = json as EnvoyJson;
    if (typeof o?.['@type'] === 'string') {
      const inner = messageType(o['@type'].slice(o['@type'].lastIndexOf('/') + 1));
      const { '@type': _t, ...rest } = o;
      walkMessage(inner, WRAPPERS.has(inner.fullName) || OPAQUE.has(inner.fullName) ? rest.value : rest, path, out);
    }
    return;
  }
  if (typeof json !== 'object' || json === null) return;
  const obj = json as Record<string, unknown>;
  for (const oneof of type.oneofsArray) {
    if (!requiredOneof(oneof.parsedOptions as Record<string, unknown>[] | undefined)) continue;
    if (!oneof.oneof.some((name) => obj[name] !== undefined)) out.push(`${path || type.name}: one of ${oneof.oneof.join(', ')} is required`);
  }
  for (const field of type.fieldsArray) {
    const value = obj[field.name];
    const fpath = path ? `${path}.${field.name}` : field.name;
    const rules = rulesOf(field);
    if (rules) {
      const msg = rules.message as Rules | undefined;
      const dur = rules.duration as Rules | undefined;
      const any = rules.any as Rules | undefined;
      // Rules of a oneof member apply only when that member is the one set.
      if (value === undefined && !field.partOf && (msg?.required || dur?.required || any?.required)) out.push(`${fpath}: is required`);
      if (field.repeated && Array.isArray(value)) {
        const rep = (rules.repeated ?? {}) as Rules;
        if (rep.min_items !== undefined && value.length < Number(rep.min_items)) out.push(`${fpath}: needs at least ${rep.min_items} items`);
        if (rep.max_items !== undefined && value.length > Number(rep.max_items)) out.push(`${fpath}: allows at most ${rep.max_items} items`);
        if (rep.unique && new Set(value.map((v) => JSON.stringify(v))).size !== value.length) out.push(`${fpath}: items must be unique`);
        if (rep.items) for (const [i, v] of value.entries()) checkValue(v, rep.items as Rules, `${fpath}[${i}]`, out);
      } else if (field.map && value && typeof value === 'object') {
        const m = (rules.map ?? {}) as Rules;
        const n = Object.keys(value).length;
        if (m.min_pairs !== undefined && n < Number(m.min_pairs)) out.push(`${fpath}: needs at least ${m.min_pairs} entries`);
        if (m.max_pairs !== undefined && n > Number(m.max_pairs)) out.push(`${fpath}: allows at most ${m.max_pairs} entries`);
      } else if (value !== undefined) checkValue(value, rules, fpath, out);
      else if (!field.partOf && field.repeated && (rules.repeated as Rules | undefined)?.min_items !== undefined && Number((rules.repeated as Rules).min_items) > 0)
        out.push(`${fpath}: needs at least ${(rules.repeated as Rules).min_items} items`);
    }
    if (value === undefined) continue;
    const rt = field.resolvedType;
    if (!rt || !('fields' in rt)) continue;
    const t = rt as Type;
    if (field.map) for (const [k, v] of Object.entries(value as Record<string, unknown>)) walkMessage(t, v, `${fpath}.${k}`, out);
    else if (field.repeated && Array.isArray(value)) for (const [i, v] of value.entries()) walkMessage(t, v, `${fpath}[${i}]`, out);
    else walkMessage(t, value, fpath, out);
  }
}

/** Every protoc-gen-validate rule a resource breaks (empty: Envoy's validation accepts it). */
export function envoyValidationErrors(resource: EnvoyJson): string[] {
  const out: string[] = [];
  walkMessage(messageType('google.protobuf.Any'), resource, '', out);
  return out;
}
