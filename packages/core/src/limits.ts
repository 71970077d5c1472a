/**
 * Limits on outside input. Every parser of outside input (REST bodies as YAML or JSON, CLI files, ADS
 * node metadata, NATS entries) checks the decoded value against these before anything walks it
 * recursively (validation, storage, generators), so no input can exhaust the stack, the heap or the
 * event loop:
 *
 *   - `maxDepth`: maps and lists nested in each other (Kuma's deepest resources use about 8);
 *   - `maxNodes`: maps, lists and scalars of one document, aliases expanded;
 *   - `maxResourceBytes`: a resource as JSON, which is what the store keeps and a NATS KV entry carries.
 *     It is well below NATS's default `max_payload` (1 MiB), so a resource the store accepts always
 *     reaches the zones.
 *
 * The YAML-specific limits (aliases, anchors, duplicate keys) are applied in `yaml.ts`.
 */
import { CausewayError, type FieldError } from './errors.js';

export interface InputLimits {
  maxDepth: number;
  maxNodes: number;
  maxResourceBytes: number;
}

export const INPUT_LIMITS: Readonly<InputLimits> = Object.freeze({
  maxDepth: 32,
  maxNodes: 20_000,
  maxResourceBytes: 256 * 1024,
});

/** Bytes as a reader would say them: `262144` -> `256 KiB`. */
export function formatBytes(n: number): string {
  if (n >= 1024 * 1024) return `${(n / (1024 * 1024)).toFixed(n % (1024 * 1024) === 0 ? 0 : 2)} MiB`;
  if (n >= 1024) return `${(n / 1024).toFixed(n % 1024 === 0 ? 0 : 1)} KiB`;
  return `${n} bytes`;
}

export function tooDeep(field: string, limits: InputLimits = INPUT_LIMITS): CausewayError {
  return new CausewayError('INVALID', `the input nests deeper than ${limits.maxDepth} levels`, [
    { field, reason: `nests deeper than the limit of ${limits.maxDepth} levels of maps and lists` },
  ]);
}

export function tooManyNodes(field: string, limits: InputLimits = INPUT_LIMITS): CausewayError {
  return new CausewayError('TOO_LARGE', `the input has more than ${limits.maxNodes} values`, [
    { field, reason: `has more than the limit of ${limits.maxNodes} values (maps, lists and scalars, aliases expanded)` },
  ]);
}

const segment = (parent: string, key: string | number): string =>
  typeof key === 'number' ? `${parent}[${key}]` : parent === '' ? key : /^[A-Za-z0-9_-]+$/.test(key) ? `${parent}.${key}` : `${parent}[${JSON.stringify(key)}]`;

/**
 * Checks depth and size of an already decoded value (JSON, a protobuf Struct, a YAML document), without
 * recursion. Returns the error for the first limit exceeded, naming the field where it happened.
 */
export function shapeError(value: unknown, limits: InputLimits = INPUT_LIMITS, root = ''): CausewayError | undefined {
  // Each entry links to its parent: the path of a field is built only for the error, not for every value.
  type Entry = { v: unknown; depth: number; parent: Entry | undefined; key: string | number | undefined };
  const pathOf = (e: Entry): string => {
    const keys: (string | number)[] = [];
    for (let at: Entry | undefined = e; at?.key !== undefined; at = at.parent) keys.push(at.key);
    return keys.reverse().reduce<string>((path, k) => segment(path, k), root);
  };
  const stack: Entry[] = [{ v: value, depth: 0, parent: undefined, key: undefined }];
  let nodes = 0;
  while (stack.length > 0) {
    const e = stack.pop() as Entry;
    const { v, depth } = e;
    nodes += 1;
    if (nodes > limits.maxNodes) return tooManyNodes(pathOf(e), limits);
    if (v === null || typeof v !== 'object') continue;
    if (depth >= limits.maxDepth) return tooDeep(pathOf(e), limits);
    const keys: (string | number)[] = Array.isArray(v) ? v.map((_, i) => i) : Object.keys(v);
    if (nodes + keys.length > limits.maxNodes) return tooManyNodes(pathOf(e), limits);
    for (let i = keys.length - 1; i >= 0; i--) {
      const key = keys[i] as string | number;
      stack.push({ v: (v as Record<string | number, unknown>)[key], depth: depth + 1, parent: e, key });
    }
  }
  return undefined;
}

/** Throws the error `shapeError` finds. */
export function assertShape(value: unknown, limits: InputLimits = INPUT_LIMITS, root = ''): void {
  const e = shapeError(value, limits, root);
  if (e) throw e;
}

/**
 * The resource-size rule: the spec and labels as JSON must fit `maxResourceBytes`. The error names the
 * largest top-level field (where the bytes are) and the limit.
 */
export function resourceSizeError(spec: unknown, labels: unknown, limits: InputLimits = INPUT_LIMITS, specField?: string): FieldError | undefined {
  const bytes = Buffer.byteLength(JSON.stringify({ spec, labels }) ?? '');
  if (bytes <= limits.maxResourceBytes) return undefined;
  let field = specField ?? '';
  if (spec !== null && typeof spec === 'object' && !Array.isArray(spec)) {
    let largest = -1;
    for (const [k, v] of Object.entries(spec)) {
      const n = Buffer.byteLength(JSON.stringify(v) ?? '');
      if (n > largest) {
        largest = n;
        field = segment(specField ?? '', k);
      }
    }
  }
  return {
    field,
    reason: `the resource is ${formatBytes(bytes)} as JSON; the limit is ${formatBytes(limits.maxResourceBytes)} (what the store keeps and multi-zone sync carries)`,
  };
}
