/**
 * The GUI's fetch layer: GET requests to the control plane's API (same origin) with the admin token, and
 * errors turned into something a page can show (what happened, and what to do about it).
 */
import type { ListResponse } from './types.js';

export type ErrorKind = 'unauthorized' | 'not-found' | 'invalid' | 'read-only' | 'unavailable' | 'server' | 'network' | 'timeout';

/** An answer that was not a 2xx, or no answer at all. */
export class ApiError extends Error {
  readonly kind: ErrorKind;
  /** HTTP status; 0 when the request got no answer. */
  readonly status: number;
  readonly title: string;
  readonly path: string;
  readonly fields: { field: string; reason: string }[];

  constructor(opts: { kind: ErrorKind; status: number; title: string; details: string; path: string; fields?: { field: string; reason: string }[] }) {
    super(opts.details);
    this.name = 'ApiError';
    this.kind = opts.kind;
    this.status = opts.status;
    this.title = opts.title;
    this.path = opts.path;
    this.fields = opts.fields ?? [];
  }
}

export function kindOf(status: number): ErrorKind {
  if (status === 401 || status === 403) return 'unauthorized';
  if (status === 404) return 'not-found';
  if (status === 405) return 'read-only';
  if (status === 400 || status === 409 || status === 413 || status === 415) return 'invalid';
  if (status === 502 || status === 503 || status === 504) return 'unavailable';
  return 'server';
}

/** The ApiError of a non-2xx answer, from Kuma's error body `{title, details, invalid_parameters}` when there is one. */
export function errorFromResponse(status: number, text: string, path: string): ApiError {
  let body: { title?: unknown; details?: unknown; invalid_parameters?: unknown } | undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) body = parsed as typeof body;
  } catch {
    body = undefined;
  }
  const title = typeof body?.title === 'string' && body.title ? body.title : `HTTP ${status}`;
  const details =
    typeof body?.details === 'string' && body.details ? body.details : text.trim() ? text.trim().slice(0, 300) : `the control plane answered ${status} to GET ${path}`;
  const fields = Array.isArray(body?.invalid_parameters)
    ? (body.invalid_parameters as unknown[]).flatMap((p) => {
        const f = p as { field?: unknown; reason?: unknown };
        return typeof f?.field === 'string' && typeof f.reason === 'string' ? [{ field: f.field, reason: f.reason }] : [];
      })
    : [];
  return new ApiError({ kind: kindOf(status), status, title, details, path, fields });
}

export interface ApiClient {
  get<T>(path: string, opts?: { signal?: AbortSignal }): Promise<T>;
  /** Every item of a list (follows `next`, 1,000 per page). */
  listAll<T>(path: string, opts?: { signal?: AbortSignal }): Promise<T[]>;
}

export interface ApiOptions {
  /** Base URL of the API; '' for the origin that served the GUI. */
  base?: string;
  token?: string;
  fetch?: typeof fetch;
  timeoutMs?: number;
  /** Called on every 401 (the token was revoked or is wrong): the app signs out. */
  onUnauthorized?: (e: ApiError) => void;
}

/** The `offset` of a list's `next` URL. */
export function nextOffset(next: string | null | undefined): string | undefined {
  if (!next) return undefined;
  try {
    return new URL(next, 'http://x').searchParams.get('offset') ?? undefined;
  } catch {
    return undefined;
  }
}

export function createApi(opts: ApiOptions = {}): ApiClient {
  const base = (opts.base ?? '').replace(/\/+$/, '');
  const doFetch = opts.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => globalThis.fetch(input, init));
  const timeoutMs = opts.timeoutMs ?? 15_000;

  const get = async <T>(path: string, o: { signal?: AbortSignal } = {}): Promise<T> => {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = o.signal ? AbortSignal.any([o.signal, timeout]) : timeout;
    let res: Response;
    try {
      res = await doFetch(`${base}${path}`, { method: 'GET', headers, signal });
    } catch (e) {
      if (o.signal?.aborted) throw e;
      if (timeout.aborted)
        throw new ApiError({ kind: 'timeout', status: 0, title: 'No answer in time', details: `GET ${path} got no answer within ${timeoutMs / 1000} s`, path });
      throw new ApiError({
        kind: 'network',
        status: 0,
        title: 'Cannot reach the control plane',
        details: `GET ${path} failed: ${(e as Error).message || 'network error'}`,
        path,
      });
    }
    const text = await res.text();
    if (!res.ok) {
      const err = errorFromResponse(res.status, text, path);
      if (err.kind === 'unauthorized') opts.onUnauthorized?.(err);
      throw err;
    }
    try {
      return (text === '' ? undefined : JSON.parse(text)) as T;
    } catch {
      throw new ApiError({ kind: 'server', status: res.status, title: 'Unexpected answer', details: `GET ${path} did not answer JSON`, path });
    }
  };

  return {
    get,
    async listAll<T>(path: string, o: { signal?: AbortSignal } = {}): Promise<T[]> {
      const out: T[] = [];
      const sep = path.includes('?') ? '&' : '?';
      let offset: string | undefined;
      for (let page = 0; page < 1000; page++) {
        const body = await get<ListResponse<T>>(`${path}${sep}size=1000${offset ? `&offset=${encodeURIComponent(offset)}` : ''}`, o);
        out.push(...(body?.items ?? []));
        offset = nextOffset(body?.next);
        if (!offset) break;
      }
      return out;
    },
  };
}

/**
 * Checks a token: `GET /who-am-i` (Kuma's) names `mesh-system:admin` for the admin token and anonymous
 * otherwise. A control plane without that route: `GET /global-secrets` needs the admin token (401 without
 * it), and the name filter " " matches nothing (names cannot contain spaces), so no secret data is sent.
 */
export async function verifyToken(api: ApiClient): Promise<void> {
  let who: { name?: unknown } | undefined;
  try {
    who = await api.get<{ name?: unknown }>('/who-am-i');
  } catch (e) {
    if (!(e instanceof ApiError && e.kind === 'not-found')) throw e;
    await api.get('/global-secrets?size=1&name=%20');
    return;
  }
  if (who?.name !== 'mesh-system:admin')
    throw new ApiError({ kind: 'unauthorized', status: 401, title: 'Not the admin token', details: 'the control plane does not take this token as its admin token', path: '/who-am-i' });
}

/** What a page says about an error: a headline, the server's words, and what to do. */
export function describeError(e: unknown): { title: string; message: string; hint?: string; fields: { field: string; reason: string }[] } {
  if (e instanceof ApiError) {
    const hint: Record<ErrorKind, string | undefined> = {
      unauthorized: 'Sign in again with the admin token of this control plane.',
      'not-found': undefined,
      invalid: undefined,
      'read-only': undefined,
      unavailable: 'The control plane is up but not ready (its store may be unavailable). Retry in a moment.',
      server: 'See the control plane log for the cause.',
      network: 'Check that the control plane is running and reachable from this browser, then retry.',
      timeout: 'The control plane may be overloaded. Retry in a moment.',
    };
    const h = hint[e.kind];
    return { title: e.title, message: e.message, ...(h ? { hint: h } : {}), fields: e.fields };
  }
  return { title: 'Something went wrong', message: e instanceof Error ? e.message : String(e), fields: [] };
}

/** Path segment escaping for names in URLs. */
export const seg = (s: string): string => encodeURIComponent(s);
