/**
 * MeshTimeout: timeouts on the selected proxies' outbounds (`to[]`) and inbounds (`from[]`). The plugin
 * is `@causeway/xds` `src/policies/meshtimeout/`. Kuma's newer inbound `rules[]` (with `matches` on the
 * caller's SPIFFE ID or the SNI) are validated and stored, but not applied yet.
 */
import { z } from 'zod';
import { asObject, kumaRules, parseGoDuration, signedDurationSchema, under, type Violation } from '../../validation.js';
import {
  definePolicy,
  entries,
  isSet,
  type Match,
  matchSchema,
  type TargetRef,
  targetRefSchema,
  toKinds,
  topKind,
  TOP_NOT_APPLIED,
  topTargetRefRules,
  type Unapplied,
  unappliedTargetRef,
  validateMatch,
  validateTargetRef,
} from '../common.js';

export interface TimeoutConf {
  connectionTimeout?: string;
  idleTimeout?: string;
  http?: {
    requestTimeout?: string;
    streamIdleTimeout?: string;
    maxStreamDuration?: string;
    maxConnectionDuration?: string;
    requestHeadersTimeout?: string;
  };
}

export interface MeshTimeoutSpec {
  targetRef?: TargetRef;
  from?: { targetRef: TargetRef; default: TimeoutConf }[];
  to?: { targetRef: TargetRef; default: TimeoutConf }[];
  /** Stored, not applied yet. */
  rules?: { matches?: Match[]; default: TimeoutConf }[];
}

const timeoutConfSchema = z.strictObject({
  connectionTimeout: signedDurationSchema.optional(),
  idleTimeout: signedDurationSchema.optional(),
  http: z
    .strictObject({
      requestTimeout: signedDurationSchema.optional(),
      streamIdleTimeout: signedDurationSchema.optional(),
      maxStreamDuration: signedDurationSchema.optional(),
      maxConnectionDuration: signedDurationSchema.optional(),
      requestHeadersTimeout: signedDurationSchema.optional(),
    })
    .optional(),
});
// A missing default is {} (Kuma's zero value): the rules report it (`at least one timeout should be configured`).
const timeoutEntry = z.strictObject({ targetRef: targetRefSchema, default: timeoutConfSchema.prefault({}) });

const structure = z.strictObject({
  targetRef: targetRefSchema.optional(),
  from: z.array(timeoutEntry).optional(),
  to: z.array(timeoutEntry).optional(),
  rules: z.array(z.strictObject({ matches: z.array(matchSchema).optional(), default: timeoutConfSchema.prefault({}) })).optional(),
});

const NOT_ON_ROUTE = "can't be specified when top-level TargetRef is referencing MeshHTTPRoute";
const NOT_BY_SOURCE = "can't be specified when matches contain spiffeID because this field cannot be conditioned on source identity";

/** Milliseconds of a duration field that is a valid duration (the schema reports the others). */
function ms(v: unknown): number | undefined {
  return typeof v === 'string' ? parseGoDuration(v) : undefined;
}

/** Kuma's `validateDefault`: something configured, and no negative (or, for a connection timeout, zero) value. */
function confRules(value: unknown, top: string): Violation[] {
  const conf = asObject(value) ?? {};
  const http = asObject(conf.http);
  if (conf.connectionTimeout === undefined && conf.idleTimeout === undefined && conf.http === undefined)
    return [{ path: [], message: 'at least one timeout should be configured' }];
  const out: Violation[] = [];
  const set = (v: unknown) => v !== undefined;
  if (top === 'MeshHTTPRoute') {
    if (set(conf.connectionTimeout)) out.push({ path: ['connectionTimeout'], message: NOT_ON_ROUTE });
    if (set(conf.idleTimeout)) out.push({ path: ['idleTimeout'], message: NOT_ON_ROUTE });
    if (set(http?.maxStreamDuration)) out.push({ path: ['http', 'maxStreamDuration'], message: NOT_ON_ROUTE });
    if (set(http?.maxConnectionDuration)) out.push({ path: ['http', 'maxConnectionDuration'], message: NOT_ON_ROUTE });
  }
  const connect = ms(conf.connectionTimeout);
  if (connect !== undefined && connect <= 0) out.push({ path: ['connectionTimeout'], message: 'must be greater than zero when defined' });
  const idle = ms(conf.idleTimeout);
  if (idle !== undefined && idle < 0) out.push({ path: ['idleTimeout'], message: 'must not be negative when defined' });
  if (http) {
    if ([http.requestTimeout, http.streamIdleTimeout, http.maxStreamDuration, http.maxConnectionDuration].every((v) => v === undefined))
      out.push({ path: ['http'], message: 'at least one timeout in this section should be configured' });
    for (const f of ['requestTimeout', 'streamIdleTimeout', 'maxStreamDuration', 'maxConnectionDuration', 'requestHeadersTimeout'] as const) {
      const v = ms(http[f]);
      if (v !== undefined && v < 0) out.push({ path: ['http', f], message: 'must not be negative when defined' });
    }
  }
  return out;
}

/** Kuma's `validateMatches`: each match valid and not empty; with a SPIFFE ID, no timeout that cannot depend on the caller. */
function matchesRules(matches: unknown, conf: unknown): Violation[] {
  const out: Violation[] = [];
  let bySource = false;
  entries(matches).forEach((m, i) => {
    out.push(...under(['matches', i], validateMatch(m)));
    if (m.spiffeID === undefined && m.sni === undefined) {
      out.push({ path: ['matches', i], message: "must specify at least one of 'spiffeID' or 'sni'" });
      return;
    }
    // (validateMatch checks the SPIFFE ID's type too.)
    if (m.spiffeID !== undefined) bySource = true;
  });
  if (bySource) {
    const c = asObject(conf) ?? {};
    const http = asObject(c.http) ?? {};
    for (const [path, v] of [
      [['default', 'connectionTimeout'], c.connectionTimeout],
      [['default', 'idleTimeout'], c.idleTimeout],
      [['default', 'http', 'requestHeadersTimeout'], http.requestHeadersTimeout],
      [['default', 'http', 'maxStreamDuration'], http.maxStreamDuration],
      [['default', 'http', 'maxConnectionDuration'], http.maxConnectionDuration],
    ] as const)
      if (v !== undefined) out.push({ path: [...path], message: NOT_BY_SOURCE });
  }
  return out;
}

/** Kuma's rules (`MeshTimeoutResource.validate`), paths under `spec`. */
function meshTimeoutRules(value: unknown): Violation[] {
  const spec = asObject(value);
  if (!spec) return [];
  const from = entries(spec.from);
  const to = entries(spec.to);
  const rules = entries(spec.rules);
  const top = topKind(spec);
  const out: Violation[] = [
    ...topTargetRefRules(spec.targetRef, ['Mesh', 'MeshSubset', 'Dataplane', 'MeshGateway', 'MeshService', 'MeshServiceSubset', 'MeshHTTPRoute'], from.length > 0 || rules.length > 0),
  ];
  if (rules.length > 0 && (to.length > 0 || from.length > 0)) out.push({ path: [], message: "fields 'to' and 'from' must be empty when 'rules' is defined" });
  if (rules.length === 0 && to.length === 0 && from.length === 0) out.push({ path: [], message: "at least one of 'from', 'to' or 'rules' has to be defined" });
  if ((top === 'MeshHTTPRoute' || top === 'MeshGateway') && from.length > 0) out.push({ path: ['from'], message: 'must not be defined' });
  else
    from.forEach((f, i) => {
      out.push(...under(['from', i, 'targetRef'], validateTargetRef(f.targetRef, { kinds: ['Mesh'] })));
      out.push(...under(['from', i, 'default'], confRules(f.default, top)));
    });
  to.forEach((t, i) => {
    out.push(...under(['to', i, 'targetRef'], validateTargetRef(t.targetRef, { kinds: toKinds(top) })));
    out.push(...under(['to', i, 'default'], confRules(t.default, top)));
  });
  rules.forEach((r, i) => {
    out.push(...under(['rules', i], matchesRules(r.matches, r.default)));
    out.push(...under(['rules', i, 'default'], confRules(r.default, top)));
  });
  return out;
}

export const meshTimeoutSchema = kumaRules(structure, meshTimeoutRules);

/** What a MeshTimeout holds that Causeway does not apply (see `PolicyDefinition.unapplied`). */
function unapplied(spec: MeshTimeoutSpec): Unapplied[] {
  const out = unappliedTargetRef(spec.targetRef, [], TOP_NOT_APPLIED);
  (spec.from ?? []).forEach((f, i) => {
    out.push(...unappliedTargetRef(f.targetRef, ['from', i], 'this entry is skipped: its timeouts apply to no inbound'));
  });
  (spec.to ?? []).forEach((t, i) => {
    out.push(...unappliedTargetRef(t.targetRef, ['to', i], 'this entry is skipped: its timeouts apply to no outbound'));
  });
  if (isSet(spec.rules)) out.push({ path: ['rules'], reason: "rules are accepted for Kuma compatibility but not applied: these timeouts apply to no inbound (Envoy's defaults stay)" });
  return out;
}

export const meshTimeout = definePolicy<MeshTimeoutSpec>()({
  type: 'MeshTimeout',
  plural: 'meshtimeouts',
  aliases: ['mesh-timeout', 'mesh-timeouts'],
  schema: meshTimeoutSchema,
  order: 20,
  unapplied,
});
