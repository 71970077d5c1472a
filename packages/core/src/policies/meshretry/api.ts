/**
 * MeshRetry: retry policies on the selected proxies' outbounds (`to[]`: `http`, `grpc`, `tcp`). The
 * plugin is `@causeway/xds` `src/policies/meshretry/`. `rateLimitedBackOff`, `retriableRequestHeaders`,
 * `retriableResponseHeaders`, `hostSelection` and `hostSelectionMaxAttempts` are validated and stored
 * for Kuma compatibility, but not applied yet.
 */
import { z } from 'zod';
import { asArray, asObject, durationSchema, kumaRules, parseDuration, stringMapSchema, under, type Violation } from '../../validation.js';
import {
  definePolicy,
  entries,
  isSet,
  TOP_NOT_APPLIED,
  type TargetRef,
  targetRefSchema,
  toKinds,
  topKind,
  topTargetRefRules,
  type Unapplied,
  unappliedTargetRef,
  validateTargetRef,
} from '../common.js';

/** Kuma's retry conditions (`5xx` is written in lower case; an HTTP status code is one too). */
export const HTTP_RETRY_ON = [
  '5xx',
  'GatewayError',
  'Reset',
  'Retriable4xx',
  'ConnectFailure',
  'EnvoyRatelimited',
  'RefusedStream',
  'Http3PostConnectFailure',
  'HttpMethodConnect',
  'HttpMethodDelete',
  'HttpMethodGet',
  'HttpMethodHead',
  'HttpMethodOptions',
  'HttpMethodPatch',
  'HttpMethodPost',
  'HttpMethodPut',
  'HttpMethodTrace',
] as const;
export const GRPC_RETRY_ON = ['Canceled', 'DeadlineExceeded', 'Internal', 'ResourceExhausted', 'Unavailable'] as const;

/** The status codes Go's `http.StatusText` names: Kuma's retryOn accepts these, and only these. */
const HTTP_STATUS_CODES = new Set([
  100, 101, 102, 103, 200, 201, 202, 203, 204, 205, 206, 207, 208, 226, 300, 301, 302, 303, 304, 305, 307, 308, 400, 401, 402, 403, 404, 405, 406,
  407, 408, 409, 410, 411, 412, 413, 414, 415, 416, 417, 418, 421, 422, 423, 424, 425, 426, 428, 429, 431, 451, 500, 501, 502, 503, 504, 505, 506,
  507, 508, 510, 511,
]);

/**
 * A `retryOn` item as written: a condition, or (HTTP) a status code, `503` or `"503"`. YAML reads an
 * unquoted code as a number; the rules accept only Kuma's conditions and codes.
 */
export type RetryOnItem = string | number;

export interface HeaderMatch {
  type?: 'Exact' | 'Present' | 'RegularExpression' | 'Absent' | 'Prefix';
  name: string;
  value?: string;
}

export interface RateLimitedBackOff {
  resetHeaders?: { name: string; format: 'Seconds' | 'UnixTimestamp' }[];
  maxInterval?: string;
}

export interface RetryConf {
  tcp?: { maxConnectAttempt?: number };
  http?: {
    numRetries?: number;
    perTryTimeout?: string;
    backOff?: { baseInterval?: string; maxInterval?: string };
    retryOn?: RetryOnItem[];
    /** Stored, not applied yet. */
    rateLimitedBackOff?: RateLimitedBackOff;
    /** Stored, not applied yet. */
    retriableRequestHeaders?: HeaderMatch[];
    /** Stored, not applied yet. */
    retriableResponseHeaders?: HeaderMatch[];
    /** Stored, not applied yet. */
    hostSelection?: { /** `OmitPreviousHosts`, `OmitHostsWithTags` or `OmitPreviousPriorities` (the rules check it). */ predicate: string; tags?: Record<string, string>; updateFrequency?: number }[];
    /** Stored, not applied yet. */
    hostSelectionMaxAttempts?: number;
  };
  grpc?: {
    numRetries?: number;
    perTryTimeout?: string;
    backOff?: { baseInterval?: string; maxInterval?: string };
    /** Only gRPC conditions are valid (a number is refused by the rules, as Kuma refuses it). */
    retryOn?: RetryOnItem[];
    /** Stored, not applied yet. */
    rateLimitedBackOff?: RateLimitedBackOff;
  };
}

export interface MeshRetrySpec {
  targetRef?: TargetRef;
  /** Empty or absent: nothing configured (Kuma allows it, to override inherited rules). */
  to?: { targetRef: TargetRef; default: RetryConf }[];
}

const uint32 = z.number().int('must be an integer').min(0, 'must not be negative').max(4_294_967_295, 'must be at most 4294967295');
const backOffSchema = z.strictObject({ baseInterval: durationSchema.optional(), maxInterval: durationSchema.optional() });
const HEADER_NAME_RE = /^[a-z0-9!#$%&'*+\-.^_`|~]+$/;
const headerName = z
  .string()
  .min(1, 'must be defined')
  .max(256, 'must be at most 256 characters')
  .regex(HEADER_NAME_RE, 'must be a lower-case HTTP header name');
const rateLimitedBackOffSchema = z.strictObject({
  resetHeaders: z
    .array(
      z.strictObject({
        // An empty name is Kuma's rule to report (`resetHeaders[i].name: must be defined`).
        name: z.string().max(256, 'must be at most 256 characters').regex(/^$|^[a-z0-9!#$%&'*+\-.^_`|~]+$/, 'must be a lower-case HTTP header name'),
        format: z.enum(['Seconds', 'UnixTimestamp']),
      }),
    )
    .optional(),
  maxInterval: durationSchema.optional(),
});
const headerMatchSchema = z.strictObject({
  type: z.enum(['Exact', 'Present', 'RegularExpression', 'Absent', 'Prefix']).optional(),
  name: headerName,
  value: z.string().optional(),
});
const retryOnItem = z.union([z.string(), z.number()], { error: 'must be a string (or an HTTP status code)' });

const confSchema = z.strictObject({
  tcp: z.strictObject({ maxConnectAttempt: uint32.optional() }).optional(),
  http: z
    .strictObject({
      numRetries: uint32.optional(),
      perTryTimeout: durationSchema.optional(),
      backOff: backOffSchema.optional(),
      retryOn: z.array(retryOnItem).optional(),
      rateLimitedBackOff: rateLimitedBackOffSchema.optional(),
      retriableRequestHeaders: z.array(headerMatchSchema).optional(),
      retriableResponseHeaders: z.array(headerMatchSchema).optional(),
      hostSelection: z
        .array(
          z.strictObject({
            predicate: z.string({ error: (iss) => (iss.input === undefined ? 'must be defined' : undefined) }),
            tags: stringMapSchema().optional(),
            updateFrequency: z.number().int('must be an integer').optional(),
          }),
        )
        .optional(),
      hostSelectionMaxAttempts: z.number().int('must be an integer').optional(),
    })
    .optional(),
  grpc: z
    .strictObject({
      numRetries: uint32.optional(),
      perTryTimeout: durationSchema.optional(),
      backOff: backOffSchema.optional(),
      retryOn: z.array(retryOnItem).optional(),
      rateLimitedBackOff: rateLimitedBackOffSchema.optional(),
    })
    .optional(),
});

const structure = z.strictObject({
  targetRef: targetRefSchema.optional(),
  // A missing default is {} (Kuma's zero value): the rules report it at `default.conf`.
  to: z.array(z.strictObject({ targetRef: targetRefSchema, default: confSchema.prefault({}) })).optional(),
});

/** `unknown item '<v>'`, with a hint for the common miss. */
function unknownItem(v: unknown): string {
  const text = String(v);
  return text === '5XX' ? "unknown item '5XX' (write '5xx')" : `unknown item '${text}'`;
}

function backOffRules(b: Record<string, unknown>): Violation[] {
  return b.baseInterval === undefined && b.maxInterval === undefined ? [{ path: ['backOff'], message: 'must not be empty' }] : [];
}

function rateLimitedRules(r: Record<string, unknown>): Violation[] {
  const out: Violation[] = [];
  const at = ['rateLimitedBackOff'];
  if (typeof r.maxInterval === 'string' && parseDuration(r.maxInterval) === 0) out.push({ path: [...at, 'maxInterval'], message: 'must be defined and greater than zero' });
  if (r.resetHeaders === undefined) out.push({ path: [...at, 'resetHeaders'], message: 'must be defined' });
  else
    entries(r.resetHeaders).forEach((h, i) => {
      if (h.name === undefined || h.name === '') out.push({ path: [...at, 'resetHeaders', i, 'name'], message: 'must be defined' });
    });
  return out;
}

function hostSelectionRules(list: unknown): Violation[] {
  const out: Violation[] = [];
  let priorities = false;
  entries(list).forEach((p, i) => {
    const at = ['hostSelection', i];
    switch (p.predicate) {
      case 'OmitHostsWithTags':
        if (p.tags === undefined) out.push({ path: [...at, 'tags'], message: 'must be defined' });
        break;
      case 'OmitPreviousPriorities':
        if (priorities) out.push({ path: [...at, 'predicate'], message: 'OmitPreviousPriorities must only be specified once' });
        // Kuma's API defaults updateFrequency to 2.
        if (typeof p.updateFrequency === 'number' && p.updateFrequency <= 0) out.push({ path: [...at, 'updateFrequency'], message: 'must be defined and greater than zero' });
        priorities = true;
        break;
      case 'OmitPreviousHosts':
        break;
      default:
        out.push({ path: [...at, 'predicate'], message: `unknown predicate type '${String(p.predicate)}'` });
    }
  });
  return out;
}

function httpRules(http: Record<string, unknown>): Violation[] {
  const fields = ['numRetries', 'perTryTimeout', 'backOff', 'retryOn', 'retriableRequestHeaders', 'retriableResponseHeaders', 'rateLimitedBackOff', 'hostSelection'];
  const out: Violation[] = [];
  if (fields.every((f) => http[f] === undefined)) out.push({ path: [], message: 'must not be empty' });
  const backOff = asObject(http.backOff);
  if (backOff) out.push(...backOffRules(backOff));
  const rateLimited = asObject(http.rateLimitedBackOff);
  if (rateLimited) out.push(...rateLimitedRules(rateLimited));
  asArray(http.retryOn).forEach((v, i) => {
    if (typeof v !== 'string' && typeof v !== 'number') return;
    const known = (HTTP_RETRY_ON as readonly string[]).includes(String(v)) || (/^\d+$/.test(String(v)) && HTTP_STATUS_CODES.has(Number(v)));
    if (!known) out.push({ path: ['retryOn', i], message: unknownItem(v) });
  });
  if (http.hostSelection !== undefined) out.push(...hostSelectionRules(http.hostSelection));
  return out;
}

function grpcRules(grpc: Record<string, unknown>): Violation[] {
  const out: Violation[] = [];
  if (['numRetries', 'perTryTimeout', 'backOff', 'retryOn', 'rateLimitedBackOff'].every((f) => grpc[f] === undefined)) out.push({ path: [], message: 'must not be empty' });
  const backOff = asObject(grpc.backOff);
  if (backOff) out.push(...backOffRules(backOff));
  const rateLimited = asObject(grpc.rateLimitedBackOff);
  if (rateLimited) out.push(...rateLimitedRules(rateLimited));
  asArray(grpc.retryOn).forEach((v, i) => {
    if ((typeof v === 'string' || typeof v === 'number') && !(GRPC_RETRY_ON as readonly string[]).includes(String(v))) out.push({ path: ['retryOn', i], message: unknownItem(v) });
  });
  return out;
}

/** Kuma's `validateDefault`, reported under `conf` as Kuma does (`spec.to[0].default.conf.http`). */
function confRules(value: unknown): Violation[] {
  const conf = asObject(value) ?? {};
  const out: Violation[] = [];
  if (conf.tcp === undefined && conf.http === undefined && conf.grpc === undefined) out.push({ path: [], message: "at least one of the 'tcp', 'http', 'grpc' must be specified" });
  const tcp = asObject(conf.tcp);
  if (tcp) {
    if (tcp.maxConnectAttempt === undefined) out.push({ path: ['tcp'], message: 'must not be empty' });
    else if (tcp.maxConnectAttempt === 0) out.push({ path: ['tcp', 'maxConnectAttempt'], message: 'must be greater than 0' });
  }
  const http = asObject(conf.http);
  if (http) out.push(...under(['http'], httpRules(http)));
  const grpc = asObject(conf.grpc);
  if (grpc) out.push(...under(['grpc'], grpcRules(grpc)));
  return under(['conf'], out);
}

/** Kuma's rules (`MeshRetryResource.validate`), paths under `spec`. */
function meshRetryRules(value: unknown): Violation[] {
  const spec = asObject(value);
  if (!spec) return [];
  const top = topKind(spec);
  const out = topTargetRefRules(spec.targetRef, ['Mesh', 'MeshSubset', 'MeshGateway', 'MeshService', 'MeshServiceSubset', 'MeshHTTPRoute', 'Dataplane'], false);
  entries(spec.to).forEach((t, i) => {
    out.push(...under(['to', i, 'targetRef'], validateTargetRef(t.targetRef, { kinds: toKinds(top) })));
    out.push(...under(['to', i, 'default'], confRules(t.default)));
  });
  return out;
}

export const meshRetrySchema = kumaRules(structure, meshRetryRules);

/** The retry fields accepted for Kuma compatibility and not applied, with what the proxy does instead. */
const UNAPPLIED_HTTP = {
  rateLimitedBackOff: "not applied: retries back off on their own interval, not on the upstream's rate-limit reset headers",
  retriableRequestHeaders: 'not applied: requests are retried whatever their headers',
  retriableResponseHeaders: 'not applied: a response is retried on retryOn only, not on its headers',
  hostSelection: 'not applied: a retry may go to the same host as the previous attempt',
  hostSelectionMaxAttempts: 'not applied (hostSelection is not applied either)',
} as const;

/** What a MeshRetry holds that Causeway does not apply (see `PolicyDefinition.unapplied`). */
function unapplied(spec: MeshRetrySpec): Unapplied[] {
  const out = unappliedTargetRef(spec.targetRef, [], TOP_NOT_APPLIED);
  (spec.to ?? []).forEach((t, i) => {
    out.push(...unappliedTargetRef(t.targetRef, ['to', i], 'this entry is skipped: no retries are configured for it'));
    const http = t.default.http;
    for (const [f, reason] of Object.entries(UNAPPLIED_HTTP))
      if (http && isSet(http[f as keyof typeof UNAPPLIED_HTTP])) out.push({ path: ['to', i, 'default', 'http', f], reason });
    if (isSet(t.default.grpc?.rateLimitedBackOff)) out.push({ path: ['to', i, 'default', 'grpc', 'rateLimitedBackOff'], reason: UNAPPLIED_HTTP.rateLimitedBackOff });
  });
  return out;
}

export const meshRetry = definePolicy<MeshRetrySpec>()({
  type: 'MeshRetry',
  plural: 'meshretries',
  aliases: ['mesh-retry', 'mesh-retries'],
  schema: meshRetrySchema,
  order: 30,
  unapplied,
});
