import { createServer as createNetServer, type Server } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createCa, type Pem, type TestCa } from '../testing/certs.js';
import { freePort, listener, makeProxy, staticCluster, T, tcpProxyFilter } from '../testing/helpers.js';
import { Rbac, type RbacSubject } from './rbac.js';

const subject = (uri?: string, extra: Partial<RbacSubject> = {}): RbacSubject => ({
  sourceIp: '127.0.0.1',
  directRemoteIp: '127.0.0.1',
  destinationIp: '127.0.0.1',
  destinationPort: 8080,
  serverName: undefined,
  peer: uri ? { sans: { uri: [uri], dns: [], ip: [], email: [] }, subject: 'CN=x' } : undefined,
  ...extra,
});

const exact = (name: string) => ({ authenticated: { principal_name: { exact: name } } });
const prefix = (p: string) => ({ authenticated: { principal_name: { prefix: p } } });

describe('RBAC rules', () => {
  it('ALLOW: only matching principals get through', () => {
    const r = new Rbac({ rules: { policies: { web: { permissions: [{ any: true }], principals: [exact('spiffe://default/web')] } } } }, 'rbac');
    expect(r.evaluate(subject('spiffe://default/web'))).toEqual({ allowed: true, policy: 'web' });
    expect(r.evaluate(subject('spiffe://default/backend')).allowed).toBe(false);
    expect(r.evaluate(subject(undefined)).allowed).toBe(false); // no certificate
  });
  it('prefix principals and any', () => {
    const r = new Rbac({ rules: { action: 'ALLOW', policies: { mesh: { permissions: [{ any: true }], principals: [prefix('spiffe://default/')] } } } }, 'rbac');
    expect(r.evaluate(subject('spiffe://default/anything')).allowed).toBe(true);
    expect(r.evaluate(subject('spiffe://other/anything')).allowed).toBe(false);
    const any = new Rbac({ rules: { policies: { all: { permissions: [{ any: true }], principals: [{ any: true }] } } } }, 'rbac');
    expect(any.evaluate(subject(undefined)).allowed).toBe(true);
  });
  it('DENY: matching principals are rejected, others pass', () => {
    const r = new Rbac({ rules: { action: 'DENY', policies: { bad: { permissions: [{ any: true }], principals: [exact('spiffe://default/evil')] } } } }, 'rbac');
    expect(r.evaluate(subject('spiffe://default/evil'))).toEqual({ allowed: false, policy: 'bad' });
    expect(r.evaluate(subject('spiffe://default/web')).allowed).toBe(true);
  });
  it('no rules allow everything; an empty ALLOW policy set denies everything', () => {
    expect(new Rbac({}, 'rbac').evaluate(subject(undefined)).allowed).toBe(true);
    expect(new Rbac({ rules: { policies: {} } }, 'rbac').evaluate(subject('spiffe://default/web')).allowed).toBe(false);
  });
  it('authenticated without principal_name matches any verified certificate; DNS SANs are tried after URIs', () => {
    const r = new Rbac({ rules: { policies: { p: { permissions: [{ any: true }], principals: [{ authenticated: {} }] } } } }, 'rbac');
    expect(r.evaluate(subject('spiffe://x/y')).allowed).toBe(true);
    expect(r.evaluate(subject(undefined)).allowed).toBe(false);
    const dns = new Rbac({ rules: { policies: { p: { permissions: [{ any: true }], principals: [exact('web.internal')] } } } }, 'rbac');
    expect(dns.evaluate(subject(undefined, { peer: { sans: { uri: ['spiffe://a/b'], dns: ['web.internal'], ip: [], email: [] }, subject: 'CN=z' } })).allowed).toBe(true);
  });
  it('permissions: destination port, and/or/not', () => {
    const r = new Rbac(
      {
        rules: {
          policies: {
            p: { permissions: [{ and_rules: { rules: [{ destination_port: 8080 }, { not_rule: { destination_ip: { address_prefix: '10.0.0.0', prefix_len: 8 } } }] } }], principals: [{ any: true }] },
          },
        },
      },
      'rbac',
    );
    expect(r.evaluate(subject(undefined)).allowed).toBe(true);
    expect(r.evaluate(subject(undefined, { destinationPort: 9090 })).allowed).toBe(false);
    expect(r.evaluate(subject(undefined, { destinationIp: '10.1.2.3' })).allowed).toBe(false);
  });
});

describe('downstream mTLS + RBAC on a listener', () => {
  const { proxy, accessLog } = makeProxy();
  let ca: TestCa;
  let otherCa: TestCa;
  let echo: Server;
  let port = 0;
  const certs: Record<string, Pem> = {};

  beforeAll(async () => {
    ca = await createCa('mesh CA');
    otherCa = await createCa('foreign CA');
    certs.server = await ca.issue({ cn: 'backend', uris: ['spiffe://default/backend'] });
    certs.web = await ca.issue({ cn: 'web', uris: ['spiffe://default/web'] });
    certs.other = await ca.issue({ cn: 'other', uris: ['spiffe://default/other'] });
    certs.foreignMesh = await ca.issue({ cn: 'foreign-mesh', uris: ['spiffe://prod/web'] });
    certs.foreignCa = await otherCa.issue({ cn: 'web-fake', uris: ['spiffe://default/web'] });
    echo = createNetServer((s) => s.pipe(s));
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', () => r()));
    port = await freePort();
    await proxy.update(
      'Secret',
      [
        { name: 'identity_cert:secret:default', tls_certificate: { certificate_chain: { inline_bytes: Buffer.from(certs.server.cert).toString('base64') }, private_key: { inline_bytes: Buffer.from(certs.server.key).toString('base64') } } },
        { name: 'mesh_ca:secret:default', validation_context: { trusted_ca: { inline_bytes: Buffer.from(ca.cert).toString('base64') } } },
      ],
      '1',
    );
    await proxy.update('Cluster', [staticCluster('localhost:9000', [(echo.address() as { port: number }).port])], '1');
    const downstreamTls = {
      name: 'envoy.transport_sockets.tls',
      typed_config: {
        '@type': T.downstreamTls,
        require_client_certificate: true,
        common_tls_context: {
          tls_certificate_sds_secret_configs: [{ name: 'identity_cert:secret:default', sds_config: { ads: {}, resource_api_version: 'V3' } }],
          combined_validation_context: {
            default_validation_context: { match_typed_subject_alt_names: [{ san_type: 'URI', matcher: { prefix: 'spiffe://default/' } }] },
            validation_context_sds_secret_config: { name: 'mesh_ca:secret:default', sds_config: { ads: {}, resource_api_version: 'V3' } },
          },
        },
      },
    };
    const rbac = { name: 'envoy.filters.network.rbac', typed_config: { '@type': T.rbac, stat_prefix: 'inbound', rules: { policies: { web: { permissions: [{ any: true }], principals: [exact('spiffe://default/web')] } } } } };
    await proxy.update('Listener', [listener('inbound', port, [{ transport_socket: downstreamTls, filters: [rbac, tcpProxyFilter('localhost:9000')] }])], '1');
  });
  afterAll(async () => {
    await proxy.close();
    echo.close();
  });

  /** Connects with a client certificate and returns what the echo sent back, or why it failed. */
  const exchange = (cert: Pem | undefined) =>
    new Promise<string>((resolve) => {
      const c = tlsConnect({ host: '127.0.0.1', port, ca: ca.cert, servername: 'backend', checkServerIdentity: () => undefined, ...(cert ? { key: cert.key, cert: cert.cert } : {}) });
      let got = '';
      c.on('secureConnect', () => c.write('ping'));
      c.on('data', (d) => {
        got += d.toString();
        if (got === 'ping') {
          c.end();
          resolve('echo:ping');
        }
      });
      c.on('error', (e) => resolve(`error:${e.message}`));
      c.on('close', () => resolve(got ? `echo:${got}` : 'closed'));
    });

  it('lets an allowed SPIFFE identity through', async () => {
    expect(await exchange(certs.web)).toBe('echo:ping');
    // the TCP access log line is written when the connection closes
    await vi.waitFor(() => expect(accessLog.entries.some((e) => e.downstream_peer_uri_san === 'spiffe://default/web' && e.cluster === 'localhost:9000')).toBe(true));
  });

  it('closes the connection of a mesh identity the RBAC policy does not allow', async () => {
    const r = await exchange(certs.other);
    expect(r).not.toBe('echo:ping');
    expect(proxy.stats.listener(`127_0_0_1_${port}`).rbac_denied).toBeGreaterThanOrEqual(1);
  });

  it('rejects a certificate of another mesh (SAN prefix), of another CA, and no certificate', async () => {
    for (const c of [certs.foreignMesh, certs.foreignCa, undefined]) expect(await exchange(c)).not.toBe('echo:ping');
  });
});
