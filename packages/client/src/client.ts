/**
 * Typed client of the control plane's REST API (Kuma's paths). Used by the CLI, tests and tools.
 */
import {
  type ApiErrorBody,
  CausewayError,
  descriptorOf,
  type ErrorCode,
  type ExternalServiceCallers,
  type ExternalServiceStats,
  type AnyResource,
  asType,
  type Resource,
  type ResourceType,
  readUniversal,
  toUniversal,
} from '@causeway/core';

export interface ClientOptions {
  /** Base URL, e.g. `http://127.0.0.1:5681`. */
  address: string;
  /** Admin token for writes and secret reads. */
  token?: string;
  /** Per-request timeout, ms (default 30 s). */
  timeoutMs?: number;
}

export interface ListParams {
  mesh?: string;
  size?: number;
  offset?: string;
  name?: string;
  tags?: Record<string, string>;
}

export interface Page<T> {
  total: number;
  items: T[];
  /** Offset for the next page (extracted from the `next` URL), absent on the last page. */
  next?: string;
}

export interface IndexInfo {
  version: string;
  mode: 'global' | 'zone';
  zone?: string;
  instanceId?: string;
  [k: string]: unknown;
}

/** An error answered by the server (or the transport), with the API's field errors. */
export class ApiError extends CausewayError {
  readonly httpStatus: number;
  constructor(httpStatus: number, body: ApiErrorBody | undefined, fallback: string) {
    super(
      codeOf(httpStatus),
      body?.details ?? fallback,
      (body?.invalid_parameters ?? []).map((p) => ({ field: p.field, reason: p.reason })),
    );
    this.httpStatus = httpStatus;
  }
}

function codeOf(status: number): ErrorCode {
  switch (status) {
    case 400:
    case 413:
    case 415:
      return 'INVALID';
    case 401:
      return 'UNAUTHORIZED';
    case 403:
      return 'FORBIDDEN';
    case 404:
      return 'NOT_FOUND';
    case 405:
      return 'READ_ONLY';
    case 409:
      return 'CONFLICT';
    case 503:
      return 'UNAVAILABLE';
    default:
      return 'INTERNAL';
  }
}

export type PutOutcome = 'created' | 'updated' | 'unchanged';

export class CausewayClient {
  readonly address: string;
  private readonly token: string | undefined;
  private readonly timeoutMs: number;

  constructor(opts: ClientOptions) {
    this.address = opts.address.replace(/\/+$/, '');
    this.token = opts.token;
    this.timeoutMs = opts.timeoutMs ?? 30_000;
  }

  /** Low-level request; throws ApiError on a non-2xx answer. */
  async request<T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T; headers: Headers; text: string }> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(`${this.address}${path}`, {
        method,
        headers,
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (e) {
      const cause = (e as { cause?: { code?: string } }).cause?.code ?? (e as Error).message;
      throw new CausewayError('UNAVAILABLE', `cannot reach the control plane at ${this.address} (${cause})`);
    }
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    if (!res.ok) throw new ApiError(res.status, parsed as ApiErrorBody | undefined, `${method} ${path}: HTTP ${res.status} ${text.slice(0, 200)}`);
    return { status: res.status, body: parsed as T, headers: res.headers, text };
  }

  static itemPath(type: ResourceType, mesh: string | undefined, name?: string): string {
    const d = descriptorOf(type);
    const base = d.scope === 'mesh' ? `/meshes/${encodeURIComponent(mesh ?? 'default')}/${d.path}` : `/${d.path}`;
    return name === undefined ? base : `${base}/${encodeURIComponent(name)}`;
  }

  async index(): Promise<IndexInfo> {
    return (await this.request<IndexInfo>('GET', '/')).body;
  }

  async get<T extends ResourceType>(type: T, mesh: string | undefined, name: string): Promise<Resource<T>> {
    const { body } = await this.request<Record<string, unknown>>('GET', CausewayClient.itemPath(type, mesh, name));
    return asType(readUniversal(body), type);
  }

  /** Lists one page. `mesh` absent on a mesh-scoped type lists every mesh. */
  async list<T extends ResourceType>(type: T, params: ListParams = {}): Promise<Page<Resource<T>>> {
    const d = descriptorOf(type);
    const path = d.scope === 'mesh' && params.mesh === undefined ? `/${d.path}` : CausewayClient.itemPath(type, params.mesh);
    const q = new URLSearchParams();
    if (params.size !== undefined) q.set('size', String(params.size));
    if (params.offset !== undefined) q.set('offset', params.offset);
    if (params.name !== undefined) q.set('name', params.name);
    for (const [k, v] of Object.entries(params.tags ?? {})) q.append('tag', `${k}:${v}`);
    const qs = q.toString();
    const { body } = await this.request<{ total: number; items: Record<string, unknown>[]; next: string | null }>('GET', qs ? `${path}?${qs}` : path);
    return { total: body.total, items: body.items.map((i) => asType(readUniversal(i), type)), ...offsetOf(body.next) };
  }

  /** Every item of a list, page by page. */
  async listAll<T extends ResourceType>(type: T, params: Omit<ListParams, 'size' | 'offset'> = {}): Promise<Resource<T>[]> {
    const out: Resource<T>[] = [];
    let offset: string | undefined;
    do {
      const page = await this.list(type, { ...params, size: 1000, ...(offset ? { offset } : {}) });
      out.push(...page.items);
      offset = page.next;
    } while (offset);
    return out;
  }

  /**
   * Creates or updates. A non-zero `version` makes the write conditional (409 when stale). `warnings` are
   * the server's (Kuma's field of a write answer): one `<field>: <reason>` per field the resource holds that
   * Causeway accepts and stores but does not apply (a Deny whose targetRef selects nothing, ...); empty when
   * none. The write succeeded either way.
   */
  async put(r: Resource): Promise<{ resource: AnyResource; outcome: PutOutcome; warnings: string[] }> {
    const doc = toUniversal(r, { omitMeta: true });
    if (r.version > 0) doc.version = r.version;
    const res = await this.request<Record<string, unknown>>('PUT', CausewayClient.itemPath(r.type, r.mesh, r.name), doc);
    const outcome = (res.headers.get('x-causeway-outcome') as PutOutcome | null) ?? (res.status === 201 ? 'created' : 'updated');
    // `warnings` sits next to the resource's fields: take it out before reading them (a Mesh's spec is top level).
    const { warnings, ...body } = res.body;
    return { resource: readUniversal(body), outcome, warnings: Array.isArray(warnings) ? warnings.map(String) : [] };
  }

  async delete(type: ResourceType, mesh: string | undefined, name: string): Promise<void> {
    await this.request('DELETE', CausewayClient.itemPath(type, mesh, name));
  }

  /**
   * Issues a dataplane token (zone control plane, admin token): `tags` maps a tag name to the values the
   * Dataplane may declare (`{"kuma.io/service": ["web"]}`, the services its inbounds claim; a token without
   * them is refused by zones unless they allow untagged tokens); `validFor` a duration such as `24h`.
   */
  async dataplaneToken(req: { mesh: string; name: string; tags?: Record<string, string[]>; validFor?: string }): Promise<string> {
    return (await this.request('POST', '/tokens/dataplane', req)).text.trim();
  }

  /**
   * Issues a zone token for the ZoneIngress/ZoneEgress proxies of `zone` (admin token). At global `zone` is
   * required (signed with global's zone-token key, accepted by that zone only); a zone control plane signs
   * tokens of its own zone (`zone` optional, another refused).
   */
  async zoneToken(req: { zone?: string; scope?: ('ingress' | 'egress')[]; validFor?: string }): Promise<string> {
    return (await this.request('POST', '/tokens/zone', req)).text.trim();
  }

  /** Traffic to an ExternalService over the last 5 min and hour, per zone and in total (`GET .../stats`). */
  async externalServiceStats(mesh: string, name: string): Promise<ExternalServiceStats> {
    return this.getJson<ExternalServiceStats>(`/meshes/${encodeURIComponent(mesh)}/external-services/${encodeURIComponent(name)}/stats`);
  }

  /** The services calling an ExternalService, per zone, with their rates (`GET .../callers`). */
  async externalServiceCallers(mesh: string, name: string): Promise<ExternalServiceCallers> {
    return this.getJson<ExternalServiceCallers>(`/meshes/${encodeURIComponent(mesh)}/external-services/${encodeURIComponent(name)}/callers`);
  }

  /** GET of any read-only path (inspect views), parsed JSON. */
  async getJson<T = unknown>(path: string): Promise<T> {
    return (await this.request<T>('GET', path)).body;
  }
}

function offsetOf(next: string | null | undefined): { next?: string } {
  if (!next) return {};
  try {
    const o = new URL(next).searchParams.get('offset');
    return o ? { next: o } : {};
  } catch {
    return {};
  }
}
