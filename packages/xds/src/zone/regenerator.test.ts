/**
 * When the regenerator's passes start (`schedule`): a lone change soon (GATHER_MS), a stream of changes at
 * most one pass per debounce window, and none while a queued pass has not started yet. The pass itself is
 * covered by zone.test.ts; here the mirror only counts the refreshes each pass begins with.
 */
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { SnapshotCache } from '../server/cache.js';
import type { Certificates } from './certificates.js';
import type { StoreMirror } from './mirror.js';
import type { Proxies } from './proxies.js';
import { Regenerator } from './regenerator.js';

describe('Regenerator.schedule', () => {
  let passes: number[];
  let refreshGate: Promise<void>;
  let regenerator: Regenerator;

  beforeEach(() => {
    vi.useFakeTimers({ now: 0 });
    passes = [];
    refreshGate = Promise.resolve();
    const mirror = {
      refresh: async () => {
        passes.push(Date.now());
        await refreshGate;
        return false;
      },
    } as unknown as StoreMirror;
    regenerator = new Regenerator({
      mirror,
      proxies: {} as Proxies,
      certificates: { nextRenewal: () => undefined } as unknown as Certificates,
      cache: {} as SnapshotCache,
      logger: pino({ level: 'silent' }),
      now: () => new Date(),
      debounceMs: 100,
    });
  });

  afterEach(async () => {
    await regenerator.close();
    vi.useRealTimers();
  });

  it('starts the pass for a lone change after 10 ms, not after the whole debounce', async () => {
    regenerator.schedule();
    await vi.advanceTimersByTimeAsync(9);
    expect(passes).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(passes).toEqual([10]);
  });

  it('coalesces a stream of changes into one pass per debounce window', async () => {
    for (let t = 0; t < 400; t += 5) {
      regenerator.schedule();
      await vi.advanceTimersByTimeAsync(5);
    }
    await vi.advanceTimersByTimeAsync(200);
    // The first after 10 ms, then one each 100 ms after the one before it started.
    expect(passes).toEqual([10, 110, 210, 310, 410]);
  });

  it('a change long after the last pass is not held back by it', async () => {
    regenerator.schedule();
    await vi.advanceTimersByTimeAsync(500);
    regenerator.schedule();
    await vi.advanceTimersByTimeAsync(10);
    expect(passes).toEqual([10, 510]);
  });

  it('queues no second pass while the one queued waits for the job before it', async () => {
    let release!: () => void;
    const blocker = new Promise<void>((r) => (release = r));
    void regenerator.enqueue(() => blocker);
    regenerator.schedule();
    await vi.advanceTimersByTimeAsync(150);
    // The pass is queued behind the job; changes meanwhile are for it (it reads them when it starts).
    regenerator.schedule();
    regenerator.schedule();
    await vi.advanceTimersByTimeAsync(150);
    expect(passes).toEqual([]);
    release();
    await vi.advanceTimersByTimeAsync(0);
    expect(passes).toEqual([300]);
    await vi.advanceTimersByTimeAsync(500);
    expect(passes).toEqual([300]);
  });
});
