/**
 * What every policy shares: the `targetRef` (Kuma's new-style policies: `spec.targetRef` + `from[]` /
 * `to[]` entries with their own targetRef) and the definition each policy folder exports — the part of
 * its descriptor row that is its own (type, plural, CLI aliases, schema, position). The rest of the row
 * is the same for every policy (mesh-scoped, owned by global, synced to zones, spec under `spec:`) and is
 * filled in by the descriptor table (descriptors.ts). How a policy changes traffic lives in the
 * same-named folder of `@causeway/xds` (`src/policies/<name>/`).
 */
import { z } from 'zod';
import { nameSchema, tagsSchema, whenTyped } from '../validation.js';

export const TARGET_REF_KINDS = ['Mesh', 'MeshSubset', 'MeshService', 'MeshServiceSubset'] as const;
export type TargetRefKind = (typeof TARGET_REF_KINDS)[number];

export interface TargetRef {
  kind: TargetRefKind;
  name?: string;
  tags?: Record<string, string>;
}

export const targetRefSchema = z
  .strictObject({
    kind: z.enum(TARGET_REF_KINDS, { error: `must be one of ${TARGET_REF_KINDS.join(', ')}` }),
    name: nameSchema.optional(),
    tags: tagsSchema.optional(),
  })
  .superRefine(
    (ref, ctx) => {
      const { kind, name, tags } = ref;
      const hasTags = tags !== undefined && Object.keys(tags).length > 0;
      switch (kind) {
        case 'Mesh':
          if (name !== undefined) ctx.addIssue({ code: 'custom', path: ['name'], message: 'must not be set with kind Mesh' });
          if (tags !== undefined) ctx.addIssue({ code: 'custom', path: ['tags'], message: 'must not be set with kind Mesh' });
          break;
        case 'MeshSubset':
          if (name !== undefined) ctx.addIssue({ code: 'custom', path: ['name'], message: 'must not be set with kind MeshSubset' });
          if (!hasTags) ctx.addIssue({ code: 'custom', path: ['tags'], message: 'is required with kind MeshSubset' });
          break;
        case 'MeshService':
          if (name === undefined) ctx.addIssue({ code: 'custom', path: ['name'], message: 'is required with kind MeshService' });
          if (tags !== undefined) ctx.addIssue({ code: 'custom', path: ['tags'], message: 'must not be set with kind MeshService' });
          break;
        case 'MeshServiceSubset':
          if (name === undefined) ctx.addIssue({ code: 'custom', path: ['name'], message: 'is required with kind MeshServiceSubset' });
          if (!hasTags) ctx.addIssue({ code: 'custom', path: ['tags'], message: 'is required with kind MeshServiceSubset' });
          break;
      }
    },
    // kind, name and tags are read together: only once each has its type (tags: null is a 400, not Object.keys(null)).
    whenTyped(['kind'], ['name'], ['tags']),
  );

/** A list of `from[]` / `to[]` entries: at least one when given. */
export function nonEmptyList<T extends z.ZodType>(item: T) {
  return z.array(item).min(1, 'must have at least one entry');
}

/**
 * The own part of a policy type's descriptor row, as its folder's `api.ts` declares it. `S` is the spec
 * type: `Resource<T>` carries it (the registry maps each policy type to its definition's `S`).
 */
export interface PolicyDefinition<T extends string = string, S = unknown> {
  readonly policy: true;
  /** The resource type, e.g. `MeshRetry`; its folder is `policies/<type in lower case>/` here and in @causeway/xds. */
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

/** The folder of a policy type (`policies/<name>/` in core and in @causeway/xds). */
export const policyFolder = (type: string): string => type.toLowerCase();
