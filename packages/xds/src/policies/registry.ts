/**
 * The policy plugins as the generators and the zone controller call them. The plugins themselves live in
 * their policies' folders in @causeway/core (`policies/<name>/plugin.ts`), whose registry derives
 * `POLICY_PLUGINS` from the folders and checks there is one per policy type.
 */
import { createHash } from 'node:crypto';
import {
  dataplaneTagSets,
  type EgressPolicyInput,
  POLICY_PLUGINS,
  type PolicyExplanation,
  type ProxyInput,
  perContext,
  type Resource,
  type ResourceSet,
  type SidecarPolicyInput,
  type Veto,
} from '@causeway/core';
import type { MeshContext } from '../context.js';
import { proxyMemo, sameObjects } from '../generate/common.js';

/** Resource types handled by a plugin (the zone controller watches them). */
export const POLICY_TYPES: readonly string[] = POLICY_PLUGINS.map((p) => p.api.type);

/**
 * The veto of every plugin for one proxy, combined: undefined when no plugin vetoes anything for it, else
 * a key naming the answers (see `Veto`) and the services any plugin denies.
 */
export function vetoOf(proxy: ProxyInput): Veto | undefined {
  const vetoes: Veto[] = [];
  for (const p of POLICY_PLUGINS) {
    const v = p.reachable?.(proxy);
    if (v) vetoes.push(v);
  }
  if (vetoes.length <= 1) return vetoes[0];
  return { key: vetoes.map((v) => v.key).join('|'), denied: new Set(vetoes.flatMap((v) => [...v.denied])) };
}

/**
 * The veto: of `services` (destinations a sidecar would get), those a plugin says it may not reach.
 * The generator makes nothing for them. Empty when no plugin vetoes anything for this proxy.
 */
export function unreachableDestinations(proxy: ProxyInput, services: Iterable<string>): Set<string> {
  const out = new Set<string>();
  const veto = vetoOf(proxy);
  if (!veto) return out;
  for (const s of services) if (veto.denied.has(s)) out.add(s);
  return out;
}

export function applySidecarPolicies(set: ResourceSet, input: SidecarPolicyInput): ResourceSet {
  let out = set;
  for (const p of POLICY_PLUGINS) if (p.sidecar) out = p.sidecar(out, input);
  return out;
}

export function applyEgressPolicies(set: ResourceSet, input: EgressPolicyInput): ResourceSet {
  let out = set;
  for (const p of POLICY_PLUGINS) if (p.egress) out = p.egress(out, input);
  return out;
}

export function explainSidecarPolicies(input: SidecarPolicyInput): PolicyExplanation[] {
  return POLICY_PLUGINS.map((p) => p.explain(input));
}

function digest(list: Resource[]): string {
  return createHash('sha256')
    .update(JSON.stringify(list.map((p) => [p.type, p.name, p.spec])))
    .digest('hex')
    .slice(0, 16);
}

/**
 * Hash of the policies that can change a sidecar's config (`'sidecar'`: part of its input hash, and the
 * key of its own part with policies applied), or only the resources of its outbounds (`'outbounds'`: the
 * key under which proxies share the outbound part with policies applied; `relevantToOutbounds`, where a
 * plugin has it). Per-service permissions give every service its own sidecar hash, but leave the outbound
 * hash alone: the outbound part is then made once per destination set, not once per service. Within one
 * context a policy is named by its type and name, so the digest of a list is worked out once per context.
 */
export function sidecarPolicyHash(ctx: MeshContext, dataplane: Resource<'Dataplane'>, scope: 'sidecar' | 'outbounds' = 'sidecar'): string {
  // Asked more than once per proxy and pass (its input hash, then its generation): kept per dataplane object too.
  const byDataplane = perContext(ctx, `${scope}-policy-hash`, () => new WeakMap<Resource<'Dataplane'>, string>());
  let hash = byDataplane.get(dataplane);
  if (hash === undefined) {
    // A plugin selects a proxy by its inbound tags only (policies/plugin.ts): proxies with the same tags (a
    // service's replicas) share the answer, worked out once per context instead of once per proxy.
    hash = perContext(ctx, `${scope}-policy-hash:${tagsKey(dataplane.spec)}`, () => {
      const relevant = POLICY_PLUGINS.flatMap((p) => (scope === 'outbounds' && p.relevantToOutbounds ? p.relevantToOutbounds(ctx, dataplane) : p.relevantToSidecar(ctx, dataplane)));
      const names = relevant.map((p) => `${p.type}/${p.name}`).join(',');
      return perContext(ctx, `policy-hash:${names}`, () => carriedDigest(ctx, names, relevant));
    });
    byDataplane.set(dataplane, hash);
  }
  return hash;
}

/**
 * The digest of a list of policies, carried from the previous context of the mesh while the list holds the
 * same objects (the mirror keeps an unchanged policy's object): a pass for an ExternalService does not
 * serialize and hash every service's policies again.
 */
function carriedDigest(ctx: MeshContext, names: string, relevant: Resource[]): string {
  return proxyMemo(
    ctx,
    'policy-digest',
    names,
    (e: { objects: Resource[]; hash: string }) => sameObjects(e.objects, relevant),
    () => ({ objects: relevant, hash: digest(relevant) }),
  ).hash;
}

/** A dataplane's inbound tag sets as a key: one string per spec object, for both scopes and every context it is in. */
const tagsKeys = new WeakMap<object, string>();
function tagsKey(spec: Resource<'Dataplane'>['spec']): string {
  let k = tagsKeys.get(spec);
  if (k === undefined) {
    k = JSON.stringify(dataplaneTagSets(spec));
    tagsKeys.set(spec, k);
  }
  return k;
}

/** Hash of the policies that can change a ZoneEgress's config. */
export function egressPolicyHash(contexts: ReadonlyMap<string, MeshContext>): string {
  return digest([...contexts.values()].flatMap((ctx) => POLICY_PLUGINS.flatMap((p) => p.relevantToEgress?.(ctx) ?? [])));
}
