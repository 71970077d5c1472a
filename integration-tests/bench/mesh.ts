/**
 * The mesh of the pipeline benchmark, as resources to apply at global, and the proxies' own resources.
 *
 * - Mesh `default`: builtin mTLS, `routing.zoneEgress` (every ExternalService call goes through the
 *   zone's ZoneEgress; one owned by zone-2 goes egress-1 -> ingress-2 -> egress-2), passthrough off.
 * - MeshTrafficPermission `allow-all`, plus per service `svc-<i>-callers` (svc-<i+1> and svc-<i+2> may
 *   call it) and, for every other ExternalService, `ext-<j>-only` (only svc-<j mod S> may call it, the
 *   others are denied at the ZoneEgress).
 * - MeshTimeout and MeshRetry for the whole mesh, and per-service ones for every tenth service.
 * - S services `svc-<i>` (the sidecars' inbounds), E ExternalServices `es-<j>` (service `ext-<j>`, HTTP
 *   over TLS to `ext-<j>.example.com:443`; every third one `kuma.io/zone: zone-2`, i.e. only reachable
 *   in zone-2).
 */
import { type AnyResource, decodeResource } from '@causeway/core';

export const MESH = 'default';

export interface MeshSize {
  services: number;
  externalServices: number;
}

export const serviceName = (i: number) => `svc-${i}`;

export function externalService(name: string, service: string, zone?: string): AnyResource {
  return decodeResource({
    type: 'ExternalService',
    mesh: MESH,
    name,
    tags: { 'kuma.io/service': service, 'kuma.io/protocol': 'http', ...(zone ? { 'kuma.io/zone': zone } : {}) },
    networking: { address: `${service}.example.com:443`, tls: { enabled: true } },
  });
}

/**
 * A MeshTrafficPermission for the whole mesh that denies one caller (`caller`, a service no proxy runs):
 * every sidecar's inbound RBAC gets that caller's SPIFFE ID as a denied principal.
 */
export function denyCaller(name: string, caller: string): AnyResource {
  return decodeResource({
    type: 'MeshTrafficPermission',
    mesh: MESH,
    name,
    spec: { targetRef: { kind: 'Mesh' }, from: [{ targetRef: { kind: 'MeshService', name: caller }, default: { action: 'Deny' } }] },
  });
}

/** How the denied caller appears in the sidecars' inbound RBAC rules (a JSON string, quotes included). */
export const callerMarker = (caller: string) => JSON.stringify(`spiffe://${MESH}/${caller}`);

/** Every resource of the mesh, in the order to apply them (the Mesh first). */
export function meshResources(size: MeshSize): AnyResource[] {
  const S = size.services;
  const docs: Record<string, unknown>[] = [
    {
      type: 'Mesh',
      name: MESH,
      mtls: { enabledBackend: 'ca-1', backends: [{ name: 'ca-1', type: 'builtin' }] },
      routing: { zoneEgress: true },
      networking: { outbound: { passthrough: false } },
    },
    { type: 'MeshTrafficPermission', mesh: MESH, name: 'allow-all', spec: { targetRef: { kind: 'Mesh' }, from: [{ targetRef: { kind: 'Mesh' }, default: { action: 'Allow' } }] } },
    {
      type: 'MeshTimeout',
      mesh: MESH,
      name: 'mesh-timeouts',
      spec: { targetRef: { kind: 'Mesh' }, to: [{ targetRef: { kind: 'Mesh' }, default: { connectionTimeout: '5s', http: { requestTimeout: '15s' } } }] },
    },
    {
      type: 'MeshRetry',
      mesh: MESH,
      name: 'mesh-retries',
      spec: { targetRef: { kind: 'Mesh' }, to: [{ targetRef: { kind: 'Mesh' }, default: { http: { numRetries: 2, retryOn: ['5xx', 'Reset'] } } }] },
    },
  ];
  for (let i = 0; i < S; i++) {
    docs.push({
      type: 'MeshTrafficPermission',
      mesh: MESH,
      name: `${serviceName(i)}-callers`,
      spec: {
        targetRef: { kind: 'MeshService', name: serviceName(i) },
        from: [1, 2].map((d) => ({ targetRef: { kind: 'MeshService', name: serviceName((i + d) % S) }, default: { action: 'Allow' } })),
      },
    });
    if (i % 10 === 0) {
      docs.push({
        type: 'MeshTimeout',
        mesh: MESH,
        name: `${serviceName(i)}-timeout`,
        spec: { targetRef: { kind: 'Mesh' }, to: [{ targetRef: { kind: 'MeshService', name: serviceName(i) }, default: { http: { requestTimeout: '3s' } } }] },
      });
      docs.push({
        type: 'MeshRetry',
        mesh: MESH,
        name: `${serviceName(i)}-retry`,
        spec: { targetRef: { kind: 'Mesh' }, to: [{ targetRef: { kind: 'MeshService', name: serviceName(i) }, default: { http: { numRetries: 3, retryOn: ['503'] } } }] },
      });
    }
  }
  const out = docs.map((d) => decodeResource(d));
  for (let j = 0; j < size.externalServices; j++) {
    out.push(externalService(`es-${j}`, `ext-${j}`, j % 3 === 2 ? 'zone-2' : undefined));
    if (j % 2 === 0)
      out.push(
        decodeResource({
          type: 'MeshTrafficPermission',
          mesh: MESH,
          name: `ext-${j}-only`,
          spec: {
            targetRef: { kind: 'MeshService', name: `ext-${j}` },
            from: [
              { targetRef: { kind: 'Mesh' }, default: { action: 'Deny' } },
              { targetRef: { kind: 'MeshService', name: serviceName(j % S) }, default: { action: 'Allow' } },
            ],
          },
        }),
      );
  }
  return out;
}

/** The Dataplane of sidecar `i` of a zone (zone index `zi`, 0-based): one HTTP inbound of its service. */
export function dataplane(zi: number, i: number, name: string, service: string): Record<string, unknown> {
  return {
    type: 'Dataplane',
    mesh: MESH,
    name,
    networking: {
      address: `127.${zi + 1}.${Math.floor(i / 250)}.${(i % 250) + 1}`,
      inbound: [{ port: 8080, servicePort: 18080, tags: { 'kuma.io/service': service, 'kuma.io/protocol': 'http' } }],
    },
  };
}

/** The ZoneIngress or ZoneEgress of a zone (nothing listens there: the proxies are simulated). */
export function zoneProxy(type: 'ZoneIngress' | 'ZoneEgress', name: string, port: number): Record<string, unknown> {
  return { type, name, networking: { address: '127.0.0.1', port } };
}
