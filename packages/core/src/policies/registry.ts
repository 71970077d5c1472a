/**
 * Every policy definition exported by the folders listed in index.ts, in their `order`: nothing else
 * names the policy types. The descriptor table gets one row per definition, `RESOURCE_TYPES` and
 * `ResourceType` include them, and @causeway/xds checks it has one plugin per definition.
 */
import { isPolicyDefinition, type PolicyDefinition } from './common.js';
import * as exported from './index.js';

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
