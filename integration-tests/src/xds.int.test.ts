/**
 * Issue 5 (xDS) across real processes: global creates the mesh CA, sync carries it and the
 * ExternalService to the zones, and each zone's ADS server (TLS with the zone's CA file) registers proxies
 * with tokens from its API and serves them the cross-zone path of an ExternalService owned by zone-2:
 * sidecar(zone-1) -> ZoneEgress(zone-1) -> ZoneIngress(zone-2) -> ZoneEgress(zone-2) -> httpbin.org:80.
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CausewayClient } from '@causeway/client';
import type { Resource } from '@causeway/core';
import { generateNatsConfig } from '@causeway/sync';
import { type NatsServer, startNatsServer } from '@causeway/sync/testing';
import { adsServiceDefinition, TYPE_URLS } from '@causeway/xds';
import * as grpc from '@grpc/grpc-js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type ControlPlaneProcess, eventually, TestEnv } from './harness.js';

const Client = grpc.makeGenericClientConstructor(adsServiceDefinition, 'AggregatedDiscoveryService');

interface Response {
  version_info: string;
  type_url: string;
  nonce: string;
  resources?: ({ name?: string; cluster_name?: string } & Record<string, unknown>)[];
}

/** A proxy's ADS stream (TLS, trusting the zone's xDS CA): subscribes to every type and collects responses. */
class TestAdsProxy {
  readonly latest = new Map<string, Response>();
  private readonly stream: grpc.ClientDuplexStream<Record<string, unknown>, Response>;
  private readonly client: { close(): void };
  status: Promise<grpc.StatusObject>;

  constructor(address: string, caPem: string, token: string, node: Record<string, unknown>) {
    const c = new Client(address, grpc.credentials.createSsl(Buffer.from(caPem))) as unknown as {
      StreamAggregatedResources(md: grpc.Metadata): grpc.ClientDuplexStream<Record<string, unknown>, Response>;
      close(): void;
    };
    this.client = c;
    const md = new grpc.Metadata();
    md.set('authorization', `Bearer ${token}`);
    this.stream = c.StreamAggregatedResources(md);
    this.status = new Promise((resolve) => this.stream.on('status', resolve));
    this.stream.on('error', () => undefined);
    this.stream.on('data', (r: Response) => {
      this.latest.set(r.type_url, r);
      this.stream.write({ type_url: r.type_url, version_info: r.version_info, response_nonce: r.nonce }); // ACK
    });
    let first = true;
    for (const type_url of Object.values(TYPE_URLS)) {
      this.stream.write({ ...(first ? { node } : {}), type_url });
      first = false;
    }
  }

  resources(type: keyof typeof TYPE_URLS): NonNullable<Response['resources']> {
    return this.latest.get(TYPE_URLS[type])?.resources ?? [];
  }

  close(): void {
    this.stream.end();
    this.client.close();
  }
}

async function token(zone: ControlPlaneProcess, path: string, body: unknown): Promise<string> {
  const admin = readFileSync(zone.tokenFile, 'utf8').trim();
  const res = await fetch(`${zone.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}` }, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return res.text();
}

describe('xDS across zones (real processes)', () => {
  const env = new TestEnv();
  let nats: NatsServer;
  let global: ControlPlaneProcess;
  const zones: Record<string, ControlPlaneProcess> = {};
  const dataDirs: Record<string, string> = {};
  const proxies: TestAdsProxy[] = [];
  let api: CausewayClient;

  beforeAll(async () => {
    const gen = generateNatsConfig({ zones: ['zone-1', 'zone-2'] });
    nats = await startNatsServer({ config: gen.config });
    env.onTeardown(() => nats.dispose());
    global = env.controlPlane('global', ['--mode', 'global', '--data-dir', env.tempDir('causeway-it-xds-global-')], { nats: { url: nats.url, ...gen.global } });
    await global.start();
    api = global.client();
    for (const z of ['zone-1', 'zone-2']) {
      const cred = gen.zones[z];
      if (!cred) throw new Error(z);
      dataDirs[z] = env.tempDir(`causeway-it-xds-${z}-`);
      zones[z] = env.controlPlane(`xds-${z}`, ['--mode', 'zone', '--zone', z, '--data-dir', dataDirs[z] as string], { nats: { url: nats.url, ...cred } });
    }
    await Promise.all(Object.values(zones).map((z) => z.start()));
  });

  afterEach((ctx) => {
    if (ctx.task.result?.state === 'fail') console.error(`${ctx.task.name} failed; process logs:\n${env.dumpLogs()}`);
  });

  afterAll(async () => {
    for (const p of proxies) p.close();
    await env.teardown();
  });

  const connect = async (zone: string, tokenPath: string, tokenBody: unknown, node: Record<string, unknown>) => {
    const z = zones[zone] as ControlPlaneProcess;
    const p = new TestAdsProxy(z.xdsAddress, readFileSync(join(dataDirs[zone] as string, 'xds-ca.pem'), 'utf8'), await token(z, tokenPath, tokenBody), node);
    proxies.push(p);
    return p;
  };

  it('serves the cross-zone ExternalService path, with workload certificates from the mesh CA global created', async () => {
    const mesh: Resource = {
      type: 'Mesh',
      name: 'default',
      labels: {},
      version: 0,
      spec: { mtls: { enabledBackend: 'ca-1', backends: [{ name: 'ca-1', type: 'builtin' }] }, routing: { zoneEgress: true } },
    };
    await api.put(mesh);
    await api.put({
      type: 'ExternalService',
      mesh: 'default',
      name: 'httpbin-only-in-zone-2',
      labels: {},
      version: 0,
      spec: { tags: { 'kuma.io/service': 'httpbin', 'kuma.io/protocol': 'http', 'kuma.io/zone': 'zone-2' }, networking: { address: 'httpbin.org:80' } },
    });
    // The mesh CA (created at global) reaches zone-1.
    const caSecret = await eventually(() => (zones['zone-1'] as ControlPlaneProcess).client().get('Secret', 'default', 'default.ca-builtin-cert-ca-1'), 'mesh CA in zone-1', 30_000);
    const meshCa = new X509Certificate(Buffer.from((caSecret.spec as { data: string }).data, 'base64'));

    // zone-2: its ZoneIngress and ZoneEgress register with a zone token.
    const ingressDoc = { type: 'ZoneIngress', name: 'ingress-2', networking: { address: '127.0.0.1', port: 20001 } };
    await connect('zone-2', '/tokens/zone', { scope: ['ingress'] }, { id: 'ingress-2', metadata: { 'dataplane.resource': JSON.stringify(ingressDoc) } });
    const egress2 = await connect('zone-2', '/tokens/zone', { scope: ['egress'] }, {
      id: 'egress-2',
      metadata: { 'dataplane.resource': JSON.stringify({ type: 'ZoneEgress', name: 'egress-2', networking: { address: '127.0.0.1', port: 20002 } }) },
    });
    // zone-1: a sidecar and the local ZoneEgress.
    const web = await connect('zone-1', '/tokens/dataplane', { mesh: 'default', name: 'web-1', tags: { 'kuma.io/service': ['web'] } }, {
      id: 'default.web-1',
      metadata: {
        'dataplane.resource': JSON.stringify({ type: 'Dataplane', mesh: 'default', name: 'web-1', networking: { address: '127.0.0.1', inbound: [{ port: 18080, tags: { 'kuma.io/service': 'web' } }] } }),
      },
    });
    const egress1 = await connect('zone-1', '/tokens/zone', { scope: ['egress'] }, {
      id: 'egress-1',
      metadata: { 'dataplane.resource': JSON.stringify({ type: 'ZoneEgress', name: 'egress-1', networking: { address: '127.0.0.1', port: 10002 } }) },
    });

    // The sidecar: its workload certificate is signed by the mesh CA, with its SPIFFE ID and its zone (the zone
    // tags every inbound with kuma.io/zone); httpbin goes to the local egress.
    await eventually(() => {
      const id = web.resources('Secret').find((s) => s.name === 'identity_cert:secret:default') as { tls_certificate: { certificate_chain: { inline_bytes: string } } } | undefined;
      expect(id).toBeDefined();
      const cert = new X509Certificate(Buffer.from(id?.tls_certificate.certificate_chain.inline_bytes ?? '', 'base64'));
      expect(cert.subjectAltName).toBe('URI:kuma://kuma.io/zone/zone-1, URI:spiffe://default/web');
      expect(cert.verify(meshCa.publicKey)).toBe(true);
      // Its cluster holds the egress's address (STATIC: no endpoints over EDS for an ExternalService).
      const cluster = web.resources('Cluster').find((c) => c.name === 'httpbin') as { type?: string; load_assignment?: unknown } | undefined;
      expect(cluster?.type).toBe('STATIC');
      expect(JSON.stringify(cluster?.load_assignment)).toContain('"port_value":10002');
    }, 'sidecar config in zone-1', 30_000);

    // zone-2 publishes its ingress with httpbin available; global relays it; zone-1's egress passes
    // httpbin{mesh=default} through to it.
    await eventually(async () => {
      const zi = await api.get('ZoneIngress', undefined, 'ingress-2.zone-2');
      expect(JSON.stringify(zi.spec)).toContain('"kuma.io/service":"httpbin"');
    }, 'ingress-2 available services at global', 30_000);
    await eventually(() => {
      const chain = JSON.stringify(egress1.resources('Listener'));
      expect(chain).toContain('httpbin{mesh=default}');
      const cla = egress1.resources('ClusterLoadAssignment').find((c) => c.cluster_name === 'default:httpbin');
      expect(JSON.stringify(cla)).toContain('"port_value":20001');
    }, 'zone-1 egress passes httpbin through to zone-2', 30_000);

    // zone-2's egress terminates mTLS and originates to httpbin.org:80.
    await eventually(() => {
      const cluster = egress2.resources('Cluster').find((c) => c.name === 'default:httpbin');
      expect(cluster).toMatchObject({ type: 'STRICT_DNS' });
      expect(JSON.stringify(cluster)).toContain('httpbin.org');
    }, 'zone-2 egress originates to httpbin.org', 30_000);

    // The zone API dumps what the sidecar is being served.
    const dump = await (zones['zone-1'] as ControlPlaneProcess).client().getJson<{ connected: boolean }>('/meshes/default/dataplanes/web-1/xds');
    expect(dump.connected).toBe(true);
  }, 120_000);
});
