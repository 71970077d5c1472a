/**
 * How long the event loop was kept from turning, and how much of that was this thread's own work.
 *
 * `causeway_nodejs_eventloop_lag_*` (prom-client) say how late timers ran, but on a busy machine a late
 * timer may mean the thread waited for a core (other processes, V8's GC helpers) or sat in blocking I/O,
 * not that it was busy. A 10 ms timer here reads this thread's CPU at every tick: a tick that comes
 * more than 50 ms late was a block, and the CPU the thread used in it tells the two apart.
 *
 * - `causeway_event_loop_block_cpu_max_seconds`: this thread's CPU in the block where it used the most,
 *   since the last scrape (the longest stretch of the process's own work: the target is < 0.1 s);
 * - `causeway_event_loop_blocks_total{cpu="busy"|"off"}`: blocks over 100 ms, by whether the thread's own
 *   CPU in them was over 100 ms ("busy") or not ("off": waiting for a core, or blocking I/O).
 *
 * The thread's CPU comes from `process.threadCpuUsage()` (Node 23.9+); on older Node the process's CPU
 * stands in (then other threads' work counts too).
 */
import { Counter, Gauge, type Registry } from 'prom-client';

const TICK_MS = 10;
/** A tick this much later than due was a block. */
const BLOCK_MS = 50;
/** Blocks longer than this are counted. */
const LONG_MS = 100;

type CpuReader = () => NodeJS.CpuUsage;
/** This thread's CPU (`process.threadCpuUsage`, Node 23.9+; the process's on older Node). */
export const threadCpu: CpuReader =
  (process as unknown as { threadCpuUsage?: CpuReader }).threadCpuUsage?.bind(process) ?? (() => process.cpuUsage());

export class LoopBlocks {
  private timer: NodeJS.Timeout | undefined;
  private lastTick = 0;
  private lastCpu: NodeJS.CpuUsage = { user: 0, system: 0 };
  /** Since `takeMaxCpuMs` was last called: the most CPU this thread used in one block, ms. */
  private maxCpuMs = 0;
  /** Blocks over 100 ms since the start. */
  readonly long = { busy: 0, off: 0 };

  constructor(private readonly now: () => number = () => performance.now(), private readonly cpu: CpuReader = threadCpu) {}

  start(): this {
    this.lastTick = this.now();
    this.lastCpu = this.cpu();
    this.timer = setInterval(() => this.tick(), TICK_MS);
    this.timer.unref();
    return this;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One tick of the timer (called by it; tests call it with their own clocks). */
  tick(): void {
    const now = this.now();
    const cpu = this.cpu();
    const blockedMs = now - this.lastTick - TICK_MS;
    if (blockedMs > BLOCK_MS) {
      const cpuMs = (cpu.user - this.lastCpu.user + cpu.system - this.lastCpu.system) / 1000;
      this.maxCpuMs = Math.max(this.maxCpuMs, cpuMs);
      if (blockedMs > LONG_MS) this.long[cpuMs > LONG_MS ? 'busy' : 'off']++;
    }
    this.lastTick = now;
    this.lastCpu = cpu;
  }

  /** The most CPU one block held since the last call, ms; resets it. */
  takeMaxCpuMs(): number {
    const v = this.maxCpuMs;
    this.maxCpuMs = 0;
    return v;
  }

  /** Registers the two metrics (read at each scrape) in `register`. */
  register(register: Registry): void {
    const blocks = this;
    new Gauge({
      name: 'causeway_event_loop_block_cpu_max_seconds',
      help: "This thread's CPU in the event-loop block where it used the most, since the last scrape (its longest stretch of own work)",
      registers: [register],
      collect() {
        this.set(blocks.takeMaxCpuMs() / 1000);
      },
    });
    new Counter({
      name: 'causeway_event_loop_blocks_total',
      help: 'Event-loop blocks over 100 ms, by whether this thread used over 100 ms of CPU in them (busy) or not (off: waiting for a core, blocking I/O)',
      labelNames: ['cpu'],
      registers: [register],
      collect() {
        this.reset();
        this.inc({ cpu: 'busy' }, blocks.long.busy);
        this.inc({ cpu: 'off' }, blocks.long.off);
      },
    });
  }
}
