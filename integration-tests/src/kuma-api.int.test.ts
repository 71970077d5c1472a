/**
 * Issue 19, item 3: Kuma's inspect API at global for a zone's proxy. A global control plane, one zone and
 * one real causeway-dp sidecar ("web" in zone-1): global answers the proxy's `stats` and `clusters` (read
 * by the zone from the proxy's admin endpoint, forwarded over NATS), Kuma's `_rules` (built by the zone
 * from its `/policies`), under the global name `web.zone-1` and the zone's name `web`; its
 * `service-insights` (from the synced Dataplane and DataplaneInsight) and a policy's
 * `_resources/dataplanes` list the proxy; Kuma's `_config` (the config zone-1 computes for it, `{xds}`).
 * Zone tokens issued at global (item 4): a real ZoneEgress connects to zone-1 with one; one issued for
 * zone-2 is refused there.
 */
import type { CausewayClient } from '@causeway/client';
import { decodeResource } from '@causeway/core';
import { freePort } from '@causeway/sync/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { eventually, type MultiZoneTopology, type Sidecar, startMultiZone, startSidecar, TestEnv } from './harness.js';

describe("Kuma's inspect API at global for a zone's proxy (stats, clusters, _rules, service insights)", () => {
  const env = new TestEnv();
  let topo: MultiZoneTopology;
  let api: CausewayClient;
  let web: Sidecar;
  const zone1 = () => topo.zones['zone-1'] as MultiZoneTopology['zones'][string];
  const get = (path: string) => fetch(`${topo.global.url}${path}`);

  beforeAll(async () => {
    topo = await startMultiZone(env, ['zone-1'], 'kapi');
    api = topo.api;
    const docs = [
      { type: 'Mesh', name: 'default' },
      { type: 'MeshTrafficPermission', mesh: 'default', name: 'allow-all', spec: { targetRef: { kind: 'Mesh' }, from: [{ targetRef: { kind: 'Mesh' }, default: { action: 'Allow' } }] } },
      { type: 'MeshTimeout', mesh: 'default', name: 'web-inbound', spec: { targetRef: { kind: 'MeshService', name: 'web' }, from: [{ targetRef: { kind: 'Mesh' }, default: { idleTimeout: '30s' } }] } },
    ];
    for (const d of docs) await api.put(decodeResource(d));
    await eventually(() => zone1().api.get('MeshTimeout', 'default', 'web-inbound'), 'the MeshTimeout in zone-1', 30_000);
    await eventually(() => zone1().api.get('MeshTrafficPermission', 'default', 'allow-all'), 'the MeshTrafficPermission in zone-1', 30_000);
    web = await startSidecar(env, zone1(), { mesh: 'default', name: 'web' });
    await eventually(() => api.get('Dataplane', 'default', 'web.zone-1'), 'web at global', 30_000);
  }, 240_000);

  afterEach((ctx) => {
    if (ctx.task.result?.state === 'fail') console.error(`${ctx.task.name} failed; process logs:\n${env.dumpLogs()}`);
  });

  afterAll(async () => {
    await env.teardown();
  });

  it("stats and clusters: the proxy's admin answers, through its zone, as text/plain, by global or zone name", async () => {
    for (const name of ['web.zone-1', 'web']) {
      const stats = await get(`/meshes/default/dataplanes/${name}/stats`);
      expect(stats.status).toBe(200);
      expect(stats.headers.get('content-type')).toMatch(/^text\/plain/);
      const text = await stats.text();
      // causeway-dp's statistics (Prometheus text of its admin /stats/prometheus): the same families as its own.
      const own = await (await fetch(`${web.proxy.adminUrl}/stats/prometheus`)).text();
      const families = (t: string) => new Set(t.split('\n').filter((l) => l.startsWith('# TYPE ')).map((l) => l.split(' ')[2]));
      expect(families(text)).toEqual(families(own));
      expect(text).toContain('envoy_cluster_upstream_rq_total');
    }
    const clusters = await get('/meshes/default/dataplanes/web.zone-1/clusters');
    expect(clusters.status).toBe(200);
    expect(clusters.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await clusters.text();
    expect(text).toBe(await (await fetch(`${web.proxy.adminUrl}/clusters`)).text());
    // The inbound's cluster to the app, with its host's health.
    expect(text).toContain(`127.0.0.1:${web.app.port}::health_flags::healthy`);
  });

  it("_rules: Kuma's InspectRules of the proxy, from the zone", async () => {
    const res = await get('/meshes/default/dataplanes/web.zone-1/_rules');
    expect(res.status).toBe(200);
    const body = (await res.json()) as { resource: { name: string }; rules: { type: string; fromRules: { inbound: { port: number }; rules: { matchers: unknown[]; conf: unknown; origin: { name: string }[] }[] }[] }[] };
    expect(body.resource).toMatchObject({ type: 'Dataplane', mesh: 'default', name: 'web' });
    const byType = new Map(body.rules.map((r) => [r.type, r]));
    const inboundPort = (web.proxy.spec.resource.networking as { inbound: { port: number }[] }).inbound[0]?.port;
    expect(byType.get('MeshTimeout')?.fromRules).toEqual([
      { inbound: { tags: expect.objectContaining({ 'kuma.io/service': 'web', 'kuma.io/zone': 'zone-1' }), port: inboundPort }, rules: [{ matchers: [], conf: { idleTimeout: '30s' }, origin: [expect.objectContaining({ type: 'MeshTimeout', name: 'web-inbound' })] }] },
    ]);
    expect(byType.get('MeshTrafficPermission')?.fromRules[0]?.rules).toEqual([{ matchers: [], conf: { action: 'Allow' }, origin: [expect.objectContaining({ name: 'allow-all' })] }]);
  });

  it('service insights and the dataplanes a policy selects, at global', async () => {
    const insight = await eventually(async () => {
      const r = await get('/meshes/default/service-insights/web');
      expect(r.status).toBe(200);
      const body = (await r.json()) as Record<string, unknown>;
      expect(body).toMatchObject({ status: 'online' });
      return body;
    }, "web's service online at global", 30_000);
    expect(insight).toMatchObject({ type: 'ServiceInsight', mesh: 'default', name: 'web', dataplanes: { total: 1, online: 1, offline: 0 }, serviceType: 'internal', addressPort: 'web.mesh:80', zones: ['zone-1'] });
    const list = (await (await get('/meshes/default/service-insights')).json()) as { total: number; items: { name: string }[] };
    expect(list.items.map((i) => i.name)).toEqual(['web']);
    const selected = (await (await get('/meshes/default/meshtimeouts/web-inbound/_resources/dataplanes')).json()) as { total: number; items: { name: string }[] };
    expect(selected).toMatchObject({ total: 1, items: [{ type: 'Dataplane', mesh: 'default', name: 'web.zone-1' }] });
    // The zone answers the same from its own store.
    const atZone = (await (await fetch(`${zone1().cp.url}/meshes/default/service-insights/web`)).json()) as Record<string, unknown>;
    expect(atZone).toMatchObject({ name: 'web', status: 'online', dataplanes: { total: 1, online: 1 }, zones: ['zone-1'] });
  });

  it("_config: Kuma's {xds} of the proxy, the config zone-1 computes (what /xds dumps), by global and zone name", async () => {
    for (const name of ['web.zone-1', 'web']) {
      const res = await get(`/meshes/default/dataplanes/${name}/_config`);
      expect(res.status).toBe(200);
      const body = (await res.json()) as { xds: { proxy: unknown; configs: { '@type': string }[] } };
      expect(Object.keys(body)).toEqual(['xds']);
      expect(body.xds.proxy).toEqual({ type: 'Dataplane', mesh: 'default', name: 'web' });
      const dump = (await (await get(`/meshes/default/dataplanes/${name}/xds`)).json()) as { configs: { '@type': string }[] };
      expect(body.xds.configs.map((c) => c['@type'])).toEqual(dump.configs.map((c) => c['@type']));
    }
    expect(((await (await get('/meshes/default/dataplanes/web.zone-1/_config?include=diff')).json()) as { diff: unknown }).diff).toEqual([]);
  });

  it("a ZoneEgress connects to zone-1 with a zone token issued at global; global's token for zone-2 is refused there", async () => {
    // global's zone-token public key reaches zone-1 with the sync (a GlobalSecret)
    await eventually(() => zone1().api.get('GlobalSecret', undefined, 'zone-token-signing-public-key-1'), "global's zone-token public key in zone-1", 30_000);
    const egress = async (name: string, zone: string) =>
      env.proxy(`kapi-${name}`, {
        mode: 'egress',
        zone: zone1().cp,
        resource: { type: 'ZoneEgress', name, networking: { address: '127.0.0.1', port: await freePort() } },
        token: () => topo.global.zoneToken('egress', zone),
      });
    const ok = await egress('egress-by-global', 'zone-1');
    await ok.start();
    await eventually(() => api.get('ZoneEgress', undefined, 'egress-by-global.zone-1'), 'the ZoneEgress at global', 30_000);
    // its clusters and stats, read at global from its admin endpoint through zone-1
    const clusters = await eventually(async () => {
      const res = await get('/zoneegresses/egress-by-global.zone-1/clusters');
      expect(res.status).toBe(200);
      return res.text();
    }, "the ZoneEgress's clusters at global", 15_000);
    expect(clusters).toBe(await (await fetch(`http://127.0.0.1:${ok.adminPort}/clusters`)).text());
    expect((await get('/zoneegresses/egress-by-global/stats')).status).toBe(200);
    await ok.stop();
    const refused = await egress('egress-for-zone-2', 'zone-2');
    await expect(refused.start(2_000)).rejects.toThrow(/was not ready/);
    // causeway-dp logs the refusal (JSON: the quotes escaped) and keeps retrying
    expect(refused.logs()).toContain('7 PERMISSION_DENIED: the token is for zone \\"zone-2\\", not \\"zone-1\\"');
    await refused.stop();
    await expect(zone1().api.get('ZoneEgress', undefined, 'egress-for-zone-2')).rejects.toThrow('ZoneEgress "egress-for-zone-2" not found');
  });

  it('an unknown proxy is a 404 at global, before any zone is asked', async () => {
    for (const what of ['stats', 'clusters', '_rules', '_config']) {
      const res = await get(`/meshes/default/dataplanes/nope/${what}`);
      expect(res.status).toBe(404);
      expect(await res.json()).toMatchObject({ status: 404, detail: 'Dataplane "nope" in mesh "default" not found' });
    }
  });
});
