import { describe, expect, it } from 'vitest';
import { KeyedBatcher } from './batcher.js';

const tick = (ms = 5) => new Promise((r) => setTimeout(r, ms));

/** A batcher whose batches are recorded and take `ms` each. */
function recording(maxBatch: number, ms = 5, priority?: (key: string) => number) {
  const batches: string[][] = [];
  let active = 0;
  let overlap = false;
  const b = new KeyedBatcher({
    maxBatch,
    process: async (keys) => {
      if (active > 0) overlap = true;
      active++;
      batches.push(keys);
      await tick(ms);
      active--;
    },
    onError: () => {},
    ...(priority ? { priority } : {}),
  });
  return { b, batches, overlap: () => overlap };
}

describe('KeyedBatcher', () => {
  it('starts a single key at once, and coalesces what arrives while a batch runs into the next one', async () => {
    const { b, batches, overlap } = recording(500, 20);
    b.mark('a');
    // started synchronously: a live update does not wait for a batch to fill
    expect(batches).toEqual([['a']]);
    b.mark('b');
    b.mark('c');
    b.mark('b');
    b.mark('a'); // marked again while its batch runs: it runs again, in the next batch
    await b.idle();
    expect(batches).toEqual([['a'], ['b', 'c', 'a']]);
    expect(overlap()).toBe(false);
  });

  it('splits into batches of at most maxBatch, in priority order, then marking order', async () => {
    const prio = (k: string) => (k.startsWith('Mesh') ? 0 : 1);
    const { b, batches } = recording(3, 5, prio);
    b.hold();
    for (const k of ['es-1', 'es-2', 'Mesh-a', 'es-3', 'Mesh-b', 'es-4']) b.mark(k);
    // the first batch started, even while holding, as soon as it was full; the second waited for it
    expect(batches).toEqual([['Mesh-a', 'es-1', 'es-2']]);
    await tick(20);
    expect(batches).toEqual([
      ['Mesh-a', 'es-1', 'es-2'],
      ['Mesh-b', 'es-3', 'es-4'],
    ]);
    await b.idle();
    expect(b.size).toBe(0);
  });

  it('holds a partial batch until released, and idle() waits for it', async () => {
    const { b, batches } = recording(4);
    b.hold();
    for (const k of ['a', 'b', 'c', 'd', 'e', 'f']) b.mark(k);
    await tick(30);
    // one full batch ran; the two left wait for more or for the release
    expect(batches).toEqual([['a', 'b', 'c', 'd']]);
    expect(b.size).toBe(2);
    let idle = false;
    const waiting = b.idle().then(() => {
      idle = true;
    });
    await tick(20);
    expect(idle).toBe(false);
    b.release();
    await waiting;
    expect(batches).toEqual([
      ['a', 'b', 'c', 'd'],
      ['e', 'f'],
    ]);
    // released: single keys go at once again
    b.mark('g');
    expect(batches.at(-1)).toEqual(['g']);
    await b.idle();
  });

  it('reports a failed batch and goes on with the next one', async () => {
    const failed: string[][] = [];
    const done: string[][] = [];
    const b = new KeyedBatcher({
      maxBatch: 10,
      process: async (keys) => {
        await tick();
        if (keys.includes('bad')) throw new Error('boom');
        done.push(keys);
      },
      onError: (keys) => failed.push(keys),
    });
    b.mark('bad');
    b.mark('x');
    await b.idle();
    expect(failed).toEqual([['bad']]);
    expect(done).toEqual([['x']]);
  });

  it('clear() drops waiting keys; stop() waits for the running batch and refuses new keys', async () => {
    const { b, batches } = recording(2, 20);
    b.mark('a');
    b.mark('b');
    b.mark('c');
    b.clear();
    await b.idle();
    expect(batches).toEqual([['a']]);
    b.mark('d');
    const stopped = b.stop();
    b.mark('e');
    await stopped;
    await tick(30);
    expect(batches).toEqual([['a'], ['d']]);
    expect(() => new KeyedBatcher({ maxBatch: 0, process: async () => {}, onError: () => {} })).toThrow(RangeError);
  });
});
