/**
 * Client-side routes under `/gui`. The server answers every `/gui/*` path with index.html, so a reload or a
 * shared link opens the same view.
 */
export const BASE = '/gui';

export type Route =
  | { view: 'overview' }
  | { view: 'meshes' }
  | { view: 'mesh'; mesh: string }
  | { view: 'external-services'; mesh?: string }
  | { view: 'external-service'; mesh: string; name: string }
  | { view: 'dataplanes'; mesh?: string }
  | { view: 'dataplane'; mesh: string; name: string }
  | { view: 'zone-ingresses' }
  | { view: 'zone-ingress'; name: string }
  | { view: 'zone-egresses' }
  | { view: 'zone-egress'; name: string }
  | { view: 'policies'; mesh?: string }
  | { view: 'policy'; mesh: string; type: string; name: string }
  | { view: 'not-found'; path: string };

const d = decodeURIComponent;
const e = encodeURIComponent;

/** The route of a location path (`/gui/meshes/default/external-services/httpbin`). */
export function matchRoute(pathname: string): Route {
  let p = pathname;
  if (p.startsWith(BASE)) p = p.slice(BASE.length);
  const parts = p.split('/').filter(Boolean);
  const [a, b, c, dd, ee] = parts;
  try {
    if (parts.length === 0) return { view: 'overview' };
    if (a === 'meshes' && parts.length === 1) return { view: 'meshes' };
    if (a === 'meshes' && b && parts.length === 2) return { view: 'mesh', mesh: d(b) };
    if (a === 'meshes' && b && c === 'external-services' && parts.length === 3) return { view: 'external-services', mesh: d(b) };
    if (a === 'meshes' && b && c === 'external-services' && dd && parts.length === 4) return { view: 'external-service', mesh: d(b), name: d(dd) };
    if (a === 'meshes' && b && c === 'dataplanes' && parts.length === 3) return { view: 'dataplanes', mesh: d(b) };
    if (a === 'meshes' && b && c === 'dataplanes' && dd && parts.length === 4) return { view: 'dataplane', mesh: d(b), name: d(dd) };
    if (a === 'meshes' && b && c === 'policies' && parts.length === 3) return { view: 'policies', mesh: d(b) };
    if (a === 'meshes' && b && c === 'policies' && dd && ee && parts.length === 5) return { view: 'policy', mesh: d(b), type: d(dd), name: d(ee) };
    if (a === 'external-services' && parts.length === 1) return { view: 'external-services' };
    if (a === 'dataplanes' && parts.length === 1) return { view: 'dataplanes' };
    if (a === 'policies' && parts.length === 1) return { view: 'policies' };
    if (a === 'zone-ingresses' && parts.length === 1) return { view: 'zone-ingresses' };
    if (a === 'zone-ingresses' && b && parts.length === 2) return { view: 'zone-ingress', name: d(b) };
    if (a === 'zone-egresses' && parts.length === 1) return { view: 'zone-egresses' };
    if (a === 'zone-egresses' && b && parts.length === 2) return { view: 'zone-egress', name: d(b) };
  } catch {
    // a malformed escape: not a route
  }
  return { view: 'not-found', path: pathname };
}

/** The location path of a route. */
export function hrefOf(r: Route): string {
  switch (r.view) {
    case 'overview':
      return `${BASE}/`;
    case 'meshes':
      return `${BASE}/meshes`;
    case 'mesh':
      return `${BASE}/meshes/${e(r.mesh)}`;
    case 'external-services':
      return r.mesh ? `${BASE}/meshes/${e(r.mesh)}/external-services` : `${BASE}/external-services`;
    case 'external-service':
      return `${BASE}/meshes/${e(r.mesh)}/external-services/${e(r.name)}`;
    case 'dataplanes':
      return r.mesh ? `${BASE}/meshes/${e(r.mesh)}/dataplanes` : `${BASE}/dataplanes`;
    case 'dataplane':
      return `${BASE}/meshes/${e(r.mesh)}/dataplanes/${e(r.name)}`;
    case 'zone-ingresses':
      return `${BASE}/zone-ingresses`;
    case 'zone-ingress':
      return `${BASE}/zone-ingresses/${e(r.name)}`;
    case 'zone-egresses':
      return `${BASE}/zone-egresses`;
    case 'zone-egress':
      return `${BASE}/zone-egresses/${e(r.name)}`;
    case 'policies':
      return r.mesh ? `${BASE}/meshes/${e(r.mesh)}/policies` : `${BASE}/policies`;
    case 'policy':
      return `${BASE}/meshes/${e(r.mesh)}/policies/${e(r.type)}/${e(r.name)}`;
    case 'not-found':
      return r.path;
  }
}
