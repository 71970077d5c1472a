/**
 * The policy plugins, in the order they run, and what the generators and the zone controller call.
 * Adding a policy: a folder `src/policies/<name>/` exporting a PolicyPlugin, one line in POLICY_PLUGINS,
 * and its row in the core descriptor table (schema, REST path, CLI name, sync).
 */
import { createHash } from 'node:crypto';
import type { DataplaneSpec, Resource } from '@causeway/core';
import type { MeshContext } from '../context.js';
import type { ResourceSet } from '../generate/common.js';
import { meshRetryPlugin } from './meshretry/index.js';
import { meshTimeoutPlugin } from './meshtimeout/index.js';
import { meshTrafficPermissionPlugin } from './meshtrafficpermission/index.js';
import type { EgressPolicyInput, PolicyExplanation, PolicyPlugin, SidecarPolicyInput } from './plugin.js';

export const POLICY_PLUGINS: readonly PolicyPlugin[] = [meshTrafficPermissionPlugin, meshTimeoutPlugin, meshRetryPlugin].sort((a, b) => a.order - b.order);

/** Resource types handled by a plugin (the zone controller watches them). */
export const POLICY_TYPES: readonly string[] = POLICY_PLUGINS.map((p) => p.type);

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

/** Hash of the policies that can change a sidecar's config (part of its input hash). */
export function sidecarPolicyHash(ctx: MeshContext, dataplane: Resource<DataplaneSpec>): string {
  return digest(POLICY_PLUGINS.flatMap((p) => p.relevantToSidecar(ctx, dataplane)));
}

/** Hash of the policies that can change a ZoneEgress's config. */
export function egressPolicyHash(contexts: ReadonlyMap<string, MeshContext>): string {
  return digest([...contexts.values()].flatMap((ctx) => POLICY_PLUGINS.flatMap((p) => p.relevantToEgress?.(ctx) ?? [])));
}

export * from './match.js';
export * from './plugin.js';
export { meshRetryPlugin, retryPolicy } from './meshretry/index.js';
export { meshTimeoutPlugin } from './meshtimeout/index.js';
export { callerMatches, decide, meshTrafficPermissionPlugin, principalOf, rbacRules } from './meshtrafficpermission/index.js';
