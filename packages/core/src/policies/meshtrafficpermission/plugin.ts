/**
 * MeshTrafficPermission (Kuma's `targetRef` + `from[].targetRef` + `default.action: Allow | Deny |
 * AllowWithShadowDeny`). The top-level targetRef selects the destination (a Dataplane inbound, or an
 * ExternalService by its tags: `kind: MeshService, name: <kuma.io/service>`); `from[]` selects callers.
 *
 * Callers are known by their workload certificate: URI SANs `spiffe://<mesh>/<service>` for each
 * inbound service and `kuma://<tag>/<value>` for each other inbound tag. A `from[].targetRef` becomes an
 * RBAC principal: `Mesh` -> prefix `spiffe://<mesh>/`, `MeshService` -> exact SPIFFE ID, `MeshSubset` ->
 * every tag (`kuma.io/service` as the SPIFFE ID, others as `kuma://` URIs, value `*` as a prefix),
 * `MeshServiceSubset` -> both.
 *
 * The decision for a caller is the action of the entry with the highest precedence among those that
 * match it (match.ts); no entry matching means **deny**. Encoded as an ALLOW RBAC whose policies are
 * the Allow entries, each minus the Deny entries of higher precedence (`and_ids` + `not_id`); no Allow
 * entry -> `rules: {}` (nothing is allowed). `AllowWithShadowDeny` allows (as Allow).
 *
 * Enforcement (only with mTLS on the mesh: without identities nothing is enforced, as in Kuma):
 * - sidecar inbounds: RBAC on the mTLS filter chain (the HTTP RBAC filter -> 403 for http/http2/grpc
 *   inbounds, the network RBAC filter -> connection closed for tcp); a PERMISSIVE mesh's plaintext
 *   chain has no identity and is not checked;
 * - ZoneEgress: RBAC on the chain that terminates mTLS for an ExternalService (same filters by protocol);
 * - no zone egress: the sidecar originates to ExternalServices itself, so an ExternalService the
 *   dataplane may not call is vetoed (`reachable`): the generator makes no listener, cluster, route,
 *   Secret or DNS name for it.
 */
import {
  dataplaneIdentityUris,
  EXTENSION_TYPE_URLS,
  type HttpFilter,
  type HttpRbacConfig,
  meshSni,
  meshSpiffePrefix,
  type RbacConfig,
  type RbacRules,
  spiffeId,
  TAG_URI_SCHEME,
  type Typed,
  tagUri,
  statPrefix,
} from '@causeway/envoy/config';
import type { Resource } from '../../resource.js';
import { SERVICE_TAG } from '../../resources/external-service.js';
import type { TargetRef } from '../common.js';
import { HTTP_PROTOCOLS, type PolicyContext, perContext, type ResourceSet } from '../context.js';
import { canonicalJson, refMatches, type RuleEntry, type Tags } from '../match.js';
import {
  dataplaneTagSets,
  explainEntries,
  explainPolicies,
  type EgressPolicyInput,
  externalTags,
  type PolicyExplanation,
  type PolicyPlugin,
  policiesOf,
  resolveFrom,
  type ProxyInput,
  type SidecarPolicyInput,
  selecting,
  type Veto,
} from '../plugin.js';
import { derive, type Filter, type FilterChain, HCM, mapChains, mapKind } from '../resources.js';
import { meshTrafficPermission, type TrafficAction } from './api.js';

/** An RBAC principal: any caller, or an authenticated one by its SPIFFE ID or tag URI. */
export type Principal = { any: true } | { authenticated: { principal_name: { exact: string } | { prefix: string } } };

const TYPE = meshTrafficPermission.type;

interface Conf {
  action: TrafficAction;
}


export type RbacPrincipal = Principal | { and_ids: { ids: RbacPrincipal[] } } | { or_ids: { ids: RbacPrincipal[] } } | { not_id: RbacPrincipal };

function tagPrincipal(mesh: string, key: string, value: string): RbacPrincipal {
  if (key === SERVICE_TAG)
    return { authenticated: { principal_name: value === '*' ? { prefix: meshSpiffePrefix(mesh) } : { exact: spiffeId(mesh, value) } } };
  return { authenticated: { principal_name: value === '*' ? { prefix: `${TAG_URI_SCHEME}${key}/` } : { exact: tagUri(key, value) } } };
}

/** The RBAC principal of the callers a `from[].targetRef` selects. */
export function principalOf(ref: TargetRef, mesh: string): RbacPrincipal {
  const tags: [string, string][] = [];
  if (ref.kind === 'MeshService' || ref.kind === 'MeshServiceSubset') tags.push([SERVICE_TAG, ref.name as string]);
  if (ref.kind === 'MeshSubset' || ref.kind === 'MeshServiceSubset')
    for (const [k, v] of Object.entries(ref.tags ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) if (!(k === SERVICE_TAG && tags.length > 0)) tags.push([k, v]);
  if (tags.length === 0) return { authenticated: { principal_name: { prefix: meshSpiffePrefix(mesh) } } };
  const ids = tags.map(([k, v]) => tagPrincipal(mesh, k, v));
  return ids.length === 1 ? (ids[0] as RbacPrincipal) : { and_ids: { ids } };
}

const allows = (e: RuleEntry<Conf>) => e.conf.action !== 'Deny';

/** RBAC `rules` (action ALLOW) for entries in ascending precedence: `{}` allows nothing. */
export function rbacRules(entries: RuleEntry<Conf>[], mesh: string): { policies?: Record<string, { permissions: { any: true }[]; principals: RbacPrincipal[] }> } {
  const policies: Record<string, { permissions: { any: true }[]; principals: RbacPrincipal[] }> = {};
  entries.forEach((e, i) => {
    if (!allows(e)) return;
    const denies = entries.slice(i + 1).filter((d) => !allows(d));
    // A later Deny of the whole mesh shadows this Allow completely.
    if (denies.some((d) => d.entryTargetRef.kind === 'Mesh')) return;
    const allow = principalOf(e.entryTargetRef, mesh);
    const deny = denies.map((d) => principalOf(d.entryTargetRef, mesh));
    const principal: RbacPrincipal =
      deny.length === 0 ? allow : { and_ids: { ids: [allow, { not_id: deny.length === 1 ? (deny[0] as RbacPrincipal) : { or_ids: { ids: deny } } }] } };
    policies[`${e.policy}:from[${e.index}]`] = { permissions: [{ any: true }], principals: [principal] };
  });
  return Object.keys(policies).length > 0 ? { policies } : {};
}

/** Whether a caller with these certificate URIs is selected by a `from[].targetRef`. */
export function callerMatches(ref: TargetRef, mesh: string, uris: ReadonlySet<string>): boolean {
  const match = (p: RbacPrincipal): boolean => {
    if ('and_ids' in p) return p.and_ids.ids.every(match);
    if ('or_ids' in p) return p.or_ids.ids.some(match);
    if ('not_id' in p) return !match(p.not_id);
    if ('any' in p) return true;
    const m = p.authenticated.principal_name;
    return 'exact' in m ? uris.has(m.exact) : [...uris].some((u) => u.startsWith(m.prefix));
  };
  return match(principalOf(ref, mesh));
}

/** The decision for one caller: the highest-precedence matching entry, else deny. */
export function decide(entries: RuleEntry<Conf>[], mesh: string, uris: ReadonlySet<string>): { allowed: boolean; by: RuleEntry<Conf> | undefined } {
  for (let i = entries.length - 1; i >= 0; i--) {
    const e = entries[i] as RuleEntry<Conf>;
    if (callerMatches(e.entryTargetRef, mesh, uris)) return { allowed: allows(e), by: e };
  }
  return { allowed: false, by: undefined };
}

// One filter object per rules object (the rules of an inbound are made once per context and tag set): the
// proxies of a service share it, so its typed_config, most of an inbound listener's bytes, is encoded
// once for all of them, not once per proxy when a permission changes.
function networkRbac(stat: string, rules: RbacRules): Filter {
  return derive(rules, `${TYPE}:network-rbac:${stat}`, () => ({
    name: 'envoy.filters.network.rbac',
    typed_config: { '@type': EXTENSION_TYPE_URLS.NetworkRbac, stat_prefix: statPrefix(stat), rules } satisfies Typed<RbacConfig>,
  }));
}

function httpRbac(rules: RbacRules): HttpFilter {
  return derive(rules, `${TYPE}:http-rbac`, () => ({ name: 'envoy.filters.http.rbac', typed_config: { '@type': EXTENSION_TYPE_URLS.HttpRbac, rules } satisfies Typed<HttpRbacConfig> }));
}

/** The chain with RBAC in front of its application filter (HTTP RBAC inside the HCM, network RBAC otherwise). */
function guardChain(chain: FilterChain, stat: string, rules: RbacRules, http: boolean): FilterChain {
  if (http)
    return {
      ...chain,
      filters: chain.filters.map((f) =>
        f.name === HCM ? { ...f, typed_config: { ...f.typed_config, http_filters: [httpRbac(rules), ...((f.typed_config.http_filters as HttpFilter[]) ?? [])] } } : f,
      ),
    };
  return { ...chain, filters: [networkRbac(stat, rules), ...chain.filters] };
}

function inboundEntries(ctx: PolicyContext, tags: Tags): RuleEntry<Conf>[] {
  return resolveFrom<Conf>(selecting(ctx, TYPE, [tags]), [tags]);
}

/** The RBAC rules of an inbound with these tags, and their canonical JSON (once per context and tags). */
function inboundRules(ctx: PolicyContext, tags: Tags): { rules: RbacRules; json: string } {
  return perContext(ctx, `${TYPE}:inbound-rules:${canonicalJson(tags)}`, () => {
    const rules = rbacRules(inboundEntries(ctx, tags), ctx.mesh);
    return { rules, json: canonicalJson(rules) };
  });
}

interface ExternalRules {
  entries: RuleEntry<Conf>[];
  /** Names the entries (equal keys: equal entries, within one context). */
  key: string;
}

/** The entries that apply to each ExternalService, and a key naming them (once per context and service). */
function externalRules(ctx: PolicyContext): (service: string) => ExternalRules {
  return perContext(ctx, `${TYPE}:external-rules`, () => {
    const byService = new Map<string, ExternalRules>();
    return (service: string) => {
      let rules = byService.get(service);
      if (!rules) {
        const tags = [externalTags(ctx, service)];
        const entries = resolveFrom<Conf>(selecting(ctx, TYPE, tags), tags);
        rules = { entries, key: entries.map((e) => `${e.policy}:${e.index}`).join(',') };
        byService.set(service, rules);
      }
      return rules;
    };
  });
}

function externalEntries(ctx: PolicyContext, service: string): RuleEntry<Conf>[] {
  return externalRules(ctx)(service).entries;
}

/** Policies that select an ExternalService of the mesh (once per context). */
function externalPolicies(ctx: PolicyContext): Resource<'MeshTrafficPermission'>[] {
  return perContext(ctx, `${TYPE}:external-policies`, () =>
    policiesOf(ctx, TYPE).filter((p) => [...ctx.external.keys()].some((s) => refMatches(p.spec.targetRef, [externalTags(ctx, s)]))),
  );
}

/** The ExternalServices of the context grouped by the key of the entries that apply to them (once per context). */
function externalGroups(ctx: PolicyContext): { entries: RuleEntry<Conf>[]; services: string[] }[] {
  return perContext(ctx, `${TYPE}:external-groups`, () => {
    const rulesOf = externalRules(ctx);
    const groups = new Map<string, { entries: RuleEntry<Conf>[]; services: string[] }>();
    for (const service of ctx.external.keys()) {
      const { entries, key } = rulesOf(service);
      const g = groups.get(key) ?? { entries, services: [] };
      g.services.push(service);
      groups.set(key, g);
    }
    return [...groups.values()];
  });
}

/** A dataplane's certificate URIs and a key naming them (kept per spec object: a proxy's spec is reused across passes). */
const identities = new WeakMap<object, { mesh: string; uris: Set<string>; key: string }>();
function identityOf(mesh: string, spec: Resource<'Dataplane'>['spec']): { uris: Set<string>; key: string } {
  let id = identities.get(spec);
  if (!id || id.mesh !== mesh) {
    const uris = new Set(dataplaneIdentityUris(mesh, spec));
    id = { mesh, uris, key: [...uris].sort().join(' ') };
    identities.set(spec, id);
  }
  return id;
}

/**
 * The veto (mTLS on, no zone egress: the sidecar originates to ExternalServices itself): an
 * ExternalService the dataplane may not call is not generated for it. With a zone egress the egress
 * enforces the permission; without mTLS nothing is enforced; mesh services are checked at their inbound.
 * The decision depends on the proxy only through its certificate URIs, and on the ExternalService only
 * through the entries that apply to it: it is made once per context, set of URIs and set of entries.
 */
function reachable(proxy: ProxyInput): Veto | undefined {
  const { ctx } = proxy;
  if (!ctx.mtls || ctx.zoneEgress) return undefined;
  const { uris, key } = identityOf(ctx.mesh, proxy.dataplane.spec);
  return perContext(ctx, `${TYPE}:veto:${key}`, (): Veto => {
    const denied = new Set<string>();
    for (const g of externalGroups(ctx)) if (!decide(g.entries, ctx.mesh, uris).allowed) for (const s of g.services) denied.add(s);
    return { key: `${TYPE}:${key}`, denied };
  });
}

function sidecar(set: ResourceSet, input: SidecarPolicyInput): ResourceSet {
  const { ctx } = input;
  if (!ctx.mtls) return set;
  let out = set;
  for (const ib of input.inbounds) {
    const { rules, json } = inboundRules(ctx, ib.tags);
    const http = HTTP_PROTOCOLS.has(ib.protocol);
    out = mapKind(out, 'Listener', (l) =>
      l.name !== ib.listener
        ? l
        : derive(l, `${TYPE}:${json}`, (o) =>
            mapChains(o, (chain) => (chain.transport_socket ? guardChain(chain, `inbound_rbac_${ib.service}`, rules, http) : chain)),
          ),
    );
  }
  return out;
}

function egress(set: ResourceSet, input: EgressPolicyInput): ResourceSet {
  const guards = new Map<string, { rules: RbacRules; http: boolean; stat: string }>();
  for (const ctx of input.contexts.values()) {
    if (!ctx.mtls) continue;
    for (const [service, list] of ctx.external)
      guards.set(meshSni(service, ctx.mesh), {
        rules: rbacRules(externalEntries(ctx, service), ctx.mesh),
        http: HTTP_PROTOCOLS.has(list[0]?.protocol ?? 'tcp'),
        stat: `egress_rbac_${ctx.mesh}_${service}`,
      });
  }
  // The same guarded listener while the listener and the guards are the same, and the same guarded chain
  // while the chain and its guard are (a new ExternalService re-encodes its own chain, not every chain's filters).
  const keys = new Map([...guards].map(([sni, g]) => [sni, canonicalJson(g)]));
  const key = `${TYPE}:egress:${canonicalJson([...keys])}`;
  return mapKind(set, 'Listener', (l) =>
    derive(l, key, (o) =>
      mapChains(o, (chain) => {
        const g = chain.transport_socket && chain.name !== undefined ? guards.get(chain.name) : undefined;
        return g ? derive(chain, `${TYPE}:egress-chain:${keys.get(chain.name as string)}`, (c) => guardChain(c, g.stat, g.rules, g.http)) : chain;
      }),
    ),
  );
}

function explain(input: SidecarPolicyInput): PolicyExplanation {
  const { ctx } = input;
  const notes: string[] = [];
  if (!ctx.mtls) notes.push(`mesh "${ctx.mesh}" has no mTLS: callers have no identity and permissions are not enforced`);
  const inbounds = input.inbounds.map((ib) => {
    const entries = inboundEntries(ctx, ib.tags);
    return {
      name: ib.key,
      service: ib.service,
      rules: explainEntries(entries, 'from'),
      result: {
        enforced: ctx.mtls,
        defaultAction: ctx.mtls ? 'Deny' : 'Allow',
        rbac: rbacRules(entries, ctx.mesh),
        ...(ctx.mtls && ctx.mtlsMode === 'PERMISSIVE' ? { plaintext: 'allowed without a check (PERMISSIVE mTLS)' } : {}),
      },
    };
  });
  const uris = new Set(dataplaneIdentityUris(ctx.mesh, input.dataplane.spec));
  const outbounds = input.outbounds
    .filter((t) => t.external)
    .map((t) => {
      const entries = externalEntries(ctx, t.service);
      const d = decide(entries, ctx.mesh, uris);
      const where = !ctx.mtls ? 'not enforced (no mTLS)' : ctx.zoneEgress ? 'enforced by the ZoneEgress' : d.allowed ? 'allowed: configured' : 'denied: left out of this proxy';
      return {
        name: t.service,
        service: t.service,
        rules: explainEntries(entries, 'from'),
        result: { allowed: !ctx.mtls || d.allowed, decidedBy: d.by ? `${d.by.policy} from[${d.by.index}] (${d.by.conf.action})` : 'no matching entry: default deny', enforcement: where },
      };
    });
  return { type: TYPE, policies: explainPolicies(ctx, TYPE, dataplaneTagSets(input.dataplane.spec)), outbounds, inbounds, ...(notes.length > 0 ? { notes } : {}) };
}

export const meshTrafficPermissionPlugin: PolicyPlugin<'MeshTrafficPermission'> = {
  api: meshTrafficPermission,
  sidecar,
  egress,
  explain,
  reachable,
  relevantToSidecar: (ctx: PolicyContext, dp: Resource<'Dataplane'>) => {
    const own = selecting(ctx, TYPE, dataplaneTagSets(dp.spec));
    if (!ctx.mtls || ctx.zoneEgress) return own;
    // Without zone egress, permissions of ExternalServices decide what this sidecar gets.
    const external = externalPolicies(ctx);
    return external.length === 0 ? own : [...new Set([...own, ...external])];
  },
  // `sidecar` guards inbound listeners only; what it decides for outbounds is the veto.
  relevantToOutbounds: () => [],
  relevantToEgress: (ctx: PolicyContext) => (ctx.mtls ? externalPolicies(ctx) : []),
};
