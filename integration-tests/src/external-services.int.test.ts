/**
 * Issue 7: ExternalServices end to end with real processes and real bytes through every hop. One
 * topology for every scenario — NATS with the generated authorization, Postgres, a global and two zone
 * control planes with sync, a ZoneIngress and a ZoneEgress per zone (causeway-dp with zone tokens) —
 * and sidecars with a test app each, in three meshes:
 *   - "direct":   no mTLS, passthrough on: the sidecar itself originates to ExternalServices (scenarios 1, 2);
 *   - "egress":   builtin mTLS, routing.zoneEgress, passthrough off, an allow-all MeshTrafficPermission
 *                 (scenarios 3, 4, 6, 8);
 *   - "locality": localityAwareLoadBalancing, a sidecar in each zone (scenarios 5, 7, 8).
 * Each scenario declares its own ExternalServices in front of its own fake external servers (loopback),
 * so scenarios do not depend on each other's state. The path is proven by each proxy's /metrics,
 * /clusters and access log, and by the external server, which records the process (by pid, from /proc)
 * that opened each connection.
 */
import { request as httpsRequest } from 'node:https';
import type { CausewayClient } from '@causeway/client';
import { decodeResource } from '@causeway/core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTestPki, type EchoBody, type FakeExternal, startHttpExternal, startTcpExternal, type TestPki } from './externals.js';
import {
  type AppReply,
  appConnect,
  appGet,
  eventually,
  harnessProcesses,
  type Metrics,
  type MultiZoneTopology,
  type ProxyProcess,
  type Sidecar,
  startMultiZone,
  startSidecar,
  TestEnv,
  zoneOverview,
} from './harness.js';

const ZONES = ['zone-1', 'zone-2'] as const;
const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

type Doc = Record<string, unknown>;

function externalService(mesh: string, name: string, service: string, address: string, extra: { protocol?: string; zone?: string; tls?: Doc } = {}): Doc {
  return {
    type: 'ExternalService',
    mesh,
    name,
    tags: { 'kuma.io/service': service, 'kuma.io/protocol': extra.protocol ?? 'http', ...(extra.zone ? { 'kuma.io/zone': extra.zone } : {}) },
    networking: { address, ...(extra.tls ? { tls: extra.tls } : {}) },
  };
}

function echo(reply: AppReply): EchoBody {
  if (reply.status !== 200) throw new Error(`expected 200, got ${reply.status} ${reply.error ?? reply.body}`);
  return JSON.parse(reply.body) as EchoBody;
}

describe('ExternalServices across zones (real processes, real traffic)', () => {
  const env = new TestEnv();
  let topo: MultiZoneTopology;
  let api: CausewayClient;
  let pki: TestPki;
  let otherPki: TestPki;
  const sidecars = {} as Record<'direct' | 'egress' | 'loc1' | 'loc2', Sidecar>;
  const externals: FakeExternal[] = [];

  const apply = async (...docs: Doc[]) => {
    for (const d of docs) await api.put(decodeResource(d));
  };
  const remove = async (type: 'ExternalService' | 'Secret', mesh: string, name: string) => api.delete(type, mesh, name);
  const http = async (name: string, opts: { tls?: { certPem: string; keyPem: string }; clientCaPem?: string; onlyFrom?: string } = {}) => {
    const e = await startHttpExternal(name, harnessProcesses, opts);
    externals.push(e);
    return e;
  };
  const tcp = async (name: string) => {
    const e = await startTcpExternal(name, harnessProcesses);
    externals.push(e);
    return e;
  };
  const zone = (z: (typeof ZONES)[number]) => topo.zones[z] as MultiZoneTopology['zones'][string];
  /** Polls an app call until it answers 200 (the config reached the proxies). */
  const until200 = (sidecar: Sidecar, url: string, what: string, timeoutMs = 30_000) =>
    eventually(
      async () => {
        const r = await appGet(sidecar.proxy, url);
        if (r.status !== 200) throw new Error(`${r.status} ${r.error ?? r.body}`);
        return r;
      },
      what,
      timeoutMs,
      100,
    );
  const hostsOf = async (proxy: ProxyProcess, cluster: string) => (await proxy.clusterHosts()).get(cluster) ?? [];

  beforeAll(async () => {
    [pki, otherPki] = await Promise.all([createTestPki('externals'), createTestPki('unrelated')]);
    topo = await startMultiZone(env, ZONES, 'es');
    api = topo.api;
    const mtls = { enabledBackend: 'ca-1', backends: [{ name: 'ca-1', type: 'builtin' }] };
    await apply(
      { type: 'Mesh', name: 'direct' },
      { type: 'Mesh', name: 'egress', mtls, routing: { zoneEgress: true }, networking: { outbound: { passthrough: false } } },
      { type: 'Mesh', name: 'locality', routing: { localityAwareLoadBalancing: true } },
      // mTLS on: nothing flows without a permission.
      { type: 'MeshTrafficPermission', mesh: 'egress', name: 'allow-all', spec: { targetRef: { kind: 'Mesh' }, from: [{ targetRef: { kind: 'Mesh' }, default: { action: 'Allow' } }] } },
    );
    for (const z of ZONES) {
      await eventually(() => zone(z).api.get('Secret', 'egress', 'egress.ca-builtin-cert-ca-1'), `egress mesh CA in ${z}`, 30_000);
      await eventually(() => zone(z).api.get('Mesh', undefined, 'locality'), `locality mesh in ${z}`, 30_000);
    }
    [sidecars.direct, sidecars.egress, sidecars.loc1, sidecars.loc2] = await Promise.all([
      startSidecar(env, zone('zone-1'), { mesh: 'direct', name: 'direct-app' }),
      startSidecar(env, zone('zone-1'), { mesh: 'egress', name: 'egress-app' }),
      startSidecar(env, zone('zone-1'), { mesh: 'locality', name: 'loc-app-1', service: 'loc-app' }),
      startSidecar(env, zone('zone-2'), { mesh: 'locality', name: 'loc-app-2', service: 'loc-app' }),
    ]);
  }, 180_000);

  afterEach((ctx) => {
    if (ctx.task.result?.state === 'fail') {
      const ext = externals.map((e) => `${e.name} (${e.kind} :${e.port}): ${JSON.stringify(e.connections.slice(-10))}`).join('\n');
      console.error(`${ctx.task.name} failed; process logs:\n${env.dumpLogs()}\n----- external servers -----\n${ext}\n----- nats-server -----\n${topo?.infra.natsLogs().split('\n').slice(-30).join('\n')}`);
    }
  });

  afterAll(async () => {
    await Promise.all(externals.map((e) => e.close()));
    await env.teardown();
  }, 60_000);

  it('1. an HTTP ExternalService, called as <service>.mesh:80 (builtin DNS) and by its real host:port', async () => {
    const ext = await http('plain-1');
    await apply(externalService('direct', 'httpbin', 'httpbin', ext.address));
    const dp = sidecars.direct.proxy;
    await until200(sidecars.direct, 'http://httpbin.mesh/warm-up', 'httpbin.mesh from direct-app');
    const before = await dp.metrics();

    const byMeshName = await appGet(dp, 'http://httpbin.mesh/get?via=mesh-name');
    const byRealName = await appGet(dp, `http://${ext.address}/get?via=real-name`);
    expect(echo(byMeshName)).toMatchObject({ server: 'plain-1', path: '/get?via=mesh-name', peer: 'direct-app' });
    expect(echo(byRealName)).toMatchObject({ server: 'plain-1', path: '/get?via=real-name', peer: 'direct-app' });
    // The dp's DNS gave VIPs from zone-1's range; the real name got its own VIP, listened on with the real port.
    expect(byMeshName.address).toMatch(/^127\.241\./);
    expect(byRealName.address).toMatch(/^127\.241\./);
    expect(byRealName.address).not.toBe(byMeshName.address);

    const after = await dp.metrics();
    expect(after.cluster('httpbin', 'upstream_rq_total') - before.cluster('httpbin', 'upstream_rq_total')).toBe(2);
    const logged = await eventually(() => {
      const lines = dp.accessLog().filter((l) => l.cluster === 'httpbin' && /via=(mesh|real)-name/.test(l.path));
      expect(lines).toHaveLength(2);
      return lines;
    }, 'access log of both calls');
    for (const l of logged) expect(l).toMatchObject({ method: 'GET', status: 200, destination: `127.0.0.1:${ext.port}` });
    // Only the sidecar ever connected to the external server.
    expect(ext.peers()).toEqual(['direct-app']);
    await remove('ExternalService', 'direct', 'httpbin');
  });

  it('2. TLS origination by the sidecar (SNI, CA check, sni: "", client certificate from a Secret) and TLS pass-through', async () => {
    const dp = sidecars.direct.proxy;
    const server = { certPem: pki.server.certPem, keyPem: pki.server.keyPem };
    const [ok, wrongCa, noSni, mutual, pass] = await Promise.all([
      http('https-ok', { tls: server }),
      http('https-wrong-ca', { tls: server }),
      http('https-no-sni', { tls: server }),
      http('https-mtls', { tls: server, clientCaPem: pki.ca.certPem }),
      http('https-pass', { tls: server }),
    ]);
    await apply(
      { type: 'Secret', mesh: 'direct', name: 'client-cert', data: b64(pki.client.certPem) },
      { type: 'Secret', mesh: 'direct', name: 'client-key', data: b64(pki.client.keyPem) },
      externalService('direct', 'tls-ok', 'tls-ok', ok.address, { tls: { enabled: true, allowRenegotiation: false, caCert: { inline: b64(pki.ca.certPem) } } }),
      externalService('direct', 'tls-wrong-ca', 'tls-wrong-ca', wrongCa.address, { tls: { enabled: true, caCert: { inline: b64(otherPki.ca.certPem) } } }),
      externalService('direct', 'tls-no-sni', 'tls-no-sni', noSni.address, { tls: { enabled: true, sni: '', caCert: { inlineString: pki.ca.certPem } } }),
      externalService('direct', 'tls-client-cert', 'tls-client-cert', mutual.address, {
        tls: { enabled: true, caCert: { inlineString: pki.ca.certPem }, clientCert: { secret: 'client-cert' }, clientKey: { secret: 'client-key' } },
      }),
      externalService('direct', 'tls-passthrough', 'tls-passthrough', pass.address, { protocol: 'tcp', tls: { enabled: false } }),
    );

    // The app speaks plain HTTP; the sidecar originates TLS with SNI "localhost" and verifies the CA.
    const viaTls = echo(await until200(sidecars.direct, 'http://tls-ok.mesh/secure', 'tls-ok.mesh'));
    expect(viaTls).toMatchObject({ server: 'https-ok', path: '/secure', sni: 'localhost', peer: 'direct-app' });
    expect(ok.connections.every((c) => c.handshake === true && c.peer === 'direct-app')).toBe(true);

    // A CA that did not sign the server's certificate: the handshake fails, the app gets 503, no request arrives.
    const refused = await eventually(async () => {
      const r = await appGet(dp, 'http://tls-wrong-ca.mesh/secure');
      expect(r.status).toBe(503);
      return r;
    }, 'tls-wrong-ca.mesh answers 503', 30_000);
    expect(refused.body).toMatch(/upstream connect error|TLS|certificate/i);
    expect(wrongCa.requests).toHaveLength(0);
    expect(wrongCa.connections.length).toBeGreaterThan(0);
    expect(wrongCa.connections.every((c) => c.handshake !== true && c.peer === 'direct-app')).toBe(true);

    // sni: "" sends no server name (the certificate is still verified against the address's host).
    const withoutSni = echo(await until200(sidecars.direct, 'http://tls-no-sni.mesh/', 'tls-no-sni.mesh'));
    expect(withoutSni.server).toBe('https-no-sni');
    expect(withoutSni.sni).toBeUndefined();
    expect(noSni.connections.every((c) => c.handshake === true && c.sni === undefined)).toBe(true);

    // The client certificate and key from Secrets reach a server that requires one ...
    const withCert = echo(await until200(sidecars.direct, 'http://tls-client-cert.mesh/whoami', 'tls-client-cert.mesh'));
    expect(withCert).toMatchObject({ server: 'https-mtls', clientCn: 'causeway-client', peer: 'direct-app' });
    // ... which really refuses a client without one.
    const anonymous = await new Promise<string>((resolve) => {
      const req = httpsRequest({ host: '127.0.0.1', port: mutual.port, servername: 'localhost', ca: pki.ca.certPem, path: '/', agent: false }, (res) => {
        res.resume();
        resolve(`HTTP ${res.statusCode}`);
      });
      req.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
      req.end();
    });
    expect(anonymous).not.toMatch(/^HTTP/);

    // Pass-through: protocol tcp, tls disabled — the app speaks TLS itself, through the sidecar, to the server.
    const before = await dp.metrics();
    const endToEnd = await eventually(async () => {
      const r = await appGet(dp, `https://${pass.address}/end-to-end`, { ca: pki.ca.certPem });
      return echo(r);
    }, 'https to the real host:port through the sidecar', 30_000);
    expect(endToEnd).toMatchObject({ server: 'https-pass', sni: 'localhost', peer: 'direct-app' });
    const after = await dp.metrics();
    expect(after.cluster('tls-passthrough', 'upstream_cx_total') - before.cluster('tls-passthrough', 'upstream_cx_total')).toBeGreaterThanOrEqual(1);
    const dump = await dp.configDump();
    const clusters = dump.configs.find((c) => String(c['@type']).endsWith('ClustersConfigDump')) as { dynamic_active_clusters: { cluster: Doc }[] };
    const passCluster = clusters.dynamic_active_clusters.map((c) => c.cluster).find((c) => c.name === 'tls-passthrough');
    const okCluster = clusters.dynamic_active_clusters.map((c) => c.cluster).find((c) => c.name === 'tls-ok');
    expect(passCluster).toBeDefined();
    expect(passCluster?.transport_socket).toBeUndefined(); // the sidecar does not touch the TLS
    expect(okCluster?.transport_socket).toBeDefined();

    for (const name of ['tls-ok', 'tls-wrong-ca', 'tls-no-sni', 'tls-client-cert', 'tls-passthrough']) await remove('ExternalService', 'direct', name);
    for (const name of ['client-cert', 'client-key']) await remove('Secret', 'direct', name);
  });

  it("3. routing.zoneEgress: true — the call goes through zone-1's ZoneEgress, never from the sidecar to the address", async () => {
    const [web, raw] = await Promise.all([http('plain-egress'), tcp('tcp-egress')]);
    await apply(externalService('egress', 'egress-http', 'egress-http', web.address), externalService('egress', 'egress-tcp', 'egress-tcp', raw.address, { protocol: 'tcp' }));
    const dp = sidecars.egress.proxy;
    const egress1 = zone('zone-1').egress;
    const egress1Address = `127.0.0.1:${(egress1.spec.resource.networking as { port: number }).port}`;

    const first = echo(await until200(sidecars.egress, 'http://egress-http.mesh/via-egress', 'egress-http.mesh from egress-app'));
    expect(first).toMatchObject({ server: 'plain-egress', peer: 'es-egress-1' });
    // The sidecar's only upstream for the ExternalService is zone-1's egress.
    expect(await hostsOf(dp, 'egress-http')).toEqual([{ host: egress1Address, priority: 0 }]);
    const before = { dp: await dp.metrics(), egress: await egress1.metrics() };
    for (let i = 0; i < 3; i++) expect(echo(await appGet(dp, `http://egress-http.mesh/n/${i}`)).peer).toBe('es-egress-1');
    const after = { dp: await dp.metrics(), egress: await egress1.metrics() };
    expect(after.dp.cluster('egress-http', 'upstream_rq_total') - before.dp.cluster('egress-http', 'upstream_rq_total')).toBe(3);
    expect(after.egress.cluster('egress:egress-http', 'upstream_rq_total') - before.egress.cluster('egress:egress-http', 'upstream_rq_total')).toBe(3);
    await eventually(() => {
      const atEgress = egress1.accessLog().filter((l) => l.cluster === 'egress:egress-http' && l.path.startsWith('/n/'));
      expect(atEgress.map((l) => [l.sni, l.status, l.destination])).toEqual(Array(3).fill(['egress-http{mesh=egress}', 200, `127.0.0.1:${web.port}`]));
      const atSidecar = dp.accessLog().filter((l) => l.cluster === 'egress-http' && l.path.startsWith('/n/'));
      expect(atSidecar.map((l) => l.destination)).toEqual(Array(3).fill(egress1Address));
    }, 'access logs of the sidecar and the egress');

    // Raw TCP through the egress as well.
    const conn = await eventually(async () => {
      const c = await appConnect(dp, 'egress-tcp.mesh', 80);
      try {
        await c.expectLine(/^hello from tcp-egress$/, 2000);
        return c;
      } catch (e) {
        await c.close();
        throw e;
      }
    }, 'egress-tcp.mesh from egress-app', 30_000);
    conn.send('ping');
    await conn.expectLine(/^tcp-egress: ping$/);
    await conn.close();
    await eventually(() => {
      expect(egress1.accessLog().some((l) => l.cluster === 'egress:egress-tcp' && l.sni === 'egress-tcp{mesh=egress}' && l.destination === `127.0.0.1:${raw.port}`)).toBe(true);
    }, 'the TCP connection in the egress access log');
    expect(web.peers()).toEqual(['es-egress-1']);
    expect(raw.peers()).toEqual(['es-egress-1']);
    await remove('ExternalService', 'egress', 'egress-http');
    await remove('ExternalService', 'egress', 'egress-tcp');
  });

  it('4. the cross-zone path: zone-1 sidecar -> zone-1 ZoneEgress -> zone-2 ZoneIngress -> zone-2 ZoneEgress -> external', async () => {
    const [web, raw] = await Promise.all([http('plain-zone-2'), tcp('tcp-zone-2')]);
    const z1 = zone('zone-1');
    const z2 = zone('zone-2');
    const portOf = (p: ProxyProcess) => `127.0.0.1:${(p.spec.resource.networking as { port: number }).port}`;
    const path = { dp: sidecars.egress.proxy, egress1: z1.egress, ingress2: z2.ingress, egress2: z2.egress };
    // Kuma's "accessible only from a specific zone" example, with the address of the local stand-in.
    await apply(
      externalService('egress', 'httpbin-only-in-zone-2', 'httpbin', web.address, { zone: 'zone-2' }),
      externalService('egress', 'tcp-only-in-zone-2', 'tcp-z2', raw.address, { protocol: 'tcp', zone: 'zone-2' }),
    );
    await eventually(async () => {
      const zi = await api.get('ZoneIngress', undefined, 'ingress-2.zone-2');
      expect(JSON.stringify(zi.spec)).toContain('"kuma.io/service":"httpbin"');
    }, "zone-2's ingress offers httpbin (relayed by global)", 30_000);

    const first = echo(await until200(sidecars.egress, 'http://httpbin.mesh/anything', 'httpbin.mesh from zone-1', 45_000));
    expect(first).toMatchObject({ server: 'plain-zone-2', path: '/anything', peer: 'es-egress-2' });

    // Each hop's upstream is the next hop.
    expect(await hostsOf(path.dp, 'httpbin')).toEqual([{ host: portOf(path.egress1), priority: 0 }]);
    expect(await hostsOf(path.egress1, 'egress:httpbin')).toEqual([{ host: portOf(path.ingress2), priority: 0 }]);
    expect(await hostsOf(path.ingress2, 'egress:httpbin')).toEqual([{ host: portOf(path.egress2), priority: 0 }]);
    expect(await hostsOf(path.egress2, 'egress:httpbin')).toEqual([{ host: `127.0.0.1:${web.port}`, priority: 0 }]);

    const before = Object.fromEntries(await Promise.all(Object.entries(path).map(async ([k, p]) => [k, await p.metrics()] as const))) as Record<keyof typeof path, Metrics>;
    for (let i = 0; i < 4; i++) expect(echo(await appGet(path.dp, `http://httpbin.mesh/cross/${i}`)).peer).toBe('es-egress-2');
    const after = Object.fromEntries(await Promise.all(Object.entries(path).map(async ([k, p]) => [k, await p.metrics()] as const))) as Record<keyof typeof path, Metrics>;
    const delta = (k: keyof typeof path, cluster: string, stat: string) => after[k].cluster(cluster, stat) - before[k].cluster(cluster, stat);
    expect(delta('dp', 'httpbin', 'upstream_rq_total')).toBe(4); // HTTP at the sidecar
    expect(delta('egress2', 'egress:httpbin', 'upstream_rq_total')).toBe(4); // HTTP again where mTLS ends
    // egress-1 and ingress-2 pass the mTLS connection through by SNI: they carried bytes on that cluster.
    expect(after.egress1.cluster('egress:httpbin', 'upstream_cx_total')).toBeGreaterThanOrEqual(1);
    expect(after.ingress2.cluster('egress:httpbin', 'upstream_cx_total')).toBeGreaterThanOrEqual(1);
    await eventually(() => {
      const atEgress2 = path.egress2.accessLog().filter((l) => l.cluster === 'egress:httpbin' && l.path.startsWith('/cross/'));
      expect(atEgress2.map((l) => [l.sni, l.status])).toEqual(Array(4).fill(['httpbin{mesh=egress}', 200]));
    }, 'egress-2 access log');

    // The same path for raw TCP: one connection at every hop, and each hop logs the SNI it routed by.
    const conn = await eventually(async () => {
      const c = await appConnect(path.dp, 'tcp-z2.mesh', 80);
      try {
        await c.expectLine(/^hello from tcp-zone-2$/, 3000);
        return c;
      } catch (e) {
        await c.close();
        throw e;
      }
    }, 'tcp-z2.mesh from zone-1', 45_000);
    conn.send('across zones');
    await conn.expectLine(/^tcp-zone-2: across zones$/);
    await conn.close();
    await eventually(() => {
      const sni = 'tcp-z2{mesh=egress}';
      expect(path.egress1.accessLog().some((l) => l.sni === sni && l.cluster === 'egress:tcp-z2' && l.destination === portOf(path.ingress2))).toBe(true);
      expect(path.ingress2.accessLog().some((l) => l.sni === sni && l.cluster === 'egress:tcp-z2' && l.destination === portOf(path.egress2))).toBe(true);
      expect(path.egress2.accessLog().some((l) => l.sni === sni && l.cluster === 'egress:tcp-z2' && l.destination === `127.0.0.1:${raw.port}`)).toBe(true);
    }, 'every hop logged the TCP connection with its SNI');
    // The external servers only ever saw zone-2's egress.
    expect(web.peers()).toEqual(['es-egress-2']);
    expect(raw.peers()).toEqual(['es-egress-2']);
    await remove('ExternalService', 'egress', 'httpbin-only-in-zone-2');
    await remove('ExternalService', 'egress', 'tcp-only-in-zone-2');
  });

  it('5. locality: two ExternalServices for one service, tagged zone-1 and zone-2 — each zone reaches its own', async () => {
    const [one, two] = await Promise.all([http('httpbin-zone-1'), http('httpbin-zone-2')]);
    await apply(
      externalService('locality', 'httpbin-for-zone-1', 'httpbin', one.address, { zone: 'zone-1' }),
      externalService('locality', 'httpbin-for-zone-2', 'httpbin', two.address, { zone: 'zone-2' }),
    );
    const local = { 'zone-1': { sidecar: sidecars.loc1, own: one, other: two }, 'zone-2': { sidecar: sidecars.loc2, own: two, other: one } };
    // Both ExternalServices reached each sidecar: its own zone's at priority 0, the other at 1.
    for (const { sidecar, own, other } of Object.values(local)) {
      await eventually(async () => {
        const hosts = await hostsOf(sidecar.proxy, 'httpbin');
        expect(hosts.sort((a, b) => a.priority - b.priority)).toEqual([
          { host: `127.0.0.1:${own.port}`, priority: 0 },
          { host: `127.0.0.1:${other.port}`, priority: 1 },
        ]);
      }, `both httpbin endpoints at ${sidecar.proxy.name}`, 30_000);
    }
    for (const [z, { sidecar, own }] of Object.entries(local)) {
      for (let i = 0; i < 6; i++) expect(echo(await appGet(sidecar.proxy, `http://httpbin.mesh/from/${z}/${i}`))).toMatchObject({ server: own.name, peer: sidecar.proxy.name });
    }
    expect(one.peers()).toEqual(['loc-app-1']);
    expect(two.peers()).toEqual(['loc-app-2']);
    expect(one.requests).toHaveLength(6);
    expect(two.requests).toHaveLength(6);
    await remove('ExternalService', 'locality', 'httpbin-for-zone-1');
    await remove('ExternalService', 'locality', 'httpbin-for-zone-2');
  });

  it('6. passthrough off: an undeclared host is unreachable, a declared ExternalService works', async () => {
    const [declared, undeclared] = await Promise.all([http('declared-api'), http('undeclared-api')]);
    await apply(externalService('egress', 'declared-api', 'declared-api', declared.address));
    const dp = sidecars.egress.proxy;
    expect(echo(await until200(sidecars.egress, `http://${declared.address}/ok`, 'declared-api by its real name'))).toMatchObject({ server: 'declared-api', peer: 'es-egress-1' });
    // An undeclared name: the builtin DNS refuses it (nothing is forwarded to the system resolver).
    const unknownName = await appGet(dp, 'http://undeclared.example.com/');
    expect(unknownName.status).toBe(0);
    expect(unknownName.error).toMatch(/EREFUSED/);
    // A declared host name at an undeclared port: nothing listens there, the connection is refused.
    const otherPort = await appGet(dp, `http://${undeclared.address}/`);
    expect(otherPort.status).toBe(0);
    expect(otherPort.error).toMatch(/ECONNREFUSED/);
    expect(undeclared.connections).toHaveLength(0);
    // No catch-all: the egress mesh's sidecar has no passthrough listener, the passthrough mesh's one has.
    expect(await dp.listenerNames()).not.toContain('outbound:passthrough:ipv4');
    expect(await sidecars.direct.proxy.listenerNames()).toContain('outbound:passthrough:ipv4');
    await remove('ExternalService', 'egress', 'declared-api');
  });

  it('7. deleting the ExternalService at global makes calls fail in both zones within 2 s; re-applying brings it back', async () => {
    const ext = await http('ephemeral');
    const doc = externalService('locality', 'ephemeral', 'ephemeral', ext.address);
    await apply(doc);
    const both = [sidecars.loc1, sidecars.loc2];
    // The apps resolve once (DNS answers live 30 s) and keep calling that address.
    const vips = await Promise.all(both.map(async (s) => (await until200(s, 'http://ephemeral.mesh/', `ephemeral.mesh from ${s.proxy.name}`)).address as string));
    expect(vips[0]).toMatch(/^127\.241\./);
    expect(vips[1]).toMatch(/^127\.242\./);
    const callAll = () => Promise.all(both.map((s, i) => appGet(s.proxy, 'http://ephemeral.mesh/', { address: vips[i] as string, timeoutMs: 2000 })));
    expect((await callAll()).map((r) => r.status)).toEqual([200, 200]);

    const failedAfter = async (since: number) => {
      const at: (number | undefined)[] = [undefined, undefined];
      while (at.some((t) => t === undefined) && Date.now() - since < 5000) {
        const replies = await callAll();
        replies.forEach((r, i) => {
          if (r.status !== 200 && at[i] === undefined) at[i] = Date.now() - since;
        });
        await new Promise((r) => setTimeout(r, 25));
      }
      return at;
    };
    const deletedAt = Date.now();
    await remove('ExternalService', 'locality', 'ephemeral');
    const failed = await failedAfter(deletedAt);
    console.log(`[scenario 7] calls failed ${failed.map((t, i) => `in ${ZONES[i]} after ${t} ms`).join(', ')}`);
    for (const t of failed) {
      expect(t).toBeDefined();
      expect(t as number).toBeLessThan(2000);
    }
    // And they stay failed.
    expect((await callAll()).map((r) => r.status)).toEqual([0, 0]);

    const reappliedAt = Date.now();
    await apply(doc);
    const back = await Promise.all(both.map((s) => until200(s, 'http://ephemeral.mesh/again', `ephemeral.mesh again from ${s.proxy.name}`, 15_000).then((r) => ({ r, ms: Date.now() - reappliedAt }))));
    console.log(`[scenario 7] calls worked again ${back.map((b, i) => `in ${ZONES[i]} after ${b.ms} ms`).join(', ')}`);
    for (const { r } of back) expect(echo(r).server).toBe('ephemeral');
    await remove('ExternalService', 'locality', 'ephemeral');
  });

  it("8. killing zone-2's control plane mid-traffic: established and new calls go on with the last config; a restart converges", async () => {
    const [crossHttp, crossTcp, local2, later] = await Promise.all([http('survivor-http'), tcp('survivor-tcp'), http('survivor-local'), http('added-while-down')]);
    await apply(
      externalService('egress', 'survivor-http', 'survivor-http', crossHttp.address, { zone: 'zone-2' }),
      externalService('egress', 'survivor-tcp', 'survivor-tcp', crossTcp.address, { protocol: 'tcp', zone: 'zone-2' }),
      externalService('locality', 'survivor-local', 'survivor-local', local2.address),
    );
    const z2 = zone('zone-2');
    const zone2Proxies = [z2.ingress, z2.egress, sidecars.loc2.proxy];
    await until200(sidecars.egress, 'http://survivor-http.mesh/', 'cross-zone survivor-http', 45_000);
    await until200(sidecars.loc2, 'http://survivor-local.mesh/', 'survivor-local in zone-2');
    const established = await eventually(async () => {
      const c = await appConnect(sidecars.egress.proxy, 'survivor-tcp.mesh', 80);
      try {
        await c.expectLine(/^hello from survivor-tcp$/, 3000);
        return c;
      } catch (e) {
        await c.close();
        throw e;
      }
    }, 'cross-zone TCP connection', 45_000);

    // Traffic all along: a new connection per call, cross-zone (through ingress-2 and egress-2) and in zone-2.
    const results: { at: number; what: string; status: number; error?: string | undefined }[] = [];
    let traffic = true;
    const loop = (async () => {
      let i = 0;
      while (traffic) {
        const n = i++;
        const [a, b] = await Promise.all([appGet(sidecars.egress.proxy, `http://survivor-http.mesh/t/${n}`, { timeoutMs: 5000 }), appGet(sidecars.loc2.proxy, `http://survivor-local.mesh/t/${n}`, { timeoutMs: 5000 })]);
        results.push({ at: Date.now(), what: 'cross-zone', status: a.status, error: a.error }, { at: Date.now(), what: 'zone-2', status: b.status, error: b.error });
        await new Promise((r) => setTimeout(r, 50));
      }
    })();

    await new Promise((r) => setTimeout(r, 300));
    await z2.cp.kill();
    const killedAt = Date.now();
    for (const p of zone2Proxies) {
      await eventually(async () => expect((await p.metrics()).get('envoy_control_plane_connected_state')).toBe(0), `${p.name} lost its control plane`, 10_000);
    }
    established.send('while zone-2 is down');
    await established.expectLine(/^survivor-tcp: while zone-2 is down$/);
    // A change at global meanwhile: zone-1 gets it, zone-2 cannot yet.
    await apply(externalService('locality', 'added-while-down', 'added-while-down', later.address));
    await until200(sidecars.loc1, 'http://added-while-down.mesh/', 'added-while-down in zone-1');
    expect((await sidecars.loc2.proxy.clusterHosts()).has('added-while-down')).toBe(false);
    // Stay down a while: at least 3 s, and until plenty of new calls went through on the last config.
    await eventually(() => expect(results.filter((r) => r.at > killedAt + 3000).length).toBeGreaterThanOrEqual(10), 'calls while zone-2 is down', 20_000);
    const downFor = Date.now() - killedAt;

    await z2.cp.start();
    for (const p of zone2Proxies) {
      await eventually(async () => expect((await p.metrics()).get('envoy_control_plane_connected_state')).toBe(1), `${p.name} reconnected`, 45_000, 250);
    }
    const converged = await until200(sidecars.loc2, 'http://added-while-down.mesh/', 'added-while-down in zone-2 after the restart', 45_000);
    expect(echo(converged)).toMatchObject({ server: 'added-while-down', peer: 'loc-app-2' });
    await eventually(async () => expect((await zoneOverview(api, 'zone-2'))?.status).toBe('Online'), 'zone-2 online at global', 30_000);
    const restartedAfter = Date.now() - killedAt;
    await new Promise((r) => setTimeout(r, 300));
    traffic = false;
    await loop;

    const during = results.filter((r) => r.at > killedAt);
    const failures = results.filter((r) => r.status !== 200);
    console.log(
      `[scenario 8] zone-2 control plane down ${downFor} ms, converged ${restartedAfter} ms after the kill; ${during.length} calls after the kill (${during.filter((r) => r.what === 'cross-zone').length} cross-zone), ${failures.length} failed`,
    );
    expect(failures).toEqual([]);
    expect(during.filter((r) => r.what === 'cross-zone').length).toBeGreaterThanOrEqual(10);
    expect(during.filter((r) => r.what === 'zone-2').length).toBeGreaterThanOrEqual(10);
    // The connection opened before the kill is still the same one, and still works.
    established.send('after the restart');
    await established.expectLine(/^survivor-tcp: after the restart$/);
    expect(established.closed).toBe(false);
    // One greeting on it: the same end-to-end connection throughout (a broken hop would have closed it).
    expect(established.lines.filter((l) => l.startsWith('hello from')).length).toBe(1);
    await established.close();
    expect(crossHttp.peers()).toEqual(['es-egress-2']);
    expect(crossTcp.peers()).toEqual(['es-egress-2']);
    expect(local2.peers()).toEqual(['loc-app-2']);
    for (const [mesh, name] of [
      ['egress', 'survivor-http'],
      ['egress', 'survivor-tcp'],
      ['locality', 'survivor-local'],
      ['locality', 'added-while-down'],
    ] as const)
      await remove('ExternalService', mesh, name);
  });
});
