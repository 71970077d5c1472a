/**
 * The upstream side of HTTP/1.1 proxying: a per-host keep-alive connection pool and requests written
 * as raw bytes and parsed with Node's own llhttp binding (the parser `node:http` uses). Compared with
 * `http.request` + `http.Agent` this avoids most per-request allocations of the generic client, which is
 * where a proxy written on `node:http` spends its time.
 *
 * A request streams its body (content-length or chunked framing, as the downstream request had);
 * the response is an event emitter (`data`, `end`, `aborted`) with pause/resume mapped to the socket.
 */
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { holdWrites, releaseWrites, writeBatched } from '../write-batch.js';
import { kOnBody, kOnExecute, kOnHeaders, kOnHeadersComplete, kOnMessageComplete, newParser, type Parser } from '../http/llhttp.js';
import type { Host, UpstreamSocket } from './cluster.js';

/** The response of an upstream request. */
export class UpstreamResponse extends EventEmitter {
  statusCode = 0;
  statusMessage = '';
  rawHeaders: string[] = [];
  complete = false;
  constructor(private readonly conn: PooledConnection) {
    super();
  }
  pause(): void {
    this.conn.socket.pause();
  }
  resume(): void {
    this.conn.socket.resume();
  }
}

export type BodyFraming = 'none' | 'length' | 'chunked';

/** One request on a pooled connection; the subset of ClientRequest the router uses. */
export class UpstreamRequest extends EventEmitter {
  destroyed = false;
  /** the connection was reused from the pool (not freshly opened) */
  reused = false;
  conn: PooledConnection | undefined;
  private ended = false;
  constructor(
    readonly head: string,
    readonly framing: BodyFraming,
    readonly isHead: boolean,
  ) {
    super();
  }
  get socket(): UpstreamSocket | undefined {
    return this.conn?.socket;
  }
  write(chunk: Buffer): boolean {
    const c = this.conn;
    if (!c || this.destroyed || this.ended || chunk.length === 0) return true;
    if (this.framing === 'chunked') {
      const s = c.socket;
      if (s.writableLength + chunk.length >= s.writableHighWaterMark) releaseWrites(s);
      else holdWrites(s);
      s.cork();
      s.write(`${chunk.length.toString(16)}\r\n`, 'latin1');
      s.write(chunk);
      const ok = s.write('\r\n', 'latin1');
      s.uncork();
      return ok;
    }
    return writeBatched(c.socket, chunk);
  }
  end(): void {
    if (this.ended || this.destroyed) return;
    this.ended = true;
    if (this.framing === 'chunked') this.conn?.socket.write('0\r\n\r\n', 'latin1');
    this.conn?.requestWritten();
  }
  get finishedWriting(): boolean {
    return this.ended;
  }
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.conn?.abort();
  }
}

/** A keep-alive connection to a host with its response parser. */
export class PooledConnection {
  readonly parser: Parser;
  current: UpstreamRequest | undefined;
  private response: UpstreamResponse | undefined;
  private keepAlive = true;
  private responseDone = false;
  private closed = false;
  private headers: string[] = [];

  constructor(
    readonly pool: HostPool,
    readonly socket: UpstreamSocket,
  ) {
    const p = newParser('response');
    p[kOnHeaders] = (headers: string[]) => {
      this.headers.push(...headers);
    };
    p[kOnHeadersComplete] = (_maj: number, _min: number, headers: string[] | undefined, _m: unknown, _u: unknown, statusCode: number, statusMessage: string, upgrade: boolean, shouldKeepAlive: boolean) =>
      this.onHeaders(headers, statusCode, statusMessage, upgrade, shouldKeepAlive);
    p[kOnBody] = (b: Buffer) => {
      this.response?.emit('data', b);
    };
    p[kOnMessageComplete] = () => this.onMessageComplete();
    p[kOnExecute] = () => {};
    this.parser = p;
    socket.on('data', (d: Buffer) => {
      const r = this.parser.execute(d);
      if (r instanceof Error) this.fail(new Error(`upstream sent an invalid HTTP response: ${r.message}`));
    });
    socket.on('end', () => {
      // a close-delimited body ends here
      if (this.response && !this.responseDone) this.parser.finish();
    });
    socket.on('error', (e: Error) => this.fail(e));
    socket.on('close', () => this.onClose());
    socket.on('drain', () => this.current?.emit('drain'));
  }

  private onHeaders(headers: string[] | undefined, statusCode: number, statusMessage: string, upgrade: boolean, shouldKeepAlive: boolean): number {
    const req = this.current;
    const all = headers ?? this.headers;
    this.headers = [];
    if (!req) return 1;
    if (statusCode >= 100 && statusCode < 200 && statusCode !== 101) return 0; // interim response: skip
    if (upgrade || statusCode === 101) {
      this.fail(new Error('upstream switched protocols; upgrades are not supported'));
      return 1;
    }
    this.keepAlive = shouldKeepAlive;
    const res = new UpstreamResponse(this);
    res.statusCode = statusCode;
    res.statusMessage = statusMessage;
    res.rawHeaders = all;
    this.response = res;
    req.emit('response', res);
    return req.isHead ? 1 : 0; // 1: no body follows (HEAD)
  }

  private onMessageComplete(): void {
    const res = this.response;
    if (!res) return; // end of an interim (1xx) response
    this.responseDone = true;
    res.complete = true;
    res.emit('end');
    this.maybeRelease();
  }

  /** The request (head and body) has been fully written. */
  requestWritten(): void {
    this.maybeRelease();
  }

  private maybeRelease(): void {
    const req = this.current;
    if (!req || !this.responseDone || !req.finishedWriting) return;
    this.current = undefined;
    this.response = undefined;
    this.responseDone = false;
    if (this.keepAlive && !this.closed && !req.destroyed) this.pool.release(this);
    else this.socket.destroy();
  }

  start(req: UpstreamRequest): void {
    this.current = req;
    req.conn = this;
    this.responseDone = false;
    this.response = undefined;
    this.keepAlive = true;
    // the head goes out at the end of this event-loop turn (with the body, when it is already there)
    holdWrites(this.socket);
    this.socket.write(req.head, 'latin1');
  }

  /** The request was abandoned: the connection cannot be reused. */
  abort(): void {
    const res = this.response;
    this.current = undefined;
    this.response = undefined;
    this.closed = true;
    this.socket.destroy();
    if (res && !res.complete) res.emit('aborted');
  }

  private fail(e: Error): void {
    if (this.closed) return;
    this.closed = true;
    const req = this.current;
    const res = this.response;
    this.current = undefined;
    this.response = undefined;
    this.socket.destroy();
    this.pool.forget(this);
    if (res && !res.complete) res.emit('aborted', e);
    else if (req && !req.destroyed && !res) req.emit('error', e);
  }

  private onClose(): void {
    if (!this.closed) this.fail(Object.assign(new Error('upstream connection closed'), { code: 'ECONNRESET' }));
    this.pool.forget(this);
    this.parser.free?.();
  }

  get idle(): boolean {
    return this.current === undefined && !this.closed;
  }
}

/** Keep-alive connections to one host. */
export class HostPool {
  private readonly idle: PooledConnection[] = [];
  private draining = false;
  constructor(private readonly host: Host) {}

  request(req: UpstreamRequest): void {
    let conn: PooledConnection | undefined;
    for (let c = this.idle.pop(); c !== undefined; c = this.idle.pop()) {
      if (c.idle && !c.socket.destroyed) {
        conn = c;
        break;
      }
    }
    if (conn) req.reused = true;
    else conn = new PooledConnection(this, this.host.cluster.openSocket(this.host) as UpstreamSocket & Socket);
    conn.start(req);
  }

  release(conn: PooledConnection): void {
    if (this.draining) {
      conn.socket.destroy();
      return;
    }
    this.idle.push(conn);
  }

  forget(conn: PooledConnection): void {
    const i = this.idle.indexOf(conn);
    if (i >= 0) this.idle.splice(i, 1);
  }

  /** Closes idle connections now and busy ones when their request is done. */
  drain(): void {
    this.draining = true;
    for (const c of this.idle.splice(0)) c.socket.destroy();
  }
}

/** Serializes header lines ("name: value\r\n" each). Header values were validated by the downstream parser. */
export function headerLines(headers: [string, string][]): string {
  let s = '';
  for (const [k, v] of headers) s += `${k}: ${v}\r\n`;
  return s;
}
