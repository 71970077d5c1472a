/**
 * The builtin DNS server (UDP and TCP), driven by the DNS listener's `envoy.filters.udp.dns_filter`
 * config: names of its `inline_dns_table` are answered with their addresses (A / AAAA; a name that is
 * in the table but has no address of the asked type gets an empty NOERROR answer); other names are
 * forwarded when `client_config` is present (to the resolvers of its c-ares `typed_dns_resolver_config`,
 * else to the system's), and REFUSED when it is absent (the mesh's passthrough is off: only mesh
 * services and declared ExternalServices resolve). A table split over several DNS listeners chained by
 * their resolvers is served as one (`chainDnsTables`).
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { getServers } from 'node:dns';
import { isIP, connect as netConnect, createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import type { Logger } from 'pino';
import { ConfigError, durationMs } from '../envoy/values.js';

export interface DnsRecord {
  v4: string[];
  v6: string[];
  ttl: number;
}

export interface DnsTable {
  names: Map<string, DnsRecord>;
  /** forward unknown names (client_config present) */
  forward: boolean;
  /** where to forward ("ip:port", from the c-ares resolver config); absent: the system's resolvers */
  resolvers?: string[];
  resolverTimeoutMs: number;
}

interface DnsFilterConfig {
  server_config?: {
    inline_dns_table?: {
      virtual_domains?: { name: string; endpoint?: { address_list?: { address?: string[] } }; answer_ttl?: string }[];
      known_suffixes?: unknown[];
    };
  };
  client_config?: {
    resolver_timeout?: string;
    max_pending_lookups?: string | number;
    typed_dns_resolver_config?: { name?: string; typed_config?: { '@type'?: string; resolvers?: { socket_address?: { address?: string; port_value?: number } }[] } };
  };
}

const CARES = 'type.googleapis.com/envoy.extensions.network.dns_resolver.cares.v3.CaresDnsResolverConfig';

/** The table of an Envoy DnsFilterConfig. */
export function compileDnsFilter(cfg: DnsFilterConfig, field: string): DnsTable {
  const names = new Map<string, DnsRecord>();
  for (const [i, vd] of (cfg.server_config?.inline_dns_table?.virtual_domains ?? []).entries()) {
    const f = `${field}.server_config.inline_dns_table.virtual_domains[${i}]`;
    if (!vd.name) throw new ConfigError(`${f}: name is required`);
    const rec: DnsRecord = { v4: [], v6: [], ttl: Math.round((durationMs(vd.answer_ttl, `${f}.answer_ttl`) ?? 300_000) / 1000) };
    for (const a of vd.endpoint?.address_list?.address ?? []) {
      const fam = isIP(a);
      if (fam === 4) rec.v4.push(a);
      else if (fam === 6) rec.v6.push(a);
      else throw new ConfigError(`${f}: "${a}" is not an IP address`);
    }
    names.set(vd.name.toLowerCase().replace(/\.$/, ''), rec);
  }
  const timeout = durationMs(cfg.client_config?.resolver_timeout, `${field}.client_config.resolver_timeout`) ?? 5000;
  const resolver = cfg.client_config?.typed_dns_resolver_config;
  let resolvers: string[] | undefined;
  if (resolver) {
    const f = `${field}.client_config.typed_dns_resolver_config`;
    if (resolver.typed_config?.['@type'] !== CARES) throw new ConfigError(`${f}: only ${CARES} is supported`);
    resolvers = (resolver.typed_config.resolvers ?? []).map((r, i) => {
      const sa = r.socket_address;
      if (!sa?.address || isIP(sa.address) === 0) throw new ConfigError(`${f}.typed_config.resolvers[${i}]: a socket_address with an IP address is required`);
      const port = sa.port_value ?? 53;
      return isIP(sa.address) === 6 ? `[${sa.address}]:${port}` : `${sa.address}:${port}`;
    });
    if (resolvers.length === 0) throw new ConfigError(`${f}.typed_config.resolvers: at least one resolver is required`);
  }
  return { names, forward: cfg.client_config !== undefined, ...(resolvers ? { resolvers } : {}), resolverTimeoutMs: timeout };
}

/**
 * One table out of DNS listeners chained by their resolvers (each forwards the names it does not hold to
 * the next one's address, as the generators split a large table): what a query to the head of the chain
 * gets from Envoy, answered without the hops. `tables` by the listener's "address:port". Throws when the
 * listeners are not one chain (two heads, a cycle, a listener forwarding to one of them and elsewhere).
 */
export function chainDnsTables(tables: ReadonlyMap<string, DnsTable>, field: string): { head: string; table: DnsTable } {
  const own = (t: DnsTable) => (t.resolvers ?? []).filter((r) => tables.has(r));
  const targets = new Set<string>();
  for (const [address, t] of tables) {
    const next = own(t);
    if (next.length > 0 && next.length !== (t.resolvers ?? []).length) throw new ConfigError(`${field}: the DNS listener on ${address} forwards both to another DNS listener and elsewhere`);
    if (next.length > 1) throw new ConfigError(`${field}: the DNS listener on ${address} forwards to several DNS listeners`);
    for (const r of next) targets.add(r);
  }
  const heads = [...tables.keys()].filter((a) => !targets.has(a));
  if (heads.length !== 1) throw new ConfigError(`${field}: the UDP (DNS) listeners must form one chain (one builtin DNS server), got ${heads.length === 0 ? 'a cycle' : `${heads.length} heads: ${heads.join(', ')}`}`);
  const head = heads[0] as string;
  const names = new Map<string, DnsRecord>();
  const seen = new Set<string>();
  let at = head;
  for (;;) {
    seen.add(at);
    const t = tables.get(at) as DnsTable;
    for (const [name, rec] of t.names) if (!names.has(name)) names.set(name, rec);
    const next = own(t)[0];
    if (next === undefined) return { head, table: { ...t, names } };
    if (seen.has(next)) throw new ConfigError(`${field}: the DNS listeners forward in a cycle`);
    at = next;
  }
}

// ------------------------------------------------------------------ wire format
export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;
export const QTYPE = { A: 1, AAAA: 28 } as const;

export interface DnsQuestion {
  id: number;
  flags: number;
  name: string;
  type: number;
  cls: number;
  /** offset just past the question section */
  end: number;
}

/** Parses the header and first question of a query; undefined when malformed. */
export function parseQuery(msg: Buffer): DnsQuestion | undefined {
  if (msg.length < 12) return undefined;
  const id = msg.readUInt16BE(0);
  const flags = msg.readUInt16BE(2);
  const qd = msg.readUInt16BE(4);
  if (qd < 1 || flags & 0x8000) return undefined;
  let off = 12;
  const labels: string[] = [];
  for (;;) {
    if (off >= msg.length) return undefined;
    const len = msg[off] as number;
    if (len === 0) {
      off++;
      break;
    }
    if (len & 0xc0) return undefined; // no compression in questions
    if (off + 1 + len > msg.length) return undefined;
    labels.push(msg.toString('latin1', off + 1, off + 1 + len));
    off += 1 + len;
  }
  if (off + 4 > msg.length) return undefined;
  return { id, flags, name: labels.join('.').toLowerCase(), type: msg.readUInt16BE(off), cls: msg.readUInt16BE(off + 2), end: off + 4 };
}

/** A response to `query` (echoing its first question) with A/AAAA answers. */
export function buildResponse(query: Buffer, q: DnsQuestion | undefined, rcode: number, answers: { type: number; ip: string; ttl: number }[] = []): Buffer {
  const id = q?.id ?? (query.length >= 2 ? query.readUInt16BE(0) : 0);
  const rd = (q?.flags ?? 0) & 0x0100;
  const opcode = (q?.flags ?? 0) & 0x7800;
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id, 0);
  // QR=1, AA=1 for our own names, RD echoed, RA=1
  header.writeUInt16BE(0x8000 | opcode | (rcode === RCODE.NOERROR ? 0x0400 : 0) | rd | 0x0080 | (rcode & 0xf), 2);
  header.writeUInt16BE(q ? 1 : 0, 4);
  header.writeUInt16BE(answers.length, 6);
  const question = q ? query.subarray(12, q.end) : Buffer.alloc(0);
  const rrs = answers.map((a) => {
    const isV4 = a.type === QTYPE.A;
    const rdata = isV4 ? Buffer.from(a.ip.split('.').map(Number)) : ipv6Bytes(a.ip);
    const rr = Buffer.alloc(12);
    rr.writeUInt16BE(0xc00c, 0); // pointer to the question name
    rr.writeUInt16BE(a.type, 2);
    rr.writeUInt16BE(1, 4); // IN
    rr.writeUInt32BE(a.ttl, 6);
    rr.writeUInt16BE(rdata.length, 10);
    return Buffer.concat([rr, rdata]);
  });
  return Buffer.concat([header, question, ...rrs]);
}

function ipv6Bytes(ip: string): Buffer {
  const [head, tail] = ip.includes('::') ? (ip.split('::') as [string, string]) : [ip, ''];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = [...h, ...new Array(8 - h.length - t.length).fill('0'), ...t];
  const b = Buffer.alloc(16);
  groups.forEach((g, i) => {
    b.writeUInt16BE(Number.parseInt(g, 16) & 0xffff, i * 2);
  });
  return b;
}

// ------------------------------------------------------------------ server
export class DnsServer {
  private table: DnsTable = { names: new Map(), forward: true, resolverTimeoutMs: 5000 };
  private udp: UdpSocket | undefined;
  private tcp: TcpServer | undefined;
  private readonly tcpConns = new Set<Socket>();
  address: string | undefined;
  port: number | undefined;
  readonly stats = { queries: 0, local: 0, forwarded: 0, refused: 0, errors: 0 };

  constructor(
    private readonly log: Logger,
    /** upstream resolvers "ip" or "ip:port"; default: the system's (/etc/resolv.conf) */
    private readonly upstreams: () => string[] = getServers,
  ) {}

  setTable(t: DnsTable): void {
    this.table = t;
  }

  /** Binds UDP and TCP on address:port (port 0: any free port, the same for both). */
  /**
   * Listens on UDP and TCP on the same port. With port 0 the UDP socket picks a free port, which another
   * process may already hold on TCP: then it tries another (a few times) instead of failing.
   */
  async listen(address: string, port: number): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.listenOnce(address, port);
      } catch (e) {
        if (port !== 0 || (e as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt >= 10) throw e;
      }
    }
  }

  private async listenOnce(address: string, port: number): Promise<void> {
    const fam = isIP(address) === 6 ? 'udp6' : 'udp4';
    const udp = createSocket({ type: fam, reuseAddr: false });
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(port, address, () => {
        udp.removeListener('error', reject);
        resolve();
      });
    });
    const bound = udp.address().port;
    udp.on('message', (msg, rinfo) => {
      void this.answer(msg, 'udp').then((resp) => {
        if (resp) udp.send(resp, rinfo.port, rinfo.address);
      });
    });
    udp.on('error', (e) => this.log.warn({ err: e.message }, 'DNS UDP socket error'));
    const tcp = createTcpServer((s) => this.onTcp(s));
    try {
      await new Promise<void>((resolve, reject) => {
        tcp.once('error', reject);
        tcp.listen({ host: address, port: bound }, () => {
          tcp.removeListener('error', reject);
          resolve();
        });
      });
    } catch (e) {
      udp.close();
      throw e;
    }
    this.udp = udp;
    this.tcp = tcp;
    this.address = address;
    this.port = bound;
    this.log.info({ address, port: bound }, 'DNS listening (udp+tcp)');
  }

  private onTcp(s: Socket): void {
    this.tcpConns.add(s);
    s.on('close', () => this.tcpConns.delete(s));
    s.on('error', () => {});
    let buf = Buffer.alloc(0);
    s.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 2) {
        const len = buf.readUInt16BE(0);
        if (buf.length < 2 + len) break;
        const msg = buf.subarray(2, 2 + len);
        buf = buf.subarray(2 + len);
        void this.answer(Buffer.from(msg), 'tcp').then((resp) => {
          if (!resp || s.destroyed) return;
          const l = Buffer.alloc(2);
          l.writeUInt16BE(resp.length);
          s.write(Buffer.concat([l, resp]));
        });
      }
    });
  }

  /** The answer to one query message (undefined: drop). */
  async answer(msg: Buffer, transport: 'udp' | 'tcp'): Promise<Buffer | undefined> {
    this.stats.queries++;
    const q = parseQuery(msg);
    if (!q) {
      this.stats.errors++;
      return msg.length >= 12 ? buildResponse(msg, undefined, RCODE.FORMERR) : undefined;
    }
    const t = this.table;
    const rec = t.names.get(q.name.replace(/\.$/, ''));
    if (rec && q.cls === 1) {
      this.stats.local++;
      if (q.type === QTYPE.A) return buildResponse(msg, q, RCODE.NOERROR, rec.v4.map((ip) => ({ type: QTYPE.A, ip, ttl: rec.ttl })));
      if (q.type === QTYPE.AAAA) return buildResponse(msg, q, RCODE.NOERROR, rec.v6.map((ip) => ({ type: QTYPE.AAAA, ip, ttl: rec.ttl })));
      return buildResponse(msg, q, RCODE.NOERROR); // the name exists, no record of that type
    }
    if (!t.forward) {
      this.stats.refused++;
      return buildResponse(msg, q, RCODE.REFUSED);
    }
    this.stats.forwarded++;
    try {
      return await this.forward(msg, transport, t.resolverTimeoutMs);
    } catch (e) {
      this.stats.errors++;
      this.log.debug({ name: q.name, err: (e as Error).message }, 'DNS forwarding failed');
      return buildResponse(msg, q, RCODE.SERVFAIL);
    }
  }

  private async forward(msg: Buffer, transport: 'udp' | 'tcp', timeoutMs: number): Promise<Buffer> {
    const servers = (this.table.resolvers ?? this.upstreams()).filter((s) => !(this.address && this.port && s === `${this.address}:${this.port}`));
    if (servers.length === 0) throw new Error('no upstream resolvers');
    let lastErr: Error = new Error('no answer');
    for (const srv of servers) {
      const { host, port } = parseServer(srv);
      try {
        const r = transport === 'tcp' ? await forwardTcp(msg, host, port, timeoutMs) : await forwardUdp(msg, host, port, timeoutMs);
        // a truncated UDP answer is retried over TCP
        if (transport === 'udp' && r.length >= 4 && (r.readUInt16BE(2) & 0x0200) !== 0) return await forwardTcp(msg, host, port, timeoutMs);
        return r;
      } catch (e) {
        lastErr = e as Error;
      }
    }
    throw lastErr;
  }

  async close(): Promise<void> {
    for (const s of this.tcpConns) s.destroy();
    await Promise.all([
      new Promise<void>((r) => (this.udp ? this.udp.close(() => r()) : r())),
      new Promise<void>((r) => (this.tcp ? this.tcp.close(() => r()) : r())),
    ]);
    this.udp = undefined;
    this.tcp = undefined;
  }
}

/** "1.2.3.4", "1.2.3.4:5353", "::1", "[::1]:5353" */
export function parseServer(s: string): { host: string; port: number } {
  if (s.startsWith('[')) {
    const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(s);
    return { host: m?.[1] ?? s, port: m?.[2] ? Number(m[2]) : 53 };
  }
  if (isIP(s) === 6) return { host: s, port: 53 };
  const i = s.lastIndexOf(':');
  return i > 0 ? { host: s.slice(0, i), port: Number(s.slice(i + 1)) } : { host: s, port: 53 };
}

function forwardUdp(msg: Buffer, host: string, port: number, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const s = createSocket(isIP(host) === 6 ? 'udp6' : 'udp4');
    const id = msg.readUInt16BE(0);
    const timer = setTimeout(() => {
      s.close();
      reject(new Error(`timeout asking ${host}:${port}`));
    }, timeoutMs);
    s.on('message', (r) => {
      if (r.length < 2 || r.readUInt16BE(0) !== id) return;
      clearTimeout(timer);
      s.close();
      resolve(r);
    });
    s.on('error', (e) => {
      clearTimeout(timer);
      s.close();
      reject(e);
    });
    s.send(msg, port, host);
  });
}

function forwardTcp(msg: Buffer, host: string, port: number, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const s = netConnect({ host, port });
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`timeout asking ${host}:${port} over TCP`));
    }, timeoutMs);
    let buf = Buffer.alloc(0);
    s.on('connect', () => {
      const l = Buffer.alloc(2);
      l.writeUInt16BE(msg.length);
      s.write(Buffer.concat([l, msg]));
    });
    s.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        clearTimeout(timer);
        s.destroy();
        resolve(buf.subarray(2, 2 + buf.readUInt16BE(0)));
      }
    });
    s.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}
