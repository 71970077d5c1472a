/**
 * causeway-dp against the real zone xDS stack of @causeway/xds (store + XdsZone + AdsServer, in
 * process): registration with a real dataplane token and the Dataplane in the node metadata, a mesh
 * with builtin mTLS (identity certificates and the mesh CA arrive over SDS), an ExternalService reached
 * through the outbound listener and through the builtin DNS + VIP, and every response ACKed (the zone
 * records no NACK) — in both xDS protocols, incremental (the default) and state of the world; and a
 * change applied while connected (a cluster added, then removed). The Dataplane the zone stores says where
 * the proxy's admin port listens (node metadata `dataplane.admin.port` / `.address`).
 */
import { Resolver } from 'node:dns/promises';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Resource } from '@causeway/core';
import { createSigningKey, generateDataplaneToken, meshCaSecrets } from '@causeway/pki';
import { openStore, type ResourceStore } from '@causeway/store';
import { AdsServer, adsCredentials, metricsTarget, XdsZone } from '@causeway/xds';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadConfig } from './config.js';
import { type Dataplane, startDataplane } from './run.js';
import { freePort, get, httpUpstream, quietLog, type Upstream } from './testing/helpers.js';

const res = (type: Resource['type'], name: string, spec: unknown, mesh?: string): Resource => ({ type, name, ...(mesh ? { mesh } : {}), labels: {}, spec, version: 0 });

describe.each(['delta', 'sotw'] as const)('causeway-dp with the zone ADS server (%s)', (protocol) => {
  let store: ResourceStore;
  let zone: XdsZone;
  let server: AdsServer;
  let dp: Dataplane;
  let ext: Upstream;
  let outbound = 0;
  const key = createSigningKey();

  beforeAll(async () => {
    ext = await httpUpstream((req, res2) => res2.end(`external ${req.url} host=${req.headers.host}`));
    store = await openStore({ pollIntervalMs: 50 });
    await store.create(res('Mesh', 'default', { mtls: { enabledBackend: 'ca-1', backends: [{ name: 'ca-1', type: 'builtin' }] }, networking: { outbound: { passthrough: false } } }));
    // the mesh CA, as global creates it
    for (const secret of await meshCaSecrets((await store.get('Mesh', undefined, 'default')) as Resource<never>)) await store.create(secret);
    // with mTLS nothing is allowed until a MeshTrafficPermission says so
    await store.create(res('MeshTrafficPermission', 'allow-all', { targetRef: { kind: 'Mesh' }, from: [{ targetRef: { kind: 'Mesh' }, default: { action: 'Allow' } }] }, 'default'));
    await store.create(res('ExternalService', 'httpbin', { tags: { 'kuma.io/service': 'httpbin', 'kuma.io/protocol': 'http' }, networking: { address: `127.0.0.1:${ext.port}` } }, 'default'));
    zone = new XdsZone({ store, zone: 'zone-1', logger: quietLog(), signingKeyPem: key, debounceMs: 20, proxyGraceMs: 300, vipCidr: '127.244.0.0/16' });
    await zone.start();
    server = new AdsServer({ cache: zone.cache, registry: zone, logger: quietLog() });
    const cpPort = await server.listen('127.0.0.1', 0, adsCredentials(undefined));
    outbound = await freePort();
    const inbound = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'causeway-dp-zone-'));
    writeFileSync(join(dir, 'token'), generateDataplaneToken({ signingKeyPem: key, mesh: 'default', name: 'web-1', tags: { 'kuma.io/service': ['web'] } }));
    writeFileSync(
      join(dir, 'dp.yaml'),
      [
        'type: Dataplane',
        'mesh: default',
        'name: web-1',
        'networking:',
        '  address: 127.0.0.1',
        '  inbound:',
        `  - port: ${inbound}`,
        '    servicePort: 1',
        '    tags:',
        '      kuma.io/service: web',
        '      kuma.io/protocol: http',
        '  outbound:',
        `  - port: ${outbound}`,
        '    tags:',
        '      kuma.io/service: httpbin',
        '',
      ].join('\n'),
    );
    const config = loadConfig(
      ['--xds-protocol', protocol, '--cp-address', `grpc://127.0.0.1:${cpPort}`, '--dataplane-file', join(dir, 'dp.yaml'), '--dataplane-token-file', join(dir, 'token'), '--admin-port', '0', '--dns-port', '0', '--access-log', 'off'],
      {},
    );
    dp = await startDataplane(config, quietLog());
  });
  afterAll(async () => {
    await dp?.close();
    await server?.close(200);
    await zone?.close();
    await store?.close();
    await ext?.close();
  });

  it('registers, applies everything the zone sends (no NACK) and becomes ready', async () => {
    await vi.waitFor(async () => expect((await fetch(`http://127.0.0.1:${dp.admin.port}/ready`)).status).toBe(200), { timeout: 15_000, interval: 100 });
    const stored = await store.get('Dataplane', 'default', 'web-1');
    expect(stored?.name).toBe('web-1');
    // it told the zone where its admin port (/metrics) listens: the port it bound (--admin-port 0), for Prometheus discovery
    expect(stored && metricsTarget(stored)).toEqual({ host: '127.0.0.1', port: dp.admin.port });
    // every type applied, none rejected; no RouteConfiguration asked for (a sidecar's routes are inline in its listeners)
    await vi.waitFor(
      () => {
        expect(dp.xds?.status.lastNack, 'a NACK (its message says why)').toBeUndefined();
        expect(Object.keys(dp.xds?.status.versions ?? {}).sort()).toEqual(['Cluster', 'ClusterLoadAssignment', 'Listener', 'Secret']);
        expect(dp.proxy.rdsNames()).toEqual([]);
      },
      { timeout: 15_000, interval: 100 },
    );
    expect(dp.xds?.status.nacks).toBe(0);
    expect(dp.xds?.status.lastNack).toBeUndefined();
    // the identity certificate and the mesh CA came over SDS
    expect(dp.proxy.secretNames()).toEqual(expect.arrayContaining(['identity_cert:secret:default', 'mesh_ca:secret:default']));
  });

  it('reaches the ExternalService through the outbound listener', async () => {
    await vi.waitFor(async () => expect((await get(outbound, '/status/200', { host: 'httpbin' })).status).toBe(200), { timeout: 10_000, interval: 100 });
    const r = await get(outbound, '/anything', { host: 'httpbin' });
    expect(r.body).toBe('external /anything host=httpbin');
  });

  it('resolves httpbin.mesh with the builtin DNS and serves the VIP listener on port 80', async () => {
    const resolver = new Resolver({ timeout: 2000, tries: 1 });
    resolver.setServers([`127.0.0.1:${dp.proxy.dnsServer.port}`]);
    const [vip] = await resolver.resolve4('httpbin.mesh');
    expect(vip).toMatch(/^127\.244\./);
    const r = await get(80, '/via-vip', { address: vip, host: 'httpbin.mesh' });
    expect(r.body).toBe('external /via-vip host=httpbin.mesh');
    // passthrough is off: other names are refused
    await expect(resolver.resolve4('example.com')).rejects.toMatchObject({ code: 'EREFUSED' });
  });

  it('applies a change while connected: an ExternalService added, then deleted, without a NACK', async () => {
    expect(dp.xds?.status.protocol).toBe(protocol);
    await store.create(res('ExternalService', 'later', { tags: { 'kuma.io/service': 'later', 'kuma.io/protocol': 'http' }, networking: { address: '127.0.0.1:9' } }, 'default'));
    await vi.waitFor(() => expect(dp.proxy.clusterNames()).toContain('later'), { timeout: 10_000, interval: 50 });
    await store.delete('ExternalService', 'default', 'later');
    await vi.waitFor(() => expect(dp.proxy.clusterNames()).not.toContain('later'), { timeout: 10_000, interval: 50 });
    expect(dp.proxy.clusterNames()).toContain('httpbin');
    expect(dp.xds?.status.nacks).toBe(0);
  });
});
