/**
 * The builtin DNS table split into chained partitions (sidecar.ts `dnsListeners`): a small mesh keeps one
 * listener; a large one gets partitions whose union is the single table, chained in order to the last
 * (which forwards to the system resolvers only with passthrough), each valid for Envoy; adding an
 * ExternalService changes one partition, and the others stay the same objects.
 */
import { decodeResource } from '@causeway/core';
import { decodeAny, encodeAny, type EnvoyJson, envoyValidationErrors, type Listener } from '@causeway/envoy';
import { describe, expect, it } from 'vitest';
import { buildMeshContexts, type MeshContext } from '../context.js';
import { zoneViewOf } from '../zone/view.js';
import { DNS_CHAIN_PORT, DNS_MAX_PARTITIONS, DNS_NAMES_PER_PARTITION, dnsNames, generateSidecar } from './sidecar.js';

type Doc = Record<string, unknown>;
const dataplane: Doc = { type: 'Dataplane', mesh: 'default', name: 'web-1', networking: { address: '127.0.1.1', inbound: [{ port: 8080, tags: { 'kuma.io/service': 'web', 'kuma.io/protocol': 'http' } }] } };
const es = (i: number): Doc => ({ type: 'ExternalService', mesh: 'default', name: `es-${i}`, tags: { 'kuma.io/service': `es-${i}`, 'kuma.io/protocol': 'http' }, networking: { address: `api-${i}.example.com:443` } });

function context(externals: number, passthrough: boolean, previous?: MeshContext): MeshContext {
  const docs = [{ type: 'Mesh', name: 'default', networking: { outbound: { passthrough } } }, dataplane, ...Array.from({ length: externals }, (_, i) => es(i))];
  const view = zoneViewOf(
    docs.map((d) => decodeResource(d)),
    { zone: 'zone-1' },
  );
  return buildMeshContexts(view, previous ? new Map([['default', previous]]) : undefined).get('default') as MeshContext;
}

const dnsOf = (ctx: MeshContext) => generateSidecar({ ctx, dataplane: decodeResource(dataplane) as never }).Listener.filter((l) => String(l.name).startsWith('dns:')) as unknown as (EnvoyJson & Listener)[];
const filterOf = (l: Listener) => l.listener_filters?.[0]?.typed_config as unknown as { server_config: { inline_dns_table: { virtual_domains: { name: string; endpoint: { address_list: { address: string[] } } }[] } }; client_config?: { typed_dns_resolver_config?: { typed_config: { resolvers: { socket_address: { port_value: number } }[] } } } };

describe('builtin DNS partitions', () => {
  it('a small mesh has one DNS listener on 15053, as before', () => {
    const listeners = dnsOf(context(5, true));
    expect(listeners.map((l) => l.name)).toEqual(['dns:127.0.0.1:15053']);
  });

  for (const passthrough of [true, false]) {
    it(`a large mesh: chained partitions whose union is the table (passthrough ${passthrough})`, () => {
      const ctx = context(200, passthrough);
      const listeners = dnsOf(ctx);
      const table = dnsNames(ctx, decodeResource(dataplane).spec as never);
      // More than 16 partitions' worth of names: the partition count is capped (a power of two).
      expect(table.size).toBeGreaterThan(16 * DNS_NAMES_PER_PARTITION);
      expect(listeners.length).toBe(DNS_MAX_PARTITIONS);
      // In chain order: 15053, then DNS_CHAIN_PORT, DNS_CHAIN_PORT + 1, ...
      const ports = listeners.map((l) => l.address?.socket_address?.port_value as number).sort((a, b) => a - b);
      const chain = [15053, ...ports.filter((p) => p !== 15053)];
      expect(chain).toEqual([15053, ...Array.from({ length: DNS_MAX_PARTITIONS - 1 }, (_, i) => DNS_CHAIN_PORT + i)]);
      const byPort = new Map(listeners.map((l) => [l.address?.socket_address?.port_value, l]));
      const union = new Map<string, string>();
      chain.forEach((port, i) => {
        const l = byPort.get(port) as EnvoyJson & Listener;
        expect(envoyValidationErrors(l)).toEqual([]);
        expect(decodeAny(encodeAny(l))).toEqual(l);
        const f = filterOf(l);
        for (const vd of f.server_config.inline_dns_table.virtual_domains) {
          expect(union.has(vd.name), vd.name).toBe(false);
          union.set(vd.name, vd.endpoint.address_list.address[0] as string);
        }
        if (i + 1 < chain.length) expect(f.client_config?.typed_dns_resolver_config?.typed_config.resolvers.map((r) => r.socket_address.port_value)).toEqual([chain[i + 1]]);
        else expect(f.client_config).toEqual(passthrough ? { resolver_timeout: '5s', max_pending_lookups: '256' } : undefined);
      });
      expect(new Map([...union.entries()].sort(([a], [b]) => (a < b ? -1 : 1)))).toEqual(table);
      // A service's names are in one partition.
      const partition = (name: string) => listeners.findIndex((l) => filterOf(l).server_config.inline_dns_table.virtual_domains.some((vd) => vd.name === name));
      expect(partition('es-7.mesh')).toBe(partition('api-7.example.com'));
    });
  }

  it('an ExternalService added changes one partition; the others stay the same objects', () => {
    const before = context(200, true);
    const after = context(201, true, before);
    const a = dnsOf(before);
    const b = dnsOf(after);
    expect(b.length).toBe(a.length);
    const changed = b.filter((l, i) => l !== a[i]);
    expect(changed.length).toBe(1);
    expect(filterOf(changed[0] as Listener).server_config.inline_dns_table.virtual_domains.map((vd) => vd.name)).toContain('api-200.example.com');
  });
});
