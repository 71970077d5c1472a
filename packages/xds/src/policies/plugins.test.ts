import { decodeResource, meshTrafficPermissionPlugin, POLICY_PLUGINS, type Resource, type TargetRef } from '@causeway/core';
import { describe, expect, it, vi } from 'vitest';
import { buildMeshContexts, type ZoneView } from '../context.js';
import { blocksOf } from '../generate/common.js';
import { generateEgress, generateSidecar } from '../generate/index.js';
import { zoneViewOf } from '../zone/view.js';
import { routeOf } from '../testing/index.js';
import { sidecarPolicyHash, unreachableDestinations } from './registry.js';

/** A zone's view of universal documents (global ones and the zone's own), with a placeholder mesh CA. */
function zoneView(input: { global: unknown[]; zones: Record<string, unknown[]> }, zone: string): ZoneView {
  const resources = [...input.global, ...(input.zones[zone] ?? [])].map((d) => decodeResource(d));
  return { ...zoneViewOf(resources, { zone }), meshCaPem: { default: 'ca' } };
}

describe('plugins and shared resources', () => {
  const doc = (d: unknown) => d as Record<string, unknown>;
  const input = (policies: unknown[]) => ({
    global: [
      { type: 'Mesh', name: 'default', mtls: { enabledBackend: 'ca-1', backends: [{ name: 'ca-1', type: 'builtin' }] }, routing: { zoneEgress: true } },
      { type: 'ExternalService', mesh: 'default', name: 'httpbin', tags: { 'kuma.io/service': 'httpbin', 'kuma.io/protocol': 'http' }, networking: { address: 'httpbin.org:80' } },
      ...policies.map(doc),
    ],
    zones: {
      'zone-1': [
        { type: 'Dataplane', mesh: 'default', name: 'web-1', networking: { address: '127.0.0.10', inbound: [{ port: 8080, tags: { 'kuma.io/service': 'web', 'kuma.io/protocol': 'http' } }] } },
        { type: 'Dataplane', mesh: 'default', name: 'api-1', networking: { address: '127.0.0.11', inbound: [{ port: 8080, tags: { 'kuma.io/service': 'api', 'kuma.io/protocol': 'http' } }] } },
        { type: 'ZoneEgress', name: 'egress-1', networking: { address: '127.0.0.20', port: 10002 } },
      ],
    },
  });
  const timeout = { type: 'MeshTimeout', mesh: 'default', name: 'web-3s', spec: { targetRef: { kind: 'MeshService', name: 'web' }, to: [{ targetRef: { kind: 'MeshService', name: 'httpbin' }, default: { http: { requestTimeout: '3s' } } }] } };
  const identity = { certPem: 'cert', keyPem: 'key' };

  it('derives new objects: the shared route stays as generated, proxies with the same policies share the derived one', () => {
    const view = zoneView(input([timeout]), 'zone-1');
    const ctx = buildMeshContexts(view).get('default');
    if (!ctx) throw new Error('no context');
    const dp = (name: string) => view.dataplanes.find((d) => d.name === name) as Resource<'Dataplane'>;
    const api = generateSidecar({ ctx, dataplane: dp('api-1'), identity });
    const snapshot = JSON.stringify(api);
    const webA = generateSidecar({ ctx, dataplane: dp('web-1'), identity });
    const webB = generateSidecar({ ctx, dataplane: { ...dp('web-1'), name: 'web-2' }, identity });
    const route = (set: typeof api) => routeOf(set, 'outbound:httpbin') as unknown as { virtual_hosts: { routes: { route: { timeout: string } }[] }[] };
    expect(route(api).virtual_hosts[0]?.routes[0]?.route.timeout).toBe('15s');
    expect(route(webA).virtual_hosts[0]?.routes[0]?.route.timeout).toBe('3s');
    expect(route(webB)).toBe(route(webA));
    expect(JSON.stringify(api)).toBe(snapshot);
    // api's config does not depend on web's policy; web's does.
    const without = buildMeshContexts(zoneView(input([]), 'zone-1')).get('default');
    if (!without) throw new Error('no context');
    expect(sidecarPolicyHash(without, dp('api-1'))).toBe(sidecarPolicyHash(ctx, dp('api-1')));
    expect(sidecarPolicyHash(without, dp('web-1'))).not.toBe(sidecarPolicyHash(ctx, dp('web-1')));
    expect(without.baseHash).toBe(ctx.baseHash);
    expect(without.hash).not.toBe(ctx.hash);
  });

  it("carries a proxy's policy hash to the next context while its policies are the same objects", () => {
    const view = zoneView(input([timeout]), 'zone-1');
    const first = buildMeshContexts(view);
    const ctx1 = first.get('default');
    if (!ctx1) throw new Error('no context');
    const dp = view.dataplanes.find((d) => d.name === 'web-1') as Resource<'Dataplane'>;
    const hash = sidecarPolicyHash(ctx1, dp);
    const digests = (ctx: typeof ctx1) => [...((ctx.memo.get(`policy-digest#${ctx.flagsHash}`) as Map<string, unknown> | undefined) ?? [])];
    expect(digests(ctx1)).toHaveLength(1);
    // An ExternalService added: the next context carries the digest (the same entry), and the hash is the same.
    const more = decodeResource({ type: 'ExternalService', mesh: 'default', name: 'other', tags: { 'kuma.io/service': 'other' }, networking: { address: 'other.org:80' } }) as Resource<'ExternalService'>;
    const ctx2 = buildMeshContexts({ ...view, externalServices: [...view.externalServices, more] }, first).get('default');
    if (!ctx2) throw new Error('no context');
    expect(ctx2.hash).not.toBe(ctx1.hash);
    expect(sidecarPolicyHash(ctx2, dp)).toBe(hash);
    expect(digests(ctx2)[0]?.[1]).toBe(digests(ctx1)[0]?.[1]);
    // The timeout changed (a new object): hashed again, and different.
    const changed = { ...(view.policies?.find((p) => p.name === 'web-3s') as Resource), spec: { ...timeout.spec, to: [] } };
    const ctx3 = buildMeshContexts({ ...view, policies: view.policies?.map((p) => (p.name === 'web-3s' ? changed : p)) }, first).get('default');
    if (!ctx3) throw new Error('no context');
    expect(sidecarPolicyHash(ctx3, dp)).not.toBe(hash);
    expect(digests(ctx3)[0]?.[1]).not.toBe(digests(ctx1)[0]?.[1]);
  });

  it('shares the outbound part across proxies whose policies differ only in what touches inbounds', () => {
    // Per-service permissions and an inbound-only timeout: every service has its own sidecar hash, but the
    // same outbound policies, so every proxy gets the very same outbound objects (made and encoded once).
    const callers = (service: string, caller: string) => ({
      type: 'MeshTrafficPermission',
      mesh: 'default',
      name: `${service}-callers`,
      spec: { targetRef: { kind: 'MeshService', name: service }, from: [{ targetRef: { kind: 'MeshService', name: caller }, default: { action: 'Allow' } }] },
    });
    const inboundTimeout = { type: 'MeshTimeout', mesh: 'default', name: 'api-in', spec: { targetRef: { kind: 'MeshService', name: 'api' }, from: [{ targetRef: { kind: 'Mesh' }, default: { http: { requestTimeout: '9s' } } }] } };
    const meshTimeout = { type: 'MeshTimeout', mesh: 'default', name: 'mesh', spec: { targetRef: { kind: 'Mesh' }, to: [{ targetRef: { kind: 'Mesh' }, default: { connectionTimeout: '4s' } }] } };
    const view = zoneView(input([callers('web', 'api'), callers('api', 'web'), inboundTimeout, meshTimeout]), 'zone-1');
    const ctx = buildMeshContexts(view).get('default');
    if (!ctx) throw new Error('no context');
    const dp = (name: string) => view.dataplanes.find((d) => d.name === name) as Resource<'Dataplane'>;
    expect(sidecarPolicyHash(ctx, dp('web-1'))).not.toBe(sidecarPolicyHash(ctx, dp('api-1')));
    expect(sidecarPolicyHash(ctx, dp('web-1'), 'outbounds')).toBe(sidecarPolicyHash(ctx, dp('api-1'), 'outbounds'));
    const web = generateSidecar({ ctx, dataplane: dp('web-1'), identity });
    const api = generateSidecar({ ctx, dataplane: dp('api-1'), identity });
    const shared = blocksOf(web)?.shared;
    expect(shared?.Cluster.find((c) => c.name === 'httpbin')?.connect_timeout).toBe('4s');
    expect(blocksOf(api)?.shared).toBe(shared);
    // Each proxy's inbound still carries its own permission and timeout.
    const inbound = (set: typeof web) => JSON.stringify(set.Listener.find((l) => l.traffic_direction === 'INBOUND'));
    expect(inbound(web)).toContain('web-callers');
    expect(inbound(api)).toContain('api-callers');
    expect(inbound(api)).toContain('"9s"'); // its route, inline
    // A timeout with `to[]` entries for one service does split it: web's outbound route differs.
    const split = buildMeshContexts(zoneView(input([callers('web', 'api'), callers('api', 'web'), timeout]), 'zone-1')).get('default');
    if (!split) throw new Error('no context');
    expect(sidecarPolicyHash(split, dp('web-1'), 'outbounds')).not.toBe(sidecarPolicyHash(split, dp('api-1'), 'outbounds'));
  });

  it('keeps relevantToOutbounds honest: a policy a plugin leaves out of it changes no shared outbound resource', () => {
    // Each policy alone, for proxies of web (selected) and api (not): with it and without it in fresh
    // contexts (nothing memoized across), the outbound part both share must be the same unless the plugin
    // names the policy as one that can change outbounds.
    const cases: Record<string, unknown[]> = {
      MeshTrafficPermission: [
        { type: 'MeshTrafficPermission', mesh: 'default', name: 'web-in', spec: { targetRef: { kind: 'MeshService', name: 'web' }, from: [{ targetRef: { kind: 'Mesh' }, default: { action: 'Allow' } }] } },
        { type: 'MeshTrafficPermission', mesh: 'default', name: 'deny-api', spec: { targetRef: { kind: 'Mesh' }, from: [{ targetRef: { kind: 'MeshService', name: 'api' }, default: { action: 'Deny' } }] } },
        { type: 'MeshTrafficPermission', mesh: 'default', name: 'httpbin-callers', spec: { targetRef: { kind: 'MeshService', name: 'httpbin' }, from: [{ targetRef: { kind: 'MeshService', name: 'web' }, default: { action: 'Allow' } }] } },
      ],
      MeshTimeout: [
        { type: 'MeshTimeout', mesh: 'default', name: 'web-in', spec: { targetRef: { kind: 'MeshService', name: 'web' }, from: [{ targetRef: { kind: 'Mesh' }, default: { idleTimeout: '1h', http: { requestTimeout: '9s' } } }] } },
        timeout,
        { type: 'MeshTimeout', mesh: 'default', name: 'mesh-out', spec: { targetRef: { kind: 'Mesh' }, to: [{ targetRef: { kind: 'Mesh' }, default: { connectionTimeout: '4s' } }] } },
      ],
      MeshRetry: [
        { type: 'MeshRetry', mesh: 'default', name: 'web-out', spec: { targetRef: { kind: 'MeshService', name: 'web' }, to: [{ targetRef: { kind: 'MeshService', name: 'httpbin' }, default: { http: { numRetries: 3 } } }] } },
      ],
    };
    const sharedOf = (policies: unknown[], name: string) => {
      const view = zoneView(input(policies), 'zone-1');
      const ctx = buildMeshContexts(view).get('default');
      if (!ctx) throw new Error('no context');
      const dataplane = view.dataplanes.find((d) => d.name === name) as Resource<'Dataplane'>;
      return { ctx, dataplane, shared: JSON.stringify(blocksOf(generateSidecar({ ctx, dataplane, identity }))?.shared) };
    };
    let excluded = 0;
    for (const plugin of POLICY_PLUGINS) {
      const docs = cases[plugin.api.type];
      expect(docs, `cases for ${plugin.api.type} (add some when adding a policy type)`).toBeDefined();
      for (const d of docs ?? [])
        for (const proxy of ['web-1', 'api-1']) {
          const withIt = sharedOf([d], proxy);
          const names = (plugin.relevantToOutbounds ?? plugin.relevantToSidecar)(withIt.ctx, withIt.dataplane).map((p) => p.name);
          if (names.includes((d as { name: string }).name)) continue;
          excluded++;
          expect(withIt.shared, `${plugin.api.type} ${(d as { name: string }).name} for ${proxy}`).toBe(sharedOf([], proxy).shared);
        }
    }
    expect(excluded).toBeGreaterThan(5);
  });

  it('guards the egress chain of an ExternalService: nothing allowed without a permission, the callers of a permission with one', () => {
    const egressOf = (policies: unknown[]) => {
      const view = zoneView(input(policies), 'zone-1');
      const contexts = buildMeshContexts(view);
      const set = generateEgress({ contexts, egress: view.zoneEgresses[0] as never, identities: new Map([['default', identity]]) });
      const chains = (set.Listener[0]?.filter_chains ?? []) as { name: string; filters: { typed_config: { http_filters?: { name: string; typed_config: { rules: unknown } }[] } }[] }[];
      const chain = chains.find((c) => c.name === 'httpbin{mesh=default}');
      return chain?.filters[0]?.typed_config.http_filters?.[0];
    };
    expect(egressOf([])).toMatchObject({ name: 'envoy.filters.http.rbac', typed_config: { rules: {} } });
    const allowWeb = {
      type: 'MeshTrafficPermission',
      mesh: 'default',
      name: 'web-to-httpbin',
      spec: { targetRef: { kind: 'MeshService', name: 'httpbin' }, from: [{ targetRef: { kind: 'MeshService', name: 'web' }, default: { action: 'Allow' } }] },
    };
    expect(egressOf([allowWeb])?.typed_config.rules).toEqual({
      policies: { 'web-to-httpbin:from[0]': { permissions: [{ any: true }], principals: [{ authenticated: { principal_name: { exact: 'spiffe://default/web' } } }] } },
    });
  });
});

describe('the veto (before generation)', () => {
  const permission = (name: string, service: string, from: TargetRef) => ({
    type: 'MeshTrafficPermission',
    mesh: 'default',
    name,
    spec: { targetRef: { kind: 'MeshService', name: service }, from: [{ targetRef: from, default: { action: 'Allow' } }] },
  });
  const es = (name: string, address: string) => ({ type: 'ExternalService', mesh: 'default', name, tags: { 'kuma.io/service': name, 'kuma.io/protocol': 'http' }, networking: { address } });
  const dataplane = (name: string, service: string, address: string) => ({
    type: 'Dataplane',
    mesh: 'default',
    name,
    networking: { address, inbound: [{ port: 8080, tags: { 'kuma.io/service': service } }], outbound: [{ port: 10001, tags: { 'kuma.io/service': 'payments' } }] },
  });
  const view = (zoneEgress: boolean) =>
    zoneView(
      {
        global: [
          { type: 'Mesh', name: 'default', mtls: { enabledBackend: 'ca-1', backends: [{ name: 'ca-1', type: 'builtin' }] }, routing: { zoneEgress } },
          es('httpbin', 'httpbin.org:80'),
          es('payments', 'payments.example.com:80'),
          permission('allow-httpbin', 'httpbin', { kind: 'Mesh' }),
          permission('payments-billing-only', 'payments', { kind: 'MeshService', name: 'billing' }),
        ],
        zones: { 'zone-1': [dataplane('web-1', 'web', '127.0.0.10'), dataplane('billing-1', 'billing', '127.0.0.11')] },
      },
      'zone-1',
    );

  it('leaves a denied ExternalService out before anything is generated: no plugin ever sees it, nothing names it', () => {
    const v = view(false);
    const ctx = buildMeshContexts(v).get('default');
    if (!ctx) throw new Error('no context');
    const dp = (name: string) => v.dataplanes.find((d) => d.name === name) as Resource<never>;
    expect([...unreachableDestinations({ ctx, dataplane: dp('web-1') }, ['httpbin', 'payments'])]).toEqual(['payments']);
    expect([...unreachableDestinations({ ctx, dataplane: dp('billing-1') }, ['httpbin', 'payments'])]).toEqual([]);
    const seen = vi.spyOn(meshTrafficPermissionPlugin, 'sidecar');
    // The outbounds the plugin was shown since the last call (over the shared outbound part and the proxy's own part).
    const shown = () => {
      const services = seen.mock.calls.flatMap((c) => c[1].outbounds.map((t) => t.service));
      seen.mockClear();
      return [...new Set(services)].sort();
    };
    try {
      const web = generateSidecar({ ctx, dataplane: dp('web-1'), identity: { certPem: 'cert', keyPem: 'key' } });
      expect(shown()).toEqual(['billing', 'httpbin', 'web']);
      expect(JSON.stringify(web)).not.toContain('payments');
      const billing = generateSidecar({ ctx, dataplane: dp('billing-1'), identity: { certPem: 'cert', keyPem: 'key' } });
      expect(shown()).toEqual(['billing', 'httpbin', 'payments', 'web']);
      // the declared outbound (127.0.0.1:10001), the VIP listener, cluster, route and DNS name
      expect(billing.Listener.filter((l) => JSON.stringify(l).includes('payments')).length).toBeGreaterThanOrEqual(3);
      expect(billing.Cluster.map((c) => c.name)).toContain('payments');
    } finally {
      seen.mockRestore();
    }
  });

  it('vetoes nothing when the ZoneEgress enforces the permission', () => {
    const v = view(true);
    const ctx = buildMeshContexts(v).get('default');
    if (!ctx) throw new Error('no context');
    const web = v.dataplanes.find((d) => d.name === 'web-1') as Resource<never>;
    expect(unreachableDestinations({ ctx, dataplane: web }, ['httpbin', 'payments']).size).toBe(0);
  });
});

// decodeResource is the path policies take in the golden files; make sure the spec comes through.
it('decodes a universal policy document with its spec', () => {
  const r = decodeResource({ type: 'MeshRetry', mesh: 'default', name: 'r', spec: { targetRef: { kind: 'Mesh' }, to: [{ targetRef: { kind: 'Mesh' }, default: { tcp: { maxConnectAttempt: 2 } } }] } });
  expect(r.spec).toMatchObject({ to: [{ default: { tcp: { maxConnectAttempt: 2 } } }] });
});
