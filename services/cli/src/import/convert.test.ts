/**
 * The converter, construct by construct: each Istio / Gloo Mesh field either becomes a Causeway field
 * (asserted on the output) or a note naming its document and field (asserted on the note).
 */
import { HTTP_RETRY_ON, parseDocuments, toUniversal } from '@causeway/core';
import { describe, expect, it } from 'vitest';
import { formatNote, type ImportNote } from './common.js';
import { convertDocuments } from './convert.js';

type Doc = Record<string, unknown>;

/** MeshRetry's spelling of `5xx` in the @causeway/core this runs with (`5XX` in earlier versions). */
const FIVE_XX = (HTTP_RETRY_ON as readonly string[]).find((c) => c.toLowerCase() === '5xx');

/** Converts documents given as objects (document i of `in.yaml`). */
function convert(objects: unknown[], mesh = 'default') {
  const r = convertDocuments(
    objects.map((value, i) => ({ source: 'in.yaml', index: i + 1, line: 1, value })),
    { mesh },
  );
  return {
    ...r,
    out: r.resources.map((x) => toUniversal(x.resource, { omitMeta: true }) as Doc),
    notMapped: r.notes.filter((n) => n.kind === 'not mapped'),
    other: r.notes.filter((n) => n.kind === 'note'),
  };
}

/** Converts a YAML text (`in.yaml`), with line numbers. */
function convertText(text: string) {
  const docs = parseDocuments(text, { source: 'in.yaml' }).map((d) => ({ source: 'in.yaml', index: d.index, line: d.line, value: d.value, lineOf: d.lineOf }));
  return convertDocuments(docs, { mesh: 'default' });
}

const ISTIO = 'networking.istio.io/v1';
const GLOO = 'networking.gloo.solo.io/v2';
const se = (spec: Doc, name = 'ext', metadata: Doc = {}) => ({ apiVersion: ISTIO, kind: 'ServiceEntry', metadata: { name, ...metadata }, spec });
const dr = (spec: Doc, name = 'ext-dr') => ({ apiVersion: ISTIO, kind: 'DestinationRule', metadata: { name }, spec });
const vs = (spec: Doc, name = 'ext-vs') => ({ apiVersion: ISTIO, kind: 'VirtualService', metadata: { name }, spec });
const gloo = (kind: string, spec: Doc, name: string, labels?: Record<string, string>) => ({ apiVersion: GLOO, kind, metadata: { name, namespace: 'global', ...(labels ? { labels } : {}) }, spec });
const api = (extra: Doc = {}) => se({ hosts: ['api.example.com'], ports: [{ number: 80, name: 'http', protocol: 'HTTP' }], resolution: 'DNS', ...extra });

const named = (out: Doc[], name: string) => {
  const d = out.find((x) => x.name === name);
  if (!d) throw new Error(`no resource "${name}" in ${JSON.stringify(out.map((x) => `${x.type}/${x.name}`))}`);
  return d;
};
const fields = (notes: ImportNote[]) => notes.map((n) => n.field);
const noteAt = (notes: ImportNote[], field: string) => {
  const n = notes.find((x) => x.field === field);
  if (!n) throw new Error(`no note at ${field}: ${JSON.stringify(notes.map(formatNote), null, 1)}`);
  return n;
};

describe('ServiceEntry', () => {
  it('makes one ExternalService per host x port, named and tagged <host>-<port>, in the mesh asked for', () => {
    const r = convert([
      se({
        hosts: ['a.example.com', 'B.Example.com.'],
        ports: [
          { number: 80, name: 'http', protocol: 'HTTP' },
          { number: 443, name: 'https', protocol: 'HTTPS' },
        ],
        resolution: 'DNS',
      }),
    ], 'payments');
    expect(r.out.map((d) => [d.name, (d.networking as Doc).address, (d.tags as Doc)['kuma.io/protocol']])).toEqual([
      ['a-example-com-80', 'a.example.com:80', 'http'],
      ['a-example-com-443', 'a.example.com:443', 'tcp'],
      ['b-example-com-80', 'b.example.com:80', 'http'],
      ['b-example-com-443', 'b.example.com:443', 'tcp'],
    ]);
    expect(named(r.out, 'a-example-com-80')).toEqual({
      type: 'ExternalService',
      mesh: 'payments',
      name: 'a-example-com-80',
      tags: { 'kuma.io/service': 'a-example-com-80', 'kuma.io/protocol': 'http' },
      networking: { address: 'a.example.com:80' },
    });
    expect(r.notes).toEqual([]);
  });

  it.each([
    ['HTTP', 'http'],
    ['HTTP2', 'http2'],
    ['GRPC', 'grpc'],
    ['HTTPS', 'tcp'],
    ['TLS', 'tcp'],
    ['TCP', 'tcp'],
    ['http', 'http'],
  ])('protocol %s -> kuma.io/protocol %s', (protocol, kuma) => {
    const r = convert([se({ hosts: ['x.example.com'], ports: [{ number: 1234, name: 'p', protocol }], resolution: 'DNS' })]);
    expect(((r.out[0]?.tags ?? {}) as Doc)['kuma.io/protocol']).toBe(kuma);
    expect(r.notes).toEqual([]);
  });

  it('takes the protocol from the port name prefix, TCP (noted) without one; MONGO is TCP (noted); UDP is not mapped', () => {
    const r = convert([
      se({
        hosts: ['x.example.com'],
        ports: [
          { number: 1, name: 'grpc-api' },
          { number: 2, name: 'custom' },
          { number: 3, name: 'db', protocol: 'MONGO' },
          { number: 4, name: 'dns', protocol: 'UDP' },
        ],
        resolution: 'DNS',
      }),
    ]);
    expect(r.out.map((d) => [d.name, (d.tags as Doc)['kuma.io/protocol']])).toEqual([
      ['x-example-com-1', 'grpc'],
      ['x-example-com-2', 'tcp'],
      ['x-example-com-3', 'tcp'],
    ]);
    expect(noteAt(r.other, 'spec.ports[1].protocol').reason).toContain('taken as TCP');
    expect(noteAt(r.other, 'spec.ports[2].protocol').reason).toContain('no MONGO protocol');
    expect(noteAt(r.notMapped, 'spec.ports[3].protocol').reason).toContain('UDP is not supported');
  });

  it('resolution NONE (the default) maps to the host, with a note; DNS and DNS_ROUND_ROBIN without', () => {
    const none = convert([se({ hosts: ['x.example.com'], ports: [{ number: 80, name: 'http', protocol: 'HTTP' }] })]);
    expect(((none.out[0]?.networking ?? {}) as Doc).address).toBe('x.example.com:80');
    expect(noteAt(none.other, 'spec.resolution').reason).toContain('resolves the host name itself');
    for (const resolution of ['DNS', 'DNS_ROUND_ROBIN']) expect(convert([api({ resolution })]).notes).toEqual([]);
  });

  it('endpoints: one ExternalService each under one service tag, at the port named like the service port, else targetPort, else number', () => {
    const r = convert([
      se({
        hosts: ['db.internal'],
        ports: [
          { number: 5432, name: 'tcp-pg', protocol: 'TCP', targetPort: 15432 },
          { number: 8080, name: 'http', protocol: 'HTTP' },
        ],
        resolution: 'STATIC',
        endpoints: [{ address: '10.0.0.1', ports: { 'tcp-pg': 6432 } }, { address: '10.0.0.2' }, { address: 'fd00::3' }],
      }),
    ]);
    expect(r.out.map((d) => [d.name, (d.tags as Doc)['kuma.io/service'], (d.networking as Doc).address])).toEqual([
      ['db-internal-5432-1', 'db-internal-5432', '10.0.0.1:6432'],
      ['db-internal-5432-2', 'db-internal-5432', '10.0.0.2:15432'],
      ['db-internal-5432-3', 'db-internal-5432', '[fd00::3]:15432'],
      ['db-internal-8080-1', 'db-internal-8080', '10.0.0.1:8080'],
      ['db-internal-8080-2', 'db-internal-8080', '10.0.0.2:8080'],
      ['db-internal-8080-3', 'db-internal-8080', '[fd00::3]:8080'],
    ]);
    // The host name is not what the ExternalServices point at: the builtin DNS does not answer it.
    expect(noteAt(r.other, 'spec.hosts[0]').reason).toContain('applications call db-internal-5432.mesh');
  });

  it('endpoint labels, locality, weight, network and Unix sockets are not mapped; STATIC without endpoints makes nothing', () => {
    const r = convert([
      se({
        hosts: ['db.internal'],
        ports: [{ number: 5432, name: 'tcp', protocol: 'TCP' }],
        resolution: 'STATIC',
        endpoints: [{ address: '10.0.0.1', labels: { dc: 'a' }, locality: 'us/east', weight: 2, network: 'n1' }, { address: 'unix:///var/run/db.sock' }],
      }),
      se({ hosts: ['nothing.internal'], ports: [{ number: 1, name: 'tcp' }], resolution: 'STATIC' }, 'empty'),
    ]);
    expect(r.out.map((d) => (d.networking as Doc).address)).toEqual(['10.0.0.1:5432']);
    expect(fields(r.notMapped)).toEqual(
      expect.arrayContaining(['spec.endpoints[].labels', 'spec.endpoints[].locality', 'spec.endpoints[].weight', 'spec.endpoints[].network', 'spec.endpoints[1].address', 'spec.endpoints']),
    );
    expect(noteAt(r.notMapped, 'spec.endpoints[1].address').reason).toContain('Unix domain socket');
    expect(noteAt(r.notMapped, 'spec.endpoints').object).toBe('ServiceEntry "empty"');
  });

  it('targetPort without endpoints becomes the address port, with a note on how to call it', () => {
    const r = convert([se({ hosts: ['x.example.com'], ports: [{ number: 80, name: 'http', protocol: 'HTTP', targetPort: 8080 }], resolution: 'DNS' })]);
    expect(((r.out[0]?.networking ?? {}) as Doc).address).toBe('x.example.com:8080');
    expect(noteAt(r.other, 'spec.ports[0].targetPort').reason).toContain('applications call x.example.com:8080');
  });

  it('addresses, exportTo, workloadSelector, subjectAltNames and unknown fields are not mapped; MESH_INTERNAL is noted', () => {
    const r = convert([api({ addresses: ['240.0.0.1'], exportTo: ['.'], workloadSelector: { labels: { app: 'x' } }, subjectAltNames: ['a'], location: 'MESH_INTERNAL', colour: 'blue' })]);
    expect(r.out).toHaveLength(1);
    expect(fields(r.notMapped).sort()).toEqual(['spec.addresses', 'spec.colour', 'spec.exportTo', 'spec.subjectAltNames', 'spec.workloadSelector']);
    expect(noteAt(r.notMapped, 'spec.exportTo').reason).toContain('MeshTrafficPermission');
    expect(noteAt(r.other, 'spec.location').reason).toContain('MESH_INTERNAL');
  });

  it('wildcard hosts and bad ports are not mapped; a host:port declared twice is imported once', () => {
    const r = convert([
      se({ hosts: ['*.example.com', 'ok.example.com'], ports: [{ number: 80, name: 'http', protocol: 'HTTP' }, { number: 70000, name: 'x' }], resolution: 'DNS' }),
      se({ hosts: ['ok.example.com'], ports: [{ number: 80, name: 'http', protocol: 'HTTP' }], resolution: 'DNS' }, 'again'),
    ]);
    expect(r.out.map((d) => d.name)).toEqual(['ok-example-com-80']);
    expect(noteAt(r.notMapped, 'spec.hosts[0]').reason).toContain('wildcard');
    expect(noteAt(r.notMapped, 'spec.ports[1].number').reason).toContain('not a port number');
    const dup = r.notMapped.find((n) => n.object === 'ServiceEntry "again"');
    expect(dup?.reason).toContain('already declared by ServiceEntry "ext"');
  });

  it('two hosts whose derived names collide get distinct names', () => {
    const r = convert([se({ hosts: ['a-b.example', 'a.b.example'], ports: [{ number: 80, name: 'http' }], resolution: 'DNS' })]);
    expect(r.out.map((d) => [d.name, (d.networking as Doc).address])).toEqual([
      ['a-b-example-80', 'a-b.example:80'],
      ['a-b-example-80-2', 'a.b.example:80'],
    ]);
  });
});

describe('DestinationRule', () => {
  const tlsOf = (r: { out: Doc[] }, name = 'api-example-com-80') => (named(r.out, name).networking as Doc).tls;

  it('SIMPLE with sni originates TLS; without a CA the server is not verified (noted)', () => {
    const r = convert([api(), dr({ host: 'api.example.com', trafficPolicy: { tls: { mode: 'SIMPLE', sni: 'api.example.com' } } })]);
    expect(tlsOf(r)).toEqual({ enabled: true, sni: 'api.example.com' });
    expect(noteAt(r.other, 'spec.trafficPolicy.tls').reason).toContain('add the CA to ExternalService "api-example-com-80"');
    expect(r.notMapped).toEqual([]);
    expect(r.resources[0]?.from[1]).toMatch(/^DestinationRule "ext-dr" spec\.trafficPolicy\.tls \(in\.yaml: document 2/);
  });

  it('MUTUAL originates TLS and says the client certificate and key need Secrets; file paths are not mapped', () => {
    const r = convert([
      api(),
      dr({ host: 'api.example.com', trafficPolicy: { tls: { mode: 'MUTUAL', clientCertificate: '/etc/certs/client.pem', privateKey: '/etc/certs/key.pem', caCertificates: '/etc/certs/ca.pem' } } }),
    ]);
    expect(tlsOf(r)).toEqual({ enabled: true });
    expect(noteAt(r.notMapped, 'spec.trafficPolicy.tls.clientCertificate').reason).toMatch(/create Secrets .*networking\.tls\.clientCert: \{secret: NAME\} and clientKey: \{secret: NAME\}/);
    expect(noteAt(r.notMapped, 'spec.trafficPolicy.tls.caCertificates').reason).toContain('networking.tls.caCert');
    const noFiles = convert([api(), dr({ host: 'api.example.com', trafficPolicy: { tls: { mode: 'MUTUAL' } } })]);
    expect(noteAt(noFiles.notMapped, 'spec.trafficPolicy.tls.mode').reason).toMatch(/^MUTUAL needs a client certificate and key: create Secrets/);
  });

  it('credentialName, subjectAltNames and ISTIO_MUTUAL are not mapped; DISABLE turns TLS off', () => {
    const cred = convert([api(), dr({ host: 'api.example.com', trafficPolicy: { tls: { mode: 'SIMPLE', credentialName: 'api-ca', subjectAltNames: ['api'] } } })]);
    expect(tlsOf(cred)).toEqual({ enabled: true });
    expect(fields(cred.notMapped).sort()).toEqual(['spec.trafficPolicy.tls.credentialName', 'spec.trafficPolicy.tls.subjectAltNames']);
    const istio = convert([api(), dr({ host: 'api.example.com', trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL' } } })]);
    expect(tlsOf(istio)).toBeUndefined();
    expect(noteAt(istio.notMapped, 'spec.trafficPolicy.tls.mode').reason).toContain('ISTIO_MUTUAL');
    expect(tlsOf(convert([api(), dr({ host: 'api.example.com', trafficPolicy: { tls: { mode: 'DISABLE' } } })]))).toEqual({ enabled: false });
  });

  it('port-level settings override the destination-level ones for their port; an undeclared port is not mapped', () => {
    const r = convert([
      se({ hosts: ['api.example.com'], ports: [{ number: 80, name: 'http', protocol: 'HTTP' }, { number: 8443, name: 'http-tls', protocol: 'HTTP' }], resolution: 'DNS' }),
      dr({
        host: 'api.example.com',
        trafficPolicy: {
          tls: { mode: 'DISABLE' },
          portLevelSettings: [
            { port: { number: 8443 }, tls: { mode: 'SIMPLE', sni: 'tls.example.com', insecureSkipVerify: true } },
            { port: { number: 9999 }, tls: { mode: 'SIMPLE' } },
          ],
        },
      }),
    ]);
    expect(tlsOf(r, 'api-example-com-80')).toEqual({ enabled: false });
    expect(tlsOf(r, 'api-example-com-8443')).toEqual({ enabled: true, sni: 'tls.example.com' });
    expect(noteAt(r.notMapped, 'spec.trafficPolicy.portLevelSettings[1].port').reason).toBe('no port 9999 is declared for api.example.com');
    // insecureSkipVerify: Causeway does not verify without a CA anyway: nothing to say.
    expect(r.other).toEqual([]);
  });

  it('TLS origination on an HTTPS port is noted (TLS inside the application TLS)', () => {
    const r = convert([
      se({ hosts: ['api.example.com'], ports: [{ number: 443, name: 'https', protocol: 'HTTPS' }], resolution: 'DNS' }),
      dr({ host: 'api.example.com', trafficPolicy: { tls: { mode: 'SIMPLE' } } }),
    ]);
    expect(tlsOf(r, 'api-example-com-443')).toEqual({ enabled: true });
    expect(r.other.map((n) => n.reason).join('\n')).toContain('the application already speaks TLS');
  });

  it('connect and idle timeouts become a MeshTimeout; circuit breakers, outlier detection, load balancers other than round robin and subsets are not mapped', () => {
    const r = convert([
      api(),
      dr({
        host: 'api.example.com',
        subsets: [{ name: 'v1', labels: { v: '1' } }],
        trafficPolicy: {
          loadBalancer: { simple: 'LEAST_REQUEST' },
          connectionPool: { tcp: { connectTimeout: '2s', maxConnections: 10 }, http: { idleTimeout: '30s', http1MaxPendingRequests: 5 } },
          outlierDetection: { consecutive5xxErrors: 3 },
        },
      }),
    ]);
    expect(named(r.out, 'ext-dr')).toEqual({
      type: 'MeshTimeout',
      mesh: 'default',
      name: 'ext-dr',
      spec: { targetRef: { kind: 'Mesh' }, to: [{ targetRef: { kind: 'MeshService', name: 'api-example-com-80' }, default: { connectionTimeout: '2s', idleTimeout: '30s' } }] },
    });
    expect(fields(r.notMapped).sort()).toEqual([
      'spec.subsets',
      'spec.trafficPolicy.connectionPool.http.http1MaxPendingRequests',
      'spec.trafficPolicy.connectionPool.tcp.maxConnections',
      'spec.trafficPolicy.loadBalancer.simple',
      'spec.trafficPolicy.outlierDetection',
    ]);
    expect(convert([api(), dr({ host: 'api.example.com', trafficPolicy: { loadBalancer: { simple: 'ROUND_ROBIN' } } })]).notes).toEqual([]);
  });

  it('one idleTimeout: an HTTP service takes http.idleTimeout over tcp.idleTimeout, a TCP service only tcp.idleTimeout', () => {
    const r = convert([
      se({ hosts: ['api.example.com'], ports: [{ number: 80, name: 'http', protocol: 'HTTP' }, { number: 5432, name: 'tcp', protocol: 'TCP' }], resolution: 'DNS' }),
      dr({ host: 'api.example.com', trafficPolicy: { connectionPool: { tcp: { idleTimeout: '1h' }, http: { idleTimeout: '30s' } } } }),
    ]);
    expect(((named(r.out, 'ext-dr').spec as Doc).to as Doc[]).map((e) => [(e.targetRef as Doc).name, e.default])).toEqual([
      ['api-example-com-80', { idleTimeout: '30s' }],
      ['api-example-com-5432', { idleTimeout: '1h' }],
    ]);
    expect(r.notMapped.map((n) => [n.field, n.reason])).toEqual([
      ['spec.trafficPolicy.connectionPool.tcp.idleTimeout', 'MeshTimeout has one idleTimeout: spec.trafficPolicy.connectionPool.http.idleTimeout is the one for api.example.com:80'],
      ['spec.trafficPolicy.connectionPool.http.idleTimeout', 'applies to HTTP connections: api.example.com:5432 is TCP'],
    ]);
  });

  it('a DestinationRule for a host no ServiceEntry of the input declares is not mapped', () => {
    const r = convert([api(), dr({ host: 'reviews.default.svc.cluster.local', trafficPolicy: { tls: { mode: 'SIMPLE' } } })]);
    expect(noteAt(r.notMapped, 'spec.host').reason).toContain('no ServiceEntry or ExternalService in the input declares "reviews.default.svc.cluster.local"');
  });
});

describe('VirtualService', () => {
  const timeoutOf = (r: { out: Doc[] }, name = 'ext-vs') => named(r.out, name).spec;

  it('http[].timeout -> MeshTimeout http.requestTimeout for every HTTP port of its hosts, from every caller', () => {
    const r = convert([
      se({ hosts: ['api.example.com'], ports: [{ number: 80, name: 'http', protocol: 'HTTP' }, { number: 8080, name: 'http-alt', protocol: 'HTTP' }], resolution: 'DNS' }),
      vs({ hosts: ['api.example.com'], http: [{ timeout: '3s', route: [{ destination: { host: 'api.example.com' } }] }] }),
    ]);
    expect(timeoutOf(r)).toEqual({
      targetRef: { kind: 'Mesh' },
      to: [
        { targetRef: { kind: 'MeshService', name: 'api-example-com-80' }, default: { http: { requestTimeout: '3s' } } },
        { targetRef: { kind: 'MeshService', name: 'api-example-com-8080' }, default: { http: { requestTimeout: '3s' } } },
      ],
    });
    expect(r.notes).toEqual([]);
  });

  it('retries -> MeshRetry: attempts, perTryTimeout, Envoy retry conditions in MeshRetry spelling, status codes', () => {
    const r = convert([
      api(),
      vs({ hosts: ['api.example.com'], http: [{ retries: { attempts: 3, perTryTimeout: '2s', retryOn: '5xx,gateway-error,reset,connect-failure,retriable-4xx,refused-stream,503' } }] }),
    ]);
    expect(named(r.out, 'ext-vs')).toEqual({
      type: 'MeshRetry',
      mesh: 'default',
      name: 'ext-vs',
      spec: {
        targetRef: { kind: 'Mesh' },
        to: [
          {
            targetRef: { kind: 'MeshService', name: 'api-example-com-80' },
            default: { http: { numRetries: 3, perTryTimeout: '2s', retryOn: [FIVE_XX, 'GatewayError', 'Reset', 'ConnectFailure', 'Retriable4xx', 'RefusedStream', '503'] } },
          },
        ],
      },
    });
    expect(r.notes).toEqual([]);
  });

  it("retries without attempts or retryOn take Istio's defaults; gRPC services get a grpc section; conditions without an equivalent are not mapped", () => {
    const defaults = convert([api(), vs({ hosts: ['api.example.com'], http: [{ retries: { perTryTimeout: '1s' } }] })]);
    expect((named(defaults.out, 'ext-vs').spec as Doc).to).toEqual([
      { targetRef: { kind: 'MeshService', name: 'api-example-com-80' }, default: { http: { numRetries: 2, perTryTimeout: '1s', retryOn: ['ConnectFailure', 'RefusedStream', '503'] } } },
    ]);
    expect(noteAt(defaults.notMapped, 'spec.http[0].retries').reason).toMatch(/^unavailable, cancelled of Istio's default conditions/);

    const grpc = convert([
      se({ hosts: ['rpc.example.com'], ports: [{ number: 9000, name: 'grpc', protocol: 'GRPC' }], resolution: 'DNS' }),
      vs({ hosts: ['rpc.example.com'], http: [{ retries: { attempts: 4, retryOn: 'unavailable,cancelled,deadline-exceeded,5xx', retryRemoteLocalities: true } }] }),
    ]);
    expect((named(grpc.out, 'ext-vs').spec as Doc).to).toEqual([
      { targetRef: { kind: 'MeshService', name: 'rpc-example-com-9000' }, default: { grpc: { numRetries: 4, retryOn: ['Unavailable', 'Canceled', 'DeadlineExceeded'] } } },
    ]);
    expect(noteAt(grpc.notMapped, 'spec.http[0].retries.retryOn').reason).toMatch(/^5xx of spec\.http\[0\]\.retries\.retryOn: a gRPC MeshRetry retries on gRPC statuses only/);
    expect(fields(grpc.notMapped)).toContain('spec.http[0].retries.retryRemoteLocalities');
  });

  it('timeout and retries of one VirtualService are two policies named after it; a DestinationRule of the same name gets its kind appended', () => {
    const r = convert([
      api(),
      dr({ host: 'api.example.com', trafficPolicy: { connectionPool: { tcp: { connectTimeout: '1s' } } } }, 'api'),
      vs({ hosts: ['api.example.com'], http: [{ timeout: '5s', retries: { attempts: 1, retryOn: '5xx' } }] }, 'api'),
    ]);
    expect(r.out.map((d) => `${d.type}/${d.name}`)).toEqual(['ExternalService/api-example-com-80', 'MeshTimeout/api', 'MeshTimeout/api-virtualservice', 'MeshRetry/api']);
  });

  it('the first route that takes every request of a port wins; routes matching on uri or headers are not mapped; port matches are followed', () => {
    const r = convert([
      se({ hosts: ['api.example.com'], ports: [{ number: 80, name: 'http', protocol: 'HTTP' }, { number: 8080, name: 'http-admin', protocol: 'HTTP' }], resolution: 'DNS' }),
      vs({
        hosts: ['api.example.com'],
        http: [{ match: [{ uri: { prefix: '/slow' } }], timeout: '30s' }, { match: [{ port: 8080 }], timeout: '10s' }, { timeout: '3s' }, { timeout: '99s' }],
      }),
    ]);
    expect(((named(r.out, 'ext-vs').spec as Doc).to as Doc[]).map((e) => [(e.targetRef as Doc).name, (e.default as Doc).http])).toEqual([
      ['api-example-com-80', { requestTimeout: '3s' }],
      ['api-example-com-8080', { requestTimeout: '10s' }],
    ]);
    expect(noteAt(r.notMapped, 'spec.http[0].match').reason).toContain('Causeway has no MeshHTTPRoute');
  });

  it('redirects to other hosts, ports, subsets, splits, faults, rewrites and header changes are not mapped', () => {
    const r = convert([
      api(),
      vs({
        hosts: ['api.example.com'],
        http: [
          {
            timeout: '3s',
            fault: { abort: { httpStatus: 500 } },
            rewrite: { uri: '/v2' },
            headers: { request: { set: { a: 'b' } } },
            route: [
              { destination: { host: 'api-v2.example.com', port: { number: 8080 }, subset: 'v2' }, weight: 90 },
              { destination: { host: 'api.example.com' }, weight: 10 },
            ],
          },
        ],
      }),
    ]);
    expect(fields(r.notMapped).sort()).toEqual([
      'spec.http[0].fault',
      'spec.http[0].headers',
      'spec.http[0].rewrite',
      'spec.http[0].route',
      'spec.http[0].route[0].destination.host',
      'spec.http[0].route[0].destination.port',
      'spec.http[0].route[0].destination.subset',
    ]);
    // The timeout still applies to the calls to api.example.com.
    expect(((named(r.out, 'ext-vs').spec as Doc).to as Doc[])[0]?.default).toEqual({ http: { requestTimeout: '3s' } });
  });

  it('tls and tcp routes back to the same host need nothing; elsewhere they are not mapped', () => {
    const r = convert([
      se({ hosts: ['api.example.com'], ports: [{ number: 443, name: 'tls', protocol: 'TLS' }, { number: 5432, name: 'tcp', protocol: 'TCP' }], resolution: 'DNS' }),
      vs({
        hosts: ['api.example.com'],
        tls: [{ match: [{ port: 443, sniHosts: ['api.example.com'] }], route: [{ destination: { host: 'api.example.com', port: { number: 443 } } }] }],
        tcp: [{ route: [{ destination: { host: 'db.example.com', port: { number: 5432 } } }] }],
      }),
    ]);
    expect(fields(r.notMapped)).toEqual(['spec.tcp[0].route']);
    expect(r.out.map((d) => d.type)).toEqual(['ExternalService', 'ExternalService']);
  });

  it('applies to sidecars only: a gateway-only VirtualService makes nothing; unknown hosts and bad durations are not mapped', () => {
    const gw = convert([api(), vs({ hosts: ['api.example.com'], gateways: ['istio-egressgateway'], http: [{ timeout: '3s' }] })]);
    expect(gw.out.map((d) => d.type)).toEqual(['ExternalService']);
    expect(noteAt(gw.notMapped, 'spec.gateways').reason).toContain('gateways only');
    const both = convert([api(), vs({ hosts: ['api.example.com'], gateways: ['mesh', 'istio-egressgateway'], http: [{ timeout: '3s' }] })]);
    expect(both.out.map((d) => d.type)).toEqual(['ExternalService', 'MeshTimeout']);
    const bad = convert([api(), vs({ hosts: ['api.example.com', 'other.example.com'], http: [{ timeout: 'soon' }] })]);
    expect(fields(bad.notMapped).sort()).toEqual(['spec.hosts[1]', 'spec.http[0].timeout']);
    expect(bad.out.map((d) => d.type)).toEqual(['ExternalService']);
  });

  it("notes that the HTTP routes do not apply to a host's TLS ports", () => {
    const r = convert([
      se({ hosts: ['api.example.com'], ports: [{ number: 443, name: 'https', protocol: 'HTTPS' }], resolution: 'DNS' }),
      vs({ hosts: ['api.example.com'], http: [{ timeout: '3s' }] }),
    ]);
    expect(r.out.map((d) => d.type)).toEqual(['ExternalService']);
    expect(noteAt(r.other, 'spec.http').reason).toContain('applies to the HTTP ports only');
  });
});

describe('Gloo Mesh ExternalService and ExternalEndpoint', () => {
  it('hosts x ports like a ServiceEntry; clientsideTls originates TLS (SIMPLE without a mode), an HTTPS port then carries plain HTTP from the app', () => {
    const r = convert([
      gloo(
        'ExternalService',
        {
          hosts: ['httpbin.org'],
          ports: [
            { name: 'http', number: 80, protocol: 'HTTP' },
            { name: 'https', number: 443, protocol: 'HTTPS', clientsideTls: { sni: 'httpbin.org' } },
            { name: 'tls', number: 8443, protocol: 'TLS' },
          ],
        },
        'httpbin',
      ),
    ]);
    expect(r.out.map((d) => [d.name, (d.tags as Doc)['kuma.io/protocol'], d.networking])).toEqual([
      ['httpbin-org-80', 'http', { address: 'httpbin.org:80' }],
      ['httpbin-org-443', 'http', { address: 'httpbin.org:443', tls: { enabled: true, sni: 'httpbin.org' } }],
      ['httpbin-org-8443', 'tcp', { address: 'httpbin.org:8443' }],
    ]);
    // Gloo Mesh does not verify without caCertificates either: nothing to note.
    expect(r.notes).toEqual([]);
  });

  it('ExternalEndpoints selected by labels are the addresses (port by targetPort name); unselected ones and locality are not mapped', () => {
    const r = convert([
      gloo('ExternalEndpoint', { address: '10.0.0.1', ports: [{ name: 'pg', number: 6432 }], locality: { region: 'eu' } }, 'db-1', { app: 'db' }),
      gloo('ExternalEndpoint', { address: 'db-2.dc2.example.com', ports: [{ name: 'pg', number: 5432 }] }, 'db-2', { app: 'db' }),
      gloo('ExternalEndpoint', { address: '10.9.9.9', ports: [{ name: 'pg', number: 5432 }] }, 'stray', { app: 'other' }),
      gloo('ExternalService', { hosts: ['db.internal'], ports: [{ name: 'tcp', number: 5432, protocol: 'TCP', targetPort: { name: 'pg' } }], selector: { app: 'db' } }, 'db'),
    ]);
    expect(r.out.map((d) => [d.name, (d.tags as Doc)['kuma.io/service'], (d.networking as Doc).address])).toEqual([
      ['db-internal-5432-1', 'db-internal-5432', '10.0.0.1:6432'],
      ['db-internal-5432-2', 'db-internal-5432', 'db-2.dc2.example.com:5432'],
    ]);
    expect(r.notMapped.map((n) => [n.object, n.field])).toEqual([
      ['ExternalEndpoint "global/db-1"', 'spec.locality'],
      ['ExternalEndpoint "global/stray"', ''],
    ]);
    expect(noteAt(r.other, 'spec.hosts[0]').reason).toContain('applications call db-internal-5432.mesh');
  });

  it('a selector that matches nothing routes to the hosts by DNS (noted); addresses make one service per IP, CIDR ranges are not mapped', () => {
    const r = convert([gloo('ExternalService', { addresses: ['192.168.1.10', '10.0.0.0/24'], ports: [{ name: 'tcp', number: 9000, protocol: 'TCP' }] }, 'legacy')]);
    expect(r.out.map((d) => (d.networking as Doc).address)).toEqual(['192.168.1.10:9000']);
    expect(noteAt(r.notMapped, 'spec.addresses[1]').reason).toContain('CIDR');
    const none = convert([gloo('ExternalService', { hosts: ['api.example.com'], ports: [{ name: 'http', number: 80, protocol: 'HTTP' }], selector: { app: 'nope' } }, 'api')]);
    expect(((none.out[0]?.networking ?? {}) as Doc).address).toBe('api.example.com:80');
    expect(noteAt(none.other, 'spec.selector').reason).toContain('called by their DNS names');
  });

  it('egressGatewayRoutes and subjectAltNames are not mapped; MUTUAL says what Secrets are needed', () => {
    const r = convert([
      gloo(
        'ExternalService',
        {
          hosts: ['api.example.com'],
          subjectAltNames: ['api.example.com'],
          ports: [{ name: 'https', number: 443, protocol: 'HTTPS', clientsideTls: { mode: 'MUTUAL' }, egressGatewayRoutes: { portMatch: 80, virtualGatewayRefs: [{ name: 'egress' }] } }],
        },
        'api',
      ),
    ]);
    expect(fields(r.notMapped).sort()).toEqual(['spec.ports[0].clientsideTls.mode', 'spec.ports[0].egressGatewayRoutes', 'spec.subjectAltNames']);
    expect(noteAt(r.notMapped, 'spec.ports[0].egressGatewayRoutes').reason).toContain('routing.zoneEgress: true');
    expect(((r.out[0]?.networking ?? {}) as Doc).tls).toEqual({ enabled: true });
  });

  it('a VirtualService and DestinationRule of a Gloo Mesh host configure its services too', () => {
    const r = convert([
      gloo('ExternalService', { hosts: ['api.example.com'], ports: [{ name: 'http', number: 80, protocol: 'HTTP' }] }, 'api'),
      vs({ hosts: ['api.example.com'], http: [{ timeout: '2s' }] }),
    ]);
    expect(r.out.map((d) => `${d.type}/${d.name}`)).toEqual(['ExternalService/api-example-com-80', 'MeshTimeout/ext-vs']);
  });
});

describe('documents', () => {
  it('other kinds, Causeway resources and non-maps are not mapped, each with its document', () => {
    const r = convert([
      { apiVersion: 'networking.istio.io/v1', kind: 'Gateway', metadata: { name: 'gw' }, spec: {} },
      { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' } },
      { type: 'ExternalService', mesh: 'default', name: 'x' },
      'just text',
      { apiVersion: ISTIO, kind: 'ServiceEntry', metadata: { name: 'nospec' } },
    ]);
    expect(r.out).toEqual([]);
    expect(r.notes.map(formatNote)).toEqual([
      expect.stringMatching(/^not mapped: in\.yaml: document 1 \(line 1\): Gateway "gw" \(Gateway \(networking\.istio\.io\/v1\) is not imported: causeway import reads Istio ServiceEntry/),
      expect.stringMatching(/^not mapped: in\.yaml: document 2 \(line 1\): Deployment "web" \(Deployment \(apps\/v1\) is not imported/),
      'not mapped: in.yaml: document 3 (line 1): ExternalService "(no name)" (already a Causeway (Kuma universal) resource: apply it with causeway apply -f)',
      expect.stringMatching(/^not mapped: in\.yaml: document 4 \(line 1\): document "\(no name\)" \(not a map/),
      'not mapped: in.yaml: document 5 (line 1): ServiceEntry "nospec" spec (no spec (a map): nothing to import)',
    ]);
    expect(r.recognised).toBe(0);
    expect(r.objects).toBe(5);
  });

  it('an object without a name still converts; its policies are named "no-name" (noted)', () => {
    const r = convert([api(), { apiVersion: ISTIO, kind: 'VirtualService', metadata: {}, spec: { hosts: ['api.example.com'], http: [{ timeout: '1s' }] } }]);
    expect(r.out.map((d) => `${d.type}/${d.name}`)).toEqual(['ExternalService/api-example-com-80', 'MeshTimeout/no-name']);
    expect(noteAt(r.other, 'metadata.name').object).toBe('VirtualService "(no name)"');
  });

  it('reads the items of a kind: List (kubectl get -o yaml), naming each by its path', () => {
    const text = [
      'apiVersion: v1',
      'kind: List',
      'items:',
      '- apiVersion: networking.istio.io/v1',
      '  kind: ServiceEntry',
      '  metadata: {name: a, namespace: shop}',
      '  spec:',
      '    hosts: [a.example.com]',
      '    ports: [{number: 80, name: http, protocol: HTTP}]',
      '    resolution: DNS',
      '    exportTo: ["."]',
      '',
    ].join('\n');
    const r = convertText(text);
    expect(r.resources.map((x) => x.resource.name)).toEqual(['a-example-com-80']);
    expect(r.notes.map(formatNote)).toEqual([
      'not mapped: in.yaml: document 1 (line 11): ServiceEntry "shop/a" spec.exportTo (an ExternalService is visible to the whole mesh: limit who may call it with a MeshTrafficPermission (with mTLS on))',
    ]);
  });

  it('a note names the line of its field', () => {
    const text = [
      'apiVersion: networking.istio.io/v1',
      'kind: ServiceEntry',
      'metadata:',
      '  name: ext',
      'spec:',
      '  hosts: [x.example.com]',
      '  ports:',
      '  - number: 80',
      '    name: http',
      '    protocol: HTTP',
      '  resolution: DNS',
      '  workloadSelector:',
      '    labels: {app: x}',
      '',
    ].join('\n');
    expect(convertText(text).notes.map(formatNote)).toEqual([expect.stringMatching(/^not mapped: in\.yaml: document 1 \(line 12\): ServiceEntry "ext" spec\.workloadSelector \(/)]);
  });
});
