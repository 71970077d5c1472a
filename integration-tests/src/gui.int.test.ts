/**
 * Issue 18, item 4: the GUI in a real browser against real processes. Global + two zones over NATS
 * (`--traffic-insights-interval 1s`), each with its ZoneIngress and ZoneEgress; the Kuma docs' zone-2-only
 * ExternalService (mesh with mTLS and `routing.zoneEgress`) in front of a local HTTP server; `web` (allowed
 * by a MeshTrafficPermission) and `other` (denied) calling it from zone-1. Then headless Chromium (Debian's
 * `chromium`, driven by playwright-core; no browser is downloaded) opens global's `/gui`:
 *
 * - sign-in with global's admin token; the overview lists both zones online;
 * - the ExternalService's page draws the path from zone-1 hop by hop: zone-1 sidecar -> zone-1 egress ->
 *   zone-2 ingress -> zone-2 egress -> the address;
 * - after 20 calls from web (and some from other) its traffic numbers and charts show them;
 * - the callers graph shows web, and other as denied;
 * - zone-2's control plane stopped: the overview shows zone-2 offline within 30 s;
 * - no console error and no uncaught page error throughout.
 *
 * Screenshots go to `$CAUSEWAY_IT_ARTIFACTS/gui` (else `$TMPDIR/causeway-it-gui/`), outside git; the path
 * is printed. Skipped, saying why, only when no Chromium is installed (`apt-get install -y chromium`, or
 * `CHROMIUM_PATH`).
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CausewayClient } from '@causeway/client';
import { decodeResource, type ExternalServiceCallers, type ExternalServiceStats } from '@causeway/core';
import { freePort } from '@causeway/sync/testing';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type FakeExternal, startHttpExternal } from './externals.js';
import { appGet, eventually, harnessProcesses, type MultiZoneTopology, type Sidecar, startMultiZone, startSidecar, TestEnv } from './harness.js';

const CHROMIUM = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p): p is string => !!p && existsSync(p));
const SKIP = CHROMIUM ? undefined : 'no Chromium installed (apt-get install -y --no-install-recommends chromium, or CHROMIUM_PATH)';
if (SKIP) console.warn(`[gui] skipped: ${SKIP}`);
const SHOTS = process.env.CAUSEWAY_IT_ARTIFACTS ? join(process.env.CAUSEWAY_IT_ARTIFACTS, 'gui') : join(tmpdir(), 'causeway-it-gui');
const CALLS = 20;
const DENIED_CALLS = 4;

describe.skipIf(SKIP !== undefined)('the GUI in headless Chromium against global + two zones with traffic', () => {
  const env = new TestEnv();
  let topo: MultiZoneTopology;
  let api: CausewayClient;
  let ext: FakeExternal;
  let web: Sidecar;
  let other: Sidecar;
  let webPort = 0;
  let otherPort = 0;
  let browser: Browser;
  let page: Page;
  const errors: string[] = [];

  const zone = (z: string) => topo.zones[z] as MultiZoneTopology['zones'][string];
  const shot = async (name: string) => {
    await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
  };

  beforeAll(async () => {
    topo = await startMultiZone(env, ['zone-1', 'zone-2'], 'gui', { zoneArgs: ['--traffic-insights-interval', '1s'] });
    api = topo.api;
    ext = await startHttpExternal('ext-zone-2', harnessProcesses);
    env.onTeardown(() => ext.close());
    const docs = [
      { type: 'Mesh', name: 'default', mtls: { enabledBackend: 'ca-1', backends: [{ name: 'ca-1', type: 'builtin' }] }, routing: { zoneEgress: true } },
      { type: 'MeshTrafficPermission', mesh: 'default', name: 'allow-all', spec: { targetRef: { kind: 'Mesh' }, from: [{ targetRef: { kind: 'Mesh' }, default: { action: 'Allow' } }] } },
      // only web may call the ExternalService: other's calls are refused by zone-2's egress (403)
      {
        type: 'MeshTrafficPermission',
        mesh: 'default',
        name: 'httpbin-web-only',
        spec: {
          targetRef: { kind: 'MeshService', name: 'httpbin' },
          from: [
            { targetRef: { kind: 'Mesh' }, default: { action: 'Deny' } },
            { targetRef: { kind: 'MeshService', name: 'web' }, default: { action: 'Allow' } },
          ],
        },
      },
      // Kuma's docs: an ExternalService only zone-2 may reach (the address is the local server's)
      {
        type: 'ExternalService',
        mesh: 'default',
        name: 'httpbin-only-in-zone-2',
        tags: { 'kuma.io/service': 'httpbin', 'kuma.io/protocol': 'http', 'kuma.io/zone': 'zone-2' },
        networking: { address: ext.address },
      },
    ];
    for (const d of docs) await api.put(decodeResource(d));
    for (const z of ['zone-1', 'zone-2']) {
      await eventually(() => zone(z).api.get('ExternalService', 'default', 'httpbin-only-in-zone-2'), `the ExternalService in ${z}`, 30_000);
      await eventually(() => zone(z).api.get('Secret', 'default', 'default.ca-builtin-cert-ca-1'), `the mesh CA in ${z}`, 30_000);
      for (const mtp of ['allow-all', 'httpbin-web-only']) await eventually(() => zone(z).api.get('MeshTrafficPermission', 'default', mtp), `${mtp} in ${z}`, 30_000);
    }
    await eventually(async () => {
      const zi = await api.get('ZoneIngress', undefined, 'ingress-2.zone-2');
      expect(JSON.stringify(zi.spec)).toContain('"kuma.io/service":"httpbin"');
    }, "zone-2's ingress offers httpbin (relayed by global)", 30_000);
    // one outbound port each (two sidecars on one host would share the VIP); freePort never repeats a port
    [webPort, otherPort] = [await freePort(), await freePort()];
    web = await startSidecar(env, zone('zone-1'), { mesh: 'default', name: 'web', outbound: [{ port: webPort, service: 'httpbin' }] });
    other = await startSidecar(env, zone('zone-1'), { mesh: 'default', name: 'other', outbound: [{ port: otherPort, service: 'httpbin' }] });

    mkdirSync(SHOTS, { recursive: true });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
    env.onTeardown(() => browser.close());
    page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(`console: ${m.text()}`);
    });
    page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
    page.setDefaultTimeout(20_000);
  }, 240_000);

  afterEach((ctx) => {
    if (ctx.task.result?.state === 'fail') console.error(`${ctx.task.name} failed; console errors: ${JSON.stringify(errors)}; process logs:\n${env.dumpLogs()}`);
  });

  afterAll(async () => {
    console.log(`[gui] screenshots in ${SHOTS}`);
    await env.teardown();
  });

  it("signs in with global's admin token: the overview shows both zones online", async () => {
    await page.goto(`${topo.global.url}/gui/`);
    await page.getByLabel('Admin token').fill(readFileSync(topo.global.tokenFile, 'utf8').trim());
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    await page.locator('[data-zone="zone-2"]').waitFor();
    const overview = (await page.locator('main').textContent()) ?? '';
    expect(overview).toMatch(/zone-1\s*Online/);
    expect(overview).toMatch(/zone-2\s*Online/);
    await shot('1-overview');
    expect(errors).toEqual([]);
  }, 60_000);

  it('the path view draws the four hops from zone-1 to the address', async () => {
    await page.goto(`${topo.global.url}/gui/meshes/default/external-services/httpbin-only-in-zone-2`);
    await page.getByRole('heading', { name: 'Path from each zone' }).waitFor();
    const z1 = page.locator('.zone-path[data-zone="zone-1"]');
    const hops = await z1.locator('[data-hop]').evaluateAll((els) => els.map((e) => e.getAttribute('data-hop')));
    expect(hops).toEqual(['sidecar', 'zone-egress', 'zone-ingress', 'zone-egress', 'external']);
    const path = (await z1.textContent()) ?? '';
    for (const t of ['egress-1.zone-1', 'ingress-2.zone-2', 'egress-2.zone-2', ext.address, 'path complete']) expect(path).toContain(t);
    // the order on the page is the order of the hops
    const at = ['egress-1.zone-1', 'ingress-2.zone-2', 'egress-2.zone-2', ext.address].map((t) => path.indexOf(t));
    expect([...at].sort((a, b) => a - b)).toEqual(at);
    await shot('2-path');
    expect(errors).toEqual([]);
  }, 60_000);

  it(`after ${CALLS} calls the traffic numbers and charts show them; the denied caller is denied in the callers graph`, async () => {
    // the first 200: the config reached every hop of the cross-zone path (not counted in the 20)
    await eventually(
      async () => {
        const r = await appGet(web.proxy, `http://127.0.0.1:${webPort}/warm-up`);
        if (r.status !== 200) throw new Error(`${r.status} ${r.error ?? r.body}`);
      },
      'web -> egress-1 -> ingress-2 -> egress-2 -> the service',
      60_000,
      250,
    );
    for (let i = 0; i < CALLS; i++) {
      const r = await appGet(web.proxy, `http://127.0.0.1:${webPort}/call/${i}`);
      expect(r.status, r.body).toBe(200);
    }
    for (let i = 0; i < DENIED_CALLS; i++) expect((await appGet(other.proxy, `http://127.0.0.1:${otherPort}/denied/${i}`)).status).toBe(403);
    // the insights reached global (the page refreshes every 10 s; reloading is quicker)
    await eventually(
      async () => {
        const c = await api.getJson<ExternalServiceCallers>('/meshes/default/external-services/httpbin-only-in-zone-2/callers');
        const by = Object.fromEntries(c.items.map((i) => [i.service, i['5m']]));
        expect(by.web?.responses['2xx']).toBeGreaterThanOrEqual(CALLS + 1);
        expect(by.other?.forbidden).toBe(DENIED_CALLS);
        // zone-2's egress insight too (its RBAC denials), which may come after zone-1's
        const s = await api.getJson<ExternalServiceStats>('/meshes/default/external-services/httpbin-only-in-zone-2/stats');
        expect(s.total['5m']).toMatchObject({ rbacDenied: DENIED_CALLS });
        expect(s.zones.find((z) => z.zone === 'zone-2')?.egresses['5m'].requests).toBeGreaterThanOrEqual(CALLS + 1);
      },
      "global's stats and callers of the ExternalService (zone-1's sidecars, zone-2's egress)",
      30_000,
      250,
    );

    await page.reload();
    await page.getByRole('heading', { name: 'Traffic, last hour' }).waitFor();
    const traffic = page.locator('#traffic');
    await traffic.locator('.charts').waitFor();
    // the 5m tiles: every request the sidecars made (web's 21+ and other's 4), other's 4 denied
    const tile = (window: string, label: string) =>
      traffic
        .locator('.tile-row', { has: page.locator('.tile-window', { hasText: `last ${window}` }) })
        .locator('.tile', { has: page.locator('span', { hasText: new RegExp(`^${label}$`) }) })
        .locator('strong');
    expect(Number(await tile('5m', 'requests').textContent())).toBeGreaterThanOrEqual(CALLS + 1 + DENIED_CALLS);
    expect(await tile('5m', 'denied').textContent()).toBe(String(DENIED_CALLS));
    // three charts with data (uPlot canvases), none empty
    expect(await traffic.locator('.chart .chart-canvas canvas').count()).toBeGreaterThanOrEqual(3);
    expect(await traffic.locator('.chart-empty').count()).toBe(0);
    expect(await traffic.locator('.chart-now').first().textContent()).toMatch(/^now /);
    // per zone: zone-1's sidecars' calls, zone-2's egress denials
    const zoneRow = (z: string) => traffic.locator('tbody tr', { has: page.locator('td strong', { hasText: z }) });
    expect((await zoneRow('zone-1').textContent()) ?? '').toMatch(/\((2[5-9]|[3-9]\d)\)/);
    await traffic.screenshot({ path: join(SHOTS, '3-traffic.png') });

    // the callers graph: web's edge allowed, other's denied (every request of it)
    const graph = page.locator('#callers svg.graph');
    await graph.waitFor();
    const edges = await graph.evaluate((svg) => {
      const callers = [...svg.querySelectorAll('g.g-caller')].map((g) => {
        const rect = g.querySelector('rect');
        return { label: g.querySelector('.g-label')?.textContent ?? '', y: Number(rect?.getAttribute('y')), h: Number(rect?.getAttribute('height')) };
      });
      return [...svg.querySelectorAll('g.g-edge')].map((g) => {
        const y1 = Number((g.querySelector('path')?.getAttribute('d') ?? '').split(' ')[2]);
        return { from: callers.find((c) => y1 >= c.y && y1 <= c.y + c.h)?.label, class: g.getAttribute('class'), text: g.querySelector('text')?.textContent ?? '' };
      });
    });
    expect(edges.map((e) => e.from).sort()).toEqual(['other', 'web']);
    const denied = edges.find((e) => e.from === 'other');
    const allowed = edges.find((e) => e.from === 'web');
    expect(denied?.class).toBe('g-edge denied');
    expect(denied?.text).toContain(`${DENIED_CALLS} denied`);
    expect(allowed?.class).toBe('g-edge');
    expect(allowed?.text).not.toContain('denied');
    await page.locator('#callers').screenshot({ path: join(SHOTS, '4-callers.png') });
    await shot('5-external-service');
    expect(errors).toEqual([]);
  }, 120_000);

  it("zone-2's control plane stopped: the overview shows zone-2 offline within 30 s", async () => {
    await page.goto(`${topo.global.url}/gui/`);
    await page.locator('[data-zone="zone-2"]').waitFor();
    await zone('zone-2').cp.stop();
    const stopped = Date.now();
    const row = page.locator('tr', { has: page.locator('[data-zone="zone-2"]') });
    // the overview refreshes itself every 5 s: no reload
    await row.getByText('Offline', { exact: true }).waitFor({ timeout: 30_000 });
    console.log(`[gui] zone-2 offline in the overview ${Date.now() - stopped} ms after its control plane stopped`);
    expect((await page.locator('tr', { has: page.locator('[data-zone="zone-1"]') }).textContent()) ?? '').toContain('Online');
    await shot('6-zone-2-offline');
    expect(errors).toEqual([]);
  }, 60_000);
});
