/**
 * The policy plugin contract. A policy is one folder `policies/<name>/` whose `plugin.ts` exports a
 * `PolicyPlugin` for the definition in its `api.ts` (type, schema, order), which @causeway/xds's generators
 * call:
 * what its destinations may be (`reachable`, asked before generation), how it changes the resources the
 * generators produced, for sidecars and ZoneEgresses (in ascending `api.order`; each returns a new
 * ResourceSet and never mutates a generated object, see resources.ts), how it explains itself, and which
 * of its policies can change a proxy. Its entries match as match.ts says (`to[]` destinations, `from[]`
 * callers).
 *
 * A sidecar's outbound part (VIP listeners, clusters, endpoints, routes of its destinations) is shared by
 * every proxy of the mesh context with the same destinations and the same relevant policies, so the
 * generator applies `sidecar` to that part once for all of them, and to each proxy's own part (inbounds,
 * DNS, declared outbounds, passthrough, Secrets) on its own, then merges the two. That is exact because
 * of what `sidecar` must be: **pointwise** (each resource is changed on its own, chosen by its kind and
 * name; nothing is added, removed or renamed), and for the resources of an outbound, a function of the
 * context, the outbound's target and the policies `relevantToOutbounds` (by default `relevantToSidecar`)
 * returns for the proxy (not of anything else of the dataplane).
 */
import { type EnvoyJson, inboundListenerName, localClusterName } from '@causeway/envoy/config';
import type { Resource, SpecOf } from '../resource.js';
import type { DataplaneSpec } from '../resources/dataplane.js';
import { PROTOCOL_TAG, SERVICE_TAG } from '../resources/external-service.js';
import type { PolicyDefinition, TargetRef } from './common.js';
import { type PolicyContext, perContext, type Protocol, type ResourceSet } from './context.js';
import { collectEntries, MESH_REF, mergeConfs, type PolicyWithConf, refMatches, type RuleEntry, type Tags } from './match.js';
import type { PolicyType } from './registry.js';

/** A sidecar, as the veto sees it: before anything is generated for it. */
export interface ProxyInput {
  ctx: PolicyContext;
  dataplane: Resource<'Dataplane'>;
}

export interface SidecarPolicyInput extends ProxyInput {
  /** Services the generator configured outbounds for (what no plugin vetoed). */
  outbounds: OutboundTarget[];
  inbounds: InboundTarget[];
  proxyless: boolean;
}

export interface EgressPolicyInput {
  contexts: Map<string, PolicyContext>;
}

/** An outbound destination of a sidecar. */
export interface OutboundTarget {
  service: string;
  protocol: Protocol;
  /** Tags `to[].targetRef` is matched against: an ExternalService's tags, or a mesh service's service + protocol. */
  tags: Tags;
  external: boolean;
}

/** An inbound of a sidecar. */
export interface InboundTarget {
  /** `<address>:<port>` */
  key: string;
  listener: string;
  /** The cluster to the application. */
  cluster: string;
  service: string;
  protocol: Protocol;
  tags: Tags;
}

/** What applies to one outbound / inbound, and the merged result. */
export interface Resolved<C> {
  entries: RuleEntry<C>[];
  conf: C;
}

/** One line of `GET .../policies`: an entry that applies, with its precedence (1 = applied first, the highest wins). */
export interface ExplainedEntry {
  policy: string;
  targetRef: TargetRef;
  entryTargetRef: TargetRef;
  section: 'to' | 'from';
  index: number;
  precedence: number;
}

export interface ExplainedTarget {
  /** Outbound: the service; inbound: `<address>:<port>`. */
  name: string;
  service: string;
  rules: ExplainedEntry[];
  /** The merged configuration (or, for permissions, the resulting decision). */
  result: unknown;
}

export interface PolicyExplanation {
  type: string;
  /** Policies of this type whose top-level targetRef selects the proxy. */
  policies: { name: string; targetRef: TargetRef }[];
  outbounds: ExplainedTarget[];
  inbounds: ExplainedTarget[];
  /** Plugin-specific notes (e.g. why a policy has no effect). */
  notes?: string[];
}

export interface PolicyPlugin<T extends PolicyType = PolicyType> {
  /** The policy's definition (its type, schema and order), from `api.ts` in the same folder. */
  readonly api: PolicyDefinition<T, SpecOf<T>>;
  /**
   * The veto, asked before generation: of the destinations the sidecar would get (its reachable mesh
   * services and ExternalServices, and its `networking.outbound` services), those it may not reach. A
   * denied destination is not generated at all: no listener, cluster, endpoints, route, Secret or DNS
   * name. Absent, or returning undefined: this plugin vetoes nothing for the proxy.
   */
  reachable?(proxy: ProxyInput): Veto | undefined;
  /** Changes a sidecar's resources; pointwise (see the module comment). */
  sidecar?(set: ResourceSet, input: SidecarPolicyInput): ResourceSet;
  egress?(set: ResourceSet, input: EgressPolicyInput): ResourceSet;
  explain(input: SidecarPolicyInput): PolicyExplanation;
  /**
   * The policies of this type that can change this sidecar's config (part of its input hash). A function
   * of the context and the dataplane's inbound tag sets (`dataplaneTagSets`) only: the answer is shared
   * by every proxy with the same tags.
   */
  relevantToSidecar(ctx: PolicyContext, dataplane: Resource<'Dataplane'>): Resource<PolicyType>[];
  /**
   * Of those, the ones that can change the resources of the sidecar's outbounds (absent: all of
   * `relevantToSidecar`). The outbound part with policies applied is shared by every proxy of a
   * destination set whose outbound policies are the same, so a policy that only touches inbounds (a
   * per-service permission) must not be named here, or every service gets its own copy of the part.
   * What a veto (`reachable`) decides is keyed apart (`Veto.key`), not here.
   */
  relevantToOutbounds?(ctx: PolicyContext, dataplane: Resource<'Dataplane'>): Resource<PolicyType>[];
  /** Same for a ZoneEgress (every mesh). */
  relevantToEgress?(ctx: PolicyContext): Resource<PolicyType>[];
}

/**
 * A plugin's veto for one proxy: the services (mesh services or ExternalServices, by `kuma.io/service`)
 * it may not reach. `key` names everything `denied` depends on besides the mesh context (e.g. the proxy's
 * identity): proxies whose keys are equal get the same set, so the destinations are worked out once per
 * context and key, not once per proxy.
 */
export interface Veto {
  key: string;
  denied: ReadonlySet<string>;
}

export function isPolicyPlugin(v: unknown): v is PolicyPlugin {
  return typeof v === 'object' && v !== null && 'api' in v && typeof (v as { explain?: unknown }).explain === 'function';
}

// ---------------------------------------------------------------------------------------------------
// Resolution helpers shared by the plugins

/**
 * The policies of `type` in the mesh, sorted by name. (Narrowed by hand, not with resource.ts's
 * `isOfType`: resource.ts derives its types from the registry, which loads this module.)
 */
export function policiesOf<T extends PolicyType>(ctx: PolicyContext, type: T): Resource<T>[] {
  return (ctx.policies.get(type) ?? []).filter((p) => p.type === type) as Resource<T>[];
}

/** Tag sets of a Dataplane: one per inbound. */
export function dataplaneTagSets(dp: DataplaneSpec): Tags[] {
  return (dp.networking.inbound ?? []).map((i) => i.tags);
}

/** The tags an ExternalService group (same `kuma.io/service`) has in common (one object per context and service: do not mutate). */
export function externalTags(ctx: PolicyContext, service: string): Tags {
  return perContext(ctx, `external-tags:${service}`, () => {
    const list = (ctx.external.get(service) ?? []).map((e) => e.tags);
    const [first, ...rest] = list;
    if (!first) return { [SERVICE_TAG]: service };
    return Object.fromEntries(Object.entries(first).filter(([k, v]) => rest.every((t) => t[k] === v)));
  });
}

/** The target of an outbound to `service` (one object per context and service: do not mutate). */
export function outboundTarget(ctx: PolicyContext, service: string): OutboundTarget {
  const targets = perContext(ctx, 'outbound-targets', () => new Map<string, OutboundTarget>());
  let t = targets.get(service);
  if (!t) {
    const ext = ctx.external.get(service);
    if (ext) t = { service, protocol: ext[0]?.protocol ?? 'tcp', tags: externalTags(ctx, service), external: true };
    else {
      const protocol = ctx.services.get(service)?.protocol ?? 'tcp';
      t = { service, protocol, tags: { [SERVICE_TAG]: service, [PROTOCOL_TAG]: protocol }, external: false };
    }
    targets.set(service, t);
  }
  return t;
}

export function inboundTargets(dp: Resource<'Dataplane'>): InboundTarget[] {
  const n = dp.spec.networking;
  return (n.inbound ?? []).map((ib) => {
    const address = ib.address ?? n.address;
    const servicePort = ib.servicePort ?? ib.port;
    const serviceAddress = ib.serviceAddress ?? '127.0.0.1';
    return {
      key: `${address}:${ib.port}`,
      listener: inboundListenerName(address, ib.port),
      cluster: serviceAddress === '127.0.0.1' ? localClusterName(servicePort) : `inbound:${serviceAddress}:${servicePort}`,
      service: ib.tags[SERVICE_TAG] as string,
      protocol: (ib.tags[PROTOCOL_TAG] as Protocol | undefined) ?? 'tcp',
      tags: ib.tags,
    };
  });
}

/** The `to[]` entries that apply to one outbound of a proxy, and their merge. */
export function resolveTo<C>(policies: readonly PolicyWithConf<C>[], proxyTags: Tags[], target: OutboundTarget): Resolved<C> | undefined {
  const entries = collectEntries<C>(policies, 'to', proxyTags, (ref) => refMatches(ref, [target.tags]));
  if (entries.length === 0) return undefined;
  return { entries, conf: mergeConfs(entries.map((e) => e.conf)) };
}

/** The `from[]` entries of the policies selecting `destinationTags` (every entry, in ascending precedence). */
export function resolveFrom<C>(policies: readonly PolicyWithConf<C>[], destinationTags: Tags[], entryMatches: (ref: TargetRef) => boolean = () => true): RuleEntry<C>[] {
  return collectEntries<C>(policies, 'from', destinationTags, entryMatches);
}

export function explainEntries(entries: RuleEntry<unknown>[], section: 'to' | 'from'): ExplainedEntry[] {
  return entries.map((e, i) => ({ policy: e.policy, targetRef: e.targetRef, entryTargetRef: e.entryTargetRef, section, index: e.index, precedence: i + 1 }));
}

/** Policies of a type whose top-level targetRef selects one of the tag sets. */
export function selecting<T extends PolicyType>(ctx: PolicyContext, type: T, tagSets: Tags[]): Resource<T>[] {
  const { list, byService, others } = selectionIndex(ctx, type);
  const at: number[] = [];
  for (const i of others) if (refMatches((list[i] as Resource<PolicyType>).spec.targetRef, tagSets)) at.push(i);
  for (const t of tagSets) {
    const service = t[SERVICE_TAG];
    for (const i of service !== undefined ? (byService.get(service) ?? []) : []) if (refMatches((list[i] as Resource<PolicyType>).spec.targetRef, tagSets)) at.push(i);
  }
  // In the mesh's order (by name), each once (a dataplane's inbounds may share a service).
  return [...new Set(at)].sort((a, b) => a - b).map((i) => list[i] as Resource<T>);
}

/**
 * The policies of a type, indexed once per context by what their targetRef can select: those naming a
 * service (MeshService, MeshServiceSubset) under its name, the rest (Mesh, MeshSubset, kinds that select
 * nothing) checked one by one. With a permission per service, a proxy's policies are found among the few
 * naming its services, not by matching every policy of the mesh (200 services: 200 policies per tag set).
 */
function selectionIndex(ctx: PolicyContext, type: PolicyType): { list: Resource<PolicyType>[]; byService: Map<string, number[]>; others: number[] } {
  return perContext(ctx, `selection-index:${type}`, () => {
    const list = policiesOf(ctx, type);
    const byService = new Map<string, number[]>();
    const others: number[] = [];
    list.forEach((p, i) => {
      const ref = p.spec.targetRef;
      if ((ref?.kind === 'MeshService' || ref?.kind === 'MeshServiceSubset') && typeof ref.name === 'string') {
        const at = byService.get(ref.name);
        if (at) at.push(i);
        else byService.set(ref.name, [i]);
      } else others.push(i);
    });
    return { list, byService, others };
  });
}

export function explainPolicies(ctx: PolicyContext, type: PolicyType, tagSets: Tags[]): { name: string; targetRef: TargetRef }[] {
  return selecting(ctx, type, tagSets).map((p) => ({ name: p.name, targetRef: p.spec.targetRef ?? MESH_REF }));
}

/** The rules of the service a sidecar outbound RouteConfiguration (`outbound:<service>`) routes to. */
export function routeService<T>(route: EnvoyJson, rules: Map<string, T>): T | undefined {
  const name = route.name as string;
  return name.startsWith('outbound:') ? rules.get(name.slice('outbound:'.length)) : undefined;
}
