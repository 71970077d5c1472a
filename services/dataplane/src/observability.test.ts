/**
 * What an operator reads off a proxy while traffic flows (issue 18): byte counters that move while a
 * connection is open (HTTP downstream, cluster upstream, tcp_proxy), the HTTP RBAC filter's allowed /
 * denied counters, and the caller's SPIFFE ID in the access log of an mTLS inbound, in the proxy's own
 * line and through an xDS json_format with %DOWNSTREAM_PEER_URI_SAN%.
 */
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { connect as netConnect, createServer as createNetServer, type Server } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { MemorySink } from './access-log.js';
import { createCa, type Pem, type TestCa } from './testing/certs.js';
import { freePort, httpUpstream, listener, makeProxy, routeConfig, staticCluster, T, tcpProxyFilter, type Upstream } from './testing/helpers.js';

const exact = (name: string) => ({ authenticated: { principal_name: { exact: name } } });
const b64 = (s: string) => Buffer.from(s).toString('base64');

/** The value of one series of a Prometheus text exposition (undefined when absent). */
function series(text: string, name: string, labels: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}} `));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('an mTLS HTTP inbound with the HTTP RBAC filter and an xDS access log', () => {
  const sink = new MemorySink();
  const { proxy, accessLog } = makeProxy({ accessLogSinks: () => sink });
  let ca: TestCa;
  const certs: Record<string, Pem> = {};
  let app: Upstream;
  let port = 0;

  beforeAll(async () => {
    ca = await createCa('mesh CA');
    certs.server = await ca.issue({ cn: 'backend', uris: ['spiffe://default/backend'] });
    certs.web = await ca.issue({ cn: 'web', uris: ['spiffe://default/web'] });
    certs.other = await ca.issue({ cn: 'other', uris: ['spiffe://default/other'] });
    app = await httpUpstream((req, res) => {
      req.resume();
      req.on('end', () => res.end(`app ${req.url} ${'x'.repeat(1000)}`));
    });
    port = await freePort();
    await proxy.update(
      'Secret',
      [
        { name: 'identity_cert:secret:default', tls_certificate: { certificate_chain: { inline_bytes: b64(certs.server.cert) }, private_key: { inline_bytes: b64(certs.server.key) } } },
        { name: 'mesh_ca:secret:default', validation_context: { trusted_ca: { inline_bytes: b64(ca.cert) } } },
      ],
      '1',
    );
    await proxy.update('Cluster', [staticCluster('localhost:8080', [app.port])], '1');
    const downstreamTls = {
      name: 'envoy.transport_sockets.tls',
      typed_config: {
        '@type': T.downstreamTls,
        require_client_certificate: true,
        common_tls_context: {
          tls_certificate_sds_secret_configs: [{ name: 'identity_cert:secret:default', sds_config: { ads: {}, resource_api_version: 'V3' } }],
          combined_validation_context: {
            default_validation_context: {},
            validation_context_sds_secret_config: { name: 'mesh_ca:secret:default', sds_config: { ads: {}, resource_api_version: 'V3' } },
          },
        },
      },
    };
    const hcm = {
      name: 'envoy.filters.network.http_connection_manager',
      typed_config: {
        '@type': T.hcm,
        stat_prefix: 'inbound_8080',
        route_config: routeConfig('inbound', [{ match: { prefix: '/' }, route: { cluster: 'localhost:8080' } }]),
        http_filters: [
          {
            name: 'envoy.filters.http.rbac',
            typed_config: {
              '@type': 'type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBAC',
              rules: { policies: { web: { permissions: [{ any: true }], principals: [exact('spiffe://default/web')] } } },
            },
          },
          { name: 'envoy.filters.http.router', typed_config: { '@type': T.router } },
        ],
        access_log: [
          {
            name: 'envoy.access_loggers.stdout',
            typed_config: {
              '@type': 'type.googleapis.com/envoy.extensions.access_loggers.stream.v3.StdoutAccessLog',
              log_format: { json_format: { caller: '%DOWNSTREAM_PEER_URI_SAN%', path: '%REQ(:PATH)%', status: '%RESPONSE_CODE%', flags: '%RESPONSE_FLAGS%' } },
            },
          },
        ],
      },
    };
    await proxy.update('Listener', [listener('inbound', port, [{ transport_socket: downstreamTls, filters: [hcm] }])], '1');
  });
  afterAll(async () => {
    await proxy.close();
    await app.close();
  });

  /** A keep-alive mTLS client presenting `cert` (one connection at a time). */
  const client = (cert: Pem | undefined) => {
    if (!cert) throw new Error('no certificate');
    const agent = new HttpsAgent({ keepAlive: true, maxSockets: 1, ca: ca.cert, key: cert.key, cert: cert.cert, checkServerIdentity: () => undefined });
    const sockets = new Set<TLSSocket>();
    const get = (path: string) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = httpsRequest({ host: '127.0.0.1', port, path, agent }, (res) => {
          sockets.add(res.socket as TLSSocket);
          let body = '';
          res.on('data', (c: Buffer) => {
            body += c.toString();
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        });
        req.on('error', reject);
        req.end();
      });
    return { get, sockets, close: () => agent.destroy() };
  };

  it('counts downstream and upstream bytes while the connections are still open, and they only grow', async () => {
    const http = proxy.stats.httpConnManager('inbound_8080');
    const cluster = proxy.stats.cluster('localhost:8080');
    const web = client(certs.web);
    try {
      expect((await web.get('/one')).status).toBe(200);
      // one TLS connection from the client, one pooled connection to the app: both open
      expect([...web.sockets].filter((s) => !s.destroyed)).toHaveLength(1);
      expect(cluster.upstream_cx_active).toBe(1);
      const rx1 = http.downstream_cx_rx_bytes_total;
      const tx1 = http.downstream_cx_tx_bytes_total;
      const upTx1 = cluster.upstream_cx_tx_bytes_total;
      const upRx1 = cluster.upstream_cx_rx_bytes_total;
      expect(rx1).toBeGreaterThan(20); // "GET /one HTTP/1.1" and headers
      expect(tx1).toBeGreaterThan(1000); // the 1,000-byte body and headers
      expect(upTx1).toBeGreaterThan(20);
      expect(upRx1).toBeGreaterThan(1000);
      const text = proxy.stats.prometheus();
      expect(series(text, 'envoy_http_downstream_cx_rx_bytes_total', 'envoy_http_conn_manager_prefix="inbound_8080"')).toBe(rx1);
      expect(series(text, 'envoy_http_downstream_cx_tx_bytes_total', 'envoy_http_conn_manager_prefix="inbound_8080"')).toBe(tx1);
      expect(series(text, 'envoy_cluster_upstream_cx_rx_bytes_total', 'envoy_cluster_name="localhost:8080"')).toBe(upRx1);
      expect(series(text, 'envoy_cluster_upstream_cx_tx_bytes_total', 'envoy_cluster_name="localhost:8080"')).toBe(upTx1);
      // a second request on the same connections moves every counter again
      expect((await web.get('/two')).status).toBe(200);
      expect(web.sockets.size).toBe(1);
      expect(http.downstream_cx_rx_bytes_total).toBeGreaterThan(rx1);
      expect(http.downstream_cx_tx_bytes_total).toBeGreaterThan(tx1 + 1000);
      expect(cluster.upstream_cx_rx_bytes_total).toBeGreaterThan(upRx1 + 1000);
      expect(cluster.upstream_cx_tx_bytes_total).toBeGreaterThan(upTx1);
    } finally {
      web.close();
    }
    // after the close the totals keep what the connections carried
    const rx = http.downstream_cx_rx_bytes_total;
    await vi.waitFor(() => expect([...web.sockets].every((s) => s.destroyed)).toBe(true));
    await new Promise((r) => setTimeout(r, 50));
    expect(http.downstream_cx_rx_bytes_total).toBeGreaterThanOrEqual(rx);
  });

  it('counts HTTP RBAC decisions: a denied caller gets 403 and moves envoy_http_rbac_denied', async () => {
    const http = proxy.stats.httpConnManager('inbound_8080');
    const allowed0 = http.rbac_allowed;
    const denied0 = http.rbac_denied;
    const other = client(certs.other);
    const web = client(certs.web);
    try {
      for (let i = 0; i < 3; i++) expect(await other.get(`/denied/${i}`)).toEqual({ status: 403, body: 'RBAC: access denied' });
      expect((await web.get('/allowed')).status).toBe(200);
    } finally {
      other.close();
      web.close();
    }
    expect(http.rbac_denied - denied0).toBe(3);
    expect(http.rbac_allowed - allowed0).toBe(1);
    const text = proxy.stats.prometheus();
    expect(text).toContain('# TYPE envoy_http_rbac_denied counter');
    expect(series(text, 'envoy_http_rbac_denied', 'envoy_http_conn_manager_prefix="inbound_8080"')).toBe(http.rbac_denied);
    expect(series(text, 'envoy_http_rbac_allowed', 'envoy_http_conn_manager_prefix="inbound_8080"')).toBe(http.rbac_allowed);
  });

  it("logs the caller's SPIFFE ID (%DOWNSTREAM_PEER_URI_SAN%) for allowed and denied requests", async () => {
    await vi.waitFor(() => {
      const lines = sink.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(lines).toContainEqual({ caller: 'spiffe://default/web', path: '/allowed', status: 200, flags: '-' });
      expect(lines).toContainEqual({ caller: 'spiffe://default/other', path: '/denied/0', status: 403, flags: 'RBAC' });
    });
    // the xDS access log replaces the proxy's own line (as in Envoy): nothing went to --access-log
    expect(accessLog.entries).toEqual([]);
  });
});

describe("the proxy's own access log line (no xDS access_log) on an mTLS inbound", () => {
  const { proxy, accessLog } = makeProxy();
  let ca: TestCa;
  let app: Upstream;
  let port = 0;
  let web: Pem;

  beforeAll(async () => {
    ca = await createCa('mesh CA');
    const server = await ca.issue({ cn: 'backend', uris: ['spiffe://default/backend'] });
    web = await ca.issue({ cn: 'web', uris: ['spiffe://default/web'] });
    app = await httpUpstream((_req, res) => res.end('ok'));
    port = await freePort();
    await proxy.update('Cluster', [staticCluster('app', [app.port])], '1');
    const tls = {
      name: 'envoy.transport_sockets.tls',
      typed_config: {
        '@type': T.downstreamTls,
        require_client_certificate: true,
        common_tls_context: {
          tls_certificates: [{ certificate_chain: { inline_string: server.cert }, private_key: { inline_string: server.key } }],
          validation_context: { trusted_ca: { inline_string: ca.cert } },
        },
      },
    };
    const hcm = {
      name: 'envoy.filters.network.http_connection_manager',
      typed_config: {
        '@type': T.hcm,
        stat_prefix: 'in',
        route_config: routeConfig('in', [{ match: { prefix: '/' }, route: { cluster: 'app' } }]),
        http_filters: [{ name: 'envoy.filters.http.router', typed_config: { '@type': T.router } }],
      },
    };
    await proxy.update('Listener', [listener('in', port, [{ transport_socket: tls, filters: [hcm] }])], '1');
  });
  afterAll(async () => {
    await proxy.close();
    await app.close();
  });

  it('names the caller in downstream_peer_uri_san', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpsRequest({ host: '127.0.0.1', port, path: '/who', agent: false, ca: ca.cert, key: web.key, cert: web.cert, checkServerIdentity: () => undefined }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(200);
    await vi.waitFor(() => expect(accessLog.entries.find((e) => e.path === '/who')).toMatchObject({ type: 'http', status: 200, downstream_peer_uri_san: 'spiffe://default/web' }));
  });
});

describe('tcp_proxy byte counters', () => {
  const { proxy } = makeProxy();
  let echo: Server;
  let port = 0;

  beforeAll(async () => {
    echo = createNetServer((s) => {
      s.on('error', () => {});
      s.pipe(s);
    });
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', () => r()));
    port = await freePort();
    await proxy.update('Cluster', [staticCluster('echo', [(echo.address() as { port: number }).port])], '1');
    await proxy.update('Listener', [listener('tcp', port, [{ filters: [tcpProxyFilter('echo')] }])], '1');
  });
  afterAll(async () => {
    await proxy.close();
    echo.close();
  });

  it('move with every chunk while the connection stays open (envoy_tcp_* and the cluster upstream_cx_*)', async () => {
    const tcp = proxy.stats.tcpProxy('echo');
    const cluster = proxy.stats.cluster('echo');
    const s = netConnect({ host: '127.0.0.1', port });
    await new Promise<void>((resolve, reject) => {
      s.once('connect', () => resolve());
      s.once('error', reject);
    });
    let got = 0;
    s.on('data', (d: Buffer) => {
      got += d.length;
    });
    try {
      for (const [n, total] of [
        [10_000, 10_000],
        [5_000, 15_000],
      ] as const) {
        s.write(Buffer.alloc(n, 1));
        await vi.waitFor(() => expect(got).toBe(total));
        expect(s.destroyed).toBe(false);
        expect(tcp.downstream_cx_rx_bytes_total).toBe(total);
        expect(tcp.downstream_cx_tx_bytes_total).toBe(total);
        expect(cluster.upstream_cx_tx_bytes_total).toBe(total);
        expect(cluster.upstream_cx_rx_bytes_total).toBe(total);
        const text = proxy.stats.prometheus();
        expect(series(text, 'envoy_tcp_downstream_cx_rx_bytes_total', 'envoy_tcp_prefix="echo"')).toBe(total);
        expect(series(text, 'envoy_tcp_downstream_cx_tx_bytes_total', 'envoy_tcp_prefix="echo"')).toBe(total);
        expect(series(text, 'envoy_cluster_upstream_cx_rx_bytes_total', 'envoy_cluster_name="echo"')).toBe(total);
      }
      expect(tcp.downstream_cx_total).toBe(1);
    } finally {
      s.destroy();
    }
    await vi.waitFor(() => expect(cluster.upstream_cx_active).toBe(0));
    // closed: the totals stay
    expect(cluster.upstream_cx_rx_bytes_total).toBe(15_000);
    expect(tcp.downstream_cx_rx_bytes_total).toBe(15_000);
  });
});
