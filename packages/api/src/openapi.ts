/** JSON schemas for the OpenAPI document, derived from the same zod schemas that validate. */
import type { ResourceDescriptor } from '@causeway/core';
import { z } from 'zod';

const cache = new Map<string, Record<string, unknown>>();

export function universalJsonSchema(d: ResourceDescriptor): Record<string, unknown> {
  const cached = cache.get(d.type);
  if (cached) return cached;
  const spec = z.toJSONSchema(d.schema, { unrepresentable: 'any', io: 'input' }) as Record<string, unknown>;
  delete spec.$schema;
  const meta: Record<string, unknown> = {
    type: { type: 'string', enum: [d.type] },
    name: { type: 'string' },
    labels: { type: 'object', additionalProperties: { type: 'string' } },
    version: { type: 'integer', description: 'store version; send it back to update only if unchanged (409 otherwise)' },
    creationTime: { type: 'string', format: 'date-time', readOnly: true },
    modificationTime: { type: 'string', format: 'date-time', readOnly: true },
    ...(d.scope === 'mesh' ? { mesh: { type: 'string' } } : {}),
  };
  const schema = d.specField
    ? { type: 'object', properties: { ...meta, [d.specField]: spec }, additionalProperties: false }
    : { ...spec, type: 'object', properties: { ...meta, ...((spec.properties as object) ?? {}) } };
  cache.set(d.type, schema);
  return schema;
}

const putCache = new Map<string, Record<string, unknown>>();

/** A PUT's answer: the resource as stored, and Kuma's `warnings` when it holds fields Causeway does not apply. */
export function putResponseSchema(d: ResourceDescriptor): Record<string, unknown> {
  const cached = putCache.get(d.type);
  if (cached) return cached;
  const item = universalJsonSchema(d);
  const schema = {
    ...item,
    properties: {
      ...((item.properties as object) ?? {}),
      warnings: {
        type: 'array',
        items: { type: 'string' },
        readOnly: true,
        description:
          'Present when the resource holds fields Causeway accepts (as Kuma does) but does not apply, one `<field>: <reason>` each (e.g. `spec.from[0].targetRef.kind: kind MeshGateway is accepted ... this Deny denies nothing in Causeway`). The write succeeded; the resource is stored as written.',
      },
    },
  };
  putCache.set(d.type, schema);
  return schema;
}
