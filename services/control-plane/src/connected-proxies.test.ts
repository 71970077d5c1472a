import { ORIGIN_LABEL, type Resource, ZONE_LABEL } from '@causeway/core';
import { openStore, type ResourceStore } from '@causeway/store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectedProxies } from './connected-proxies.js';

const res = (type: Resource['type'], name: string, spec: unknown, mesh?: string, labels: Record<string, string> = {}): Resource => ({ type, name, ...(mesh ? { mesh } : {}), labels, spec, version: 0 });
const dp = (name: string) => res('Dataplane', name, { networking: { address: '10.0.0.1', inbound: [{ port: 8080, tags: { 'kuma.io/service': 'web' } }] } }, 'default');
const sub = (instance: string, open: boolean) => ({ id: `${instance}-s`, controlPlaneInstanceId: instance, connectTime: '2026-12-04T10:00:00Z', ...(open ? {} : { disconnectTime: '2026-12-04T10:05:00Z' }), status: {} });

describe("the zone heartbeat's connectedProxies", () => {
  let store: ResourceStore;
  beforeAll(async () => {
    store = await openStore();
    await store.create(res('Mesh', 'default', {}));
    for (const n of ['on-a', 'on-b', 'moved', 'gone', 'never']) await store.create(dp(n));
    // served by replica a, by replica b, moved from a to b (a's closed, b's open), disconnected, no insight
    await store.create(res('DataplaneInsight', 'on-a', { subscriptions: [sub('replica-a', true)] }, 'default'));
    await store.create(res('DataplaneInsight', 'on-b', { subscriptions: [sub('replica-b', true)] }, 'default'));
    await store.create(res('DataplaneInsight', 'moved', { subscriptions: [sub('replica-a', false), { ...sub('replica-b', true), id: 'b2' }] }, 'default'));
    await store.create(res('DataplaneInsight', 'gone', { subscriptions: [sub('replica-a', false)] }, 'default'));
    // this zone's ZoneIngress and ZoneEgress, and zone-2's ZoneIngress copied from global
    await store.create(res('ZoneIngress', 'ingress-1', { zone: 'zone-1', networking: { address: '10.0.0.2', port: 10001 } }));
    await store.create(res('ZoneEgress', 'egress-1', { zone: 'zone-1', networking: { address: '10.0.0.3', port: 10002 } }));
    await store.create(res('ZoneIngress', 'ingress-2', { zone: 'zone-2', networking: { address: '10.0.1.2', port: 10001 } }, undefined, { [ORIGIN_LABEL]: 'global', [ZONE_LABEL]: 'zone-2' }));
  });
  afterAll(() => store.close());

  it('counts the Dataplanes online on any replica and the zone proxies of this zone', async () => {
    expect(await connectedProxies(store, 'zone-1')).toBe(3 + 2);
    await store.delete('ZoneEgress', undefined, 'egress-1');
    expect(await connectedProxies(store, 'zone-1')).toBe(3 + 1);
  });
});
