/**
 * THE resource table. One row per type drives the REST routes, the CLI names and columns, the
 * read-only rules, the sync direction, the store checks (references, uniqueness) and validation.
 * Adding a resource type means adding a row here (and its schema under `resources/`); a policy type
 * is a folder under `policies/` instead, whose definition becomes its row (see `policyRow`).
 */
import type { z } from 'zod';
import { externalServiceSchema, externalServiceUnapplied, SERVICE_TAG } from './resources/external-service.js';
import { type DataplaneSpec, dataplaneSchema } from './resources/dataplane.js';
import { meshMtlsEnabled, meshPassthrough, meshSchema, meshUnapplied } from './resources/mesh.js';
import type { PolicyDefinition, TargetRef, Unapplied } from './policies/common.js';
import { POLICIES, type PolicyType } from './policies/registry.js';
import { externalServiceInsightSchema } from './resources/external-service-insight.js';
import { secretSchema } from './resources/secret.js';
import {
  dataplaneInsightSchema,
  zoneEgressSchema,
  zoneIngressSchema,
  zoneInsightSchema,
  zoneSchema,
} from './resources/zone.js';
import { CausewayError, type FieldError } from './errors.js';
import type { Resource, ResourceOf, ResourceType, SpecOf } from './resource.js';
import { formatPath, type HostPort, parseHostPort } from './validation.js';

export type Scope = 'global' | 'mesh';
/** Which control plane owns (may write) a type. */
export type Owner = 'global' | 'zone';
/** Where a type flows over NATS. `none`: stays where it is written. */
export type SyncDirection = 'global-to-zones' | 'zone-to-global' | 'none';

/** Another resource a spec points at; it must exist in the same mesh when the spec is written. */
export interface Reference {
  type: ResourceType;
  name: string;
  /** The spec field that holds the reference, for the error. */
  field: string;
}

/** A value that must be unique among resources of the same type in the same mesh. */
export interface UniqueKey {
  key: string;
  field: string;
  /** Human description of the value, e.g. `address "httpbin.org:443"`. */
  what: string;
}

export interface Column<T extends ResourceType = ResourceType> {
  header: string;
  value(r: ResourceOf<T>): string;
}

/**
 * The row of type `T`: its functions take `SpecOf<T>`, its columns `Resource<T>`, and its schema must
 * produce `SpecOf<T>`. `ResourceDescriptor` (any type) takes any spec: call it with a resource's own
 * descriptor (`descriptorOf(r.type).references(r.spec)`).
 */
export interface ResourceDescriptor<T extends ResourceType = ResourceType> {
  type: T;
  scope: Scope;
  /** REST path segment: `/meshes/{mesh}/<path>` or `/<path>`. */
  path: string;
  cli: { singular: string; plural: string; aliases: string[] };
  owner: Owner;
  sync: SyncDirection;
  /** Global relays a zone-owned type back to every zone (ZoneIngress: zones learn each other's ingresses). */
  relayToZones: boolean;
  /** New-style policies keep their spec under `spec:` in the universal format. */
  specField: 'spec' | undefined;
  /** Carries secret data: readable only with the admin token, never logged. */
  sensitive: boolean;
  /** Written only by the control plane itself (computed, like traffic insights): the API refuses writes everywhere. */
  system: boolean;
  schema: z.ZodType<SpecOf<T>>;
  references(spec: SpecOf<T>): Reference[];
  uniqueKeys(spec: SpecOf<T>): UniqueKey[];
  /** Tag sets a `tag=k:v` list filter matches against (any set containing every filter tag). */
  tagSets(spec: SpecOf<T>): Record<string, string>[];
  /** Table columns after MESH/NAME and before AGE. */
  columns: Column<T>[];
  /**
   * The fields of a spec Causeway accepts and stores (as Kuma does) but does not apply, with document paths
   * (`spec.from[0].targetRef.kind`, `networking.disableHostDNSEntry`) and what each means for traffic. Absent:
   * the type applies everything it accepts. Read it with `unappliedFields(r)`.
   */
  unapplied?(spec: SpecOf<T>): FieldError[];
}

const none = () => [];

/** `Unapplied` (paths relative to the spec) as document fields: under `spec` for a policy. */
function fieldsOf(list: readonly Unapplied[], prefix: PropertyKey[] = []): FieldError[] {
  return list.map((u) => ({ field: formatPath([...prefix, ...u.path]), reason: u.reason }));
}

/** One spelling per host, so that equal addresses collide: DNS names lower-cased without the root dot, IPv6 compressed. */
function canonicalHost(hp: HostPort): string {
  if (hp.kind === 'ip6') {
    try {
      return new URL(`http://[${hp.host}]/`).hostname.slice(1, -1);
    } catch {
      return hp.host.toLowerCase(); // e.g. a zone id (`fe80::1%eth0`) the URL parser refuses
    }
  }
  return hp.host.toLowerCase().replace(/\.$/, '');
}

function tagsText(tags: Record<string, string> | undefined): string {
  return Object.entries(tags ?? {})
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
}

function targetRefText(ref: TargetRef | undefined): string {
  if (!ref) return 'Mesh';
  if (ref.name) return `${ref.kind}/${ref.name}`;
  if (ref.tags) return `${ref.kind}(${tagsText(ref.tags)})`;
  return ref.kind;
}

const policyColumns: Column<PolicyType>[] = [{ header: 'TARGETREF', value: (r) => targetRefText(r.spec.targetRef) }];

function row<T extends ResourceType>(
  d: Partial<ResourceDescriptor<T>> & Pick<ResourceDescriptor<T>, 'type' | 'scope' | 'path' | 'owner' | 'sync' | 'schema'> & { singular: string },
): ResourceDescriptor<T> {
  const { singular, ...rest } = d;
  return {
    cli: { singular, plural: d.path, aliases: [] },
    relayToZones: false,
    specField: undefined,
    sensitive: false,
    system: false,
    references: none,
    uniqueKeys: none,
    tagSets: none,
    columns: [],
    ...rest,
  };
}

/** A policy's row: what its definition says, the rest is the same for every policy. */
function policyRow(p: PolicyDefinition<PolicyType, SpecOf<PolicyType>>): ResourceDescriptor<PolicyType> {
  const d = row({
    type: p.type,
    scope: 'mesh',
    path: p.plural,
    singular: p.type.toLowerCase(),
    owner: 'global',
    sync: 'global-to-zones',
    specField: 'spec',
    schema: p.schema,
    columns: policyColumns,
  });
  const own = p.unapplied;
  if (own) d.unapplied = (spec) => fieldsOf(own.call(p, spec), ['spec']);
  d.cli.aliases.push(...p.aliases);
  return d;
}

export const DESCRIPTORS: readonly ResourceDescriptor[] = [
  row({
    type: 'Mesh',
    scope: 'global',
    path: 'meshes',
    singular: 'mesh',
    owner: 'global',
    sync: 'global-to-zones',
    schema: meshSchema,
    unapplied: (spec) => fieldsOf(meshUnapplied(spec)),
    columns: [
      { header: 'mTLS', value: (r) => (meshMtlsEnabled(r.spec) ? `builtin/${r.spec.mtls?.enabledBackend}` : 'off') },
      { header: 'LOCALITY', value: (r) => (r.spec.routing?.localityAwareLoadBalancing ? 'on' : 'off') },
      { header: 'ZONEEGRESS', value: (r) => (r.spec.routing?.zoneEgress ? 'on' : 'off') },
      { header: 'PASSTHROUGH', value: (r) => (meshPassthrough(r.spec) ? 'on' : 'off') },
    ],
  }),
  row({
    type: 'Dataplane',
    scope: 'mesh',
    path: 'dataplanes',
    singular: 'dataplane',
    owner: 'zone',
    sync: 'zone-to-global',
    schema: dataplaneSchema,
    tagSets: (spec) => (spec.networking?.inbound ?? []).map((i) => i.tags),
    columns: [
      { header: 'TAGS', value: (r) => [...new Set((r.spec.networking.inbound ?? []).map((i) => tagsText(i.tags)))].join(', ') },
      { header: 'ADDRESS', value: (r) => r.spec.networking.address },
    ],
  }),
  row({
    type: 'ExternalService',
    scope: 'mesh',
    path: 'external-services',
    singular: 'external-service',
    owner: 'global',
    sync: 'global-to-zones',
    schema: externalServiceSchema,
    unapplied: (spec) => fieldsOf(externalServiceUnapplied(spec)),
    tagSets: (spec) => [spec.tags ?? {}],
    references: (spec) => {
      const tls = spec.networking?.tls;
      const refs: Reference[] = [];
      for (const f of ['caCert', 'clientCert', 'clientKey'] as const) {
        const name = tls?.[f]?.secret;
        if (name) refs.push({ type: 'Secret', name, field: `networking.tls.${f}` });
      }
      return refs;
    },
    uniqueKeys: (spec) => {
      const address = spec.networking?.address;
      const hp = typeof address === 'string' ? parseHostPort(address) : 'missing';
      if (typeof hp === 'string') return [];
      return [{ key: `address:${canonicalHost(hp)}:${hp.port}`, field: 'networking.address', what: `address "${address}"` }];
    },
    columns: [
      { header: 'TAGS', value: (r) => tagsText(r.spec.tags) },
      { header: 'ADDRESS', value: (r) => r.spec.networking.address },
    ],
  }),
  row({
    type: 'ZoneIngress',
    scope: 'global',
    path: 'zoneingresses',
    singular: 'zoneingress',
    owner: 'zone',
    sync: 'zone-to-global',
    relayToZones: true,
    schema: zoneIngressSchema,
    columns: [
      { header: 'ZONE', value: (r) => r.spec.zone ?? '' },
      {
        header: 'ADDRESS',
        value: (r) => {
          const n = r.spec.networking;
          return `${n.advertisedAddress ?? n.address}:${n.advertisedPort ?? n.port}`;
        },
      },
      { header: 'SERVICES', value: (r) => String(r.spec.availableServices?.length ?? 0) },
    ],
  }),
  row({
    type: 'ZoneEgress',
    scope: 'global',
    path: 'zoneegresses',
    singular: 'zoneegress',
    owner: 'zone',
    sync: 'zone-to-global',
    schema: zoneEgressSchema,
    columns: [
      { header: 'ZONE', value: (r) => r.spec.zone ?? '' },
      { header: 'ADDRESS', value: (r) => `${r.spec.networking.address}:${r.spec.networking.port}` },
    ],
  }),
  row({
    type: 'Zone',
    scope: 'global',
    path: 'zones',
    singular: 'zone',
    owner: 'global',
    sync: 'none',
    schema: zoneSchema,
    columns: [{ header: 'ENABLED', value: (r) => String(r.spec.enabled ?? true) }],
  }),
  row({
    type: 'ZoneInsight',
    scope: 'global',
    path: 'zone-insights',
    singular: 'zone-insight',
    owner: 'zone',
    sync: 'zone-to-global',
    schema: zoneInsightSchema,
    columns: [
      { header: 'VERSION', value: (r) => r.spec.controlPlaneVersion ?? '' },
      { header: 'LAST HEARTBEAT', value: (r) => r.spec.heartbeatTime ?? '' },
    ],
  }),
  row({
    type: 'DataplaneInsight',
    scope: 'mesh',
    path: 'dataplane-insights',
    singular: 'dataplane-insight',
    owner: 'zone',
    sync: 'zone-to-global',
    schema: dataplaneInsightSchema,
  }),
  row({
    // Traffic to an ExternalService seen by one zone's proxies (the zone's leader scrapes them).
    type: 'ExternalServiceInsight',
    scope: 'mesh',
    path: 'external-service-insights',
    singular: 'external-service-insight',
    owner: 'zone',
    sync: 'zone-to-global',
    system: true,
    schema: externalServiceInsightSchema,
    columns: [
      { header: 'EXTERNAL SERVICE', value: (r) => r.spec.externalService },
      { header: 'ZONE', value: (r) => r.spec.zone ?? r.labels['causeway.io/zone'] ?? '' },
      { header: 'CALLERS', value: (r) => String(r.spec.callers?.length ?? 0) },
    ],
  }),
  row({
    type: 'Secret',
    scope: 'mesh',
    path: 'secrets',
    singular: 'secret',
    owner: 'global',
    sync: 'global-to-zones',
    sensitive: true,
    schema: secretSchema,
  }),
  row({
    type: 'GlobalSecret',
    scope: 'global',
    path: 'global-secrets',
    singular: 'global-secret',
    owner: 'global',
    sync: 'global-to-zones',
    sensitive: true,
    schema: secretSchema,
  }),
  ...POLICIES.map(policyRow),
];

// Extra CLI spellings users of kumactl type.
const ALIASES: Partial<Record<ResourceType, string[]>> = {
  ExternalService: ['externalservice', 'externalservices', 'es'],
  ZoneIngress: ['zone-ingress', 'zone-ingresses'],
  ZoneEgress: ['zone-egress', 'zone-egresses'],
  Dataplane: ['dp', 'dps'],
};
for (const d of DESCRIPTORS) d.cli.aliases.push(...(ALIASES[d.type] ?? []));

const BY_TYPE = new Map(DESCRIPTORS.map((d) => [d.type, d]));
const BY_CLI_NAME = new Map<string, ResourceDescriptor>();
for (const d of DESCRIPTORS) {
  for (const n of [d.cli.singular, d.cli.plural, ...d.cli.aliases, d.type.toLowerCase()]) BY_CLI_NAME.set(n, d);
}
const BY_PATH = new Map(DESCRIPTORS.map((d) => [d.path, d]));

export function isResourceType(t: unknown): t is ResourceType {
  return typeof t === 'string' && BY_TYPE.has(t as ResourceType);
}

/** The row of `type`: `descriptorOf('ExternalService').references` takes an `ExternalServiceSpec`. */
export function descriptorOf<T extends ResourceType>(type: T): ResourceDescriptor<T> {
  const d = BY_TYPE.get(type);
  if (!d) throw new CausewayError('INVALID', `unknown resource type ${JSON.stringify(type)}`, [{ field: 'type', reason: `unknown type ${JSON.stringify(type)}` }]);
  // BY_TYPE maps each type to the row made for it (row<T> checked its functions against SpecOf<T>).
  return d as ResourceDescriptor<T>;
}

/** Finds a descriptor by a CLI name (`external-service`, `external-services`, `es`, ...). */
export function descriptorByCliName(name: string): ResourceDescriptor | undefined {
  return BY_CLI_NAME.get(name.toLowerCase());
}

export function descriptorByPath(path: string): ResourceDescriptor | undefined {
  return BY_PATH.get(path);
}

/** Every CLI type name, for help texts. */
export function cliTypeNames(): string[] {
  return DESCRIPTORS.map((d) => d.cli.plural);
}

/** The service names of an inbound list, used by several columns and generators. */
export function dataplaneServices(spec: DataplaneSpec): string[] {
  return [...new Set((spec.networking.inbound ?? []).map((i) => i.tags[SERVICE_TAG]).filter((s): s is string => !!s))];
}

/**
 * The fields of `r` that Causeway accepts and stores, as Kuma does, but does not apply: `{ field, reason }`
 * with the document's path (`spec.from[0].targetRef.kind`) and what it means for traffic (`this Deny denies
 * nothing in Causeway`). Empty when everything written is applied. The type's descriptor (a policy's
 * `unapplied` in its folder's `api.ts`) says which; the API answers writes with them as Kuma's `warnings`.
 * `r` must be valid (as stored or decoded).
 */
export function unappliedFields(r: Resource): FieldError[] {
  const d = BY_TYPE.get(r.type);
  return d?.unapplied ? d.unapplied(r.spec as never) : [];
}

/** Kuma's warning text of an unapplied field: `<field>: <reason>`. */
export function warningText(f: FieldError): string {
  return `${f.field}: ${f.reason}`;
}

/** The types whose resources may hold fields Causeway does not apply (those with an `unapplied`). */
export const TYPES_WITH_UNAPPLIED_FIELDS: readonly ResourceType[] = DESCRIPTORS.filter((d) => d.unapplied !== undefined).map((d) => d.type);
