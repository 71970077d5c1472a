/**
 * The Mesh: Kuma's fields, with Kuma's rules at Kuma's paths (`MeshResource.Validate`). Causeway applies
 * `mtls` (builtin CA backends), `routing.zoneEgress`, `routing.localityAwareLoadBalancing` and
 * `networking.outbound.passthrough`; the other fields (`logging`, `tracing`, `metrics`, `constraints`,
 * `meshServices`, `skipCreatingInitialPolicies`, `routing.defaultForbidMeshExternalServiceAccess`,
 * `mtls.skipValidation`, a backend's `rootChain` and `dpCert.requestTimeout`) are validated and stored
 * for Kuma compatibility but not applied yet (see the README).
 */
import { z } from 'zod';
import { isSet, type Unapplied } from '../policies/common.js';
import {
  asArray,
  asObject,
  asString,
  durationSchema,
  expirationSchema,
  kumaRules,
  nameSchema,
  parseKumaDuration,
  stringMapSchema,
  under,
  type Violation,
  validateTags,
} from '../validation.js';

export interface MeshBackend {
  name: string;
  type: 'builtin';
  mode?: 'STRICT' | 'PERMISSIVE';
  dpCert?: { rotation?: { expiration?: string }; requestTimeout?: string };
  conf?: { caCert?: { RSAbits?: number; expiration?: string } };
  rootChain?: { requestTimeout?: string };
}

/** A logging, tracing or metrics backend: its `conf` is free-form in Kuma (a protobuf Struct), typed by `type`. */
export interface MeshObservabilityBackend {
  name?: string;
  type?: string;
  format?: string;
  sampling?: number;
  conf?: Record<string, unknown>;
}

export interface MeshSpec {
  mtls?: { enabledBackend?: string; backends?: MeshBackend[]; skipValidation?: boolean };
  tracing?: { defaultBackend?: string; backends?: MeshObservabilityBackend[] };
  logging?: { defaultBackend?: string; backends?: MeshObservabilityBackend[] };
  metrics?: { enabledBackend?: string; backends?: MeshObservabilityBackend[] };
  networking?: { outbound?: { passthrough?: boolean } };
  routing?: { zoneEgress?: boolean; localityAwareLoadBalancing?: boolean; defaultForbidMeshExternalServiceAccess?: boolean };
  constraints?: { dataplaneProxy?: { requirements?: { tags?: Record<string, string> }[]; restrictions?: { tags?: Record<string, string> }[] } };
  skipCreatingInitialPolicies?: string[];
  meshServices?: { mode?: 'Disabled' | 'Everywhere' | 'ReachableBackends' | 'Exclusive' };
}

const backendSchema = z.strictObject({
  name: nameSchema,
  type: z.literal('builtin', { error: 'must be "builtin" (the only CA backend Causeway runs)' }),
  mode: z.enum(['STRICT', 'PERMISSIVE']).optional(),
  dpCert: z
    .strictObject({
      // Kuma's own format (one number and unit), checked by the rules at Kuma's path.
      rotation: z.strictObject({ expiration: z.string().optional() }).optional(),
      requestTimeout: durationSchema.optional(),
    })
    .optional(),
  // A protobuf Struct in Kuma: keys besides caCert are kept (and not used), not refused.
  conf: z
    .looseObject({
      caCert: z
        .strictObject({
          RSAbits: z.number().int('must be an integer').min(2048, 'must be at least 2048').max(8192, 'must be at most 8192').optional(),
          expiration: expirationSchema.optional(),
        })
        .optional(),
    })
    .optional(),
  rootChain: z.strictObject({ requestTimeout: durationSchema.optional() }).optional(),
});

// Backend `conf`s are protobuf Structs in Kuma: keys other than the known ones are kept, not refused.
// A null value in a Struct is an unset one.
const loggingConf = z.looseObject({ path: z.string().nullable().optional(), address: z.string().nullable().optional() });
const tracingConf = z.looseObject({
  // zipkin
  url: z.string().nullable().optional(),
  traceId128bit: z.boolean().optional(),
  apiVersion: z.string().optional(),
  sharedSpanContext: z.boolean().optional(),
  // datadog
  address: z.string().nullable().optional(),
  port: z.number().int('must be an integer').min(0).optional(),
  splitService: z.boolean().optional(),
});
const prometheusConf = z.looseObject({
  port: z.number().int('must be an integer').min(0).optional(),
  path: z.string().optional(),
  tags: stringMapSchema().optional(),
  skipMTLS: z.boolean().optional(),
  aggregate: z
    .array(
      z.looseObject({ name: z.string().optional(), port: z.number().int('must be an integer').min(0).optional(), path: z.string().optional(), enabled: z.boolean().optional(), address: z.string().optional() }),
    )
    .optional(),
  envoy: z.looseObject({ filterRegex: z.string().optional(), usedOnly: z.boolean().optional() }).optional(),
  tls: z.looseObject({ mode: z.enum(['activeMTLSBackend', 'providedTLS', 'disabled']).optional() }).optional(),
});

const observabilityBackend = (conf: z.ZodType<Record<string, unknown>>, extra: Record<string, z.ZodType> = {}) =>
  z.strictObject({ name: z.string().optional(), type: z.string().optional(), conf: conf.optional(), ...extra });

const constraintRules = z.array(z.strictObject({ tags: stringMapSchema().optional() })).optional();

const structure = z.strictObject({
  mtls: z
    .strictObject({
      enabledBackend: z.string().optional(),
      backends: z.array(backendSchema).optional(),
      skipValidation: z.boolean().optional(),
    })
    .optional(),
  tracing: z
    .strictObject({
      defaultBackend: z.string().optional(),
      backends: z.array(observabilityBackend(tracingConf, { sampling: z.number().optional() })).optional(),
    })
    .optional(),
  logging: z
    .strictObject({
      defaultBackend: z.string().optional(),
      backends: z.array(observabilityBackend(loggingConf, { format: z.string().optional() })).optional(),
    })
    .optional(),
  metrics: z
    .strictObject({
      enabledBackend: z.string().optional(),
      backends: z.array(observabilityBackend(prometheusConf)).optional(),
    })
    .optional(),
  networking: z
    .strictObject({
      outbound: z.strictObject({ passthrough: z.boolean().optional() }).optional(),
    })
    .optional(),
  routing: z
    .strictObject({
      zoneEgress: z.boolean().optional(),
      localityAwareLoadBalancing: z.boolean().optional(),
      defaultForbidMeshExternalServiceAccess: z.boolean().optional(),
    })
    .optional(),
  constraints: z
    .strictObject({
      dataplaneProxy: z.strictObject({ requirements: constraintRules, restrictions: constraintRules }).optional(),
    })
    .optional(),
  skipCreatingInitialPolicies: z.array(z.string()).optional(),
  meshServices: z.strictObject({ mode: z.enum(['Disabled', 'Everywhere', 'ReachableBackends', 'Exclusive']).optional() }).optional(),
});

/** Go's net.SplitHostPort: `host:port` or `[host]:port`, both parts present (the port need not be a number). */
function splitHostPort(address: string): { host: string; port: string } | undefined {
  let host: string;
  let port: string;
  if (address.startsWith('[')) {
    const end = address.indexOf(']');
    if (end < 0 || address[end + 1] !== ':') return undefined;
    host = address.slice(1, end);
    port = address.slice(end + 2);
  } else {
    const i = address.lastIndexOf(':');
    if (i < 0) return undefined;
    host = address.slice(0, i);
    port = address.slice(i + 1);
    if (host.includes(':')) return undefined;
  }
  if (port.includes(':') || port.includes('[') || port.includes(']')) return undefined;
  return host === '' || port === '' ? undefined : { host, port };
}

/** Backend names used twice: `<section>.backends[i].name` for every repeat. */
function duplicateNames(backends: unknown[]): { names: Set<string>; violations: Violation[] } {
  const names = new Set<string>();
  const violations: Violation[] = [];
  backends.forEach((b, i) => {
    const name = asString(asObject(b)?.name) ?? '';
    if (names.has(name)) violations.push({ path: ['backends', i, 'name'], message: `${JSON.stringify(name)} name is already used for another backend` });
    names.add(name);
  });
  return { names, violations };
}

function mtlsRules(mtls: Record<string, unknown>): Violation[] {
  const out: Violation[] = [];
  const backends = asArray(mtls.backends);
  if (backends.length > 1) out.push({ path: ['backends'], message: 'cannot have more than 1 backends' });
  const { names, violations } = duplicateNames(backends);
  out.push(...violations);
  for (const b of backends) {
    const dpCert = asObject(asObject(b)?.dpCert);
    if (!dpCert) continue;
    const expiration = asObject(dpCert.rotation)?.expiration;
    // Kuma reports this at `mtls.dpcert.rotation.expiration` (no backend index): so do we, naming the backend.
    if (typeof expiration !== 'number' && parseKumaDuration(asString(expiration) ?? '') === undefined)
      out.push({
        path: ['dpcert', 'rotation', 'expiration'],
        message: `has to be a valid format (backend ${JSON.stringify(asString(asObject(b)?.name) ?? '')}: a number and one unit of y, w, d, h, m, s, ms, like "1d")`,
      });
  }
  const enabled = asString(mtls.enabledBackend);
  if (enabled && !names.has(enabled)) out.push({ path: ['enabledBackend'], message: 'has to be set to one of the backends in the mesh' });
  return out;
}

function loggingRules(logging: Record<string, unknown>): Violation[] {
  const out: Violation[] = [];
  const backends = asArray(logging.backends);
  const names = new Set<string>();
  backends.forEach((value, i) => {
    const b = asObject(value);
    if (!b) return;
    const at = ['backends', i];
    const name = asString(b.name) ?? '';
    if (name === '') out.push({ path: [...at, 'name'], message: 'cannot be empty' });
    const conf = asObject(b.conf) ?? {};
    // Kuma reports a backend's conf at `config`.
    switch (b.type) {
      case 'file':
        if (!asString(conf.path)) out.push({ path: [...at, 'config', 'path'], message: 'cannot be empty' });
        break;
      case 'tcp': {
        const address = asString(conf.address) ?? '';
        if (address === '') out.push({ path: [...at, 'config', 'address'], message: 'cannot be empty' });
        else if (!splitHostPort(address))
          out.push({ path: [...at, 'config', 'address'], message: 'has to be in format of HOST:PORT' });
        break;
      }
      default:
        out.push({ path: [...at, 'type'], message: 'unknown backend type. Available backends: "tcp", "file"' });
    }
    if (names.has(name)) out.push({ path: [...at, 'name'], message: `${JSON.stringify(name)} name is already used for another backend` });
    names.add(name);
  });
  const def = asString(logging.defaultBackend);
  if (def && !names.has(def)) out.push({ path: ['defaultBackend'], message: 'has to be set to one of the logging backend in mesh' });
  return out;
}

const ZIPKIN_API_VERSIONS = ['httpJsonV1', 'httpJson', 'httpProto'];

function zipkinRules(conf: Record<string, unknown>): Violation[] {
  const out: Violation[] = [];
  const apiVersion = asString(conf.apiVersion) ?? '';
  if (apiVersion !== '' && !ZIPKIN_API_VERSIONS.includes(apiVersion))
    out.push({ path: ['apiVersion'], message: `has invalid value. Allowed values: ${ZIPKIN_API_VERSIONS.join(', ')}` });
  const url = asString(conf.url) ?? '';
  if (url === '') return [...out, { path: ['url'], message: 'cannot be empty' }];
  // Go's url.ParseRequestURI takes an absolute URL or an absolute path; the port must be written.
  const absolute = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/([^/?#]*)/.exec(url);
  let valid = url.startsWith('/');
  if (absolute) {
    try {
      new URL(url);
      valid = true;
    } catch {
      valid = false;
    }
  }
  if (!valid) out.push({ path: ['url'], message: 'invalid URL' });
  else if (!/:\d+$/.test(absolute?.[1] ?? '')) out.push({ path: ['url'], message: 'port has to be explicitly specified' });
  return out;
}

function tracingRules(tracing: Record<string, unknown>): Violation[] {
  const out: Violation[] = [];
  const names = new Set<string>();
  asArray(tracing.backends).forEach((value, i) => {
    const b = asObject(value);
    if (!b) return;
    const at = ['backends', i];
    const name = asString(b.name) ?? '';
    if (name === '') out.push({ path: [...at, 'name'], message: 'cannot be empty' });
    if (typeof b.sampling === 'number' && (b.sampling < 0 || b.sampling > 100)) out.push({ path: [...at, 'sampling'], message: 'has to be in [0.0 - 100.0] range' });
    const conf = asObject(b.conf) ?? {};
    switch (b.type) {
      case 'zipkin':
        out.push(...under([...at, 'config'], zipkinRules(conf)));
        break;
      case 'datadog': {
        if (!asString(conf.address)) out.push({ path: [...at, 'config', 'address'], message: 'cannot be empty' });
        const port = conf.port;
        if (port === undefined || (typeof port === 'number' && (port < 1 || port > 65535)))
          out.push({ path: [...at, 'config', 'port'], message: 'port must be in the range [1, 65535]' });
        break;
      }
      default:
        out.push({ path: [...at, 'type'], message: 'unknown backend type. Available backends: "zipkin", "datadog"' });
    }
    if (names.has(name)) out.push({ path: [...at, 'name'], message: `${JSON.stringify(name)} name is already used for another backend` });
    names.add(name);
  });
  const def = asString(tracing.defaultBackend);
  if (def && !names.has(def)) out.push({ path: ['defaultBackend'], message: 'has to be set to one of the tracing backend in mesh' });
  return out;
}

function prometheusRules(conf: Record<string, unknown>): Violation[] {
  const tls = asObject(conf.tls);
  if (conf.skipMTLS !== undefined && tls) {
    const skip = conf.skipMTLS === true;
    const mode = asString(tls.mode) ?? 'activeMTLSBackend';
    const same = (!skip && mode === 'activeMTLSBackend') || (skip && mode === 'disabled');
    if (!same) return [{ path: [], message: 'skipMTLS and tls configuration cannot be defined together' }];
  }
  const filterRegex = asString(asObject(conf.envoy)?.filterRegex);
  if (filterRegex) {
    try {
      new RegExp(filterRegex);
    } catch (e) {
      return [{ path: ['envoy', 'filterRegex'], message: `provided regexp isn't correct: ${(e as Error).message}` }];
    }
  }
  const out: Violation[] = [];
  const seen = new Set<string>();
  asArray(conf.aggregate).forEach((a, i) => {
    const name = asString(asObject(a)?.name) ?? '';
    if (seen.has(name)) out.push({ path: ['aggregate', i, 'name'], message: `duplicate entry: ${name}, values have to be unique` });
    else seen.add(name);
  });
  return out;
}

function metricsRules(metrics: Record<string, unknown>): Violation[] {
  const out: Violation[] = [];
  const names = new Set<string>();
  asArray(metrics.backends).forEach((value, i) => {
    const b = asObject(value);
    if (!b) return;
    const name = asString(b.name) ?? '';
    if (names.has(name)) out.push({ path: ['backends', i, 'name'], message: `${JSON.stringify(name)} name is already used for another backend` });
    if (b.type !== 'prometheus') out.push({ path: ['backends', i, 'type'], message: 'unknown backend type. Available backends: "prometheus"' });
    else out.push(...under(['backends', i, 'conf'], prometheusRules(asObject(b.conf) ?? {})));
    names.add(name);
  });
  const enabled = asString(metrics.enabledBackend);
  if (enabled && !names.has(enabled)) out.push({ path: ['enabledBackend'], message: 'has to be set to one of the backends in the mesh' });
  return out;
}

function constraintsRules(constraints: Record<string, unknown>): Violation[] {
  const dpp = asObject(constraints.dataplaneProxy);
  if (!dpp) return [];
  const out: Violation[] = [];
  for (const list of ['requirements', 'restrictions'] as const)
    asArray(dpp[list]).forEach((r, i) => {
      out.push(...under(['dataplaneProxy', list, i, 'tags'], validateTags(asObject(r)?.tags ?? {}, { requireAtLeastOne: true, selector: true })));
    });
  return out;
}

/** Kuma's rules, each section at its own path (`mtls...`, `logging.backends[0].config.path`, ...). */
function meshRules(value: unknown): Violation[] {
  const spec = asObject(value);
  if (!spec) return [];
  const out: Violation[] = [];
  const section = (name: string, rules: (o: Record<string, unknown>) => Violation[]) => {
    const o = asObject(spec[name]);
    if (o) out.push(...under([name], rules(o)));
  };
  section('mtls', mtlsRules);
  section('logging', loggingRules);
  section('tracing', tracingRules);
  section('metrics', metricsRules);
  section('constraints', constraintsRules);
  if (asObject(spec.routing)?.zoneEgress === true && !asString(asObject(spec.mtls)?.enabledBackend))
    out.push({ path: ['mtls'], message: 'has to be set when zoneEgress enabled (set "mtls.enabledBackend" to a builtin backend)' });
  return out;
}

export const meshSchema = kumaRules(structure, meshRules);

export function meshMtlsEnabled(spec: MeshSpec): boolean {
  const enabled = spec.mtls?.enabledBackend;
  return typeof enabled === 'string' && enabled !== '' && (spec.mtls?.backends ?? []).some((b) => b?.name === enabled);
}

/** The mesh's effective passthrough setting (default true). */
export function meshPassthrough(spec: MeshSpec): boolean {
  return spec.networking?.outbound?.passthrough ?? true;
}

/**
 * What a Mesh holds that Causeway accepts and stores for Kuma compatibility but does not apply (the
 * descriptor's `unapplied`; `unappliedFields` returns them with document paths).
 */
export function meshUnapplied(spec: MeshSpec): Unapplied[] {
  const out: Unapplied[] = [];
  const add = (path: PropertyKey[], reason: string) => out.push({ path, reason });
  if (isSet(spec.logging)) add(['logging'], 'not applied: proxies write no access logs to these backends');
  if (isSet(spec.tracing)) add(['tracing'], 'not applied: proxies send no traces to these backends');
  if (isSet(spec.metrics)) add(['metrics'], 'not applied: proxies expose no metrics to these backends (the control plane does not configure them)');
  if (isSet(spec.constraints)) add(['constraints'], 'not applied: dataplane proxies are not checked against these constraints (a proxy they would refuse connects)');
  if (isSet(spec.meshServices?.mode) && spec.meshServices?.mode !== 'Disabled') add(['meshServices'], 'not applied: Causeway has no MeshService resources; services are the kuma.io/service tags');
  if (isSet(spec.skipCreatingInitialPolicies)) add(['skipCreatingInitialPolicies'], 'not applied: Causeway creates no initial policies for a mesh');
  if (isSet(spec.routing?.defaultForbidMeshExternalServiceAccess)) add(['routing', 'defaultForbidMeshExternalServiceAccess'], 'not applied: it has no effect (Causeway has no MeshExternalService)');
  if (isSet(spec.mtls?.skipValidation)) add(['mtls', 'skipValidation'], 'not applied: the CA backends are validated anyway');
  (spec.mtls?.backends ?? []).forEach((b, i) => {
    if (isSet(b.rootChain)) add(['mtls', 'backends', i, 'rootChain'], 'not applied: the root chain is not requested with this timeout');
    if (isSet(b.dpCert?.requestTimeout)) add(['mtls', 'backends', i, 'dpCert', 'requestTimeout'], 'not applied: certificate requests do not use this timeout');
  });
  return out;
}
