/**
 * The ADS client against a small in-test ADS server (@grpc/grpc-js with the Envoy service definition,
 * TLS with a test CA), through the real `causeway-dp run` startup path (config, node, admin port).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeMessage, type EnvoyJson, encodeAny, envoyPackageDefinition } from '@causeway/envoy';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../config.js';
import { type Dataplane, startDataplane } from '../run.js';
import { createCa, type Pem, type TestCa } from '../testing/certs.js';
import { freePort, get, httpUpstream, quietLog, type Upstream } from '../testing/helpers.js';
import { TYPE_URL } from './client.js';

interface Req {
  version_info?: string;
  node?: { id?: string; cluster?: string; metadata?: Record<string, unknown> };
  resource_names?: string[];
  type_url?: string;
  response_nonce?: string;
  error_detail?: { code?: number; message?: string };
}

/** A minimal ADS server: records requests, sends what the test tells it to. */
class AdsTestServer {
  readonly requests: Req[] = [];
  readonly authorization: string[] = [];
  private call: grpc.ServerDuplexStream<Req, unknown> | undefined;
  private server: grpc.Server | undefined;
  private nonce = 0;
  constructor(
    private readonly cert: Pem,
    private readonly port: number,
  ) {}

  async start(): Promise<void> {
    const def = envoyPackageDefinition()['envoy.service.discovery.v3.AggregatedDiscoveryService'] as unknown as Record<string, grpc.MethodDefinition<unknown, unknown>>;
    const method = def.StreamAggregatedResources as grpc.MethodDefinition<unknown, unknown>;
    const service = { StreamAggregatedResources: { ...method, requestDeserialize: (b: Buffer) => decodeMessage('envoy.service.discovery.v3.DiscoveryRequest', b) } };
    this.server = new grpc.Server();
    this.server.addService(service as unknown as grpc.ServiceDefinition, {
      StreamAggregatedResources: (call: grpc.ServerDuplexStream<Req, unknown>) => {
        this.call = call;
        this.authorization.push(String(call.metadata.get('authorization')[0] ?? ''));
        call.on('data', (r: Req) => this.requests.push(r));
        call.on('error', () => {});
      },
    });
    const creds = grpc.ServerCredentials.createSsl(null, [{ private_key: Buffer.from(this.cert.key), cert_chain: Buffer.from(this.cert.cert) }], false);
    await new Promise<void>((resolve, reject) => this.server?.bindAsync(`127.0.0.1:${this.port}`, creds, (e) => (e ? reject(e) : resolve())));
  }

  send(type: keyof typeof TYPE_URL, resources: Record<string, unknown>[], version: string): string {
    const nonce = `n${++this.nonce}`;
    this.call?.write({ version_info: version, type_url: TYPE_URL[type], nonce, resources: resources.map((r) => encodeAny({ '@type': TYPE_URL[type], ...r } as EnvoyJson)) });
    return nonce;
  }

  async waitFor(pred: (r: Req) => boolean): Promise<Req> {
    return vi.waitFor(
      () => {
        const r = this.requests.find(pred);
        if (!r) throw new Error('no such request yet');
        return r;
      },
      { timeout: 10_000, interval: 20 },
    );
  }

  async stop(): Promise<void> {
    this.call?.destroy();
    this.server?.forceShutdown();
  }
}

describe('xDS client (ADS, state of the world)', () => {
  let ca: TestCa;
  let ads: AdsTestServer;
  let dp: Dataplane;
  let upstream: Upstream;
  let cpPort = 0;
  let listenPort = 0;
  const dir = mkdtempSync(join(tmpdir(), 'causeway-dp-xds-'));

  const cluster = () => ({ name: 'backend', type: 'STATIC', connect_timeout: '1s', load_assignment: { cluster_name: 'backend', endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: upstream.port } } } }] }] } });
  const hcm = (routeName: string) => ({
    name: 'envoy.filters.network.http_connection_manager',
    typed_config: {
      '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
      stat_prefix: 'out',
      rds: { config_source: { ads: {}, resource_api_version: 'V3' }, route_config_name: routeName },
      http_filters: [{ name: 'envoy.filters.http.router', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' } }],
    },
  });
  const goodListener = () => ({ name: 'outbound:backend', address: { socket_address: { address: '127.0.0.1', port_value: listenPort } }, filter_chains: [{ filters: [hcm('outbound:backend')] }] });

  beforeAll(async () => {
    ca = await createCa('zone CA');
    const serverCert = await ca.issue({ cn: 'zone-cp', dns: ['localhost'], ips: ['127.0.0.1'] });
    cpPort = await freePort();
    listenPort = await freePort();
    upstream = await httpUpstream((req, res) => res.end(`backend ${req.url}`));
    ads = new AdsTestServer(serverCert, cpPort);
    await ads.start();
    writeFileSync(join(dir, 'ca.pem'), ca.cert);
    writeFileSync(join(dir, 'token'), 'the-dataplane-token\n');
    writeFileSync(
      join(dir, 'dp.yaml'),
      'type: Dataplane\nmesh: default\nname: web-1\nnetworking:\n  address: 127.0.0.1\n  inbound:\n  - port: 8080\n    servicePort: 18080\n    tags:\n      kuma.io/service: web\n',
    );
    const config = loadConfig(
      ['--mode', 'sidecar', '--xds-protocol', 'sotw', '--cp-address', `grpcs://127.0.0.1:${cpPort}`, '--ca-cert-file', join(dir, 'ca.pem'), '--dataplane-file', join(dir, 'dp.yaml'), '--dataplane-token-file', join(dir, 'token'), '--admin-port', '0', '--access-log', 'off'],
      {},
    );
    dp = await startDataplane(config, quietLog());
  });
  afterAll(async () => {
    await dp.close();
    await ads.stop();
    await upstream.close();
  });

  it('registers with its node (id, resource in metadata) and the token as call metadata', async () => {
    const first = await ads.waitFor((r) => r.node !== undefined);
    expect(first.node?.id).toBe('default.web-1');
    expect(first.node?.cluster).toBe('web');
    const res = JSON.parse(String(first.node?.metadata?.['dataplane.resource'])) as Record<string, unknown>;
    expect(res).toMatchObject({ type: 'Dataplane', mesh: 'default', name: 'web-1' });
    expect(ads.authorization[0]).toBe('Bearer the-dataplane-token');
    // wildcard subscriptions for clusters and listeners
    await ads.waitFor((r) => r.type_url === TYPE_URL.Cluster && (r.resource_names ?? []).length === 0);
    await ads.waitFor((r) => r.type_url === TYPE_URL.Listener);
    const ready = await fetch(`http://127.0.0.1:${dp.admin.port}/ready`);
    expect(ready.status).toBe(503);
  });

  it('applies clusters, listeners and the routes they reference, ACKing each', async () => {
    const n1 = ads.send('Cluster', [cluster()], 'c1');
    await ads.waitFor((r) => r.type_url === TYPE_URL.Cluster && r.response_nonce === n1 && r.version_info === 'c1' && !r.error_detail);
    const n2 = ads.send('Listener', [goodListener()], 'l1');
    await ads.waitFor((r) => r.type_url === TYPE_URL.Listener && r.response_nonce === n2 && r.version_info === 'l1' && !r.error_detail);
    // the listener references an RDS name: the client subscribes to it
    await ads.waitFor((r) => r.type_url === TYPE_URL.RouteConfiguration && (r.resource_names ?? []).includes('outbound:backend'));
    const n3 = ads.send('RouteConfiguration', [{ name: 'outbound:backend', virtual_hosts: [{ name: 'b', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster: 'backend', timeout: '5s' } }] }] }], 'r1');
    await ads.waitFor((r) => r.type_url === TYPE_URL.RouteConfiguration && r.response_nonce === n3 && r.version_info === 'r1');
    const r = await get(listenPort, '/hello');
    expect(r.body).toBe('backend /hello');
    expect((await fetch(`http://127.0.0.1:${dp.admin.port}/ready`)).status).toBe(200);
    const dump = (await (await fetch(`http://127.0.0.1:${dp.admin.port}/config_dump`)).json()) as { configs: Record<string, unknown>[] };
    const listeners = dump.configs.find((c) => String(c['@type']).endsWith('ListenersConfigDump')) as { dynamic_listeners: { name: string; active_state: { version_info: string } }[] };
    expect(listeners.dynamic_listeners).toEqual([expect.objectContaining({ name: 'outbound:backend', active_state: expect.objectContaining({ version_info: 'l1' }) })]);
  });

  it('NACKs a config it cannot apply, with the reason, and keeps serving the last good one', async () => {
    const bad = { ...goodListener(), filter_chains: [{ filters: [{ name: 'envoy.filters.network.mongo_proxy', typed_config: { '@type': 'type.googleapis.com/google.protobuf.Empty' } }] }] };
    const n = ads.send('Listener', [bad], 'l2');
    const nack = await ads.waitFor((r) => r.type_url === TYPE_URL.Listener && r.response_nonce === n);
    expect(nack.version_info).toBe('l1'); // the last accepted version
    expect(nack.error_detail?.message).toMatch(/unsupported network filter envoy.filters.network.mongo_proxy/);
    expect((await get(listenPort, '/still')).body).toBe('backend /still');
    expect(dp.xds?.status.lastNack).toMatchObject({ type: 'Listener', version: 'l2' });
  });

  it('keeps serving while the control plane is away, then reconnects and re-subscribes with its versions', async () => {
    await ads.stop();
    await new Promise((r) => setTimeout(r, 300));
    expect((await get(listenPort, '/offline')).body).toBe('backend /offline');
    ads = new AdsTestServer(await ca.issue({ cn: 'zone-cp', ips: ['127.0.0.1'] }), cpPort);
    await ads.start();
    // the node goes on the first request of the new stream; every type resumes from its last accepted version
    const first = await ads.waitFor(() => true);
    expect(first.node?.id).toBe('default.web-1');
    const again = await ads.waitFor((r) => r.type_url === TYPE_URL.Listener);
    expect(again.version_info).toBe('l1');
    expect((await ads.waitFor((r) => r.type_url === TYPE_URL.Cluster)).version_info).toBe('c1');
    const rds = await ads.waitFor((r) => r.type_url === TYPE_URL.RouteConfiguration);
    expect(rds.resource_names).toEqual(['outbound:backend']);
    expect(rds.version_info).toBe('r1');
    const n = ads.send('Cluster', [cluster()], 'c2');
    await ads.waitFor((r) => r.response_nonce === n && r.version_info === 'c2');
    const metrics = await (await fetch(`http://127.0.0.1:${dp.admin.port}/metrics`)).text();
    expect(metrics).toMatch(/envoy_cluster_upstream_rq_total\{envoy_cluster_name="backend"\} [1-9]/);
    expect(metrics).toMatch(/envoy_control_plane_connected_state\{\} 1/);
    expect(metrics).toMatch(/# TYPE envoy_server_uptime gauge\nenvoy_server_uptime\{\} \d+\n/);
  });
});
