/**
 * sidecar -> ZoneEgress -> ExternalService on loopback, with the config the real generators of
 * @causeway/xds produce (mesh mTLS between the proxies, SNI "httpbin{mesh=default}", RBAC at the
 * egress, TLS origination to the external HTTPS server), every resource sent through the Envoy protos
 * first. 1,000 requests, with config updates in the middle (a second ExternalService instance, then a
 * rotation of both proxies' certificates): no request fails.
 */
import { createServer as createHttpsServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { Agent, request } from 'node:http';
import { decodeResource, } from '@causeway/core';
import { decodeAny, encodeAny } from '@causeway/envoy';
import { buildMeshContexts, generateEgress, generateSidecar, type ResourceSet, type ZoneView, zoneViewOf } from '@causeway/xds';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemorySink } from './access-log.js';
import type { ResourceKind } from './proxy.js';
import { createCa, type Pem, type TestCa } from './testing/certs.js';
import { freePort, makeProxy } from './testing/helpers.js';

const ORDER: ResourceKind[] = ['Secret', 'Cluster', 'ClusterLoadAssignment', 'Listener', 'RouteConfiguration'];

describe('sidecar -> egress -> external, generated config, mTLS between the proxies', () => {
  const sidecarLog = new MemorySink();
  const egressLog = new MemorySink();
  const sidecar = makeProxy({ dnsPort: 0, accessLogSinks: () => sidecarLog });
  const egress = makeProxy({ dnsPort: 0, accessLogSinks: () => egressLog });
  let meshCa: TestCa;
  let extCa: TestCa;
  const externals: { server: Server; port: number; hits: number }[] = [];
  let outboundPort = 0;
  let egressPort = 0;
  let inboundPort = 0;
  let version = 0;
  let esCount = 1;
  let allow = true;
  let sidecarId: Pem;
  let egressId: Pem;

  const view = (): ZoneView => {
    const global = [
      {
        type: 'Mesh',
        name: 'default',
        mtls: { enabledBackend: 'ca-1', backends: [{ name: 'ca-1', type: 'builtin' }] },
        routing: { zoneEgress: true },
        networking: { outbound: { passthrough: false } },
      },
      {
        // with mTLS nothing is allowed until a MeshTrafficPermission says so
        type: 'MeshTrafficPermission',
        mesh: 'default',
        name: 'allow-all',
        spec: { targetRef: { kind: 'Mesh' }, from: [{ targetRef: { kind: 'Mesh' }, default: { action: 'Allow' } }] },
      },
      ...externals.slice(0, esCount).map((e, i) => ({
        type: 'ExternalService',
        mesh: 'default',
        name: i === 0 ? 'httpbin' : `httpbin-${i + 1}`,
        tags: { 'kuma.io/service': 'httpbin', 'kuma.io/protocol': 'http' },
        networking: { address: `127.0.0.1:${e.port}`, tls: { enabled: true, sni: 'ext.test', caCert: { inlineString: extCa.cert } } },
      })),
    ].map((d) => decodeResource(d));
    const own = [
      {
        type: 'Dataplane',
        mesh: 'default',
        name: 'web-1',
        networking: {
          address: '127.0.0.1',
          inbound: [{ port: inboundPort, servicePort: 1, tags: { 'kuma.io/service': 'web', 'kuma.io/protocol': 'http' } }],
          outbound: [{ port: outboundPort, tags: { 'kuma.io/service': 'httpbin' } }],
        },
      },
      { type: 'ZoneEgress', name: 'egress-1', networking: { address: '127.0.0.1', port: egressPort } },
    ].map((d) => decodeResource(d));
    const visible = allow ? global : global.filter((r) => r.type !== 'MeshTrafficPermission');
    return {
      // a VIP range of its own: test files run in parallel and VIP listeners bind port 80
      ...zoneViewOf([...visible, ...own], { zone: 'zone-1', vipCidr: '127.242.0.0/16' }),
      meshCaPem: { default: meshCa.cert },
    };
  };

  /** Generates both proxies' resources and applies them, each through the protos (encode + decode). */
  const push = async () => {
    const v = view();
    const contexts = buildMeshContexts(v);
    const ctx = contexts.get('default');
    if (!ctx) throw new Error('no mesh context');
    const sets: [ReturnType<typeof makeProxy>, ResourceSet][] = [
      [sidecar, generateSidecar({ ctx, dataplane: v.dataplanes[0]!, identity: { certPem: sidecarId.cert, keyPem: sidecarId.key } })],
      [egress, generateEgress({ contexts, egress: v.zoneEgresses[0]!, identities: new Map([['default', { certPem: egressId.cert, keyPem: egressId.key }]]) })],
    ];
    version++;
    for (const [p, set] of sets) {
      for (const kind of ORDER) await p.proxy.update(kind, set[kind].map((r) => decodeAny(encodeAny(r))), String(version));
    }
  };

  beforeAll(async () => {
    meshCa = await createCa('mesh default CA');
    extCa = await createCa('external CA');
    sidecarId = await meshCa.issue({ cn: 'web-1', uris: ['spiffe://default/web'] });
    egressId = await meshCa.issue({ cn: 'egress-1', uris: ['spiffe://default/zone-egress'] });
    for (let i = 0; i < 2; i++) {
      const cert = await extCa.issue({ cn: 'ext', dns: ['ext.test'] });
      const ext = { server: undefined as unknown as Server, port: 0, hits: 0 };
      ext.server = createHttpsServer(cert, (req, res) => {
        ext.hits++;
        res.end(`external ${i} ${req.url}`);
      });
      ext.server.keepAliveTimeout = 60_000;
      await new Promise<void>((r) => ext.server.listen(0, '127.0.0.1', () => r()));
      ext.port = (ext.server.address() as AddressInfo).port;
      externals.push(ext);
    }
    outboundPort = await freePort();
    egressPort = await freePort();
    inboundPort = await freePort();
    await push();
  });
  afterAll(async () => {
    await sidecar.proxy.close();
    await egress.proxy.close();
    for (const e of externals) e.server.close();
  });

  it('serves 1,000 requests with config updates in the middle, none failing', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 16 });
    const one = (i: number) =>
      new Promise<{ status: number; body: string }>((resolve) => {
        const req = request({ host: '127.0.0.1', port: outboundPort, path: `/r/${i}`, agent, headers: { host: 'httpbin.org' } }, (res) => {
          let body = '';
          res.on('data', (c: Buffer) => {
            body += c.toString();
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        });
        req.on('error', (e) => resolve({ status: 0, body: e.message }));
        req.end();
      });
    const results: { status: number; body: string }[] = [];
    let next = 0;
    const worker = async () => {
      while (next < 1000) {
        const i = next++;
        if (i === 333) {
          // a second instance of the ExternalService appears: new clusters on the egress
          esCount = 2;
          await push();
        }
        if (i === 666) {
          // certificate rotation on both proxies: new SDS secrets, listeners and clusters rebuilt
          sidecarId = await meshCa.issue({ cn: 'web-1', uris: ['spiffe://default/web'] });
          egressId = await meshCa.issue({ cn: 'egress-1', uris: ['spiffe://default/zone-egress'] });
          await push();
        }
        results[i] = await one(i);
      }
    };
    await Promise.all(Array.from({ length: 16 }, worker));
    agent.destroy();
    const failed = results.filter((r) => r.status !== 200);
    expect(failed).toEqual([]);
    expect(results).toHaveLength(1000);
    expect(results[999]?.body).toMatch(/^external [01] \/r\/999$/);
    // both external instances served traffic after the update
    expect(externals[0]?.hits).toBeGreaterThan(0);
    expect(externals[1]?.hits).toBeGreaterThan(0);
    expect((externals[0]?.hits ?? 0) + (externals[1]?.hits ?? 0)).toBe(1000);
  });

  it('logs what the generators asked for: the egress saw the SNI and the caller identity', async () => {
    await new Promise((r) => setTimeout(r, 50));
    const lines = egressLog.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.length).toBeGreaterThanOrEqual(1000);
    expect(lines[0]).toMatchObject({ sni: 'httpbin{mesh=default}', cluster: 'default:httpbin', status: 200, method: 'GET', caller: expect.stringMatching(/^spiffe:\/\/default\//) });
    const sidecarLines = sidecarLog.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(sidecarLines[0]).toMatchObject({ cluster: 'httpbin', status: 200 });
  });

  it('enforces MeshTrafficPermission at the egress: without it the call is denied (403 from the HTTP RBAC filter)', async () => {
    allow = false;
    await push();
    const { get } = await import('./testing/helpers.js');
    const deniedAtEgress = () => [...egress.proxy.stats.http.values()].reduce((n, h) => n + h.rbac_denied, 0);
    const denied0 = deniedAtEgress();
    // as with Envoy, a pooled sidecar -> egress connection of the old filter chain may carry one more
    // request (answered with connection: close); every new connection gets the new chain
    const statuses: number[] = [];
    for (let i = 0; i < 24; i++) statuses.push((await get(outboundPort, `/denied/${i}`, { host: 'httpbin.org' })).status);
    const firstDenied = statuses.indexOf(403);
    expect(firstDenied).toBeGreaterThanOrEqual(0);
    expect(firstDenied).toBeLessThanOrEqual(16);
    expect(statuses.slice(firstDenied).every((s) => s === 403)).toBe(true);
    const r = await get(outboundPort, '/denied', { host: 'httpbin.org' });
    expect([r.status, r.body]).toEqual([403, 'RBAC: access denied']);
    // every 403 was the egress's HTTP RBAC filter, and each one moved its denied counter
    expect(deniedAtEgress() - denied0).toBe(statuses.filter((s) => s === 403).length + 1);
    expect(egress.proxy.stats.prometheus()).toMatch(/envoy_http_rbac_denied\{envoy_http_conn_manager_prefix="[^"]+"\} [1-9]\d*/);
    allow = true;
    await push();
    const again: number[] = [];
    for (let i = 0; i < 24; i++) again.push((await get(outboundPort, `/allowed-again/${i}`, { host: 'httpbin.org' })).status);
    const firstAllowed = again.indexOf(200);
    expect(firstAllowed).toBeGreaterThanOrEqual(0);
    expect(firstAllowed).toBeLessThanOrEqual(16);
    expect(again.slice(firstAllowed).every((s) => s === 200)).toBe(true);
  });

  it('exposes Envoy-like metrics for the clusters and listeners involved', () => {
    const text = egress.proxy.stats.prometheus();
    expect(text).toMatch(/envoy_cluster_upstream_rq_total\{envoy_cluster_name="default:httpbin"\} \d+/);
    expect(text).toMatch(/envoy_cluster_upstream_rq_xx\{envoy_response_code_class="2",envoy_cluster_name="default:httpbin"\} \d+/);
    expect(text).toMatch(new RegExp(`envoy_listener_downstream_cx_total\\{envoy_listener_address="127_0_0_1_${egressPort}"\\} \\d+`));
    expect(sidecar.proxy.stats.prometheus()).toMatch(/envoy_cluster_upstream_rq_time_bucket\{envoy_cluster_name="httpbin",le="5"\} \d+/);
  });
});
