/**
 * Hostile and careless input at the API: authentication before any body is parsed, input limits with
 * errors naming the field and the limit, names up to 253 characters, and Kuma's error shape for every
 * error fastify itself can answer. A rejected write changes nothing that was stored.
 */
import { INPUT_LIMITS } from '@causeway/core';
import type { ResourceStore } from '@causeway/store';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STORE_START_TIMEOUT, startTestApi } from './testing/index.js';

const TOKEN = 'limits-admin-token-0123456789';
const auth = { authorization: `Bearer ${TOKEN}` };
const yaml = { 'content-type': 'application/yaml' };

const esYaml = (name: string, extra = '') => `type: ExternalService
mesh: default
name: ${name}
tags:
  kuma.io/service: ${name.slice(0, 60)}
networking:
  address: ${name.slice(0, 60)}.example.com:443
${extra}`;

/** Kuma's error shape, with at least one field error naming `field` (or matching it). */
function expectFieldError(r: LightMyRequestResponse, status: number, field: string | RegExp, reason?: RegExp): void {
  expect(r.statusCode, r.body).toBe(status);
  const body = r.json() as { title: string; details: string; invalid_parameters?: { field: string; reason: string }[] };
  expect(body.title).toEqual(expect.any(String));
  expect(body.details).toEqual(expect.any(String));
  const params = body.invalid_parameters ?? [];
  const hit = params.find((p) => (typeof field === 'string' ? p.field === field : field.test(p.field)));
  expect(hit, JSON.stringify(params)).toBeDefined();
  if (reason) expect(hit?.reason).toMatch(reason);
}

describe('API input limits and errors', () => {
  let app: FastifyInstance;
  let store: ResourceStore;

  beforeAll(async () => {
    ({ app, store } = await startTestApi('global', TOKEN));
    expect((await app.inject({ method: 'PUT', url: '/meshes/default', headers: auth, payload: { type: 'Mesh', name: 'default' } })).statusCode).toBe(201);
  }, STORE_START_TIMEOUT);
  afterAll(async () => {
    await app?.close();
    await store?.close();
  });

  const put = (name: string, payload: string, headers: Record<string, string> = { ...auth, ...yaml }) =>
    app.inject({ method: 'PUT', url: `/meshes/default/external-services/${name}`, headers, payload });

  describe('authentication comes before the body is parsed', () => {
    it('a deeply nested YAML body without a token is a 401, answered at once', async () => {
      const deep = esYaml('x').replace('tags:\n', `tags: ${'['.repeat(120_000)}${']'.repeat(120_000)}\nx:\n`);
      const t0 = Date.now();
      const r = await put('x', deep, yaml);
      expect(r.statusCode).toBe(401);
      expect(r.json()).toMatchObject({ title: 'Unauthorized' });
      expect(Date.now() - t0).toBeLessThan(1000);
    });

    it('an invalid YAML body without a token is a 401, not a parse error', async () => {
      const r = await put('x', ': : : [[[', yaml);
      expect(r.statusCode).toBe(401);
    });

    it('a write to a read-only type is refused before the body is parsed', async () => {
      const r = await app.inject({ method: 'PUT', url: '/meshes/default/dataplanes/dp', headers: { ...auth, ...yaml }, payload: ': : : [[[' });
      expect(r.statusCode).toBe(405);
    });

    it('an unknown route is a 404 whatever the body', async () => {
      const r = await app.inject({ method: 'PUT', url: '/no/such/route', headers: yaml, payload: ': : : [[[' });
      expect(r.statusCode).toBe(404);
      expect(r.json()).toMatchObject({ title: 'Not found' });
    });
  });

  describe('YAML and JSON bodies within limits', () => {
    it('nesting deeper than the limit is a 400 naming the limit', async () => {
      const deep = esYaml('deep').replace('  kuma.io/service: deep\n', `  kuma.io/service: deep\n  x: ${'['.repeat(40)}${']'.repeat(40)}\n`);
      expectFieldError(await put('deep', deep), 400, /document\[1\]/, new RegExp(`limit of ${INPUT_LIMITS.maxDepth} levels`));
      const json = JSON.parse(JSON.stringify({ type: 'ExternalService', mesh: 'default', name: 'deep', tags: { a: 'b' }, networking: { address: 'a.b:1' } }));
      let v: unknown = 1;
      for (let i = 0; i < 100; i++) v = [v];
      json.networking.extra = v;
      expectFieldError(await put('deep', JSON.stringify(json), { ...auth, 'content-type': 'application/json' }), 400, /^networking\.extra/, /levels/);
    });

    it('a map with tens of thousands of keys is refused with 413 quickly', async () => {
      const keys = Array.from({ length: 32_000 }, (_, i) => `  k${i}: v`).join('\n');
      const t0 = Date.now();
      const r = await put('many', esYaml('many').replace('tags:\n', `tags:\n${keys}\n`));
      expectFieldError(r, 413, /document\[1\]/, new RegExp(`limit of ${INPUT_LIMITS.maxNodes} values`));
      expect(Date.now() - t0).toBeLessThan(2000);
    });

    it('an alias bomb is refused before it is expanded', async () => {
      const anchor = `[${Array.from({ length: 2000 }, () => '"xxxxxxxxxx"').join(',')}]`;
      const text = `${esYaml('bomb')}x: &a ${anchor}\ny: [${Array(90).fill('*a').join(',')}]\n`;
      expectFieldError(await put('bomb', text), 413, /document\[1\]/, /aliases are expanded/);
      const laughs = `${esYaml('laughs')}a: &a [lol,lol,lol,lol,lol,lol,lol,lol,lol]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n`;
      expectFieldError(await put('laughs', laughs), 413, /document\[1\]/);
    });

    it('a resource larger than what sync carries is refused, naming the field and the limit; nothing is stored', async () => {
      const big = Buffer.alloc(300 * 1024, 'a').toString('base64');
      const r = await app.inject({ method: 'PUT', url: '/meshes/default/secrets/big', headers: auth, payload: { type: 'Secret', mesh: 'default', name: 'big', data: big } });
      expectFieldError(r, 400, 'data', /limit is 256 KiB/);
      expect(await store.get('Secret', 'default', 'big')).toBeUndefined();
    });

    it('duplicate keys name the key and the line', async () => {
      const r = await put('dup', `${esYaml('dup')}networking:\n  address: b.example.com:443\n`);
      expectFieldError(r, 400, 'document[1]', /"networking" appears twice.*line 8/);
    });

    it('two documents in one body are refused', async () => {
      expectFieldError(await put('two', `${esYaml('two')}---\n${esYaml('two')}`), 400, 'document[2]');
    });
  });

  describe('names', () => {
    it('a 253-character name can be written and read; 254 is a 400 naming name, on PUT, GET and DELETE', async () => {
      const long = `a${'b'.repeat(251)}c`;
      expect(long).toHaveLength(253);
      const created = await put(long, esYaml(long));
      expect(created.statusCode, created.body).toBe(201);
      const got = await app.inject({ url: `/meshes/default/external-services/${long}` });
      expect(got.statusCode).toBe(200);
      expect(got.json()).toMatchObject({ name: long });

      const tooLong = `${long}d`;
      expectFieldError(await put(tooLong, esYaml(tooLong)), 400, 'name', /at most 253/);
      expectFieldError(await app.inject({ url: `/meshes/default/external-services/${tooLong}` }), 400, 'name', /at most 253/);
      expectFieldError(await app.inject({ method: 'DELETE', url: `/meshes/default/external-services/${tooLong}`, headers: auth }), 400, 'name');
      expectFieldError(await app.inject({ url: `/meshes/default/external-services/${'x'.repeat(5000)}` }), 400, 'name');
      expectFieldError(await app.inject({ url: `/meshes/${'m'.repeat(300)}/external-services/x` }), 400, 'mesh');
    });
  });

  describe("fastify's own errors use Kuma's shape", () => {
    it('bad JSON is a 400 naming the body', async () => {
      expectFieldError(await put('x', '{"type": ', { ...auth, 'content-type': 'application/json' }), 400, 'body', /not valid JSON/);
    });

    it('an unsupported content type is a 415 naming content-type', async () => {
      expectFieldError(await put('x', 'hello', { ...auth, 'content-type': 'text/plain' }), 415, 'content-type');
    });

    it('a body over the limit is a 413 naming the body and the limit', async () => {
      const r = await put('x', `${esYaml('x')}# ${'z'.repeat(1024 * 1024)}\n`);
      expectFieldError(r, 413, 'body', /1 MiB/);
    });

    it('an empty JSON body is a 400 naming the body', async () => {
      expectFieldError(await put('x', '', { ...auth, 'content-type': 'application/json' }), 400, 'body');
    });
  });
});
