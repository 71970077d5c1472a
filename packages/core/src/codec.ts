/**
 * Universal format <-> Resource, and whole-resource validation (meta + labels + spec).
 */
import { descriptorOf, isResourceType } from './descriptors.js';
import { CausewayError, type FieldError } from './errors.js';
import { INPUT_LIMITS, resourceSizeError, shapeError } from './limits.js';
import { type AnyResource, META_FIELDS, RESOURCE_TYPES, type Resource, type ResourceType, trustedResource, type UntypedResource } from './resource.js';
import { check, labelsSchema, nameError } from './validation.js';

const RESOURCE_TYPES_TEXT = RESOURCE_TYPES.join(', ');

/** Validates a whole resource. Field paths are as the user wrote them (spec fields at top level, or `spec.x`). */
export function validateResource(r: Pick<UntypedResource, 'type' | 'mesh' | 'name' | 'labels' | 'spec'>): FieldError[] {
  const d = descriptorOf(r.type);
  const errors: FieldError[] = [];
  const nameErr = nameError(r.name);
  if (nameErr) errors.push({ field: 'name', reason: nameErr });
  if (d.scope === 'mesh') {
    const meshErr = nameError(r.mesh);
    if (meshErr) errors.push({ field: 'mesh', reason: meshErr });
  } else if (r.mesh !== undefined) {
    errors.push({ field: 'mesh', reason: `must not be set: ${r.type} is not mesh-scoped` });
  }
  errors.push(...check(labelsSchema, r.labels ?? {}, ['labels']));
  errors.push(...check(d.schema, r.spec, d.specField ? [d.specField] : []));
  const size = resourceSizeError(r.spec, r.labels, INPUT_LIMITS, d.specField);
  if (size) errors.push(size);
  return errors;
}

/** Throws INVALID listing every field error. */
/** Throws INVALID with every field error; afterwards `r` is typed (its spec is its type's). */
export function assertValid<R extends Pick<UntypedResource, 'type' | 'mesh' | 'name' | 'labels' | 'spec'>>(r: R): asserts r is R & Pick<AnyResource, 'type' | 'spec'> {
  const errors = validateResource(r);
  if (errors.length > 0) throw new CausewayError('INVALID', `${r.type} "${r.name}" is not valid`, errors);
}

export interface DecodeResult {
  resource: AnyResource | undefined;
  errors: FieldError[];
  /** Set when the document exceeds an input limit (`limits.ts`): the error to answer with (413 or 400). */
  limit?: CausewayError;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Reads one universal-format document into a Resource and validates it. `expectType` lets REST
 * handlers default/check the type from the URL.
 */
export function fromUniversal(doc: unknown, expect: { type?: ResourceType; mesh?: string; name?: string } = {}): DecodeResult {
  if (!isPlainObject(doc)) return { resource: undefined, errors: [{ field: '', reason: 'a resource must be an object (map)' }] };
  // Depth and size first: everything below walks the document recursively.
  const shape = shapeError(doc);
  if (shape) return { resource: undefined, errors: shape.fields, limit: shape };
  const errors: FieldError[] = [];
  const rawType = doc.type ?? expect.type;
  if (!isResourceType(rawType)) {
    errors.push({ field: 'type', reason: rawType === undefined ? `is required (one of ${RESOURCE_TYPES_TEXT})` : `unknown type ${JSON.stringify(rawType)} (one of ${RESOURCE_TYPES_TEXT})` });
    return { resource: undefined, errors };
  }
  const type = rawType;
  if (expect.type && type !== expect.type) errors.push({ field: 'type', reason: `must be ${expect.type} for this path, got ${type}` });
  const d = descriptorOf(type);
  const name = doc.name ?? expect.name;
  if (typeof name !== 'string') errors.push({ field: 'name', reason: name === undefined ? 'is required' : 'must be a string' });
  else if (expect.name !== undefined && name !== expect.name) errors.push({ field: 'name', reason: `must match the name in the path ("${expect.name}")` });
  let mesh: string | undefined;
  if (d.scope === 'mesh') {
    const m = doc.mesh ?? expect.mesh;
    if (typeof m !== 'string') errors.push({ field: 'mesh', reason: m === undefined ? 'is required' : 'must be a string' });
    else {
      mesh = m;
      if (expect.mesh !== undefined && m !== expect.mesh) errors.push({ field: 'mesh', reason: `must match the mesh in the path ("${expect.mesh}")` });
    }
  } else if (doc.mesh !== undefined) {
    errors.push({ field: 'mesh', reason: `must not be set: ${type} is not mesh-scoped` });
  }
  const labels = doc.labels ?? {};
  const version = doc.version ?? 0;
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 0) errors.push({ field: 'version', reason: 'must be a non-negative integer' });

  let spec: unknown;
  if (d.specField) {
    spec = doc[d.specField];
    if (spec === undefined) errors.push({ field: d.specField, reason: 'is required' });
    for (const k of Object.keys(doc)) {
      if (k !== d.specField && !(META_FIELDS as readonly string[]).includes(k)) errors.push({ field: k, reason: 'unknown field' });
    }
  } else {
    const s: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(doc)) if (!(META_FIELDS as readonly string[]).includes(k)) s[k] = v;
    spec = s;
  }
  const labelsMap = isPlainObject(labels) ? (labels as Record<string, string>) : {};
  if (!isPlainObject(labels)) errors.push({ field: 'labels', reason: 'must be a map of strings' });
  // Validate everything else even when a meta field is already wrong, so the user sees every error
  // at once; a meta field reported above is not reported a second time.
  const reported = new Set(errors.map((e) => e.field));
  const rest = validateResource({ type, ...(mesh !== undefined ? { mesh } : {}), name: typeof name === 'string' ? name : '', labels: labelsMap, spec });
  for (const e of rest) if (!reported.has(e.field)) errors.push(e);
  if (errors.length > 0) return { resource: undefined, errors };
  // Validated above: the spec is its type's.
  const resource = trustedResource({
    type,
    ...(mesh !== undefined ? { mesh } : {}),
    name: name as string,
    labels: labelsMap,
    spec,
    version: typeof version === 'number' ? version : 0,
  });
  return { resource, errors };
}

/** Like fromUniversal but throws INVALID with every field error. */
export function decodeResource(doc: unknown, expect: { type?: ResourceType; mesh?: string; name?: string } = {}): AnyResource {
  const { resource, errors, limit } = fromUniversal(doc, expect);
  if (limit) throw limit;
  if (!resource) {
    const type = isPlainObject(doc) && typeof doc.type === 'string' ? doc.type : (expect.type ?? 'resource');
    const what = isPlainObject(doc) && typeof doc.name === 'string' ? `${type} "${doc.name}"` : 'resource';
    throw new CausewayError('INVALID', `${what} is not valid`, errors);
  }
  return resource;
}

export interface EncodeOptions {
  /** Replace secret data with a placeholder (for callers without the admin token). */
  redactSecrets?: boolean;
  /** Leave out version and times (for `get -o yaml` round trips or diffs). */
  omitMeta?: boolean;
}

type AnySchema = { def: { type: string; shape?: Record<string, AnySchema>; innerType?: AnySchema; element?: AnySchema } };

/**
 * Orders object keys as the schema declares them (storage such as jsonb may reorder them), so output reads
 * like the documentation: `networking.address` before `networking.tls`. Unknown keys keep their order, last.
 */
export function orderLikeSchema(schema: unknown, value: unknown): unknown {
  let s = schema as AnySchema | undefined;
  while (s && (s.def.type === 'optional' || s.def.type === 'nullable' || s.def.type === 'default') && s.def.innerType) s = s.def.innerType;
  if (!s || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return s.def.type === 'array' && s.def.element ? value.map((v) => orderLikeSchema(s.def.element, v)) : value;
  if (s.def.type !== 'object' || !s.def.shape) return value;
  const v = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [k, sub] of Object.entries(s.def.shape)) if (k in v) out[k] = orderLikeSchema(sub, v[k]);
  for (const k of Object.keys(v)) if (!(k in out)) out[k] = v[k];
  return out;
}

/** Resource -> universal format, keys in Kuma's order: type, mesh, name, times, labels, spec. */
export function toUniversal(r: Resource, opts: EncodeOptions = {}): Record<string, unknown> {
  const d = descriptorOf(r.type);
  const out: Record<string, unknown> = { type: r.type };
  if (r.mesh !== undefined) out.mesh = r.mesh;
  out.name = r.name;
  if (!opts.omitMeta) {
    if (r.creationTime) out.creationTime = r.creationTime;
    if (r.modificationTime) out.modificationTime = r.modificationTime;
    out.version = r.version;
  }
  if (Object.keys(r.labels ?? {}).length > 0) out.labels = r.labels;
  let spec = orderLikeSchema(d.schema, r.spec) as Record<string, unknown>;
  if (opts.redactSecrets && d.sensitive) spec = { ...spec, data: '(redacted: requires the admin token)' };
  if (d.specField) out[d.specField] = spec;
  else Object.assign(out, spec);
  return out;
}

/**
 * Reads a universal document the server produced (trusted, not validated): meta fields out, spec as is.
 * Used by clients to turn API responses back into Resources.
 */
export function readUniversal(doc: Record<string, unknown>): AnyResource {
  const type = doc.type;
  if (!isResourceType(type)) throw new CausewayError('INVALID', `unknown resource type ${JSON.stringify(type)}`);
  const d = descriptorOf(type);
  let spec: unknown;
  if (d.specField) spec = doc[d.specField] ?? {};
  else {
    const s: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(doc)) if (!(META_FIELDS as readonly string[]).includes(k)) s[k] = v;
    spec = s;
  }
  return trustedResource({
    type,
    ...(typeof doc.mesh === 'string' ? { mesh: doc.mesh } : {}),
    name: String(doc.name),
    labels: (doc.labels as Record<string, string> | undefined) ?? {},
    spec,
    version: typeof doc.version === 'number' ? doc.version : 0,
    ...(typeof doc.creationTime === 'string' ? { creationTime: doc.creationTime } : {}),
    ...(typeof doc.modificationTime === 'string' ? { modificationTime: doc.modificationTime } : {}),
  });
}
