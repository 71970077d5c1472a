/** Where a proxy's admin port listens: parsed from its node metadata, recorded on its stored resource, turned into a scrape target. */
import type { Resource } from '@causeway/core';
import { createSigningKey } from '@causeway/pki';
import { openStore, type ResourceStore } from '@causeway/store';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectInfo } from '../server/ads.js';
import { res } from '../testing/index.js';
import { ADMIN_ADDRESS_LABEL, adminEndpointOf, metricsTarget, withAdminEndpoint } from './admin-endpoint.js';
import { XdsZone } from './index.js';

const dataplane = (labels: Record<string, string> = {}, admin?: { port: number }): Resource =>
  ({
    type: 'Dataplane',
    mesh: 'default',
    name: 'web-1',
    labels,
    spec: { networking: { address: '10.0.0.7', ...(admin ? { admin } : {}), inbound: [{ port: 8080, tags: { 'kuma.io/service': 'web' } }] } },
    version: 0,
  }) as unknown as Resource;

describe('adminEndpointOf', () => {
  it('reads the port as a number or a string, and a specific address', () => {
    expect(adminEndpointOf({ 'dataplane.admin.port': '9901', 'dataplane.admin.address': '127.0.0.1' })).toEqual({ port: 9901, address: '127.0.0.1' });
    expect(adminEndpointOf({ 'dataplane.admin.port': 15000, 'dataplane.admin.address': 'fd00::7' })).toEqual({ port: 15000, address: 'fd00::7' });
  });

  it('leaves out a wildcard address (the resource address is used then) and anything malformed', () => {
    expect(adminEndpointOf({ 'dataplane.admin.port': '9901', 'dataplane.admin.address': '0.0.0.0' })).toEqual({ port: 9901 });
    expect(adminEndpointOf({ 'dataplane.admin.port': '9901', 'dataplane.admin.address': '::' })).toEqual({ port: 9901 });
    for (const port of ['0', '70000', 'x', '99999999', -1, 1.5, true, null]) expect(adminEndpointOf({ 'dataplane.admin.port': port })).toEqual({});
    expect(adminEndpointOf({ 'dataplane.admin.address': 'a b' })).toEqual({});
    expect(adminEndpointOf({ 'dataplane.admin.address': 'h'.repeat(64) })).toEqual({});
    expect(adminEndpointOf(undefined)).toEqual({});
  });
});

describe('withAdminEndpoint and metricsTarget', () => {
  it('records the port in networking.admin.port and a specific address in the label', () => {
    const r = withAdminEndpoint(dataplane(), { port: 9901, address: '127.0.0.1' });
    expect((r.spec as { networking: { admin: unknown } }).networking.admin).toEqual({ port: 9901 });
    expect(r.labels[ADMIN_ADDRESS_LABEL]).toBe('127.0.0.1');
    expect(metricsTarget(r)).toEqual({ host: '127.0.0.1', port: 9901 });
  });

  it("without a specific address the target is the resource's networking.address", () => {
    const r = withAdminEndpoint(dataplane({ [ADMIN_ADDRESS_LABEL]: '192.168.0.9' }), { port: 9902 });
    expect(r.labels[ADMIN_ADDRESS_LABEL]).toBeUndefined();
    expect(metricsTarget(r)).toEqual({ host: '10.0.0.7', port: 9902 });
  });

  it('the announced port replaces the one in the resource; nothing announced keeps it', () => {
    expect(metricsTarget(withAdminEndpoint(dataplane({}, { port: 1234 }), { port: 9903 }))).toEqual({ host: '10.0.0.7', port: 9903 });
    expect(metricsTarget(withAdminEndpoint(dataplane({}, { port: 1234 }), {}))).toEqual({ host: '10.0.0.7', port: 1234 });
  });

  it('no known port: no target', () => {
    expect(metricsTarget(dataplane())).toBeUndefined();
    expect(metricsTarget(withAdminEndpoint(dataplane(), { address: '127.0.0.1' }))).toBeUndefined();
  });
});

describe('a proxy registering over ADS', () => {
  let store: ResourceStore;
  let zone: XdsZone;

  beforeAll(async () => {
    store = await openStore({ pollIntervalMs: 50 });
    await store.create(res('Mesh', 'default', {}));
    zone = new XdsZone({ store, zone: 'zone-1', logger: pino({ level: 'silent' }), signingKeyPem: createSigningKey(), requireToken: false, debounceMs: 10 });
    await zone.start();
  });
  afterAll(async () => {
    await zone?.close();
    await store?.close();
  });

  const info = (type: string, name: string, metadata: Record<string, unknown>, streamId: string): ConnectInfo => {
    const resource =
      type === 'Dataplane'
        ? { type, mesh: 'default', name, networking: { address: '127.0.0.50', inbound: [{ port: 8080, tags: { 'kuma.io/service': 'web' } }] } }
        : { type, name, networking: { address: '127.0.0.60', port: 10001 } };
    return { node: { id: type === 'Dataplane' ? `default.${name}` : name, metadata: { 'dataplane.resource': JSON.stringify(resource), ...metadata } }, token: undefined, streamId, peer: 'test' };
  };

  it('stores where its admin port listens, so every replica on the store can list it', async () => {
    await zone.connect(info('Dataplane', 'web-1', { 'dataplane.admin.port': '19901', 'dataplane.admin.address': '127.0.0.1' }, 's1'));
    await zone.connect(info('ZoneEgress', 'egress-1', { 'dataplane.admin.port': '19902', 'dataplane.admin.address': '0.0.0.0' }, 's2'));
    const dp = await store.get('Dataplane', 'default', 'web-1');
    expect(dp && metricsTarget(dp)).toEqual({ host: '127.0.0.1', port: 19901 });
    const egress = await store.get('ZoneEgress', undefined, 'egress-1');
    expect(egress && metricsTarget(egress)).toEqual({ host: '127.0.0.60', port: 19902 });
    expect(egress?.labels[ADMIN_ADDRESS_LABEL]).toBeUndefined();
  });

  it('a reconnect with another admin port updates it; a proxy that announces none has no target', async () => {
    await zone.connect(info('Dataplane', 'web-1', { 'dataplane.admin.port': 19911, 'dataplane.admin.address': '127.0.0.1' }, 's3'));
    const dp = await store.get('Dataplane', 'default', 'web-1');
    expect(dp && metricsTarget(dp)).toEqual({ host: '127.0.0.1', port: 19911 });
    await zone.connect(info('ZoneIngress', 'ingress-1', {}, 's4'));
    const ingress = await store.get('ZoneIngress', undefined, 'ingress-1');
    expect(ingress).toBeDefined();
    expect(ingress && metricsTarget(ingress)).toBeUndefined();
  });
});
