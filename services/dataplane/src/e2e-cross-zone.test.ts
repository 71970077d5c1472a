/**
 * The headline path, with the config the real generators produce for two zones:
 *   app -> sidecar(zone-1) -> ZoneEgress(zone-1) -> ZoneIngress(zone-2) -> ZoneEgress(zone-2) -> external
 * mTLS from the sidecar to egress-2 (SNI "httpbin{mesh=default}"), passed through by SNI at egress-1 and
 * ingress-2 without decryption, terminated and permission-checked at egress-2, which originates TLS to
 * the ExternalService (kuma.io/zone: zone-2). Four proxies on their own loopback addresses.
 */
import { createServer as createHttpsServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { decodeResource, type Resource, type ZoneIngressSpec } from '@causeway/core';
import { decodeAny, encodeAny } from '@causeway/envoy';
import { buildMeshContexts, generateEgress, generateIngress, generateSidecar, type ResourceSet, type ZoneView, zoneViewOf } from '@causeway/xds';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemorySink } from './access-log.js';
import type { ResourceKind } from './proxy.js';
import { createCa, type TestCa } from './testing/certs.js';
import { freePort, get, makeProxy } from './testing/helpers.js';

const ORDER: ResourceKind[] = ['Secret', 'Cluster', 'ClusterLoadAssignment', 'Listener', 'RouteConfiguration'];

describe('cross-zone: sidecar -> egress(zone-1) -> ingress(zone-2) -> egress(zone-2) -> external', () => {
  const logs = { sidecar: new MemorySink(), egress1: new MemorySink(), ingress2: new MemorySink(), egress2: new MemorySink() };
  const proxies = {
    sidecar: makeProxy({ dnsPort: 0, accessLogSinks: () => logs.sidecar }),
    egress1: makeProxy({ dnsPort: 0, accessLogSinks: () => logs.egress1 }),
    ingress2: makeProxy({ dnsPort: 0, accessLogSinks: () => logs.ingress2 }),
    egress2: makeProxy({ dnsPort: 0, accessLogSinks: () => logs.egress2 }),
  };
  let ca: TestCa;
  let ext: Server;
  let extHits = 0;
  let outbound = 0;

  beforeAll(async () => {
    ca = await createCa('mesh CA');
    const extCa = await createCa('external CA');
    const extCert = await extCa.issue({ cn: 'ext', dns: ['ext.test'] });
    ext = createHttpsServer(extCert, (req, res) => {
      extHits++;
      res.end(`external saw ${req.url}`);
    });
    await new Promise<void>((r) => ext.listen(0, '127.0.0.1', () => r()));
    const extPort = (ext.address() as AddressInfo).port;
    const [egress1Port, ingress1Port, egress2Port, ingress2Port, inboundPort] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort()]);
    outbound = await freePort();

    const global = [
      { type: 'Mesh', name: 'default', mtls: { enabledBackend: 'ca-1', backends: [{ name: 'ca-1', type: 'builtin' }] }, routing: { zoneEgress: true }, networking: { outbound: { passthrough: false } } },
      {
        // with mTLS nothing is allowed until a MeshTrafficPermission says so
        type: 'MeshTrafficPermission',
        mesh: 'default',
        name: 'allow-all',
        spec: { targetRef: { kind: 'Mesh' }, from: [{ targetRef: { kind: 'Mesh' }, default: { action: 'Allow' } }] },
      },
      {
        type: 'ExternalService',
        mesh: 'default',
        name: 'httpbin-only-in-zone-2',
        tags: { 'kuma.io/service': 'httpbin', 'kuma.io/protocol': 'http', 'kuma.io/zone': 'zone-2' },
        networking: { address: `127.0.0.1:${extPort}`, tls: { enabled: true, sni: 'ext.test', caCert: { inlineString: extCa.cert } } },
      },
    ].map((d) => decodeResource(d));
    const zones: Record<string, Resource[]> = {
      'zone-1': [
        {
          type: 'Dataplane',
          mesh: 'default',
          name: 'web-1',
          networking: {
            address: '127.0.0.10',
            inbound: [{ port: inboundPort, servicePort: 1, tags: { 'kuma.io/service': 'web', 'kuma.io/protocol': 'http' } }],
            outbound: [{ port: outbound, tags: { 'kuma.io/service': 'httpbin' } }],
          },
        },
        { type: 'ZoneEgress', name: 'egress-1', networking: { address: '127.0.0.21', port: egress1Port } },
        { type: 'ZoneIngress', name: 'ingress-1', networking: { address: '127.0.0.31', port: ingress1Port } },
      ].map((d) => decodeResource(d)),
      'zone-2': [
        { type: 'ZoneEgress', name: 'egress-2', networking: { address: '127.0.0.22', port: egress2Port } },
        {
          type: 'ZoneIngress',
          name: 'ingress-2',
          networking: { address: '127.0.0.32', port: ingress2Port },
          availableServices: [{ mesh: 'default', tags: { 'kuma.io/service': 'httpbin', 'kuma.io/zone': 'zone-2' }, instances: 1, externalService: true }],
        },
      ].map((d) => decodeResource(d)),
    };
    /** What `zone` holds: the global resources, its own, and the other zone's ZoneIngress (as sync relays it). */
    const view = (zone: string): ZoneView => {
      const resources: Resource[] = [...global];
      for (const [z, list] of Object.entries(zones))
        for (const r of list) if (z === zone) resources.push(r);
        else if (r.type === 'ZoneIngress') resources.push({ ...r, spec: { ...(r.spec as ZoneIngressSpec), zone: z } });
      return {
        ...zoneViewOf(resources, { zone, vipCidr: '127.243.0.0/16' }), // a VIP range of its own (test files run in parallel)
        meshCaPem: { default: ca.cert },
      };
    };
    const egressIdentity = async () => {
      const c = await ca.issue({ cn: 'zone-egress', uris: ['spiffe://default/zone-egress'] });
      return new Map([['default', { certPem: c.cert, keyPem: c.key }]]);
    };
    const v1 = view('zone-1');
    const v2 = view('zone-2');
    const c1 = buildMeshContexts(v1);
    const c2 = buildMeshContexts(v2);
    const web = await ca.issue({ cn: 'web-1', uris: ['spiffe://default/web'] });
    const sets: [keyof typeof proxies, ResourceSet][] = [
      ['sidecar', generateSidecar({ ctx: c1.get('default') as NonNullable<ReturnType<typeof c1.get>>, dataplane: v1.dataplanes[0]!, identity: { certPem: web.cert, keyPem: web.key } })],
      ['egress1', generateEgress({ contexts: c1, egress: v1.zoneEgresses[0]!, identities: await egressIdentity() })],
      ['ingress2', generateIngress({ contexts: c2, ingress: v2.zoneIngresses.find((z) => z.name === 'ingress-2') as Resource<'ZoneIngress'> })],
      ['egress2', generateEgress({ contexts: c2, egress: v2.zoneEgresses[0]!, identities: await egressIdentity() })],
    ];
    for (const [name, set] of sets) for (const kind of ORDER) await proxies[name].proxy.update(kind, set[kind].map((r) => decodeAny(encodeAny(r))), '1');
  });
  afterAll(async () => {
    for (const p of Object.values(proxies)) await p.proxy.close();
    ext.close();
  });

  it('carries requests end to end (200 in a row)', async () => {
    for (let i = 0; i < 200; i++) {
      const r = await get(outbound, `/get/${i}`, { host: 'httpbin.org' });
      expect(r.status, r.body).toBe(200);
      expect(r.body).toBe(`external saw /get/${i}`);
    }
    expect(extHits).toBe(200);
  });

  it('each hop did its part: passthrough by SNI at egress-1 and ingress-2, mTLS + RBAC termination at egress-2', async () => {
    // TCP access log lines are written when connections close: shut the sidecar down first
    await proxies.sidecar.proxy.close();
    await new Promise((r) => setTimeout(r, 100));
    const parse = (s: MemorySink) => s.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    // egress-1 and ingress-2 proxy TCP by SNI (no decryption): TCP access log lines with the SNI
    expect(parse(logs.egress1)[0]).toMatchObject({ sni: 'httpbin{mesh=default}', cluster: 'default:httpbin', method: '-' });
    expect(parse(logs.ingress2)[0]).toMatchObject({ sni: 'httpbin{mesh=default}', cluster: 'default:httpbin' });
    // egress-2 terminates and sees HTTP requests
    const e2 = parse(logs.egress2);
    expect(e2.length).toBeGreaterThanOrEqual(200);
    expect(e2[0]).toMatchObject({ sni: 'httpbin{mesh=default}', method: 'GET', status: 200 });
    expect(proxies.egress2.proxy.stats.cluster('default:httpbin').upstream_rq_total).toBe(200);
  });
});
