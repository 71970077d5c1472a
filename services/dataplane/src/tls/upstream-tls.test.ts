import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCa, type TestCa } from '../testing/certs.js';
import { freePort, get, hcmFilter, inline, listener, makeProxy, routeConfig, staticCluster, T } from '../testing/helpers.js';

/** An HTTPS server that answers with the SNI it saw and the client certificate's CN. */
async function httpsEcho(opts: { key: string; cert: string; ca?: string; requestCert?: boolean; maxVersion?: 'TLSv1.2' }): Promise<{ port: number; server: HttpsServer }> {
  const server = createHttpsServer(
    { key: opts.key, cert: opts.cert, ...(opts.ca ? { ca: opts.ca } : {}), requestCert: opts.requestCert === true, rejectUnauthorized: opts.requestCert === true, ...(opts.maxVersion ? { maxVersion: opts.maxVersion } : {}) },
    (req, res) => {
      const s = req.socket as TLSSocket;
      const peer = s.getPeerCertificate();
      res.end(JSON.stringify({ sni: s.servername || null, client: peer && Object.keys(peer).length ? peer.subject.CN : null }));
    },
  );
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { port: (server.address() as AddressInfo).port, server };
}

describe('upstream TLS from UpstreamTlsContext', () => {
  const { proxy } = makeProxy();
  let ca: TestCa;
  let wrongCa: TestCa;
  let plainTls: { port: number; server: HttpsServer };
  let mtls: { port: number; server: HttpsServer };
  let port = 0;

  const tlsSocket = (ctx: Record<string, unknown>) => ({ name: 'envoy.transport_sockets.tls', typed_config: { '@type': T.upstreamTls, ...ctx } });
  const validation = (caPem: string, san?: { type: string; exact: string }) => ({
    validation_context: { trusted_ca: inline(caPem), ...(san ? { match_typed_subject_alt_names: [{ san_type: san.type, matcher: { exact: san.exact } }] } : {}) },
  });

  beforeAll(async () => {
    ca = await createCa('external CA');
    wrongCa = await createCa('some other CA');
    const serverCert = await ca.issue({ cn: 'ext', dns: ['ext.test'], uris: ['spiffe://default/backend'] });
    const clientCert = await ca.issue({ cn: 'dp-client', uris: ['spiffe://default/web'] });
    plainTls = await httpsEcho(serverCert);
    mtls = await httpsEcho({ ...serverCert, ca: ca.cert, requestCert: true });
    port = await freePort();
    await proxy.update('Secret', [{ name: 'client-cert', tls_certificate: { certificate_chain: inline(clientCert.cert), private_key: inline(clientCert.key) } }], '1');
    const clusters = [
      staticCluster('ok', [plainTls.port], { transport_socket: tlsSocket({ sni: 'ext.test', common_tls_context: validation(ca.cert, { type: 'DNS', exact: 'ext.test' }) }) }),
      staticCluster('wrong-ca', [plainTls.port], { transport_socket: tlsSocket({ sni: 'ext.test', common_tls_context: validation(wrongCa.cert) }) }),
      staticCluster('no-sni', [plainTls.port], { transport_socket: tlsSocket({ common_tls_context: validation(ca.cert) }) }),
      staticCluster('empty-sni', [plainTls.port], { transport_socket: tlsSocket({ sni: '', common_tls_context: validation(ca.cert) }) }),
      staticCluster('san-uri', [plainTls.port], { transport_socket: tlsSocket({ sni: 'ext.test', common_tls_context: validation(ca.cert, { type: 'URI', exact: 'spiffe://default/backend' }) }) }),
      staticCluster('san-mismatch', [plainTls.port], { transport_socket: tlsSocket({ sni: 'ext.test', common_tls_context: validation(ca.cert, { type: 'DNS', exact: 'other.test' }) }) }),
      staticCluster('no-verify', [plainTls.port], { transport_socket: tlsSocket({ sni: 'whatever.test' }) }),
      staticCluster('mtls-cert', [mtls.port], {
        transport_socket: tlsSocket({ sni: 'ext.test', common_tls_context: { ...validation(ca.cert), tls_certificate_sds_secret_configs: [{ name: 'client-cert', sds_config: { ads: {} } }] } }),
      }),
      staticCluster('mtls-no-cert', [mtls.port], { transport_socket: tlsSocket({ sni: 'ext.test', common_tls_context: validation(ca.cert) }) }),
    ];
    await proxy.update('Cluster', clusters, '1');
    const routes = clusters.map((c) => ({ match: { prefix: `/${c.name}/` }, route: { cluster: c.name, timeout: '5s' } }));
    await proxy.update('Listener', [listener('out', port, [{ filters: [hcmFilter(routeConfig('r', routes))] }])], '1');
  });
  afterAll(async () => {
    await proxy.close();
    plainTls.server.close();
    mtls.server.close();
  });

  it('verifies the server against the CA and sends the configured SNI', async () => {
    const r = await get(port, '/ok/');
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toEqual({ sni: 'ext.test', client: null });
  });

  it('fails when the server certificate does not verify against the configured CA', async () => {
    const r = await get(port, '/wrong-ca/');
    expect(r.status).toBe(503);
    expect(r.body).toMatch(/upstream connect error/);
    expect(proxy.stats.cluster('wrong-ca').upstream_cx_connect_fail).toBeGreaterThanOrEqual(1);
  });

  it('sends no SNI when sni is not set or empty', async () => {
    expect(JSON.parse((await get(port, '/no-sni/')).body)).toEqual({ sni: null, client: null });
    expect(JSON.parse((await get(port, '/empty-sni/')).body)).toEqual({ sni: null, client: null });
  });

  it('matches SANs by type: URI match passes, a DNS mismatch fails', async () => {
    expect((await get(port, '/san-uri/')).status).toBe(200);
    const r = await get(port, '/san-mismatch/');
    expect(r.status).toBe(503);
  });

  it('does not verify the server without a validation context (as Envoy)', async () => {
    const r = await get(port, '/no-verify/');
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body).sni).toBe('whatever.test');
  });

  it('presents the client certificate (from an SDS secret) to an mTLS server', async () => {
    const r = await get(port, '/mtls-cert/');
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toEqual({ sni: 'ext.test', client: 'dp-client' });
  });

  it('is refused by an mTLS server when no client certificate is configured', async () => {
    const r = await get(port, '/mtls-no-cert/');
    expect(r.status).toBe(503);
  });
});

describe('connect_timeout', () => {
  it('covers the TLS handshake: a server that accepts and never answers gives 503 after the timeout', async () => {
    const { proxy } = makeProxy();
    const { createServer } = await import('node:net');
    const silent = createServer(() => {}); // accepts, never speaks TLS
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    const port = await freePort();
    await proxy.update(
      'Cluster',
      [staticCluster('silent', [(silent.address() as AddressInfo).port], { connect_timeout: '0.2s', transport_socket: { name: 'envoy.transport_sockets.tls', typed_config: { '@type': T.upstreamTls, sni: 'x.test' } } })],
      '1',
    );
    await proxy.update('Listener', [listener('out', port, [{ filters: [hcmFilter(routeConfig('r', [{ match: { prefix: '/' }, route: { cluster: 'silent', timeout: '5s' } }]))] }])], '1');
    const t0 = Date.now();
    const r = await get(port, '/');
    expect(r.status).toBe(503);
    expect(r.body).toMatch(/reset reason: connection timeout/);
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(proxy.stats.cluster('silent').upstream_cx_connect_timeout).toBe(1);
    await proxy.close();
    silent.close();
  });
});

describe('allow_renegotiation', () => {
  const { proxy } = makeProxy();
  let ca: TestCa;
  let server: HttpsServer;
  let port = 0;

  beforeAll(async () => {
    ca = await createCa();
    const cert = await ca.issue({ cn: 'reneg', dns: ['reneg.test'] });
    // a TLS 1.2 server that renegotiates (asks for a client certificate) before answering, like some
    // legacy servers do for a protected path
    server = createHttpsServer({ ...cert, maxVersion: 'TLSv1.2' }, (req, res) => {
      const s = req.socket as TLSSocket;
      const timer = setTimeout(() => res.end('renegotiation did not finish'), 2000);
      s.renegotiate({ rejectUnauthorized: false, requestCert: true }, (err) => {
        clearTimeout(timer);
        if (err) {
          res.destroy();
          return;
        }
        res.end('renegotiated');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const up = (server.address() as AddressInfo).port;
    port = await freePort();
    const tls = (allow: boolean) => ({ name: 'envoy.transport_sockets.tls', typed_config: { '@type': T.upstreamTls, sni: 'reneg.test', allow_renegotiation: allow, common_tls_context: { tls_params: { tls_maximum_protocol_version: 'TLSv1_2' } } } });
    await proxy.update('Cluster', [staticCluster('allowed', [up], { transport_socket: tls(true) }), staticCluster('refused', [up], { transport_socket: tls(false) })], '1');
    await proxy.update(
      'Listener',
      [listener('out', port, [{ filters: [hcmFilter(routeConfig('r', [{ match: { prefix: '/allowed' }, route: { cluster: 'allowed' } }, { match: { prefix: '/refused' }, route: { cluster: 'refused' } }]))] }])],
      '1',
    );
  });
  afterAll(async () => {
    await proxy.close();
    server.close();
  });

  it('lets the server renegotiate when allowed', async () => {
    const r = await get(port, '/allowed');
    expect(r.status).toBe(200);
    expect(r.body).toBe('renegotiated');
  });

  it('refuses server-initiated renegotiation by default', async () => {
    const r = await get(port, '/refused');
    expect(r.body).not.toBe('renegotiated');
  });
});
