/**
 * Envoy resources in memory are Envoy's JSON/YAML shape: snake_case proto field names,
 * `google.protobuf.Any` as `{"@type": "type.googleapis.com/<message>", ...fields}`, Durations as
 * `"5s"` / `"0.250s"`, wrappers (`UInt32Value`, `BoolValue`, ...) as their bare value, Struct as a plain
 * JSON object, enums by name, 64-bit integers as decimal strings, bytes as base64.
 *
 * `encodeAny`/`decodeAny` convert between that shape and the protobuf wire form by walking the
 * protobufjs reflection of the Envoy protos. Encoding is strict: an unknown field, a value of the wrong
 * type, an unknown enum name or two members of one oneof is an error naming the field path, so that
 * nothing is ever sent that a real Envoy would parse differently.
 */
import protobuf, { type Enum, type Field, type MapField, type Root, type Type, type Writer } from 'protobufjs';
import type { TypedAny } from './model.js';
import { formatProtoDuration } from './duration.js';
import { envoyRoot } from './protos.js';
import { TYPE_PREFIX } from './type-urls.js';

/** A resource (or any Any) in JSON shape, of whatever type its `@type` names; model.ts types the ones Causeway uses. */
export type EnvoyJson = TypedAny;

/** A packed `google.protobuf.Any`. */
export interface AnyProto {
  type_url: string;
  value: Buffer;
}

export class XdsCodecError extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(path ? `${path}: ${message}` : message);
    this.name = 'XdsCodecError';
  }
}

/** The wrapper types (`google.protobuf.UInt32Value`, ...) by full name, and the scalar each holds (bare in JSON). */
export const WRAPPERS: Readonly<Record<string, 'number' | 'int64' | 'bool' | 'string' | 'bytes'>> = {
  '.google.protobuf.DoubleValue': 'number',
  '.google.protobuf.FloatValue': 'number',
  '.google.protobuf.Int32Value': 'number',
  '.google.protobuf.UInt32Value': 'number',
  '.google.protobuf.Int64Value': 'int64',
  '.google.protobuf.UInt64Value': 'int64',
  '.google.protobuf.BoolValue': 'bool',
  '.google.protobuf.StringValue': 'string',
  '.google.protobuf.BytesValue': 'bytes',
};
const WRAPPER_DEFAULTS = { number: 0, int64: '0', bool: false, string: '', bytes: '' } as const;

const ANY = '.google.protobuf.Any';
const DURATION = '.google.protobuf.Duration';
const TIMESTAMP = '.google.protobuf.Timestamp';
const STRUCT = '.google.protobuf.Struct';
const VALUE = '.google.protobuf.Value';
const LIST_VALUE = '.google.protobuf.ListValue';

const INT32 = new Set(['int32', 'uint32', 'sint32', 'fixed32', 'sfixed32']);
const INT64 = new Set(['int64', 'uint64', 'sint64', 'fixed64', 'sfixed64']);

const typeCache = new Map<string, Type>();

/** protobufjs computes `fullName` by walking the parents on every access: cache it per type. */
const fullNames = new WeakMap<Type, string>();
function fullNameOf(t: Type): string {
  let n = fullNames.get(t);
  if (n === undefined) {
    n = t.fullName;
    fullNames.set(t, n);
  }
  return n;
}

/** Well-known types with a special JSON form (an Any of one holds it under "value"). */
function isSpecial(full: string): boolean {
  return full in WRAPPERS || full === DURATION || full === TIMESTAMP || full === STRUCT || full === VALUE || full === LIST_VALUE || full === ANY;
}

/**
 * Encodings of Any objects by identity, kept from an object's second encoding on. Generators share one
 * object between resources (a filter's typed_config, the access log, a derived listener's unchanged
 * parts), so such an object is encoded twice at most. Most objects are encoded once (a resource, whose
 * bytes its encoder keeps, and the nested Anys no other resource holds): keeping their bytes too held
 * every resource's bytes again, once per level of nesting. A resource object must therefore not be
 * changed after it was encoded.
 */
const anyCache = new WeakMap<object, { type_url: string; value: Uint8Array }>();
/** Any objects encoded once, without their bytes (see anyCache). */
const encodedOnce = new WeakSet<object>();
/** Looks up a message type by its full name (with or without the leading dot). */
export function messageType(name: string, root: Root = envoyRoot()): Type {
  const key = name.startsWith('.') ? name.slice(1) : name;
  let t = typeCache.get(key);
  if (!t) {
    try {
      t = root.lookupType(key);
    } catch {
      throw new XdsCodecError('', `unknown message type "${key}"`);
    }
    typeCache.set(key, t);
  }
  return t;
}

function typeFromUrl(url: unknown, path: string): Type {
  if (typeof url !== 'string' || !url.includes('/')) throw new XdsCodecError(path, `"@type" must be a type URL like "${TYPE_PREFIX}envoy.config.cluster.v3.Cluster"`);
  return messageType(url.slice(url.lastIndexOf('/') + 1));
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !Buffer.isBuffer(v) && !(v instanceof Uint8Array);
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  return typeof v === 'object' ? 'an object' : `${typeof v} ${JSON.stringify(v)}`;
}

// ------------------------------------------------------------------------------------------------
// Durations and timestamps

const DURATION_RE = /^(-)?(\d+)(?:\.(\d{1,9}))?s$/;

/** `"1.5s"` -> `{ seconds: '1', nanos: 500000000 }` (proto3 JSON form of google.protobuf.Duration). */
export function parseProtoDuration(text: string, path = ''): { seconds: string; nanos: number } {
  const m = DURATION_RE.exec(text);
  if (!m) throw new XdsCodecError(path, `"${text}" is not a duration (proto3 JSON form: seconds with an "s" suffix, e.g. "5s" or "0.250s")`);
  const neg = m[1] === '-';
  const secs = BigInt(m[2] as string);
  const nanos = Number(((m[3] ?? '') + '000000000').slice(0, 9));
  if (secs > 315_576_000_000n) throw new XdsCodecError(path, `duration "${text}" is out of range`);
  return { seconds: (neg ? -secs : secs).toString(), nanos: neg ? -nanos : nanos };
}

/** Canonical proto3 JSON duration: `5s`, `0.250s`, `1.000001s`, `0.000000001s`. */
function parseTimestamp(text: unknown, path: string): { seconds: string; nanos: number } {
  if (typeof text !== 'string') throw new XdsCodecError(path, `must be an RFC 3339 time string, got ${describe(text)}`);
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/.exec(text);
  const ms = m ? Date.parse(`${m[1]}${m[3]}`) : Number.NaN;
  if (!m || Number.isNaN(ms)) throw new XdsCodecError(path, `"${text}" is not an RFC 3339 time`);
  return { seconds: String(ms / 1000), nanos: Number(((m[2] ?? '') + '000000000').slice(0, 9)) };
}

function formatTimestamp(seconds: string | number, nanos: number): string {
  const iso = new Date(Number(seconds) * 1000).toISOString().replace('.000Z', '');
  if (!nanos) return `${iso}Z`;
  const nine = String(nanos).padStart(9, '0');
  return `${iso}.${nine.endsWith('000000') ? nine.slice(0, 3) : nine.endsWith('000') ? nine.slice(0, 6) : nine}Z`;
}

// ------------------------------------------------------------------------------------------------
// JSON -> protobufjs plain object (input of Type.fromObject): the special JSON forms of the well-known
// types, and the checks of single values the writer below uses

/**
 * Field names of google.protobuf.Value in the loaded root: protobufjs's bundled well-known types spell
 * them in camelCase (`nullValue`), a root parsed from struct.proto with keepCase in snake_case.
 */
let valueNames: { null: string; number: string; string: string; bool: string; struct: string; list: string } | undefined;
function vn() {
  if (!valueNames) {
    const f = messageType(VALUE).fields;
    const pick = (snake: string) => (snake in f ? snake : snake.replace(/_(\w)/g, (_m, c: string) => c.toUpperCase()));
    valueNames = {
      null: pick('null_value'),
      number: pick('number_value'),
      string: pick('string_value'),
      bool: pick('bool_value'),
      struct: pick('struct_value'),
      list: pick('list_value'),
    };
  }
  return valueNames;
}

function structToProto(v: unknown, path: string): Record<string, unknown> {
  if (!isObject(v)) throw new XdsCodecError(path, `must be an object (google.protobuf.Struct), got ${describe(v)}`);
  const fields: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) if (x !== undefined) fields[k] = valueToProto(x, `${path}.${k}`);
  return { fields };
}

function valueToProto(v: unknown, path: string): Record<string, unknown> {
  const n = vn();
  if (v === null) return { [n.null]: 'NULL_VALUE' };
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new XdsCodecError(path, 'must be a finite number');
    return { [n.number]: v };
  }
  if (typeof v === 'string') return { [n.string]: v };
  if (typeof v === 'boolean') return { [n.bool]: v };
  if (Array.isArray(v)) return { [n.list]: { values: v.map((x, i) => valueToProto(x, `${path}[${i}]`)) } };
  if (isObject(v)) return { [n.struct]: structToProto(v, path) };
  throw new XdsCodecError(path, `cannot be represented in a google.protobuf.Value: ${describe(v)}`);
}

/** The JSON form of a well-known type with a special JSON form (isSpecial) -> what `type.fromObject` takes. */
function specialToProto(type: Type, json: unknown, path: string): unknown {
  const full = fullNameOf(type);
  const wrapper = WRAPPERS[full];
  if (wrapper) return { value: scalarToProto(wrapper === 'int64' ? 'int64' : wrapper === 'number' ? 'double' : wrapper, json, path) };
  switch (full) {
    case DURATION:
      if (typeof json !== 'string') throw new XdsCodecError(path, `must be a duration string like "5s", got ${describe(json)}`);
      return parseProtoDuration(json, path);
    case TIMESTAMP:
      return parseTimestamp(json, path);
    case STRUCT:
      return structToProto(json, path);
    case VALUE:
      return valueToProto(json, path);
    case LIST_VALUE:
      if (!Array.isArray(json)) throw new XdsCodecError(path, `must be a list, got ${describe(json)}`);
      return { values: json.map((x, i) => valueToProto(x, `${path}[${i}]`)) };
    case ANY:
      return anyToProto(json, path);
  }
  throw new XdsCodecError(path, `${full.slice(1)} has no special JSON form`);
}

function notAnObject(type: Type, value: unknown, path: string): XdsCodecError {
  return new XdsCodecError(path, `must be an object (${fullNameOf(type).slice(1)}), got ${describe(value)}`);
}

function singleToProto(field: Field, value: unknown, path: string): unknown {
  const rt = field.resolvedType;
  if (rt) {
    const e = rt as Enum;
    if (typeof value === 'string') {
      if (!(value in e.values)) throw new XdsCodecError(path, `"${value}" is not a value of ${e.fullName.slice(1)} (one of ${Object.keys(e.values).join(', ')})`);
      return value;
    }
    if (typeof value === 'number' && Object.values(e.values).includes(value)) return value;
    throw new XdsCodecError(path, `must be a name of ${e.fullName.slice(1)}, got ${describe(value)}`);
  }
  return scalarToProto(field.type, value, path);
}

function scalarToProto(type: string, value: unknown, path: string): unknown {
  switch (type) {
    case 'string':
      if (typeof value !== 'string') throw new XdsCodecError(path, `must be a string, got ${describe(value)}`);
      return value;
    case 'bool':
      if (typeof value !== 'boolean') throw new XdsCodecError(path, `must be true or false, got ${describe(value)}`);
      return value;
    case 'bytes':
      if (typeof value === 'string') {
        if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(value)) throw new XdsCodecError(path, 'must be base64');
        return Buffer.from(value, 'base64');
      }
      if (value instanceof Uint8Array) return value;
      throw new XdsCodecError(path, `must be base64 bytes, got ${describe(value)}`);
    case 'double':
    case 'float':
      if (typeof value !== 'number') throw new XdsCodecError(path, `must be a number, got ${describe(value)}`);
      return value;
  }
  if (INT32.has(type)) {
    if (typeof value !== 'number' || !Number.isInteger(value)) throw new XdsCodecError(path, `must be an integer, got ${describe(value)}`);
    if (type.startsWith('u') || type === 'fixed32') {
      if (value < 0 || value > 0xffffffff) throw new XdsCodecError(path, `${value} is out of range for ${type}`);
    } else if (value < -0x80000000 || value > 0x7fffffff) throw new XdsCodecError(path, `${value} is out of range for ${type}`);
    return value;
  }
  if (INT64.has(type)) {
    if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
    if (typeof value === 'string' && /^-?\d+$/.test(value)) return value;
    throw new XdsCodecError(path, `must be an integer (number or decimal string), got ${describe(value)}`);
  }
  throw new XdsCodecError(path, `unsupported scalar type ${type}`);
}

function anyToProto(json: unknown, path: string): { type_url: string; value: Uint8Array } {
  if (!isObject(json)) throw new XdsCodecError(path, `must be an object with "@type" (google.protobuf.Any), got ${describe(json)}`);
  // Already packed (e.g. a cached resource inside a DiscoveryResponse).
  if (json['@type'] === undefined && typeof json.type_url === 'string' && json.value instanceof Uint8Array && Object.keys(json).length === 2)
    return { type_url: json.type_url, value: json.value };
  const cached = anyCache.get(json);
  if (cached) return cached;
  const url = json['@type'];
  const inner = typeFromUrl(url, `${path}.@type`);
  const { '@type': _ignored, ...fields } = json;
  const special = isSpecial(fullNameOf(inner));
  // proto3 JSON: an Any of a well-known type with a special JSON form holds it under "value".
  const value = special ? encodeProto(inner, specialToProto(inner, fields.value, `${path}.value`)) : encodeFields(inner, fields, path);
  if (!encodedOnce.has(json)) {
    encodedOnce.add(json);
    return { type_url: url as string, value };
  }
  // Kept in a buffer of its own: a slice of Node's shared pool would keep its whole 8 KB slab alive.
  const own = Buffer.allocUnsafeSlow(value.length);
  own.set(value);
  const packed = { type_url: url as string, value: own };
  anyCache.set(json, packed);
  return packed;
}

function encodeProto(type: Type, body: unknown): Uint8Array {
  return type.encode(type.fromObject(body as Record<string, unknown>)).finish();
}

/**
 * Repeated message fields at least this long (64) are encoded element by element, and each element's bytes are
 * kept per object and message type (`elementBytes`): a ZoneEgress listener of a few hundred filter chains, a route table,
 * a long endpoint list made again with one element more costs the new element, not the whole list. The
 * elements follow the message's other fields (protobuf readers take fields in any order; the bytes stay a
 * function of the content, as resource versions need).
 */
const LONG_LIST = 64;
const elementBytes = new WeakMap<Type, WeakMap<object, Uint8Array>>();
function elementCache(type: Type): WeakMap<object, Uint8Array> {
  let c = elementBytes.get(type);
  if (!c) {
    c = new WeakMap();
    elementBytes.set(type, c);
  }
  return c;
}

function encodeFields(type: Type, json: Record<string, unknown>, path: string): Uint8Array {
  const w = protobuf.Writer.create();
  writeFields(type, json, path, w);
  return w.finish();
}

// ------------------------------------------------------------------------------------------------
// JSON -> protobuf wire form, in one walk
//
// The checks name the field path of what is wrong, and the bytes are what protobufjs's
// `encode(fromObject(...))` wrote: fields in field-number order, a field given in the JSON written even
// when it holds its default value, repeated scalars packed where the field is, map entries in the
// object's key order. Writing while walking makes no plain copy of the message for `fromObject` and no
// message object from it: encoding is most of what packing a changed resource costs a zone.

const WIRE_VARINT = 0;
const WIRE_LENGTH = 2;

/** A message's fields (not its special JSON forms): checked, then written in field-number order; long lists of messages last (see LONG_LIST). */
function writeFields(type: Type, json: Record<string, unknown>, path: string, w: Writer): void {
  const present: { field: Field; value: unknown; path: string }[] = [];
  const long: { field: Field; list: unknown[]; key: string }[] = [];
  let oneofSeen: Map<string, string> | undefined;
  let sorted = true;
  for (const key of Object.keys(json)) {
    const value = json[key];
    if (value === undefined) continue;
    const field = type.fields[key];
    if (field?.repeated && !field.map && Array.isArray(value) && value.length >= LONG_LIST) {
      const element = field.resolvedType;
      if (element && 'fields' in element && !isSpecial(fullNameOf(element as Type))) {
        long.push({ field, list: value, key });
        continue;
      }
    }
    const fpath = path ? `${path}.${key}` : key;
    if (!field) throw new XdsCodecError(fpath, `unknown field of ${fullNameOf(type).slice(1)}`);
    if (field.partOf) {
      oneofSeen ??= new Map();
      const other = oneofSeen.get(field.partOf.name);
      if (other) throw new XdsCodecError(fpath, `only one of "${other}" and "${key}" may be set (oneof ${field.partOf.name})`);
      oneofSeen.set(field.partOf.name, key);
    }
    const last = present[present.length - 1];
    if (last && last.field.id > field.id) sorted = false;
    present.push({ field, value, path: fpath });
  }
  if (!sorted) present.sort((a, b) => a.field.id - b.field.id);
  for (const { field, value, path: fpath } of present) writeField(field, value, fpath, w);
  if (long.length === 0) return;
  // In field order, whatever the order of the object's keys (the same content, the same bytes).
  for (const { field, list, key } of long.sort((a, b) => a.field.id - b.field.id)) {
    const element = field.resolvedType as Type;
    const cache = elementCache(element);
    list.forEach((el, i) => {
      const epath = `${path ? `${path}.` : ''}${key}[${i}]`;
      let bytes = isObject(el) ? cache.get(el) : undefined;
      if (!bytes) {
        if (!isObject(el)) throw notAnObject(element, el, epath);
        bytes = encodeFields(element, el as Record<string, unknown>, epath);
        cache.set(el as object, bytes);
      }
      w.uint32((field.id << 3) | WIRE_LENGTH).bytes(bytes);
    });
  }
}

function writeField(field: Field, value: unknown, path: string, w: Writer): void {
  if (field.map) {
    if (!isObject(value)) throw new XdsCodecError(path, `must be a map, got ${describe(value)}`);
    const { keyType } = field as unknown as MapField;
    const keyWire = (protobuf.types.mapKey as Record<string, number>)[keyType] as number;
    for (const k of Object.keys(value)) {
      w.uint32((field.id << 3) | WIRE_LENGTH).fork();
      w.uint32((1 << 3) | keyWire);
      writeTyped(keyType, k, w);
      writeSingle(field, 2, value[k], `${path}.${k}`, w);
      w.ldelim();
    }
    return;
  }
  if (field.repeated) {
    if (!Array.isArray(value)) throw new XdsCodecError(path, `must be a list, got ${describe(value)}`);
    if (value.length === 0) return;
    const packedWire = field.packed ? (protobuf.types.packed as Record<string, number | undefined>)[field.type] : undefined;
    if (packedWire !== undefined && !(field.resolvedType && 'fields' in field.resolvedType)) {
      const items = value.map((v, i) => singleToProto(field, v, `${path}[${i}]`));
      w.uint32((field.id << 3) | WIRE_LENGTH).fork();
      for (const v of items) writeScalar(field, v, w);
      w.ldelim();
      return;
    }
    for (let i = 0; i < value.length; i++) writeSingle(field, field.id, value[i], `${path}[${i}]`, w);
    return;
  }
  writeSingle(field, field.id, value, path, w);
}

/** One value of `field` as field number `id` (its own, or 2: a map entry's value). */
function writeSingle(field: Field, id: number, value: unknown, path: string, w: Writer): void {
  const rt = field.resolvedType;
  if (rt && 'fields' in rt) {
    w.uint32((id << 3) | WIRE_LENGTH).fork();
    writeMessage(rt as Type, value, path, w);
    w.ldelim();
    return;
  }
  const v = singleToProto(field, value, path);
  const wire = rt ? WIRE_VARINT : (protobuf.types.basic as Record<string, number>)[field.type];
  w.uint32((id << 3) | (wire as number));
  writeScalar(field, v, w);
}

/** A scalar or enum value as singleToProto returns it (checked). */
function writeScalar(field: Field, v: unknown, w: Writer): void {
  const rt = field.resolvedType;
  if (rt) {
    w.int32(typeof v === 'string' ? ((rt as Enum).values[v] as number) : (v as number));
    return;
  }
  writeTyped(field.type, v, w);
}

const Long = protobuf.util.Long as unknown as { fromString(text: string, unsigned?: boolean): unknown };

/** A scalar of a protobuf type name with the Writer's method of that name (a 64-bit integer given as a decimal string). */
function writeTyped(type: string, v: unknown, w: Writer): void {
  const write = (w as unknown as Record<string, ((x: unknown) => Writer) | undefined>)[type];
  if (!write) throw new XdsCodecError('', `unsupported scalar type ${type}`);
  write.call(w, INT64.has(type) ? Long.fromString(String(v), type === 'uint64' || type === 'fixed64') : v);
}

/** A message's contents (a special JSON form through specialToProto and protobufjs, an Any by hand). */
function writeMessage(type: Type, value: unknown, path: string, w: Writer): void {
  const full = fullNameOf(type);
  if (full === ANY) {
    const any = anyToProto(value, path);
    w.uint32((1 << 3) | WIRE_LENGTH).string(any.type_url);
    w.uint32((2 << 3) | WIRE_LENGTH).bytes(any.value);
    return;
  }
  if (isSpecial(full)) {
    type.encode(type.fromObject(specialToProto(type, value, path) as Record<string, unknown>), w);
    return;
  }
  if (!isObject(value)) throw notAnObject(type, value, path);
  writeFields(type, value, path, w);
}

// ------------------------------------------------------------------------------------------------
// decoded protobufjs message -> JSON
//
// A decoded message holds as own properties exactly the fields that were on the wire (the rest are its
// prototype's defaults). It is converted in one walk, as protobufjs' `toObject` with `longs: String, enums:
// String, bytes: String` and no defaults would, and with the same key order (by field number), without
// that intermediate copy; and the bytes of a nested Any are decoded where they are, not through base64 and
// back.

/** Per message type, its fields in `toObject`'s order: by field number. */
const fieldOrder = new WeakMap<Type, readonly Field[]>();
function fieldsInOrder(type: Type): readonly Field[] {
  let fields = fieldOrder.get(type);
  if (!fields) {
    fields = [...type.fieldsArray].sort((a, b) => a.id - b.id);
    for (const f of fields) f.resolve();
    fieldOrder.set(type, fields);
  }
  return fields;
}

const hasOwn = (o: object, key: string) => Object.hasOwn(o, key);
const base64 = (v: Uint8Array) => Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');

/** One scalar or enum value of `field` as `toObject` gives it (64-bit integers and bytes as strings, enums by name). */
function scalarFromDecoded(field: Field, v: unknown): unknown {
  const rt = field.resolvedType;
  if (rt) {
    const name = (rt as Enum).valuesById?.[v as number];
    return name === undefined ? v : name;
  }
  if (INT64.has(field.type)) return String(v);
  if (field.type === 'bytes') return base64(v as Uint8Array);
  return v;
}

function valueOfField(field: Field, v: unknown): unknown {
  const rt = field.resolvedType;
  return rt && 'fields' in rt ? messageFromDecoded(rt as Type, v as Record<string, unknown>) : scalarFromDecoded(field, v);
}

function structFromDecoded(m: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const fields = hasOwn(m, 'fields') ? (m.fields as Record<string, Record<string, unknown>>) : {};
  for (const k of Object.keys(fields)) out[k] = valueFromDecoded(fields[k] as Record<string, unknown>);
  return out;
}

function listFromDecoded(m: Record<string, unknown>): unknown[] {
  return hasOwn(m, 'values') ? (m.values as Record<string, unknown>[]).map(valueFromDecoded) : [];
}

function valueFromDecoded(v: Record<string, unknown>): unknown {
  const n = vn();
  if (hasOwn(v, n.number)) return v[n.number];
  if (hasOwn(v, n.string)) return v[n.string];
  if (hasOwn(v, n.bool)) return v[n.bool];
  if (hasOwn(v, n.struct)) return structFromDecoded(v[n.struct] as Record<string, unknown>);
  if (hasOwn(v, n.list)) return listFromDecoded(v[n.list] as Record<string, unknown>);
  return null;
}

function wrapperFromDecoded(kind: (typeof WRAPPERS)[string], m: Record<string, unknown>): unknown {
  if (!hasOwn(m, 'value') || m.value == null) return WRAPPER_DEFAULTS[kind];
  if (kind === 'int64') return String(m.value);
  if (kind === 'bytes') return base64(m.value as Uint8Array);
  return m.value;
}

function messageFromDecoded(type: Type, m: Record<string, unknown>): unknown {
  const full = fullNameOf(type);
  const wrapper = WRAPPERS[full];
  if (wrapper) return wrapperFromDecoded(wrapper, m);
  switch (full) {
    case DURATION:
      return formatProtoDuration(hasOwn(m, 'seconds') ? String(m.seconds) : '0', hasOwn(m, 'nanos') ? (m.nanos as number) : 0);
    case TIMESTAMP:
      return formatTimestamp(hasOwn(m, 'seconds') ? String(m.seconds) : '0', hasOwn(m, 'nanos') ? (m.nanos as number) : 0);
    case STRUCT:
      return structFromDecoded(m);
    case VALUE:
      return valueFromDecoded(m);
    case LIST_VALUE:
      return listFromDecoded(m);
    case ANY:
      return anyFromBytes(hasOwn(m, 'type_url') ? (m.type_url as string) : '', hasOwn(m, 'value') ? (m.value as Uint8Array) : new Uint8Array());
  }
  const out: Record<string, unknown> = {};
  for (const field of fieldsInOrder(type)) {
    const key = field.name;
    if (!hasOwn(m, key)) continue;
    const v = m[key];
    if (v == null) continue;
    if (field.map) {
      const keys = Object.keys(v as object);
      if (keys.length === 0) continue;
      const map: Record<string, unknown> = {};
      for (const k of keys) map[k] = valueOfField(field, (v as Record<string, unknown>)[k]);
      out[key] = map;
    } else if (field.repeated) {
      const list = v as unknown[];
      if (list.length === 0) continue;
      out[key] = list.map((x) => valueOfField(field, x));
    } else out[key] = valueOfField(field, v);
  }
  return out;
}

function anyFromBytes(url: string, bytes: Uint8Array): EnvoyJson {
  const inner = typeFromUrl(url, '@type');
  const decoded = messageFromDecoded(inner, inner.decode(bytes) as unknown as Record<string, unknown>);
  const special = isSpecial(fullNameOf(inner));
  return special ? { '@type': url, value: decoded } : { '@type': url, ...(decoded as Record<string, unknown>) };
}

// ------------------------------------------------------------------------------------------------
// Public API

/** Packs an Envoy resource given in JSON shape (with `@type`) into a `google.protobuf.Any`. */
export function encodeAny(resource: EnvoyJson): AnyProto {
  const packed = anyToProto(resource, '');
  return { type_url: packed.type_url, value: Buffer.from(packed.value.buffer, packed.value.byteOffset, packed.value.byteLength) };
}

/** Unpacks a `google.protobuf.Any` into the JSON shape (`{"@type": ..., ...fields}`). */
export function decodeAny(any: { type_url: string; value: Uint8Array | string }): EnvoyJson {
  const raw = any.value as unknown;
  return anyFromBytes(any.type_url ?? '', typeof raw === 'string' ? Buffer.from(raw, 'base64') : raw instanceof Uint8Array ? raw : new Uint8Array());
}

/** Encodes a message of a named type (e.g. `envoy.service.discovery.v3.DiscoveryRequest`) from JSON shape. */
export function encodeMessage(typeName: string, json: Record<string, unknown>): Buffer {
  const w = protobuf.Writer.create();
  writeMessage(messageType(typeName), json, '', w);
  const bytes = w.finish();
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Decodes a message of a named type into JSON shape. */
export function decodeMessage<T = Record<string, unknown>>(typeName: string, bytes: Uint8Array): T {
  const t = messageType(typeName);
  return messageFromDecoded(t, t.decode(bytes) as unknown as Record<string, unknown>) as T;
}

/** Checks a resource against the protos without keeping the bytes (throws XdsCodecError). */
export function validateResource(resource: EnvoyJson): void {
  encodeAny(resource);
}
