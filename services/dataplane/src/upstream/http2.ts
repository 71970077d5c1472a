/**
 * HTTP/2 upstreams (clusters with `http2_protocol_options`, as the generators emit for http2/grpc
 * services): one multiplexed session per host over the cluster's connection (connect timeout, TLS,
 * stats as for HTTP/1.1), requests as streams, response trailers kept (gRPC status travels in them).
 * A session that receives GOAWAY or fails is replaced for new requests.
 */
import { type ClientHttp2Session, type ClientHttp2Stream, connect as h2connect, constants, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http2';
import { EventEmitter } from 'node:events';
import type { Host, UpstreamSocket } from './cluster.js';

/** A response as the router reads it (HTTP/1.1 and HTTP/2 alike). */
export interface UpstreamResponseLike extends EventEmitter {
  /** HTTP/2: the HEADERS frame ended the stream (no body, no trailers: gRPC "trailers-only") */
  endAfterHeaders?: boolean;
  statusCode: number;
  statusMessage: string;
  rawHeaders: string[];
  trailers: Record<string, string | string[]> | undefined;
  pause(): void;
  resume(): void;
}

const CONNECTION_HEADERS = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'host', 'http2-settings']);

/** [name, value] pairs → an HTTP/2 header object (lower-case names; duplicates joined, set-cookie kept apart). */
export function h2Headers(list: [string, string][]): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const [k, v] of list) {
    const lk = k.toLowerCase();
    if (CONNECTION_HEADERS.has(lk) || lk.startsWith(':')) continue;
    if (lk === 'te' && v.trim().toLowerCase() !== 'trailers') continue;
    const prev = out[lk];
    if (prev === undefined) out[lk] = v;
    else if (lk === 'set-cookie') out[lk] = [...(Array.isArray(prev) ? prev : [String(prev)]), v];
    else out[lk] = `${String(prev)}${lk === 'cookie' ? '; ' : ', '}${v}`;
  }
  return out;
}

export class H2UpstreamResponse extends EventEmitter implements UpstreamResponseLike {
  endAfterHeaders = false;
  statusCode = 0;
  statusMessage = '';
  rawHeaders: string[] = [];
  trailers: Record<string, string | string[]> | undefined;
  constructor(private readonly stream: ClientHttp2Stream) {
    super();
  }
  pause(): void {
    this.stream.pause();
  }
  resume(): void {
    this.stream.resume();
  }
}

/** One request as an HTTP/2 stream; the interface of UpstreamRequest. */
export class H2UpstreamRequest extends EventEmitter {
  destroyed = false;
  reused = false;
  socket: UpstreamSocket | undefined;
  private stream: ClientHttp2Stream | undefined;
  private ended = false;
  private pending: Buffer[] = [];

  constructor(
    private readonly headers: OutgoingHttpHeaders,
  ) {
    super();
  }

  start(session: ClientHttp2Session, socket: UpstreamSocket | undefined): void {
    this.socket = socket;
    let stream: ClientHttp2Stream;
    try {
      stream = session.request(this.headers, { endStream: false });
    } catch (e) {
      queueMicrotask(() => this.emit('error', e));
      return;
    }
    this.stream = stream;
    let response: H2UpstreamResponse | undefined;
    stream.on('response', (h: IncomingHttpHeaders, flags: number) => {
      const status = Number(h[':status'] ?? 0);
      if (status >= 100 && status < 200) return;
      const res = new H2UpstreamResponse(stream);
      res.statusCode = status;
      res.endAfterHeaders = (flags & constants.NGHTTP2_FLAG_END_STREAM) !== 0 || stream.endAfterHeaders;
      for (const [k, v] of Object.entries(h)) {
        if (k.startsWith(':') || v === undefined) continue;
        if (Array.isArray(v)) for (const x of v) res.rawHeaders.push(k, x);
        else res.rawHeaders.push(k, String(v));
      }
      response = res;
      this.emit('response', res);
    });
    stream.on('trailers', (t: IncomingHttpHeaders) => {
      if (!response) return;
      const out: Record<string, string | string[]> = {};
      for (const [k, v] of Object.entries(t)) if (v !== undefined && !k.startsWith(':')) out[k] = v;
      response.trailers = out;
    });
    stream.on('data', (c: Buffer) => response?.emit('data', c));
    stream.on('end', () => response?.emit('end'));
    stream.on('drain', () => this.emit('drain'));
    stream.on('error', (e: Error) => this.fail(e, response));
    stream.on('close', () => {
      if (response && !stream.readableEnded) response.emit('aborted');
      else if (!response && !this.destroyed) {
        const code = stream.rstCode;
        const e = Object.assign(new Error(code === constants.NGHTTP2_REFUSED_STREAM ? 'upstream refused the stream' : `upstream reset the stream (code ${code ?? '?'})`), {
          code: code === constants.NGHTTP2_REFUSED_STREAM ? 'REFUSED_STREAM' : 'ECONNRESET',
        });
        this.emit('error', e);
      }
    });
    for (const c of this.pending) stream.write(c);
    this.pending = [];
    if (this.ended) stream.end();
  }

  private failed = false;
  private fail(e: Error, response: H2UpstreamResponse | undefined): void {
    if (this.failed) return;
    this.failed = true;
    if (response) response.emit('aborted', e);
    else this.emit('error', e);
  }

  write(chunk: Buffer): boolean {
    if (this.destroyed || this.ended || chunk.length === 0) return true;
    if (!this.stream) {
      this.pending.push(chunk);
      return true;
    }
    return this.stream.write(chunk);
  }
  end(): void {
    if (this.ended || this.destroyed) return;
    this.ended = true;
    this.stream?.end();
  }
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.stream?.close(constants.NGHTTP2_CANCEL);
  }
}

/** One HTTP/2 session per host, replaced when it goes away. */
export class H2HostPool {
  private session: ClientHttp2Session | undefined;
  private socket: UpstreamSocket | undefined;
  private draining = false;
  constructor(private readonly host: Host) {}

  request(req: H2UpstreamRequest): void {
    let s = this.session;
    if (s && !s.closed && !s.destroyed) req.reused = true;
    else s = this.open();
    req.start(s, this.socket);
  }

  private open(): ClientHttp2Session {
    const host = this.host;
    const authority = `${host.tls ? 'https' : 'http'}://${host.address.includes(':') ? `[${host.address}]` : host.address}:${host.port}`;
    let socket: UpstreamSocket | undefined;
    const s = h2connect(authority, {
      createConnection: () => {
        socket = host.cluster.openSocket(host);
        return socket;
      },
    });
    this.socket = socket;
    this.session = s;
    s.on('error', () => {
      /* reported on the streams */
    });
    s.on('goaway', () => {
      if (this.session === s) this.session = undefined;
    });
    s.on('close', () => {
      if (this.session === s) this.session = undefined;
    });
    return s;
  }

  /** Lets open streams finish, then closes the session; new requests open a new one. */
  drain(): void {
    this.draining = true;
    this.session?.close();
    this.session = undefined;
  }

  get isDraining(): boolean {
    return this.draining;
  }
}
