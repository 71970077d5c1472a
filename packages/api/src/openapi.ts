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
