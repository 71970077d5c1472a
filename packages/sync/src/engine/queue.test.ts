import { describe, expect, it } from 'vitest';
import { KeyedQueue } from './queue.js';

const tick = (ms = 5) => new Promise((r) => setTimeout(r, ms));

describe('KeyedQueue', () => {
  it('never runs a key twice at once and reprocesses a key marked while running', async () => {
    const running = new Set<string>();
    const runs: string[] = [];
    let overlap = false;
    const q = new KeyedQueue({
      concurrency: 4,
      process: async (k) => {
        if (running.has(k)) overlap = true;
        running.add(k);
        runs.push(k);
        await tick();
        running.delete(k);
      },
      onError: () => {},
    });
    q.mark('a');
    q.mark('a'); // coalesced with the waiting one? no: 'a' is already running -> runs again later
    q.mark('b');
    await tick(1);
    q.mark('a');
    await q.idle();
    expect(overlap).toBe(false);
    expect(runs.filter((k) => k === 'a').length).toBe(2);
    expect(runs.filter((k) => k === 'b').length).toBe(1);
  });

  it('coalesces marks of a waiting key and respects the concurrency limit', async () => {
    let active = 0;
    let peak = 0;
    const seen: string[] = [];
    const q = new KeyedQueue({
      concurrency: 2,
      process: async (k) => {
        active++;
        peak = Math.max(peak, active);
        seen.push(k);
        await tick();
        active--;
      },
      onError: () => {},
    });
    for (let i = 0; i < 10; i++) for (let j = 0; j < 3; j++) q.mark(`k${i}`);
    await q.idle();
    expect(peak).toBe(2);
    // k0 and k1 started at their first mark, so their later marks run them once more; the others coalesce.
    expect(seen.sort()).toEqual(['k0', 'k0', 'k1', 'k1', ...Array.from({ length: 8 }, (_, i) => `k${i + 2}`)].sort());
  });

  it('runs lower priorities first', async () => {
    const order: string[] = [];
    const q = new KeyedQueue({
      concurrency: 1,
      process: async (k) => {
        order.push(k);
        await tick(1);
      },
      onError: () => {},
      priority: (k) => (k.startsWith('Mesh') ? 0 : 2),
    });
    q.mark('first'); // starts at once (nothing else waiting)
    q.mark('ES.a');
    q.mark('ES.b');
    q.mark('Mesh.x');
    await q.idle();
    expect(order).toEqual(['first', 'Mesh.x', 'ES.a', 'ES.b']);
  });

  it('reports errors and goes on', async () => {
    const errors: string[] = [];
    const done: string[] = [];
    const q = new KeyedQueue({
      concurrency: 2,
      process: async (k) => {
        if (k === 'bad') throw new Error('boom');
        done.push(k);
      },
      onError: (k, e) => errors.push(`${k}: ${(e as Error).message}`),
    });
    q.mark('bad');
    q.mark('good');
    await q.idle();
    expect(errors).toEqual(['bad: boom']);
    expect(done).toEqual(['good']);
  });

  it('clear drops waiting keys and stop refuses new ones', async () => {
    const done: string[] = [];
    const q = new KeyedQueue({
      concurrency: 1,
      process: async (k) => {
        await tick();
        done.push(k);
      },
      onError: () => {},
    });
    q.mark('a');
    q.mark('b');
    q.clear();
    await q.idle();
    expect(done).toEqual(['a']);
    await q.stop();
    q.mark('c');
    await q.idle();
    expect(done).toEqual(['a']);
  });
});
