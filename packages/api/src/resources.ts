/**
 * CRUD routes for every row of the descriptor table, with Kuma's paths and shapes.
 *   mesh-scoped:   GET /meshes/{mesh}/{path}, GET|PUT|DELETE /meshes/{mesh}/{path}/{name}, GET /{path}
 *   global-scoped: GET /{path}, GET|PUT|DELETE /{path}/{name}
 */
import {
  CausewayError,
  DESCRIPTORS,
  decodeResource,
  type FieldError,
  isOfType,
  nameError,
  parseTagFilter,
  type Resource,
  type ResourceDescriptor,
  SYSTEM_LABELS,
  toUniversal,
  unappliedFields,
  warningText,
  withInboundZoneTag,
} from '@causeway/core';
import type { ListOptions, ResourceStore } from '@causeway/store';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasAdminToken } from './auth.js';
import { putResponseSchema, universalJsonSchema } from './openapi.js';
import { checkDelete, checkUpdate } from './safety.js';
import { listWithTags } from './tag-filter.js';

export type Mode = 'global' | 'zone';

export interface ResourceRoutesOptions {
  store: ResourceStore;
  mode: Mode;
  /** Zone mode: the zone's name (a Dataplane written here gets `kuma.io/zone` on its inbounds). */
  zone?: string | undefined;
  adminToken: string;
}

type Params = { mesh?: string; name?: string };
type Query = Record<string, string | string[] | undefined>;

const MAX_PAGE = 1000;

function asList(v: string | string[] | undefined): string[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

/** Parses `size`, `offset`, `name`, `tag=k:v`, `label=k:v` into store list options. */
export function parseListQuery(q: Query): ListOptions {
  const errors: FieldError[] = [];
  const opts: ListOptions = {};
  const size = asList(q.size)[0];
  if (size !== undefined) {
    const n = Number(size);
    if (!/^\d+$/.test(size) || n < 1 || n > MAX_PAGE) errors.push({ field: 'size', reason: `must be an integer between 1 and ${MAX_PAGE}` });
    else opts.size = n;
  }
  const offset = asList(q.offset)[0];
  if (offset !== undefined && offset !== '') opts.offset = offset;
  const name = asList(q.name)[0];
  if (name !== undefined && name !== '') opts.nameContains = name;
  for (const [param, key] of [
    ['tag', 'tags'],
    ['label', 'labels'],
  ] as const) {
    for (const f of asList(q[param])) {
      const kv = parseTagFilter(f);
      if (!kv) errors.push({ field: param, reason: `"${f}" must be written key:value` });
      else opts[key] = { ...(opts[key] ?? {}), [kv[0]]: kv[1] };
    }
  }
  if (errors.length > 0) throw new CausewayError('INVALID', 'invalid list parameters', errors);
  return opts;
}

export function nextUrl(req: FastifyRequest, next: string | undefined): string | null {
  if (!next) return null;
  const url = new URL(req.url, `${req.protocol}://${req.host}`);
  url.searchParams.set('offset', next);
  return url.toString();
}

function article(word: string): string {
  return /^[AEIOU]/.test(word) ? 'an' : 'a';
}

/** A mesh or name from the path, checked with the name rules: an invalid one is a 400 naming it. */
function checkedParam(field: 'mesh' | 'name', value: string): string {
  const err = nameError(value);
  if (err) throw new CausewayError('INVALID', `invalid ${field} in the path`, [{ field, reason: err }]);
  return value;
}

/**
 * `?format=` as Kuma reads it on resource reads: `universal` (or none) is what is served; Kuma's
 * Kubernetes forms (`k8s`, `kubernetes`) are not (there is no Kubernetes mode); anything else is a 400.
 */
export function checkFormat(query: Query): void {
  const format = asList(query.format)[0];
  if (format === undefined || format === '' || format === 'universal') return;
  const reason = format === 'k8s' || format === 'kubernetes' ? 'is not served: this control plane runs in universal mode (format "universal")' : 'must be one of [k8s, kubernetes, universal]';
  throw new CausewayError('INVALID', `invalid format "${format}"`, [{ field: 'format', reason }]);
}

function itemParams(p: Params): { mesh: string | undefined; name: string } {
  return { mesh: p.mesh === undefined ? undefined : checkedParam('mesh', p.mesh), name: checkedParam('name', p.name ?? '') };
}

function readOnlyReason(d: ResourceDescriptor, mode: Mode): string | undefined {
  if (d.system) return `${d.type} is computed by the zone control planes (from their proxies); it cannot be written through the API`;
  if (mode === 'zone' && d.owner === 'global')
    return `${d.type} is managed by the global control plane: apply it on the global control plane and it syncs to this zone`;
  if (mode === 'global' && d.owner === 'zone')
    return `${d.type} is registered by zone control planes (a proxy registers itself in its zone); it cannot be changed on the global control plane`;
  return undefined;
}

export async function resourceRoutes(app: FastifyInstance, opts: ResourceRoutesOptions): Promise<void> {
  const { store, mode, adminToken } = opts;

  for (const d of DESCRIPTORS) {
    const itemBase = d.scope === 'mesh' ? `/meshes/:mesh/${d.path}` : `/${d.path}`;
    const tags = [d.type];
    const itemSchema = universalJsonSchema(d);

    // Decided in onRequest (auth.ts), before any body is read.
    const readConfig = d.sensitive ? { admin: `reading ${d.type} data` } : {};
    const reason = readOnlyReason(d, mode);
    const writeConfig = { admin: `changing ${article(d.type)} ${d.type}`, ...(reason ? { readOnly: reason } : {}) };
    const render = (req: FastifyRequest, r: Resource) => toUniversal(r, { redactSecrets: d.sensitive && !hasAdminToken(req, adminToken) });
    /**
     * A write's answer: the stored resource, as before, and Kuma's `warnings` (`<field>: <reason>`) when it
     * holds fields Causeway accepts but does not apply. Kuma's clients read `warnings` from the body
     * (kumactl prints them); Causeway's read the resource and the warnings.
     */
    const written = (req: FastifyRequest, r: Resource) => {
      const warnings = unappliedFields(r).map(warningText);
      return warnings.length > 0 ? { ...render(req, r), warnings } : render(req, r);
    };

    const list = async (req: FastifyRequest<{ Params: Params; Querystring: Query }>) => {
      checkFormat(req.query);
      const q = parseListQuery(req.query);
      if (req.params.mesh !== undefined) q.mesh = checkedParam('mesh', req.params.mesh);
      const page = await listWithTags(store, d.type, q);
      return { total: page.total, items: page.items.map((r) => render(req, r)), next: nextUrl(req, page.next) };
    };

    const listSchema = {
      tags,
      summary: `List ${d.cli.plural}`,
      querystring: {
        type: 'object',
        properties: {
          size: { type: 'integer', minimum: 1, maximum: MAX_PAGE, default: 100 },
          offset: { type: 'string', description: 'opaque offset from a previous page' },
          name: { type: 'string', description: 'name contains' },
          tag: { type: 'string', description: 'k:v, repeatable' },
        },
      },
    };

    app.get(itemBase, { schema: listSchema, config: readConfig }, list);
    if (d.scope === 'mesh') app.get(`/${d.path}`, { schema: { ...listSchema, summary: `List ${d.cli.plural} of every mesh` }, config: readConfig }, list);

    app.get(`${itemBase}/:name`, { schema: { tags, summary: `Get ${article(d.type)} ${d.type}`, response: { 200: itemSchema } }, config: readConfig }, async (req: FastifyRequest<{ Params: Params; Querystring: Query }>) => {
      checkFormat(req.query);
      const { mesh, name } = itemParams(req.params);
      const r = await store.get(d.type, mesh, name as string);
      if (!r) throw new CausewayError('NOT_FOUND', `${d.type} "${name}"${mesh !== undefined ? ` in mesh "${mesh}"` : ''} not found`);
      return render(req, r);
    });

    app.put(
      `${itemBase}/:name`,
      {
        schema: {
          tags,
          summary: `Create or update ${article(d.type)} ${d.type}`,
          description:
            'Answers the stored resource (201 created, 200 updated or unchanged), with `warnings` (Kuma\'s field) when it holds fields Causeway accepts but does not apply: one `<field>: <reason>` each.',
          body: itemSchema,
          response: { 200: putResponseSchema(d), 201: putResponseSchema(d) },
          security: [{ bearer: [] }],
        },
        config: writeConfig,
      },
      async (req: FastifyRequest<{ Params: Params; Body: unknown }>, reply: FastifyReply) => {
        const { mesh, name } = itemParams(req.params);
        if (req.body === undefined || req.body === null || req.body === '')
          throw new CausewayError('INVALID', 'the request has no body', [{ field: '', reason: `a ${d.type} in the universal format is required` }]);
        const decoded = decodeResource(req.body, { type: d.type, ...(mesh !== undefined ? { mesh } : {}), name: name as string });
        const resource = opts.zone !== undefined && isOfType(decoded, 'Dataplane') ? { ...decoded, spec: withInboundZoneTag(decoded.spec, opts.zone) } : decoded;
        const system = Object.keys(resource.labels).filter((l) => SYSTEM_LABELS.includes(l));
        if (system.length > 0)
          throw new CausewayError(
            'INVALID',
            `${d.type} "${resource.name}" is not valid`,
            system.map((l) => ({ field: `labels[${JSON.stringify(l)}]`, reason: 'is set by the control plane (multi-zone sync) and cannot be written' })),
          );
        await checkUpdate(store, resource);
        const expectedVersion = resource.version > 0 ? resource.version : undefined;
        if (expectedVersion !== undefined) {
          const updated = await store.update(resource, { expectedVersion });
          return reply.status(200).send(written(req, updated));
        }
        const { resource: stored, outcome } = await store.upsert(resource);
        reply.header('x-causeway-outcome', outcome);
        return reply.status(outcome === 'created' ? 201 : 200).send(written(req, stored));
      },
    );

    app.delete(
      `${itemBase}/:name`,
      { schema: { tags, summary: `Delete ${article(d.type)} ${d.type}`, security: [{ bearer: [] }] }, config: writeConfig },
      async (req: FastifyRequest<{ Params: Params; Querystring: Query }>) => {
        const { mesh, name } = itemParams(req.params);
        const v = asList(req.query.version)[0];
        const expectedVersion = v !== undefined ? Number(v) : undefined;
        if (expectedVersion !== undefined && !Number.isInteger(expectedVersion))
          throw new CausewayError('INVALID', 'invalid version', [{ field: 'version', reason: 'must be an integer' }]);
        await checkDelete(store, d.type, name as string);
        const deleted = await store.delete(d.type, mesh, name as string, expectedVersion !== undefined ? { expectedVersion } : {});
        return { deleted: { type: deleted.type, mesh: deleted.mesh, name: deleted.name, version: deleted.version } };
      },
    );
  }
}
