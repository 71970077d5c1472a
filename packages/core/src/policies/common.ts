/**
 * What every policy shares: the `targetRef` (Kuma's new-style policies: `spec.targetRef` + `from[]` /
 * `to[]` entries with their own targetRef) and the definition each policy folder exports — the part of
 * its descriptor row that is its own (type, plural, CLI aliases, schema, position). The rest of the row
 * is the same for every policy (mesh-scoped, owned by global, synced to zones, spec under `spec:`) and is
 * filled in by the descriptor table (descriptors.ts). How a policy changes traffic is its plugin, in the
 * same folder (`plugin.ts`; the contract is plugin.ts here).
 */
import { z } from 'zod';
import { asArray, asObject, asString, stringMapSchema, under, type Violation, validateTags } from '../validation.js';

/** Every kind a Kuma targetRef may name. */
export const TARGET_REF_KINDS = [
  'Mesh',
  'Dataplane',
  'MeshSubset',
  'MeshGateway',
  'MeshService',
  'MeshExternalService',
  'MeshMultiZoneService',
  'MeshServiceSubset',
  'MeshHTTPRoute',
] as const;
export type TargetRefKind = (typeof TARGET_REF_KINDS)[number];

/**
 * The kinds Causeway applies: they select by `kuma.io/service` and tags. A policy naming another kind
 * (Dataplane, MeshGateway, MeshHTTPRoute, MeshExternalService, MeshMultiZoneService), or a targetRef field
 * Causeway does not apply yet (`labels`, `sectionName`, `namespace`, `mesh`, `proxyTypes` without
 * `Sidecar`), is accepted and stored, as Kuma accepts it, but selects nothing (see `isAppliedTargetRef`).
 */
export const APPLIED_TARGET_REF_KINDS = ['Mesh', 'MeshSubset', 'MeshService', 'MeshServiceSubset'] as const;
export type AppliedTargetRefKind = (typeof APPLIED_TARGET_REF_KINDS)[number];

export interface TargetRef {
  kind: TargetRefKind;
  name?: string;
  tags?: Record<string, string>;
  labels?: Record<string, string>;
  mesh?: string;
  namespace?: string;
  sectionName?: string;
  proxyTypes?: ('Sidecar' | 'Gateway')[];
}

/**
 * Whether Causeway applies this targetRef: an applied kind (a MeshService by `name`), and no field that
 * would narrow it in a way Causeway does not model yet. Everything else selects nothing: stored, not applied.
 */
export function isAppliedTargetRef(ref: TargetRef): ref is TargetRef & { kind: AppliedTargetRefKind } {
  return targetRefNotApplied(ref) === undefined;
}

/**
 * Why Causeway does not apply this targetRef (the one rule `isAppliedTargetRef` reads): the field at fault,
 * relative to the targetRef, and what about it is not applied; undefined when the targetRef is applied.
 * The kind is named first; otherwise the first field that narrows the selection in a way Causeway does not model.
 */
export function targetRefNotApplied(ref: TargetRef): { path: PropertyKey[]; what: string } | undefined {
  if (!(APPLIED_TARGET_REF_KINDS as readonly string[]).includes(ref.kind))
    return { path: ['kind'], what: `kind ${ref.kind} is accepted for Kuma compatibility but not applied (applied: ${APPLIED_TARGET_REF_KINDS.join(', ')}), so this targetRef selects nothing` };
  // Empty values are unset, as Kuma reads them.
  if (Object.keys(ref.labels ?? {}).length > 0) return { path: ['labels'], what: 'selecting by labels is not applied (select by name or tags), so this targetRef selects nothing' };
  for (const f of ['sectionName', 'namespace', 'mesh'] as const)
    if (ref[f]) return { path: [f], what: `${f} is not applied, so this targetRef selects nothing` };
  if (ref.proxyTypes !== undefined && ref.proxyTypes.length > 0 && !ref.proxyTypes.includes('Sidecar'))
    return { path: ['proxyTypes'], what: 'proxyTypes without Sidecar select nothing (Causeway configures sidecars only)' };
  if ((ref.kind === 'MeshService' || ref.kind === 'MeshServiceSubset') && !ref.name) return { path: ['name'], what: `a ${ref.kind} without a name selects nothing` };
  return undefined;
}

/**
 * A field a resource holds that Causeway accepts and stores (as Kuma does) but does not apply, at a path
 * relative to the value looked at (a policy's spec), with what that means for traffic. `unappliedFields`
 * (descriptors.ts) returns them for a whole resource, with document paths (`spec.from[0].targetRef.kind`).
 */
export interface Unapplied {
  path: PropertyKey[];
  reason: string;
}

/**
 * The warning for a targetRef at `at` (`['from', 0]`, or `[]` for the top-level one) that Causeway does not
 * apply, with the policy's `consequence` (`this Deny denies nothing in Causeway`); none when it is applied.
 */
export function unappliedTargetRef(ref: TargetRef | undefined, at: PropertyKey[], consequence: string): Unapplied[] {
  const why = ref && targetRefNotApplied(ref);
  return why ? [{ path: [...at, 'targetRef', ...why.path], reason: `${why.what}: ${consequence}` }] : [];
}

/** The consequence of a top-level targetRef that selects nothing. */
export const TOP_NOT_APPLIED = 'this policy changes no proxy';

/** A value written and not Kuma's "unset": not undefined, false, 0, '', an empty list or an empty map. */
export function isSet(v: unknown): boolean {
  if (v === undefined || v === null || v === false || v === 0 || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object') return Object.keys(v).length > 0;
  return true;
}

export const targetRefSchema = z.strictObject({
  kind: z.enum(TARGET_REF_KINDS, {
    error: (iss) => (iss.input === undefined || iss.input === '' ? 'must be defined' : `value ${kumaQuote(iss.input)} is not supported`),
  }),
  name: z.string().optional(),
  tags: stringMapSchema().optional(),
  labels: stringMapSchema().optional(),
  mesh: z.string().optional(),
  namespace: z.string().optional(),
  sectionName: z.string().optional(),
  proxyTypes: z.array(z.enum(['Sidecar', 'Gateway'])).optional(),
});

/** Kuma writes a value in its messages as `'value'`. */
function kumaQuote(v: unknown): string {
  return `'${typeof v === 'string' ? v : JSON.stringify(v)}'`;
}

export interface TargetRefRules {
  /** The kinds this targetRef may name here. */
  kinds: readonly TargetRefKind[];
  /** A MeshGateway may carry listener tags (top-level targetRefs). */
  gatewayListenerTags?: boolean;
  /** The policy configures inbounds (it has `from` or `rules`): `sectionName` may select one with a Dataplane. */
  inbound?: boolean;
}

// Kuma's name rule for referenced resources: lower-case letters, digits, `-`, `.` and `_`.
const REF_NAME_RE = /^[0-9a-z.\-_]*$/;

/**
 * Kuma's `ValidateTargetRef`, paths relative to the targetRef: the kind must be one of `rules.kinds`
 * (nothing else is checked when it is not), and each kind allows and requires its own fields.
 */
export function validateTargetRef(value: unknown, rules: TargetRefRules): Violation[] {
  const ref = asObject(value);
  if (!ref) return [];
  const kind = ref.kind;
  // A missing or unknown kind is the schema's to report (`must be defined`, `value 'X' is not supported`).
  if (typeof kind !== 'string' || !(TARGET_REF_KINDS as readonly string[]).includes(kind)) return [];
  if (!rules.kinds.includes(kind as TargetRefKind)) return [{ path: ['kind'], message: `value ${kumaQuote(kind)} is not supported` }];
  const out: Violation[] = [];
  const str = (f: string) => asString(ref[f]) ?? '';
  const map = (f: string) => Object.keys(asObject(ref[f]) ?? {}).length > 0;
  const isSet = (f: string) => (f === 'tags' || f === 'labels' ? map(f) : f === 'proxyTypes' ? asArray(ref[f]).length > 0 : str(f) !== '');
  const forbid = (...fields: string[]) => {
    for (const f of fields) if (isSet(f)) out.push({ path: [f], message: `must not be set with kind ${kind}` });
  };
  const name = () => {
    if (!REF_NAME_RE.test(str('name'))) out.push({ path: ['name'], message: "invalid characters: must consist of lower case alphanumeric characters, '-', '.' and '_'." });
  };
  const proxyTypes = () => {
    if (Array.isArray(ref.proxyTypes) && ref.proxyTypes.length === 0) out.push({ path: ['proxyTypes'], message: 'must be undefined or have at least one element' });
  };
  const nameOrLabels = (labelsMessage: string) => {
    if (!map('labels') && str('name') === '') out.push({ path: [], message: `name or labels must be set when kind is ${kind}` });
    if (map('labels') && (str('name') !== '' || str('namespace') !== '')) out.push({ path: ['labels'], message: labelsMessage });
  };
  switch (kind as TargetRefKind) {
    case 'Mesh':
      if (str('name') !== '') out.push({ path: ['name'], message: 'using name with kind Mesh is not yet supported' });
      forbid('mesh', 'tags', 'labels', 'namespace', 'sectionName');
      proxyTypes();
      break;
    case 'Dataplane':
      forbid('tags', 'mesh', 'proxyTypes');
      if (map('labels') && (str('name') !== '' || str('namespace') !== '')) out.push({ path: ['labels'], message: 'either labels or name and namespace must be specified' });
      if (!rules.inbound && str('sectionName') !== '') out.push({ path: ['sectionName'], message: 'can only be used with inbound policies' });
      break;
    case 'MeshSubset':
      forbid('name', 'mesh');
      out.push(...under(['tags'], validateTags(ref.tags ?? {})));
      forbid('labels', 'namespace', 'sectionName');
      proxyTypes();
      break;
    case 'MeshService':
      name();
      forbid('mesh', 'tags', 'proxyTypes');
      nameOrLabels('either labels or name and namespace must be specified');
      break;
    case 'MeshHTTPRoute':
      name();
      forbid('mesh', 'tags', 'proxyTypes', 'sectionName');
      nameOrLabels('either labels or name and namespace must be specified');
      break;
    case 'MeshServiceSubset':
    case 'MeshGateway':
      if (str('name') === '') out.push({ path: ['name'], message: `must be set when kind is ${kind}` });
      name();
      forbid('mesh', 'proxyTypes');
      out.push(...under(['tags'], validateTags(ref.tags ?? {}, { selector: true })));
      if (kind === 'MeshGateway' && !rules.gatewayListenerTags) forbid('tags');
      forbid('labels', 'namespace', 'sectionName');
      break;
    case 'MeshExternalService':
      name();
      forbid('mesh', 'tags', 'proxyTypes');
      nameOrLabels('either labels or name must be specified');
      forbid('sectionName');
      break;
    case 'MeshMultiZoneService':
      break;
  }
  return out;
}

/** Kuma's rules for the kinds a policy's top-level targetRef may name (universal: every policy is a system policy). */
export function topTargetRefRules(value: unknown, kinds: readonly TargetRefKind[], inbound: boolean): Violation[] {
  if (value === undefined) return [];
  return under(['targetRef'], validateTargetRef(value, { kinds, gatewayListenerTags: true, inbound }));
}

/** The kind of a policy's top-level targetRef (`Mesh` when there is none). */
export function topKind(spec: Record<string, unknown>): string {
  return asString(asObject(spec.targetRef)?.kind) ?? 'Mesh';
}

/** The `to[].targetRef` kinds Kuma allows under a top-level kind (MeshRetry, MeshTimeout). */
export function toKinds(top: string): readonly TargetRefKind[] {
  return top === 'MeshGateway' || top === 'MeshHTTPRoute'
    ? ['Mesh', 'MeshExternalService']
    : ['Mesh', 'MeshService', 'MeshExternalService', 'MeshMultiZoneService', 'MeshHTTPRoute'];
}

// ---------------------------------------------------------------------------------------------
// Inbound `rules[].matches` (MeshTimeout) and `rules[].default.allow/deny` (MeshTrafficPermission)

/** A match of an inbound rule: the caller's SPIFFE ID (`Exact` or `Prefix`) and/or the SNI (`Exact`). */
export interface Match {
  spiffeID?: { type: string; value: string };
  sni?: { type: string; value: string };
}

// Types and values are checked by `validateMatch`, at the paths Kuma uses (a missing one is "must be set").
const matcher = z.strictObject({ type: z.string().prefault(''), value: z.string().prefault('') });
export const matchSchema = z.strictObject({ spiffeID: matcher.optional(), sni: matcher.optional() });

/** go-spiffe's `spiffeid.FromString`: the reason an ID is not valid, or undefined. */
export function spiffeIdError(id: string): string | undefined {
  if (!id.startsWith('spiffe://')) return 'scheme is missing or invalid';
  const rest = id.slice('spiffe://'.length);
  const slash = rest.indexOf('/');
  const td = slash < 0 ? rest : rest.slice(0, slash);
  const path = slash < 0 ? '' : rest.slice(slash);
  if (td === '') return 'trust domain is missing';
  if (!/^[a-z0-9._-]+$/.test(td)) return 'trust domain characters are limited to lowercase letters, numbers, dots, dashes, and underscores';
  if (path === '') return undefined;
  if (path.endsWith('/')) return 'path cannot have a trailing slash';
  for (const seg of path.slice(1).split('/')) {
    if (seg === '') return 'path cannot contain empty segments';
    if (seg === '.' || seg === '..') return 'path cannot contain dot segments';
    if (!/^[a-zA-Z0-9._-]+$/.test(seg)) return 'path segment characters are limited to letters, numbers, dots, dashes, and underscores';
  }
  return undefined;
}

const DNS1123_SUBDOMAIN_RE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Kuma's `ValidateMatch`, paths relative to the match. */
export function validateMatch(value: unknown): Violation[] {
  const m = asObject(value);
  if (!m) return [];
  const out: Violation[] = [];
  const spiffe = asObject(m.spiffeID);
  if (spiffe) {
    const err = spiffeIdError(asString(spiffe.value) ?? '');
    if (err) out.push({ path: ['spiffeID'], message: `must be a valid Spiffe ID: ${err}` });
    const type = asString(spiffe.type) ?? '';
    if (type === '') out.push({ path: ['spiffeID', 'type'], message: 'must be set' });
    else if (type !== 'Exact' && type !== 'Prefix') out.push({ path: ['spiffeID', 'type'], message: `unrecognized type ${JSON.stringify(type)}, supported values are: Exact, Prefix` });
  }
  const sni = asObject(m.sni);
  if (sni) {
    const type = asString(sni.type) ?? '';
    if (type === '') out.push({ path: ['sni', 'type'], message: 'must be set' });
    else if (type !== 'Exact') out.push({ path: ['sni', 'type'], message: `unrecognized type ${JSON.stringify(type)}, supported values are: Exact` });
    const v = asString(sni.value) ?? '';
    if (v === '') out.push({ path: ['sni', 'value'], message: 'must be set' });
    else {
      if (v.length > 253) out.push({ path: ['sni', 'value'], message: 'must be no more than 253 characters' });
      if (!DNS1123_SUBDOMAIN_RE.test(v))
        out.push({
          path: ['sni', 'value'],
          message:
            "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
        });
    }
  }
  return out;
}

/** The entries of an optional list (`to`, `from`, `rules`) that is given. */
export function entries(value: unknown): Record<string, unknown>[] {
  return asArray(value).map((e) => asObject(e) ?? {});
}

/**
 * The own part of a policy type's descriptor row, as its folder's `api.ts` declares it. `S` is the spec
 * type: `Resource<T>` carries it (the registry maps each policy type to its definition's `S`).
 */
export interface PolicyDefinition<T extends string = string, S = unknown> {
  readonly policy: true;
  /** The resource type, e.g. `MeshRetry`; its folder is `policies/<type in lower case>/`. */
  readonly type: T;
  /** REST path segment and CLI plural (Kuma's: `meshretries`). The CLI singular is the type in lower case. */
  readonly plural: string;
  /** Extra CLI spellings (`mtp`, `mesh-retry`, ...). */
  readonly aliases: readonly string[];
  /** Structural schema of the spec (what the API validates); what it accepts must be an `S`. */
  readonly schema: z.ZodType<S>;
  /**
   * Position among the policies: in the descriptor table (listings, help, error texts) and in the order
   * the xDS plugins run (ascending; the generators' output goes through each in turn).
   */
  readonly order: number;
  /**
   * The fields of a spec Causeway accepts and stores but does not apply, paths relative to the spec
   * (`['from', 0, 'targetRef', 'kind']`), each with what it means for traffic. A policy without it applies
   * everything it accepts. The API answers writes with them as Kuma's `warnings`.
   */
  unapplied?(spec: S): Unapplied[];
}

/**
 * A policy's definition, with its spec type: `definePolicy<MeshRetrySpec>()({ type: 'MeshRetry', ... })`
 * (two calls, so that the type name is inferred while the spec type is given; the schema must produce it).
 */
export function definePolicy<S>() {
  return <T extends string>(d: Omit<PolicyDefinition<T, S>, 'policy'>): PolicyDefinition<T, S> => ({ policy: true, ...d });
}

export function isPolicyDefinition(v: unknown): v is PolicyDefinition {
  return typeof v === 'object' && v !== null && (v as { policy?: unknown }).policy === true;
}

/** The folder of a policy type (`policies/<name>/`). */
export const policyFolder = (type: string): string => type.toLowerCase();
