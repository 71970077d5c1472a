/**
 * The base of both sides (`SyncEngine`): a NATS link that reconnects forever, and one "session" per
 * connection (first connect or reconnect). A session does the full replay/reconcile work of its side and
 * is abandoned (its watches stopped) when the connection drops; a new one starts on the next reconnect.
 * A session whose start fails (e.g. the buckets do not exist yet) is retried while the link is up. The
 * bucket a side follows is followed by `following`: when that watch ends on its own (its consumer's NATS
 * node died), only the replay and follow run again; the other direction (publishing) goes on.
 *
 * JetStream API requests time out after 2 s: a request that reaches a stream or consumer with no live
 * leader (a NATS node just died and the cluster has not elected another) gets no answer, and is better
 * retried soon than waited for.
 */
import { type JetStreamClient, jetstream } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import { NatsLink, type NatsOptions } from '../connection.js';
import { errorText, parseJson } from '../util.js';
import { type BucketWatch, watchBucket } from '../watch.js';

/** How long a JetStream API request (consumer create, stream info, KV put) may take before it is retried. */
const JS_REQUEST_TIMEOUT_MS = 2000;

/**
 * Wait before the n-th retry (n >= 1) of a session start or of following a bucket again: 250 ms doubling,
 * at most 1 s. What a retry waits for is mostly JetStream itself (a stream or meta leader elected again
 * after a NATS node died, buckets not created yet), and each attempt already waits up to
 * JS_REQUEST_TIMEOUT_MS for its requests: a longer pause only adds to the time until the sync resumes (with
 * the earlier cap of 5 s, the pauses grew to 2 s, 4 s and 5 s while JetStream re-elected its leaders).
 */
export function retryDelayMs(n: number): number {
  return 250 * 2 ** Math.min(n - 1, 2);
}

/** What a side's follow step hands back once the bucket is replayed and applied: when its watch ends. */
export interface Following {
  ended: Promise<Error | undefined>;
}

export class Session {
  aborted = false;
  readonly js: JetStreamClient;
  readonly kvm: Kvm;
  private readonly watches = new Set<BucketWatch>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly wakers = new Set<() => void>();

  constructor(
    readonly id: number,
    readonly nc: NatsConnection,
  ) {
    this.js = jetstream(nc, { timeout: JS_REQUEST_TIMEOUT_MS });
    this.kvm = new Kvm(this.js);
  }

  /** Stops the watch when the session ends (a watch that ended by itself is forgotten). */
  own(w: BucketWatch): BucketWatch {
    if (this.aborted) void w.stop();
    else {
      this.watches.add(w);
      void w.closed.then(() => this.watches.delete(w));
    }
    return w;
  }

  /** The current entries of a bucket under a key filter (values parsed as JSON), read by replaying it. */
  async readBucket(bucket: string, keys: string): Promise<Map<string, unknown>> {
    const entries = new Map<string, unknown>();
    const w = this.own(
      await watchBucket({
        js: this.js,
        bucket,
        keys,
        onChange: (c) => {
          if (c.op === 'PUT') entries.set(c.key, parseJson(c.value));
          else entries.delete(c.key);
        },
      }),
    );
    const complete = await w.replayed;
    await w.stop();
    if (!complete) throw new Error(`the watch on ${bucket} ended before its replay was delivered`);
    return entries;
  }

  later(ms: number, fn: () => void): void {
    if (this.aborted) return;
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (!this.aborted) fn();
    }, ms);
    t.unref();
    this.timers.add(t);
  }

  /** Resolves after `ms`, or at once when the session ends. */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      if (this.aborted) return resolve();
      const wake = () => {
        this.wakers.delete(wake);
        resolve();
      };
      this.wakers.add(wake);
      this.later(ms, wake);
    });
  }

  /** Stops the watches and timers of a failed attempt before the next one. */
  async reset(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    const ws = [...this.watches];
    this.watches.clear();
    await Promise.all(ws.map((w) => w.stop().catch(() => {})));
  }

  async abort(): Promise<void> {
    this.aborted = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const wake of [...this.wakers]) wake();
    const ws = [...this.watches];
    this.watches.clear();
    await Promise.all(ws.map((w) => w.stop().catch(() => {})));
  }
}

export interface EngineOptions {
  nats: NatsOptions;
  inboxPrefix: string;
  clientName: string;
  logger: Logger;
  /** What the other side is called in logs ("global", "the zones"). */
  peer: string;
}

export abstract class SyncEngine {
  protected session: Session | undefined;
  protected readonly link: NatsLink;
  protected readonly log: Logger;
  protected since = new Date();
  private sessions = 0;
  private chain: Promise<void> = Promise.resolve();
  protected closed = false;

  constructor(protected readonly engine: EngineOptions) {
    this.log = engine.logger;
    this.link = new NatsLink({ ...engine.nats, inboxPrefix: engine.nats.inboxPrefix ?? engine.inboxPrefix, name: engine.nats.name ?? engine.clientName }, engine.logger, {
      onUp: (nc, reconnect) => {
        this.since = new Date();
        this.log.info({ nats: this.link.servers, reconnect }, reconnect ? `reconnected to NATS: resyncing with ${engine.peer}` : `connected to NATS: syncing with ${engine.peer}`);
        this.chain = this.chain.then(() => this.begin(nc));
      },
      onDown: (reason) => {
        this.since = new Date();
        this.log.warn({ nats: this.link.servers, reason }, this.downMessage());
        const s = this.session;
        this.session = undefined;
        if (s) {
          // Abort now (stops the watches, so a running replay returns), and let the next session wait for it.
          const aborted = s.abort();
          this.chain = this.chain.then(() => aborted);
        }
      },
    });
  }

  /** The warning logged when the connection drops. */
  protected abstract downMessage(): string;
  /** Runs the side's full sync for a new connection. Throws to be retried. */
  protected abstract run(s: Session): Promise<void>;

  /** The connection part of both sides' `status()`. */
  protected linkStatus(): { connected: boolean; nats: string; reason?: string; since: string } {
    const connected = this.link.connected;
    return { connected, nats: this.link.servers, ...(connected ? {} : { reason: this.link.downReason }), since: this.since.toISOString() };
  }

  protected start(): void {
    this.link.start();
  }

  private async begin(nc: NatsConnection): Promise<void> {
    if (this.closed) return;
    const prev = this.session;
    if (prev) await prev.abort();
    const s = new Session(++this.sessions, nc);
    this.session = s;
    await this.attempt(s, 1);
  }

  private async attempt(s: Session, n: number): Promise<void> {
    try {
      if (n > 1) await s.reset();
      await this.run(s);
    } catch (e) {
      if (s.aborted || this.session !== s) return;
      const delay = retryDelayMs(n);
      const msg = `sync with ${this.engine.peer} failed to start: ${errorText(e)}; retrying in ${delay} ms`;
      if (n === 1 || n % 10 === 0) this.log.warn({ attempt: n }, msg);
      else this.log.debug({ attempt: n }, msg);
      s.later(delay, () => {
        this.chain = this.chain.then(() => (this.session === s ? this.attempt(s, n + 1) : undefined));
      });
    }
  }

  /**
   * Runs a side's follow step (`follow`: replay the bucket, apply it, converge) and, whenever its watch ends
   * on its own, runs it again (retried with backoff) for as long as the session lives, without starting
   * the session over. The first run's error is thrown (the session start is retried).
   */
  protected async following(s: Session, bucket: string, follow: () => Promise<Following>): Promise<void> {
    const first = await follow();
    void this.followAgain(s, bucket, first, follow);
  }

  private async followAgain(s: Session, bucket: string, current: Following, follow: () => Promise<Following>): Promise<void> {
    for (;;) {
      const err = await current.ended;
      if (s.aborted || this.session !== s) return;
      this.log.warn({ reason: err?.message }, `the ${bucket} watch ended: replaying and following it again (the rest of the sync with ${this.engine.peer} goes on)`);
      for (let n = 1; ; n++) {
        try {
          current = await follow();
          break;
        } catch (e) {
          if (s.aborted || this.session !== s) return;
          const delay = retryDelayMs(n);
          const msg = `following ${bucket} again failed: ${errorText(e)}; retrying in ${delay} ms`;
          if (n === 1 || n % 10 === 0) this.log.warn({ attempt: n }, msg);
          else this.log.debug({ attempt: n }, msg);
          await s.sleep(delay);
          if (s.aborted || this.session !== s) return;
        }
      }
    }
  }

  protected async shutdown(): Promise<void> {
    this.closed = true;
    const s = this.session;
    this.session = undefined;
    // Abort first: a session still replaying returns as soon as its watches stop.
    if (s) await s.abort();
    await this.chain.catch(() => {});
    await this.link.close();
  }
}
