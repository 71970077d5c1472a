/**
 * The jobs only one replica may do, run while this replica holds the leader lease (`@causeway/store`'s
 * LeaderLease): started in order when it starts leading, stopped in reverse order when it steps down or
 * shuts down. Transitions run one at a time, in the order they happened.
 */
import { randomUUID } from 'node:crypto';
import type { MetricSource } from '@causeway/api';
import type { Logger } from 'pino';

/**
 * This replica's name, unique per start: in the leader lease (`GET /leader`'s holder), on the proxies it
 * registers and in their insights. The host name (a container's service name) says which replica it is;
 * the random suffix tells a restarted replica from its earlier self. At most 49 characters (a label value).
 */
export function replicaInstanceId(host: string): string {
  const name = host.replace(/[^A-Za-z0-9.-]/g, '-').slice(0, 40) || 'causeway-cp';
  return `${name}-${randomUUID().slice(0, 8)}`;
}

/** A running job: `close()` stops it acting at once (before its promise resolves) and then cleans up. */
export interface RunningJob {
  close(): Promise<void>;
}

export interface LeaderJob {
  /** The `job` label of `causeway_leader`. */
  name: string;
  /** Starts the job; must return promptly (long work such as a reconcile runs in the background). */
  start(): Promise<RunningJob>;
}

export class LeaderJobs {
  private readonly running = new Map<string, RunningJob>();
  private chain: Promise<void> = Promise.resolve();
  private want = false;
  private closed = false;

  constructor(
    private readonly jobs: readonly LeaderJob[],
    private readonly log: Logger,
  ) {}

  /** Whether `job` runs here now. */
  active(job: string): boolean {
    return this.running.has(job);
  }

  /**
   * Starts (true) every job, after any transition still running; or stops (false) every running job AT
   * ONCE (a job still starting is stopped as soon as its start returns).
   */
  lead(leading: boolean): void {
    if (this.closed) return;
    this.want = leading;
    if (leading) this.chain = this.chain.then(() => this.startAll());
    else {
      const stopping = this.stopAll();
      this.chain = this.chain.then(() => stopping);
    }
  }

  /** Stops every job; no more transitions. */
  async close(): Promise<void> {
    this.closed = true;
    this.want = false;
    const stopping = this.stopAll();
    this.chain = this.chain.then(() => stopping);
    await this.chain;
  }

  /** `causeway_leader{job}`: 1 while the job runs on this replica. */
  metrics(): MetricSource[] {
    return [
      {
        name: 'causeway_leader',
        help: 'Whether this replica holds the leader lease and runs the job (1) or not (0)',
        type: 'gauge',
        labelNames: ['job'],
        read: () => this.jobs.map((j): [Record<string, string>, number] => [{ job: j.name }, this.active(j.name) ? 1 : 0]),
      },
    ];
  }

  private async startAll(): Promise<void> {
    for (const job of this.jobs) {
      if (!this.want || this.closed) return;
      if (this.running.has(job.name)) continue;
      try {
        const r = await job.start();
        if (!this.want || this.closed) {
          await r.close();
          return;
        }
        this.running.set(job.name, r);
        this.log.info({ job: job.name }, 'leader job started');
      } catch (e) {
        this.log.error({ job: job.name, err: (e as Error).message }, 'a leader job failed to start');
      }
    }
  }

  private async stopAll(): Promise<void> {
    // Every close() is called before any is awaited: each job stops acting at once, then cleans up.
    const stopping = [...this.jobs].reverse().flatMap((job) => {
      const r = this.running.get(job.name);
      if (!r) return [];
      this.running.delete(job.name);
      return [
        r.close().then(
          () => this.log.info({ job: job.name }, 'leader job stopped'),
          (e: unknown) => this.log.error({ job: job.name, err: (e as Error).message }, 'a leader job failed to stop cleanly'),
        ),
      ];
    });
    await Promise.all(stopping);
  }
}
