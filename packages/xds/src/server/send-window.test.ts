/**
 * The send window (send-window.ts): the room it gives and takes back, the order waiting streams get their
 * turn; and through a real zone and ADS server, that every response still arrives in order through a
 * window of one byte, that a proxy which does not read holds the window and the others wait, and that its
 * stream ending gives the room back.
 */
import http2 from 'node:http2';
import { encodeMessage, TYPE_URLS } from '@causeway/envoy';
import { createSigningKey } from '@causeway/pki';
import { openStore, type ResourceStore } from '@causeway/store';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { dpDoc, dpToken, node, startAdsZone, TestAdsStream } from '../testing/ads.js';
import { res, until } from '../testing/index.js';
import type { DeltaDiscoveryRequest } from './ads.js';
import { SendWindow, SMALL_RESPONSE_BYTES, type WindowWaiter } from './send-window.js';

describe('SendWindow', () => {
  // Sizes above SMALL_RESPONSE_BYTES: those the window holds back.
  const K = 100_000;

  it('gives room while not full (one response may overshoot), and takes it back', () => {
    const w = new SendWindow(2 * K);
    expect(w.take(1.2 * K)).toBe(true);
    expect(w.take(1.2 * K)).toBe(true); // not full before: 2.4 K in flight
    expect(w.take(K)).toBe(false);
    w.release(1.2 * K);
    expect(w.inFlight).toBe(1.2 * K);
    expect(w.take(10 * K)).toBe(true); // larger than the window: goes while there is room
    expect(w.inFlight).toBe(11.2 * K);
  });

  it('a small response (a change) goes also when the window is full, and is counted', () => {
    const w = new SendWindow(2 * K);
    expect(w.take(2 * K)).toBe(true);
    expect(w.take(SMALL_RESPONSE_BYTES + 1)).toBe(false);
    expect(w.take(SMALL_RESPONSE_BYTES)).toBe(true);
    expect(w.inFlight).toBe(2 * K + SMALL_RESPONSE_BYTES);
  });

  it('resumes the waiting streams first come, first served while there is room; a stream that ended is skipped', () => {
    const w = new SendWindow(2 * K);
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
    expect(w.take(2 * K)).toBe(true);
    const a = waiter('a', K, 2);
    const b = waiter('b', K);
    const gone = waiter('gone', K);
    const c = waiter('c', K);
    for (const x of [a, b, gone, c]) w.wait(x);
    w.forget(gone);
    expect(w.waiting).toBe(3);
    w.release(2 * K); // room for two: a twice, then full
    expect(order).toEqual(['a', 'a']);
    expect(w.waiting).toBe(2);
    w.release(2 * K);
    expect(order).toEqual(['a', 'a', 'b', 'c']);
    expect(w.waiting).toBe(0);
    expect(w.inFlight).toBe(2 * K);
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
const quiet = (ms = 250) => new Promise((r) => setTimeout(r, ms));

function proxy(port: number, name: string, address: string): TestAdsStream<DeltaDiscoveryRequest, DeltaResponse> {
  const p = new TestAdsStream<DeltaDiscoveryRequest, DeltaResponse>(port, dpToken(key, 'default', name, name), 'DeltaAggregatedResources');
  p.send({ node: node('default', name, dpDoc(name, 'default', name, address)), type_url: TYPE_URLS.Cluster });
  p.send({ type_url: TYPE_URLS.Listener });
  return p;
}

/**
 * A proxy that opens a Delta ADS stream and then reads nothing: a raw HTTP/2 client whose stream is never
 * read, so that HTTP/2 flow control (a 64 KiB window) holds the server's writes (a gRPC client reads ahead).
 */
function stalledProxy(port: number, name: string): { close(): void } {
  const session = http2.connect(`http://127.0.0.1:${port}`, { settings: { initialWindowSize: 65_535 } });
  session.on('error', () => undefined);
  const stream = session.request({
    ':method': 'POST',
    ':path': '/envoy.service.discovery.v3.AggregatedDiscoveryService/DeltaAggregatedResources',
    'content-type': 'application/grpc',
    te: 'trailers',
    authorization: `Bearer ${dpToken(key, 'default', name, name)}`,
  });
  stream.on('error', () => undefined);
  const frame = (req: Record<string, unknown>) => {
    const body = encodeMessage('envoy.service.discovery.v3.DeltaDiscoveryRequest', req);
    const head = Buffer.alloc(5);
    head.writeUInt32BE(body.length, 1);
    return Buffer.concat([head, body]);
  };
  stream.write(frame({ node: node('default', name, dpDoc(name, 'default', name, '127.0.0.9')), type_url: TYPE_URLS.Cluster }));
  stream.write(frame({ type_url: TYPE_URLS.Listener }));
  return { close: () => session.destroy() };
}

describe('ADS server with a send window', () => {
  let store: ResourceStore;
  let stop: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    store = await openStore({ pollIntervalMs: 50 });
    await store.create(res('Mesh', 'default', {}));
    // 300 listeners: a Listener response far larger than HTTP/2's 64 KiB stream window and than SMALL_RESPONSE_BYTES.
    for (let i = 0; i < 300; i++) await store.create(es(`ext-${i}`));
  });
  afterEach(async () => {
    await stop?.();
    stop = undefined;
  });
  afterAll(async () => {
    await store.close();
  });

  it('a window of one byte: every response still arrives, in order, and the window is empty after', async () => {
    const zone = await startAdsZone(store, key, { sendWindowBytes: 1 });
    stop = zone.close;
    const proxies = [proxy(zone.port, 'web1', '127.0.0.11'), proxy(zone.port, 'web2', '127.0.0.12')];
    for (const p of proxies) {
      const clusters = await p.next((r) => r.type_url === TYPE_URLS.Cluster, 10_000);
      expect(names(clusters)).toEqual(expect.arrayContaining(['ext-0', 'ext-299']));
      const listeners = await p.next((r) => r.type_url === TYPE_URLS.Listener, 10_000);
      expect(names(listeners).length).toBeGreaterThan(300);
      // Clusters before listeners (make-before-break), as without a window.
      expect(p.responses.indexOf(clusters)).toBeLessThan(p.responses.indexOf(listeners));
      for (const r of [clusters, listeners]) p.send({ type_url: r.type_url, response_nonce: r.nonce });
    }
    await store.create(es('three'));
    for (const p of proxies) expect(names(await p.next((r) => r.type_url === TYPE_URLS.Cluster && names(r).includes('three')))).toEqual(['three']);
    await until(() => zone.server.stats().sendWindowBytes === 0);
    expect(zone.server.stats().streamsWaitingToSend).toBe(0);
    for (const p of proxies) p.close();
  }, 60_000);

  it('a proxy that does not read holds the window: the next proxy waits for its large responses (not its small ones), and gets them once that stream ends', async () => {
    const zone = await startAdsZone(store, key, { sendWindowBytes: 1024 });
    stop = zone.close;
    const stalled = stalledProxy(zone.port, 'web1');
    // Its Listener response (larger than a small one) handed to gRPC, and stuck there.
    await until(() => zone.server.stats().sendWindowBytes > SMALL_RESPONSE_BYTES, 10_000);
    await quiet();
    expect(zone.server.stats().sendWindowBytes).toBeGreaterThan(SMALL_RESPONSE_BYTES);
    const next = proxy(zone.port, 'web2', '127.0.0.12');
    await until(() => zone.server.stats().streamsWaitingToSend === 1, 10_000);
    await quiet();
    expect(next.responses.filter((r) => r.type_url === TYPE_URLS.Listener)).toEqual([]);
    stalled.close();
    const listeners = await next.next((r) => r.type_url === TYPE_URLS.Listener, 10_000);
    expect(names(listeners).length).toBeGreaterThan(300);
    expect(names(await next.next((r) => r.type_url === TYPE_URLS.Cluster))).toContain('ext-299');
    await until(() => zone.server.stats().streamsWaitingToSend === 0);
    next.close();
  }, 60_000);
});
