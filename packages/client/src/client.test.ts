import { createServer, type IncomingMessage, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError, CausewayClient } from './client.js';

interface Seen {
  method: string;
  url: string;
  auth: string | undefined;
  body: string;
}

const seen: Seen[] = [];
let server: Server;
let base: string;

async function read(req: IncomingMessage): Promise<string> {
  let s = '';
  for await (const c of req) s += c;
  return s;
}

beforeAll(async () => {
  server = createServer(async (req, res) => {
    const body = await read(req);
    seen.push({ method: req.method ?? '', url: req.url ?? '', auth: req.headers.authorization, body });
    const json = (status: number, v: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(v));
    };
    if (req.method === 'GET' && req.url === '/') return json(200, { version: '1.2.3', mode: 'zone', zone: 'zone-1' });
    if (req.method === 'GET' && req.url?.startsWith('/meshes/default/external-services?')) {
      return json(200, {
        total: 2,
        items: [{ type: 'ExternalService', mesh: 'default', name: 'a', version: 3, tags: { 'kuma.io/service': 'a' }, networking: { address: 'a.example.org:80' } }],
        next: `${base}/meshes/default/external-services?size=1&offset=b2Zm`,
      });
    }
    if (req.method === 'PUT' && req.url === '/meshes/default/external-services/a') {
      const doc = JSON.parse(body) as Record<string, unknown>;
      if (doc.version === 1) return json(409, { title: 'Conflict', details: 'ExternalService "a" changed since version 1' });
      return json(201, { ...doc, version: 1 }, { 'x-causeway-outcome': 'created' });
    }
    if (req.method === 'PUT' && req.url === '/meshes/default/external-services/warned') {
      const doc = JSON.parse(body) as Record<string, unknown>;
      return json(200, { ...doc, version: 2, warnings: ['networking.disableHostDNSEntry: not applied'] }, { 'x-causeway-outcome': 'updated' });
    }
    if (req.method === 'PUT' && req.url === '/meshes/default/external-services/bad') {
      return json(400, { title: 'Resource is not valid', details: 'ExternalService "bad" is not valid', invalid_parameters: [{ field: 'networking.address', reason: 'must be "host:port"' }] });
    }
    if (req.method === 'POST' && req.url === '/tokens/dataplane') {
      const tags = (JSON.parse(body) as { tags?: Record<string, unknown> }).tags ?? {};
      const bad = Object.keys(tags).find((k) => !Array.isArray(tags[k]));
      if (bad)
        return json(400, { title: 'Bad Request', details: 'invalid token request', invalid_parameters: [{ field: `tags[${JSON.stringify(bad)}]`, reason: 'must be a non-empty list of values' }] });
      res.writeHead(200, { 'content-type': 'text/plain' });
      return res.end('header.payload.signature');
    }
    json(404, { title: 'Not found', details: `no route ${req.method} ${req.url}` });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});

afterAll(() => new Promise<void>((r) => server.close(() => r())));

const es = (name: string, version = 0) => ({
  type: 'ExternalService' as const,
  mesh: 'default',
  name,
  labels: {},
  version,
  spec: { tags: { 'kuma.io/service': name }, networking: { address: `${name}.example.org:80` } },
});

describe('CausewayClient', () => {
  it('reads the index and sends the bearer token', async () => {
    const c = new CausewayClient({ address: `${base}/`, token: 't0ken' });
    expect(await c.index()).toMatchObject({ version: '1.2.3', mode: 'zone', zone: 'zone-1' });
    expect(seen.at(-1)?.auth).toBe('Bearer t0ken');
  });

  it('lists a page with filters, returning Resources and the next offset', async () => {
    const c = new CausewayClient({ address: base });
    const page = await c.list('ExternalService', { mesh: 'default', size: 1, name: 'a', tags: { 'kuma.io/zone': 'zone-1' } });
    expect(seen.at(-1)?.url).toBe('/meshes/default/external-services?size=1&name=a&tag=kuma.io%2Fzone%3Azone-1');
    expect(page.total).toBe(2);
    expect(page.next).toBe('b2Zm');
    expect(page.items[0]).toMatchObject({ type: 'ExternalService', mesh: 'default', name: 'a', version: 3, spec: { networking: { address: 'a.example.org:80' } } });
  });

  it('puts the universal form and reports the outcome; a version makes it conditional', async () => {
    const c = new CausewayClient({ address: base, token: 'x' });
    const { resource, outcome } = await c.put(es('a'));
    expect(outcome).toBe('created');
    expect(JSON.parse(seen.at(-1)?.body ?? '{}')).toEqual({ type: 'ExternalService', mesh: 'default', name: 'a', tags: { 'kuma.io/service': 'a' }, networking: { address: 'a.example.org:80' } });
    expect(resource.version).toBe(1);
    const stale = await c.put(es('a', 1)).catch((e: unknown) => e);
    expect(stale).toBeInstanceOf(ApiError);
    expect((stale as ApiError).code).toBe('CONFLICT');
    expect((stale as ApiError).httpStatus).toBe(409);
  });

  it("returns the answer's warnings apart from the resource (none: an empty list)", async () => {
    const c = new CausewayClient({ address: base, token: 'x' });
    const spec = { tags: { 'kuma.io/service': 'warned' }, networking: { address: 'warned.example.org:80', disableHostDNSEntry: true } };
    const { resource, outcome, warnings } = await c.put({ ...es('warned'), spec });
    expect(outcome).toBe('updated');
    expect(warnings).toEqual(['networking.disableHostDNSEntry: not applied']);
    expect(resource.spec).toEqual(spec);
    expect((await c.put(es('a'))).warnings).toEqual([]);
  });

  it('turns API errors into ApiError with the field errors', async () => {
    const c = new CausewayClient({ address: base });
    const e = (await c.put(es('bad')).catch((err: unknown) => err)) as ApiError;
    expect(e.code).toBe('INVALID');
    expect(e.fields).toEqual([{ field: 'networking.address', reason: 'must be "host:port"' }]);
    const nf = (await c.get('Mesh', undefined, 'nope').catch((err: unknown) => err)) as ApiError;
    expect(nf.code).toBe('NOT_FOUND');
    expect(seen.at(-1)?.url).toBe('/meshes/nope');
  });

  it('sends the token request with its tags and returns the token text as is; a 400 names the field', async () => {
    const c = new CausewayClient({ address: base, token: 'x' });
    expect(await c.dataplaneToken({ mesh: 'default', name: 'web-1', tags: { 'kuma.io/service': ['web', 'web-admin'] }, validFor: '1h' })).toBe('header.payload.signature');
    expect(JSON.parse(seen.at(-1)?.body ?? '{}')).toEqual({ mesh: 'default', name: 'web-1', tags: { 'kuma.io/service': ['web', 'web-admin'] }, validFor: '1h' });
    expect(seen.at(-1)?.url).toBe('/tokens/dataplane');
    const bad = (await c.dataplaneToken({ mesh: 'default', name: 'web-1', tags: { 'kuma.io/service': 'web' as unknown as string[] } }).catch((e: unknown) => e)) as ApiError;
    expect(bad).toBeInstanceOf(ApiError);
    expect(bad.httpStatus).toBe(400);
    expect(bad.fields).toEqual([{ field: 'tags["kuma.io/service"]', reason: 'must be a non-empty list of values' }]);
  });

  it('reports an unreachable control plane as UNAVAILABLE naming the address', async () => {
    const c = new CausewayClient({ address: 'http://127.0.0.1:1', timeoutMs: 2000 });
    const e = (await c.index().catch((err: unknown) => err)) as ApiError;
    expect(e.code).toBe('UNAVAILABLE');
    expect(e.message).toContain('http://127.0.0.1:1');
  });
});
