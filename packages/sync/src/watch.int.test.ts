/**
 * watchBucket on a real nats-server: a replay is delivered in full and then followed; and a replay that
 * delivers nothing while the consumer's heartbeats keep coming (its messages went nowhere) ends the watch
 * with an error after the stall time instead of leaving the sync waiting in silence.
 */
import { type JetStreamClient, jetstream } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type NatsServer, startNatsServer } from './testing/nats-server.js';
import { type KvChange, watchBucket } from './watch.js';

/** A JetStream client whose push consumers hand no message to the watch (heartbeats still flow). */
function droppingMessages(js: JetStreamClient): JetStreamClient {
  const consumers = new Proxy(js.consumers, {
    get(target, prop, receiver) {
      if (prop !== 'getBoundPushConsumer') return Reflect.get(target, prop, receiver);
      return async (...args: Parameters<typeof target.getBoundPushConsumer>) => {
        const c = await target.getBoundPushConsumer(...args);
        return new Proxy(c, {
          get(t, p, r) {
            if (p !== 'consume') return Reflect.get(t, p, r);
            return (opts: Parameters<typeof t.consume>[0]) => t.consume({ ...opts, callback: () => {} });
          },
        });
      };
    },
  });
  return new Proxy(js, { get: (target, prop, receiver) => (prop === 'consumers' ? consumers : Reflect.get(target, prop, receiver)) });
}

describe('watchBucket (real nats-server)', () => {
  let server: NatsServer;
  let nc: NatsConnection;
  let js: JetStreamClient;

  beforeAll(async () => {
    server = await startNatsServer();
    nc = await connect({ servers: server.url });
    js = jetstream(nc, { timeout: 2000 });
    const kv = await new Kvm(js).create('watched', { history: 1 });
    for (let i = 0; i < 50; i++) await kv.put(`k${i}`, `v${i}`);
  });
  afterAll(async () => {
    await nc?.close();
    await server?.dispose();
  });

  it('replays every key, then follows a live update', async () => {
    const seen: KvChange[] = [];
    const w = await watchBucket({ js, bucket: 'watched', keys: '>', onChange: (c) => seen.push(c) });
    try {
      expect(await w.replayed).toBe(true);
      expect(new Set(seen.map((c) => c.key)).size).toBe(50);
      await (await new Kvm(js).open('watched')).put('live', 'x');
      await expect.poll(() => seen.some((c) => c.key === 'live'), { timeout: 5000 }).toBe(true);
    } finally {
      await w.stop();
    }
  });

  it('ends a replay that delivers nothing with an error naming the bucket, while heartbeats go on', async () => {
    const started = Date.now();
    const w = await watchBucket({ js: droppingMessages(js), bucket: 'watched', keys: '>', onChange: () => {}, replayStallMs: 1500 });
    expect(await w.replayed).toBe(false);
    const err = await w.closed;
    expect(err?.message).toMatch(/the replay of watched delivered nothing for 1500 ms \(0 of 5\d entries delivered\)/);
    // the stall, not missed heartbeats (those flow: the consumer is alive), ended it, after the stall time
    expect(Date.now() - started).toBeGreaterThanOrEqual(1400);
  });
});
