import { TYPE_URLS } from '@causeway/envoy';
import { describe, expect, it } from 'vitest';
import { emptySet, hcmConfig, type ResourceSet, routeConfiguration, tcpProxy } from './common.js';
import { inlineRoutes } from './inline-routes.js';

const listener = (name: string, chains: unknown[][]) => ({ '@type': TYPE_URLS.Listener, name, filter_chains: chains.map((filters) => ({ filters })) });
const hcm = (route: string) => ({ name: 'envoy.filters.network.http_connection_manager', typed_config: hcmConfig(route, route) });
const route = (name: string, timeout = '15s') => routeConfiguration(name, 'backend', { timeout });
const set = (listeners: unknown[], routes: unknown[]): ResourceSet => ({ ...emptySet(), Listener: listeners, RouteConfiguration: routes }) as ResourceSet;
type Hcm = { rds?: unknown; route_config?: { name: string; '@type'?: string; virtual_hosts: { routes: { route: { timeout: string } }[] }[] } };
const hcmOf = (s: ResourceSet, listener: number, chain = 0) => (s.Listener[listener]?.filter_chains as { filters: { typed_config: Hcm }[] }[] | undefined)?.[chain]?.filters[0]?.typed_config as Hcm;

describe('inlineRoutes', () => {
  it("moves each route a listener names into that listener's connection manager, in place of rds", () => {
    const tcp = listener('tcp', [[tcpProxy('b')]]);
    const out = inlineRoutes(set([listener('a', [[hcm('outbound:a')]]), tcp], [route('outbound:a'), route('unused')]));
    const a = hcmOf(out, 0);
    expect(a.rds).toBeUndefined();
    expect(a.route_config?.name).toBe('outbound:a');
    expect(a.route_config?.['@type']).toBeUndefined();
    expect(Object.keys(a).indexOf('route_config')).toBe(Object.keys(hcmConfig('x', 'x')).indexOf('rds'));
    // A route no listener names stays a resource; the TCP listener is untouched.
    expect(out.RouteConfiguration.map((r) => r.name)).toEqual(['unused']);
    expect(out.Listener[1]).toBe(tcp);
  });

  it('keeps the inlined listener while the listener and its route are the same objects, and makes a new one when the route changes', () => {
    const l = listener('a', [[hcm('outbound:a')], [hcm('outbound:a')]]);
    const r = route('outbound:a');
    const first = inlineRoutes(set([l], [r]));
    expect(inlineRoutes(set([l], [r])).Listener[0]).toBe(first.Listener[0]);
    // Both chains (a listener's TLS and plaintext chains name the same route) carry it.
    expect(hcmOf(first, 0, 1).route_config).toBe(hcmOf(first, 0, 0).route_config);
    const changed = inlineRoutes(set([l], [route('outbound:a', '3s')]));
    expect(changed.Listener[0]).not.toBe(first.Listener[0]);
    expect(hcmOf(changed, 0).route_config?.virtual_hosts[0]?.routes[0]?.route.timeout).toBe('3s');
    // Back to the first route object: the first listener again.
    expect(inlineRoutes(set([l], [r])).Listener[0]).toBe(first.Listener[0]);
  });

  it('returns the set itself when it has no routes or no listener names one', () => {
    const none = set([listener('a', [[tcpProxy('a')]])], []);
    expect(inlineRoutes(none)).toBe(none);
    const unnamed = set([listener('a', [[tcpProxy('a')]])], [route('outbound:a')]);
    expect(inlineRoutes(unnamed)).toBe(unnamed);
  });
});
