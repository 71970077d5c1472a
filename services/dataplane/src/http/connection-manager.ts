/**
 * Envoy's HTTP connection manager (HTTP/1.1 downstream): parses requests on a connection handed over
 * by the listener, picks the route from the inline route_config or the RDS configuration by name
 * (looked up per request, so an RDS update applies to open connections too), runs the HTTP RBAC filter
 * if configured, and hands the request to the router.
 */
import { createServer as createH2Server, type Http2Server, type ServerHttp2Session } from 'node:http2';
import type { Duplex } from 'node:stream';
import { type AccessLogEntry, type AccessLogger, anyEnabled, compileAccessLogs } from '../access-log.js';
import { type ConnectionInfo, destinationAddress, type ProxyContext, sourceAddress } from '../context.js';
import type { HttpConnectionManager, RbacConfig } from '@causeway/envoy';
import { ENVOY_TYPE_URLS as TYPE } from '@causeway/envoy';
import { ConfigError, durationMs } from '../envoy/values.js';
import { Rbac, rbacSubject } from '../filters/rbac.js';
import type { ByteCountingSocket, HttpStats } from '../stats.js';
import type { Headers } from './headers.js';
import { H1Connection, type H1Options } from './h1-server.js';
import { CompiledRouteConfig } from './match.js';
import { type DownstreamRequest, type DownstreamResponse, Forwarder, sendLocalReply } from './router.js';

const H2_PREFACE_START = Buffer.from('PRI ', 'latin1');

export class HttpConnectionManagerFilter {
  readonly statPrefix: string;
  private readonly inlineRoutes: CompiledRouteConfig | undefined;
  readonly rdsName: string | undefined;
  private readonly rbac: Rbac[] = [];
  private readonly h1Options: H1Options;
  private readonly stats: HttpStats;
  private readonly serverName: string;
  private readonly loggers: AccessLogger[];
  private readonly codec: 'AUTO' | 'HTTP1' | 'HTTP2';
  /** stream_idle_timeout (default 5 min; 0 off) */
  private readonly streamIdleMs: number;
  /** common_http_protocol_options.max_connection_duration (0: none) */
  private readonly maxConnectionMs: number;
  /** drain_timeout (default 5 s) */
  private readonly drainTimeoutMs: number;
  private h2server: Http2Server | undefined;
  private readonly h2conns = new WeakMap<ServerHttp2Session, ConnectionInfo>();
  private pendingH2Conn: ConnectionInfo | undefined;
  private pendingH2Socket: Duplex | undefined;
  private readonly h2sessions = new WeakMap<object, ServerHttp2Session>();

  constructor(
    readonly config: HttpConnectionManager,
    private readonly ctx: ProxyContext,
    field: string,
  ) {
    this.statPrefix = config.stat_prefix ?? '';
    const codec = config.codec_type ?? 'AUTO';
    if (codec !== 'AUTO' && codec !== 'HTTP1' && codec !== 'HTTP2') throw new ConfigError(`${field}.codec_type: ${codec} is not supported`);
    this.codec = codec;
    if (config.route_config && config.rds) throw new ConfigError(`${field}: set route_config or rds, not both`);
    if (config.route_config) this.inlineRoutes = new CompiledRouteConfig(config.route_config, `${field}.route_config`);
    else if (config.rds?.route_config_name) this.rdsName = config.rds.route_config_name;
    else throw new ConfigError(`${field}: route_config or rds is required`);
    const filters = config.http_filters ?? [];
    if (filters.length === 0) throw new ConfigError(`${field}.http_filters: the router filter is required`);
    filters.forEach((f, i) => {
      const t = f.typed_config?.['@type'];
      const last = i === filters.length - 1;
      if (t === TYPE.Router || (t === undefined && f.name === 'envoy.filters.http.router')) {
        if (!last) throw new ConfigError(`${field}.http_filters[${i}]: the router must be the last filter`);
        return;
      }
      if (last) throw new ConfigError(`${field}.http_filters: the last filter must be envoy.filters.http.router`);
      if (t === TYPE.HttpRbac) {
        if (!f.disabled) this.rbac.push(new Rbac(f.typed_config as unknown as RbacConfig, `${field}.http_filters[${i}]`));
        return;
      }
      throw new ConfigError(`${field}.http_filters[${i}]: unsupported HTTP filter ${f.name} (${t ?? 'no typed_config'})`);
    });
    this.stats = ctx.stats.httpConnManager(this.statPrefix);
    this.loggers = compileAccessLogs(config.access_log, ctx.accessLog, `${field}.access_log`, (t) => ctx.accessLogSink(t));
    this.serverName = config.server_name ?? 'envoy';
    const idle = durationMs(config.common_http_protocol_options?.idle_timeout, `${field}.common_http_protocol_options.idle_timeout`) ?? 3_600_000;
    const requestTimeout = durationMs(config.request_timeout, `${field}.request_timeout`) ?? 0;
    const headersTimeout = durationMs(config.request_headers_timeout, `${field}.request_headers_timeout`) || 60_000;
    this.streamIdleMs = durationMs(config.stream_idle_timeout, `${field}.stream_idle_timeout`) ?? 300_000;
    this.maxConnectionMs = durationMs(config.common_http_protocol_options?.max_connection_duration, `${field}.common_http_protocol_options.max_connection_duration`) ?? 0;
    this.drainTimeoutMs = durationMs((config as { drain_timeout?: string }).drain_timeout, `${field}.drain_timeout`) ?? 5000;
    this.h1Options = { idleTimeoutMs: idle, headersTimeoutMs: headersTimeout, requestTimeoutMs: requestTimeout, serverName: this.serverName };
  }

  /**
   * Takes over a downstream connection (plain or TLS). HTTP/2 is recognized by ALPN "h2", or (codec
   * AUTO, as Envoy) by the connection preface "PRI * HTTP/2.0" (prior knowledge, also inside TLS).
   */
  handle(socket: Duplex, conn: ConnectionInfo): void {
    this.stats.downstream_cx_total++;
    // net.Socket / TLSSocket count their bytes: downstream_cx_rx/tx_bytes_total move while it is open
    if (typeof (socket as Partial<ByteCountingSocket>).bytesRead === 'number') this.stats.downstream_cx_bytes.track(socket as Duplex & ByteCountingSocket);
    if (this.maxConnectionMs > 0) {
      // as Envoy: past max_connection_duration the connection is drained (closed once idle)
      const t = setTimeout(() => this.drainConnection(socket), this.maxConnectionMs);
      t.unref();
      socket.once('close', () => clearTimeout(t));
    }
    const alpn = (socket as { alpnProtocol?: string | false }).alpnProtocol;
    if (this.codec === 'HTTP1') {
      this.handleH1(socket, conn);
      return;
    }
    if (this.codec === 'HTTP2' || alpn === 'h2') {
      this.handleH2(socket, conn);
      return;
    }
    let buf: Buffer = Buffer.alloc(0);
    const onData = (d: Buffer) => {
      buf = buf.length ? Buffer.concat([buf, d]) : d;
      const n = Math.min(buf.length, 4);
      if (n < 4 && buf.subarray(0, n).equals(H2_PREFACE_START.subarray(0, n))) return; // undecided yet
      socket.removeListener('data', onData);
      socket.removeListener('end', onEnd);
      socket.pause();
      socket.unshift(buf);
      if (buf.subarray(0, 4).equals(H2_PREFACE_START)) this.handleH2(socket, conn);
      else this.handleH1(socket, conn);
    };
    const onEnd = () => socket.destroy();
    socket.on('data', onData);
    socket.once('end', onEnd);
    socket.resume(); // a socket the TLS inspector paused does not flow by itself
  }

  /** every connection drains (this filter chain was replaced or removed) */
  private drainingAll = false;
  private readonly h1Open = new Set<H1Connection>();
  private readonly h1BySocket = new WeakMap<Duplex, H1Connection>();
  private readonly h2Open = new Set<ServerHttp2Session>();

  /**
   * Drains one connection as Envoy does: HTTP/2 gets a GOAWAY (open streams finish); HTTP/1.1 closes
   * after its next response (which says `connection: close`), or after drain_timeout (Envoy's default
   * 5 s) if it stays idle, so that a request racing the close is still answered.
   */
  private drainConnection(socket: Duplex): void {
    const session = this.h2sessions.get(socket);
    if (session) session.close();
    else this.h1BySocket.get(socket)?.drain(this.drainTimeoutMs);
  }

  private handleH1(socket: Duplex, conn: ConnectionInfo): void {
    const c = new H1Connection(socket, conn, this.h1Options, (req, res) => this.onRequest(req, res));
    this.h1Open.add(c);
    this.h1BySocket.set(socket, c);
    socket.once('close', () => this.h1Open.delete(c));
    if (this.drainingAll) c.drain(this.drainTimeoutMs);
    // a socket paused while sniffing (bytes unshifted back into it) flows again
    socket.resume();
  }

  private handleH2(socket: Duplex, conn: ConnectionInfo): void {
    if (!this.h2server) {
      const s = createH2Server({ settings: { enablePush: false } });
      s.on('session', (session: ServerHttp2Session) => {
        if (this.pendingH2Conn) this.h2conns.set(session, this.pendingH2Conn);
        if (this.pendingH2Socket) this.h2sessions.set(this.pendingH2Socket, session);
        this.h2Open.add(session);
        session.once('close', () => this.h2Open.delete(session));
        if (this.drainingAll) session.close();
        session.on('error', () => {});
      });
      s.on('request', (req, res) => this.onRequest(req, res));
      this.h2server = s;
    }
    // prior knowledge inside TLS without ALPN: tell the HTTP/2 server it is h2 (it refuses "no ALPN" otherwise)
    const tls = socket as { encrypted?: boolean; alpnProtocol?: string | false };
    if (tls.encrypted && tls.alpnProtocol !== 'h2') tls.alpnProtocol = 'h2';
    this.pendingH2Conn = conn;
    this.pendingH2Socket = socket;
    this.h2server.emit('connection', socket);
    this.pendingH2Conn = undefined;
    this.pendingH2Socket = undefined;
  }

  private routes(): CompiledRouteConfig | undefined {
    return this.inlineRoutes ?? (this.rdsName ? this.ctx.routeConfig(this.rdsName) : undefined);
  }

  private onRequest(req: DownstreamRequest, res: DownstreamResponse): void {
    const started = performance.now();
    const h2 = 'stream' in req;
    const conn = h2 ? this.h2conns.get(req.stream.session as ServerHttp2Session) : req.info;
    const stats = this.stats;
    stats.downstream_rq_total++;
    stats.downstream_rq_active++;
    if (!conn) {
      stats.downstream_rq_active--;
      res.destroy();
      return;
    }
    const path = req.url ?? '/';
    const authority = req.headers[':authority'];
    const host = req.headers.host ?? (typeof authority === 'string' ? authority : undefined);
    const local = (status: number, body: string, flags: string) => this.localReply(req, res, conn, started, path, host, status, body, flags);
    for (const r of this.rbac) {
      const d = r.evaluate(rbacSubject(conn, { headers: req.headers, path }));
      if (!d.allowed) {
        stats.rbac_denied++;
        local(403, 'RBAC: access denied', 'RBAC');
        return;
      }
      stats.rbac_allowed++;
    }
    const rc = this.routes();
    // route and retry header matchers may name the pseudo-headers, which HTTP/1.1 requests do not carry;
    // the object is built only if a matcher looks at headers
    let matchHeaders: Headers | undefined;
    const headers = (): Headers => {
      matchHeaders ??= h2 ? req.headers : { ...req.headers, ':method': req.method, ':path': path, ':authority': host };
      return matchHeaders;
    };
    const m = rc?.route(host, path, headers);
    if (!m) {
      stats.no_route++;
      local(404, '', 'NR');
      return;
    }
    const action = m.route.action;
    if (action.directResponse) {
      const body = action.directResponse.body?.toString('utf8') ?? '';
      local(action.directResponse.status, body, '-');
      return;
    }
    const f = new Forwarder(this.ctx, conn, stats, req, res, { action, routeName: m.route.route.name }, started, this.serverName, this.loggers, headers, this.streamIdleMs);
    f.start();
  }

  /** A local reply to a request that goes nowhere upstream (RBAC 403, no route 404, direct_response). */
  private localReply(req: DownstreamRequest, res: DownstreamResponse, conn: ConnectionInfo, started: number, path: string, host: string | undefined, status: number, body: string, flags: string): void {
    const stats = this.stats;
    sendLocalReply(res, status, body, this.serverName);
    stats.downstream_rq_active--;
    stats.recordStatus(status);
    req.resume();
    if (!anyEnabled(this.loggers)) return;
    const duration = performance.now() - started;
    const entry: AccessLogEntry = {
      type: 'http',
      start_time: new Date(Date.now() - duration).toISOString(),
      listener: conn.listener,
      source: sourceAddress(conn),
      destination: destinationAddress(conn),
      sni: conn.serverName,
      downstream_peer_uri_san: conn.peer?.sans.uri[0],
      method: req.method ?? '',
      path,
      authority: host,
      protocol: `HTTP/${req.httpVersion}`,
      status,
      response_flags: flags,
      bytes_received: 0,
      bytes_sent: Buffer.byteLength(body),
      duration_ms: Math.round(duration * 1000) / 1000,
    };
    for (const l of this.loggers) l.log(entry, req.headers);
  }

  /**
   * This filter chain was replaced or removed (a listener update): every connection drains, as Envoy
   * drains the connections of an old filter chain. New connections get the new chain.
   */
  drain(): void {
    this.drainingAll = true;
    for (const s of this.h2Open) s.close();
    for (const c of this.h1Open) c.drain(this.drainTimeoutMs);
  }

}
