/** `/ready`'s store check (readiness.ts): one query stands for the probes of a second; a failure is not kept. */
import { openStore } from '@causeway/store';
import pino from 'pino';
import { describe, expect, it, vi } from 'vitest';
import { storeReadiness } from './readiness.js';
import { buildApi } from './server.js';
import { STORE_START_TIMEOUT } from './testing/index.js';

function fakeStore() {
  const s = {
    queries: 0,
    fail: undefined as Error | undefined,
    pending: [] as (() => void)[],
    revision(): Promise<number> {
      s.queries++;
      return new Promise((resolve, reject) =>
        s.pending.push(() => {
          if (s.fail) reject(s.fail);
          else resolve(1);
        }),
      );
    },
    answer() {
      for (const f of s.pending.splice(0)) f();
    },
  };
  return s;
}

describe('storeReadiness', () => {
  it('probes while a check runs share it; an answer stands for freshMs; then the store is asked again', async () => {
    const store = fakeStore();
    let t = 0;
    const ready = storeReadiness(store, 1000, () => t);
    const probes = [ready(), ready(), ready()];
    expect(store.queries).toBe(1);
    store.answer();
    await Promise.all(probes);
    t = 999;
    await ready();
    expect(store.queries).toBe(1);
    t = 1000;
    const next = ready();
    expect(store.queries).toBe(2);
    store.answer();
    await next;
  });

  it("rejects with the store's error, and asks again at the next probe (a failure is not kept)", async () => {
    const store = fakeStore();
    let t = 0;
    const ready = storeReadiness(store, 1000, () => t);
    store.fail = new Error('connection refused');
    const probe = ready();
    store.answer();
    await expect(probe).rejects.toThrow('connection refused');
    store.fail = undefined;
    t = 1;
    const again = ready();
    expect(store.queries).toBe(2);
    store.answer();
    await expect(again).resolves.toBeUndefined();
  });
});

describe('GET /ready', () => {
  it('answers 200 from one store query per second, 503 naming the store while it fails, 200 again once it answers', async () => {
    const store = await openStore();
    const app = await buildApi({ store, mode: 'global', adminToken: 'admin', logger: pino({ level: 'silent' }), version: '0.0.0-test', instanceId: 'test' });
    try {
      const revision = vi.spyOn(store, 'revision');
      const probes = await Promise.all([1, 2, 3].map(() => app.inject({ url: '/ready' })));
      expect(probes.map((r) => r.statusCode)).toEqual([200, 200, 200]);
      expect((await app.inject({ url: '/ready' })).json()).toEqual({ ready: true });
      expect(revision).toHaveBeenCalledTimes(1);

      await new Promise((r) => setTimeout(r, 1000));
      revision.mockRejectedValueOnce(new Error('connection terminated'));
      const down = await app.inject({ url: '/ready' });
      expect(down.statusCode).toBe(503);
      expect(down.json()).toMatchObject({ title: 'Not ready', details: 'store unavailable: connection terminated' });
      expect((await app.inject({ url: '/ready' })).statusCode).toBe(200);
      expect(revision).toHaveBeenCalledTimes(3);
    } finally {
      await app.close();
      await store.close();
    }
  }, STORE_START_TIMEOUT + 5000);
});
