import { describe, expect, it } from 'vitest';
import { offeredIn, type PathTopology, resolvePaths } from './path.js';
import type { ExternalService, MeshSpec } from './types.js';

const MTLS: MeshSpec = { mtls: { enabledBackend: 'ca-1', backends: [{ name: 'ca-1', type: 'builtin' }] } };
const EGRESS: MeshSpec = { ...MTLS, routing: { zoneEgress: true } };

function es(name: string, tags: Record<string, string>, address = 'httpbin.org:80', tls?: ExternalService['networking']['tls']): ExternalService {
  return { type: 'ExternalService', mesh: 'default', name, tags: { 'kuma.io/service': 'httpbin', 'kuma.io/protocol': 'http', ...tags }, networking: { address, ...(tls ? { tls } : {}) } };
}

const ONLY_IN_ZONE_2 = es('httpbin-only-in-zone-2', { 'kuma.io/zone': 'zone-2' });

const TWO_ZONES: PathTopology = {
  zones: [
    { name: 'zone-1', online: true },
    { name: 'zone-2', online: true },
  ],
  ingresses: [
    { name: 'ingress-1', zone: 'zone-1' },
    { name: 'ingress-2', zone: 'zone-2' },
  ],
  egresses: [
    { name: 'egress-1', zone: 'zone-1' },
    { name: 'egress-2', zone: 'zone-2' },
  ],
};

const kinds = (hops: { kind: string; zone?: string }[]) => hops.map((h) => `${h.kind}${h.zone ? `(${h.zone})` : ''}`);

describe('resolvePaths', () => {
  it('draws the zone-2-only ExternalService from zone-1 hop by hop: sidecar -> egress -> zone-2 ingress -> zone-2 egress -> address', () => {
    const r = resolvePaths({ mesh: 'default', meshSpec: EGRESS, externalServices: [ONLY_IN_ZONE_2], topology: TWO_ZONES });
    expect(r.mode).toBe('zone-egress');
    expect(r.sni).toBe('httpbin{mesh=default}');
    expect(r.offeredIn).toEqual(['zone-2']);
    const z1 = r.paths.find((p) => p.from === 'zone-1');
    expect(z1?.verdict).toBe('ok');
    expect(z1?.routes).toHaveLength(1);
    const route = z1?.routes[0];
    expect(route?.via).toBe('zone-2');
    expect(kinds(route?.hops ?? [])).toEqual(['sidecar(zone-1)', 'zone-egress(zone-1)', 'zone-ingress(zone-2)', 'zone-egress(zone-2)', 'external']);
    expect(route?.hops.map((h) => h.members)).toEqual([[], ['egress-1'], ['ingress-2'], ['egress-2'], ['httpbin.org:80 (httpbin-only-in-zone-2, zone zone-2)']]);
    expect(route?.links.map((l) => l.label)).toEqual(['mTLS, SNI httpbin{mesh=default}', 'pass-through (still mTLS)', 'pass-through (still mTLS)', 'plain http']);
    expect(route?.hops[1]?.role).toContain('passes the stream through');
    expect(route?.hops[3]?.role).toContain('terminates mTLS');
    // From the owner zone itself: its own egress originates.
    const z2 = r.paths.find((p) => p.from === 'zone-2');
    expect(kinds(z2?.routes[0]?.hops ?? [])).toEqual(['sidecar(zone-2)', 'zone-egress(zone-2)', 'external']);
    expect(z2?.routes[0]?.hops[1]?.role).toContain('originates');
  });

  it('says the call fails when a hop has no proxy, and why', () => {
    const noIngress = { ...TWO_ZONES, ingresses: [{ name: 'ingress-1', zone: 'zone-1' }] };
    const z1 = resolvePaths({ mesh: 'default', meshSpec: EGRESS, externalServices: [ONLY_IN_ZONE_2], topology: noIngress }).paths[0];
    expect(z1?.verdict).toBe('broken');
    expect(z1?.routes[0]?.hops[2]?.status).toBe('missing');
    expect(z1?.problems).toEqual(['no ZoneIngress runs in zone-2: calls fail (they never bypass it)']);

    const noLocalEgress = { ...TWO_ZONES, egresses: [{ name: 'egress-2', zone: 'zone-2' }] };
    const p = resolvePaths({ mesh: 'default', meshSpec: EGRESS, externalServices: [es('any', {})], topology: noLocalEgress }).paths;
    expect(p.map((x) => [x.from, x.verdict])).toEqual([
      ['zone-1', 'broken'],
      ['zone-2', 'ok'],
    ]);
  });

  it('marks an offline owner zone as degraded (its proxies keep their last config), not broken', () => {
    const topology = { ...TWO_ZONES, zones: [{ name: 'zone-1', online: true }, { name: 'zone-2', online: false }] };
    const r = resolvePaths({ mesh: 'default', meshSpec: EGRESS, externalServices: [ONLY_IN_ZONE_2], topology });
    const z1 = r.paths[0];
    expect(z1?.verdict).toBe('degraded');
    expect(z1?.routes[0]?.hops.map((h) => h.status)).toEqual(['ok', 'ok', 'offline', 'offline', 'ok']);
    expect(z1?.problems).toEqual(["zone-2's control plane is offline: its proxies keep their last configuration"]);
    expect(r.paths[1]?.fromOnline).toBe(false);
  });

  it('on a zone control plane, another zone egress it cannot see is unknown, not missing', () => {
    const topology: PathTopology = {
      zones: [{ name: 'zone-1', online: true }],
      ingresses: TWO_ZONES.ingresses,
      egresses: [{ name: 'egress-1', zone: 'zone-1' }],
      viewFrom: 'zone-1',
    };
    const z1 = resolvePaths({ mesh: 'default', meshSpec: EGRESS, externalServices: [ONLY_IN_ZONE_2], topology }).paths;
    expect(z1).toHaveLength(1);
    expect(z1[0]?.routes[0]?.hops.map((h) => h.status)).toEqual(['ok', 'ok', 'ok', 'unknown', 'ok']);
    expect(z1[0]?.verdict).toBe('degraded');
    expect(z1[0]?.problems).toEqual([]);
    expect(z1[0]?.notes).toEqual(["ZoneEgress (zone-2) is not visible from this zone's control plane: the global GUI shows it"]);
  });

  it('without a zone egress (or without mTLS) the sidecar originates itself, TLS included', () => {
    const tls = es('secure', {}, 'api.example.com:443', { enabled: true, sni: 'api.example.com' });
    for (const meshSpec of [MTLS, { routing: { zoneEgress: true } }]) {
      const r = resolvePaths({ mesh: 'default', meshSpec, externalServices: [tls], topology: TWO_ZONES });
      expect(r.mode).toBe('direct');
      expect(r.paths.map((p) => kinds(p.routes[0]?.hops ?? []))).toEqual([
        ['sidecar(zone-1)', 'external'],
        ['sidecar(zone-2)', 'external'],
      ]);
      expect(r.paths[0]?.routes[0]?.links[0]).toEqual({ label: 'TLS origination (SNI api.example.com), http', encrypted: true });
    }
    expect(resolvePaths({ mesh: 'default', meshSpec: { routing: { zoneEgress: true } }, externalServices: [tls], topology: TWO_ZONES }).notes[0]).toContain('mTLS is off');
  });

  it('groups ExternalServices by service: each zone egress prefers its own, locality notes without zone egress', () => {
    const group = [es('httpbin-z1', { 'kuma.io/zone': 'zone-1' }, '10.0.0.1:80'), es('httpbin-z2', { 'kuma.io/zone': 'zone-2' }, '10.0.0.2:80')];
    const r = resolvePaths({ mesh: 'default', meshSpec: EGRESS, externalServices: group, topology: TWO_ZONES });
    expect(r.offeredIn).toEqual(['zone-1', 'zone-2']);
    expect(r.notes[0]).toContain('2 ExternalServices share kuma.io/service "httpbin"');
    expect(r.paths.map((p) => p.routes[0]?.hops.at(-1)?.title)).toEqual(['10.0.0.1:80', '10.0.0.2:80']);
    const direct = resolvePaths({ mesh: 'default', meshSpec: { routing: { localityAwareLoadBalancing: true } }, externalServices: group, topology: TWO_ZONES });
    expect(direct.paths[0]?.notes[0]).toBe('locality-aware: httpbin-z1 of zone-1 first, the others only as failover');
    expect(direct.paths[0]?.routes[0]?.hops.at(-1)?.members).toHaveLength(2);
  });

  it('an ExternalService owned by two other zones gives one route through each; broken only when both are', () => {
    const three: PathTopology = {
      zones: ['zone-1', 'zone-2', 'zone-3'].map((name) => ({ name, online: true })),
      ingresses: [{ name: 'ingress-2', zone: 'zone-2' }],
      egresses: ['zone-1', 'zone-2', 'zone-3'].map((z) => ({ name: `egress-${z}`, zone: z })),
    };
    const group = [es('a', { 'kuma.io/zone': 'zone-2' }), es('b', { 'kuma.io/zone': 'zone-3' }, 'other.example.com:80')];
    const z1 = resolvePaths({ mesh: 'default', meshSpec: EGRESS, externalServices: group, topology: three }).paths[0];
    expect(z1?.routes.map((r) => r.via)).toEqual(['zone-2', 'zone-3']);
    expect(z1?.verdict).toBe('degraded');
    expect(z1?.problems).toEqual(['no ZoneIngress runs in zone-3: calls fail (they never bypass it)']);
  });

  it('offeredIn: every zone when one member has no kuma.io/zone', () => {
    expect(offeredIn([ONLY_IN_ZONE_2, es('x', {})])).toBe('every zone');
    expect(offeredIn([ONLY_IN_ZONE_2])).toEqual(['zone-2']);
  });
});
