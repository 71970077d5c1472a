/**
 * The send window (send-window.ts): the room it gives and takes back, the order waiting streams get their
 * turn; and through a real zone and ADS server, that every response still arrives in order through a
 * window of one byte, that a proxy which does not read holds the window and the others wait, and that its
 * stream ending gives the room back.
 */
import { TYPE_URLS } from '@causeway/envoy';
import { createSigningKey } from '@causeway/pki';
import { openStore, type ResourceStore } from '@causeway/store';
import { afterEach, describe, expect, it } from 'vitest';
import { dpDoc, dpToken, node, startAdsZone, TestAdsStream } from '../testing/ads.js';
import { res, until } from '../testing/index.js';
import type { DeltaDiscoveryRequest } from './ads.js';
import { SendWindow, type WindowWaiter } from './send-window.js';

describe('SendWindow', () => {
  it('gives room while not full (one response may overshoot), and takes it back', () => {
    const w = new SendWindow(100);
    expect(w.take(60)).toBe(true);
    expect(w.take(60)).toBe(true); // not full before: 120 in flight
    expect(w.take(1)).toBe(false);
    w.release(60);
    expect(w.inFlight).toBe(60);
    expect(w.take(500)).toBe(true); // larger than the window: goes while there is room
    expect(w.inFlight).toBe(560);
  });

  it('resumes the waiting streams first come, first served while there is room; a stream that ended is skipped', () => {
    const w = new SendWindow(100);
    const order: string[] = [];
    const waiter = (name: string, size: number, times = 1): WindowWaiter => {
      let left = times;
      const self: WindowWaiter = {
        resume() {
          while (left > 0) {
            if (!w.take(size)) return w.wait(self);
            left--;
            order.push(name);
          }
        },
      };
      return self;
    };
    expect(w.take(100)).toBe(true);
    const a = waiter('a', 50, 2);
    const b = waiter('b', 50);
    const gone = waiter('gone', 50);
    const c = waiter('c', 50);
    for (const x of [a, b, gone, c]) w.wait(x);
    w.forget(gone);
    expect(w.waiting).toBe(3);
    w.release(100); // room for two: a twice, then full
    expect(order).toEqual(['a', 'a']);
    expect(w.waiting).toBe(2);
    w.release(100);
    expect(order).toEqual(['a', 'a', 'b', 'c']);
    expect(w.waiting).toBe(0);
    expect(w.inFlight).toBe(100);
  });

  it('refuses a limit that is not a positive integer, naming it', () => {
    expect(() => new SendWindow(0)).toThrow(/limitBytes/);
    expect(() => new SendWindow(1.5)).toThrow(/limitBytes/);
  });
});

interface DeltaResponse {
  resources?: { name: string }[];
  type_url: string;
  nonce: string;
}

const key = createSigningKey();
const es = (name: string) => res('ExternalService', name, { tags: { 'kuma.io/service': name, 'kuma.io/protocol': 'http' }, networking: { address: `${name}.example.com:80` } }, 'default');
const names = (r: DeltaResponse) => (r.resources ?? []).map((x) => x.name);

function proxy(port: number, name: string): TestAdsStream<DeltaDiscoveryRequest, DeltaResponse> {
  const p = new TestAdsStream<DeltaDiscoveryRequest, DeltaResponse>(port, dpToken(key, 'default', name, name), 'DeltaAggregatedResources');
  p.send({ node: node('default', name, dpDoc(name, 'default', name, `127.0.0.${10 + Number(name.replace(/\D/g, '') || 0)}`)), type_url: TYPE_URLS.Cluster });
  p.send({ type_url: TYPE_URLS.Listener });
  return p;
}

describe('ADS server with a send window', () => {
  let store: ResourceStore | undefined;
  let stop: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await stop?.();
    await store?.close();
  });

  it('a window of one byte: every response still arrives, in order, and the window is empty after', async () => {
    store = await openStore({ pollIntervalMs: 50 });
    await store.create(res('Mesh', 'default', {}));
    for (const n of ['one', 'two']) await store.create(es(n));
    const zone = await startAdsZone(store, key, { sendWindowBytes: 1 });
    stop = zone.close;
    const proxies = [proxy(zone.port, 'web1'), proxy(zone.port, 'web2')];
    for (const p of proxies) {
      const clusters = await p.next((r) => r.type_url === TYPE_URLS.Cluster);
      expect(names(clusters)).toEqual(expect.arrayContaining(['one', 'two']));
      const listeners = await p.next((r) => r.type_url === TYPE_URLS.Listener);
      // Clusters before listeners (make-before-break), as without a window.
      expect(p.responses.indexOf(clusters)).toBeLessThan(p.responses.indexOf(listeners));
      for (const r of [clusters, listeners]) p.send({ type_url: r.type_url, response_nonce: r.nonce });
    }
    await store.create(es('three'));
    for (const p of proxies) expect(names(await p.next((r) => r.type_url === TYPE_URLS.Cluster && names(r).includes('three')))).toEqual(['three']);
    await until(() => zone.server.stats().sendWindowBytes === 0);
    expect(zone.server.stats().streamsWaitingToSend).toBe(0);
    for (const p of proxies) p.close();
  });

  it('a proxy that does not read holds the window: the next proxy waits, and gets its config once that stream ends', async () => {
    store = await openStore({ pollIntervalMs: 50 });
    await store.create(res('Mesh', 'default', {}));
    // ~300 listeners and clusters: a config far larger than HTTP/2's 64 KiB stream window.
    for (let i = 0; i < 300; i++) await store.create(es(`ext-${i}`));
    const zone = await startAdsZone(store, key, { sendWindowBytes: 1024 });
    stop = zone.close;
    const stalled = proxy(zone.port, 'web1');
    stalled.stream.pause(); // reads nothing: its responses stay in flight
    await until(() => zone.server.stats().sendWindowBytes > 1024, 10_000);
    const next = proxy(zone.port, 'web2');
    await until(() => zone.server.stats().streamsWaitingToSend === 1, 10_000);
    expect(next.responses).toEqual([]);
    stalled.stream.cancel();
    const clusters = await next.next((r) => r.type_url === TYPE_URLS.Cluster, 10_000);
    expect(names(clusters)).toContain('ext-299');
    await next.next((r) => r.type_url === TYPE_URLS.Listener, 10_000);
    expect(zone.server.stats().streamsWaitingToSend).toBe(0);
    next.close();
  }, 60_000);
});
