/**
 * How the CLI talks HTTP: a `CausewayClient` whose requests go through node:http / node:https, so every
 * request the CLI makes honours the control plane's connection settings — a CA certificate to verify an
 * https address with, `skipVerify`, and extra headers (kumactl's `--ca-cert-file`, `--skip-verify`,
 * `--headers`). The API errors are the client's own (`ApiError`).
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { ApiError, CausewayClient } from '@causeway/client';
import { type ApiErrorBody, CausewayError } from '@causeway/core';

export interface TransportOptions {
  address: string;
  token?: string;
  /** PEM of the CA that signed the control plane's certificate (https). */
  ca?: string;
  /** Accept any server certificate (https). */
  skipVerify?: boolean;
  /** Sent with every request. */
  headers?: Record<string, string>;
  timeoutMs?: number;
}

export interface RawResponse {
  status: number;
  headers: Headers;
  text: string;
}

/** At most this much of a response is read (a config dump of a big proxy fits many times over). */
const MAX_BODY = 64 * 1024 * 1024;

function toHeaders(res: IncomingMessage): Headers {
  const h = new Headers();
  for (const [k, v] of Object.entries(res.headers)) {
    if (Array.isArray(v)) for (const x of v) h.append(k, x);
    else if (v !== undefined) h.set(k, v);
  }
  return h;
}

export class CliClient extends CausewayClient {
  private readonly opts: TransportOptions;

  constructor(opts: TransportOptions) {
    super({ address: opts.address, ...(opts.token ? { token: opts.token } : {}), ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}) });
    this.opts = opts;
  }

  /** One request; the body as text whatever its type. Transport failures are UNAVAILABLE errors. */
  raw(method: string, path: string, body?: unknown, accept = 'application/json'): Promise<RawResponse> {
    const url = new URL(`${this.address}${path}`);
    const headers: Record<string, string> = { ...(this.opts.headers ?? {}), accept };
    if (this.opts.token) headers.authorization = `Bearer ${this.opts.token}`;
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    if (payload) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(payload.length);
    }
    const https = url.protocol === 'https:';
    const send = https ? httpsRequest : httpRequest;
    const timeout = this.opts.timeoutMs ?? 30_000;
    return new Promise<RawResponse>((resolve, reject) => {
      const unavailable = (reason: string) => new CausewayError('UNAVAILABLE', `cannot reach the control plane at ${this.address} (${reason})`);
      const req = send(
        url,
        {
          method,
          headers,
          ...(https ? { ...(this.opts.ca ? { ca: this.opts.ca } : {}), rejectUnauthorized: this.opts.skipVerify !== true } : {}),
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (c: Buffer) => {
            size += c.length;
            if (size > MAX_BODY) {
              req.destroy(unavailable(`the answer is larger than ${MAX_BODY} bytes`));
              return;
            }
            chunks.push(c);
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: toHeaders(res), text: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', (e) => reject(unavailable(e.message)));
        },
      );
      req.setTimeout(timeout, () => req.destroy(unavailable(`no answer within ${timeout} ms`)));
      req.on('error', (e: NodeJS.ErrnoException) => reject(e instanceof CausewayError ? e : unavailable(e.code ? `${e.code}: ${e.message}` : e.message)));
      req.end(payload);
    });
  }

  override async request<T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T; headers: Headers; text: string }> {
    const res = await this.raw(method, path, body);
    let parsed: unknown;
    try {
      parsed = res.text === '' ? undefined : JSON.parse(res.text);
    } catch {
      parsed = undefined;
    }
    if (res.status < 200 || res.status > 299) throw new ApiError(res.status, parsed as ApiErrorBody | undefined, `${method} ${path}: HTTP ${res.status} ${res.text.slice(0, 200)}`);
    return { status: res.status, body: parsed as T, headers: res.headers, text: res.text };
  }

  /** GET of a text route (an Envoy admin page such as stats or clusters). */
  async getText(path: string): Promise<string> {
    const res = await this.raw('GET', path, undefined, 'text/plain, application/json');
    if (res.status < 200 || res.status > 299) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(res.text);
      } catch {
        parsed = undefined;
      }
      throw new ApiError(res.status, parsed as ApiErrorBody | undefined, `GET ${path}: HTTP ${res.status} ${res.text.slice(0, 200)}`);
    }
    return res.text;
  }
}

/** A 404 for a path the control plane has no route for (an older control plane), not for a missing resource. */
export function isNoRoute(e: unknown): boolean {
  return e instanceof ApiError && e.httpStatus === 404 && /^no route /.test(e.message);
}
