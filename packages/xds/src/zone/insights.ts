/**
 * DataplaneInsights: per Dataplane, its last streams (connect / disconnect times, responses sent, ACKed,
 * NACKed, the last NACK) and its workload certificate, written to the store coalesced (500 ms; a NACK
 * at once).
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
}

export class Insights {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private closed = false;

  constructor(private readonly opts: InsightsOptions) {}

  close(): void {
    this.closed = true;
    for (const t of this.timers.values()) clearTimeout(t);
  }

  /** A new stream: a subscription of its own (the last four closed ones are kept). */
  connected(p: ProxyState, streamId: string): void {
    const subs = (p.insight.subscriptions ?? []).filter((s) => s.disconnectTime !== undefined).slice(-4);
    subs.push({ id: streamId, ...(this.opts.instanceId ? { controlPlaneInstanceId: this.opts.instanceId } : {}), connectTime: this.now(), status: {} });
    p.insight.subscriptions = subs;
    this.write(p);
  }

  disconnected(p: ProxyState, streamId: string): void {
    const sub = this.subscription(p, streamId);
    if (sub) sub.disconnectTime = this.now();
    this.write(p);
  }

  response(p: ProxyState, streamId: string): void {
    const s = this.subscription(p, streamId);
    if (!s) return;
    s.status = { ...s.status, lastUpdateTime: this.now(), responsesSent: (s.status?.responsesSent ?? 0) + 1 };
    this.write(p);
  }

  ack(p: ProxyState, streamId: string): void {
    const s = this.subscription(p, streamId);
    if (!s) return;
    s.status = { ...s.status, responsesAcknowledged: (s.status?.responsesAcknowledged ?? 0) + 1 };
    this.write(p);
  }

  nack(p: ProxyState, streamId: string, typeUrl: string, error: string): void {
    const s = this.subscription(p, streamId);
    if (!s) return;
    s.status = { ...s.status, responsesRejected: (s.status?.responsesRejected ?? 0) + 1 };
    s.lastNack = { typeUrl, error: error.slice(0, 2000), time: this.now() };
    this.write(p, true);
  }

  private now(): string {
    return this.opts.now().toISOString();
  }

  private subscription(p: ProxyState, streamId: string): Subscription | undefined {
    return p.insight.subscriptions?.find((s) => s.id === streamId);
  }

  /** Writes the DataplaneInsight of a Dataplane (coalesced; at once when `now`). */
  private write(p: ProxyState, now = false): void {
    if (p.type !== 'Dataplane' || this.closed) return;
    const write = () => {
      this.timers.delete(p.key);
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
    if (now) {
      clearTimeout(pending);
      write();
      return;
    }
    if (pending) return;
    const t = setTimeout(write, 500);
    t.unref();
    this.timers.set(p.key, t);
  }
}
