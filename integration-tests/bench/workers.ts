/**
 * The parent side of the proxy workers (`sim-proxies.ts`): forks them (one zone each), hands each its
 * proxies, collects `configured` events, runs watches across workers and sums their counters.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { XdsProtocol } from '@causeway/dataplane';
import { trackChild } from '../src/harness.js';
import type { FromWorker, ProxyPlan, ToWorker, WatchScope, WatchTest, WorkerStats } from './sim-protocol.js';

const ENTRY = fileURLToPath(new URL('./sim-proxies.ts', import.meta.url));

export class ProxyWorker {
  private readonly child: ChildProcess;
  private readonly statsWaiters = new Map<number, (s: WorkerStats) => void>();
  private readonly watchWaiters = new Map<number, (r: { scope: number; already: number }) => void>();
  /** Rejects every pending request (the worker died). */
  private readonly rejects = new Set<(e: Error) => void>();
  private readonly listeners: ((m: FromWorker) => void)[] = [];
  private loaded: Promise<void>;
  private nextId = 1;
  /** Why it stopped, when it stopped before `stop()`. */
  failure: string | undefined;
  private stopping = false;

  constructor(
    readonly name: string,
    readonly zone: string,
  ) {
    // Each worker gets room for the decoded configs its clients hold (delta keeps every resource).
    this.child = fork(ENTRY, [], { execArgv: ['--import', 'tsx', '--max-old-space-size=8192'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    trackChild(name, this.child);
    this.child.on('exit', (code, signal) => {
      if (this.stopping) return;
      this.failure = `proxy worker ${name} exited: code ${code} signal ${signal}`;
      for (const r of this.rejects) r(new Error(this.failure));
    });
    this.loaded = new Promise((resolve, reject) => {
      this.child.once('error', reject);
      this.listeners.push((m) => {
        if (m.type === 'ready') resolve();
      });
    });
    this.child.on('message', (m: FromWorker) => {
      if (m.type === 'stats') {
        this.statsWaiters.get(m.id)?.(m);
        this.statsWaiters.delete(m.id);
      } else if (m.type === 'watching') {
        this.watchWaiters.get(m.id)?.({ scope: m.scope, already: m.already });
        this.watchWaiters.delete(m.id);
      }
      for (const l of this.listeners) l(m);
    });
  }

  onMessage(fn: (m: FromWorker) => void): void {
    this.listeners.push(fn);
  }

  ready(): Promise<void> {
    return this.loaded;
  }

  send(m: ToWorker): void {
    if (this.failure) throw new Error(this.failure);
    this.child.send(m);
  }

  start(protocol: XdsProtocol, backoff: { initialMs: number; maxMs: number }, proxies: ProxyPlan[]): void {
    this.send({ type: 'start', protocol, backoff, proxies });
  }

  stats(mark = false): Promise<WorkerStats> {
    const id = this.nextId++;
    return this.request((resolve) => {
      this.statsWaiters.set(id, resolve);
      this.send({ type: 'stats', id, mark });
    });
  }

  /** Registers a watch and resolves with its scope once the worker has it. */
  watch(id: number, test: WatchTest, scope: WatchScope): Promise<{ scope: number; already: number }> {
    return this.request((resolve) => {
      this.watchWaiters.set(id, resolve);
      this.send({ type: 'watch', id, test, scope });
    });
  }

  private request<T>(send: (resolve: (v: T) => void) => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.failure) return reject(new Error(this.failure));
      this.rejects.add(reject);
      send((v) => {
        this.rejects.delete(reject);
        resolve(v);
      });
    });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.stopping = true;
    const exited = new Promise((r) => this.child.once('exit', r));
    if (this.child.connected) this.child.send({ type: 'stop' } satisfies ToWorker);
    const t = setTimeout(() => this.child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(t);
  }
}

/** A watch across workers: when each proxy in scope first satisfied the test. */
export class Watch {
  readonly times: number[] = [];
  total = 0;
  already = 0;

  constructor(
    readonly id: number,
    readonly workers: ProxyWorker[],
  ) {}

  get reached(): number {
    return this.times.length;
  }
  get complete(): boolean {
    return this.times.length >= this.total;
  }
}

export class WorkerPool {
  readonly workers: ProxyWorker[] = [];
  private readonly watches = new Map<number, Watch>();
  private nextWatch = 1;

  constructor(private readonly onConfigured: (zone: string, name: string, at: number) => void) {}

  add(name: string, zone: string): ProxyWorker {
    const w = new ProxyWorker(name, zone);
    w.onMessage((m) => {
      if (m.type === 'configured') this.onConfigured(zone, m.name, m.at);
      else if (m.type === 'reached') this.watches.get(m.id)?.times.push(...m.times);
    });
    this.workers.push(w);
    return w;
  }

  inZone(zone: string): ProxyWorker[] {
    return this.workers.filter((w) => w.zone === zone);
  }

  /** Throws when a worker died. */
  check(): void {
    const dead = this.workers.find((w) => w.failure);
    if (dead) throw new Error(dead.failure);
  }

  async watch(test: WatchTest, scope: WatchScope, workers: ProxyWorker[] = this.workers): Promise<Watch> {
    const w = new Watch(this.nextWatch++, workers);
    this.watches.set(w.id, w);
    const parts = await Promise.all(workers.map((x) => x.watch(w.id, test, scope)));
    w.total = parts.reduce((n, p) => n + p.scope, 0);
    w.already = parts.reduce((n, p) => n + p.already, 0);
    return w;
  }

  unwatch(w: Watch): void {
    this.watches.delete(w.id);
    for (const x of w.workers) if (!x.failure) x.send({ type: 'unwatch', id: w.id });
  }

  /** Counters summed over the workers of a zone (or all); the longest pauses of any of them (`mark`: see ToWorker). */
  async stats(zone?: string, mark = false): Promise<WorkerStats> {
    const list = await Promise.all((zone ? this.inZone(zone) : this.workers).map((w) => w.stats(mark)));
    return list.reduce(
      (a, s) => ({
        bytes: a.bytes + s.bytes,
        responses: a.responses + s.responses,
        lastResponseAt: Math.max(a.lastResponseAt, s.lastResponseAt),
        acks: a.acks + s.acks,
        nacks: a.nacks + s.nacks,
        firstNacks: [...a.firstNacks, ...s.firstNacks].slice(0, 5),
        reconnects: a.reconnects + s.reconnects,
        connected: a.connected + s.connected,
        cpuMs: a.cpuMs + s.cpuMs,
        rssMb: a.rssMb + s.rssMb,
        gcMs: a.gcMs + s.gcMs,
        gcMaxMs: Math.max(a.gcMaxMs, s.gcMaxMs),
        loopMaxMs: Math.max(a.loopMaxMs, s.loopMaxMs),
      }),
      { bytes: 0, responses: 0, lastResponseAt: 0, acks: 0, nacks: 0, firstNacks: [], reconnects: 0, connected: 0, cpuMs: 0, rssMb: 0, gcMs: 0, gcMaxMs: 0, loopMaxMs: 0 },
    );
  }

  async stop(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.stop()));
  }
}
