/**
 * The builtin DNS of a large mesh, as @causeway/xds generates it: the table split over chained DNS
 * listeners (each forwards the names it does not hold to the next). The proxy accepts them (through the
 * Envoy protos), serves their union on the head of the chain (moved by --dns-port) and keeps the
 * mesh's passthrough rule for names in none of them.
 */
import { Resolver } from 'node:dns/promises';
import { decodeResource } from '@causeway/core';
import { decodeAny, encodeAny, type EnvoyJson } from '@causeway/envoy';
import { buildMeshContexts, dnsNames, generateSidecar, zoneViewOf } from '@causeway/xds';
import { afterAll, describe, expect, it } from 'vitest';
import { makeProxy } from '../testing/helpers.js';

const dataplane = { type: 'Dataplane', mesh: 'default', name: 'web-1', networking: { address: '127.0.0.1', inbound: [{ port: 18080, tags: { 'kuma.io/service': 'web', 'kuma.io/protocol': 'http' } }] } };
const docs = [
  { type: 'Mesh', name: 'default', networking: { outbound: { passthrough: false } } },
  dataplane,
  ...Array.from({ length: 150 }, (_, i) => ({ type: 'ExternalService', mesh: 'default', name: `es-${i}`, tags: { 'kuma.io/service': `es-${i}`, 'kuma.io/protocol': 'http' }, networking: { address: `api-${i}.example.com:443` } })),
];

describe('builtin DNS split over chained listeners', () => {
  const { proxy } = makeProxy({ dnsPort: 0 });
  afterAll(() => proxy.close());

  it('answers every name of every partition on the head, and refuses the rest (passthrough off)', async () => {
    const ctx = buildMeshContexts(zoneViewOf(docs.map((d) => decodeResource(d)), { zone: 'zone-1' })).get('default');
    if (!ctx) throw new Error('no context');
    const dns = generateSidecar({ ctx, dataplane: decodeResource(dataplane) as never }).Listener.filter((l) => String(l.name).startsWith('dns:'));
    expect(dns.length).toBeGreaterThan(1);
    await proxy.update('Listener', dns.map((l) => decodeAny(encodeAny(l as EnvoyJson)) as never), '1');
    const resolver = new Resolver({ timeout: 2000, tries: 1 });
    resolver.setServers([`127.0.0.1:${proxy.dnsServer.port}`]);
    const names = dnsNames(ctx, decodeResource(dataplane).spec as never);
    expect(names.size).toBeGreaterThan(150);
    for (const [name, vip] of names) expect(await resolver.resolve4(name), name).toEqual([vip]);
    await expect(resolver.resolve4('example.com')).rejects.toMatchObject({ code: 'EREFUSED' });
  });
});
