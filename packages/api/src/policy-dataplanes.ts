/**
 * Kuma's `GET /meshes/{mesh}/{policy-path}/{name}/_resources/dataplanes`: the Dataplanes a policy's
 * top-level targetRef selects, one route per policy type of the descriptor table. Selection is the xDS
 * generators' own (`refMatches` over a Dataplane's inbound tag sets, @causeway/xds policies/match.ts), so
 * what this lists is what the zones configure: a kind or field Causeway does not apply yet selects nothing.
 *
 * On global it lists the Dataplanes of every zone (global names, `web-1.zone-1`), on a zone its own.
 * Answer (Kuma's InspectDataplanesForPolicy): `{total, items: [{type: "Dataplane", mesh, name, labels}],
 * next}`, paged like the other lists (`size`, opaque `offset`), `name=` keeps the names containing it.
 * An unknown mesh or policy is a 404.
 */
import { CausewayError, DESCRIPTORS, dataplaneTagSets, isPolicyType, nameError, type ResourceDescriptor, refMatches, type TargetRef } from '@causeway/core';
import { listAll, type ResourceStore } from '@causeway/store';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { PAGE_QUERY_PROPERTIES, pageOf } from './paging.js';
import { nextUrl, parseListQuery } from './resources.js';

type Query = Record<string, string | string[] | undefined>;

/** The descriptor rows of the policy types (targetRef policies: the only kind Causeway has). */
export function policyDescriptors(): ResourceDescriptor[] {
  return DESCRIPTORS.filter((d) => isPolicyType(d.type));
}

function checked(field: 'mesh' | 'name', value: string): string {
  const err = nameError(value);
  if (err) throw new CausewayError('INVALID', `invalid ${field} in the path`, [{ field, reason: err }]);
  return value;
}

export async function policyDataplaneRoutes(app: FastifyInstance, opts: { store: ResourceStore }): Promise<void> {
  const { store } = opts;
  const meta = {
    type: 'object',
    required: ['type', 'mesh', 'name', 'labels'],
    properties: { type: { type: 'string', enum: ['Dataplane'] }, mesh: { type: 'string' }, name: { type: 'string' }, labels: { type: 'object', additionalProperties: { type: 'string' } } },
  };
  const response = { 200: { type: 'object', properties: { total: { type: 'integer' }, items: { type: 'array', items: meta }, next: { type: ['string', 'null'] } } } };
  const querystring = {
    type: 'object',
    properties: {
      ...PAGE_QUERY_PROPERTIES,
      name: { type: 'string', description: 'dataplane name contains' },
    },
  };

  for (const d of policyDescriptors()) {
    app.get(
      `/meshes/:mesh/${d.path}/:name/_resources/dataplanes`,
      { schema: { tags: [d.type], summary: `The Dataplanes the ${d.type}'s top-level targetRef selects`, querystring, response } },
      async (req: FastifyRequest<{ Params: { mesh: string; name: string }; Querystring: Query }>) => {
        const mesh = checked('mesh', req.params.mesh);
        const name = checked('name', req.params.name);
        const { nameContains, size, offset } = parseListQuery(req.query);
        if (!(await store.get('Mesh', undefined, mesh))) throw new CausewayError('NOT_FOUND', `Mesh "${mesh}" not found`);
        const policy = await store.get(d.type, mesh, name);
        if (!policy) throw new CausewayError('NOT_FOUND', `${d.type} "${name}" in mesh "${mesh}" not found`);
        const targetRef = (policy.spec as { targetRef?: TargetRef }).targetRef;
        const needle = nameContains?.toLowerCase();
        const selected = (await listAll(store, 'Dataplane', { mesh }))
          .filter((dp) => refMatches(targetRef, dataplaneTagSets(dp.spec)))
          .filter((dp) => needle === undefined || dp.name.toLowerCase().includes(needle))
          .map((dp) => ({ type: 'Dataplane' as const, mesh: dp.mesh as string, name: dp.name, labels: dp.labels }));
        const page = pageOf(selected, { size, offset });
        return { total: page.total, items: page.items, next: nextUrl(req, page.next) };
      },
    );
  }
}
