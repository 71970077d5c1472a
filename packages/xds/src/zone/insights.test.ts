import type { Resource } from '@causeway/core';
import type { BatchOp, ResourceStore } from '@causeway/store';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { Insights } from './insights.js';
import { newProxyState } from './proxies.js';

const dataplane = (name: string): Resource => ({ type: 'Dataplane', mesh: 'default', name, labels: {}, spec: {}, version: 1 }) as unknown as Resource;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A store that records each batch written: when, and the names of its insights. */
function recordingStore(): { batches: { at: number; names: string[] }[]; store: ResourceStore } {
  const batches: { at: number; names: string[] }[] = [];
  const store = {
    applyBatch: async (ops: readonly BatchOp[]) => {
      batches.push({ at: Date.now(), names: ops.map((o) => (o.op === 'upsert' ? o.resource.name : '')) });
      return [];
    },
    upsert: async () => ({}),
  } as unknown as ResourceStore;
  return { batches, store };
}

describe('DataplaneInsights', () => {
  it('writes the connects of proxies that arrive a few at a time together, within 500 ms of each, and a NACK at once', async () => {
    const { batches, store } = recordingStore();
    const insights = new Insights({ store, logger: pino({ level: 'silent' }), now: () => new Date() });
    // Eight proxies connecting 15 ms apart (a reconnect wave arriving a few at a time).
    const connectedAt = new Map<string, number>();
    for (let i = 0; i < 8; i++) {
      const p = newProxyState(dataplane(`dp-${i}`), false);
      connectedAt.set(p.name, Date.now());
      insights.connected(p, `s-${i}`);
      await sleep(15);
    }
    await sleep(600);
    const written = batches.flatMap((b) => b.names.map((n) => ({ n, at: b.at })));
    expect(written.map((w) => w.n).sort()).toEqual([...connectedAt.keys()].sort());
    // Fewer transactions than proxies (the due times are on a 125 ms grid), none later than 500 ms (+ timer slack).
    expect(batches.length).toBeLessThan(8);
    for (const w of written) expect(w.at - (connectedAt.get(w.n) as number)).toBeLessThanOrEqual(560);

    const nacking = newProxyState(dataplane('dp-nack'), false);
    insights.connected(nacking, 's-n');
    const before = batches.length;
    insights.nack(nacking, 's-n', 'type.googleapis.com/envoy.config.cluster.v3.Cluster', 'bad');
    await sleep(20);
    expect(batches.slice(before).flatMap((b) => b.names)).toEqual(['dp-nack']);
    insights.close();
  });

  it("spreads the counter-only writes of a change that reached every proxy over the flush interval's second half", async () => {
    const { batches, store } = recordingStore();
    const flush = 1000;
    const insights = new Insights({ store, logger: pino({ level: 'silent' }), now: () => new Date(), statusFlushMs: flush });
    const proxies = Array.from({ length: 200 }, (_, i) => newProxyState(dataplane(`dp-${i}`), false));
    for (const [i, p] of proxies.entries()) insights.connected(p, `s-${i}`);
    await sleep(600); // the connects written
    batches.length = 0;
    // A change: every proxy answered and ACKed at once (twice: the second changes no due time).
    const changedAt = Date.now();
    for (let round = 0; round < 2; round++)
      for (const [i, p] of proxies.entries()) {
        insights.response(p, `s-${i}`);
        insights.ack(p, `s-${i}`);
      }
    await sleep(flush + 300);
    const written = batches.flatMap((b) => b.names);
    expect(written.sort()).toEqual(proxies.map((p) => p.name).sort()); // each once
    const times = batches.map((b) => b.at - changedAt);
    // Over the second half of the interval (grid of 50 ms, timer slack), in many small batches, not one burst.
    expect(Math.min(...times)).toBeGreaterThanOrEqual(flush / 2 - flush / 20);
    expect(Math.max(...times)).toBeLessThanOrEqual(flush + 250);
    expect(batches.length).toBeGreaterThanOrEqual(6);
    expect(Math.max(...batches.map((b) => b.names.length))).toBeLessThan(100);
    insights.close();
  });
});
