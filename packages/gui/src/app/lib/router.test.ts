import { describe, expect, it } from 'vitest';
import { hrefOf, matchRoute, type Route } from './router.js';

describe('client-side routes', () => {
  it('round-trip every view through its path, names escaped', () => {
    const routes: Route[] = [
      { view: 'overview' },
      { view: 'meshes' },
      { view: 'mesh', mesh: 'default' },
      { view: 'external-services' },
      { view: 'external-services', mesh: 'default' },
      { view: 'external-service', mesh: 'default', name: 'httpbin-only-in-zone-2' },
      { view: 'dataplanes' },
      { view: 'dataplanes', mesh: 'm' },
      { view: 'dataplane', mesh: 'default', name: 'web 1/odd' },
      { view: 'zone-ingresses' },
      { view: 'zone-ingress', name: 'ingress-1' },
      { view: 'zone-egresses' },
      { view: 'zone-egress', name: 'egress.zone-2' },
      { view: 'policies' },
      { view: 'policies', mesh: 'default' },
      { view: 'policy', mesh: 'default', type: 'MeshTrafficPermission', name: 'allow-all' },
    ];
    for (const r of routes) {
      expect(hrefOf(r).startsWith('/gui/')).toBe(true);
      expect(matchRoute(hrefOf(r))).toEqual(r);
    }
    expect(hrefOf({ view: 'dataplane', mesh: 'default', name: 'web 1/odd' })).toBe('/gui/meshes/default/dataplanes/web%201%2Fodd');
  });

  it('/gui and /gui/ are the overview; anything else is not found', () => {
    expect(matchRoute('/gui')).toEqual({ view: 'overview' });
    expect(matchRoute('/gui/')).toEqual({ view: 'overview' });
    expect(matchRoute('/gui/meshes/default/nope')).toEqual({ view: 'not-found', path: '/gui/meshes/default/nope' });
    expect(matchRoute('/gui/meshes/%E0%A4%A')).toEqual({ view: 'not-found', path: '/gui/meshes/%E0%A4%A' });
  });
});
