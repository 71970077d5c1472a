import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApi } from '@causeway/api';
import { openStore, type ResourceStore } from '@causeway/store';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GUI_CSP, GUI_ROOT, guiRoutes } from './index.js';

/** The API of a control plane with the GUI registered the way causeway-cp's run.ts does. */
async function startApi(store: ResourceStore, mode: 'global' | 'zone', root?: string): Promise<FastifyInstance> {
  const app = await buildApi({
    store,
    mode,
    ...(mode === 'zone' ? { zone: 'zone-1' } : {}),
    adminToken: 'admin-token',
    logger: pino({ level: 'silent' }),
    version: '0.0.0-test',
    instanceId: 'test',
  });
  await app.register(guiRoutes, root ? { root } : {});
  await app.ready();
  return app;
}

/** A stand-in build: index.html and one hashed asset, as `vite build` lays them out. */
function fakeBuild(): string {
  const root = mkdtempSync(join(tmpdir(), 'causeway-gui-'));
  mkdirSync(join(root, 'assets'));
  writeFileSync(join(root, 'index.html'), '<!doctype html><title>Causeway</title><script type="module" src="/gui/assets/index-abc123.js"></script>');
  writeFileSync(join(root, 'assets', 'index-abc123.js'), 'console.log("causeway gui")');
  writeFileSync(join(root, 'assets', 'index-abc123.css'), 'body{}');
  return root;
}

describe('the GUI at /gui', () => {
  let store: ResourceStore;
  const roots: string[] = [];
  beforeAll(async () => {
    store = await openStore();
  });
  afterAll(async () => {
    await store?.close();
    for (const r of roots) rmSync(r, { recursive: true, force: true });
  });

  for (const mode of ['global', 'zone'] as const) {
    it(`serves index.html, assets with their content types and the client-side routes (${mode})`, async () => {
      const root = fakeBuild();
      roots.push(root);
      const app = await startApi(store, mode, root);
      try {
        for (const url of ['/gui', '/gui/']) expect((await app.inject({ method: 'GET', url })).statusCode, url).toBe(200);
        const index = await app.inject({ method: 'GET', url: '/gui/' });
        expect(index.statusCode).toBe(200);
        expect(index.headers['content-type']).toBe('text/html; charset=utf-8');
        expect(index.headers['cache-control']).toBe('no-cache');
        expect(index.headers['content-security-policy']).toBe(GUI_CSP);
        expect(index.body).toContain('/gui/assets/index-abc123.js');

        const js = await app.inject({ method: 'GET', url: '/gui/assets/index-abc123.js' });
        expect(js.statusCode).toBe(200);
        expect(js.headers['content-type']).toMatch(/^(text|application)\/javascript/);
        expect(js.headers['cache-control']).toContain('immutable');
        expect(js.body).toContain('causeway gui');
        const css = await app.inject({ method: 'GET', url: '/gui/assets/index-abc123.css' });
        expect(css.headers['content-type']).toMatch(/^text\/css/);

        // Client-side routes get the app, so a reload or a shared link opens the same view.
        for (const url of ['/gui/meshes/default/external-services/httpbin', '/gui/zone-egresses/egress-1?x=1', '/gui/meshes/default/dataplanes/web%201']) {
          const spa = await app.inject({ method: 'GET', url });
          expect(spa.statusCode, url).toBe(200);
          expect(spa.headers['content-type'], url).toBe('text/html; charset=utf-8');
          expect(spa.body, url).toContain('<title>Causeway</title>');
        }
        // A missing file is a 404 in the API's error shape, never the app in place of a script.
        for (const url of ['/gui/assets/index-old999.js', '/gui/favicon.ico']) {
          const missing = await app.inject({ method: 'GET', url });
          expect(missing.statusCode, url).toBe(404);
          expect(missing.json(), url).toMatchObject({ title: 'Not found' });
        }
        // No token is needed to load the app; the API around it is unchanged.
        expect((await app.inject({ method: 'GET', url: '/' })).json()).toMatchObject({ mode });
        expect((await app.inject({ method: 'GET', url: '/global-secrets' })).statusCode).toBe(401);
        expect((await app.inject({ method: 'GET', url: '/no-such-route' })).statusCode).toBe(404);
        // The GUI's routes stay out of the OpenAPI document.
        const paths = Object.keys((await app.inject({ method: 'GET', url: '/openapi.json' })).json().paths);
        expect(paths.filter((p) => p.startsWith('/gui'))).toEqual([]);
      } finally {
        await app.close();
      }
    });
  }

  it('answers 503 naming the missing build when the app was not built', async () => {
    const app = await startApi(store, 'global', join(tmpdir(), 'causeway-gui-not-built-here'));
    try {
      const res = await app.inject({ method: 'GET', url: '/gui/meshes' });
      expect(res.statusCode).toBe(503);
      expect(res.json().details).toContain('npm run build');
    } finally {
      await app.close();
    }
  });

  it('serves the real build (dist/app) when it exists: its index.html names its hashed script', async (ctx) => {
    let files: string[];
    try {
      files = readdirSync(join(GUI_ROOT, 'assets'));
    } catch {
      ctx.skip();
      return;
    }
    const app = await startApi(store, 'global');
    try {
      const index = await app.inject({ method: 'GET', url: '/gui/' });
      const script = /src="(\/gui\/assets\/[^"]+\.js)"/.exec(index.body)?.[1];
      expect(script, index.body).toBeDefined();
      expect(files).toContain(script?.split('/').pop());
      const js = await app.inject({ method: 'GET', url: script as string });
      expect(js.statusCode).toBe(200);
      expect(js.headers['content-type']).toMatch(/javascript/);
    } finally {
      await app.close();
    }
  });
});
