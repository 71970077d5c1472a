/**
 * Smoke test in a real browser: the built GUI served by a global control plane's API, loaded in headless
 * Chromium (Debian's `chromium`, driven by playwright-core; no browser is downloaded). Skipped, with the
 * reason printed, when no Chromium is installed (`apt-get install -y chromium`) or the app is not built.
 * Screenshots go to $TMPDIR/causeway-gui-smoke/ (outside git).
 */
import { existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApi } from '@causeway/api';
import type { Resource } from '@causeway/core';
import { openStore, type ResourceStore } from '@causeway/store';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GUI_ROOT, guiRoutes } from './index.js';

const TOKEN = 'gui-smoke-admin-token-0123456789';
const CHROMIUM = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p): p is string => !!p && existsSync(p));
const BUILT = existsSync(join(GUI_ROOT, 'index.html'));
const SKIP = !CHROMIUM ? 'no Chromium installed (apt-get install -y chromium, or CHROMIUM_PATH)' : !BUILT ? `the GUI is not built (${GUI_ROOT})` : undefined;
if (SKIP) console.warn(`[gui browser smoke test] skipped: ${SKIP}`);
const SHOTS = join(tmpdir(), 'causeway-gui-smoke');

function zoneResource(type: 'ZoneIngress' | 'ZoneEgress', name: string, zone: string, port: number): Resource {
  return { type, name, labels: { 'causeway.io/zone': zone }, spec: { zone, networking: { address: '127.0.0.1', port } }, version: 0 } as Resource;
}

describe.skipIf(SKIP !== undefined)('the GUI in headless Chromium', () => {
  let store: ResourceStore;
  let app: FastifyInstance;
  let browser: Browser;
  let base: string;
  const errors: string[] = [];

  beforeAll(async () => {
    store = await openStore();
    app = await buildApi({ store, mode: 'global', adminToken: TOKEN, logger: pino({ level: 'silent' }), version: '0.0.0-smoke', instanceId: 'smoke' });
    await app.register(guiRoutes);
    await app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
    const auth = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
    const put = async (path: string, body: unknown) => {
      const r = await fetch(`${base}${path}`, { method: 'PUT', headers: auth, body: JSON.stringify(body) });
      expect(r.status, `${path}: ${await r.clone().text()}`).toBeLessThan(300);
    };
    await put('/meshes/default', { type: 'Mesh', name: 'default', mtls: { enabledBackend: 'ca-1', backends: [{ name: 'ca-1', type: 'builtin' }] }, routing: { zoneEgress: true } });
    await put('/meshes/default/external-services/httpbin-only-in-zone-2', {
      type: 'ExternalService',
      mesh: 'default',
      name: 'httpbin-only-in-zone-2',
      tags: { 'kuma.io/service': 'httpbin', 'kuma.io/protocol': 'http', 'kuma.io/zone': 'zone-2' },
      networking: { address: 'httpbin.org:80' },
    });
    await put('/meshes/default/meshtrafficpermissions/allow-all', { type: 'MeshTrafficPermission', mesh: 'default', name: 'allow-all', spec: { from: [{ targetRef: { kind: 'Mesh' }, default: { action: 'Allow' } }] } });
    // What the zones' sync writes at global: zones with a fresh heartbeat, their ingress and egress.
    for (const zone of ['zone-1', 'zone-2']) {
      await store.create({ type: 'Zone', name: zone, labels: {}, spec: { enabled: true }, version: 0 } as Resource);
      await store.upsert({ type: 'ZoneInsight', name: zone, labels: {}, spec: { heartbeatTime: new Date().toISOString(), heartbeatInterval: '5s', controlPlaneVersion: '0.0.0-smoke', connectedProxies: 2 }, version: 0 } as Resource);
      const n = zone.slice(-1);
      await store.upsert(zoneResource('ZoneIngress', `ingress-${n}.${zone}`, zone, 10000 + Number(n)), { origin: 'zone', zone, replicated: true });
      await store.upsert(zoneResource('ZoneEgress', `egress-${n}.${zone}`, zone, 10010 + Number(n)), { origin: 'zone', zone, replicated: true });
    }
    mkdirSync(SHOTS, { recursive: true });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await store?.close();
  });

  it('signs in with the admin token and shows the overview, the ExternalService path and designed empty states, with no console error', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(e.message));
    page.setDefaultTimeout(20_000);

    await page.goto(`${base}/gui/`);
    await page.getByLabel('Admin token').waitFor();
    await page.getByLabel('Admin token').fill('not-the-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('This is not the admin token of this control plane.').waitFor();

    await page.getByLabel('Admin token').fill(TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    await page.locator('[data-zone="zone-1"]').waitFor();
    const overview = (await page.locator('main').textContent()) ?? '';
    expect(overview).toContain('Zones online');
    expect(overview).toMatch(/zone-1\s*Online/);
    expect(overview).toMatch(/zone-2\s*Online/);
    await page.screenshot({ path: join(SHOTS, 'overview.png'), fullPage: true });

    // A client-side route loaded directly (the server answers the app); still signed in (session storage).
    await page.goto(`${base}/gui/meshes/default/external-services/httpbin-only-in-zone-2`);
    await page.getByRole('heading', { name: 'Path from each zone' }).waitFor();
    const hops = await page.locator('.zone-path[data-zone="zone-1"] [data-hop]').evaluateAll((els) => els.map((e) => e.getAttribute('data-hop')));
    expect(hops).toEqual(['sidecar', 'zone-egress', 'zone-ingress', 'zone-egress', 'external']);
    const path = (await page.locator('.zone-path[data-zone="zone-1"]').textContent()) ?? '';
    for (const t of ['egress-1.zone-1', 'ingress-2.zone-2', 'egress-2.zone-2', 'httpbin.org:80', 'path complete']) expect(path).toContain(t);
    // No traffic yet, no dataplane: designed empty states, not blanks.
    await page.getByText('No calls in the last hour').waitFor();
    await page.getByText('No service has called it in the last hour').waitFor();
    await page.getByText('No dataplane in this mesh').waitFor();
    await page.screenshot({ path: join(SHOTS, 'external-service.png'), fullPage: true });

    // An unknown view and sign-out.
    await page.goto(`${base}/gui/nothing/here`);
    await page.getByText('No page at /gui/nothing/here').waitFor();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Admin token').waitFor();

    expect(errors).toEqual([]);
    console.log(`[gui browser smoke test] screenshots in ${SHOTS}`);
  }, 120_000);
});
