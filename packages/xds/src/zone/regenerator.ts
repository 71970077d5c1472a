/**
 * The regenerator: turns the mirror's view into snapshots. Store changes are coalesced: a pass starts
 * `GATHER_MS` after the change that asks for it (the writes of one apply or one sync batch arrive within
 * that), but not sooner than the debounce (default 100 ms) after the previous pass started, so a stream of
 * changes still makes at most one pass per window while a lone change is not held back; a pass rebuilds
 * the mesh contexts from the view and regenerates every connected proxy whose input hash changed.
 * Certificates are rotated by a timer that follows the next renewal. All work (passes, single proxies,
 * rotation, a proxy's removal) runs one job at a time, in order.
 *
 * A pass over many proxies is sliced: once the turn's budget of sliced work (slices.ts: 20 ms, shared
 * with the admissions and registrations of new proxies) is spent, it yields to the event loop, so that
 * ADS requests (ACKs, new streams), keepalive pings, the API and `/ready` are served between slices,
 * however many proxies a change regenerates.
 *
 * Proxies are regenerated in groups of `CERT_CONCURRENCY`: the inputs of a group (its workload
 * certificates, issued or renewed on the way: an EC key pair and a signature each, on libuv's thread
 * pool) are made together, then each proxy is generated in order. Issued one proxy after the other, a
 * connect wave of 1,000 proxies waited ~1,000 thread-pool round trips in a row. A proxy that connects
 * unchanged (e.g. after a restart of this control plane) is regenerated in the next such group job
 * (`regenerateSoon`), not in a job of its own.
 */
import type { Logger } from 'pino';
import { buildMeshContexts, type MeshContext } from '../context.js';
import type { ResourceSet } from '../generate/common.js';
import type { SnapshotCache } from '../server/cache.js';
import type { Certificates } from './certificates.js';
import { type ProxyInputs, proxyInputs } from './inputs.js';
import type { StoreMirror } from './mirror.js';
import type { Proxies, ProxyState } from './proxies.js';
import { TimeSlicer, type TurnBudget } from './slices.js';

export { TimeSlicer } from './slices.js';

/**
 * Proxies whose inputs (certificates) are made together: see the file's comment. The libuv pool has 4
 * threads, and what each issuance does on the event loop when its key pair comes back (~1.5-2 ms of ASN.1
 * in @peculiar/x509) runs back to back for the whole group, between two yields: 32 made blocks of 75-90 ms.
 */
const CERT_CONCURRENCY = 8;

/**
 * How long a change waits for the changes that come with it before its pass starts, ms. The whole window
 * used to be the debounce (100 ms): at 1,000 proxies a third of the time from an apply to every proxy's ACK.
 */
const GATHER_MS = 10;

export interface RegeneratorOptions {
  mirror: StoreMirror;
  proxies: Proxies;
  certificates: Certificates;
  cache: SnapshotCache;
  logger: Logger;
  now: () => Date;
  /** Shortest time between the starts of two passes, ms (default 100): a stream of changes is coalesced into one pass per window. */
  debounceMs?: number | undefined;
  /** Runs at the end of every pass that rebuilt the contexts (in the same job). */
  afterPass?: () => Promise<void>;
  /** The zone's budget of sliced work per turn of the event loop (slices.ts), shared with admissions and registrations. */
  budget?: TurnBudget | undefined;
  /** Without `budget`: the longest stretch of regeneration between two yields to the event loop, ms (default 20). */
  sliceMs?: number | undefined;
}

export class Regenerator {
  private readonly log: Logger;
  private contexts = new Map<string, MeshContext>();
  private flushTimer: NodeJS.Timeout | undefined;
  /** When `schedule` last queued a pass (ms, Date.now()). */
  private lastPassAt = Number.NEGATIVE_INFINITY;
  /** A pass `schedule` queued has not started yet: it will read every change marked until then. */
  private passWaiting = false;
  private rotationTimer: NodeJS.Timeout | undefined;
  /** When the last renewal pass that had certificates due ran (ms, now()): see scheduleRotation. */
  private lastRenewalPassAt: number | undefined;
  private work: Promise<void> = Promise.resolve();
  /** Proxies to regenerate in the next group job (regenerateSoon). */
  private readonly soon = new Set<ProxyState>();
  private soonJob: Promise<void> | undefined;
  private closed = false;
  /** Incremented on every regeneration pass (tests and metrics). */
  generations = 0;

  constructor(private readonly opts: RegeneratorOptions) {
    this.log = opts.logger;
  }

  /** Current mesh contexts, by mesh (read-only). */
  meshContexts(): Map<string, MeshContext> {
    return this.contexts;
  }

  /** Rebuilds the mesh contexts from the mirror's view (reusing what did not change). */
  rebuild(): void {
    this.contexts = buildMeshContexts(this.opts.mirror.view(), this.contexts);
  }

  /**
   * A pass `GATHER_MS` from now, or when the debounce since the previous one has passed if that is later
   * (one pass for any number of calls until it starts, also while it waits for the job before it).
   */
  schedule(): void {
    if (this.flushTimer || this.passWaiting || this.closed) return;
    const now = Date.now();
    const debounce = this.opts.debounceMs ?? 100;
    const at = Math.max(now + Math.min(GATHER_MS, debounce), this.lastPassAt + debounce);
    this.flushTimer = setTimeout(() => {
      this.flushTimer = undefined;
      this.lastPassAt = Date.now();
      this.passWaiting = true;
      this.enqueue(() => {
        this.passWaiting = false;
        return this.pass();
      });
    }, at - now);
  }

  /** Runs `job` after the jobs before it; its failure is logged. */
  enqueue(job: () => Promise<void>): Promise<void> {
    const run = this.work.then(job).catch((e: unknown) => this.log.error({ err: (e as Error).message }, 'xDS regeneration failed'));
    this.work = run;
    return run;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.flushTimer);
    clearTimeout(this.rotationTimer);
    await this.work.catch(() => undefined);
  }

  /** Brings the mirror up to date; when something changed, rebuilds the contexts and regenerates. */
  private async pass(): Promise<void> {
    if (await this.opts.mirror.refresh()) {
      this.rebuild();
      this.generations++;
      await this.regenerateAll(this.opts.proxies.connected());
      await this.opts.afterPass?.();
    }
    // Certificates issued during the pass may be due before the current rotation timer fires.
    this.scheduleRotation();
  }

  /**
   * Regenerates `p` in a job soon, together with the other proxies asked for meanwhile (their
   * certificates issued concurrently); resolves when it was.
   */
  regenerateSoon(p: ProxyState): Promise<void> {
    this.soon.add(p);
    this.soonJob ??= this.enqueue(async () => {
      this.soonJob = undefined;
      const ps = [...this.soon];
      this.soon.clear();
      await this.regenerateAll(ps);
    });
    return this.soonJob;
  }

  /** Regenerates proxies in order, the inputs of `CERT_CONCURRENCY` at a time, yielding every slice. */
  private async regenerateAll(ps: Iterable<ProxyState>): Promise<void> {
    const slicer = new TimeSlicer(this.opts.budget ?? this.opts.sliceMs ?? 20);
    const group: ProxyState[] = [];
    const run = async () => {
      const inputs = await Promise.all(group.map((p) => this.inputsOf(p)));
      for (let i = 0; i < group.length; i++) {
        await this.apply(group[i] as ProxyState, inputs[i], slicer);
        await slicer.maybeYield();
      }
      group.length = 0;
    };
    for (const p of ps) {
      group.push(p);
      if (group.length === CERT_CONCURRENCY) await run();
    }
    if (group.length > 0) await run();
  }

  /** A proxy's inputs under the current contexts (certificates issued on the way); undefined on failure (logged). */
  private async inputsOf(p: ProxyState): Promise<ProxyInputs | undefined> {
    try {
      return await proxyInputs(p, this.contexts, this.opts.certificates, this.log);
    } catch (e) {
      this.log.error({ proxy: p.key, err: (e as Error).message }, 'could not generate config: the proxy keeps its previous config');
      return undefined;
    }
  }

  /**
   * Generates and stores a proxy's snapshot when its inputs changed. What the snapshot cache would encode
   * in one go (a new shared block: a connect wave's first proxy, a change to most of the shared part) is
   * encoded first in slices (`SnapshotCache.prepack`).
   */
  private async apply(p: ProxyState, out: ProxyInputs | undefined, slicer: TimeSlicer): Promise<void> {
    if (!out || out.inputHash === p.inputHash) return;
    let set: ResourceSet;
    try {
      set = out.make();
    } catch (e) {
      this.log.error({ proxy: p.key, err: (e as Error).message }, 'could not generate config: the proxy keeps its previous config');
      return;
    }
    try {
      await this.opts.cache.prepack(set, () => slicer.maybeYield());
    } catch {
      // A resource that cannot be encoded: `set` below meets the same error and handles it.
    }
    try {
      p.inputHash = out.inputHash;
      p.generatedAt = this.opts.now();
      this.opts.cache.set(p.key, set);
    } catch (e) {
      this.log.error({ proxy: p.key, err: (e as Error).message }, 'could not generate config: the proxy keeps its previous config');
    }
  }

  /**
   * Arms the rotation timer. It fires at the due time of the next certificate (at most a minute ahead,
   * at least 10 ms from now); but if a renewal pass ran with certificates due within the last second, no
   * earlier than one second after that pass, whichever caller re-arms the timer (the pass itself, a
   * flush, a connect). So a certificate that stays due because its renewal keeps failing (e.g. the mesh
   * CA is missing) is retried at most once a second; and a timer that fired a little before the due time
   * (nothing due yet, so no pass ran) is re-armed for the due time, not a second later, so that a
   * short-lived certificate is not renewed after it expired.
   */
  scheduleRotation(): void {
    if (this.closed) return;
    clearTimeout(this.rotationTimer);
    const now = this.opts.now().getTime();
    const next = this.opts.certificates.nextRenewal();
    let at = next ? Math.min(next.getTime(), now + 60_000) : now + 60_000;
    if (this.lastRenewalPassAt !== undefined) at = Math.max(at, this.lastRenewalPassAt + 1000);
    this.rotationTimer = setTimeout(() => {
      this.enqueue(() => this.rotate()).finally(() => this.scheduleRotation());
    }, Math.max(at - now, 10));
    this.rotationTimer.unref();
  }

  /** Regenerates the connected proxies that hold a certificate due for renewal. */
  private async rotate(): Promise<void> {
    const due = new Set(this.opts.certificates.due());
    if (due.size === 0) return;
    this.lastRenewalPassAt = this.opts.now().getTime();
    this.log.info({ certificates: due.size }, 'rotating workload certificates');
    // A certificate key is its proxy's key, or the proxy's key and `/<mesh>` (a ZoneEgress's per mesh).
    const owners = new Set([...due].map((k) => k.split('/').slice(0, 3).join('/')));
    await this.regenerateAll([...this.opts.proxies.connected()].filter((p) => owners.has(p.key)));
  }
}
