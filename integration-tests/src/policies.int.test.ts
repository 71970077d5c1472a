/**
 * Issue 8 with real processes and real traffic: global + two zones over NATS, `causeway-dp` sidecars,
 * ZoneEgresses and a ZoneIngress, ExternalServices served on loopback by this test.
 * - MeshTrafficPermission at the ZoneEgress: web may call "ext" (same zone) and "ext2" (owned by zone-2:
 *   web -> egress-1 -> ingress-2 -> egress-2 -> ext2); "other" gets 403 from the egress for both.
 * - MeshTimeout: a 3 s request timeout to a server that answers after 6 s gives 504 after ~3 s.
 * - MeshRetry: a server that fails 2 requests of 3 (503) answers every call through retries.
 */
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CausewayClient } from '@causeway/client';
import { decodeResource } from '@causeway/core';
import { generateNatsConfig } from '@causeway/sync';
import { freePort, type NatsServer, startNatsServer } from '@causeway/sync/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type ControlPlaneProcess, eventually, TestEnv } from './harness.js';

interface Reply {
  status: number;
  body: string;
  ms: number;
}

/** One HTTP request to a sidecar's outbound port (status 0: the connection failed). */
function call(port: number, host: string, path = '/'): Promise<Reply> {
  const start = Date.now();
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { host }, agent: false }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => {
        body += c.toString();
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, ms: Date.now() - start }));
    });
    req.setTimeout(20_000, () => req.destroy(new Error('client timeout')));
    req.on('error', (e) => resolve({ status: 0, body: e.message, ms: Date.now() - start }));
    req.end();
  });
}

async function listen(handler: Parameters<typeof createServer>[1]): Promise<{ server: Server; port: number }> {
  const server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { server, port: (server.address() as AddressInfo).port };
}

describe('traffic policies with real proxies (MeshTrafficPermission, MeshTimeout, MeshRetry)', () => {
  const env = new TestEnv();
  let nats: NatsServer;
  let api: CausewayClient;
  let globalUrl: string;
  const zones: Record<string, ControlPlaneProcess> = {};
  const servers: Server[] = [];
  const ports: Record<string, number> = {};
  let flakyHits = 0;

  const startProxy = async (name: string, zone: string, mode: 'sidecar' | 'ingress' | 'egress', resource: Record<string, unknown>) => {
    const p = env.proxy(name, { mode, zone: zones[zone] as ControlPlaneProcess, resource });
    await p.start();
    return p;
  };

  beforeAll(async () => {
    // The external servers.
    const ok = await listen((_req, res) => res.end('ok from ext'));
    const ok2 = await listen((_req, res) => res.end('ok from ext2 (zone-2)'));
    const slow = await listen((_req, res) => {
      setTimeout(() => res.end('too late'), 6000).unref();
    });
    const flaky = await listen((_req, res) => {
      flakyHits++;
      if (flakyHits % 3 !== 0) {
        res.statusCode = 503;
        res.end('flaky failure');
      } else res.end('flaky success');
    });
    for (const s of [ok, ok2, slow, flaky]) servers.push(s.server);

    const gen = generateNatsConfig({ zones: ['zone-1', 'zone-2'] });
    nats = await startNatsServer({ config: gen.config });
    env.onTeardown(() => nats.dispose());
    const global = env.controlPlane('pol-global', ['--mode', 'global', '--data-dir', env.tempDir('causeway-it-pol-global-')], { nats: { url: nats.url, ...gen.global } });
    await global.start();
    api = global.client();
    globalUrl = global.url;
    for (const z of ['zone-1', 'zone-2']) {
      const cred = gen.zones[z];
      if (!cred) throw new Error(z);
      zones[z] = env.controlPlane(`pol-${z}`, ['--mode', 'zone', '--zone', z, '--data-dir', env.tempDir(`causeway-it-pol-${z}-`)], { nats: { url: nats.url, ...cred } });
    }
    await Promise.all(Object.values(zones).map((z) => z.start()));

    const es = (name: string, port: number, extra: Record<string, string> = {}) => ({
      type: 'ExternalService',
      mesh: 'default',
      name,
      tags: { 'kuma.io/service': name, 'kuma.io/protocol': 'http', ...extra },
      networking: { address: `127.0.0.1:${port}` },
    });
    const webOnly = (service: string) => ({
      type: 'MeshTrafficPermission',
      mesh: 'default',
      name: `${service}-web-only`,
      spec: {
        targetRef: { kind: 'MeshService', name: service },
        from: [
          { targetRef: { kind: 'Mesh' }, default: { action: 'Deny' } },
          { targetRef: { kind: 'MeshService', name: 'web' }, default: { action: 'Allow' } },
        ],
      },
    });
    const docs = [
      {
        type: 'Mesh',
        name: 'default',
        mtls: { enabledBackend: 'ca-1', backends: [{ name: 'ca-1', type: 'builtin' }] },
        routing: { zoneEgress: true },
        networking: { outbound: { passthrough: false } },
      },
      es('ext', ok.port),
      es('ext2', ok2.port, { 'kuma.io/zone': 'zone-2' }),
      es('slow', slow.port),
      es('flaky', flaky.port),
      // Everything may call everything (mTLS on: nothing flows without a permission) ...
      { type: 'MeshTrafficPermission', mesh: 'default', name: 'allow-all', spec: { targetRef: { kind: 'Mesh' }, from: [{ targetRef: { kind: 'Mesh' }, default: { action: 'Allow' } }] } },
      // ... but only web may call ext and ext2 (MeshService targetRef: higher precedence).
      webOnly('ext'),
      webOnly('ext2'),
      {
        type: 'MeshTimeout',
        mesh: 'default',
        name: 'slow-3s',
        spec: { targetRef: { kind: 'Mesh' }, to: [{ targetRef: { kind: 'MeshService', name: 'slow' }, default: { http: { requestTimeout: '3s' } } }] },
      },
      {
        type: 'MeshRetry',
        mesh: 'default',
        name: 'flaky-retries',
        spec: { targetRef: { kind: 'Mesh' }, to: [{ targetRef: { kind: 'MeshService', name: 'flaky' }, default: { http: { numRetries: 3, retryOn: ['503'] } } }] },
      },
    ];
    for (const d of docs) await api.put(decodeResource(d));
    await eventually(() => (zones['zone-1'] as ControlPlaneProcess).client().get('Secret', 'default', 'default.ca-builtin-cert-ca-1'), 'mesh CA in zone-1', 30_000);
    await eventually(() => (zones['zone-2'] as ControlPlaneProcess).client().get('MeshRetry', 'default', 'flaky-retries'), 'policies in zone-2', 30_000);

    for (const k of ['web:ext', 'web:ext2', 'web:slow', 'web:flaky', 'other:ext', 'other:ext2', 'web:in', 'other:in', 'egress-1', 'egress-2', 'ingress-2']) ports[k] = await freePort();
    await startProxy('ingress-2', 'zone-2', 'ingress', { type: 'ZoneIngress', name: 'ingress-2', networking: { address: '127.0.0.1', port: ports['ingress-2'] } });
    await startProxy('egress-2', 'zone-2', 'egress', { type: 'ZoneEgress', name: 'egress-2', networking: { address: '127.0.0.1', port: ports['egress-2'] } });
    await startProxy('egress-1', 'zone-1', 'egress', { type: 'ZoneEgress', name: 'egress-1', networking: { address: '127.0.0.1', port: ports['egress-1'] } });
    const sidecar = (service: string, address: string, targets: string[]) => ({
      type: 'Dataplane',
      mesh: 'default',
      name: `${service}-1`,
      networking: {
        address,
        inbound: [{ port: ports[`${service}:in`], servicePort: 1, tags: { 'kuma.io/service': service, 'kuma.io/protocol': 'http' } }],
        outbound: targets.map((t) => ({ port: ports[`${service}:${t}`], tags: { 'kuma.io/service': t } })),
      },
    });
    await startProxy('web-1', 'zone-1', 'sidecar', sidecar('web', '127.0.0.51', ['ext', 'ext2', 'slow', 'flaky']));
    await startProxy('other-1', 'zone-1', 'sidecar', sidecar('other', '127.0.0.52', ['ext', 'ext2']));
  }, 150_000);

  afterEach((ctx) => {
    if (ctx.task.result?.state === 'fail')
      console.error(`${ctx.task.name} failed; process logs:\n${env.dumpLogs()}`);
  });

  afterAll(async () => {
    for (const s of servers) s.close();
    await env.teardown();
  });

  it('a permitted caller reaches an ExternalService through its zone egress; a denied one gets 403 from the egress', async () => {
    await eventually(async () => {
      const r = await call(ports['web:ext'] as number, 'ext');
      expect(r).toMatchObject({ status: 200, body: 'ok from ext' });
    }, 'web -> ext through egress-1', 45_000, 500);
    const denied = await eventually(async () => {
      const r = await call(ports['other:ext'] as number, 'ext');
      expect(r.status).toBe(403);
      return r;
    }, 'other -> ext refused by egress-1', 30_000, 500);
    expect(denied.body).toMatch(/RBAC|denied/i);
  }, 90_000);

  it('enforces the permission at the egress of the zone that owns the ExternalService (cross-zone)', async () => {
    await eventually(async () => {
      const r = await call(ports['web:ext2'] as number, 'ext2');
      expect(r).toMatchObject({ status: 200, body: 'ok from ext2 (zone-2)' });
    }, 'web -> egress-1 -> ingress-2 -> egress-2 -> ext2', 60_000, 500);
    await eventually(async () => {
      expect((await call(ports['other:ext2'] as number, 'ext2')).status).toBe(403);
    }, 'other -> ext2 refused by egress-2', 30_000, 500);
  }, 120_000);

  it('a MeshTrafficPermission from a zone (MeshSubset kuma.io/zone) matches the callers of that zone: the zone tags every inbound and certificate', async () => {
    // The zone stored web-1 with kuma.io/zone on its inbound (Kuma's zone control plane does the same).
    const web = await (zones['zone-1'] as ControlPlaneProcess).client().get('Dataplane', 'default', 'web-1');
    expect(web?.spec.networking.inbound?.[0]?.tags).toMatchObject({ 'kuma.io/service': 'web', 'kuma.io/zone': 'zone-1' });
    const fromZone = (zone: string) =>
      decodeResource({
        type: 'MeshTrafficPermission',
        mesh: 'default',
        name: 'ext-web-only',
        spec: {
          targetRef: { kind: 'MeshService', name: 'ext' },
          from: [
            { targetRef: { kind: 'Mesh' }, default: { action: 'Deny' } },
            { targetRef: { kind: 'MeshSubset', tags: { 'kuma.io/zone': zone } }, default: { action: 'Allow' } },
          ],
        },
      });
    try {
      // From zone-1: other-1 (zone-1, refused until now) gets through.
      await api.put(fromZone('zone-1'));
      await eventually(async () => expect(await call(ports['other:ext'] as number, 'ext')).toMatchObject({ status: 200, body: 'ok from ext' }), 'other (zone-1) -> ext allowed', 30_000, 500);
      // From zone-2 only: web-1 (zone-1) is refused.
      await api.put(fromZone('zone-2'));
      await eventually(async () => expect((await call(ports['web:ext'] as number, 'ext')).status).toBe(403), 'web (zone-1) -> ext refused', 30_000, 500);
    } finally {
      await api.put(
        decodeResource({
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
        }),
      );
    }
    await eventually(async () => expect((await call(ports['web:ext'] as number, 'ext')).status).toBe(200), 'web -> ext allowed again', 30_000, 500);
  }, 120_000);

  it('a 3 s MeshTimeout gives 504 after about 3 s against a server that answers after 6 s', async () => {
    // The outbound is up (the timeout is the only thing that can answer before 6 s).
    const r = await eventually(async () => {
      const x = await call(ports['web:slow'] as number, 'slow');
      expect(x.status).toBe(504);
      return x;
    }, 'web -> slow times out', 45_000, 500);
    expect(r.body).toContain('upstream request timeout');
    expect(r.ms).toBeGreaterThanOrEqual(2800);
    expect(r.ms).toBeLessThan(5000);
  }, 90_000);

  it('MeshRetry turns a server that fails 2 requests of 3 into successes', async () => {
    await eventually(async () => {
      expect((await call(ports['web:flaky'] as number, 'flaky')).status).toBe(200);
    }, 'web -> flaky configured', 45_000, 500);
    const before = flakyHits;
    const replies: Reply[] = [];
    for (let i = 0; i < 10; i++) replies.push(await call(ports['web:flaky'] as number, 'flaky', `/r/${i}`));
    expect(replies.map((r) => r.status)).toEqual(Array(10).fill(200));
    // Each call took up to three attempts at the server (two 503s, then the success).
    expect(flakyHits - before).toBeGreaterThanOrEqual(25);
  }, 90_000);

  it('the zone API explains which policies apply to a dataplane', async () => {
    const body = await (zones['zone-1'] as ControlPlaneProcess).client().getJson<{ policies: { type: string; outbounds: { name: string; result: unknown }[] }[] }>(
      '/meshes/default/dataplanes/other-1/policies',
    );
    const mtp = body.policies.find((p) => p.type === 'MeshTrafficPermission');
    expect(mtp?.outbounds.find((o) => o.name === 'ext')?.result).toMatchObject({ allowed: false, decidedBy: 'ext-web-only from[0] (Deny)', enforcement: 'enforced by the ZoneEgress' });
    // other-1 reaches slow too (builtin DNS VIPs for every service): the Mesh-wide MeshTimeout applies there.
    const timeout = body.policies.find((p) => p.type === 'MeshTimeout');
    expect(timeout?.outbounds.map((o) => [o.name, o.result])).toEqual([['slow', { http: { requestTimeout: '3s' } }]]);
  });

  it('global answers the same reads by the global name (web-1.zone-1), forwarded over NATS to the zone that owns the proxy', async () => {
    const global = api;
    const viaGlobal = await eventually(
      () => global.getJson<{ policies: { type: string; outbounds: { name: string; result: unknown }[] }[] }>('/meshes/default/dataplanes/other-1.zone-1/policies'),
      'policies of other-1 at global',
      30_000,
      500,
    );
    const atZone = await (zones['zone-1'] as ControlPlaneProcess).client().getJson('/meshes/default/dataplanes/other-1/policies');
    expect(viaGlobal).toEqual(atZone);
    const dump = await global.getJson<{ configs: { '@type': string }[] }>('/meshes/default/dataplanes/web-1.zone-1/xds');
    expect(dump.configs.map((c) => c['@type'])).toContain('type.googleapis.com/envoy.admin.v3.ListenersConfigDump');
    const egress = await global.getJson<{ configs: unknown[] }>('/zoneegresses/egress-1.zone-1/xds');
    expect(egress.configs.length).toBeGreaterThan(0);
    // A proxy global does not know: 404; secrets only with the admin token.
    await expect(global.getJson('/meshes/default/dataplanes/nobody.zone-1/xds')).rejects.toThrow(/404|not found/i);
    const anonymous = await fetch(`${globalUrl}/meshes/default/dataplanes/web-1.zone-1/xds?includeSecrets=true`);
    expect(anonymous.status).toBe(401);
  });
});
