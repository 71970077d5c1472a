/**
 * The router: forwards one HTTP request to an upstream host of the route's cluster, with Envoy's route
 * timeout (whole request, 504 "upstream request timeout"), retry policy (retry_on, num_retries,
 * per_try_timeout, jittered back-off, another host preferred on retry) and local replies
 * (503 "no healthy upstream", 503 "upstream connect error or disconnect/reset before headers...").
 *
 * The request body streams to the upstream and is kept (up to a limit) so that a retry can replay it;
 * past the limit the request is no longer retried, as in Envoy.
 */
import { randomUUID } from 'node:crypto';
import { constants as h2constants, type Http2ServerRequest, type Http2ServerResponse, type OutgoingHttpHeaders } from 'node:http2';
import { type AccessLogEntry, type AccessLogger, anyEnabled } from '../access-log.js';
import { type ConnectionInfo, destinationAddress, type ProxyContext, sourceAddress } from '../context.js';
import type { HttpStats } from '../stats.js';
import { ConnectError, type ClusterRuntime, type Host, isConnected } from '../upstream/cluster.js';
import { type BodyFraming, headerLines, UpstreamRequest } from '../upstream/http1.js';
import { H2UpstreamRequest, h2Headers, type UpstreamResponseLike } from '../upstream/http2.js';
import { holdWrites, releaseWrites } from '../write-batch.js';
import type { H1Request, H1Response } from './h1-server.js';
import type { Headers } from './headers.js';
import { backoffMs, type CompiledAction, type HeaderAdd, pickCluster, retriableFailure, retriableStatus } from './action.js';

export const RETRY_BUFFER_LIMIT = 1024 * 1024;

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'trailer', 'proxy-authenticate', 'http2-settings']);

export type DownstreamRequest = H1Request | Http2ServerRequest;
export type DownstreamResponse = H1Response | Http2ServerResponse;

export function isH2Response(res: DownstreamResponse): res is Http2ServerResponse {
  return 'stream' in res;
}

/** Aborts a downstream response (HTTP/1.1: close the connection; HTTP/2: reset the stream). */
export function destroyResponse(res: DownstreamResponse): void {
  if (isH2Response(res)) {
    if (!res.stream.destroyed) res.stream.close(h2constants.NGHTTP2_INTERNAL_ERROR);
  } else res.destroy();
}

/** Writes a response head on HTTP/1.1 (raw header list) or HTTP/2 (header object). */
function writeHead(res: DownstreamResponse, status: number, statusMessage: string, headers: [string, string][]): void {
  if (isH2Response(res)) res.writeHead(status, h2Headers(headers) as OutgoingHttpHeaders);
  else res.writeHead(status, statusMessage, headers.flat());
}

interface BodySink {
  readonly destroyed: boolean;
  write(chunk: Buffer): boolean;
  end(): void;
  once(event: 'drain', fn: () => void): unknown;
}

/** Buffers the request body for replay while streaming it to the current attempt. */
class RequestBody {
  private chunks: Buffer[] = [];
  private sink: BodySink | undefined;
  ended = false;
  overflow = false;
  bytes = 0;
  constructor(
    private readonly req: DownstreamRequest,
    limit: number,
  ) {
    req.on('data', (c: Buffer) => {
      this.bytes += c.length;
      if (!this.overflow) {
        this.chunks.push(c);
        if (this.bytes > limit) {
          this.overflow = true;
          this.chunks = [];
        }
      }
      const s = this.sink;
      if (s && !s.destroyed && !s.write(c)) {
        req.pause();
        s.once('drain', () => req.resume());
      }
    });
    req.on('end', () => {
      this.ended = true;
      const s = this.sink;
      if (s && !s.destroyed) s.end();
    });
  }
  get replayable(): boolean {
    return !this.overflow;
  }
  /** Sends what arrived so far to a new attempt, then streams the rest. */
  attach(up: BodySink): void {
    this.sink = up;
    for (const c of this.chunks) up.write(c);
    if (this.ended) up.end();
    else if (this.req.isPaused()) this.req.resume();
  }
  detach(): void {
    this.sink = undefined;
  }
}

function addHeaders(list: [string, string][], adds: HeaderAdd[]): [string, string][] {
  let out = list;
  for (const a of adds) {
    const exists = out.some(([k]) => k.toLowerCase() === a.key);
    if (a.mode === 'add-if-absent' && exists) continue;
    if (a.mode === 'overwrite-if-exists' && !exists) continue;
    if (a.mode === 'overwrite' || a.mode === 'overwrite-if-exists') out = out.filter(([k]) => k.toLowerCase() !== a.key);
    out.push([a.key, a.value]);
  }
  return out;
}

export interface RouteTarget {
  action: CompiledAction;
  routeName: string | undefined;
}

/** Handles one request end to end (the route is already chosen). */
export class Forwarder {
  private attempts = 0;
  private retriesLeft: number;
  private readonly tried = new Set<Host>();
  private readonly body: RequestBody;
  private upReq: UpstreamRequest | H2UpstreamRequest | undefined;
  /** Ends the accounting of the current attempt (active request gauges, per-try timer); idempotent. */
  private settleAttempt: (() => boolean) | undefined;
  private readonly framing: BodyFraming;
  private host: Host | undefined;
  private cluster: ClusterRuntime | undefined;
  private clusterName: string | undefined;
  private globalTimer: NodeJS.Timeout | undefined;
  private durationTimer: NodeJS.Timeout | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  private perTryTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private responseStarted = false;
  private finished = false;
  private attemptStart = 0;
  private flags = '-';
  private bytesSent = 0;
  private status = 0;
  private readonly requestId: string;
  private readonly headers: [string, string][];
  /** `headers` serialized as HTTP/1.1 header lines (first HTTP/1.1 attempt) */
  private headerLines: string | undefined;
  private readonly path: string;

  constructor(
    private readonly ctx: ProxyContext,
    private readonly conn: ConnectionInfo,
    private readonly hcmStats: HttpStats,
    private readonly req: DownstreamRequest,
    private readonly res: DownstreamResponse,
    private readonly target: RouteTarget,
    private readonly startedAt: number,
    private readonly serverHeader: string,
    private readonly loggers: AccessLogger[],
    /** the request headers including pseudo-headers (:method, :path, :authority); called only when needed */
    matchHeaders: () => Headers = () => req.headers,
    private readonly streamIdleMs = 0,
  ) {
    const a = target.action;
    this.retriesLeft = a.retry?.numRetries ?? 0;
    // retriable_request_headers: only matching requests are retried (e.g. by :method)
    if (a.retry && a.retry.requestHeaders.length > 0) {
      const h = matchHeaders();
      if (!a.retry.requestHeaders.some((m) => m(h))) this.retriesLeft = 0;
    }
    this.body = new RequestBody(req, RETRY_BUFFER_LIMIT);
    const raw = req.rawHeaders;
    const connection = req.headers.connection;
    const connectionTokens =
      connection === undefined
        ? undefined
        : new Set(
            String(connection)
              .split(',')
              .map((s) => s.trim().toLowerCase())
              .filter(Boolean),
          );
    let headers: [string, string][] = [];
    let requestId: string | undefined;
    let proto = false;
    let hasHost = false;
    for (let i = 0; i < raw.length; i += 2) {
      const k = raw[i] as string;
      const lk = k.toLowerCase();
      if (HOP_BY_HOP.has(lk) || connectionTokens?.has(lk) === true || lk.startsWith(':')) continue;
      if (lk === 'te' && String(raw[i + 1]).trim().toLowerCase() !== 'trailers') continue;
      if (lk === 'host') hasHost = true;
      if (a.requestHeadersToRemove.includes(lk)) continue;
      if (lk === 'x-request-id') requestId = raw[i + 1];
      if (lk === 'x-forwarded-proto') proto = true;
      if (lk === 'host' && a.hostRewrite !== undefined) {
        headers.push([k, a.hostRewrite]);
        continue;
      }
      if (lk === 'x-envoy-expected-rq-timeout-ms') continue;
      headers.push([k, raw[i + 1] as string]);
    }
    // HTTP/2 downstream: :authority becomes the Host header
    const authority = req.headers[':authority'];
    if (!hasHost && typeof authority === 'string') headers.unshift(['host', a.hostRewrite ?? authority]);
    if (!proto) headers.push(['x-forwarded-proto', conn.tls ? 'https' : 'http']);
    // the body keeps the downstream framing: chunked stays chunked, a length stays a length; an HTTP/2
    // request without a length is sent chunked unless its HEADERS frame ended the stream
    const h2req = 'stream' in req ? req : undefined;
    this.framing =
      req.headers['transfer-encoding'] !== undefined
        ? 'chunked'
        : req.headers['content-length'] !== undefined
          ? 'length'
          : h2req && !h2req.stream.endAfterHeaders
            ? 'chunked'
            : 'none';
    this.requestId = requestId ?? randomUUID();
    if (!requestId) headers.push(['x-request-id', this.requestId]);
    if (a.requestHeadersToAdd.length) headers = addHeaders(headers, a.requestHeadersToAdd);
    this.headers = headers;
    let path = req.url ?? '/';
    if (a.prefixRewrite !== undefined && a.prefix !== undefined && path.startsWith(a.prefix)) {
      // as Envoy: the upstream sees where the request was originally going
      headers.push(['x-envoy-original-path', path]);
      path = a.prefixRewrite + path.slice(a.prefix.length);
    }
    this.path = path;
    res.once('close', () => {
      if (!this.finished) {
        // downstream went away before the response was complete
        this.flags = this.flags === '-' ? 'DC' : `${this.flags},DC`;
        this.abortUpstream();
        this.finish();
      }
    });
  }

  start(): void {
    const a = this.target.action;
    if (a.timeoutMs > 0) this.globalTimer = setTimeout(() => this.onGlobalTimeout(), a.timeoutMs);
    if (a.maxStreamDurationMs > 0) this.durationTimer = setTimeout(() => this.onStreamTimeout('DT'), a.maxStreamDurationMs);
    if (this.streamIdleMs > 0) {
      // stream_idle_timeout: no bytes either way for that long
      const idle = setTimeout(() => this.onStreamTimeout('SI'), this.streamIdleMs);
      this.idleTimer = idle;
      this.req.on('data', () => idle.refresh());
    }
    this.attempt();
  }

  /** max_stream_duration or stream_idle_timeout: 408 before the response started, a reset after. */
  private onStreamTimeout(flag: 'DT' | 'SI'): void {
    if (this.finished) return;
    this.abortUpstream();
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.responseStarted) {
      this.flags = flag;
      destroyResponse(this.res);
      this.finish();
      return;
    }
    this.localReply(408, flag === 'SI' ? 'stream timeout' : 'request timeout', flag);
  }

  private attempt(): void {
    this.retryTimer = undefined;
    if (this.finished) return;
    const a = this.target.action;
    const name = this.clusterName ?? pickCluster(a, this.req.headers);
    this.clusterName = name;
    const cluster = name === undefined ? undefined : this.ctx.cluster(name);
    if (!cluster) {
      this.hcmStats.no_cluster++;
      this.localReply(a.clusterNotFoundStatus, '', 'NC');
      return;
    }
    this.cluster = cluster;
    const host = cluster.chooseHost(this.tried, this.conn);
    if (!host) {
      cluster.stats.upstream_cx_none_healthy++;
      this.localReply(503, 'no healthy upstream', 'UH');
      return;
    }
    this.attempts++;
    this.host = host;
    this.tried.add(host);
    host.activeRequests++;
    cluster.stats.upstream_rq_total++;
    cluster.stats.upstream_rq_active++;
    this.attemptStart = performance.now();
    const perTry = a.retry?.perTryTimeoutMs ?? 0;
    const expected = perTry > 0 ? perTry : a.timeoutMs;
    const method = this.req.method ?? 'GET';
    let up: UpstreamRequest | H2UpstreamRequest;
    if (cluster.http2) {
      const headers = this.attemptHeaders(host);
      if (expected > 0) headers.push(['x-envoy-expected-rq-timeout-ms', String(Math.round(expected))]);
      if (this.attempts > 1) headers.push(['x-envoy-attempt-count', String(this.attempts)]);
      const h = h2Headers(headers);
      const hostHeader = headers.find(([k]) => k.toLowerCase() === 'host')?.[1] ?? host.key;
      h[':method'] = method;
      h[':path'] = this.path;
      h[':scheme'] = host.tls ? 'https' : 'http';
      h[':authority'] = hostHeader;
      up = new H2UpstreamRequest(h);
    } else {
      // the forwarded headers are serialized once per request; only the per-attempt ones are added here
      let lines: string;
      if (a.autoHostRewrite && host.hostname) lines = headerLines(this.attemptHeaders(host));
      else {
        this.headerLines ??= headerLines(this.headers);
        lines = this.headerLines;
      }
      let head = `${method} ${this.path} HTTP/1.1\r\n${lines}`;
      if (expected > 0) head += `x-envoy-expected-rq-timeout-ms: ${Math.round(expected)}\r\n`;
      if (this.attempts > 1) head += `x-envoy-attempt-count: ${this.attempts}\r\n`;
      if (this.framing === 'chunked' && !this.headers.some(([k]) => k.toLowerCase() === 'transfer-encoding')) head += 'transfer-encoding: chunked\r\n';
      up = new UpstreamRequest(`${head}\r\n`, this.framing, method === 'HEAD');
    }
    let settled = false;
    const done = () => {
      if (settled) return false;
      settled = true;
      host.activeRequests--;
      cluster.stats.upstream_rq_active--;
      if (this.perTryTimer) clearTimeout(this.perTryTimer);
      this.perTryTimer = undefined;
      this.body.detach();
      return true;
    };
    // An attempt abandoned by us (route timeout, downstream gone) gets no 'response'/'error': release it here.
    this.settleAttempt = done;
    if (perTry > 0) {
      this.perTryTimer = setTimeout(() => {
        if (!done()) return;
        cluster.stats.upstream_rq_per_try_timeout++;
        up.destroy();
        cluster.recordFailure(host, 504);
        this.afterFailure('per-try-timeout', 504, 'upstream request timeout', 'UT');
      }, perTry);
    }
    up.on('response', (upRes: UpstreamResponseLike) => {
      if (!done()) {
        upRes.resume();
        return;
      }
      this.onResponse(up, upRes, cluster, host);
    });
    up.on('error', (err: Error) => {
      if (!done()) return;
      const connectFailure = err instanceof ConnectError || !isConnected(up.socket);
      if (!connectFailure) cluster.recordFailure(host, 'local-origin');
      if (connectFailure) {
        const timeout = err instanceof ConnectError && err.failure === 'connect-timeout';
        this.afterFailure(
          'connect-failure',
          503,
          `upstream connect error or disconnect/reset before headers. reset reason: ${timeout ? 'connection timeout' : 'connection failure'}${err.message.startsWith('TLS error') ? `, transport failure reason: ${err.message}` : ''}`,
          'UF',
        );
      } else {
        this.afterFailure('reset', 503, 'upstream connect error or disconnect/reset before headers. reset reason: connection termination', 'UC');
      }
    });
    this.upReq = up;
    if (up instanceof H2UpstreamRequest) host.h2pool().request(up);
    else host.pool().request(up);
    this.body.attach(up);
  }

  /** The forwarded headers for an attempt to `host` (a copy: auto_host_rewrite puts the host's name in Host). */
  private attemptHeaders(host: Host): [string, string][] {
    const hostname = this.target.action.autoHostRewrite ? host.hostname : undefined;
    if (!hostname) return this.headers.slice();
    return this.headers.map(([k, v]): [string, string] => (k.toLowerCase() === 'host' ? [k, hostname] : [k, v]));
  }

  private afterFailure(kind: 'connect-failure' | 'reset' | 'per-try-timeout', status: number, message: string, flag: string): void {
    if (this.finished) return;
    const r = this.target.action.retry;
    if (r && this.retriesLeft > 0 && this.body.replayable && retriableFailure(r, kind)) {
      this.scheduleRetry();
      return;
    }
    if (this.cluster && kind === 'per-try-timeout') this.cluster.stats.upstream_rq_timeout++;
    this.localReply(status, message, flag);
  }

  private scheduleRetry(): void {
    const r = this.target.action.retry;
    if (!r) return;
    this.retriesLeft--;
    if (this.cluster) this.cluster.stats.upstream_rq_retry++;
    const used = r.numRetries - this.retriesLeft;
    this.retryTimer = setTimeout(() => this.attempt(), backoffMs(r, used));
  }

  private onResponse(up: UpstreamRequest | H2UpstreamRequest, upRes: UpstreamResponseLike, cluster: ClusterRuntime, host: Host): void {
    const status = upRes.statusCode ?? 502;
    const elapsed = performance.now() - this.attemptStart;
    cluster.stats.recordResponse(status);
    cluster.stats.upstream_rq_time.record(elapsed);
    if (status >= 500) cluster.recordFailure(host, status);
    else cluster.recordSuccess(host);
    const r = this.target.action.retry;
    if (r && this.retriesLeft > 0 && this.body.replayable && !this.finished && retriableStatus(r, status, upRes.rawHeaders)) {
      upRes.resume(); // drain and return the connection to the pool
      this.scheduleRetry();
      return;
    }
    if (this.finished) {
      upRes.resume();
      return;
    }
    if (this.attempts > 1) cluster.stats.upstream_rq_retry_success += status < 500 ? 1 : 0;
    this.responseStarted = true;
    this.status = status;
    const a = this.target.action;
    const raw = upRes.rawHeaders;
    const res = this.res;
    const serviceTime = String(Math.round(elapsed));
    // HTTP/1.1: what this event-loop turn writes (head, body, end) goes out at its end (write-batch.ts)
    const sock = isH2Response(res) ? null : res.socket;
    if (sock) holdWrites(sock);
    if (!isH2Response(res) && a.responseHeadersToAdd.length === 0) {
      // HTTP/1.1 without headers to add: the flat [name, value, ...] list node:http takes, built directly
      const flat: string[] = [];
      for (let i = 0; i < raw.length; i += 2) {
        const k = raw[i] as string;
        const lk = k.toLowerCase();
        if (HOP_BY_HOP.has(lk) || lk === 'server' || a.responseHeadersToRemove.includes(lk)) continue;
        flat.push(k, raw[i + 1] as string);
      }
      flat.push('x-envoy-upstream-service-time', serviceTime, 'server', this.serverHeader);
      res.writeHead(status, upRes.statusMessage, flat);
    } else {
      let headers: [string, string][] = [];
      for (let i = 0; i < raw.length; i += 2) {
        const lk = (raw[i] as string).toLowerCase();
        if (HOP_BY_HOP.has(lk) || lk === 'server' || a.responseHeadersToRemove.includes(lk)) continue;
        headers.push([raw[i] as string, raw[i + 1] as string]);
      }
      headers.push(['x-envoy-upstream-service-time', serviceTime], ['server', this.serverHeader]);
      if (a.responseHeadersToAdd.length) headers = addHeaders(headers, a.responseHeadersToAdd);
      if (upRes.endAfterHeaders && isH2Response(res)) {
        // a response that is only a HEADERS frame (gRPC "trailers-only") is passed on as one
        res.stream.respond({ ...h2Headers(headers), ':status': status }, { endStream: true });
        upRes.resume();
        cluster.stats.upstream_rq_completed++;
        this.finish();
        return;
      }
      writeHead(res, status, upRes.statusMessage, headers);
    }
    upRes.on('data', (c: Buffer) => {
      this.bytesSent += c.length;
      this.idleTimer?.refresh();
      if (sock && sock.writableLength + c.length >= sock.writableHighWaterMark) releaseWrites(sock);
      if (!(res as H1Response).write(c)) {
        upRes.pause();
        res.once('drain', () => upRes.resume());
      }
    });
    upRes.on('end', () => {
      cluster.stats.upstream_rq_completed++;
      // trailers (gRPC status) can only be carried to an HTTP/2 downstream
      if (upRes.trailers && isH2Response(res)) res.addTrailers(upRes.trailers);
      res.end();
      this.finish();
    });
    upRes.on('aborted', () => {
      this.flags = 'UC';
      destroyResponse(res);
      this.finish();
    });
    void up;
  }

  private onGlobalTimeout(): void {
    this.globalTimer = undefined;
    if (this.finished) return;
    if (this.cluster) this.cluster.stats.upstream_rq_timeout++;
    this.hcmStats.rq_timeout++;
    this.abortUpstream();
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.responseStarted) {
      this.flags = 'UT';
      destroyResponse(this.res);
      this.finish();
      return;
    }
    if (this.host && this.cluster) this.cluster.recordFailure(this.host, 504);
    this.localReply(504, 'upstream request timeout', 'UT');
  }

  private abortUpstream(): void {
    this.settleAttempt?.();
    const up = this.upReq;
    if (up && !up.destroyed) up.destroy();
    if (this.perTryTimer) clearTimeout(this.perTryTimer);
    this.perTryTimer = undefined;
  }

  private localReply(status: number, body: string, flag: string): void {
    if (this.finished) return;
    this.flags = flag;
    this.status = status;
    sendLocalReply(this.res, status, body, this.serverHeader);
    this.bytesSent = Buffer.byteLength(body);
    this.finish();
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    if (this.globalTimer) clearTimeout(this.globalTimer);
    if (this.durationTimer) clearTimeout(this.durationTimer);
    if (this.idleTimer) clearTimeout(this.idleTimer);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.perTryTimer) clearTimeout(this.perTryTimer);
    const duration = performance.now() - this.startedAt;
    const s = this.hcmStats;
    s.downstream_rq_active--;
    const status = this.status || (this.res.headersSent ? this.res.statusCode : 0);
    if (status) s.recordStatus(status);
    s.downstream_rq_time.record(duration);
    if (!anyEnabled(this.loggers)) return;
    const c = this.conn;
    const entry: AccessLogEntry = {
      type: 'http',
      start_time: new Date(Date.now() - duration).toISOString(),
      listener: c.listener,
      source: sourceAddress(c),
      destination: destinationAddress(c),
      sni: c.serverName,
      downstream_peer_uri_san: c.peer?.sans.uri[0],
      cluster: this.clusterName,
      upstream_host: this.host?.key,
      method: this.req.method ?? '',
      path: this.req.url ?? '',
      authority: this.req.headers.host,
      protocol: `HTTP/${this.req.httpVersion}`,
      status,
      response_flags: this.flags,
      bytes_received: this.body.bytes,
      bytes_sent: this.bytesSent,
      duration_ms: Math.round(duration * 1000) / 1000,
      attempts: this.attempts,
      request_id: this.requestId,
    };
    for (const l of this.loggers) l.log(entry, this.req.headers);
  }
}

/** An Envoy local reply (404 no route, 503 no healthy upstream, 504 timeout, ...). */
export function sendLocalReply(res: DownstreamResponse, status: number, body: string, server: string): void {
  if (res.headersSent) {
    destroyResponse(res);
    return;
  }
  const headers: Record<string, string | number> = { 'content-length': Buffer.byteLength(body), date: new Date().toUTCString(), server };
  if (body) headers['content-type'] = 'text/plain';
  res.writeHead(status, headers);
  res.end(body);
}
