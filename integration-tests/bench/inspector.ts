/**
 * A control plane process as the pipeline benchmark sees it through the V8 inspector (issue #20): the
 * process is started with `--inspect=127.0.0.1:0` (`inspectOptions()` in NODE_OPTIONS),
 * `Inspector.connect` reads the inspector's address from its output and talks the Chrome DevTools
 * protocol over a WebSocket.
 * - Memory ("RSS stays flat across changes"): `sample()` forces a full GC and reads
 *   `process.memoryUsage()` and V8's heap spaces, so that what the heap retains is told apart from RSS
 *   the allocator only has not returned to the OS; `snapshot(file)` writes a heap snapshot (for
 *   `heap-diff.ts`).
 * - CPU ("where the time goes"): `startCpuProfile()` / `stopCpuProfile(file)` record a V8 CPU profile of
 *   just the window between them (a .cpuprofile, read by services/dataplane/bench/profile.ts or Chrome's
 *   DevTools).
 */
import { createWriteStream, writeFileSync } from 'node:fs';
import type { ControlPlaneProcess } from '../src/harness.js';

/** NODE_OPTIONS for a process to inspect (port 0: any free port; its address is printed on stderr). */
const inspectOptions = () => '--inspect=127.0.0.1:0';

/**
 * Runs `spawn` with the inspector added to NODE_OPTIONS when `inspect` (processes read the environment
 * when they are spawned), and NODE_OPTIONS as it was afterwards.
 */
export async function withInspectOptions<T>(inspect: boolean, spawn: () => Promise<T>): Promise<T> {
  const before = process.env.NODE_OPTIONS;
  if (inspect) process.env.NODE_OPTIONS = `${before ?? ''} ${inspectOptions()}`.trim();
  try {
    return await spawn();
  } finally {
    if (before === undefined) delete process.env.NODE_OPTIONS;
    else process.env.NODE_OPTIONS = before;
  }
}

export interface MemorySample {
  /** MB */
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
  /** MB used per V8 heap space (after the GC) */
  spaces: Record<string, number>;
  /** Number of native contexts (one per vm context / realm: a growing count is a leak of its own). */
  nativeContexts: number;
  detachedContexts: number;
}

const mb = (b: number) => Math.round((b / 1048576) * 10) / 10;

export class Inspector {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private chunkSink: ((chunk: string) => void) | undefined;

  private constructor(private readonly ws: WebSocket) {
    ws.addEventListener('message', (ev) => {
      const msg = JSON.parse(String(ev.data)) as { id?: number; result?: unknown; error?: { message: string }; method?: string; params?: { chunk?: string } };
      if (msg.id !== undefined) {
        const p = this.pending.get(msg.id);
        this.pending.delete(msg.id);
        if (msg.error) p?.reject(new Error(msg.error.message));
        else p?.resolve(msg.result);
      } else if (msg.method === 'HeapProfiler.addHeapSnapshotChunk' && msg.params?.chunk !== undefined) this.chunkSink?.(msg.params.chunk);
    });
  }

  /** Connects to the inspector of `cp` (started with `inspectOptions()`), waiting for its address. */
  static async connect(cp: ControlPlaneProcess, timeoutMs = 10_000): Promise<Inspector> {
    const deadline = Date.now() + timeoutMs;
    let url: string | undefined;
    while (!url && Date.now() < deadline) {
      const all = [...cp.logs().matchAll(/Debugger listening on (ws:\/\/\S+)/g)];
      url = all[all.length - 1]?.[1];
      if (!url) await new Promise((r) => setTimeout(r, 100));
    }
    if (!url) throw new Error(`${cp.name}: no inspector address in its output (was it started with ${inspectOptions()}?)`);
    const ws = new WebSocket(url);
    await new Promise<void>((resolve, reject) => {
      ws.addEventListener('open', () => resolve(), { once: true });
      ws.addEventListener('error', () => reject(new Error(`${cp.name}: cannot connect to the inspector at ${url}`)), { once: true });
    });
    const h = new Inspector(ws);
    await h.call('Runtime.enable');
    await h.call('HeapProfiler.enable');
    return h;
  }

  call(method: string, params: Record<string, unknown> = {}): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.ws.send(JSON.stringify({ id, method, params }));
    });
  }

  /**
   * Full GC (twice: weak callbacks and finalizers run in between), then the process's memory; with
   * `gc: false` the memory as it is (garbage not collected yet included).
   */
  async sample(gc = true): Promise<MemorySample> {
    if (gc) {
      await this.call('HeapProfiler.collectGarbage');
      await this.call('HeapProfiler.collectGarbage');
    }
    const expression = `JSON.stringify((() => { const v8 = process.getBuiltinModule('v8'); return { mu: process.memoryUsage(), spaces: v8.getHeapSpaceStatistics().map((s) => [s.space_name, s.space_used_size]), hs: v8.getHeapStatistics() }; })())`;
    const r = (await this.call('Runtime.evaluate', { expression, returnByValue: true })) as { result: { value: string } };
    const v = JSON.parse(r.result.value) as {
      mu: NodeJS.MemoryUsage;
      spaces: [string, number][];
      hs: { number_of_native_contexts: number; number_of_detached_contexts: number };
    };
    return {
      rss: mb(v.mu.rss),
      heapUsed: mb(v.mu.heapUsed),
      heapTotal: mb(v.mu.heapTotal),
      external: mb(v.mu.external),
      arrayBuffers: mb(v.mu.arrayBuffers),
      spaces: Object.fromEntries(v.spaces.map(([n, b]) => [n.replace(/_space$/, ''), mb(b)])),
      nativeContexts: v.hs.number_of_native_contexts,
      detachedContexts: v.hs.number_of_detached_contexts,
    };
  }

  /** Writes a heap snapshot (a full GC first, as V8 does for every snapshot) to `file`. */
  async snapshot(file: string): Promise<void> {
    const out = createWriteStream(file);
    this.chunkSink = (chunk) => out.write(chunk);
    try {
      await this.call('HeapProfiler.takeHeapSnapshot', { reportProgress: false });
    } finally {
      this.chunkSink = undefined;
      await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())));
    }
  }

  /** Starts V8's sampling CPU profiler (every `intervalUs` µs of the process's main thread). */
  async startCpuProfile(intervalUs = 1000): Promise<void> {
    await this.call('Profiler.enable');
    await this.call('Profiler.setSamplingInterval', { interval: intervalUs });
    await this.call('Profiler.start');
  }

  /** Stops the profiler started by `startCpuProfile` and writes its profile (.cpuprofile JSON) to `file`. */
  async stopCpuProfile(file: string): Promise<void> {
    const r = (await this.call('Profiler.stop')) as { profile: unknown };
    writeFileSync(file, JSON.stringify(r.profile));
    await this.call('Profiler.disable');
  }

  close(): void {
    this.ws.close();
  }
}
