/**
 * Issue 4 ("Multi-zone sync over NATS JetStream"), end to end with real processes: a nats-server started
 * here with the generated authorization config, a global `causeway-cp` on its own Postgres database, and
 * two zone `causeway-cp`s on file-backed PGlite (`--data-dir`), driven through their REST APIs.
 *
 * The tests run in order and build on each other's state, like an operator's session.
 */
import { ApiError, type CausewayClient } from '@causeway/client';
import type { Resource, ResourceType } from '@causeway/core';
import { type GeneratedNatsConfig, generateNatsConfig, ORIGIN_LABEL, ZONE_LABEL, ZONES_BUCKET } from '@causeway/sync';
import { type NatsServer, startNatsServer } from '@causeway/sync/testing';
import { jetstream } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { connect } from '@nats-io/transport-node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type ControlPlaneProcess, eventually, TestEnv } from './harness.js';

const ZONES = ['zone-1', 'zone-2'] as const;
type ZoneName = (typeof ZONES)[number];
/** The global-owned types these tests create; a zone's copy must equal global's. */
const SYNCED: ResourceType[] = ['Mesh', 'ExternalService', 'MeshTimeout'];

const mesh = (name: string): Resource => ({ type: 'Mesh', name, labels: {}, spec: {}, version: 0 });
const externalService = (name: string, address: string, labels: Record<string, string> = {}): Resource => ({
  type: 'ExternalService',
  mesh: 'default',
  name,
  labels,
  spec: { tags: { 'kuma.io/service': name.replace(/\./g, '_'), 'kuma.io/protocol': 'http' }, networking: { address } },
  version: 0,
});
const dataplane = (name: string, address: string): Resource => ({
  type: 'Dataplane',
  mesh: 'default',
  name,
  labels: {},
  spec: { networking: { address, inbound: [{ port: 8080, tags: { 'kuma.io/service': 'web' } }] } },
  version: 0,
});

/** What a control plane holds of the synced types: `Type/mesh/name` -> labels (without origin) and spec. */
async function syncedState(client: CausewayClient): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const type of SYNCED) {
    for (const r of await client.listAll(type)) {
      const { [ORIGIN_LABEL]: _origin, ...labels } = r.labels;
      out[`${type}/${r.mesh ?? '_'}/${r.name}`] = { labels, spec: r.spec };
    }
  }
  return out;
}

interface ZoneOverview {
  name: string;
  status: 'Online' | 'Offline';
  zoneInsight: { controlPlaneVersion?: string; heartbeatTime?: string; resourceCounts?: Record<string, number> };
}

async function zoneStatus(global: CausewayClient, zone: string): Promise<ZoneOverview | undefined> {
  const page = await global.getJson<{ items: ZoneOverview[] }>('/zones+insights');
  return page.items.find((z) => z.name === zone);
}

function httpStatus(e: unknown): number | undefined {
  return e instanceof ApiError ? e.httpStatus : undefined;
}

describe('multi-zone sync over NATS (real processes)', () => {
  const env = new TestEnv();
  let nats: NatsServer;
  let gen: GeneratedNatsConfig;
  let global: ControlPlaneProcess;
  const zones = {} as Record<ZoneName, ControlPlaneProcess>;
  const api = {} as Record<'global' | ZoneName, CausewayClient>;

  const converged = async (what: string, only: readonly ZoneName[] = ZONES) => {
    await eventually(
      async () => {
        const want = await syncedState(api.global);
        for (const z of only) expect(await syncedState(api[z]), `${z} vs global`).toEqual(want);
      },
      what,
      20_000,
    );
  };

  beforeAll(async () => {
    gen = generateNatsConfig({ zones: [...ZONES] });
    nats = await startNatsServer({ config: gen.config });
    env.onTeardown(() => nats.dispose());
    const db = await env.database();
    global = env.controlPlane('global', ['--mode', 'global', '--database-url', db], { nats: { url: nats.url, ...gen.global } });
    await global.start();
    api.global = global.client();
    for (const z of ZONES) {
      const cred = gen.zones[z];
      if (!cred) throw new Error(z);
      zones[z] = env.controlPlane(z, ['--mode', 'zone', '--zone', z, '--data-dir', env.tempDir(`causeway-it-${z}-data-`)], { nats: { url: nats.url, ...cred } });
    }
    await Promise.all(ZONES.map((z) => zones[z].start()));
    for (const z of ZONES) api[z] = zones[z].client();
    for (const z of ZONES) {
      await eventually(async () => expect(await zoneStatus(api.global, z)).toMatchObject({ status: 'Online' }), `${z} online at global`);
    }
  });

  afterEach((ctx) => {
    if (ctx.task.result?.state === 'fail') console.error(`${ctx.task.name} failed; process logs:\n${env.dumpLogs()}\n----- nats-server -----\n${nats?.logs().split('\n').slice(-40).join('\n')}`);
  });

  afterAll(async () => {
    await env.teardown();
  });

  it('reports the sync status in GET / of global and zones', async () => {
    const g = await global.index();
    expect(g.sync).toMatchObject({ enabled: true, connected: true, nats: nats.url });
    for (const z of ZONES) {
      const idx = await zones[z].index();
      expect(idx.global).toMatchObject({ connected: true, nats: nats.url, replaying: false });
      expect(typeof (idx.global as { lastReplayTime?: unknown }).lastReplayTime).toBe('string');
    }
  });

  it('syncs an ExternalService applied at global to both zones; updates and deletes too', async () => {
    await api.global.put(mesh('default'));
    await api.global.put(externalService('httpbin', 'httpbin.org:80', { team: 'edge' }));
    for (const z of ZONES) {
      const r = await eventually(() => api[z].get('ExternalService', 'default', 'httpbin'), `httpbin readable in ${z}`);
      expect(r.labels).toEqual({ team: 'edge', [ORIGIN_LABEL]: 'global' });
      expect(r.spec).toMatchObject({ networking: { address: 'httpbin.org:80' } });
    }
    await api.global.put(externalService('httpbin', 'httpbin.org:443', { team: 'edge' }));
    for (const z of ZONES) {
      await eventually(async () => expect((await api[z].get('ExternalService', 'default', 'httpbin')).spec).toMatchObject({ networking: { address: 'httpbin.org:443' } }), `update in ${z}`);
    }
    // A zone cannot change it: global owns it.
    const refused = await api['zone-1'].put(externalService('httpbin', 'evil.com:443')).catch((e: unknown) => e);
    expect(httpStatus(refused)).toBe(405);
    await api.global.delete('ExternalService', 'default', 'httpbin');
    for (const z of ZONES) {
      await eventually(async () => {
        const e = await api[z].get('ExternalService', 'default', 'httpbin').catch((err: unknown) => err);
        expect(httpStatus(e)).toBe(404);
      }, `delete in ${z}`);
    }
  });

  it('brings a Dataplane registered in zone-1 to global with the zone label; global refuses to change it', async () => {
    await eventually(() => api['zone-1'].get('Mesh', undefined, 'default'), 'mesh default in zone-1');
    await api['zone-1'].put(dataplane('web-1', '10.0.1.1'));
    const atGlobal = await eventually(() => api.global.get('Dataplane', 'default', 'web-1.zone-1'), 'web-1 of zone-1 at global');
    expect(atGlobal.labels).toMatchObject({ [ORIGIN_LABEL]: 'zone', [ZONE_LABEL]: 'zone-1', 'causeway.io/display-name': 'web-1' });
    expect(atGlobal.spec).toMatchObject({ networking: { address: '10.0.1.1' } });
    // zone-2 may have its own web-1 (no clash at global).
    await eventually(() => api['zone-2'].get('Mesh', undefined, 'default'), 'mesh default in zone-2');
    await api['zone-2'].put(dataplane('web-1', '10.0.2.1'));
    await eventually(() => api.global.get('Dataplane', 'default', 'web-1.zone-2'), 'web-1 of zone-2 at global');
    for (const attempt of [() => api.global.put(dataplane('web-1.zone-1', '10.9.9.9')), () => api.global.delete('Dataplane', 'default', 'web-1.zone-1')]) {
      expect(httpStatus(await attempt().catch((e: unknown) => e))).toBe(405);
    }
    expect((await api.global.get('Dataplane', 'default', 'web-1.zone-1')).spec).toMatchObject({ networking: { address: '10.0.1.1' } });
  });

  it("refuses (in NATS) a write with zone-1's credentials under zone-2's prefix", async () => {
    const cred = gen.zones['zone-1'];
    if (!cred) throw new Error('zone-1');
    const nc = await connect({ servers: nats.url, user: cred.user, pass: cred.password, inboxPrefix: cred.inboxPrefix, maxReconnectAttempts: 0 });
    try {
      const kv = await new Kvm(jetstream(nc)).open(ZONES_BUCKET);
      const forged = JSON.stringify({ type: 'Dataplane', mesh: 'default', name: 'web-1', networking: { address: '6.6.6.6', inbound: [{ port: 80, tags: { 'kuma.io/service': 'web' } }] } });
      const err = await kv.put('zone-2.Dataplane.default.web-1', forged).then(
        () => undefined,
        (e: unknown) => e,
      );
      let cause: unknown = err;
      while (cause && (cause as Error).name !== 'PermissionViolationError') cause = (cause as { cause?: unknown }).cause;
      expect(cause, `expected a permissions violation, got ${String(err)}`).toMatchObject({
        name: 'PermissionViolationError',
        operation: 'publish',
        subject: '$KV.causeway-zones.zone-2.Dataplane.default.web-1',
      });
    } finally {
      await nc.close();
    }
    await eventually(
      () => expect(nats.logs()).toMatch(/Publish Violation - User "causeway-zone-zone-1", Subject "\$KV\.causeway-zones\.zone-2\.Dataplane\.default\.web-1"/),
      'the violation in the nats-server log',
    );
    // zone-2's dataplane at global is untouched.
    expect((await api.global.get('Dataplane', 'default', 'web-1.zone-2')).spec).toMatchObject({ networking: { address: '10.0.2.1' } });
  });

  it('converges both zones exactly after NATS was down while global changed (and a zone restarted meanwhile)', async () => {
    for (const name of ['keep', 'gone', 'changed']) await api.global.put(externalService(name, `${name}.example.com:443`));
    await converged('before the outage');

    await nats.stop();
    for (const z of ZONES) {
      await eventually(async () => expect(((await zones[z].index()).global as { connected: boolean }).connected).toBe(false), `${z} notices the outage`);
    }
    await api.global.delete('ExternalService', 'default', 'gone');
    await api.global.put(externalService('changed', 'changed.example.com:8443', { v: '2' }));
    await api.global.put(externalService('added', 'added.example.com:443'));
    await api.global.put(mesh('second'));

    // Zones keep serving their last copy, also across a restart without NATS.
    await zones['zone-1'].stop();
    await zones['zone-1'].start();
    const idx = (await zones['zone-1'].index()).global as { connected: boolean; reason?: string };
    expect(idx.connected).toBe(false);
    expect(idx.reason).toMatch(/cannot connect|connecting/);
    for (const z of ZONES) {
      expect((await api[z].listAll('ExternalService')).map((r) => r.name).sort()).toEqual(['changed', 'gone', 'keep']);
    }
    expect(zones['zone-1'].logLines().some((l) => typeof l.msg === 'string' && /cannot connect to nats:/.test(l.msg))).toBe(true);
    expect(zones['zone-2'].logLines().some((l) => typeof l.msg === 'string' && l.msg.startsWith('lost the connection to global'))).toBe(true);

    await nats.start();
    await converged('after the outage');
    expect((await api['zone-2'].listAll('ExternalService')).map((r) => r.name).sort()).toEqual(['added', 'changed', 'keep']);
    for (const z of ZONES) {
      await eventually(async () => expect(((await zones[z].index()).global as { connected: boolean }).connected).toBe(true), `${z} reconnected`);
    }
  });

  it('shows a killed zone offline within 20 s, and online and converged after its restart', async () => {
    await zones['zone-2'].kill();
    const killedAt = Date.now();
    await api.global.put(externalService('while-zone-2-was-away', 'away.example.com:443'));
    await api.global.delete('ExternalService', 'default', 'keep');
    await eventually(async () => expect(await zoneStatus(api.global, 'zone-2')).toMatchObject({ status: 'Offline' }), 'zone-2 offline at global', 25_000, 250);
    const elapsed = Date.now() - killedAt;
    expect(elapsed).toBeLessThan(20_000);
    expect(await zoneStatus(api.global, 'zone-1')).toMatchObject({ status: 'Online' });

    await zones['zone-2'].start();
    await eventually(async () => expect(await zoneStatus(api.global, 'zone-2')).toMatchObject({ status: 'Online' }), 'zone-2 online again');
    await converged('zone-2 after its restart', ['zone-2']);
    await eventually(async () => {
      const overview = await zoneStatus(api.global, 'zone-2');
      expect(overview?.zoneInsight.controlPlaneVersion).toBe('0.1.0');
      expect(overview?.zoneInsight.resourceCounts).toMatchObject({ Mesh: 2, ExternalService: 3, Dataplane: 1 });
    }, 'zone-2 heartbeat with its counts');
  });

  it('keeps every zone and global state across a restart of global on the same database', async () => {
    await converged('before restarting global');
    const before = { global: await syncedState(api.global), dataplanes: (await api.global.listAll('Dataplane')).map((r) => r.name).sort() };
    expect(before.dataplanes).toEqual(['web-1.zone-1', 'web-1.zone-2']);
    expect(await global.stop()).toBe(0);
    // Zones go on serving while global is away.
    for (const z of ZONES) expect(await syncedState(api[z])).toEqual(before.global);
    await global.start();
    expect(await syncedState(api.global)).toEqual(before.global);
    expect((await api.global.listAll('Dataplane')).map((r) => r.name).sort()).toEqual(before.dataplanes);
    await eventually(async () => expect(((await global.index()).sync as { lastReconcileTime?: string }).lastReconcileTime).toBeTypeOf('string'), 'global reconciled');
    for (const z of ZONES) expect(await syncedState(api[z])).toEqual(before.global);
    // And sync goes on.
    await api.global.put(externalService('after-global-restart', 'after.example.com:443'));
    await converged('after the restart of global');
    const reconciled = global.logLines().filter((l) => l.msg === 'reconciled causeway-global with the store');
    expect(reconciled.at(-1)).toMatchObject({ addedOrUpdated: 0, staleDeleted: 0 });
  });
});

describe('control planes without --nats-url', () => {
  const env = new TestEnv();
  afterAll(async () => {
    await env.teardown();
  });

  it('a global runs with no zones, a zone serves its local copy and says it has no global connection', async () => {
    const global = env.controlPlane('lonely-global', ['--mode', 'global']);
    const zone = env.controlPlane('lonely-zone', ['--mode', 'zone', '--zone', 'zone-9']);
    try {
      await Promise.all([global.start(), zone.start()]);
      expect((await global.index()).sync).toMatchObject({ enabled: false, reason: expect.stringContaining('no --nats-url') });
      expect((await zone.index()).global).toEqual({ connected: false, reason: expect.stringContaining('no --nats-url configured: no connection to global') });
      expect(zone.logLines().some((l) => l.level === 40 && typeof l.msg === 'string' && l.msg.includes('no connection to global'))).toBe(true);
      const refused = await zone.client().put(mesh('default')).catch((e: unknown) => e);
      expect(httpStatus(refused)).toBe(405);
    } catch (e) {
      console.error(env.dumpLogs());
      throw e;
    }
  });
});
