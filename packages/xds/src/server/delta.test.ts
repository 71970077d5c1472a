/**
 * Incremental xDS against a real zone (store, XdsZone, AdsServer): what each response carries (only what
 * changed, removals, per-resource versions), subscriptions (wildcard, names, unsubscribe, names that do not
 * exist), ACK/NACK by nonce, and a reconnect with `initial_resource_versions`.
 */
import { TYPE_URLS } from '@causeway/envoy';
import { createSigningKey } from '@causeway/pki';
import { openStore, type ResourceStore } from '@causeway/store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dpDoc, dpToken as issueToken, node, startAdsZone, TestAdsStream } from '../testing/ads.js';
import { res, until } from '../testing/index.js';
import type { AdsServer, DeltaDiscoveryRequest } from './ads.js';

const key = createSigningKey();
const dpToken = (mesh: string, name: string, service: string) => issueToken(key, mesh, name, service);

interface DeltaResponse {
  system_version_info: string;
  resources?: { name: string; version: string; resource: { '@type': string; name?: string } & Record<string, unknown> }[];
  removed_resources?: string[];
  type_url: string;
  nonce: string;
}

class DeltaProxy extends TestAdsStream<DeltaDiscoveryRequest, DeltaResponse> {
  constructor(port: number, token: string) {
    super(port, token, 'DeltaAggregatedResources');
  }
  /** Responses of one type, in order. */
  of(type: string): DeltaResponse[] {
    return this.responses.filter((r) => r.type_url === type);
  }
  ack(r: DeltaResponse): void {
    this.send({ type_url: r.type_url, response_nonce: r.nonce });
  }
}

const names = (r: DeltaResponse) => (r.resources ?? []).map((x) => x.name).sort();
const es = (name: string) => res('ExternalService', name, { tags: { 'kuma.io/service': name, 'kuma.io/protocol': 'http' }, networking: { address: `${name}.example.com:80` } }, 'default');
const proxyless = (mesh: string, name: string, resource: string) => {
  const n = node(mesh, name, resource);
  return { ...n, metadata: { ...n.metadata, 'causeway.proxyless': true } };
};
const quiet = (ms = 250) => new Promise((r) => setTimeout(r, ms));

describe('ADS server, incremental (DeltaAggregatedResources)', () => {
  let store: ResourceStore;
  let server: AdsServer;
  let port: number;
  let stopZone: () => Promise<void>;

  beforeAll(async () => {
    store = await openStore({ pollIntervalMs: 50 });
    await store.create(res('Mesh', 'default', {}));
    await store.create(es('first'));
    ({ server, port, close: stopZone } = await startAdsZone(store, key));
  });

  afterAll(async () => {
    await stopZone();
    await store.close();
  });

  it('sends everything first, then only what changed: an added cluster alone, a deleted one as a removal', async () => {
    const p = new DeltaProxy(port, dpToken('default', 'web-1', 'web'));
    p.send({ node: node('default', 'web-1', dpDoc('web-1', 'default', 'web', '127.0.0.10')), type_url: TYPE_URLS.Cluster });
    const first = await p.next((r) => r.type_url === TYPE_URLS.Cluster);
    expect(names(first)).toEqual(expect.arrayContaining(['first', 'web']));
    expect(first.removed_resources ?? []).toEqual([]);
    expect(first.system_version_info).toMatch(/^[0-9a-f]{16}$/);
    for (const r of first.resources ?? []) {
      expect(r.version).toMatch(/^[0-9a-f]{32}$/);
      expect(r.resource['@type']).toBe(TYPE_URLS.Cluster);
      expect(r.resource.name).toBe(r.name);
    }
    p.ack(first);

    await store.create(es('second'));
    const added = await p.next((r) => r.type_url === TYPE_URLS.Cluster && names(r).includes('second'));
    expect(names(added)).toEqual(['second']);
    expect(added.system_version_info).not.toBe(first.system_version_info);
    p.ack(added);

    await store.delete('ExternalService', 'default', 'second');
    const removed = await p.next((r) => r.type_url === TYPE_URLS.Cluster && (r.removed_resources ?? []).includes('second'));
    expect(removed.resources ?? []).toEqual([]);
    expect(removed.removed_resources).toEqual(['second']);
    p.ack(removed);

    // A change that leaves this proxy's clusters as they are sends no Cluster response at all.
    const count = p.of(TYPE_URLS.Cluster).length;
    await store.create(res('MeshTimeout', 'nobody', { targetRef: { kind: 'MeshService', name: 'no-such' }, to: [{ targetRef: { kind: 'Mesh' }, default: { connectionTimeout: '2s' } }] }, 'default'));
    await quiet();
    expect(p.of(TYPE_URLS.Cluster)).toHaveLength(count);
    p.close();
  });

  it('follows named subscriptions: subscribe, a name that does not exist (told once, as removed), unsubscribe', async () => {
    // Proxyless gRPC clients name their routes for RDS (a sidecar's are inline in its listeners).
    await store.create(es('named'));
    const p = new DeltaProxy(port, dpToken('default', 'web-2', 'web'));
    const third = 'outbound:named';
    p.send({ node: proxyless('default', 'web-2', dpDoc('web-2', 'default', 'web', '127.0.0.11')), type_url: TYPE_URLS.RouteConfiguration, resource_names_subscribe: [third, 'no-such-route'] });
    const rds = await p.next((r) => r.type_url === TYPE_URLS.RouteConfiguration);
    expect(names(rds)).toEqual([third]);
    expect(rds.removed_resources).toEqual(['no-such-route']);
    p.ack(rds);

    // Subscribing to one more name sends that one only.
    p.send({ type_url: TYPE_URLS.RouteConfiguration, resource_names_subscribe: ['outbound:first'] });
    const more = await p.next((r) => r.type_url === TYPE_URLS.RouteConfiguration && r !== rds);
    expect(names(more)).toEqual(['outbound:first']);
    p.ack(more);

    // Unsubscribed names are not sent any more, nor their removal: "first" turned TCP has no route, which a
    // subscribed proxy would be told (see the other proxy), this one not.
    const watcher = new DeltaProxy(port, dpToken('default', 'web-5', 'web'));
    watcher.send({ node: proxyless('default', 'web-5', dpDoc('web-5', 'default', 'web', '127.0.0.14')), type_url: TYPE_URLS.RouteConfiguration, resource_names_subscribe: ['outbound:first'] });
    watcher.ack(await watcher.next((r) => r.type_url === TYPE_URLS.RouteConfiguration && names(r).includes('outbound:first')));
    p.send({ type_url: TYPE_URLS.RouteConfiguration, resource_names_unsubscribe: ['outbound:first', 'no-such-route'] });
    await quiet(100);
    const first = await store.get('ExternalService', 'default', 'first');
    await store.update({ ...(first as NonNullable<typeof first>), spec: { tags: { 'kuma.io/service': 'first', 'kuma.io/protocol': 'tcp' }, networking: { address: 'first.example.com:80' } } });
    await watcher.next((r) => r.type_url === TYPE_URLS.RouteConfiguration && (r.removed_resources ?? []).includes('outbound:first'));
    await quiet();
    expect(p.of(TYPE_URLS.RouteConfiguration)).toHaveLength(2);

    // Subscribing again to what it unsubscribed from: a name gone meanwhile is told as removed, one that
    // exists is sent again (the server forgot it with the proxy), and nothing else comes with either.
    p.send({ type_url: TYPE_URLS.RouteConfiguration, resource_names_subscribe: ['outbound:first'] });
    const gone = await p.next((r) => r.type_url === TYPE_URLS.RouteConfiguration && (r.removed_resources ?? []).includes('outbound:first'));
    expect(names(gone)).toEqual([]);
    expect(gone.removed_resources).toEqual(['outbound:first']);
    p.ack(gone);
    p.send({ type_url: TYPE_URLS.RouteConfiguration, resource_names_unsubscribe: [third] });
    await quiet(100);
    p.send({ type_url: TYPE_URLS.RouteConfiguration, resource_names_subscribe: [third] });
    const back = await p.next((r) => r.type_url === TYPE_URLS.RouteConfiguration && r !== rds && names(r).includes(third));
    expect(names(back)).toEqual([third]);
    expect(back.removed_resources ?? []).toEqual([]);
    expect(p.of(TYPE_URLS.RouteConfiguration)).toHaveLength(4);
    watcher.close();
    p.close();
  });

  it('reconnects with initial_resource_versions: what the proxy still holds is not sent again', async () => {
    const doc = dpDoc('web-3', 'default', 'web', '127.0.0.12');
    const p = new DeltaProxy(port, dpToken('default', 'web-3', 'web'));
    p.send({ node: node('default', 'web-3', doc), type_url: TYPE_URLS.Cluster });
    const first = await p.next((r) => r.type_url === TYPE_URLS.Cluster);
    p.ack(first);
    p.close();
    const held = Object.fromEntries((first.resources ?? []).map((r) => [r.name, r.version]));

    // Everything current: an empty answer (the proxy knows it is up to date).
    const again = new DeltaProxy(port, dpToken('default', 'web-3', 'web'));
    again.send({ node: node('default', 'web-3', doc), type_url: TYPE_URLS.Cluster, initial_resource_versions: held });
    const empty = await again.next((r) => r.type_url === TYPE_URLS.Cluster);
    expect(empty.resources ?? []).toEqual([]);
    expect(empty.removed_resources ?? []).toEqual([]);
    again.close();

    // One stale version and one resource that no longer exists: that one sent, the other removed.
    const stale = new DeltaProxy(port, dpToken('default', 'web-3', 'web'));
    stale.send({ node: node('default', 'web-3', doc), type_url: TYPE_URLS.Cluster, initial_resource_versions: { ...held, first: 'old', gone: 'v1' } });
    const fix = await stale.next((r) => r.type_url === TYPE_URLS.Cluster);
    expect(names(fix)).toEqual(['first']);
    expect(fix.removed_resources).toEqual(['gone']);
    stale.close();
  });

  it('records a NACK by its nonce on the DataplaneInsight and does not resend the rejected resource', async () => {
    const p = new DeltaProxy(port, dpToken('default', 'web-4', 'web'));
    p.send({ node: node('default', 'web-4', dpDoc('web-4', 'default', 'web', '127.0.0.13')), type_url: TYPE_URLS.Cluster });
    p.ack(await p.next((r) => r.type_url === TYPE_URLS.Cluster));
    await store.create(es('third'));
    const third = await p.next((r) => r.type_url === TYPE_URLS.Cluster && names(r).includes('third'));
    p.send({ type_url: TYPE_URLS.Cluster, response_nonce: third.nonce, error_detail: { code: 3, message: 'cluster third: boom' } });
    const nack = await until(async () => {
      const i = await store.get('DataplaneInsight', 'default', 'web-4');
      return (i?.spec as { subscriptions?: { lastNack?: { error: string; typeUrl: string } }[] })?.subscriptions?.find((s) => s.lastNack)?.lastNack;
    });
    expect(nack).toMatchObject({ typeUrl: TYPE_URLS.Cluster, error: 'cluster third: boom' });
    const count = p.of(TYPE_URLS.Cluster).length;
    await quiet();
    expect(p.of(TYPE_URLS.Cluster)).toHaveLength(count);
    expect(server.stats().nacks).toBeGreaterThanOrEqual(1);
    p.close();
  });
});
