/** Test helpers: a quiet proxy, local upstream servers, a small HTTP client, Envoy resource builders. */
import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo, connect, type Socket } from 'node:net';
import pino from 'pino';
import { MemoryAccessLog } from '../access-log.js';
import { DataplaneProxy, type ProxyOptions } from '../proxy.js';

export const quietLog = () => pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

export function makeProxy(opts: Partial<ProxyOptions> = {}): { proxy: DataplaneProxy; accessLog: MemoryAccessLog } {
  const accessLog = new MemoryAccessLog();
  const proxy = new DataplaneProxy({ log: quietLog(), accessLog, ...opts });
  return { proxy, accessLog };
}

export interface Upstream {
  port: number;
  server: Server;
  requests: IncomingMessage[];
  close(): Promise<void>;
}

/** An HTTP server on 127.0.0.1 (any free port). */
export async function httpUpstream(handler: (req: IncomingMessage, res: ServerResponse) => void, host = '127.0.0.1'): Promise<Upstream> {
  const requests: IncomingMessage[] = [];
  const server = createServer((req, res) => {
    requests.push(req);
    handler(req, res);
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => server.listen(0, host, () => r()));
  return {
    port: (server.address() as AddressInfo).port,
    server,
    requests,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

export interface Reply {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

/** One HTTP/1.1 request (a new connection unless an agent is given). */
export function get(port: number, path = '/', opts: { host?: string; headers?: Record<string, string>; method?: string; body?: string; address?: string; agent?: import('node:http').Agent } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: opts.address ?? '127.0.0.1',
        port,
        path,
        method: opts.method ?? 'GET',
        headers: { ...(opts.host ? { host: opts.host } : {}), ...(opts.headers ?? {}) },
        agent: opts.agent ?? false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), headers: res.headers }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** A free TCP port (see @causeway/sync/testing: picked below the ephemeral range, so no `listen(0)` of a parallel test takes it). */
export { freePort } from '@causeway/sync/testing';

// ------------------------------------------------------------------ Envoy JSON builders
export const T = {
  tcpProxy: 'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy',
  hcm: 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
  router: 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router',
  rbac: 'type.googleapis.com/envoy.extensions.filters.network.rbac.v3.RBAC',
  tlsInspector: 'type.googleapis.com/envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector',
  upstreamTls: 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext',
  downstreamTls: 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext',
} as const;

export const TLS_INSPECTOR = { name: 'envoy.filters.listener.tls_inspector', typed_config: { '@type': T.tlsInspector } };

export function tcpProxyFilter(cluster: string) {
  return { name: 'envoy.filters.network.tcp_proxy', typed_config: { '@type': T.tcpProxy, stat_prefix: cluster, cluster } };
}

export function hcmFilter(routeConfig: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return {
    name: 'envoy.filters.network.http_connection_manager',
    typed_config: {
      '@type': T.hcm,
      stat_prefix: 'test',
      route_config: routeConfig,
      http_filters: [{ name: 'envoy.filters.http.router', typed_config: { '@type': T.router } }],
      ...extra,
    },
  };
}

export function staticCluster(name: string, ports: number[], extra: Record<string, unknown> = {}, address = '127.0.0.1') {
  return {
    name,
    type: 'STATIC',
    connect_timeout: '1s',
    load_assignment: { cluster_name: name, endpoints: [{ lb_endpoints: ports.map((p) => ({ endpoint: { address: { socket_address: { address, port_value: p } } } })) }] },
    ...extra,
  };
}

export function listener(name: string, port: number, chains: unknown[], extra: Record<string, unknown> = {}, address = '127.0.0.1') {
  return { name, address: { socket_address: { address, port_value: port } }, filter_chains: chains, ...extra };
}

export function routeConfig(name: string, routes: unknown[], domains: string[] = ['*']) {
  return { name, virtual_hosts: [{ name: 'vh', domains, routes }] };
}

export const inline = (s: string) => ({ inline_string: s });

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A TCP connection to 127.0.0.1:`port`, and one write-then-first-read round trip on it. */
export function openTcp(port: number): Promise<{ socket: Socket; roundTrip(text: string): Promise<string> }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port }, () =>
      resolve({
        socket,
        roundTrip: (text) =>
          new Promise((res) => {
            socket.once('data', (d) => res(d.toString()));
            socket.write(text);
          }),
      }),
    );
    socket.on('error', reject);
  });
}
