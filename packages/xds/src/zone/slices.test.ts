import { describe, expect, it } from 'vitest';
import { Slices, TimeSlicer, TurnBudget } from './slices.js';

describe('TimeSlicer', () => {
  it('yields to the event loop once a slice has run its time, and only then', async () => {
    let now = 0;
    const slicer = new TimeSlicer(20, () => now);
    const ran: number[] = [];
    // 60 proxies of 3 ms each: a yield after every 7th (21 ms), and I/O queued meanwhile runs at the yield.
    for (let i = 1; i <= 60; i++) {
      now += 3;
      setImmediate(() => ran.push(i));
      const before = ran.length;
      await slicer.maybeYield();
      if (i % 7 === 0) expect(ran.length).toBe(i);
      else expect(ran.length).toBe(before);
    }
    expect(slicer.yields).toBe(8);
  });

  it('does not yield while the slice has time left', async () => {
    const slicer = new TimeSlicer(10_000);
    for (let i = 0; i < 100; i++) await slicer.maybeYield();
    expect(slicer.yields).toBe(0);
  });
});

describe('one budget per turn of the event loop', () => {
  it('is shared by a pass and queued jobs: a turn runs about one budget of work, not one per slicer', async () => {
    let clock = 0; // each unit of work takes 1 "ms"
    const budget = new TurnBudget(10, () => clock);
    // Turns of the event loop, counted in the timers phase (where the budget closes too).
    let turn = 0;
    let ticking = true;
    const tick = () => {
      turn++;
      if (ticking) setTimeout(tick, 0);
    };
    setTimeout(tick, 0);
    const perTurn = new Map<number, number>();
    const unit = () => {
      clock++;
      perTurn.set(turn, (perTurn.get(turn) ?? 0) + 1);
    };
    const pass = async () => {
      const slicer = new TimeSlicer(budget);
      for (let i = 0; i < 40; i++) {
        unit();
        await slicer.maybeYield();
      }
    };
    // Three queues of 40 jobs each (reads of many first requests), next to a pass of 40 units.
    const queues = [0, 1, 2].map(() => new Slices(budget));
    const jobs = queues.map((q) => Promise.all(Array.from({ length: 40 }, (_, i) => q.run(async () => {
          unit();
          return i;
        }))));
    const [results] = await Promise.all([Promise.all(jobs), pass()]);
    ticking = false;
    for (const r of results) expect(r).toEqual(Array.from({ length: 40 }, (_, i) => i)); // in order, each its own answer
    // One budget is 10 units (+1 that finds it spent); four slicers each with a budget of their own would
    // run ~40 in a turn. A budget that opened late in a turn can spill into the next: at most two.
    expect(Math.max(...perTurn.values())).toBeLessThanOrEqual(22);
    expect([...perTurn.values()].reduce((a, b) => a + b, 0)).toBe(160);
  });

  it('runs a job at once while the budget has time, and a job that waits for I/O holds up nothing behind it', async () => {
    const slices = new Slices(new TurnBudget(1_000));
    const order: string[] = [];
    const slow = slices.run(async () => {
      order.push('slow started');
      await new Promise((r) => setTimeout(r, 30));
      order.push('slow done');
    });
    const fast = slices.run(async () => {
      order.push('fast');
    });
    await Promise.all([slow, fast]);
    expect(order).toEqual(['slow started', 'fast', 'slow done']);
    // A failing job rejects its own caller only.
    await expect(slices.run(() => Promise.reject(new Error('refused')))).rejects.toThrow('refused');
    await expect(slices.run(async () => 'next')).resolves.toBe('next');
  });
});
