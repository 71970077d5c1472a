/**
 * Issue 18, item 1: traffic insights. Calls through a zone-1 sidecar to an ExternalService that only
 * zone-2 may reach (app -> sidecar -> egress-1 -> ingress-2 -> egress-2 -> the service) show up at
 * global's `GET /meshes/{mesh}/external-services/{name}/stats` and `/callers`: zone-1's leader scrapes its
 * sidecars and its egress, zone-2's its egress, each every second (`--traffic-insights-interval 1s`), and
 * their ExternalServiceInsights reach global over NATS.
 *
 * Asserted: the calls web made (each 200 it got), the 403s a caller the MeshTrafficPermission denies got
 * (counted at its sidecar, and as RBAC denials at zone-2's egress), the rates over 5 minutes, what zone-2's
 * egress sent to the service (what the service received), the callers per zone, that the insights equal
 * the sidecar's own counters, the zone API's own answer, `causeway inspect external-service`, and that a
 * quiet ExternalService's insight stops being written.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { CausewayClient } from '@causeway/client';
import { decodeResource, type ExternalServiceCallers, type ExternalServiceStats } from '@causeway/core';
import { freePort } from '@causeway/sync/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type FakeExternal, startHttpExternal } from './externals.js';
import { appGet, eventually, harnessProcesses, type MultiZoneTopology, ROOT, type Sidecar, startMultiZone, startSidecar, TestEnv } from './harness.js';

const CLI_BIN = join(ROOT, 'services/cli/dist/main.js');

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

describe('traffic insights: calls to an ExternalService at global (stats and callers)', () => {
  const env = new TestEnv();
  let topo: MultiZoneTopology;
  let api: CausewayClient;
  let ext: FakeExternal;
  let web: Sidecar;
  let other: Sidecar;
  /** 200s web got, 403s other got. */
  let ok = 0;
  let forbidden = 0;
  let webPort = 0;
  let otherPort = 0;

  const zone = (z: string) => topo.zones[z] as MultiZoneTopology['zones'][string];
  const stats = () => api.getJson<ExternalServiceStats>('/meshes/default/external-services/ext/stats');
  const callers = () => api.getJson<ExternalServiceCallers>('/meshes/default/external-services/ext/callers');

  beforeAll(async () => {
    topo = await startMultiZone(env, ['zone-1', 'zone-2'], 'ti', { zoneArgs: ['--traffic-insights-interval', '1s'] });
    api = topo.api;
    ext = await startHttpExternal('ext-zone-2', harnessProcesses);
    env.onTeardown(() => ext.close());
    const docs = [
      { type: 'Mesh', name: 'default', mtls: { enabledBackend: 'ca-1', backends: [{ name: 'ca-1', type: 'builtin' }] }, routing: { zoneEgress: true } },
      { type: 'MeshTrafficPermission', mesh: 'default', name: 'allow-all', spec: { targetRef: { kind: 'Mesh' }, from: [{ targetRef: { kind: 'Mesh' }, default: { action: 'Allow' } }] } },
      // only web may call ext: other's calls are refused by zone-2's egress (403)
      {
        type: 'MeshTrafficPermission',
        mesh: 'default',
        name: 'ext-web-only',
        spec: {
          targetRef: { kind: 'MeshService', name: 'ext' },
          from: [
            { targetRef: { kind: 'Mesh' }, default: { action: 'Deny' } },
            { targetRef: { kind: 'MeshService', name: 'web' }, default: { action: 'Allow' } },
          ],
        },
      },
      { type: 'ExternalService', mesh: 'default', name: 'ext', tags: { 'kuma.io/service': 'ext', 'kuma.io/protocol': 'http', 'kuma.io/zone': 'zone-2' }, networking: { address: ext.address } },
      { type: 'ExternalService', mesh: 'default', name: 'quiet', tags: { 'kuma.io/service': 'quiet', 'kuma.io/protocol': 'http' }, networking: { address: '127.0.0.1:9' } },
    ];
    for (const d of docs) await api.put(decodeResource(d));
    for (const z of ['zone-1', 'zone-2']) {
      await eventually(() => zone(z).api.get('ExternalService', 'default', 'ext'), `ext in ${z}`, 30_000);
      await eventually(() => zone(z).api.get('Secret', 'default', 'default.ca-builtin-cert-ca-1'), `the mesh CA in ${z}`, 30_000);
      // the permissions before any call: a call refused because one has not arrived yet would count as a 403
      for (const mtp of ['allow-all', 'ext-web-only']) await eventually(() => zone(z).api.get('MeshTrafficPermission', 'default', mtp), `${mtp} in ${z}`, 30_000);
    }
    await eventually(async () => {
      const zi = await api.get('ZoneIngress', undefined, 'ingress-2.zone-2');
      expect(JSON.stringify(zi.spec)).toContain('"kuma.io/service":"ext"');
    }, "zone-2's ingress offers ext (relayed by global)", 30_000);
    // Each calls ext on an outbound port of its own Dataplane: two sidecars of one zone on one host would
    // share the VIP of ext.mesh (each would bind VIP:80), and a call could leave through the other one.
    // (freePort never hands out a port twice in this process: not one of the zone proxies' either.)
    [webPort, otherPort] = [await freePort(), await freePort()];
    web = await startSidecar(env, zone('zone-1'), { mesh: 'default', name: 'web', outbound: [{ port: webPort, service: 'ext' }] });
    other = await startSidecar(env, zone('zone-1'), { mesh: 'default', name: 'other', outbound: [{ port: otherPort, service: 'ext' }] });
  }, 240_000);

  afterEach((ctx) => {
    if (ctx.task.result?.state === 'fail') console.error(`${ctx.task.name} failed; process logs:\n${env.dumpLogs()}`);
  });

  afterAll(async () => {
    await env.teardown();
  });

  it('an ExternalService without traffic answers zeros for every zone; an unknown one is a 404', async () => {
    const s = await api.getJson<ExternalServiceStats>('/meshes/default/external-services/quiet/stats');
    expect(s.zones.map((z) => z.zone)).toEqual(['zone-1', 'zone-2']);
    expect(s.total['5m']).toMatchObject({ requests: 0, errorRate: null });
    const missing = await fetch(`${topo.global.url}/meshes/default/external-services/nope/stats`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { details: string }).details).toBe('ExternalService "nope" in mesh "default" not found');
  });

  it("web's calls and other's refused calls show up at global with their counts, rates and callers", async () => {
    // the first 200: the config reached every hop of the cross-zone path
    await eventually(
      async () => {
        const r = await appGet(web.proxy, `http://127.0.0.1:${webPort}/warm-up`);
        if (r.status !== 200) throw new Error(`${r.status} ${r.error ?? r.body}`);
        ok++;
      },
      'web -> egress-1 -> ingress-2 -> egress-2 -> ext',
      60_000,
      250,
    );
    await eventually(
      async () => {
        const r = await appGet(other.proxy, `http://127.0.0.1:${otherPort}/try`);
        if (r.status !== 403) throw new Error(`${r.status} ${r.error ?? r.body}`);
        forbidden++;
      },
      "other refused by zone-2's egress",
      30_000,
      250,
    );
    const N = 12;
    for (let i = 0; i < N; i++) {
      const r = await appGet(web.proxy, `http://127.0.0.1:${webPort}/call/${i}`);
      expect(r.status, r.body).toBe(200);
      ok++;
    }
    for (let i = 0; i < 3; i++) {
      expect((await appGet(other.proxy, `http://127.0.0.1:${otherPort}/denied/${i}`)).status).toBe(403);
      forbidden++;
    }
    const reached = ext.requests.length; // every request zone-2's egress sent the service
    expect(ext.peers()).toEqual(['ti-egress-2']);
    expect(reached).toBeGreaterThanOrEqual(ok);

    // what the sidecars counted (every attempt, also those before the config was complete)
    const [webMetrics, otherMetrics] = await Promise.all([web.proxy.metrics(), other.proxy.metrics()]);
    const webRequests = webMetrics.cluster('ext', 'upstream_rq_total');
    const otherRequests = otherMetrics.cluster('ext', 'upstream_rq_total');
    expect(webRequests).toBeGreaterThanOrEqual(ok);

    const started = Date.now();
    const s = await eventually(
      async () => {
        const s = await stats();
        const z1 = s.zones.find((z) => z.zone === 'zone-1');
        const z2 = s.zones.find((z) => z.zone === 'zone-2');
        expect(z1?.sidecars['5m']).toMatchObject({ requests: webRequests + otherRequests, forbidden, responses: { '2xx': ok, '4xx': forbidden } });
        expect(z2?.egresses['5m']).toMatchObject({ requests: reached, responses: { '2xx': reached }, rbacDenied: forbidden });
        return s;
      },
      `global: ${ok} calls answered 200 and ${forbidden} refused at zone-1's sidecars, ${forbidden} RBAC denials at zone-2's egress`,
      30_000,
      250,
    );
    console.log(`[traffic-insights] global's /stats had the calls ${Date.now() - started} ms after the last one`);
    const total = s.total['5m'];
    expect(total).toMatchObject({ window: '5m', seconds: 300, requests: webRequests + otherRequests, rbacDenied: forbidden, forbidden });
    expect(total.requestsPerSecond).toBeCloseTo((webRequests + otherRequests) / 300, 3);
    expect(total.responsesPerSecond['2xx']).toBeCloseTo(ok / 300, 3);
    expect(total.latencyMs.p50).toBeGreaterThan(0);
    expect(total.latencyMs.p99).toBeGreaterThanOrEqual(total.latencyMs.p50 as number);
    expect(total.bytes.sent).toBeGreaterThan(0);
    expect(total.bytes.received).toBeGreaterThan(0);
    expect(s.total['1h']).toMatchObject({ requests: webRequests + otherRequests, rbacDenied: forbidden });
    // the sidecars keep their mTLS connections to egress-1 open
    expect(s.zones.find((z) => z.zone === 'zone-1')).toMatchObject({ proxies: { sidecars: 2, egresses: 1 } });
    expect(s.series['5m'].reduce((n, p) => n + p.requestsPerSecond * 10, 0)).toBeCloseTo(webRequests + otherRequests, 0);

    const c = await callers();
    const byService = Object.fromEntries(c.items.map((i) => [`${i.zone}/${i.service}`, i]));
    expect(Object.keys(byService).sort()).toEqual(['zone-1/other', 'zone-1/web']);
    expect(byService['zone-1/web']?.['5m']).toMatchObject({ requests: webRequests, responses: { '2xx': ok }, forbidden: 0 });
    expect(byService['zone-1/web']?.['5m'].requestsPerSecond).toBeCloseTo(webRequests / 300, 3);
    expect(byService['zone-1/other']?.['5m']).toMatchObject({ requests: otherRequests, responses: { '4xx': forbidden }, forbidden });
    expect(byService['zone-1/web']?.proxies).toBe(1);
  }, 240_000);

  it("zone-1's own API answers its own numbers", async () => {
    const s = await zone('zone-1').api.getJson<ExternalServiceStats>('/meshes/default/external-services/ext/stats');
    expect(s.zones.map((z) => z.zone)).toEqual(['zone-1']);
    expect(s.total['5m'].responses['2xx']).toBe(ok);
  });

  it('causeway inspect external-service shows the stats and callers', async () => {
    const r = await cli(['--address', topo.global.url, 'inspect', 'external-service', 'ext', '-m', 'default']);
    expect(r.code, r.stderr).toBe(0);
    console.log(`[traffic-insights] causeway inspect external-service ext:\n${r.stdout}`);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(/^ExternalService ext \(mesh default, kuma\.io\/service ext\), at /);
    const total = lines.find((l) => l.startsWith('total'))?.split(/\s{3,}/);
    expect(total?.slice(0, 2)).toEqual(['total', '5m']);
    expect(total?.[4]).toBe(String(ok)); // 2XX
    expect(total?.at(-1)).toBe(String(forbidden)); // RBAC DENIED
    const callersAt = lines.indexOf('Callers:');
    const rows = lines.slice(callersAt + 2).filter((l) => l.startsWith('zone-1'));
    expect(rows.map((l) => l.split(/\s{3,}/).slice(0, 2))).toEqual(expect.arrayContaining([['zone-1', 'web'], ['zone-1', 'other']]));
  });

  it('without traffic the insights stop being written', async () => {
    const versions = async () => {
      const [one, two] = await Promise.all([zone('zone-1').api.get('ExternalServiceInsight', 'default', 'ext'), zone('zone-2').api.get('ExternalServiceInsight', 'default', 'ext')]);
      return [one.version, two.version];
    };
    // open connections may still close (and change the insight) for a little while; then nothing moves
    await eventually(
      async () => {
        const before = await versions();
        await new Promise((r) => setTimeout(r, 4000));
        expect(await versions()).toEqual(before);
      },
      'no insight written for 4 s (4 collection rounds) without traffic',
      60_000,
      0,
    );
    // the quiet ExternalService never had traffic: no insight at all
    const page = await zone('zone-1').api.list('ExternalServiceInsight', { mesh: 'default' });
    expect(page.items.map((i) => i.name)).toEqual(['ext']);
  }, 90_000);
});
