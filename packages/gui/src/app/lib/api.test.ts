import { describe, expect, it, vi } from 'vitest';
import { ApiError, createApi, describeError, errorFromResponse, nextOffset, verifyToken } from './api.js';

function fakeFetch(routes: Record<string, { status: number; body: unknown } | Error>) {
  const calls: { url: string; headers: Record<string, string> }[] = [];
  const fetch = vi.fn(async (url: RequestInfo | URL, init?: RequestInit) => {
    const u = String(url);
    calls.push({ url: u, headers: (init?.headers ?? {}) as Record<string, string> });
    const r = routes[u];
    if (r instanceof Error) throw r;
    if (!r) return new Response(JSON.stringify({ title: 'Not found', details: `no route GET ${u}` }), { status: 404 });
    return new Response(typeof r.body === 'string' ? r.body : JSON.stringify(r.body), { status: r.status });
  });
  return { fetch: fetch as unknown as typeof globalThis.fetch, calls };
}

describe('the API client', () => {
  it('sends the token as a Bearer header and parses JSON', async () => {
    const f = fakeFetch({ '/meshes/default': { status: 200, body: { type: 'Mesh', name: 'default' } } });
    const api = createApi({ token: 'tok', fetch: f.fetch });
    expect(await api.get('/meshes/default')).toEqual({ type: 'Mesh', name: 'default' });
    expect(f.calls[0]?.headers.authorization).toBe('Bearer tok');
  });

  it("turns Kuma's error body into an ApiError with the fields, and a 401 signs out", async () => {
    const onUnauthorized = vi.fn();
    const f = fakeFetch({
      '/bad': { status: 400, body: { title: 'Bad request', details: 'invalid list parameters', invalid_parameters: [{ field: 'size', reason: 'must be an integer' }] } },
      '/secret': { status: 401, body: { title: 'Unauthorized', details: 'reading Secret data needs "Authorization: Bearer <admin token>"' } },
      '/down': { status: 503, body: 'upstream gone' },
    });
    const api = createApi({ fetch: f.fetch, onUnauthorized });
    const bad = await api.get('/bad').catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(ApiError);
    expect(bad).toMatchObject({ kind: 'invalid', status: 400, title: 'Bad request', message: 'invalid list parameters', fields: [{ field: 'size', reason: 'must be an integer' }] });
    const unauth = await api.get('/secret').catch((e: unknown) => e);
    expect(unauth).toMatchObject({ kind: 'unauthorized', status: 401 });
    expect(onUnauthorized).toHaveBeenCalledTimes(1);
    expect(await api.get('/down').catch((e: unknown) => e)).toMatchObject({ kind: 'unavailable', status: 503, title: 'HTTP 503', message: 'upstream gone' });
    expect(await api.get('/nothing').catch((e: unknown) => e)).toMatchObject({ kind: 'not-found', message: 'no route GET /nothing' });
  });

  it('says the control plane cannot be reached, or did not answer in time', async () => {
    const f = fakeFetch({ '/': new TypeError('Failed to fetch') });
    expect(await createApi({ fetch: f.fetch }).get('/').catch((e: unknown) => e)).toMatchObject({ kind: 'network', status: 0, title: 'Cannot reach the control plane' });
    const slow = (async (_u: unknown, init?: RequestInit) =>
      new Promise((_r, reject) => init?.signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError'))))) as unknown as typeof fetch;
    expect(await createApi({ fetch: slow, timeoutMs: 20 }).get('/').catch((e: unknown) => e)).toMatchObject({ kind: 'timeout', title: 'No answer in time' });
  });

  it('lists every page by following next', async () => {
    const f = fakeFetch({
      '/meshes?size=1000': { status: 200, body: { total: 3, items: [{ name: 'a' }, { name: 'b' }], next: 'http://cp:5681/meshes?size=1000&offset=o%3D2' } },
      '/meshes?size=1000&offset=o%3D2': { status: 200, body: { total: 3, items: [{ name: 'c' }], next: null } },
    });
    expect(await createApi({ fetch: f.fetch }).listAll<{ name: string }>('/meshes')).toEqual([{ name: 'a' }, { name: 'b' }, { name: 'c' }]);
    expect(nextOffset('http://cp/x?offset=abc')).toBe('abc');
    expect(nextOffset(null)).toBeUndefined();
  });

  it('verifies the admin token with /who-am-i, and with /global-secrets where that route is missing', async () => {
    const admin = fakeFetch({ '/who-am-i': { status: 200, body: { name: 'mesh-system:admin' } } });
    await expect(verifyToken(createApi({ fetch: admin.fetch, token: 't' }))).resolves.toBeUndefined();
    const anon = fakeFetch({ '/who-am-i': { status: 200, body: { name: 'mesh-system:anonymous' } } });
    await expect(verifyToken(createApi({ fetch: anon.fetch, token: 't' }))).rejects.toMatchObject({ kind: 'unauthorized' });
    const old = fakeFetch({ '/global-secrets?size=1&name=%20': { status: 200, body: { total: 0, items: [], next: null } } });
    await expect(verifyToken(createApi({ fetch: old.fetch, token: 't' }))).resolves.toBeUndefined();
    const oldBad = fakeFetch({ '/global-secrets?size=1&name=%20': { status: 401, body: { title: 'Unauthorized', details: 'no' } } });
    await expect(verifyToken(createApi({ fetch: oldBad.fetch, token: 't' }))).rejects.toMatchObject({ kind: 'unauthorized' });
  });

  it('describes errors with a hint of what to do', () => {
    expect(describeError(errorFromResponse(401, '{"title":"Unauthorized","details":"x"}', '/'))).toMatchObject({ title: 'Unauthorized', hint: expect.stringContaining('Sign in again') });
    expect(describeError(errorFromResponse(500, '', '/x'))).toMatchObject({ title: 'HTTP 500', message: 'the control plane answered 500 to GET /x' });
    expect(describeError(new Error('boom'))).toMatchObject({ title: 'Something went wrong', message: 'boom' });
  });
});
