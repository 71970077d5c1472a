import type { Resource } from '@causeway/core';
import type { ResourceStore } from '@causeway/store';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tagsMatchFuzzy } from './tag-filter.js';
import { STORE_START_TIMEOUT, startTestApi } from './testing/index.js';

const TOKEN = 'admin-token-of-the-tag-filter-test';

function dp(name: string, inbound: Record<string, string>[], mesh = 'default'): Resource {
  return { type: 'Dataplane', mesh, name, labels: {}, version: 0, spec: { networking: { address: '10.0.0.1', inbound: inbound.map((tags, i) => ({ port: 8080 + i, tags })) } } };
}

describe("tag= on lists, matched as Kuma's API matches it", () => {
  let app: FastifyInstance;
  let store: ResourceStore;
  const names = async (url: string) => {
    const res = await app.inject({ url });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json() as { total: number; items: { name: string }[] };
    return body.items.map((i) => i.name);
  };

  beforeAll(async () => {
    ({ app, store } = await startTestApi('zone', TOKEN));
    for (const mesh of ['default', 'other']) await store.create({ type: 'Mesh', name: mesh, labels: {}, spec: {}, version: 0 });
    await store.create(dp('web-1', [{ 'kuma.io/service': 'web', version: 'v1' }]));
    await store.create(dp('web-2', [{ 'kuma.io/service': 'web', version: 'v2' }]));
    await store.create(dp('webhooks-1', [{ 'kuma.io/service': 'webhooks', version: 'v1' }]));
    // Two inbounds: the filters must all hold within one of them.
    await store.create(dp('split-1', [{ 'kuma.io/service': 'web', version: 'v1' }, { 'kuma.io/service': 'admin', version: 'v2', team: 'ops' }]));
    await store.create(dp('backend-1', [{ 'kuma.io/service': 'backend', url: 'http://a:1' }]));
    await store.create(dp('web-9', [{ 'kuma.io/service': 'web', version: 'v1' }], 'other'));
    for (const [name, service] of [
      ['httpbin', 'httpbin'],
      ['httpbin-eu', 'httpbin-eu'],
      ['postgres', 'db'],
    ] as const)
      await store.create({ type: 'ExternalService', mesh: 'default', name, labels: {}, version: 0, spec: { tags: { 'kuma.io/service': service }, networking: { address: `${name}.example:443` } } });
  }, STORE_START_TIMEOUT);
  afterAll(async () => {
    await app.close();
    await store.close();
  });

  it('a value matches when the tag value contains it (Kuma MatchesFuzzy), "*" when the tag is present', () => {
    expect(tagsMatchFuzzy({ 'kuma.io/service': 'web' }, { 'kuma.io/service': 'webhooks' })).toBe(true);
    expect(tagsMatchFuzzy({ 'kuma.io/service': 'hook' }, { 'kuma.io/service': 'webhooks' })).toBe(true);
    expect(tagsMatchFuzzy({ 'kuma.io/service': 'web' }, { 'kuma.io/service': 'backend' })).toBe(false);
    expect(tagsMatchFuzzy({ version: '*' }, { 'kuma.io/service': 'web', version: 'v1' })).toBe(true);
    expect(tagsMatchFuzzy({ version: '*' }, { 'kuma.io/service': 'web' })).toBe(false);
    expect(tagsMatchFuzzy({ version: '' }, { version: 'v1' })).toBe(true);
    expect(tagsMatchFuzzy({}, {})).toBe(true);
  });

  it('Dataplane lists: substring values, several tag= ANDed within one inbound, "*", values with ":"', async () => {
    expect(await names('/meshes/default/dataplanes?tag=kuma.io/service:web')).toEqual(['split-1', 'web-1', 'web-2', 'webhooks-1']);
    expect(await names('/meshes/default/dataplanes?tag=kuma.io/service:hooks')).toEqual(['webhooks-1']);
    expect(await names('/meshes/default/dataplanes?tag=kuma.io/service:web&tag=version:v2')).toEqual(['web-2']);
    // split-1 has web (v1) and admin (v2): no single inbound has both web and v2.
    expect(await names('/meshes/default/dataplanes?tag=kuma.io/service:admin&tag=version:v2')).toEqual(['split-1']);
    expect(await names('/meshes/default/dataplanes?tag=team:*')).toEqual(['split-1']);
    expect(await names('/meshes/default/dataplanes?tag=url:http://a')).toEqual(['backend-1']);
    // A repeated key keeps its last value (Kuma reads the filters into a map).
    expect(await names('/meshes/default/dataplanes?tag=version:v1&tag=version:v2')).toEqual(['split-1', 'web-2']);
    // Every mesh, with the other filters of the list (name contains).
    expect(await names('/dataplanes?tag=kuma.io/service:web&tag=version:v1')).toEqual(['split-1', 'web-1', 'webhooks-1', 'web-9']);
    expect(await names('/dataplanes?tag=kuma.io/service:web&name=web-')).toEqual(['web-1', 'web-2', 'web-9']);
  });

  it('pages a tag-filtered list with size and the offset of next', async () => {
    const first = (await app.inject({ url: '/meshes/default/dataplanes?tag=kuma.io/service:web&size=3' })).json() as { total: number; items: { name: string }[]; next: string };
    expect(first.total).toBe(4);
    expect(first.items.map((i) => i.name)).toEqual(['split-1', 'web-1', 'web-2']);
    const next = new URL(first.next);
    expect(next.searchParams.get('tag')).toBe('kuma.io/service:web');
    const second = (await app.inject({ url: `${next.pathname}${next.search}` })).json() as { total: number; items: { name: string }[]; next: string | null };
    expect(second).toMatchObject({ total: 4, next: null });
    expect(second.items.map((i) => i.name)).toEqual(['webhooks-1']);
  });

  it('ExternalService lists and the dataplanes+insights overview match the same way', async () => {
    expect(await names('/meshes/default/external-services?tag=kuma.io/service:httpbin')).toEqual(['httpbin', 'httpbin-eu']);
    expect(await names('/meshes/default/external-services?tag=kuma.io/service:db')).toEqual(['postgres']);
    expect(await names('/meshes/default/dataplanes+insights?tag=kuma.io/service:web&tag=version:v2')).toEqual(['web-2']);
  });

  it('a filter without ":" is a 400 naming tag', async () => {
    const res = await app.inject({ url: '/meshes/default/dataplanes?tag=web' });
    expect(res.statusCode).toBe(400);
    expect(res.json().invalid_parameters).toEqual([{ field: 'tag', reason: '"web" must be written key:value' }]);
  });
});
