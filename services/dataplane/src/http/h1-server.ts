/**
 * The downstream side of HTTP/1.1: one `H1Connection` per accepted connection parses requests with
 * Node's llhttp binding (the parser `node:http` uses, as the upstream side in `upstream/http1.ts`) and
 * writes responses as raw bytes. It does what the connection manager needs from `node:http`, without
 * its per-request stream and header machinery:
 *
 * - keep-alive as HTTP/1.1 and HTTP/1.0 define it (`connection: close` / `keep-alive`), pipelined
 *   requests answered one at a time in order (the next is handed over when the previous response ends);
 * - request bodies (content-length or chunked) as `data`/`end` events with pause/resume mapped to the
 *   socket; `expect: 100-continue` answered with `100 Continue`;
 * - response framing: the response's content-length, else chunked (HTTP/1.1) or close-delimited
 *   (HTTP/1.0); no body for HEAD, 1xx, 204 and 304;
 * - Envoy's local replies for what never reaches a route: 400 (malformed), 431 (headers over the
 *   limit), 408 (headers or request not received in time), 403 (protocol upgrades: none is configured;
 *   `upgrade: h2c` is ignored, as Envoy does);
 * - the idle timeout between requests, and draining (`connection: close` on the next response);
 * - a client that half-closes abandons what it has not been answered yet.
 */
import { EventEmitter } from 'node:events';
import { methods } from 'node:_http_common';
import type { IncomingHttpHeaders } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ConnectionInfo } from '../context.js';
import { kOnBody, kOnExecute, kOnHeaders, kOnHeadersComplete, kOnMessageBegin, kOnMessageComplete, newParser, type Parser } from './llhttp.js';
import { holdWrites } from '../write-batch.js';
import { headerObject } from './headers.js';


/** Envoy's default max_request_headers_kb (60 KiB). */
export const MAX_REQUEST_HEADER_BYTES = 60 * 1024;
/** Request body bytes held for a request nobody reads yet (paused or pipelined) before the socket is paused. */
const BODY_BUFFER_LIMIT = 64 * 1024;

export interface H1Options {
  /** idle time between requests before the connection is closed (0: never) */
  idleTimeoutMs: number;
  /** time from a request's first byte to the end of its headers (0: no limit) */
  headersTimeoutMs: number;
  /** time from a request's first byte to the end of its body (0: no limit) */
  requestTimeoutMs: number;
  /** `server` header of the local replies this module sends */
  serverName: string;
  maxHeaderBytes?: number;
}

export type H1Handler = (req: H1Request, res: H1Response) => void;

/** One request; the subset of `IncomingMessage` the router uses. Body chunks arrive as `data`, then `end`. */
export class H1Request extends EventEmitter {
  complete = false;
  /** the connection closed before the request was complete */
  aborted = false;
  private paused: boolean;
  private buffered: Buffer[] = [];
  private bufferedBytes = 0;
  private endPending = false;
  constructor(
    readonly connection: H1Connection,
    readonly method: string,
    readonly url: string,
    readonly httpVersion: string,
    readonly rawHeaders: string[],
    readonly headers: IncomingHttpHeaders,
    /** not handed to the handler yet (pipelined behind another request): the body is held */
    queued: boolean,
  ) {
    super();
    this.paused = queued;
  }
  get socket(): Duplex {
    return this.connection.socket;
  }
  get info(): ConnectionInfo {
    return this.connection.info;
  }
  isPaused(): boolean {
    return this.paused;
  }
  pause(): this {
    this.paused = true;
    return this;
  }
  resume(): this {
    if (!this.paused) return this;
    this.paused = false;
    const chunks = this.buffered;
    this.buffered = [];
    this.bufferedBytes = 0;
    for (const c of chunks) {
      this.emit('data', c);
      if (this.paused) {
        // a listener paused again: keep the rest in order
        const i = chunks.indexOf(c);
        this.buffered = chunks.slice(i + 1);
        for (const b of this.buffered) this.bufferedBytes += b.length;
        return this;
      }
    }
    if (this.endPending) {
      this.endPending = false;
      this.emit('end');
    }
    this.connection.bodyConsumed();
    return this;
  }
  /** @internal a body chunk from the parser */
  push(chunk: Buffer): void {
    if (!this.paused) {
      this.emit('data', chunk);
      return;
    }
    this.buffered.push(chunk);
    this.bufferedBytes += chunk.length;
    if (this.bufferedBytes > BODY_BUFFER_LIMIT) this.connection.holdBody();
  }
  /** @internal the request is complete */
  finishBody(): void {
    this.complete = true;
    if (this.paused) this.endPending = true;
    else this.emit('end');
  }
}

type Framing = 'none' | 'length' | 'chunked' | 'close';

/** The response to one request; the subset of `ServerResponse` the router uses. */
export class H1Response extends EventEmitter {
  statusCode = 200;
  headersSent = false;
  finished = false;
  /** false: the connection closes after this response (`connection: close` is sent) */
  shouldKeepAlive: boolean;
  private framing: Framing = 'none';
  constructor(
    readonly connection: H1Connection,
    readonly req: H1Request,
    keepAlive: boolean,
  ) {
    super();
    this.shouldKeepAlive = keepAlive;
  }
  get socket(): Duplex {
    return this.connection.socket;
  }

  /**
   * Sends the status line and headers: `headers` is a flat [name, value, ...] list or an object. The
   * body framing follows the headers (content-length), else chunked on HTTP/1.1, else close-delimited.
   */
  writeHead(status: number, message?: string | readonly string[] | Record<string, string | number>, headers?: readonly string[] | Record<string, string | number>): this {
    if (this.headersSent) throw new Error('response headers already sent');
    let reason: string | undefined;
    let list = headers;
    if (typeof message === 'string') reason = message;
    else list = message;
    this.statusCode = status;
    const req = this.req;
    const conn = this.connection;
    if (conn.draining) this.shouldKeepAlive = false;
    let head = `HTTP/1.1 ${status} ${reason || STATUS_TEXT[status] || 'Unknown'}\r\n`;
    let length = false;
    if (Array.isArray(list)) {
      for (let i = 0; i < list.length; i += 2) {
        const k = list[i] as string;
        if (!length && k.length === 14 && k.toLowerCase() === 'content-length') length = true;
        head += `${k}: ${list[i + 1]}\r\n`;
      }
    } else if (list) {
      for (const k of Object.keys(list)) {
        const v = (list as Record<string, string | number>)[k];
        checkHeader(k, String(v));
        if (k.toLowerCase() === 'content-length') length = true;
        head += `${k}: ${v}\r\n`;
      }
    }
    const bodyless = req.method === 'HEAD' || status === 204 || status === 304 || (status >= 100 && status < 200);
    if (bodyless) this.framing = 'none';
    else if (length) this.framing = 'length';
    else if (req.httpVersion === '1.1') {
      this.framing = 'chunked';
      head += 'transfer-encoding: chunked\r\n';
    } else {
      this.framing = 'close';
      this.shouldKeepAlive = false;
    }
    if (!this.shouldKeepAlive) head += 'connection: close\r\n';
    else if (req.httpVersion === '1.0') head += 'connection: keep-alive\r\n';
    this.headersSent = true;
    const s = conn.socket;
    holdWrites(s);
    s.write(`${head}\r\n`, 'latin1');
    return this;
  }

  /** Writes a body chunk; returns false when the socket's buffer is full (wait for `drain`). */
  write(chunk: Buffer | string): boolean {
    if (this.finished) return false;
    if (!this.headersSent) this.writeHead(this.statusCode);
    const s = this.connection.socket;
    if (s.destroyed || this.framing === 'none' || chunk.length === 0) return true;
    if (this.framing === 'chunked') {
      const n = typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
      s.write(`${n.toString(16)}\r\n`, 'latin1');
      s.write(chunk);
      return s.write('\r\n', 'latin1');
    }
    return s.write(chunk);
  }

  end(chunk?: Buffer | string): void {
    if (this.finished) return;
    if (!this.headersSent) {
      const body = chunk === undefined ? undefined : typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      this.writeHead(this.statusCode, ['content-length', String(body?.length ?? 0)]);
      if (body?.length) this.write(body);
    } else if (chunk !== undefined) this.write(chunk);
    if (this.framing === 'chunked' && !this.connection.socket.destroyed) this.connection.socket.write('0\r\n\r\n', 'latin1');
    this.finished = true;
    this.connection.responseDone(this);
  }

  /** Gives up on the response: the connection is closed. */
  destroy(): void {
    this.connection.socket.destroy();
  }
}

function checkHeader(name: string, value: string): void {
  if (/[\r\n]/.test(name) || /[\r\n]/.test(value)) throw new Error(`invalid response header ${JSON.stringify(name)}: CR and LF are not allowed`);
}

type Phase = 'idle' | 'headers' | 'body' | 'done';

/** One downstream HTTP/1.1 connection. */
export class H1Connection {
  private readonly parser: Parser;
  /** the request being answered; later (pipelined) requests wait in `queue` */
  private current: { req: H1Request; res: H1Response } | undefined;
  private readonly queue: { req: H1Request; res: H1Response }[] = [];
  /** the request being parsed (its body may still be arriving) */
  private parsing: H1Request | undefined;
  private rawHeaders: string[] = [];
  private url = '';
  private phase: Phase = 'idle';
  private phaseTimer: NodeJS.Timeout | undefined;
  /** reading is paused because a request body is not being consumed */
  private bodyHeld = false;
  private closed = false;
  /** the next response carries `connection: close` and the connection closes after it */
  draining = false;
  /** a request said `connection: close`: no response after it keeps the connection */
  private lastRequest = false;
  /** nothing more is read (after the last request, a local error reply or a rejected upgrade) */
  private stopReading = false;
  private requestStarted = 0;

  constructor(
    readonly socket: Duplex,
    readonly info: ConnectionInfo,
    private readonly opts: H1Options,
    private readonly handler: H1Handler,
  ) {
    const p = newParser('request', opts.maxHeaderBytes ?? MAX_REQUEST_HEADER_BYTES);
    p[kOnMessageBegin] = () => this.setPhase('headers');
    p[kOnHeaders] = (headers: string[], url: string) => {
      for (const h of headers) this.rawHeaders.push(h);
      this.url += url;
    };
    p[kOnHeadersComplete] = (major: number, minor: number, headers: string[] | undefined, method: number, url: string | undefined, _s: unknown, _m: unknown, upgrade: boolean, keepAlive: boolean) =>
      this.onHeadersComplete(major, minor, headers, method, url, upgrade, keepAlive);
    p[kOnBody] = (b: Buffer) => this.parsing?.push(b);
    p[kOnMessageComplete] = () => this.onMessageComplete();
    p[kOnExecute] = () => {};
    this.parser = p;
    socket.on('data', (d: Buffer) => this.onData(d));
    socket.on('end', () => this.onEnd());
    socket.on('error', () => socket.destroy());
    socket.on('close', () => this.onClose());
    socket.on('drain', () => this.current?.res.emit('drain'));
    this.setPhase('idle');
  }

  /** requests received and not answered yet */
  get active(): number {
    return (this.current ? 1 : 0) + this.queue.length;
  }

  private onData(d: Buffer): void {
    let data = d;
    while (!this.stopReading) {
      const r = this.parser.execute(data);
      if (this.stopReading || this.closed) return; // e.g. bytes after a `connection: close` request: ignored
      if (typeof r !== 'number') {
        this.protocolError(r);
        return;
      }
      if (r >= data.length) return;
      // the parser stopped after an ignored upgrade (h2c): go on with the rest as HTTP/1.1
      data = data.subarray(r);
    }
  }

  private onHeadersComplete(major: number, minor: number, headers: string[] | undefined, method: number, url: string | undefined, upgrade: boolean, keepAlive: boolean): number {
    const raw = headers ?? this.rawHeaders;
    this.rawHeaders = [];
    const u = url ?? this.url;
    this.url = '';
    const m = methods[method] ?? 'GET';
    const h = headerObject(raw);
    const version = major === 1 && minor === 0 ? '1.0' : '1.1';
    this.setPhase('body');
    if (upgrade) {
      const proto = String(h.upgrade ?? '').toLowerCase();
      if (m === 'CONNECT' || proto !== 'h2c') {
        // no upgrade_configs: Envoy refuses the upgrade with a 403 and reads nothing more
        this.localError(403, 'upgrade not supported');
        return 1;
      }
    }
    const queued = this.current !== undefined;
    const req = new H1Request(this, m, u, version, raw, h, queued);
    const res = new H1Response(this, req, keepAlive && !this.lastRequest);
    if (!keepAlive) this.lastRequest = true;
    this.parsing = req;
    if (h.expect !== undefined && version === '1.1' && String(h.expect).toLowerCase() === '100-continue' && !queued) this.socket.write('HTTP/1.1 100 Continue\r\n\r\n', 'latin1');
    if (queued) this.queue.push({ req, res });
    else {
      this.current = { req, res };
      this.handler(req, res);
    }
    return 0;
  }

  private onMessageComplete(): void {
    const req = this.parsing;
    this.parsing = undefined;
    if (!req) return;
    if (this.lastRequest) this.stopReading = true;
    if (this.phase === 'body') this.setPhase(this.current ? 'done' : 'idle');
    req.finishBody();
  }

  /** @internal a response ended: the connection closes or the next request is handed over */
  responseDone(res: H1Response): void {
    const cur = this.current;
    if (!cur || cur.res !== res) return;
    this.current = undefined;
    process.nextTick(() => {
      res.emit('finish');
      res.emit('close');
    });
    if (!res.shouldKeepAlive) {
      this.stopReading = true;
      this.socket.end();
      return;
    }
    // a body nobody read (a local reply before it arrived) is read and dropped
    if (!cur.req.complete) {
      cur.req.removeAllListeners('data');
      cur.req.resume();
    }
    const next = this.queue.shift();
    if (next) {
      this.current = next;
      if (next.req.headers.expect !== undefined && String(next.req.headers.expect).toLowerCase() === '100-continue' && !next.req.complete) this.socket.write('HTTP/1.1 100 Continue\r\n\r\n', 'latin1');
      this.handler(next.req, next.res);
      // the handler reads the body now (its listeners are attached)
      if (next.req.isPaused()) next.req.resume();
    } else if (this.phase === 'done') this.setPhase('idle');
  }

  /** @internal a request body is being held (nobody reads it): stop reading the socket */
  holdBody(): void {
    if (this.bodyHeld) return;
    this.bodyHeld = true;
    this.socket.pause();
  }

  /** @internal a held request body was read: read the socket again */
  bodyConsumed(): void {
    if (!this.bodyHeld) return;
    this.bodyHeld = false;
    this.socket.resume();
  }

  /** Drains the connection: the next response closes it; an idle one is closed after `graceMs`. */
  drain(graceMs: number): void {
    if (this.draining) return;
    this.draining = true;
    const t = setTimeout(() => {
      if (this.active === 0) this.socket.end();
    }, graceMs);
    t.unref();
  }

  private setPhase(phase: Phase): void {
    this.phase = phase;
    if (this.phaseTimer) {
      clearTimeout(this.phaseTimer);
      this.phaseTimer = undefined;
    }
    const o = this.opts;
    if (phase === 'idle' && o.idleTimeoutMs > 0) this.phaseTimer = setTimeout(() => this.socket.end(), o.idleTimeoutMs);
    else if (phase === 'headers' && (o.headersTimeoutMs > 0 || o.requestTimeoutMs > 0)) {
      const ms = o.headersTimeoutMs > 0 && o.requestTimeoutMs > 0 ? Math.min(o.headersTimeoutMs, o.requestTimeoutMs) : o.headersTimeoutMs || o.requestTimeoutMs;
      this.requestStarted = performance.now();
      this.phaseTimer = setTimeout(() => this.onTimeout(), ms);
    } else if (phase === 'body' && o.requestTimeoutMs > 0) {
      const left = Math.max(1, o.requestTimeoutMs - (performance.now() - this.requestStarted));
      this.phaseTimer = setTimeout(() => this.onTimeout(), left);
    }
    this.phaseTimer?.unref();
  }

  /** The request (headers, or the whole request) did not arrive in time: 408 if nothing was answered yet, else close. */
  private onTimeout(): void {
    this.phaseTimer = undefined;
    if (this.closed) return;
    if (this.current?.res.headersSent || (this.current && this.parsing !== this.current.req)) {
      this.socket.destroy();
      return;
    }
    this.localError(408, 'request timeout');
  }

  private protocolError(err: Error & { code?: string }): void {
    if (err.code === 'HPE_HEADER_OVERFLOW') this.localError(431, 'request header fields too large');
    else this.localError(400, 'bad request');
  }

  /**
   * A reply for a request that never reaches the router (malformed, too large, too slow, an upgrade):
   * sent unless a response is already under way, then the connection closes.
   */
  private localError(status: number, body: string): void {
    this.stopReading = true;
    const cur = this.current;
    if (cur && cur.req !== this.parsing) {
      // an earlier request is still being answered: it finishes, then the connection closes
      cur.res.shouldKeepAlive = false;
      this.queue.length = 0;
      return;
    }
    if (cur?.res.headersSent) {
      this.socket.destroy();
      return;
    }
    const s = this.socket;
    if (s.destroyed || !s.writable) {
      s.destroy();
      return;
    }
    s.end(`HTTP/1.1 ${status} ${STATUS_TEXT[status]}\r\ncontent-length: ${Buffer.byteLength(body)}\r\ncontent-type: text/plain\r\nserver: ${this.opts.serverName}\r\nconnection: close\r\n\r\n${body}`, 'latin1');
    if (cur) {
      this.current = undefined;
      cur.res.finished = true;
      cur.res.emit('close');
    }
  }

  private onEnd(): void {
    // the client half-closed: as Envoy and node:http, requests still open are abandoned (the
    // connection closes; the router sees the response close and resets the upstream request)
    this.stopReading = true;
    if (this.active === 0 && this.parsing === undefined) this.socket.end();
    else this.socket.destroy();
  }

  private onClose(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.phaseTimer) clearTimeout(this.phaseTimer);
    const parsing = this.parsing;
    if (parsing && !parsing.complete) {
      parsing.aborted = true;
      parsing.emit('aborted');
    }
    const open = this.current ? [this.current, ...this.queue] : this.queue.slice();
    this.current = undefined;
    this.queue.length = 0;
    for (const { req, res } of open) {
      req.emit('close');
      if (!res.finished) res.emit('close');
    }
    this.parser.free?.();
  }
}

const STATUS_TEXT: Record<number, string> = {
  100: 'Continue',
  101: 'Switching Protocols',
  200: 'OK',
  201: 'Created',
  202: 'Accepted',
  204: 'No Content',
  206: 'Partial Content',
  301: 'Moved Permanently',
  302: 'Found',
  303: 'See Other',
  304: 'Not Modified',
  307: 'Temporary Redirect',
  308: 'Permanent Redirect',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  409: 'Conflict',
  413: 'Payload Too Large',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};
