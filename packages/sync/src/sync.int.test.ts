/**
 * The sync library end to end, in one process: a real nats-server with the generated authorization,
 * one global and two zones, each with its own (in-memory PGlite) store.
 */
import { Writable } from 'node:stream';
import { CausewayError, type Resource } from '@causeway/core';
import { BatchError, type BatchOp, type BatchOptions, listAll, openStore, type ResourceStore } from '@causeway/store';
import { jetstream } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { connect } from '@nats-io/transport-node';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type GlobalSync, startGlobalSync } from './global.js';
import { ZONES_BUCKET } from './keys.js';
import { DISPLAY_NAME_LABEL, ORIGIN_LABEL, ZONE_LABEL } from './model.js';
import { type GeneratedNatsConfig, generateNatsConfig } from './nats-config.js';
import { type NatsServer, startNatsServer } from './testing/nats-server.js';
import { startZoneSync, type ZoneSync } from './zone.js';

const lines: string[] = [];
const sink = new Writable({
  write(chunk, _enc, cb) {
    lines.push(...chunk.toString().split('\n').filter(Boolean));
    cb();
  },
});
const root = pino({ level: 'debug' }, sink);
const logs = (pred: (l: Record<string, unknown>) => boolean) => lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter(pred);

async function eventually<T>(fn: () => Promise<T>, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      return await fn();
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`${what}: not true after ${timeoutMs} ms: ${(last as Error)?.message ?? last}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const mesh = (name = 'default'): Resource => ({ type: 'Mesh', name, labels: {}, spec: {}, version: 0 });
const es = (name: string, address: string, meshName = 'default'): Resource => ({
  type: 'ExternalService',
  mesh: meshName,
  name,
  labels: { team: 'payments' },
  spec: { tags: { 'kuma.io/service': name.replace(/\./g, '-') }, networking: { address } },
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

/** Names of a type in a store (mesh/name), sorted. */
async function names(store: ResourceStore, type: Resource['type']): Promise<string[]> {
  return (await store.list(type, { size: 1000 })).items.map((r) => `${r.mesh ?? '_'}/${r.name}`).sort();
}

describe('sync between global and two zones over NATS', () => {
  let server: NatsServer;
  let gen: GeneratedNatsConfig;
  let globalStore: ResourceStore;
  const zoneStores: Record<string, ResourceStore> = {};
  let global: GlobalSync;
  const zones: Record<string, ZoneSync> = {};

  const startZone = async (zone: string) => {
    const cred = gen.zones[zone];
    if (!cred) throw new Error(zone);
    zones[zone] = await startZoneSync({
      store: zoneStores[zone] as ResourceStore,
      zone,
      version: '0.1.0-test',
      heartbeatIntervalMs: 1000,
      nats: { servers: server.url, user: cred.user, password: cred.password, reconnectWaitMs: 200 },
      logger: root.child({ zone }),
    });
  };

  beforeAll(async () => {
    gen = generateNatsConfig({ zones: ['zone-1', 'zone-2', 'zone-3'], bcryptCost: 4 });
    server = await startNatsServer({ config: gen.config });
    globalStore = await openStore();
    for (const z of ['zone-1', 'zone-2']) zoneStores[z] = await openStore();
    global = await startGlobalSync({
      store: globalStore,
      nats: { servers: server.url, user: gen.global.user, password: gen.global.password, reconnectWaitMs: 200 },
      logger: root.child({ side: 'global' }),
      zoneCacheMs: 100,
      consumerSweepMs: 500,
    });
    await global.synced();
    await startZone('zone-1');
    await startZone('zone-2');
    await Promise.all(Object.values(zones).map((z) => z.synced()));
  }, 30_000);

  afterEach((ctx) => {
    if (ctx.task.result?.state === 'fail') console.error(lines.slice(-150).join('\n'));
  });

  afterAll(async () => {
    await Promise.all(Object.values(zones).map((z) => z.close()));
    await global?.close();
    await Promise.all([globalStore, ...Object.values(zoneStores)].map((s) => s?.close()));
    await server?.dispose();
  });

  it('propagates a Mesh and an ExternalService to both zones, then updates and deletes', async () => {
    await globalStore.create(mesh());
    await globalStore.create(es('httpbin.org', 'httpbin.org:80'));
    for (const z of ['zone-1', 'zone-2']) {
      const copy = await eventually(async () => {
        const r = await zoneStores[z]?.get('ExternalService', 'default', 'httpbin.org');
        if (!r) throw new Error('missing');
        return r;
      }, `ExternalService in ${z}`);
      expect(copy.labels).toEqual({ team: 'payments', [ORIGIN_LABEL]: 'global' });
      expect(copy.spec).toEqual({ tags: { 'kuma.io/service': 'httpbin-org' }, networking: { address: 'httpbin.org:80' } });
    }
    const stored = (await globalStore.get('ExternalService', 'default', 'httpbin.org')) as Resource;
    await globalStore.update({ ...stored, spec: { tags: { 'kuma.io/service': 'httpbin-org' }, networking: { address: 'httpbin.org:443' } } });
    for (const z of ['zone-1', 'zone-2']) {
      await eventually(async () => {
        const r = await zoneStores[z]?.get('ExternalService', 'default', 'httpbin.org');
        expect((r?.spec as { networking?: { address?: string } } | undefined)?.networking?.address).toBe('httpbin.org:443');
      }, `update in ${z}`);
    }
    await globalStore.delete('ExternalService', 'default', 'httpbin.org');
    for (const z of ['zone-1', 'zone-2']) {
      await eventually(async () => expect(await zoneStores[z]?.get('ExternalService', 'default', 'httpbin.org')).toBeUndefined(), `delete in ${z}`);
    }
  });

  it('brings zone resources to global under <name>.<zone> with origin labels, and relays ZoneIngresses to the other zones', async () => {
    await eventually(async () => expect(await zoneStores['zone-1']?.get('Mesh', undefined, 'default')).toBeDefined(), 'mesh in zone-1');
    await eventually(async () => expect(await zoneStores['zone-2']?.get('Mesh', undefined, 'default')).toBeDefined(), 'mesh in zone-2');
    await zoneStores['zone-1']?.create(dataplane('web-1', '10.0.1.1'));
    await zoneStores['zone-2']?.create(dataplane('web-1', '10.0.2.1'));
    await zoneStores['zone-1']?.create({
      type: 'ZoneIngress',
      name: 'ingress',
      labels: {},
      spec: { zone: 'zone-2', networking: { address: '10.0.1.9', port: 10001 } },
      version: 0,
    });
    const dp = await eventually(async () => {
      const r = await globalStore.get('Dataplane', 'default', 'web-1.zone-1');
      if (!r) throw new Error('missing');
      return r;
    }, 'dataplane at global');
    expect(dp.labels).toEqual({ [ORIGIN_LABEL]: 'zone', [ZONE_LABEL]: 'zone-1', [DISPLAY_NAME_LABEL]: 'web-1' });
    await eventually(async () => expect(await globalStore.get('Dataplane', 'default', 'web-1.zone-2')).toBeDefined(), 'zone-2 dataplane at global');
    const ingress = await eventually(async () => {
      const r = await globalStore.get('ZoneIngress', undefined, 'ingress.zone-1');
      if (!r) throw new Error('missing');
      return r;
    }, 'ingress at global');
    // The zone wrote "zone-2" inside its ingress: global trusts the key, not the value.
    expect((ingress.spec as { zone: string }).zone).toBe('zone-1');
    const relayed = await eventually(async () => {
      const r = await zoneStores['zone-2']?.get('ZoneIngress', undefined, 'ingress.zone-1');
      if (!r) throw new Error('missing');
      return r;
    }, 'ingress relayed to zone-2');
    expect(relayed.labels).toMatchObject({ [ORIGIN_LABEL]: 'global', [ZONE_LABEL]: 'zone-1' });
    // Not echoed back to zone-1 (it has the original), nor re-published by zone-2.
    expect(await names(zoneStores['zone-1'] as ResourceStore, 'ZoneIngress')).toEqual(['_/ingress']);
    expect(await names(globalStore, 'ZoneIngress')).toEqual(['_/ingress.zone-1']);
    // Zones and their heartbeats.
    expect(await names(globalStore, 'Zone')).toEqual(['_/zone-1', '_/zone-2']);
    await eventually(async () => {
      const insight = await globalStore.get('ZoneInsight', undefined, 'zone-1');
      expect(insight?.spec).toMatchObject({ controlPlaneVersion: '0.1.0-test', heartbeatInterval: '1s', globalConnected: true, connectedProxies: 0 });
      expect((insight?.spec as { resourceCounts?: Record<string, number> } | undefined)?.resourceCounts).toMatchObject({ Dataplane: 1, Mesh: 1 });
    }, 'zone-1 heartbeat');
    // A zone deleting its dataplane deletes it at global.
    await zoneStores['zone-1']?.delete('Dataplane', 'default', 'web-1');
    await eventually(async () => expect(await globalStore.get('Dataplane', 'default', 'web-1.zone-1')).toBeUndefined(), 'delete at global');
    expect(await globalStore.get('Dataplane', 'default', 'web-1.zone-2')).toBeDefined();
  });

  it('logs and skips invalid entries from a zone without stopping the sync', async () => {
    const cred = gen.zones['zone-1'];
    if (!cred) throw new Error('zone-1');
    const nc = await connect({ servers: server.url, user: cred.user, pass: cred.password, inboxPrefix: cred.inboxPrefix });
    try {
      const kv = await new Kvm(jetstream(nc)).open(ZONES_BUCKET);
      await kv.put('zone-1.Dataplane.default.bad-1', '{"not json');
      await kv.put('zone-1.Dataplane.default.bad-2', JSON.stringify({ type: 'Dataplane', mesh: 'default', name: 'bad-2', networking: { address: 'no way' } }));
      await kv.put('zone-1.ExternalService.default.evil', JSON.stringify({ type: 'ExternalService', mesh: 'default', name: 'evil', tags: { 'kuma.io/service': 'evil' }, networking: { address: 'evil.com:443' } }));
      await kv.put('zone-1.Dataplane.nope', '{}');
      // valid, but its mesh does not exist at global: the store refuses it
      await kv.put('zone-1.Dataplane.nomesh.orphan', JSON.stringify({ type: 'Dataplane', mesh: 'nomesh', name: 'orphan', networking: { address: '10.0.1.8', inbound: [{ port: 80, tags: { 'kuma.io/service': 'orphan' } }] } }));
      await kv.put('zone-1.Dataplane.default.good', JSON.stringify({ type: 'Dataplane', mesh: 'default', name: 'good', networking: { address: '10.0.1.7', inbound: [{ port: 80, tags: { 'kuma.io/service': 'good' } }] } }));
    } finally {
      await nc.close();
    }
    await eventually(async () => expect(await globalStore.get('Dataplane', 'default', 'good.zone-1')).toBeDefined(), 'valid entry after invalid ones');
    expect(await globalStore.get('Dataplane', 'default', 'bad-1.zone-1')).toBeUndefined();
    expect(await globalStore.get('Dataplane', 'default', 'bad-2.zone-1')).toBeUndefined();
    expect(await globalStore.get('ExternalService', 'default', 'evil.zone-1')).toBeUndefined();
    expect(await globalStore.get('ExternalService', 'default', 'evil')).toBeUndefined();
    const warned = logs((l) => l.side === 'global' && l.level === 40 && typeof l.key === 'string');
    const keys = warned.map((l) => l.key);
    expect(keys).toEqual(expect.arrayContaining(['zone-1.Dataplane.default.bad-1', 'zone-1.Dataplane.default.bad-2', 'zone-1.ExternalService.default.evil', 'zone-1.Dataplane.nope']));
    expect(await globalStore.get('Dataplane', 'nomesh', 'orphan.zone-1')).toBeUndefined();
    const orphan = warned.find((l) => l.key === 'zone-1.Dataplane.nomesh.orphan');
    expect(orphan?.msg).toBe('Dataplane from zone "zone-1" refused by the store: skipped, not applied');
    expect(orphan?.err).toContain('mesh "nomesh" does not exist');
    const bad2 = warned.find((l) => l.key === 'zone-1.Dataplane.default.bad-2');
    expect(JSON.stringify(bad2?.errors)).toContain('networking.address');
    // The zone's own resync deletes keys it does not own locally once it reconnects; global deletes them then.
  });

  it("deletes a durable consumer a zone user leaves on causeway-zones, and leaves the zones' own consumers alone", async () => {
    const cred = gen.zones['zone-1'];
    if (!cred) throw new Error('zone-1');
    const nc = await connect({ servers: server.url, user: cred.user, pass: cred.password, inboxPrefix: cred.inboxPrefix });
    const filter = '$KV.causeway-zones.zone-1.>';
    try {
      // The one durable form the server accepts from a zone (named, own prefix: the body decides).
      const body = { stream_name: 'KV_causeway-zones', config: { durable_name: 'left-behind', deliver_subject: `${cred.inboxPrefix}.x`, ack_policy: 'none', filter_subject: filter } };
      const r = (await nc.request(`$JS.API.CONSUMER.CREATE.KV_causeway-zones.left-behind.${filter}`, JSON.stringify(body))).json<{ error?: unknown; config?: { durable_name?: string } }>();
      expect(r.error).toBeUndefined();
      expect(r.config?.durable_name).toBe('left-behind');
    } finally {
      await nc.close();
    }
    const swept = await eventually(async () => {
      const l = logs((x) => x.side === 'global' && x.msg === 'deleted a consumer of a sync stream that could outlive its client' && x.consumer === 'left-behind');
      expect(l).toHaveLength(1);
      return l[0];
    }, 'the durable is swept');
    expect(swept).toMatchObject({ stream: 'KV_causeway-zones', reason: 'durable ("left-behind")', deliverSubject: `${cred.inboxPrefix}.x` });
    // Only that one: the sync's own consumers pass, and both zones still follow global.
    expect(logs((x) => x.msg === 'deleted a consumer of a sync stream that could outlive its client').map((x) => x.consumer)).toEqual(['left-behind']);
    await globalStore.create(es('after-sweep', 'after-sweep.example.com:443'));
    for (const z of ['zone-1', 'zone-2']) {
      await eventually(async () => expect(await zoneStores[z]?.get('ExternalService', 'default', 'after-sweep')).toBeDefined(), `${z} still syncs`);
    }
    await globalStore.delete('ExternalService', 'default', 'after-sweep');
  });

  it("a watch whose consumer is gone (as when its NATS node dies) is replayed and followed again; the other direction goes on untouched", async () => {
    const nc = await connect({ servers: server.url, user: gen.global.user, pass: gen.global.password, inboxPrefix: gen.global.inboxPrefix });
    const count = (side: string, msg: string) => logs((l) => (l.zone === side || l.side === side) && l.msg === msg).length;
    const zoneResynced = count('zone-1', "resynced this zone's resources to causeway-zones");
    const globalReconciled = count('global', 'reconciled causeway-global with the store');
    try {
      const jsm = await jetstream(nc).jetstreamManager();
      /** Deletes the watch consumers on a stream whose deliver subject is under an inbox prefix. */
      const dropWatches = async (stream: string, inboxPrefix: string) => {
        let dropped = 0;
        for await (const c of jsm.consumers.list(stream)) {
          if (c.config.deliver_subject?.startsWith(`${inboxPrefix}.`)) dropped += (await jsm.consumers.delete(stream, c.name)) ? 1 : 0;
        }
        return dropped;
      };
      // zone-1's watch on causeway-global, and global's watch on causeway-zones.
      expect(await dropWatches('KV_causeway-global', gen.zones['zone-1']?.inboxPrefix ?? '')).toBe(1);
      expect(await dropWatches('KV_causeway-zones', gen.global.inboxPrefix)).toBe(1);
    } finally {
      await nc.close();
    }
    await eventually(async () => {
      expect(count('zone-1', 'the causeway-global watch ended: replaying and following it again (the rest of the sync with global goes on)')).toBe(1);
      expect(count('global', 'the causeway-zones watch ended: replaying and following it again (the rest of the sync with the zones goes on)')).toBe(1);
    }, 'both sides noticed and follow again');
    // Both directions carry changes again.
    await globalStore.create(es('after-refollow', 'after-refollow.example.com:443'));
    await eventually(async () => expect(await zoneStores['zone-1']?.get('ExternalService', 'default', 'after-refollow')).toBeDefined(), 'global -> zone-1');
    await zoneStores['zone-1']?.create(dataplane('web-refollow', '10.0.1.77'));
    await eventually(async () => expect(await globalStore.get('Dataplane', 'default', 'web-refollow.zone-1')).toBeDefined(), 'zone-1 -> global');
    // Neither side started its session over: no second resync of what each publishes.
    expect(count('zone-1', "resynced this zone's resources to causeway-zones")).toBe(zoneResynced);
    expect(count('global', 'reconciled causeway-global with the store')).toBe(globalReconciled);
    await zoneStores['zone-1']?.delete('Dataplane', 'default', 'web-refollow');
    await globalStore.delete('ExternalService', 'default', 'after-refollow');
    for (const z of ['zone-1', 'zone-2']) {
      await eventually(async () => expect(await zoneStores[z]?.get('ExternalService', 'default', 'after-refollow')).toBeUndefined(), `the delete in ${z}`);
    }
  });

  it('ignores what a disabled zone sends, and applies it once the zone is enabled again', async () => {
    const zone = (await globalStore.get('Zone', undefined, 'zone-2')) as Resource;
    await globalStore.update({ ...zone, spec: { enabled: false } });
    await eventually(async () => expect(logs((l) => l.zone === 'zone-2' && l.msg === 'zone is disabled (Zone.enabled: false): ignoring what it sends')).toHaveLength(1), 'disabled');
    await zoneStores['zone-2']?.create(dataplane('web-9', '10.0.2.9'));
    await eventually(
      async () => expect(logs((l) => l.key === 'zone-2.Dataplane.default.web-9' && l.msg === 'ignored: the zone is disabled').length).toBeGreaterThan(0),
      'the dataplane of the disabled zone is ignored',
    );
    expect(await globalStore.get('Dataplane', 'default', 'web-9.zone-2')).toBeUndefined();
    await globalStore.update({ ...((await globalStore.get('Zone', undefined, 'zone-2')) as Resource), spec: { enabled: true } });
    await eventually(async () => expect(await globalStore.get('Dataplane', 'default', 'web-9.zone-2')).toBeDefined(), 'applied once enabled', 15_000);
  });

  it('converges both zones exactly after a NATS outage during which global changed', async () => {
    await globalStore.create(es('keep', 'keep.example.com:443'));
    await globalStore.create(es('gone', 'gone.example.com:443'));
    for (const z of ['zone-1', 'zone-2']) {
      await eventually(async () => expect(await names(zoneStores[z] as ResourceStore, 'ExternalService')).toEqual(['default/gone', 'default/keep']), `before outage in ${z}`);
    }
    await server.stop();
    await eventually(async () => expect(zones['zone-1']?.status().connected).toBe(false), 'zone-1 sees the outage');
    expect(zones['zone-1']?.status().reason).toMatch(/lost the connection|cannot connect|closed/);
    await globalStore.delete('ExternalService', 'default', 'gone');
    await globalStore.create(es('new', 'new.example.com:443'));
    const keep = (await globalStore.get('ExternalService', 'default', 'keep')) as Resource;
    await globalStore.update({ ...keep, labels: { team: 'core' } });
    // Zones keep serving their copy meanwhile.
    expect(await names(zoneStores['zone-2'] as ResourceStore, 'ExternalService')).toEqual(['default/gone', 'default/keep']);
    await server.start();
    for (const z of ['zone-1', 'zone-2']) {
      await eventually(
        async () => {
          expect(await names(zoneStores[z] as ResourceStore, 'ExternalService')).toEqual(['default/keep', 'default/new']);
          expect((await zoneStores[z]?.get('ExternalService', 'default', 'keep'))?.labels).toEqual({ team: 'core', [ORIGIN_LABEL]: 'global' });
        },
        `after outage in ${z}`,
        20_000,
      );
      expect(zones[z]?.status().connected).toBe(true);
    }
    expect(logs((l) => l.zone === 'zone-1' && typeof l.msg === 'string' && l.msg.startsWith('lost the connection to global')).length).toBeGreaterThan(0);
  }, 40_000);

  it('says clearly when a zone runs with the NATS credentials of another zone', async () => {
    const store = await openStore();
    const cred = gen.zones['zone-2'];
    if (!cred) throw new Error('zone-2');
    const wrong = await startZoneSync({
      store,
      zone: 'zone-1',
      version: 'x',
      nats: { servers: server.url, user: cred.user, password: cred.password, inboxPrefix: cred.inboxPrefix },
      logger: root.child({ side: 'misconfigured' }),
    });
    try {
      const failure = await eventually(async () => {
        const l = logs((x) => x.side === 'misconfigured' && typeof x.msg === 'string' && x.msg.startsWith('sync with global failed to start'));
        expect(l.length).toBeGreaterThan(0);
        return l[0];
      }, 'the misconfiguration is logged');
      expect(failure?.msg).toMatch(/Permissions Violation for Publish to "\$JS\.API\.CONSUMER\.CREATE\.KV_causeway-zones\..*\$KV\.causeway-zones\.zone-1\.>"/);
      // It never claims to be in sync.
      expect(wrong.status()).toMatchObject({ connected: true });
      expect(wrong.status().lastReplayTime).toBeUndefined();
    } finally {
      await wrong.close();
      await store.close();
    }
  });

  it('converges a zone restarted after missing changes, deletions included', async () => {
    await zones['zone-2']?.close();
    await globalStore.delete('ExternalService', 'default', 'new');
    await globalStore.create(es('later', 'later.example.com:443'));
    await startZone('zone-2');
    await zones['zone-2']?.synced();
    expect(await names(zoneStores['zone-2'] as ResourceStore, 'ExternalService')).toEqual(['default/keep', 'default/later']);
    // Mesh, two ExternalServices and zone-1's relayed ZoneIngress.
    expect(zones['zone-2']?.status()).toMatchObject({ connected: true, replaying: false, resources: 4 });
  }, 30_000);

  it('replays into a fresh zone in batches, converges exactly, and applies a live update at once', async () => {
    // 1,200 more ExternalServices at global (more than two batches)
    const before = global.status().published;
    const bulk = Array.from({ length: 1200 }, (_, i) => es(`bulk-${String(i).padStart(4, '0')}`, `bulk-${i}.example.com:443`));
    for (let i = 0; i < bulk.length; i += 400) await globalStore.applyBatch(bulk.slice(i, i + 400).map((resource): BatchOp => ({ op: 'upsert', resource })));
    await eventually(async () => expect(global.status().published).toBe(before + 1200), 'global published the bulk', 30_000);

    // zone-3 has a local copy from earlier: a copy global no longer has, an outdated one, and its own Dataplane
    const base = await openStore();
    const copy = { replicated: true, origin: 'global' as const };
    await base.create({ ...mesh(), labels: { [ORIGIN_LABEL]: 'global' } }, copy);
    await base.create({ ...es('stale-copy', 'stale.example.com:443'), labels: { [ORIGIN_LABEL]: 'global' } }, copy);
    await base.create({ ...es('keep', 'outdated.example.com:443'), labels: { [ORIGIN_LABEL]: 'global' } }, copy);
    await base.create(dataplane('local-dp', '10.0.3.1'));
    const batches: BatchOp[][] = [];
    let failNext: ((ops: readonly BatchOp[]) => void) | undefined;
    const store = new Proxy(base, {
      get(target, prop) {
        if (prop === 'applyBatch')
          return (ops: readonly BatchOp[], opts?: BatchOptions) => {
            batches.push([...ops]);
            failNext?.(ops);
            return target.applyBatch(ops, opts);
          };
        const v = Reflect.get(target, prop, target);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
    const cred = gen.zones['zone-3'];
    if (!cred) throw new Error('zone-3');
    const zone3 = await startZoneSync({
      store,
      zone: 'zone-3',
      version: '0.1.0-test',
      batchSize: 500,
      nats: { servers: server.url, user: cred.user, password: cred.password, reconnectWaitMs: 200 },
      logger: root.child({ zone: 'zone-3' }),
    });
    try {
      await zone3.synced();
      const want = (await listAll(globalStore, 'ExternalService')).map((r) => r.name);
      expect(want.length).toBeGreaterThan(1200);
      expect((await listAll(base, 'ExternalService')).map((r) => r.name)).toEqual(want);
      expect((await base.get('ExternalService', 'default', 'keep'))?.spec).toEqual((await globalStore.get('ExternalService', 'default', 'keep'))?.spec);
      expect(await base.get('ExternalService', 'default', 'stale-copy')).toBeUndefined();
      expect((await base.get('Dataplane', 'default', 'local-dp'))?.version).toBe(1);
      // a few transactions of at most 500, not one per resource (a batch leaves out entries its copy already has)
      expect(batches.every((b) => b.length <= 500)).toBe(true);
      expect(batches.filter((b) => b.length > 400).length).toBeGreaterThanOrEqual(2);
      expect(batches.length).toBeLessThanOrEqual(Math.ceil(want.length / 500) + 3);
      expect(zone3.status()).toMatchObject({ connected: true, replaying: false });

      // live: one update is applied on its own, without waiting for a batch to fill
      const replayBatches = batches.length;
      const keep = (await globalStore.get('ExternalService', 'default', 'keep')) as Resource;
      await globalStore.update({ ...keep, labels: { team: 'live' } });
      await eventually(async () => expect((await base.get('ExternalService', 'default', 'keep'))?.labels).toEqual({ team: 'live', [ORIGIN_LABEL]: 'global' }), 'live update in zone-3', 5000);
      expect(batches.slice(replayBatches)).toEqual([[{ op: 'upsert', resource: expect.objectContaining({ name: 'keep', labels: { team: 'live', [ORIGIN_LABEL]: 'global' } }) }]]);

      // an item the store refuses is skipped (with a warning) and the others are applied; a transient
      // failure is retried
      let flaky = 0;
      failNext = (ops) => {
        const i = ops.findIndex((o) => o.op === 'upsert' && o.resource.name === 'refused-es');
        if (i >= 0) throw new BatchError([{ index: i, error: new CausewayError('INVALID', 'refused for the test', [{ field: 'networking.address', reason: 'refused for the test' }]) }]);
        if (ops.some((o) => o.op === 'upsert' && o.resource.name === 'flaky-es') && flaky++ === 0) throw new Error('connection reset (test)');
      };
      await globalStore.applyBatch([
        { op: 'upsert', resource: es('refused-es', 'refused.example.com:443') },
        { op: 'upsert', resource: es('fine-es', 'fine.example.com:443') },
        { op: 'upsert', resource: es('flaky-es', 'flaky.example.com:443') },
      ]);
      await eventually(
        async () => {
          expect(await base.get('ExternalService', 'default', 'fine-es')).toBeDefined();
          expect(await base.get('ExternalService', 'default', 'flaky-es')).toBeDefined();
        },
        'entries next to a refused one',
        10_000,
      );
      expect(await base.get('ExternalService', 'default', 'refused-es')).toBeUndefined();
      expect(flaky).toBeGreaterThan(0);
      const warned = logs((l) => l.zone === 'zone-3' && l.level === 40 && l.key === 'ExternalService.default.refused-es');
      expect(warned.map((l) => l.msg)).toEqual(['the store refused ExternalService "refused-es" in mesh "default" from global: skipped']);
      expect(logs((l) => l.zone === 'zone-3' && l.msg === 'could not apply entries of causeway-global; retrying in 1 s').length).toBeGreaterThan(0);
    } finally {
      await zone3.close();
      await base.close();
    }
  }, 60_000);

  it('a restarted global replays causeway-zones into its store in batches', async () => {
    const zone1 = zoneStores['zone-1'] as ResourceStore;
    const dps = Array.from({ length: 600 }, (_, i) => dataplane(`bulk-dp-${String(i).padStart(3, '0')}`, `10.1.${Math.floor(i / 250)}.${(i % 250) + 1}`));
    await zone1.applyBatch(dps.map((resource): BatchOp => ({ op: 'upsert', resource })));
    const atGlobal = async () => (await listAll(globalStore, 'Dataplane', { zone: 'zone-1' })).filter((r) => r.name.startsWith('bulk-dp-')).length;
    await eventually(async () => expect(await atGlobal()).toBe(600), 'the dataplanes at global', 30_000);

    // global restarts, and its copies of them are gone meanwhile: the replay brings them back
    await global.close();
    await globalStore.applyBatch(dps.map((d): BatchOp => ({ op: 'delete', type: 'Dataplane', mesh: 'default', name: `${d.name}.zone-1` })));
    const batches: number[] = [];
    const spying = new Proxy(globalStore, {
      get(target, prop) {
        if (prop === 'applyBatch')
          return (ops: readonly BatchOp[], opts?: BatchOptions) => {
            batches.push(ops.length);
            return target.applyBatch(ops, opts);
          };
        const v = Reflect.get(target, prop, target);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
    global = await startGlobalSync({
      store: spying,
      nats: { servers: server.url, user: gen.global.user, password: gen.global.password, reconnectWaitMs: 200 },
      logger: root.child({ side: 'global' }),
      zoneCacheMs: 100,
    });
    await global.synced();
    expect(await atGlobal()).toBe(600);
    expect((await globalStore.get('Dataplane', 'default', 'bulk-dp-000.zone-1'))?.labels).toEqual({ [ORIGIN_LABEL]: 'zone', [ZONE_LABEL]: 'zone-1', [DISPLAY_NAME_LABEL]: 'bulk-dp-000' });
    expect(batches.every((n) => n <= 500)).toBe(true);
    expect(batches.some((n) => n > 400)).toBe(true);
    expect(batches.length).toBeLessThan(20);

    await zone1.applyBatch(dps.map((d): BatchOp => ({ op: 'delete', type: 'Dataplane', mesh: 'default', name: d.name })));
    await eventually(async () => expect(await atGlobal()).toBe(0), 'the dataplanes deleted at global', 30_000);
  }, 90_000);
});
