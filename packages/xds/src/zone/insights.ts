/**
 * DataplaneInsights: per Dataplane, its last streams (connect / disconnect times, responses sent, ACKed,
 * NACKed, the last NACK) and its workload certificate, written to the store coalesced: a NACK at once, a
 * connect, a disconnect or a new certificate within 500 ms, and the response/ACK counters at most once per `statusFlushMs`
 * (default 10 s, like Kuma's dataplane status flush interval) — a change pushed to 1,000 proxies is then
 * not 1,000 store writes (and as many NATS messages to global) per change.
 */
import type { DataplaneInsightSpec } from '@causeway/core';
import type { ResourceStore } from '@causeway/store';
import type { Logger } from 'pino';
import type { ProxyState } from './proxies.js';

type Subscription = NonNullable<DataplaneInsightSpec['subscriptions']>[number];

export interface InsightsOptions {
  store: ResourceStore;
  logger: Logger;
  now: () => Date;
  instanceId?: string | undefined;
  /** Longest delay of a write that only updates the response/ACK counters, ms (default 10 s). */
  statusFlushMs?: number | undefined;
}

/** How soon an insight change is written: at once, within 500 ms, or within the status flush interval. */
type Urgency = 'now' | 'soon' | 'later';
const SOON_MS = 500;

export class Insights {
  /** Pending writes by proxy key, with when they fire (ms since the epoch). */
  private readonly timers = new Map<string, { timer: NodeJS.Timeout; at: number }>();
  private closed = false;
  /** The certificate expiry each proxy's insight was last written with: a renewed certificate is written soon. */
  private readonly writtenExpiry = new WeakMap<ProxyState, number | undefined>();

  constructor(private readonly opts: InsightsOptions) {}

  close(): void {
    this.closed = true;
    for (const t of this.timers.values()) clearTimeout(t.timer);
  }

  /** A new stream: a subscription of its own (the last four closed ones are kept). */
  connected(p: ProxyState, streamId: string): void {
    const subs = (p.insight.subscriptions ?? []).filter((s) => s.disconnectTime !== undefined).slice(-4);
    subs.push({ id: streamId, ...(this.opts.instanceId ? { controlPlaneInstanceId: this.opts.instanceId } : {}), connectTime: this.now(), status: {} });
    p.insight.subscriptions = subs;
    this.write(p, 'soon');
  }

  disconnected(p: ProxyState, streamId: string): void {
    const sub = this.subscription(p, streamId);
    if (sub) sub.disconnectTime = this.now();
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

  private now(): string {
    return this.opts.now().toISOString();
  }

  private subscription(p: ProxyState, streamId: string): Subscription | undefined {
    return p.insight.subscriptions?.find((s) => s.id === streamId);
  }

  /** Writes the DataplaneInsight of a Dataplane (coalesced: a pending write that fires later is brought forward). */
  private write(p: ProxyState, urgency: Urgency): void {
    if (p.type !== 'Dataplane' || this.closed) return;
    const write = () => {
      this.timers.delete(p.key);
      this.writtenExpiry.set(p, p.certExpiry?.getTime());
      const spec: DataplaneInsightSpec = {
        ...p.insight,
        ...(p.certExpiry
          ? { mTLS: { certificateExpirationTime: p.certExpiry.toISOString(), certificateRegenerations: Math.max(0, p.certRegenerations - 1), lastCertificateRegeneration: p.generatedAt?.toISOString() } }
          : {}),
      };
      this.opts.store
        .upsert({ type: 'DataplaneInsight', mesh: p.mesh as string, name: p.name, labels: {}, spec, version: 0 })
        .catch((e: unknown) => this.opts.logger.debug({ proxy: p.key, err: (e as Error).message }, 'could not write the DataplaneInsight'));
    };
    const pending = this.timers.get(p.key);
    if (urgency === 'now') {
      clearTimeout(pending?.timer);
      write();
      return;
    }
    const delay = urgency === 'soon' ? SOON_MS : (this.opts.statusFlushMs ?? 10_000);
    const at = Date.now() + delay;
    if (pending && pending.at <= at) return;
    clearTimeout(pending?.timer);
    const timer = setTimeout(write, delay);
    timer.unref();
    this.timers.set(p.key, { timer, at });
  }
}
