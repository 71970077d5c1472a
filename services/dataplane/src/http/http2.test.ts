/** HTTP/2: gRPC through the proxy (h2c downstream, h2 upstream, trailers), also over TLS with prior knowledge, and h1 <-> h2. */
import { connect as h2connect, createServer as createH2Server } from 'node:http2';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCa } from '../testing/certs.js';
import { freePort, get, hcmFilter, httpUpstream, inline, listener, makeProxy, routeConfig, staticCluster, T, type Upstream } from '../testing/helpers.js';

const raw = { requestSerialize: (b: Buffer) => b, requestDeserialize: (b: Buffer) => b, responseSerialize: (b: Buffer) => b, responseDeserialize: (b: Buffer) => b };
const service = {
  Echo: { path: '/test.Echo/Echo', requestStream: false, responseStream: false, ...raw },
  Fail: { path: '/test.Echo/Fail', requestStream: false, responseStream: false, ...raw },
  Stream: { path: '/test.Echo/Stream', requestStream: false, responseStream: true, ...raw },
  Flaky: { path: '/test.Echo/Flaky', requestStream: false, responseStream: false, ...raw },
} as unknown as grpc.ServiceDefinition;
const Client = grpc.makeGenericClientConstructor(service, 'Echo') as unknown as new (
  address: string,
  creds: grpc.ChannelCredentials,
) => grpc.Client & Record<string, (...args: unknown[]) => unknown>;

const H2 = { 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': { '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions', explicit_http_config: { http2_protocol_options: {} } } };

describe('HTTP/2 and gRPC through the proxy', () => {
  const { proxy, accessLog } = makeProxy();
  let grpcServer: grpc.Server;
  let h2cServer: ReturnType<typeof createH2Server>;
  let h1: Upstream;
  let direct = 0;
  let viaMesh = 0;
  let mixed = 0;
  let retrying = 0;
  let flakyCalls = 0;

  beforeAll(async () => {
    grpcServer = new grpc.Server();
    grpcServer.addService(service, {
      Echo: (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => {
        const md = new grpc.Metadata();
        md.set('x-seen-request-id', String(call.metadata.get('x-request-id')[0] ?? ''));
        call.sendMetadata(md);
        cb(null, Buffer.concat([Buffer.from('echo:'), call.request]));
      },
      Fail: (_call: unknown, cb: grpc.sendUnaryData<Buffer>) => cb({ code: grpc.status.NOT_FOUND, details: 'no such thing' }),
      // UNAVAILABLE twice, then OK
      Flaky: (_call: unknown, cb: grpc.sendUnaryData<Buffer>) => {
        flakyCalls++;
        if (flakyCalls % 3 !== 0) cb({ code: grpc.status.UNAVAILABLE, details: 'busy' });
        else cb(null, Buffer.from(`ok after ${flakyCalls}`));
      },
      Stream: (call: grpc.ServerWritableStream<Buffer, Buffer>) => {
        for (let i = 0; i < 5; i++) call.write(Buffer.from(`m${i}`));
        call.end();
      },
    });
    const grpcPort = await new Promise<number>((resolve, reject) => grpcServer.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
    h2cServer = createH2Server((req, res) => res.end(`h2c upstream ${req.url} ${req.httpVersion}`));
    await new Promise<void>((r) => h2cServer.listen(0, '127.0.0.1', () => r()));
    h1 = await httpUpstream((req, res) => res.end(`h1 upstream ${req.url} host=${req.headers.host}`));
    const ca = await createCa();
    const meshCert = await ca.issue({ cn: 'inbound', uris: ['spiffe://default/echo'] });
    [direct, viaMesh, mixed, retrying] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
    const inboundTls = await freePort();
    await proxy.update(
      'Cluster',
      [
        staticCluster('grpc', [grpcPort], { typed_extension_protocol_options: H2 }),
        staticCluster('h2c', [(h2cServer.address() as { port: number }).port], { typed_extension_protocol_options: H2 }),
        staticCluster('h1', [h1.port]),
        // the mesh hop: HTTP/2 over TLS without ALPN (prior knowledge), as the generators configure mesh clusters
        staticCluster('inbound-tls', [inboundTls], {
          typed_extension_protocol_options: H2,
          transport_socket: { name: 'envoy.transport_sockets.tls', typed_config: { '@type': T.upstreamTls, sni: 'echo{mesh=default}', common_tls_context: { validation_context: { trusted_ca: inline(ca.cert) } } } },
        }),
      ],
      '1',
    );
    const route = (cluster: string) => hcmFilter(routeConfig(`r-${cluster}`, [{ match: { prefix: '/' }, route: { cluster, timeout: '5s' } }]));
    await proxy.update(
      'Listener',
      [
        listener('direct', direct, [{ filters: [route('grpc')] }]),
        listener('via-mesh', viaMesh, [{ filters: [route('inbound-tls')] }]),
        listener('inbound', inboundTls, [
          {
            transport_socket: { name: 'envoy.transport_sockets.tls', typed_config: { '@type': T.downstreamTls, common_tls_context: { tls_certificates: [{ certificate_chain: inline(meshCert.cert), private_key: inline(meshCert.key) }] } } },
            filters: [route('grpc')],
          },
        ]),
        listener('retrying', retrying, [
          {
            filters: [
              hcmFilter(routeConfig('retrying', [{ match: { prefix: '/' }, route: { cluster: 'grpc', retry_policy: { retry_on: 'unavailable,cancelled', num_retries: 3, retry_back_off: { base_interval: '0.005s' } } } }])),
            ],
          },
        ]),
        listener('mixed', mixed, [
          {
            filters: [
              hcmFilter(
                routeConfig('mixed', [
                  { match: { prefix: '/to-h1' }, route: { cluster: 'h1' } },
                  { match: { prefix: '/to-h2' }, route: { cluster: 'h2c' } },
                ]),
              ),
            ],
          },
        ]),
      ],
      '1',
    );
  });
  afterAll(async () => {
    await proxy.close();
    grpcServer.forceShutdown();
    h2cServer.close();
    await h1.close();
  });

  const unary = (c: grpc.Client & Record<string, (...args: unknown[]) => unknown>, method: string, body: Buffer) =>
    new Promise<{ value?: Buffer; error?: grpc.ServiceError; metadata?: grpc.Metadata }>((resolve) => {
      let metadata: grpc.Metadata | undefined;
      const call = c[method]?.(body, (error: grpc.ServiceError | null, value?: Buffer) => resolve({ ...(error ? { error } : {}), ...(value ? { value } : {}), ...(metadata ? { metadata } : {}) })) as grpc.ClientUnaryCall;
      call.on('metadata', (m) => {
        metadata = m;
      });
    });

  for (const [name, port] of [
    ['h2c to the proxy, h2 to the server', () => direct],
    ['through a second hop over TLS with prior knowledge (the mesh path)', () => viaMesh],
  ] as const) {
    it(`carries gRPC ${name}: unary, status in trailers, server streaming`, async () => {
      const c = new Client(`127.0.0.1:${port()}`, grpc.credentials.createInsecure());
      const ok = await unary(c, 'Echo', Buffer.from('hi'));
      expect(ok.value?.toString()).toBe('echo:hi');
      expect(String(ok.metadata?.get('x-seen-request-id')[0])).toMatch(/^[0-9a-f-]{36}$/); // added by the proxy
      const fail = await unary(c, 'Fail', Buffer.from('x'));
      expect(fail.error?.code).toBe(grpc.status.NOT_FOUND);
      expect(fail.error?.details).toBe('no such thing');
      const msgs = await new Promise<string[]>((resolve, reject) => {
        const out: string[] = [];
        const s = (c.Stream as (b: Buffer) => grpc.ClientReadableStream<Buffer>)(Buffer.from('go'));
        s.on('data', (m: Buffer) => out.push(m.toString()));
        s.on('end', () => resolve(out));
        s.on('error', reject);
      });
      expect(msgs).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
      c.close();
    });
  }

  it('serves HTTP/1.1 after the TLS inspector peeked, in plain text and in TLS (a PERMISSIVE inbound)', async () => {
    const ca = await createCa();
    const cert = await ca.issue({ cn: 'in', dns: ['in.test'] });
    const port = await freePort();
    const hcm = () => hcmFilter(routeConfig('p', [{ match: { prefix: '/' }, route: { cluster: 'h1' } }]));
    await proxy.update(
      'Listener',
      [
        ...['direct', 'via-mesh', 'inbound', 'retrying', 'mixed'].map((n) => proxy.listenerManager.listeners().find((l) => l.name === n)?.config as unknown as Record<string, unknown>),
        listener(
          'permissive',
          port,
          [
            {
              filter_chain_match: { transport_protocol: 'tls' },
              transport_socket: { name: 'envoy.transport_sockets.tls', typed_config: { '@type': T.downstreamTls, common_tls_context: { tls_certificates: [{ certificate_chain: inline(cert.cert), private_key: inline(cert.key) }] } } },
              filters: [hcm()],
            },
            { filter_chain_match: { transport_protocol: 'raw_buffer' }, filters: [hcm()] },
          ],
          { listener_filters: [{ name: 'envoy.filters.listener.tls_inspector', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector' } }] },
        ),
      ],
      '2',
    );
    expect((await get(port, '/plain')).body).toBe(`h1 upstream /plain host=127.0.0.1:${port}`);
    const https = await import('node:https');
    const body = await new Promise<string>((resolve, reject) => {
      https
        .get({ host: '127.0.0.1', port, path: '/tls', servername: 'in.test', ca: ca.cert, agent: false }, (res) => {
          let b = '';
          res.on('data', (d: Buffer) => {
            b += d.toString();
          });
          res.on('end', () => resolve(b));
        })
        .on('error', reject);
    });
    expect(body).toBe(`h1 upstream /tls host=127.0.0.1:${port}`);
  });

  it('retries gRPC UNAVAILABLE (trailers-only) with retry_on unavailable', async () => {
    const c = new Client(`127.0.0.1:${retrying}`, grpc.credentials.createInsecure());
    const r = await unary(c, 'Flaky', Buffer.from('x'));
    expect(r.value?.toString()).toBe('ok after 3');
    c.close();
  });

  it('translates between HTTP/2 and HTTP/1.1 in both directions', async () => {
    // HTTP/2 client -> HTTP/1.1 upstream
    const session = h2connect(`http://127.0.0.1:${mixed}`);
    const body = await new Promise<string>((resolve, reject) => {
      const s = session.request({ ':path': '/to-h1/x', ':authority': 'svc.test' });
      let b = '';
      s.on('data', (d: Buffer) => {
        b += d.toString();
      });
      s.on('end', () => resolve(b));
      s.on('error', reject);
      s.end();
    });
    session.close();
    expect(body).toBe('h1 upstream /to-h1/x host=svc.test');
    // HTTP/1.1 client -> HTTP/2 upstream
    expect((await get(mixed, '/to-h2/y')).body).toBe('h2c upstream /to-h2/y 2.0');
    expect(accessLog.entries.some((e) => e.protocol === 'HTTP/2.0' && e.cluster === 'h1' && e.status === 200)).toBe(true);
  });
});
