/**
 * DataplaneInsights: per Dataplane, its last streams (connect / disconnect times, responses sent, ACKed,
 * NACKed, the last NACK) and its workload certificate, written to the store coalesced: a NACK at once, a
 * connect, a disconnect or a new certificate within 500 ms, and the response/ACK counters at most once per `statusFlushMs`
 * (default 10 s, like Kuma's dataplane status flush interval), each proxy at its own phase in the second
 * half of that interval — a change pushed to 1,000 proxies is then not 1,000 store writes (and as many NATS
 * messages to global) per change, nor 1,000 at once every interval. Writes that fall due together
 * (the counters of every proxy a change reached, the connects of a reconnect wave) go to the store in
 * batches of up to 64 insights, one transaction each, instead of one transaction per proxy, each within
 * the zone's budget of sliced work per turn of the event loop.
 *
 * Replicas share the store, and a proxy moves between them (a stream breaks, the proxy reconnects to
 * another replica). A connect or disconnect is therefore written merged with what the store holds: the
 * subscriptions of other replicas are kept, and one of them still open but older than this replica's
 * newest stream is closed (a proxy has one ADS stream: it left that replica). Without the merge, the
 * replica the proxy left could write its closed subscription over the open one of the replica it moved
 * to, and the proxy would show offline while connected. Counter-only writes are not merged.
 */
import type { DataplaneInsightSpec, Resource } from '@causeway/core';
import type { BatchOp, ResourceStore } from '@causeway/store';
import type { Logger } from 'pino';
import { fnv1a } from '../hash.js';
import type { ProxyState } from './proxies.js';
import type { TurnBudget } from './slices.js';

type Subscription = NonNullable<DataplaneInsightSpec['subscriptions']>[number];

export interface InsightsOptions {
  store: ResourceStore;
  logger: Logger;
  now: () => Date;
  instanceId?: string | undefined;
  /** Longest delay of a write that only updates the response/ACK counters, ms (default 10 s). */
  statusFlushMs?: number | undefined;
  /** The zone's budget of sliced work per turn of the event loop (slices.ts): a batch is written within it. */
  budget?: TurnBudget | undefined;
}

/** How soon an insight change is written: at once, within 500 ms, or within the status flush interval. */
type Urgency = 'now' | 'soon' | 'later';
const SOON_MS = 500;
/**
 * Most insights written in one store transaction. PGlite validates and writes a batch in this thread: 250
 * were blocks of 130-170 ms of the event loop (the counters of a whole connect wave fall due together).
 */
const BATCH = 64;

export class Insights {
  /** Pending writes by proxy key: when they fire (ms since the epoch, a due time of `buckets`). */
  private readonly timers = new Map<string, { at: number }>();
  /** The proxies whose writes fall due at one time, with its timer (see `write`). */
  private readonly buckets = new Map<number, { timer: NodeJS.Timeout; proxies: Map<string, ProxyState> }>();
  private closed = false;
  /** Proxies whose insight is due, written together on the next turn of the event loop. */
  private readonly due = new Map<string, ProxyState>();
  private flushing: Promise<void> | undefined;
  /** The certificate expiry each proxy's insight was last written with: a renewed certificate is written soon. */
  private readonly writtenExpiry = new WeakMap<ProxyState, number | undefined>();
  /** Each proxy's phase in the status flush interval (`phaseOf`). */
  private readonly phases = new WeakMap<ProxyState, number>();
  /** Proxies whose next write merges the other replicas' subscriptions (after a connect or disconnect). */
  private readonly toMerge = new WeakSet<ProxyState>();

  constructor(private readonly opts: InsightsOptions) {}

  close(): void {
    this.closed = true;
    for (const b of this.buckets.values()) clearTimeout(b.timer);
  }

  /** A new stream: a subscription of its own (the last four closed ones are kept). */
  connected(p: ProxyState, streamId: string): void {
    const subs = (p.insight.subscriptions ?? []).filter((s) => s.disconnectTime !== undefined).slice(-4);
    subs.push({ id: streamId, ...(this.opts.instanceId ? { controlPlaneInstanceId: this.opts.instanceId } : {}), connectTime: this.now(), status: {} });
    p.insight.subscriptions = subs;
    this.toMerge.add(p);
    this.write(p, 'soon');
  }

  disconnected(p: ProxyState, streamId: string): void {
    const sub = this.subscription(p, streamId);
    if (sub) sub.disconnectTime = this.now();
    this.toMerge.add(p);
    this.write(p, 'soon');
  }

  response(p: ProxyState, streamId: string): void {
    const s = this.subscription(p, streamId);
    if (!s) return;
    s.status = { ...s.status, lastUpdateTime: this.now(), responsesSent: (s.status?.responsesSent ?? 0) + 1 };
    this.write(p, p.certExpiry?.getTime() !== this.writtenExpiry.get(p) ? 'soon' : 'later');
  }

  ack(p: ProxyState, streamId: string): void {
    const s = this.subscription(p, streamId);
    if (!s) return;
    s.status = { ...s.status, responsesAcknowledged: (s.status?.responsesAcknowledged ?? 0) + 1 };
    this.write(p, 'later');
  }

  nack(p: ProxyState, streamId: string, typeUrl: string, error: string): void {
    const s = this.subscription(p, streamId);
    if (!s) return;
    s.status = { ...s.status, responsesRejected: (s.status?.responsesRejected ?? 0) + 1 };
    s.lastNack = { typeUrl, error: error.slice(0, 2000), time: this.now() };
    this.write(p, 'now');
  }

  /** The last time written, as text: a change answers and hears back from every proxy within a few ms. */
  private lastNow = { ms: Number.NaN, text: '' };

  private now(): string {
    const d = this.opts.now();
    const ms = d.getTime();
    if (ms !== this.lastNow.ms) this.lastNow = { ms, text: d.toISOString() };
    return this.lastNow.text;
  }

  private subscription(p: ProxyState, streamId: string): Subscription | undefined {
    return p.insight.subscriptions?.find((s) => s.id === streamId);
  }

  /**
   * Writes the DataplaneInsight of a Dataplane (coalesced: a pending write that fires later is brought
   * forward). Due times are on a grid of a quarter of the delay, rounded down (a write due within 500 ms
   * fires 375-500 ms on): the proxies of a connect or reconnect wave, which arrive a few at a time, fall
   * due together and are written in one batch, not in a transaction of one or two each.
   */
  private write(p: ProxyState, urgency: Urgency): void {
    if (p.type !== 'Dataplane' || this.closed) return;
    const pending = this.timers.get(p.key);
    if (urgency === 'now') {
      if (pending) this.unschedule(p.key, pending.at);
      this.enqueue(p);
      return;
    }
    const delay = urgency === 'soon' ? SOON_MS : (this.opts.statusFlushMs ?? 10_000);
    // A change answers every proxy at once. Their counter-only writes are spread over the second half of
    // the interval, each proxy at a phase of its own, on a grid of a twentieth of it (neighbours share a
    // batch): not all due together, a thousand upserts and as many messages to global in one burst every
    // status flush, which held up the next change's pushes.
    const spread = urgency === 'later';
    const grid = Math.max(1, Math.floor(delay / (spread ? 20 : 4)));
    const target = Date.now() + (spread ? delay * (0.5 + 0.5 * this.phaseOf(p)) : delay);
    const at = Math.floor(target / grid) * grid;
    if (pending && pending.at <= at) return;
    if (pending) this.unschedule(p.key, pending.at);
    let bucket = this.buckets.get(at);
    if (!bucket) {
      const proxies = new Map<string, ProxyState>();
      const timer = setTimeout(
        () => {
          this.buckets.delete(at);
          for (const [key, q] of proxies) {
            this.timers.delete(key);
            this.enqueue(q);
          }
        },
        Math.max(0, at - Date.now()),
      );
      timer.unref();
      bucket = { timer, proxies };
      this.buckets.set(at, bucket);
    }
    bucket.proxies.set(p.key, p);
    this.timers.set(p.key, { at });
  }

  /** A proxy's place in the flush interval, in [0, 1) (hashed once: every response and ACK asks). */
  private phaseOf(p: ProxyState): number {
    let phase = this.phases.get(p);
    if (phase === undefined) {
      phase = fnv1a(p.key) / 2 ** 32;
      this.phases.set(p, phase);
    }
    return phase;
  }

  /** Takes a proxy's pending write out of its bucket. */
  private unschedule(key: string, at: number): void {
    this.timers.delete(key);
    const bucket = this.buckets.get(at);
    if (!bucket) return;
    bucket.proxies.delete(key);
    if (bucket.proxies.size === 0) {
      clearTimeout(bucket.timer);
      this.buckets.delete(at);
    }
  }

  /** The insight as it is now (the spec is built when written, so a later change is never lost). */
  private insightOf(p: ProxyState): Resource<'DataplaneInsight'> {
    this.writtenExpiry.set(p, p.certExpiry?.getTime());
    const spec: DataplaneInsightSpec = {
      ...p.insight,
      ...(p.certExpiry
        ? { mTLS: { certificateExpirationTime: p.certExpiry.toISOString(), certificateRegenerations: Math.max(0, p.certRegenerations - 1), lastCertificateRegeneration: p.generatedAt?.toISOString() } }
        : {}),
    };
    return { type: 'DataplaneInsight', mesh: p.mesh as string, name: p.name, labels: {}, spec, version: 0 };
  }

  private enqueue(p: ProxyState): void {
    this.due.set(p.key, p);
    this.flushing ??= new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.flush());
  }

  /** Writes what is due in batches; what falls due meanwhile goes in the next round. */
  private async flush(): Promise<void> {
    while (this.due.size > 0 && !this.closed) {
      await this.opts.budget?.slice();
      if (this.closed) break;
      const proxies = [...this.due.values()].slice(0, BATCH);
      for (const p of proxies) this.due.delete(p.key);
      await this.mergeOtherReplicas(proxies);
      const ops: BatchOp[] = proxies.map((p) => ({ op: 'upsert', resource: this.insightOf(p) }));
      try {
        await this.opts.store.applyBatch(ops);
      } catch {
        // One insight the store refuses (its Dataplane just went) must not hold back the others.
        await Promise.all(
          ops.map((op, i) =>
            op.op === 'upsert'
              ? this.opts.store.upsert(op.resource).catch((e: unknown) => this.opts.logger.debug({ proxy: proxies[i]?.key, err: (e as Error).message }, 'could not write the DataplaneInsight'))
              : undefined,
          ),
        );
      }
    }
    this.flushing = undefined;
  }

  /** Merges into each proxy's subscriptions those other replicas wrote (see the file's comment). */
  private async mergeOtherReplicas(proxies: readonly ProxyState[]): Promise<void> {
    const me = this.opts.instanceId;
    if (me === undefined) return;
    const merging = proxies.filter((p) => this.toMerge.has(p));
    const stored = await Promise.all(merging.map((p) => this.opts.store.get('DataplaneInsight', p.mesh, p.name).catch(() => undefined)));
    merging.forEach((p, i) => {
      this.toMerge.delete(p);
      // This replica's own subscriptions from memory, the other replicas' from the store (theirs is newer).
      const mine = (p.insight.subscriptions ?? []).filter((s) => s.controlPlaneInstanceId === undefined || s.controlPlaneInstanceId === me);
      const ids = new Set(mine.map((s) => s.id));
      const others = (stored[i]?.spec.subscriptions ?? []).filter((s) => s.controlPlaneInstanceId !== undefined && s.controlPlaneInstanceId !== me && !ids.has(s.id));
      const newest = mine.reduce((t, s) => (s.connectTime && s.connectTime > t ? s.connectTime : t), '');
      const merged = [...mine, ...others.map((s) => (s.disconnectTime === undefined && s.connectTime !== undefined && s.connectTime < newest ? { ...s, disconnectTime: newest } : s))];
      merged.sort((x, y) => ((x.connectTime ?? '') < (y.connectTime ?? '') ? -1 : 1));
      p.insight.subscriptions = merged.slice(-5);
    });
  }
}
