import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { LoopBlocks, threadCpu } from './loop-blocks.js';

describe('event-loop blocks', () => {
  /** A monitor on a hand-driven clock and CPU meter: `step(wallMs, cpuMs)` then one tick. */
  const driven = () => {
    let wall = 0;
    let cpu = 0;
    const b = new LoopBlocks(
      () => wall,
      () => ({ user: cpu * 1000, system: 0 }),
    );
    // started by hand (no timer): the first reading
    b.tick();
    return {
      b,
      step(wallMs: number, cpuMs: number) {
        wall += wallMs;
        cpu += cpuMs;
        b.tick();
      },
    };
  };

  it('tells a block of its own work from one spent off the core, and reports the longest since the last read', () => {
    const { b, step } = driven();
    step(10, 1); // on time
    step(200, 180); // busy for 180 ms
    step(300, 5); // 300 ms late, 5 ms of its own CPU: waiting for a core
    step(70, 60); // a short block (under 100 ms): not counted, but its CPU is a candidate for the max
    expect(b.long).toEqual({ busy: 1, off: 1 });
    expect(b.takeMaxCpuMs()).toBe(180);
    expect(b.takeMaxCpuMs()).toBe(0);
    step(80, 75);
    expect(b.takeMaxCpuMs()).toBe(75);
  });

  it('exports the gauge (reset per scrape) and the counter by cause', async () => {
    const { b, step } = driven();
    const register = new Registry();
    b.register(register);
    step(250, 240);
    step(400, 2);
    const text = await register.metrics();
    expect(text).toContain('causeway_event_loop_block_cpu_max_seconds 0.24');
    expect(text).toContain('causeway_event_loop_blocks_total{cpu="busy"} 1');
    expect(text).toContain('causeway_event_loop_blocks_total{cpu="off"} 1');
    expect(await register.metrics()).toContain('causeway_event_loop_block_cpu_max_seconds 0\n');
  });

  it('sees a real block of this thread', async () => {
    const b = new LoopBlocks().start();
    try {
      await new Promise((r) => setTimeout(r, 30));
      // Busy until this thread has used 150 ms of CPU (however long a loaded machine makes that take).
      const cpuMs = () => {
        const c = threadCpu();
        return (c.user + c.system) / 1000;
      };
      const end = cpuMs() + 150;
      while (cpuMs() < end) {
        // the event loop cannot turn
      }
      await new Promise((r) => setTimeout(r, 30));
      expect(b.long.busy).toBeGreaterThanOrEqual(1);
      expect(b.takeMaxCpuMs()).toBeGreaterThanOrEqual(140);
    } finally {
      b.stop();
    }
  });
});
