/**
 * A zone rebuilds its mesh contexts from the previous ones (resources whose inputs did not change are
 * reused). Whatever was reused, the result must equal a generation from scratch.
 */
import { decodeResource, type Resource } from '@causeway/core';
import { describe, expect, it } from 'vitest';
import { buildMeshContexts, type MeshContext, type ZoneView } from '../context.js';
import { generateSidecar } from './sidecar.js';

function view(docs: Record<string, unknown>[]): ZoneView {
  const all = docs.map((d) => decodeResource(d));
  const of = <S,>(type: string) => all.filter((r) => r.type === type) as Resource<S>[];
  return {
    zone: 'zone-1',
    meshes: of('Mesh'),
    dataplanes: of('Dataplane'),
    externalServices: of('ExternalService'),
    secrets: of('Secret'),
    zoneIngresses: [],
    zoneEgresses: [],
    meshCaPem: {},
  };
}

const base = [
  { type: 'Mesh', name: 'default', routing: { localityAwareLoadBalancing: true } },
  { type: 'Dataplane', mesh: 'default', name: 'web-1', networking: { address: '127.0.1.1', inbound: [{ port: 18080, servicePort: 8080, tags: { 'kuma.io/service': 'web' } }] } },
];
const es = (name: string, address: string, extra: Record<string, unknown> = {}) => ({
  type: 'ExternalService',
  mesh: 'default',
  name,
  tags: { 'kuma.io/service': 'httpbin', 'kuma.io/protocol': 'http', ...((extra.tags as object) ?? {}) },
  networking: { address, ...((extra.networking as object) ?? {}) },
});

function sidecar(ctx: MeshContext | undefined, v: ZoneView) {
  if (!ctx) throw new Error('no context');
  return generateSidecar({ ctx, dataplane: v.dataplanes[0]! });
}

/** Generates `after` from the contexts of `before` (as the zone does) and from scratch; both must agree. */
function incrementalAndFresh(before: Record<string, unknown>[], after: Record<string, unknown>[]) {
  const v1 = view(before);
  const c1 = buildMeshContexts(v1);
  sidecar(c1.get('default'), v1); // fills the memo the next context may reuse
  const v2 = view(after);
  return { incremental: sidecar(buildMeshContexts(v2, c1).get('default'), v2), fresh: sidecar(buildMeshContexts(v2).get('default'), v2) };
}

describe('sidecar generation from the previous mesh context', () => {
  it('sees a second ExternalService of the same service and host (no new VIP name)', () => {
    const { incremental, fresh } = incrementalAndFresh(
      [...base, es('httpbin-for-zone-1', 'localhost:1001', { tags: { 'kuma.io/zone': 'zone-1' } })],
      [...base, es('httpbin-for-zone-1', 'localhost:1001', { tags: { 'kuma.io/zone': 'zone-1' } }), es('httpbin-for-zone-2', 'localhost:1002', { tags: { 'kuma.io/zone': 'zone-2' } })],
    );
    expect(incremental).toEqual(fresh);
    const cluster = fresh.Cluster.find((c) => c.name === 'httpbin');
    expect(JSON.stringify(cluster)).toContain('"port_value":1002');
    // The real host name's VIP on the new port: an address of httpbin's outbound listener (its first or an additional one).
    const addresses = (l: (typeof fresh.Listener)[number]) => [l.address, ...((l.additional_addresses as { address: unknown }[] | undefined) ?? []).map((a) => a.address)] as { socket_address: { address: string; port_value: number } }[];
    const httpbin = fresh.Listener.filter((l) => JSON.stringify(l).includes('"stat_prefix":"outbound_httpbin"'));
    expect(httpbin).toHaveLength(1);
    expect(addresses(httpbin[0] as (typeof fresh.Listener)[number]).some((a) => /^127\.241\.\d+\.\d+$/.test(a.socket_address.address) && a.socket_address.port_value === 1002)).toBe(true);
  });

  it('sees a changed ExternalService whose host and port stay (TLS turned on)', () => {
    const { incremental, fresh } = incrementalAndFresh(
      [...base, es('httpbin', 'localhost:1001')],
      [...base, es('httpbin', 'localhost:1001', { networking: { tls: { enabled: true, sni: 'api.example.com' } } })],
    );
    expect(incremental).toEqual(fresh);
    expect(fresh.Cluster.find((c) => c.name === 'httpbin')?.transport_socket).toBeDefined();
  });
});
