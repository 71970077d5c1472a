/**
 * Fake external services on loopback for the ExternalService scenarios: plain HTTP, HTTPS with a
 * certificate from a test CA (SANs `localhost` and `127.0.0.1`), HTTPS that requires a client
 * certificate, and raw TCP. Each records every connection it accepts — the remote address and the
 * harness process that owns the other end of the socket (looked up in /proc) — so a test can prove
 * which proxy connected, and every HTTP request with the connection it came on.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createTcpServer, type Server as NetServer, type Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { createCaCertificate, issueCertificate, type KeyPairPem } from '@causeway/pki';

/** A test CA and a certificate it issued. */
export interface TestPki {
  ca: KeyPairPem;
  /** Server certificate: CN/SAN `localhost`, IP SAN 127.0.0.1. */
  server: KeyPairPem;
  /** Client certificate (CN `causeway-client`). */
  client: KeyPairPem;
}

export async function createTestPki(name: string): Promise<TestPki> {
  const now = Date.now();
  const validity = { notBefore: new Date(now - 60_000), notAfter: new Date(now + 86_400_000) };
  const ca = await createCaCertificate({ commonName: `${name} test CA`, ...validity });
  const server = await issueCertificate(ca, { commonName: 'localhost', dnsNames: ['localhost'], ips: ['127.0.0.1'], usage: 'server', ...validity });
  const client = await issueCertificate(ca, { commonName: 'causeway-client', usage: 'client', ...validity });
  return { ca, server, client };
}

/** Who is at the other end of a loopback connection: `pid -> name` of the processes the harness started. */
export type ProcessDirectory = () => ReadonlyMap<number, string>;

function hexPort(port: number): string {
  return port.toString(16).toUpperCase().padStart(4, '0');
}

/** `127.0.0.1` as /proc/net/tcp (little-endian hex) and /proc/net/tcp6 (v4-mapped) print it. */
function procAddresses(ip: string): string[] {
  const octets = ip.split('.').map((o) => Number(o).toString(16).toUpperCase().padStart(2, '0'));
  const v4 = [...octets].reverse().join('');
  return [v4, `0000000000000000FFFF0000${v4}`];
}

/** The inode of the TCP socket whose local end is `ip:port` and whose peer is port `peerPort`. */
function socketInode(ip: string, port: number, peerPort: number): string | undefined {
  const locals = procAddresses(ip).map((a) => `${a}:${hexPort(port)}`);
  const peerSuffix = `:${hexPort(peerPort)}`;
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10) continue;
      if (locals.includes(f[1] as string) && (f[2] as string).endsWith(peerSuffix)) return f[9];
    }
  }
  return undefined;
}

/**
 * The harness process (name) that owns the client end of an accepted loopback connection, found by the
 * socket's inode in /proc/<pid>/fd of each process the harness started; undefined when it is none of them
 * (e.g. the test process itself) or the socket is already gone.
 */
export function socketOwner(directory: ProcessDirectory, remoteIp: string, remotePort: number, localPort: number): string | undefined {
  const inode = socketInode(remoteIp, remotePort, localPort);
  if (!inode) return undefined;
  const target = `socket:[${inode}]`;
  for (const [pid, name] of directory()) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        if (readlinkSync(`/proc/${pid}/fd/${fd}`) === target) return name;
      } catch {
        // closed meanwhile
      }
    }
  }
  return undefined;
}

export interface RecordedConnection {
  id: number;
  at: number;
  /** `ip:port` of the peer. */
  remote: string;
  /** The harness process that connected (see socketOwner). */
  peer: string | undefined;
  /** TLS only: the server name the client sent (undefined: none). */
  sni?: string | undefined;
  /** TLS only: whether the handshake completed. */
  handshake?: boolean;
  /** mTLS only: the CN of the client certificate. */
  clientCn?: string | undefined;
}

export interface RecordedRequest {
  at: number;
  method: string;
  path: string;
  host: string | undefined;
  connection: RecordedConnection;
}

export interface FakeExternal {
  readonly name: string;
  readonly kind: 'http' | 'https' | 'https-mtls' | 'tcp';
  readonly port: number;
  /** `localhost:<port>`: the name the test certificate is valid for. */
  readonly address: string;
  readonly connections: RecordedConnection[];
  readonly requests: RecordedRequest[];
  /** Processes (by harness name) that connected. */
  peers(): string[];
  close(): Promise<void>;
}

interface Recorder {
  connections: RecordedConnection[];
  bySocket: WeakMap<Socket, RecordedConnection>;
  record(socket: Socket, localPort: number): RecordedConnection;
}

function recorder(directory: ProcessDirectory): Recorder {
  let next = 1;
  const connections: RecordedConnection[] = [];
  const bySocket = new WeakMap<Socket, RecordedConnection>();
  return {
    connections,
    bySocket,
    record(socket, localPort) {
      const ip = (socket.remoteAddress ?? '').replace(/^::ffff:/, '');
      const port = socket.remotePort ?? 0;
      // Synchronously, while the client's socket certainly exists.
      const c: RecordedConnection = { id: next++, at: Date.now(), remote: `${ip}:${port}`, peer: socketOwner(directory, ip, port, localPort) };
      connections.push(c);
      bySocket.set(socket, c);
      return c;
    },
  };
}

function listen(server: Server | NetServer): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port));
  });
}

function closeServer(server: Server | NetServer, sockets: Set<Socket>): Promise<void> {
  for (const s of sockets) s.destroy();
  return new Promise((resolve) => server.close(() => resolve()));
}

/** The JSON every fake HTTP(S) server answers with. */
export interface EchoBody {
  server: string;
  method: string;
  path: string;
  host: string | undefined;
  /** TLS: the server name the client sent. */
  sni?: string | undefined;
  /** mTLS: the client certificate's CN. */
  clientCn?: string | undefined;
  /** The harness process that connected. */
  peer: string | undefined;
}

export interface HttpExternalOptions {
  /** TLS: certificate and key (PEM). */
  tls?: { certPem: string; keyPem: string };
  /** Require a client certificate issued by this CA (PEM). */
  clientCaPem?: string;
  /** Answer only connections from this harness process (others get 403), like a firewall rule. */
  onlyFrom?: string;
}

/** A fake HTTP or HTTPS external service answering every request with an EchoBody. */
export async function startHttpExternal(name: string, directory: ProcessDirectory, opts: HttpExternalOptions = {}): Promise<FakeExternal> {
  const rec = recorder(directory);
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const c = rec.bySocket.get(req.socket) ?? findByRemote(rec, req.socket);
    const connection = c ?? { id: 0, at: Date.now(), remote: `${req.socket.remoteAddress}:${req.socket.remotePort}`, peer: undefined };
    requests.push({ at: Date.now(), method: req.method ?? '', path: req.url ?? '', host: req.headers.host, connection });
    req.resume();
    req.on('end', () => {
      if (opts.onlyFrom && connection.peer !== opts.onlyFrom) {
        res.writeHead(403, { 'content-type': 'text/plain' });
        res.end(`${name} answers only ${opts.onlyFrom}; this connection came from ${connection.peer ?? 'another process'}\n`);
        return;
      }
      const body: EchoBody = {
        server: name,
        method: req.method ?? '',
        path: req.url ?? '',
        host: req.headers.host,
        ...(opts.tls ? { sni: connection.sni } : {}),
        ...(opts.clientCaPem ? { clientCn: connection.clientCn } : {}),
        peer: connection.peer,
      };
      res.writeHead(200, { 'content-type': 'application/json', 'x-served-by': name });
      res.end(`${JSON.stringify(body)}\n`);
    });
  };
  let server: Server;
  if (opts.tls) {
    server = createHttpsServer(
      {
        cert: opts.tls.certPem,
        key: opts.tls.keyPem,
        ...(opts.clientCaPem ? { ca: opts.clientCaPem, requestCert: true, rejectUnauthorized: true } : {}),
      },
      handler,
    );
    server.on('secureConnection', (tls: TLSSocket) => {
      const c = findByRemote(rec, tls);
      if (!c) return;
      rec.bySocket.set(tls, c);
      c.handshake = true;
      c.sni = (tls as TLSSocket & { servername?: string | false }).servername || undefined;
      if (opts.clientCaPem) {
        const cn = tls.getPeerCertificate()?.subject?.CN;
        c.clientCn = Array.isArray(cn) ? cn.join(',') : cn;
      }
    });
    server.on('tlsClientError', (_e, tls: TLSSocket) => {
      const c = findByRemote(rec, tls);
      if (c) c.handshake = false;
    });
  } else {
    server = createHttpServer(handler);
  }
  const port0 = { port: 0 };
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
    rec.record(s, port0.port);
  });
  server.keepAliveTimeout = 30_000;
  port0.port = await listen(server);
  return external(name, opts.tls ? (opts.clientCaPem ? 'https-mtls' : 'https') : 'http', port0.port, rec, requests, () => closeServer(server, sockets));
}

function findByRemote(rec: Recorder, s: Socket): RecordedConnection | undefined {
  const remote = `${(s.remoteAddress ?? '').replace(/^::ffff:/, '')}:${s.remotePort}`;
  for (let i = rec.connections.length - 1; i >= 0; i--) if (rec.connections[i]?.remote === remote) return rec.connections[i];
  return undefined;
}

/** A raw TCP external service: greets with `hello from <name>\n`, then echoes every line as `<name>: <line>\n`. */
export async function startTcpExternal(name: string, directory: ProcessDirectory): Promise<FakeExternal> {
  const rec = recorder(directory);
  const sockets = new Set<Socket>();
  const port0 = { port: 0 };
  const server = createTcpServer((s) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
    rec.record(s, port0.port);
    s.on('error', () => {});
    s.write(`hello from ${name}\n`);
    let buf = '';
    s.on('data', (d: Buffer) => {
      buf += d.toString('utf8');
      let i = buf.indexOf('\n');
      while (i >= 0) {
        s.write(`${name}: ${buf.slice(0, i)}\n`);
        buf = buf.slice(i + 1);
        i = buf.indexOf('\n');
      }
    });
    s.on('end', () => s.end());
  });
  port0.port = await listen(server);
  return external(name, 'tcp', port0.port, rec, [], () => closeServer(server, sockets));
}

function external(name: string, kind: FakeExternal['kind'], port: number, rec: Recorder, requests: RecordedRequest[], close: () => Promise<void>): FakeExternal {
  return {
    name,
    kind,
    port,
    address: `localhost:${port}`,
    connections: rec.connections,
    requests,
    peers: () => [...new Set(rec.connections.map((c) => c.peer ?? 'unknown'))].sort(),
    close,
  };
}
