import { describe, expect, it } from 'vitest';
import { TimeSlicer } from './regenerator.js';

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
