/**
 * Prometheus HTTP service discovery (`GET /prometheus/sd`): the target groups of a zone's proxies, from
 * the store; a replica with no proxy of its own lists those connected to another; and a zone control
 * plane serves it to a proxy that registered over ADS with its admin port.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Resource } from '@causeway/core';
import { createSigningKey } from '@causeway/pki';
import { openStore, type ResourceStore } from '@causeway/store';
import { adsServiceDefinition, TYPE_URLS, XdsZone } from '@causeway/xds';
import * as grpc from '@grpc/grpc-js';
import Fastify from 'fastify';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from './config.js';
import { PROMETHEUS_SD_PATH, prometheusSdRoutes, prometheusTargets, type TargetGroup } from './prometheus-sd.js';
import { startControlPlane } from './run.js';

const logger = pino({ level: 'silent' });

const r = (type: Resource['type'], name: string, spec: Record<string, unknown>, opts: { mesh?: string; labels?: Record<string, string> } = {}): Resource =>
  ({ type, name, ...(opts.mesh ? { mesh: opts.mesh } : {}), labels: opts.labels ?? {}, spec, version: 1 }) as Resource;

const sidecar = (name: string, service: string, admin: number | undefined, labels: Record<string, string> = {}, address = '10.0.0.1') =>
  r('Dataplane', name, { networking: { address, ...(admin ? { admin: { port: admin } } : {}), inbound: [{ port: 8080, tags: { 'kuma.io/service': service } }] } }, { mesh: 'default', labels });

describe('prometheusTargets', () => {
  const resources = [
    sidecar('web-1', 'web', 9901, { 'causeway.io/admin-address': '127.0.0.1' }),
    sidecar('api-1', 'api', 9902, {}, 'fd00::7'),
    sidecar('no-admin', 'web', undefined),
    r('ZoneEgress', 'egress-1', { zone: 'zone-1', networking: { address: '10.0.0.9', port: 10002, admin: { port: 9903 } } }),
    r('ZoneIngress', 'ingress-1', { zone: 'zone-1', networking: { address: '10.0.0.8', port: 10001, admin: { port: 9904 } } }),
    // another zone's ZoneIngress, relayed by global: not ours to scrape
    r('ZoneIngress', 'ingress-2', { zone: 'zone-2', networking: { address: '10.1.0.8', port: 10001, admin: { port: 9904 } } }, { labels: { 'causeway.io/origin': 'global' } }),
    r('ExternalService', 'httpbin', { networking: { address: 'httpbin.org:80' } }, { mesh: 'default' }),
  ];

  it("lists this zone's sidecars, ZoneIngress and ZoneEgress with their metrics address and labels, sorted", () => {
    expect(prometheusTargets(resources, 'zone-1')).toEqual([
      { targets: ['[fd00::7]:9902'], labels: { __metrics_path__: '/metrics', zone: 'zone-1', proxy_type: 'sidecar', dataplane: 'api-1', mesh: 'default', service: 'api' } },
      { targets: ['127.0.0.1:9901'], labels: { __metrics_path__: '/metrics', zone: 'zone-1', proxy_type: 'sidecar', dataplane: 'web-1', mesh: 'default', service: 'web' } },
      { targets: ['10.0.0.9:9903'], labels: { __metrics_path__: '/metrics', zone: 'zone-1', proxy_type: 'egress', dataplane: 'egress-1', service: 'zone-egress' } },
      { targets: ['10.0.0.8:9904'], labels: { __metrics_path__: '/metrics', zone: 'zone-1', proxy_type: 'ingress', dataplane: 'ingress-1', service: 'zone-ingress' } },
    ]);
  });

  it('keeps one mesh with ?mesh= (its sidecars only); lists nothing for an empty zone', () => {
    expect(prometheusTargets(resources, 'zone-1', { mesh: 'default' }).map((g) => g.labels.dataplane)).toEqual(['api-1', 'web-1']);
    expect(prometheusTargets(resources, 'zone-1', { mesh: 'other' })).toEqual([]);
    expect(prometheusTargets([], 'zone-1')).toEqual([]);
  });
});

describe('GET /prometheus/sd on a replica the proxies are not connected to', () => {
  let store: ResourceStore;
  let zone: XdsZone;
  const replica = Fastify();

  beforeAll(async () => {
    store = await openStore({ pollIntervalMs: 50 });
    await store.create(r('Mesh', 'default', {}));
    // replica 1: the proxies' ADS streams end here
    zone = new XdsZone({ store, zone: 'zone-1', logger, signingKeyPem: createSigningKey(), requireToken: false, debounceMs: 10 });
    await zone.start();
    // replica 2: the same store, no XdsZone and no stream at all
    await replica.register(prometheusSdRoutes, { store, zone: 'zone-1' });
  });
  afterAll(async () => {
    await replica.close();
    await zone?.close();
    await store?.close();
  });

  it('lists the proxies registered with the other replica, as JSON Prometheus reads', async () => {
    const connect = (type: string, name: string, port: number, address: string) => {
      const resource =
        type === 'Dataplane'
          ? { type, mesh: 'default', name, networking: { address: '127.0.0.5', inbound: [{ port: 8080, tags: { 'kuma.io/service': 'web' } }] } }
          : { type, name, networking: { address: '127.0.0.6', port: 10001 } };
      return zone.connect({
        node: { id: type === 'Dataplane' ? `default.${name}` : name, metadata: { 'dataplane.resource': JSON.stringify(resource), 'dataplane.admin.port': String(port), 'dataplane.admin.address': address } },
        token: undefined,
        streamId: `stream-${name}`,
        peer: 'test',
      });
    };
    await connect('Dataplane', 'web-1', 19001, '127.0.0.1');
    await connect('ZoneIngress', 'ingress-1', 19002, '0.0.0.0');
    await connect('ZoneEgress', 'egress-1', 19003, '127.0.0.1');
    const res = await replica.inject({ method: 'GET', url: PROMETHEUS_SD_PATH });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    const groups = res.json() as TargetGroup[];
    expect(groups.map((g) => [g.labels.proxy_type, g.labels.dataplane, g.targets[0]])).toEqual([
      ['sidecar', 'web-1', '127.0.0.1:19001'],
      ['egress', 'egress-1', '127.0.0.1:19003'],
      ['ingress', 'ingress-1', '127.0.0.6:19002'],
    ]);
    const mesh = (await replica.inject({ method: 'GET', url: `${PROMETHEUS_SD_PATH}?mesh=default` })).json() as TargetGroup[];
    expect(mesh.map((g) => g.labels.dataplane)).toEqual(['web-1']);
  });
});

describe('a zone control plane', () => {
  const dir = mkdtempSync(join(tmpdir(), 'causeway-cp-sd-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('serves /prometheus/sd without a token (a token is accepted) and lists a proxy that registered over ADS', async () => {
    const seed = await openStore({ dataDir: join(dir, 'db') });
    await seed.create({ type: 'Mesh', name: 'default', labels: {}, spec: {}, version: 0 });
    await seed.close();
    const cp = await startControlPlane(
      configSchema.parse({ mode: 'zone', zone: 'zone-1', apiPort: 0, apiAddress: '127.0.0.1', dataDir: dir, xdsPort: 0, xdsAddress: '127.0.0.1', logLevel: 'silent', allowUntaggedDataplaneTokens: true }),
      logger,
    );
    const Client = grpc.makeGenericClientConstructor(adsServiceDefinition, 'AggregatedDiscoveryService');
    const client = new Client(`localhost:${cp.xds?.port}`, grpc.credentials.createSsl(readFileSync(join(dir, 'xds-ca.pem')))) as unknown as {
      StreamAggregatedResources(md: grpc.Metadata): grpc.ClientDuplexStream<Record<string, unknown>, { type_url: string }>;
      close(): void;
    };
    try {
      expect(await (await fetch(`${cp.apiUrl}${PROMETHEUS_SD_PATH}`)).json()).toEqual([]);
      const admin = readFileSync(cp.adminTokenFile, 'utf8').trim();
      const token = await (
        await fetch(`${cp.apiUrl}/tokens/dataplane`, { method: 'POST', headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' }, body: JSON.stringify({ mesh: 'default', name: 'web-1', tags: { 'kuma.io/service': ['web'] } }) })
      ).text();
      const md = new grpc.Metadata();
      md.set('authorization', `Bearer ${token}`);
      const stream = client.StreamAggregatedResources(md);
      stream.on('error', () => undefined);
      const first = new Promise((resolve) => stream.once('data', resolve));
      const resource = JSON.stringify({ type: 'Dataplane', mesh: 'default', name: 'web-1', networking: { address: '127.0.0.10', inbound: [{ port: 8080, tags: { 'kuma.io/service': 'web' } }] } });
      stream.write({ node: { id: 'default.web-1', metadata: { 'dataplane.resource': resource, 'dataplane.admin.port': '19901', 'dataplane.admin.address': '0.0.0.0' } }, type_url: TYPE_URLS.Listener });
      await first;
      const res = await fetch(`${cp.apiUrl}${PROMETHEUS_SD_PATH}`, { headers: { authorization: 'Bearer anything' } });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual([
        { targets: ['127.0.0.10:19901'], labels: { __metrics_path__: '/metrics', zone: 'zone-1', proxy_type: 'sidecar', dataplane: 'web-1', mesh: 'default', service: 'web' } },
      ]);
      stream.cancel();
    } finally {
      client.close();
      await cp.close();
    }
  });
});
