/**
 * Holding a leader lease (`Leases`, leases.ts): the loop that makes one process the leader of a group of
 * replicas for the jobs only one may do.
 *
 * - Every `ttlMs / 3` it takes or renews the lease with one conditional upsert (taken when nobody holds
 *   it, it has expired, or it is already ours).
 * - It leads from a successful attempt until `sent + ttlMs - marginMs`, where `sent` is when that attempt
 *   was SENT (local monotonic clock). The database sets the expiry to its own clock + ttl when it runs the
 *   statement, which is after `sent`: so this holder stops acting `marginMs` before any other replica can
 *   take the lease, whatever the two machines' clocks say (only their rates must roughly agree). A holder
 *   that cannot renew (database unreachable, a statement that hangs) therefore steps down on its own,
 *   by a timer, before its lease expires.
 * - `blocker()` is asked before every attempt: a reason means this process must not lead now (e.g. its
 *   NATS connection is down); a leader then steps down and releases the lease so another takes over
 *   at once.
 * - `close()` steps down and releases the lease (a clean shutdown hands over within one interval).
 */
import { CausewayError } from '@causeway/core';
import type { LeaseRecord, Leases } from './leases.js';
import { type StoreLogger, silentLogger } from './logger.js';

export interface LeaderLeaseOptions {
  leases: Leases;
  /** The lease's name, one per group of replicas (e.g. `global`). */
  name: string;
  /** This process's id (unique per process, e.g. a UUID). */
  holder: string;
  /** How long a taken or renewed lease lasts (default 10000 ms). Renewed every ttl/3. */
  ttlMs?: number;
  /** Stop acting this long before the lease could expire (default ttl/5). */
  marginMs?: number;
  /** Asked before each attempt: why this process must not lead now, or undefined when it may. */
  blocker?: () => string | undefined;
  /** Called once per change, in order: true when this process starts leading, false when it stops. */
  onChange: (leading: boolean) => void;
  logger?: StoreLogger;
}

/** What `GET /leader` shows. `holder`, `since`, `expires` describe the lease as last seen (another holder's too). */
export interface LeaderStatus {
  leader: boolean;
  holder: string | null;
  since: string | null;
  expires: string | null;
}

export const DEFAULT_LEASE_TTL_MS = 10_000;

export class LeaderLease {
  readonly ttlMs: number;
  readonly marginMs: number;
  readonly intervalMs: number;
  private leadingNow = false;
  private seen: LeaseRecord | undefined;
  private timer: NodeJS.Timeout | undefined;
  private deadline: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private closed = false;
  private failures = 0;
  private blockedBy: string | undefined;
  private readonly log: StoreLogger;
  private settle: (() => void) | undefined;
  private readonly firstAttempt = new Promise<void>((resolve) => {
    this.settle = resolve;
  });

  constructor(private readonly opts: LeaderLeaseOptions) {
    this.ttlMs = opts.ttlMs ?? DEFAULT_LEASE_TTL_MS;
    this.marginMs = opts.marginMs ?? Math.round(this.ttlMs / 5);
    const bad: { field: string; reason: string }[] = [];
    if (!Number.isInteger(this.ttlMs) || this.ttlMs < 300 || this.ttlMs > 3_600_000) bad.push({ field: 'ttlMs', reason: `must be a whole number of milliseconds from 300 to 3600000, got ${this.ttlMs}` });
    if (!Number.isInteger(this.marginMs) || this.marginMs < 0 || this.marginMs >= (this.ttlMs * 2) / 3)
      bad.push({ field: 'marginMs', reason: `must be a whole number of milliseconds, at least 0 and below two thirds of the ttl, got ${this.marginMs}` });
    if (bad.length > 0) throw new CausewayError('INVALID', `invalid leader lease ${bad.map((b) => b.field).join(', ')}`, bad);
    this.intervalMs = Math.round(this.ttlMs / 3);
    this.log = opts.logger ?? silentLogger;
  }

  get leading(): boolean {
    return this.leadingNow;
  }

  status(): LeaderStatus {
    const s = this.seen;
    return { leader: this.leadingNow, holder: s?.holder ?? null, since: s ? s.acquiredAt.toISOString() : null, expires: s ? s.expiresAt.toISOString() : null };
  }

  /** Resolves once the first attempt is over (led or not, or failed), or at close. */
  settled(): Promise<void> {
    return this.firstAttempt;
  }

  /** Starts trying at once; returns immediately. */
  start(): void {
    if (this.closed || this.running || this.timer) return;
    this.schedule(0);
  }

  /** Steps down (if leading) and releases the lease; no more attempts. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
    this.settle?.();
    this.stepDown('shutting down');
    await this.release('shutting down');
  }

  private schedule(ms: number): void {
    if (this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.running = this.attempt().finally(() => {
        this.running = undefined;
        this.settle?.();
      });
    }, ms);
    this.timer.unref();
  }

  private async attempt(): Promise<void> {
    const blocked = this.opts.blocker?.();
    if (blocked !== undefined) {
      if (this.blockedBy === undefined) this.log.warn({ lease: this.opts.name, reason: blocked }, 'must not lead now: not taking the lease');
      this.blockedBy = blocked;
      if (this.leadingNow) {
        this.stepDown(blocked);
        await this.release(blocked);
      }
      this.schedule(this.intervalMs);
      return;
    }
    if (this.blockedBy !== undefined) this.log.info({ lease: this.opts.name }, 'may lead again: trying to take the lease');
    this.blockedBy = undefined;

    const sent = performance.now();
    try {
      const result = await withTimeout(this.opts.leases.acquire(this.opts.name, this.opts.holder, this.ttlMs), this.intervalMs, 'taking the lease');
      if (this.closed) return;
      if (this.failures > 0) this.log.info({ lease: this.opts.name, failures: this.failures }, 'reached the lease table again');
      this.failures = 0;
      this.seen = result.lease;
      const until = sent + this.ttlMs - this.marginMs;
      if (!result.acquired) this.stepDown(`${result.lease?.holder ?? 'another process'} holds the lease`);
      else if (performance.now() >= until) this.stepDown('the renewal answered too late to act on it');
      else this.lead(until);
    } catch (e) {
      if (this.closed) return;
      this.failures++;
      // A failed renewal changes nothing at once: the deadline timer steps down before the lease expires.
      if (this.failures === 1 || this.failures % 30 === 0) this.log.warn({ lease: this.opts.name, failures: this.failures, err: (e as Error).message }, 'could not take or renew the lease');
    }
    this.schedule(Math.max(0, sent + this.intervalMs - performance.now()));
  }

  private lead(until: number): void {
    if (this.deadline) clearTimeout(this.deadline);
    this.deadline = setTimeout(() => {
      this.deadline = undefined;
      this.stepDown(`could not renew the lease in time: stepping down ${this.marginMs} ms before it can expire`);
    }, until - performance.now());
    this.deadline.unref();
    if (this.leadingNow) return;
    this.leadingNow = true;
    this.log.info({ lease: this.opts.name, holder: this.opts.holder, since: this.seen?.acquiredAt.toISOString() }, 'took the lease: leading');
    this.notify(true);
  }

  private stepDown(reason: string): void {
    if (this.deadline) clearTimeout(this.deadline);
    this.deadline = undefined;
    if (!this.leadingNow) return;
    this.leadingNow = false;
    this.log.warn({ lease: this.opts.name, holder: this.opts.holder, reason }, 'stepped down: not leading');
    this.notify(false);
  }

  private notify(leading: boolean): void {
    try {
      this.opts.onChange(leading);
    } catch (e) {
      this.log.error({ lease: this.opts.name, leading, err: (e as Error).message }, 'a leadership change handler failed');
    }
  }

  /** Best effort: the lease expires anyway when the database cannot be reached. */
  private async release(why: string): Promise<void> {
    try {
      if (await withTimeout(this.opts.leases.release(this.opts.name, this.opts.holder), this.intervalMs, 'releasing the lease')) {
        this.log.info({ lease: this.opts.name, reason: why }, 'released the lease');
        this.seen = undefined;
      }
    } catch (e) {
      this.log.warn({ lease: this.opts.name, err: (e as Error).message }, 'could not release the lease: it expires on its own');
    }
  }
}

/** A LeaderLease that is already trying. */
export function startLeaderLease(opts: LeaderLeaseOptions): LeaderLease {
  const l = new LeaderLease(opts);
  l.start();
  return l;
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    t = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
    t.unref();
  });
  p.catch(() => undefined);
  return Promise.race([p, timeout]).finally(() => clearTimeout(t));
}
