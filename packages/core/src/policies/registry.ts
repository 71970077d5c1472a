/**
 * Every policy definition and plugin exported by the folders listed in index.ts, in their `order`:
 * nothing else names the policy types. The descriptor table gets one row per definition,
 * `RESOURCE_TYPES` and `ResourceType` include them, and the generators of @causeway/xds apply the
 * plugins. Every policy type must have exactly one plugin: a type without one would be stored, synced and
 * silently ignored, so it does not compile (below) and registry.test.ts fails.
 */
import { isPolicyDefinition, type PolicyDefinition } from './common.js';
import * as exported from './index.js';
import { isPolicyPlugin, type PolicyPlugin } from './plugin.js';

type Definitions = Extract<(typeof exported)[keyof typeof exported], { readonly policy: true }>;

/** The policy resource types (`'MeshTrafficPermission' | 'MeshTimeout' | 'MeshRetry' | ...`). */
export type PolicyType = Definitions['type'];

/** Each policy type's spec type, from its definition (`MeshRetry: MeshRetrySpec`, ...). */
export type PolicySpecs = { [D in Definitions as D['type']]: D extends PolicyDefinition<string, infer S> ? S : never };

export const POLICIES: readonly PolicyDefinition<PolicyType, PolicySpecs[PolicyType]>[] = (Object.values(exported) as unknown[])
  .filter((v): v is Definitions => isPolicyDefinition(v))
  .sort((a, b) => a.order - b.order);

const POLICY_TYPE_SET: ReadonlySet<string> = new Set(POLICIES.map((p) => p.type));

/** Whether `type` is a policy type. */
export function isPolicyType(type: string): type is PolicyType {
  return POLICY_TYPE_SET.has(type);
}

type Plugins = Extract<(typeof exported)[keyof typeof exported], PolicyPlugin>;

// Does not compile when a policy type has no plugin in its folder (the error names the type).
const everyTypeHasAPlugin: Record<Exclude<PolicyType, Plugins['api']['type']>, true> = {};
void everyTypeHasAPlugin;

/** The plugins, in the order of their definitions (`api.order`): the order the generators apply them in. */
export const POLICY_PLUGINS: readonly PolicyPlugin[] = (Object.values(exported) as unknown[]).filter(isPolicyPlugin).sort((a, b) => a.api.order - b.api.order);
