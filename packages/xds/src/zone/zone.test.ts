import { caSecretNames, createSigningKey, generateDataplaneToken, verifyToken as verifyDataplaneToken } from '@causeway/pki';
import { openStore, type ResourceStore } from '@causeway/store';
import * as grpc from '@grpc/grpc-js';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdsError, type ConnectInfo } from '../server/ads.js';
import { res, storeMeshCa, until } from '../testing/index.js';
import { XdsZone } from './index.js';

describe('XdsZone certificate rotation', () => {
  let store: ResourceStore;
  let zone: XdsZone;
  // Renewal passes, from the zone's log (the time of each).
  const passes: number[] = [];

  beforeAll(async () => {
    store = await openStore({ pollIntervalMs: 50 });
    const logger = pino(
      { level: 'info' },
      {
        write: (line: string) => {
          const entry = JSON.parse(line) as { msg?: string; time: number };
          if (entry.msg === 'rotating workload certificates') passes.push(entry.time);
        },
      },
    );
    zone = new XdsZone({ store, zone: 'zone-1', logger, signingKeyPem: createSigningKey(), requireToken: false, debounceMs: 10 });
    await zone.start();
  });

  afterAll(async () => {
    await zone?.close();
    await store?.close();
  });

  it('retries a certificate that stays due at most about once a second, even while flushes and connects re-arm the timer', async () => {
    await store.create(res('Mesh', 'm', { mtls: { enabledBackend: 'ca-1', backends: [{ name: 'ca-1', type: 'builtin', dpCert: { rotation: { expiration: '1s' } } }] } }));
    await storeMeshCa(store, 'm');
    await until(() => (zone.meshContexts().get('m')?.caPem ? true : undefined));
    const doc = JSON.stringify({ type: 'Dataplane', mesh: 'm', name: 'web-1', networking: { address: '127.0.0.50', inbound: [{ port: 8080, tags: { 'kuma.io/service': 'web' } }] } });
    const info: ConnectInfo = { node: { id: 'm.web-1', metadata: { 'dataplane.resource': doc } }, token: undefined, streamId: 'stream-1', peer: 'test' };
    const key = await zone.connect(info);
    // Its first config comes with a workload certificate.
    await until(() => zone.cache.get(key));

    // The mesh CA goes away: the certificate can no longer be renewed and stays due.
    const names = caSecretNames('m', 'ca-1');
    await store.delete('Secret', 'm', names.cert);
    await store.delete('Secret', 'm', names.key);
    await until(() => (zone.meshContexts().get('m')?.caPem === undefined ? true : undefined));
    await until(() => (passes.length > 0 ? true : undefined));

    // For 2.5 s, store changes (each a flush) and reconnects of the proxy keep re-arming the rotation timer.
    const from = passes.length;
    const end = Date.now() + 2500;
    for (let i = 0; Date.now() < end; i++) {
      await zone.connect(info);
      await store.upsert(res('Mesh', 'noise', {}, undefined, { n: String(i) }));
      await new Promise((r) => setTimeout(r, 30));
    }
    // The passes from the last one before the 2.5 s on: the certificate is still retried, but at most
    // about once a second (not after every flush / connect).
    const attempts = passes.slice(from - 1);
    expect(attempts.length - 1).toBeGreaterThanOrEqual(1);
    expect(attempts.length - 1).toBeLessThanOrEqual(4);
    for (let i = 1; i < attempts.length; i++) expect((attempts[i] as number) - (attempts[i - 1] as number)).toBeGreaterThanOrEqual(900);
  });
});

describe('XdsZone with --allow-untagged-dataplane-tokens', () => {
  let store: ResourceStore;
  let zone: XdsZone;
  const key = createSigningKey();

  beforeAll(async () => {
    store = await openStore({ pollIntervalMs: 50 });
    await store.create(res('Mesh', 'default', {}));
    zone = new XdsZone({ store, zone: 'zone-1', logger: pino({ level: 'silent' }), signingKeyPem: key, allowUntaggedDataplaneTokens: true, debounceMs: 10, proxyGraceMs: 100 });
    await zone.start();
  });

  afterAll(async () => {
    await zone?.close();
    await store?.close();
  });

  const info = (name: string, service: string, token: string): ConnectInfo => ({
    node: {
      id: `default.${name}`,
      metadata: { 'dataplane.resource': JSON.stringify({ type: 'Dataplane', mesh: 'default', name, networking: { address: '127.0.0.70', inbound: [{ port: 8080, tags: { 'kuma.io/service': service } }] } }) },
    },
    token,
    streamId: `stream-${name}`,
    peer: 'test',
  });

  it('accepts a token issued without tags, and still holds a tagged token to its services', async () => {
    const untagged = generateDataplaneToken({ signingKeyPem: key, mesh: 'default', name: 'legacy-1' });
    const k = await zone.connect(info('legacy-1', 'anything', untagged));
    expect(k).toBe('Dataplane/default/legacy-1');
    zone.disconnect(k, 'stream-legacy-1');
    // The name still binds.
    await expect(zone.connect(info('legacy-2', 'anything', untagged))).rejects.toMatchObject({ code: grpc.status.PERMISSION_DENIED, message: expect.stringMatching(/not "legacy-2"/) });
    const tagged = generateDataplaneToken({ signingKeyPem: key, mesh: 'default', name: 'web-b', tags: { 'kuma.io/service': ['web'] } });
    await expect(zone.connect(info('web-b', 'payments', tagged))).rejects.toMatchObject({
      code: grpc.status.PERMISSION_DENIED,
      message: 'inbound[0].tags["kuma.io/service"]: "payments" is not allowed by the token (issued for: web)',
    });
    expect(await store.get('Dataplane', 'default', 'web-b')).toBeUndefined();
  });

  it('keeps a proxy that reconnected while its deletion waited behind other regeneration work', async () => {
    // The deletion (grace 100 ms) runs as a regenerator job; in a connect wave that queue is seconds long,
    // and a reconnect that registers an unchanged resource does not bump its version.
    const internals = zone as unknown as { regenerator: { enqueue(job: () => Promise<void>): Promise<void> }; registry: { opts: { proxies: { get(k: string): { streams: Set<string> } | undefined } } } };
    const token = generateDataplaneToken({ signingKeyPem: key, mesh: 'default', name: 'web-r', tags: { 'kuma.io/service': ['web'] } });
    const k = await zone.connect(info('web-r', 'web', token));
    zone.disconnect(k, 'stream-web-r');
    let open = () => {};
    const gate = new Promise<void>((r) => {
      open = r;
    });
    void internals.regenerator.enqueue(() => gate);
    await new Promise((r) => setTimeout(r, 300)); // the grace period ends: the deletion job waits behind the gate
    const again = zone.connect({ ...info('web-r', 'web', token), streamId: 'stream-web-r-2' });
    await until(() => internals.registry.opts.proxies.get(k)?.streams.has('stream-web-r-2'));
    open();
    expect(await again).toBe(k);
    await new Promise((r) => setTimeout(r, 300));
    expect(await store.get('Dataplane', 'default', 'web-r')).toBeDefined();
    expect(internals.registry.opts.proxies.get(k)?.streams.has('stream-web-r-2')).toBe(true);
    expect(zone.cache.get(k)).toBeDefined();
    zone.disconnect(k, 'stream-web-r-2');
  });
});

describe('XdsZone with a token verifier of its own (verifyToken)', () => {
  let store: ResourceStore;
  let zone: XdsZone;
  const zoneKey = createSigningKey();
  const otherKey = createSigningKey();
  const verified: string[] = [];

  beforeAll(async () => {
    store = await openStore({ pollIntervalMs: 50 });
    await store.create(res('Mesh', 'default', {}));
    // accepts tokens of another key (as the control plane accepts global's), refuses one with its own code
    const verifyToken = async (token: string, now: Date) => {
      verified.push(token);
      if (token === 'refused') throw new AdsError(grpc.status.PERMISSION_DENIED, 'refused by the verifier');
      return verifyDataplaneToken(otherKey, token, now);
    };
    zone = new XdsZone({ store, zone: 'zone-1', logger: pino({ level: 'silent' }), signingKeyPem: zoneKey, verifyToken, debounceMs: 10, proxyGraceMs: 100 });
    await zone.start();
  });

  afterAll(async () => {
    await zone?.close();
    await store?.close();
  });

  const info = (name: string, token: string, metadata: Record<string, string> = {}): ConnectInfo => ({
    node: {
      id: `default.${name}`,
      metadata: { 'dataplane.resource': JSON.stringify({ type: 'Dataplane', mesh: 'default', name, networking: { address: '127.0.0.71', inbound: [{ port: 8080, tags: { 'kuma.io/service': 'web' } }] } }), ...metadata },
    },
    token,
    streamId: `stream-${name}`,
    peer: 'test',
  });

  it('admits what the verifier accepts, still checks the claims, and keeps the code of its refusal', async () => {
    const token = generateDataplaneToken({ signingKeyPem: otherKey, mesh: 'default', name: 'web-v', tags: { 'kuma.io/service': ['web'] } });
    const k = await zone.connect(info('web-v', token));
    expect(k).toBe('Dataplane/default/web-v');
    zone.disconnect(k, 'stream-web-v');
    // the claims are checked as for the zone's own tokens: this token is for web-v
    await expect(zone.connect(info('web-w', token))).rejects.toMatchObject({ code: grpc.status.PERMISSION_DENIED, message: expect.stringMatching(/not "web-w"/) });
    // the zone's own key is not consulted: the verifier decides
    const own = generateDataplaneToken({ signingKeyPem: zoneKey, mesh: 'default', name: 'web-z', tags: { 'kuma.io/service': ['web'] } });
    await expect(zone.connect(info('web-z', own))).rejects.toMatchObject({ code: grpc.status.UNAUTHENTICATED, message: expect.stringContaining('signature') });
    await expect(zone.connect(info('web-r', 'refused'))).rejects.toMatchObject({ code: grpc.status.PERMISSION_DENIED, message: 'refused by the verifier' });
    expect(verified).toHaveLength(4);
  });
});

describe('XdsZone registrations of proxies that connect together', () => {
  let store: ResourceStore;
  let zone: XdsZone;
  const batches: number[] = [];
  const singles: string[] = [];

  beforeAll(async () => {
    const real = await openStore({ pollIntervalMs: 50 });
    await real.create(res('Mesh', 'default', {}));
    // The real store, except that it refuses the Dataplane "refused-1" (alone or in a batch), and counts
    // the writes of Dataplanes.
    const refuses = (r: { name: string }) => r.name === 'refused-1';
    const refusal = () => new Error('Dataplane "refused-1": refused by this test');
    store = new Proxy(real, {
      get(target, prop, receiver) {
        if (prop === 'applyBatch')
          return async (ops: Parameters<ResourceStore['applyBatch']>[0], opts?: Parameters<ResourceStore['applyBatch']>[1]) => {
            if (ops.some((op) => op.op === 'upsert' && op.resource.type === 'Dataplane')) batches.push(ops.length);
            if (ops.some((op) => op.op === 'upsert' && refuses(op.resource))) throw refusal();
            return target.applyBatch(ops, opts);
          };
        if (prop === 'upsert')
          return async (r: Parameters<ResourceStore['upsert']>[0], opts?: Parameters<ResourceStore['upsert']>[1]) => {
            if (r.type === 'Dataplane') singles.push(r.name);
            if (refuses(r)) throw refusal();
            return target.upsert(r, opts);
          };
        const v = Reflect.get(target, prop, receiver);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
    zone = new XdsZone({ store, zone: 'zone-1', logger: pino({ level: 'silent' }), signingKeyPem: createSigningKey(), requireToken: false, debounceMs: 10, proxyGraceMs: 60_000 });
    await zone.start();
  });

  afterAll(async () => {
    await zone?.close();
    await store?.close();
  });

  const info = (name: string, i: number): ConnectInfo => ({
    node: {
      id: `default.${name}`,
      metadata: { 'dataplane.resource': JSON.stringify({ type: 'Dataplane', mesh: 'default', name, networking: { address: `127.0.0.${80 + i}`, inbound: [{ port: 8080, tags: { 'kuma.io/service': 'web' } }] } }) },
    },
    token: undefined,
    streamId: `stream-${name}`,
    peer: 'test',
  });

  it('writes them in one batch; one the store refuses is refused to that proxy alone, with the store\'s reason', async () => {
    const names = ['web-1', 'web-2', 'refused-1', 'web-3'];
    const out = await Promise.allSettled(names.map((n, i) => zone.connect(info(n, i))));
    expect(out.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect((out[2] as PromiseRejectedResult).reason).toMatchObject({ code: grpc.status.INVALID_ARGUMENT, message: 'the zone refused the Dataplane: Dataplane "refused-1": refused by this test' });
    expect(batches).toEqual([4]);
    expect(singles.sort()).toEqual(['refused-1', 'web-1', 'web-2', 'web-3']);
    for (const n of ['web-1', 'web-2', 'web-3']) expect((await store.get('Dataplane', 'default', n))?.labels).toMatchObject({ 'causeway.io/registered-by': 'ads' });
    expect(await store.get('Dataplane', 'default', 'refused-1')).toBeUndefined();

    // A wave the store accepts: one transaction, and each proxy gets its config.
    batches.length = 0;
    singles.length = 0;
    const wave = ['a-1', 'a-2', 'a-3', 'a-4', 'a-5'];
    const keys = await Promise.all(wave.map((n, i) => zone.connect(info(n, 10 + i))));
    expect(keys).toEqual(wave.map((n) => `Dataplane/default/${n}`));
    expect(batches).toEqual([5]);
    expect(singles).toEqual([]);
    for (const k of keys) await until(() => zone.cache.get(k));
  });
});

describe('XdsZone available services of its ZoneIngress', () => {
  let store: ResourceStore;
  let zone: XdsZone;

  beforeAll(async () => {
    store = await openStore({ pollIntervalMs: 20 });
    await store.create(res('Mesh', 'default', {}));
    await store.create(res('ZoneIngress', 'ingress-1', { networking: { address: '127.0.0.30', port: 10001 } }));
    zone = new XdsZone({ store, zone: 'zone-1', logger: pino({ level: 'silent' }), signingKeyPem: createSigningKey(), requireToken: false, debounceMs: 20 });
    await zone.start();
  });

  afterAll(async () => {
    await zone?.close();
    await store?.close();
  });

  it('writes them in the same pass as the change, and its own write does not start another pass', async () => {
    const before = zone.generations;
    await store.create(res('Dataplane', 'web-1', { networking: { address: '127.0.0.31', inbound: [{ port: 8080, tags: { 'kuma.io/service': 'web' } }] } }, 'default'));
    const stored = await until(async () => {
      const r = await store.get('ZoneIngress', undefined, 'ingress-1');
      return (r?.spec as { availableServices?: unknown[] } | undefined)?.availableServices?.length ? r : undefined;
    });
    expect((stored.spec as { zone?: string; availableServices?: unknown[] }).availableServices).toEqual([{ tags: { 'kuma.io/service': 'web' }, instances: 1, mesh: 'default' }]);
    expect((stored.spec as { zone?: string }).zone).toBe('zone-1');
    // The change feed has reported the ZoneIngress write well within this time (polled every 20 ms).
    await new Promise((r) => setTimeout(r, 300));
    expect(zone.generations - before).toBe(1);
    expect(zone.view().zoneIngresses.find((z) => z.name === 'ingress-1')?.version).toBe(stored.version);
  });
});

describe('XdsZone replicas on one store', () => {
  let store: ResourceStore;
  const key = createSigningKey();
  const replicas: XdsZone[] = [];

  beforeAll(async () => {
    store = await openStore({ pollIntervalMs: 20 });
    await store.create(res('Mesh', 'default', {}));
    for (const instanceId of ['replica-a', 'replica-b']) {
      const z = new XdsZone({ store, zone: 'zone-1', logger: pino({ level: 'silent' }), signingKeyPem: key, debounceMs: 10, proxyGraceMs: 200, instanceId });
      await z.start();
      replicas.push(z);
    }
  });

  afterAll(async () => {
    for (const z of replicas) await z.close();
    await store?.close();
  });

  const info = (streamId: string): ConnectInfo => ({
    node: {
      id: 'default.moving-1',
      metadata: { 'dataplane.resource': JSON.stringify({ type: 'Dataplane', mesh: 'default', name: 'moving-1', networking: { address: '127.0.0.80', inbound: [{ port: 8080, tags: { 'kuma.io/service': 'web' } }] } }) },
    },
    token: generateDataplaneToken({ signingKeyPem: key, mesh: 'default', name: 'moving-1', tags: { 'kuma.io/service': ['web'] } }),
    streamId,
    peer: 'test',
  });

  it("the replica a proxy left writes its disconnect without closing the other's open stream, and a connect closes a stale one", async () => {
    const [a, b] = replicas as [XdsZone, XdsZone];
    const insight = async () => (await store.get('DataplaneInsight', 'default', 'moving-1'))?.spec.subscriptions ?? [];
    const states = async () => (await insight()).map((s) => `${s.controlPlaneInstanceId}:${s.disconnectTime === undefined ? 'open' : 'closed'}`);
    // on b first; then a connect on a (b's stream is older: the proxy left b without b noticing yet)
    const k = await b.connect(info('s-b1'));
    await until(async () => ((await states()).includes('replica-b:open') ? true : undefined), 5000);
    await a.connect(info('s-a1'));
    await until(async () => ((await states()).includes('replica-a:open') ? true : undefined), 5000);
    expect(await states()).toEqual(['replica-b:closed', 'replica-a:open']);
    // b notices its stream ended after a's connect was written: its write keeps a's stream open
    b.disconnect(k, 's-b1');
    await new Promise((r) => setTimeout(r, 800));
    expect((await states()).at(-1)).toBe('replica-a:open');
    a.disconnect(k, 's-a1');
    await until(async () => ((await states()).at(-1) === 'replica-a:closed' ? true : undefined), 5000);
    await until(async () => ((await store.get('Dataplane', 'default', 'moving-1')) === undefined ? true : undefined), 5000);
  });

  it('a proxy that moved to the other replica is not deleted by the one it left; one that went away is', async () => {
    const [a, b] = replicas as [XdsZone, XdsZone];
    const k = await a.connect(info('s-a'));
    expect((await store.get('Dataplane', 'default', 'moving-1'))?.labels['causeway.io/registered-instance']).toBe('replica-a');
    // The stream to replica a breaks (a keeps running); the proxy is on replica b before a's grace ends.
    a.disconnect(k, 's-a');
    await b.connect(info('s-b'));
    expect((await store.get('Dataplane', 'default', 'moving-1'))?.labels['causeway.io/registered-instance']).toBe('replica-b');
    await new Promise((r) => setTimeout(r, 600));
    expect(await store.get('Dataplane', 'default', 'moving-1')).toBeDefined();
    // Its insight: a's stream closed, b's open — written by both replicas, in whichever order (online)
    const insight = async () => (await store.get('DataplaneInsight', 'default', 'moving-1'))?.spec.subscriptions ?? [];
    await until(async () => ((await insight()).length === 2 ? true : undefined), 5000);
    expect((await insight()).map((s) => [s.controlPlaneInstanceId, s.disconnectTime === undefined ? 'open' : 'closed'])).toEqual([
      ['replica-a', 'closed'],
      ['replica-b', 'open'],
    ]);
    // Gone from b too: b deletes it after its grace.
    b.disconnect(k, 's-b');
    await until(async () => ((await store.get('Dataplane', 'default', 'moving-1')) === undefined ? true : undefined), 5000);
  });
});
