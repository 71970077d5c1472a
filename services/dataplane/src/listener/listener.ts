/**
 * Listeners: bind an address, accept connections, run the listener filters (tls_inspector peeks at the
 * ClientHello without consuming it), pick the filter chain, terminate TLS when the chain has a
 * DownstreamTlsContext, run the network filters (RBAC) and hand the connection to the terminal filter
 * (tcp_proxy or http_connection_manager).
 *
 * A connection keeps the listener version it was accepted with: a config update builds new listener
 * versions for new connections, and a removed listener stops accepting while its open connections finish.
 *
 * A listener listens on its `address` and on each of its `additional_addresses` (Envoy's field 33):
 * connections on any of them run the same listener filters and filter chains and count in the same
 * stats (named after the primary address).
 */
import { createServer as createNetServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type Server as TlsServer, type TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import type { ConnectionInfo, ProxyContext } from '../context.js';
import type { Address, DownstreamTlsContext, FilterChain, HttpConnectionManager, Listener, RbacConfig, TcpProxy } from '@causeway/envoy';
import { ENVOY_TYPE_URLS as TYPE } from '@causeway/envoy';
import { ConfigError, durationMs, unwrap } from '../envoy/values.js';
import { Rbac, rbacSubject } from '../filters/rbac.js';
import { TcpProxyFilter } from '../filters/tcp-proxy.js';
import { HttpConnectionManagerFilter } from '../http/connection-manager.js';
import { type ListenerStats, listenerStatName } from '../stats.js';
import { inspectClientHello } from '../tls/client-hello.js';
import { compileDownstreamTls, type DownstreamTls, peerSans, type SecretLookup } from '../tls/contexts.js';
import { type CompiledMatch, checkDuplicates, compileMatch, type ConnectionFacts, selectFilterChain } from './filter-chain-match.js';

export interface CompiledChain {
  name: string;
  tls: { server: TlsServer; dt: DownstreamTls; handshakeTimeoutMs: number } | undefined;
  rbac: Rbac[];
  terminal: TcpProxyFilter | HttpConnectionManagerFilter;
}

/** One address a listener listens on: the primary `address` or one of `additional_addresses`. */
export interface ListenerAddress {
  address: string;
  port: number;
  /** The config field it comes from: `address` or `additional_addresses[i].address`. */
  field: string;
}

/** "address:port" (the form used in logs and errors). */
export const addressText = (a: { address: string; port: number }): string => `${a.address}:${a.port}`;

/** A TCP socket address of a listener, validated; `field` (`address`, `additional_addresses[i].address`) is named in the errors. */
function socketAddress(a: Address | undefined, field: string, f: string, primary: boolean): ListenerAddress {
  const sa = a?.socket_address;
  // the primary's errors keep their historical form ("listener X: address.socket_address is required")
  const at = (sub: string) => (primary ? `${f}: ${field}${sub}` : `${f}.${field}${sub}`);
  if (!sa) throw new ConfigError(`${at('.socket_address')} is required`);
  if (sa.protocol === 'UDP') throw new ConfigError(primary ? `${f}: UDP listeners are not supported` : `${at('.socket_address.protocol')}: UDP is not supported (an additional address must be TCP like the listener's address)`);
  if (sa.port_value === undefined) throw new ConfigError(`${at('.socket_address.port_value')} is required`);
  return { address: sa.address, port: sa.port_value, field };
}

function normalizeIp(ip: string | undefined): string {
  if (!ip) return '';
  return ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip;
}

export class ListenerRuntime {
  readonly name: string;
  readonly address: string;
  readonly port: number;
  /** Every address it listens on: the primary `address` first, then `additional_addresses` in order. */
  readonly addresses: readonly ListenerAddress[];
  readonly bindToPort: boolean;
  readonly statName: string;
  readonly stats: ListenerStats;
  readonly secrets: string[] = [];
  readonly routeNames: string[] = [];
  private readonly chains: CompiledMatch<CompiledChain>[];
  private readonly defaultChain: CompiledChain | undefined;
  private readonly inspectTls: boolean;
  private readonly filtersTimeoutMs: number;
  private readonly continueOnTimeout: boolean;
  private readonly log: Logger;

  constructor(
    readonly config: Listener,
    private readonly ctx: ProxyContext,
    secrets: SecretLookup,
  ) {
    const f = `listener ${config.name}`;
    this.name = config.name;
    const primary = socketAddress(config.address, 'address', f, true);
    const addresses = [primary];
    for (const [i, extra] of (config.additional_addresses ?? []).entries()) {
      const a = socketAddress(extra?.address, `additional_addresses[${i}].address`, f, false);
      // Envoy: every address of a listener is its own socket, so none may repeat (port 0 binds a fresh port each time)
      const same = a.port !== 0 && addresses.find((b) => b.address === a.address && b.port === a.port);
      if (same) throw new ConfigError(`${f}.${a.field}: ${addressText(a)} is already the listener's ${same.field}`);
      addresses.push(a);
    }
    this.addresses = addresses;
    this.address = primary.address;
    this.port = primary.port;
    this.bindToPort = unwrap(config.bind_to_port) !== false;
    this.statName = listenerStatName(this.address, this.port);
    this.stats = ctx.stats.listener(this.statName);
    this.log = ctx.log.child({ listener: config.name });
    let inspect = false;
    for (const [i, lf] of (config.listener_filters ?? []).entries()) {
      const t = lf.typed_config?.['@type'];
      if (t === TYPE.TlsInspector || (!t && lf.name === 'envoy.filters.listener.tls_inspector')) inspect = true;
      else if (t === TYPE.OriginalDst || (!t && lf.name === 'envoy.filters.listener.original_dst')) {
        // without iptables redirection the original destination is the address the client connected to
      } else throw new ConfigError(`${f}.listener_filters[${i}]: unsupported listener filter ${lf.name}`);
    }
    this.inspectTls = inspect;
    this.filtersTimeoutMs = durationMs(config.listener_filters_timeout, `${f}.listener_filters_timeout`) ?? 15_000;
    this.continueOnTimeout = config.continue_on_listener_filters_timeout === true;
    const chains = config.filter_chains ?? [];
    this.chains = chains.map((fc, i) => compileMatch(this.compileChain(fc, `${f}.filter_chains[${i}]`, secrets), fc.filter_chain_match, `${f}.filter_chains[${i}].filter_chain_match`));
    checkDuplicates(
      this.chains,
      chains.map((c, i) => c.name ?? String(i)),
      f,
    );
    this.defaultChain = config.default_filter_chain ? this.compileChain(config.default_filter_chain, `${f}.default_filter_chain`, secrets) : undefined;
    if (this.chains.length === 0 && !this.defaultChain) throw new ConfigError(`${f}: no filter chains`);
  }

  private compileChain(fc: FilterChain, field: string, secrets: SecretLookup): CompiledChain {
    let tls: CompiledChain['tls'];
    const ts = fc.transport_socket;
    if (ts) {
      const t = ts.typed_config?.['@type'];
      if (t === TYPE.DownstreamTlsContext) {
        const dt = compileDownstreamTls(ts.typed_config as unknown as DownstreamTlsContext, secrets, `${field}.transport_socket`);
        this.secrets.push(...dt.secrets);
        const handshakeTimeoutMs = durationMs(fc.transport_socket_connect_timeout, `${field}.transport_socket_connect_timeout`) ?? 10_000;
        const server = createTlsServer({ ...dt.serverOptions, handshakeTimeout: handshakeTimeoutMs || 120_000 });
        tls = { server, dt, handshakeTimeoutMs };
      } else if (t !== TYPE.RawBuffer && t !== undefined) throw new ConfigError(`${field}.transport_socket: unsupported transport socket ${t}`);
    }
    const filters = fc.filters ?? [];
    if (filters.length === 0) throw new ConfigError(`${field}.filters: no network filters`);
    const rbac: Rbac[] = [];
    let terminal: CompiledChain['terminal'] | undefined;
    filters.forEach((nf, i) => {
      const t = nf.typed_config?.['@type'];
      const ff = `${field}.filters[${i}]`;
      const last = i === filters.length - 1;
      if (t === TYPE.NetworkRbac) {
        if (last) throw new ConfigError(`${ff}: RBAC cannot be the terminal filter`);
        rbac.push(new Rbac(nf.typed_config as unknown as RbacConfig, ff));
      } else if (t === TYPE.TcpProxy) {
        if (!last) throw new ConfigError(`${ff}: tcp_proxy must be the last filter`);
        terminal = new TcpProxyFilter(nf.typed_config as unknown as TcpProxy, this.ctx, ff);
      } else if (t === TYPE.HttpConnectionManager) {
        if (!last) throw new ConfigError(`${ff}: http_connection_manager must be the last filter`);
        const hcm = new HttpConnectionManagerFilter(nf.typed_config as unknown as HttpConnectionManager, this.ctx, ff);
        if (hcm.rdsName) this.routeNames.push(hcm.rdsName);
        terminal = hcm;
      } else throw new ConfigError(`${ff}: unsupported network filter ${nf.name} (${t ?? 'no typed_config'})`);
    });
    if (!terminal) throw new ConfigError(`${field}.filters: the last filter must be tcp_proxy or http_connection_manager`);
    const chain: CompiledChain = { name: fc.name ?? '', tls, rbac, terminal };
    if (tls) {
      tls.server.on('secureConnection', (s: TLSSocket) => this.onSecure(chain, s));
      tls.server.on('tlsClientError', (err: Error, s: TLSSocket) => {
        this.stats.downstream_cx_tls_error++;
        this.log.debug({ err: err.message, chain: chain.name }, 'downstream TLS handshake failed');
        s.destroy();
      });
    }
    return chain;
  }

  /** This version was replaced or removed: its filter chains drain their connections (as Envoy). */
  drain(): void {
    for (const c of [...this.chains.map((m) => m.value), ...(this.defaultChain ? [this.defaultChain] : [])]) c.terminal.drain();
  }

  /** A new downstream connection on this listener's socket. */
  onConnection(socket: Socket): void {
    const stats = this.stats;
    stats.downstream_cx_total++;
    stats.downstream_cx_active++;
    socket.once('close', () => {
      stats.downstream_cx_active--;
      stats.downstream_cx_destroy++;
    });
    socket.on('error', () => {});
    socket.setNoDelay(true);
    const facts: ConnectionFacts = {
      destinationPort: socket.localPort ?? this.port,
      destinationIp: normalizeIp(socket.localAddress),
      serverName: undefined,
      transportProtocol: 'raw_buffer',
      applicationProtocols: [],
      directSourceIp: normalizeIp(socket.remoteAddress),
      sourceIp: normalizeIp(socket.remoteAddress),
      sourcePort: socket.remotePort ?? 0,
    };
    const startedAt = performance.now();
    if (!this.inspectTls) {
      this.dispatch(socket, facts, startedAt);
      return;
    }
    let buf: Buffer = Buffer.alloc(0);
    let done = false;
    const finish = (ok: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.removeListener('data', onData);
      socket.removeListener('end', onEnd);
      if (!ok) {
        socket.destroy();
        return;
      }
      socket.pause();
      if (buf.length) socket.unshift(buf);
      this.dispatch(socket, facts, startedAt);
    };
    const onData = (d: Buffer) => {
      buf = buf.length ? Buffer.concat([buf, d]) : d;
      const r = inspectClientHello(buf);
      if (r.kind === 'need-more') return;
      if (r.kind === 'invalid') {
        this.log.debug({ reason: r.reason }, 'tls_inspector: bad ClientHello, closing');
        finish(false);
        return;
      }
      if (r.kind === 'tls') {
        facts.transportProtocol = 'tls';
        facts.serverName = r.serverName;
        facts.applicationProtocols = r.alpn;
      }
      finish(true);
    };
    const onEnd = () => finish(true);
    const timer = setTimeout(() => {
      stats.downstream_pre_cx_timeout++;
      finish(this.continueOnTimeout);
    }, this.filtersTimeoutMs || 2_147_483_647);
    socket.on('data', onData);
    socket.once('end', onEnd);
  }

  private dispatch(socket: Socket, facts: ConnectionFacts, startedAt: number): void {
    const chain = selectFilterChain(this.chains, facts) ?? this.defaultChain;
    if (!chain) {
      this.stats.no_filter_chain_match++;
      this.log.debug({ sni: facts.serverName, transport: facts.transportProtocol, port: facts.destinationPort }, 'no filter chain matched');
      socket.destroy();
      return;
    }
    const conn: ConnectionInfo = {
      listener: this.name,
      listenerStat: this.statName,
      sourceIp: facts.sourceIp,
      sourcePort: facts.sourcePort,
      destinationIp: facts.destinationIp,
      destinationPort: facts.destinationPort,
      serverName: facts.serverName,
      tls: false,
      peer: undefined,
      startedAt,
    };
    if (chain.tls) {
      (socket as Socket & { [CONN_INFO]?: ConnectionInfo })[CONN_INFO] = conn;
      chain.tls.server.emit('connection', socket);
      return;
    }
    this.runFilters(chain, socket, conn);
  }

  private onSecure(chain: CompiledChain, s: TLSSocket): void {
    const raw = (s as unknown as { _parent?: Socket & { [CONN_INFO]?: ConnectionInfo } })._parent;
    const conn = raw?.[CONN_INFO];
    if (!conn || !chain.tls) {
      s.destroy();
      return;
    }
    const err = chain.tls.dt.verify(s);
    if (err) {
      this.stats.downstream_cx_tls_error++;
      this.log.debug({ err, chain: chain.name }, 'downstream certificate rejected');
      s.destroy();
      return;
    }
    const cert = s.getPeerCertificate();
    const hasCert = cert && Object.keys(cert).length > 0;
    conn.tls = true;
    if (hasCert && s.authorized) {
      const subject = cert.subject ? Object.entries(cert.subject).map(([k, v]) => `${k}=${String(v)}`).join(',') : '';
      conn.peer = { sans: peerSans(cert), subject };
    }
    if (!conn.serverName && typeof s.servername === 'string') conn.serverName = s.servername;
    s.on('error', () => {});
    this.runFilters(chain, s, conn);
  }

  private runFilters(chain: CompiledChain, socket: Socket | TLSSocket, conn: ConnectionInfo): void {
    for (const r of chain.rbac) {
      const d = r.evaluate(rbacSubject(conn));
      if (!d.allowed) {
        this.stats.rbac_denied++;
        this.log.debug({ peer: conn.peer?.sans.uri[0], source: conn.sourceIp }, 'RBAC: connection denied');
        this.ctx.accessLog.log({
          type: 'tcp',
          start_time: new Date().toISOString(),
          listener: conn.listener,
          source: `${conn.sourceIp}:${conn.sourcePort}`,
          destination: `${conn.destinationIp}:${conn.destinationPort}`,
          sni: conn.serverName,
          downstream_peer_uri_san: conn.peer?.sans.uri[0],
          response_flags: 'RBAC',
          bytes_received: 0,
          bytes_sent: 0,
          duration_ms: Math.round((performance.now() - conn.startedAt) * 1000) / 1000,
        });
        socket.destroy();
        return;
      }
      this.stats.rbac_allowed++;
    }
    chain.terminal.handle(socket, conn);
  }
}

const CONN_INFO = Symbol('causeway.listener.conn');

interface Bound {
  key: string;
  server: Server;
  runtime: ListenerRuntime;
  connections: Set<Socket>;
}

/** The key a bound socket is kept under: "address:port"; a port-0 address is never shared, so it is keyed by its listener and index. */
function keyOf(r: ListenerRuntime, i: number): string {
  const a = r.addresses[i] as ListenerAddress;
  return a.port === 0 ? `${a.address}:0#${r.name}#${i}` : addressText(a);
}
const keysOf = (r: ListenerRuntime): string[] => (r.bindToPort ? r.addresses.map((_, i) => keyOf(r, i)) : []);

/**
 * Owns the listening sockets (one per address of each listener); swaps listener versions without
 * closing open connections.
 */
export class ListenerManager {
  private readonly bound = new Map<string, Bound>(); // by keyOf (one per listening address)
  private active = new Map<string, ListenerRuntime>(); // by listener name

  constructor(private readonly log: Logger) {}

  listeners(): ListenerRuntime[] {
    return [...this.active.values()];
  }

  /** The port a listener's primary address is bound on (tests: port 0 binds an ephemeral port). */
  boundPort(name: string): number | undefined {
    return this.boundAddresses(name)?.[0]?.port;
  }

  /** The bound addresses of a listener, primary first (tests: the ports port 0 bound). */
  boundAddresses(name: string): { address: string; port: number }[] | undefined {
    const r = this.active.get(name);
    if (!r?.bindToPort) return undefined;
    return keysOf(r).map((key, i) => {
      const a = this.bound.get(key)?.server.address();
      return { address: r.addresses[i]?.address ?? '', port: a && typeof a === 'object' ? a.port : 0 };
    });
  }

  /**
   * Makes `next` the set of active listeners. A listener is applied only when every one of its
   * addresses is free among the listeners and could be bound; otherwise none of its new addresses stay
   * bound, its previous version (if any, and if its own addresses are not taken by another listener)
   * stays, and the failure is reported in the result, naming the address. Addresses kept from one
   * version to the next (or moving from one listener to another) are not rebound; addresses no longer
   * used stop accepting while their open connections carry on (the replaced version drains them).
   */
  async apply(next: ListenerRuntime[]): Promise<Map<string, string>> {
    const failed = new Map<string, string>();
    const owner = new Map<string, ListenerRuntime>(); // claimed addresses, by key
    const accepted: ListenerRuntime[] = [];
    // 1. every address once: in order, a listener that wants an address an earlier one holds fails
    for (const r of next) {
      const keys = keysOf(r);
      const taken = keys.findIndex((k) => owner.has(k));
      if (taken >= 0) {
        const a = r.addresses[taken] as ListenerAddress;
        failed.set(r.name, `listener ${r.name}: ${addressText(a)}${where(a)} is already used by listener ${owner.get(keys[taken] as string)?.name}`);
        continue;
      }
      for (const k of keys) owner.set(k, r);
      accepted.push(r);
    }
    // 2. bind the new addresses, all of a listener or none (listener after listener, so that of two
    // overlapping binds, 0.0.0.0:80 and 127.0.0.1:80, the first in order wins as in Envoy)
    const results: (string | undefined)[] = [];
    for (const r of accepted) results.push(await this.bindAll(r));
    for (const [i, r] of accepted.entries()) {
      const err = results[i];
      if (err === undefined) continue;
      failed.set(r.name, err);
      for (const k of keysOf(r)) owner.delete(k);
    }
    const applied = new Map(accepted.filter((_, i) => results[i] === undefined).map((r) => [r.name, r]));
    // 3. a failed listener keeps its previous version, unless another listener now holds one of its addresses
    for (const name of failed.keys()) {
      const old = this.active.get(name);
      if (!old || applied.has(name)) continue;
      const keys = keysOf(old);
      if (keys.some((k) => owner.has(k) || !this.bound.has(k))) continue;
      for (const k of keys) owner.set(k, old);
      applied.set(name, old);
    }
    // 4. point every kept address at its listener's version; close the addresses nobody uses any more
    for (const [key, b] of this.bound) {
      const r = owner.get(key);
      if (r) b.runtime = r;
      else {
        // removed: stop accepting; connections already accepted carry on
        b.server.close();
        this.bound.delete(key);
        this.log.info({ listener: b.runtime.name, address: key }, 'listener address removed; open connections drain');
      }
    }
    this.active = new Map(next.flatMap((r) => (applied.has(r.name) ? [[r.name, applied.get(r.name) as ListenerRuntime] as const] : [])));
    return failed;
  }

  /** Binds the addresses of `r` not bound yet; on a failure closes the ones it just bound and returns the error. */
  private async bindAll(r: ListenerRuntime): Promise<string | undefined> {
    const todo = keysOf(r)
      .map((key, i) => ({ key, a: r.addresses[i] as ListenerAddress }))
      .filter(({ key }) => !this.bound.has(key));
    const settled = await Promise.allSettled(todo.map(({ key, a }) => this.bind(key, a, r)));
    const fresh = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    const i = settled.findIndex((s) => s.status === 'rejected');
    if (i < 0) {
      for (const b of fresh) this.bound.set(b.key, b);
      return undefined;
    }
    const closed = fresh.map((b) => new Promise<void>((res) => b.server.close(() => res())));
    for (const b of fresh) for (const s of b.connections) s.destroy(); // accepted in the meantime by a version never applied
    await Promise.all(closed);
    const a = todo[i]?.a as ListenerAddress;
    const reason = (settled[i] as PromiseRejectedResult).reason as Error;
    if (fresh.length > 0) this.log.info({ listener: r.name, closed: fresh.map((b) => b.key) }, 'listener not applied: closed the addresses it had bound');
    return `listener ${r.name}: cannot bind ${addressText(a)}${where(a)}: ${reason.message}`;
  }

  private bind(key: string, a: ListenerAddress, runtime: ListenerRuntime): Promise<Bound> {
    return new Promise((resolve, reject) => {
      const b: Bound = { key, server: createNetServer({ allowHalfOpen: true, noDelay: true }), runtime, connections: new Set() };
      b.server.on('connection', (s) => {
        b.connections.add(s);
        s.once('close', () => b.connections.delete(s));
        b.runtime.onConnection(s);
      });
      b.server.once('error', reject);
      b.server.listen({ host: a.address, port: a.port }, () => {
        b.server.removeListener('error', reject);
        b.server.on('error', (e) => this.log.error({ err: e.message, listener: b.runtime.name, address: key }, 'listener socket error'));
        this.log.info({ listener: runtime.name, address: key }, 'listening');
        resolve(b);
      });
    });
  }

  /** Shuts down: closes the listening sockets and every open connection. */
  async close(): Promise<void> {
    const all = [...this.bound.values()];
    const closed = all.map((b) => new Promise<void>((r) => b.server.close(() => r())));
    for (const b of all) for (const s of b.connections) s.destroy();
    await Promise.all(closed);
    this.bound.clear();
    this.active.clear();
  }
}

/** " (additional_addresses[i])" for an additional address, "" for the primary. */
const where = (a: ListenerAddress): string => (a.field === 'address' ? '' : ` (${a.field.replace(/\.address$/, '')})`);
