import { decodeResource, type Resource, type TargetRef, type TimeoutConf } from '@causeway/core';
import { describe, expect, it, vi } from 'vitest';
import { buildMeshContexts } from '../context.js';
import { generateEgress, generateSidecar } from '../generate/index.js';
import type { ZoneView } from '../context.js';
import { zoneViewOf } from '../zone/view.js';
import { canonicalJson, collectEntries, compareRank, mergeConfs, type Rank, refMatches, type RuleEntry, sortEntries } from './match.js';
import { callerMatches, decide, meshTrafficPermissionPlugin, principalOf, rbacRules, retryPolicy, sidecarPolicyHash, unreachableDestinations } from './index.js';

const web = { 'kuma.io/service': 'web', 'kuma.io/protocol': 'http', version: 'v1', team: 'blue' };
const admin = { 'kuma.io/service': 'admin', version: 'v2' };

describe('targetRef matching', () => {
  it('matches each kind against the tag sets of a proxy (any inbound)', () => {
    const sets = [web, admin];
    expect(refMatches(undefined, sets)).toBe(true);
    expect(refMatches({ kind: 'Mesh' }, [])).toBe(true);
    expect(refMatches({ kind: 'MeshService', name: 'admin' }, sets)).toBe(true);
    expect(refMatches({ kind: 'MeshService', name: 'billing' }, sets)).toBe(false);
    expect(refMatches({ kind: 'MeshSubset', tags: { version: 'v2' } }, sets)).toBe(true);
    expect(refMatches({ kind: 'MeshSubset', tags: { version: 'v2', team: 'blue' } }, sets)).toBe(false); // no single inbound has both
    expect(refMatches({ kind: 'MeshSubset', tags: { team: '*' } }, sets)).toBe(true);
    expect(refMatches({ kind: 'MeshServiceSubset', name: 'web', tags: { version: 'v1' } }, sets)).toBe(true);
    expect(refMatches({ kind: 'MeshServiceSubset', name: 'web', tags: { version: 'v2' } }, sets)).toBe(false);
  });

  it('selects nothing with a kind or field Causeway does not apply yet (stored, not applied)', () => {
    const sets = [web, admin];
    expect(refMatches({ kind: 'Dataplane', labels: { app: 'web' }, sectionName: 'http' }, sets)).toBe(false);
    expect(refMatches({ kind: 'MeshHTTPRoute', name: 'route-1' }, sets)).toBe(false);
    expect(refMatches({ kind: 'MeshService', labels: { 'kuma.io/display-name': 'web' } }, sets)).toBe(false);
    expect(refMatches({ kind: 'MeshService', name: 'web', sectionName: 'http' }, sets)).toBe(false);
    expect(refMatches({ kind: 'Mesh', proxyTypes: ['Gateway'] }, sets)).toBe(false);
    expect(refMatches({ kind: 'Mesh', proxyTypes: ['Sidecar'] }, sets)).toBe(true);
  });
});

describe('ranking', () => {
  const r = (top: Rank['top'], entry: Rank['entry'], policy: string, index = 0): Rank => ({ top, entry, policy, index });

  it('orders by top-level kind, then entry kind, then name (smaller wins), then position', () => {
    const ranks = [
      r('MeshService', 'Mesh', 'b'),
      r('Mesh', 'MeshService', 'a'),
      r('Mesh', 'Mesh', 'z'),
      r('MeshServiceSubset', 'Mesh', 'a'),
      r('MeshService', 'Mesh', 'a'),
      r('MeshSubset', 'Mesh', 'a'),
      r('Mesh', 'Mesh', 'a', 1),
      r('Mesh', 'Mesh', 'a', 0),
    ];
    const sorted = [...ranks].sort(compareRank).map((x) => `${x.top}/${x.entry}/${x.policy}/${x.index}`);
    expect(sorted).toEqual([
      'Mesh/Mesh/z/0',
      'Mesh/Mesh/a/0',
      'Mesh/Mesh/a/1',
      'Mesh/MeshService/a/0',
      'MeshSubset/Mesh/a/0',
      'MeshService/Mesh/b/0',
      'MeshService/Mesh/a/0',
      'MeshServiceSubset/Mesh/a/0',
    ]);
  });

  it('merges in precedence order: objects field by field, lists replaced, the highest precedence wins', () => {
    expect(
      mergeConfs([
        { connectionTimeout: '5s', http: { requestTimeout: '15s', streamIdleTimeout: '1m' }, retryOn: ['5XX', 'Reset'] },
        { http: { requestTimeout: '3s' }, retryOn: ['ConnectFailure'] },
      ]),
    ).toEqual({ connectionTimeout: '5s', http: { requestTimeout: '3s', streamIdleTimeout: '1m' }, retryOn: ['ConnectFailure'] });
    expect(canonicalJson({ b: 1, a: { d: [2, { y: 1, x: 0 }], c: undefined } })).toBe('{"a":{"d":[2,{"x":0,"y":1}]},"b":1}');
  });

  it('collects the entries of policies that select the proxy, whose own targetRef matches, in precedence order', () => {
    const policy = (name: string, targetRef: TargetRef | undefined, to: { targetRef: TargetRef; default: TimeoutConf }[]): Resource<'MeshTimeout'> => ({
      type: 'MeshTimeout',
      mesh: 'default',
      name,
      labels: {},
      version: 1,
      spec: { ...(targetRef ? { targetRef } : {}), to },
    });
    const policies = [
      policy('a-web', { kind: 'MeshService', name: 'web' }, [{ targetRef: { kind: 'Mesh' }, default: { connectionTimeout: '1s' } }]),
      policy('b-mesh', undefined, [
        { targetRef: { kind: 'MeshService', name: 'httpbin' }, default: { connectionTimeout: '2s' } },
        { targetRef: { kind: 'MeshService', name: 'other' }, default: { connectionTimeout: '9s' } },
      ]),
      policy('c-admin', { kind: 'MeshService', name: 'admin' }, [{ targetRef: { kind: 'Mesh' }, default: { connectionTimeout: '7s' } }]),
    ];
    const entries = collectEntries(policies, 'to', [web], (ref) => refMatches(ref, [{ 'kuma.io/service': 'httpbin' }]));
    expect(entries.map((e) => `${e.policy}[${e.index}]`)).toEqual(['b-mesh[0]', 'a-web[0]']);
    expect(mergeConfs(entries.map((e) => e.conf))).toEqual({ connectionTimeout: '1s' });
  });
});

describe('MeshTrafficPermission', () => {
  const entry = (policy: string, ref: TargetRef, action: 'Allow' | 'Deny', top: TargetRef = { kind: 'Mesh' }, index = 0): RuleEntry<{ action: 'Allow' | 'Deny' }> => ({
    policy,
    targetRef: top,
    entryTargetRef: ref,
    index,
    conf: { action },
  });

  it('turns from[].targetRef into principals on SPIFFE IDs and kuma:// tag URIs', () => {
    expect(principalOf({ kind: 'Mesh' }, 'm')).toEqual({ authenticated: { principal_name: { prefix: 'spiffe://m/' } } });
    expect(principalOf({ kind: 'MeshService', name: 'web' }, 'm')).toEqual({ authenticated: { principal_name: { exact: 'spiffe://m/web' } } });
    expect(principalOf({ kind: 'MeshSubset', tags: { 'kuma.io/service': 'web', version: 'v1' } }, 'm')).toEqual({
      and_ids: { ids: [{ authenticated: { principal_name: { exact: 'spiffe://m/web' } } }, { authenticated: { principal_name: { exact: 'kuma://version/v1' } } }] },
    });
    expect(principalOf({ kind: 'MeshServiceSubset', name: 'web', tags: { team: '*' } }, 'm')).toEqual({
      and_ids: { ids: [{ authenticated: { principal_name: { exact: 'spiffe://m/web' } } }, { authenticated: { principal_name: { prefix: 'kuma://team/' } } }] },
    });
  });

  it('allows what the highest-precedence matching entry allows; nothing matching denies', () => {
    const entries = sortEntries([
      entry('base', { kind: 'Mesh' }, 'Allow'),
      entry('base', { kind: 'MeshSubset', tags: { team: 'blue' } }, 'Deny', { kind: 'Mesh' }, 1),
      entry('web-ok', { kind: 'MeshService', name: 'web' }, 'Allow', { kind: 'MeshService', name: 'httpbin' }),
    ]);
    const blueWeb = new Set(['spiffe://m/web', 'kuma://team/blue']);
    const blueAdmin = new Set(['spiffe://m/admin', 'kuma://team/blue']);
    const redAdmin = new Set(['spiffe://m/admin', 'kuma://team/red']);
    expect(decide(entries, 'm', blueWeb)).toMatchObject({ allowed: true, by: { policy: 'web-ok' } });
    expect(decide(entries, 'm', blueAdmin)).toMatchObject({ allowed: false, by: { policy: 'base', index: 1 } });
    expect(decide(entries, 'm', redAdmin)).toMatchObject({ allowed: true, by: { policy: 'base', index: 0 } });
    expect(decide([], 'm', redAdmin)).toEqual({ allowed: false, by: undefined });
    expect(callerMatches({ kind: 'MeshSubset', tags: { team: '*' } }, 'm', redAdmin)).toBe(true);
  });

  it('encodes the decision as ALLOW policies minus later denies; a later Mesh deny shadows; nothing allowed is rules: {}', () => {
    const entries = sortEntries([entry('base', { kind: 'Mesh' }, 'Allow'), entry('base', { kind: 'MeshService', name: 'admin' }, 'Deny', { kind: 'Mesh' }, 1)]);
    expect(rbacRules(entries, 'm')).toEqual({
      policies: {
        'base:from[0]': {
          permissions: [{ any: true }],
          principals: [
            {
              and_ids: {
                ids: [{ authenticated: { principal_name: { prefix: 'spiffe://m/' } } }, { not_id: { authenticated: { principal_name: { exact: 'spiffe://m/admin' } } } }],
              },
            },
          ],
        },
      },
    });
    expect(rbacRules(sortEntries([entry('a', { kind: 'MeshService', name: 'web' }, 'Allow'), entry('b', { kind: 'Mesh' }, 'Deny', { kind: 'MeshService', name: 'x' })]), 'm')).toEqual({});
    expect(rbacRules([], 'm')).toEqual({});
  });
});

describe('MeshRetry retry policy', () => {
  it('maps Kuma retry conditions to Envoy', () => {
    expect(
      retryPolicy({ retry_on: 'connect-failure', num_retries: 2 }, { retryOn: ['5XX', 'GatewayError', 'Reset', 'Retriable4xx', '409', 'HttpMethodPost', 'HttpMethodGet'], backOff: { maxInterval: '10ms' } }, 'http'),
    ).toEqual({
      retry_on: '5xx,gateway-error,reset,retriable-4xx,retriable-status-codes',
      num_retries: 2,
      retriable_status_codes: [409],
      retriable_request_headers: [
        { name: ':method', string_match: { exact: 'POST' } },
        { name: ':method', string_match: { exact: 'GET' } },
      ],
      // Only a maximum below the default base: raised to the base (Envoy requires max >= base).
      retry_back_off: { base_interval: '0.025s', max_interval: '0.025s' },
    });
    expect(retryPolicy(undefined, { retryOn: ['Canceled', 'DeadlineExceeded', 'Internal', 'ResourceExhausted', 'Unavailable'], numRetries: 0 }, 'grpc')).toEqual({
      retry_on: 'cancelled,deadline-exceeded,internal,resource-exhausted,unavailable',
      num_retries: 0,
    });
  });
});

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
    const route = (set: typeof api) => set.RouteConfiguration.find((r) => r.name === 'outbound:httpbin') as unknown as { virtual_hosts: { routes: { route: { timeout: string } }[] }[] };
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
