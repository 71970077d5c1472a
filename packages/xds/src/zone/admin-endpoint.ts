/**
 * Where a proxy's admin port (and with it its Prometheus `/metrics`) listens, as the proxy announces it in
 * its node metadata — Kuma's names: `dataplane.admin.port` and `dataplane.admin.address` (numbers or
 * strings) — recorded on the resource the zone stores for it, so that every replica of the zone's control
 * plane (they share the store) can list it for Prometheus:
 * - the port goes to the resource's `networking.admin.port` (Kuma's field; it replaces a value the proxy's
 *   own resource carried: the metadata says where it really listens);
 * - the address goes to the label `causeway.io/admin-address` when it is a specific address; a wildcard
 *   (`0.0.0.0`, `::`) means "every address of the proxy's host", and then the resource's
 *   `networking.address` is the one to use (see `metricsTarget`).
 */
import type { Resource } from '@causeway/core';

/** Label with the address a proxy's admin port is bound to (absent: the resource's networking.address). */
export const ADMIN_ADDRESS_LABEL = 'causeway.io/admin-address';

/** Node metadata keys a proxy announces its admin port with (Kuma's). */
export const ADMIN_PORT_METADATA = 'dataplane.admin.port';
export const ADMIN_ADDRESS_METADATA = 'dataplane.admin.address';

/** Longest label value the store accepts (labelsSchema). */
const MAX_LABEL_VALUE = 63;

export interface AdminEndpoint {
  port?: number;
  /** a specific address (never a wildcard) */
  address?: string;
}

export function isWildcardAddress(address: string): boolean {
  return address === '0.0.0.0' || address === '::' || address === '[::]' || address === '';
}

/** The admin endpoint a proxy announced (fields it sent badly are ignored, never an error). */
export function adminEndpointOf(metadata: Record<string, unknown> | undefined): AdminEndpoint {
  const out: AdminEndpoint = {};
  const rawPort = metadata?.[ADMIN_PORT_METADATA];
  const port = typeof rawPort === 'number' ? rawPort : typeof rawPort === 'string' && /^\d{1,5}$/.test(rawPort) ? Number(rawPort) : Number.NaN;
  if (Number.isInteger(port) && port >= 1 && port <= 65535) out.port = port;
  const rawAddress = metadata?.[ADMIN_ADDRESS_METADATA];
  if (typeof rawAddress === 'string') {
    const address = rawAddress.trim();
    if (!isWildcardAddress(address) && address.length <= MAX_LABEL_VALUE && /^[A-Za-z0-9.:\-[\]%]+$/.test(address)) out.address = address;
  }
  return out;
}

/**
 * The proxy's resource with its announced admin endpoint: `networking.admin.port` set from the metadata and
 * the admin-address label set (or removed: a stale one from the proxy's file means nothing).
 */
export function withAdminEndpoint(resource: Resource, endpoint: AdminEndpoint): Resource {
  const labels = { ...resource.labels };
  delete labels[ADMIN_ADDRESS_LABEL];
  if (endpoint.address !== undefined && endpoint.port !== undefined) labels[ADMIN_ADDRESS_LABEL] = endpoint.address;
  if (endpoint.port === undefined) return { ...resource, labels };
  const spec = resource.spec as { networking?: Record<string, unknown> };
  const networking = spec.networking ?? {};
  const admin = (networking.admin ?? {}) as Record<string, unknown>;
  return { ...resource, labels, spec: { ...spec, networking: { ...networking, admin: { ...admin, port: endpoint.port } } } as Resource['spec'] };
}

/**
 * Where Prometheus scrapes a proxy: the admin address it announced (a specific one), else the resource's
 * `networking.address`, with `networking.admin.port`; undefined when no port is known.
 */
export function metricsTarget(resource: Pick<Resource, 'labels' | 'spec'>): { host: string; port: number } | undefined {
  const networking = (resource.spec as { networking?: { address?: unknown; admin?: { port?: unknown } } }).networking;
  const port = networking?.admin?.port;
  if (typeof port !== 'number') return undefined;
  const host = resource.labels[ADMIN_ADDRESS_LABEL] ?? (typeof networking?.address === 'string' ? networking.address : undefined);
  if (!host) return undefined;
  return { host, port };
}
