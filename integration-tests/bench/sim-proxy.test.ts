/**
 * The pipeline benchmark's simulated proxy keeps what its resources reference by counting what each update
 * added and took away (compared by object with the set before). Checked here against the whole set worked
 * out again after every update: EDS, RDS and SDS names, the Clusters held, the inbound RBAC; and what it
 * rejects (a name twice, no name) and that an update that changes no reference hands out the same lists.
 */
import { describe, expect, it } from 'vitest';
import { SimProxy } from './sim-proxy.js';

const sds = (name: string) => ({ name: 'envoy.transport_sockets.tls', typed_config: { common_tls_context: { tls_certificate_sds_secret_configs: [{ name }] } } });
const edsCluster = (name: string, service = name, secret?: string) => ({ name, type: 'EDS', eds_cluster_config: { service_name: service }, ...(secret ? { transport_socket: sds(secret) } : {}) });
const staticCluster = (name: string) => ({ name, type: 'STATIC' });
const listener = (name: string, route: string, rbac?: string) => ({
  name,
  traffic_direction: rbac ? 'INBOUND' : 'OUTBOUND',
  filter_chains: [
    {
      filters: [
        {
          typed_config: {
            '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
            rds: { route_config_name: route },
            http_filters: rbac ? [{ typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBAC', rules: { marker: rbac } } }] : [],
          },
        },
      ],
    },
  ],
});

const byName = <T extends { name: string }>(list: T[]) => [...list].sort((a, b) => (a.name < b.name ? -1 : 1));
const uniqueSorted = (l: string[]) => [...new Set(l)].sort();

describe('SimProxy', () => {
  it('follows the references of the resources it holds, update by update, as a walk of the whole set would', async () => {
    const p = new SimProxy('web-1', 'sidecar', () => {});
    const a = edsCluster('a', 'a-svc', 'mesh-ca');
    const b = edsCluster('b', 'shared-svc');
    const c = edsCluster('c', 'shared-svc', 'mesh-ca');
    const d = staticCluster('d');
    const steps: (typeof a | typeof d)[][] = [[a, b, c, d], [a, c, d], [edsCluster('a', 'a2-svc'), b, c], [c], [], [b, d]];
    for (const clusters of steps) {
      await p.update('Cluster', byName(clusters), 'v');
      const eds = uniqueSorted(clusters.flatMap((x) => (x.type === 'EDS' ? [(x as typeof a).eds_cluster_config.service_name] : [])));
      expect(p.edsNames()).toEqual(eds);
      const secrets = uniqueSorted(clusters.flatMap((x) => ('transport_socket' in x ? ['mesh-ca'] : [])));
      expect(p.secretNames()).toEqual(secrets);
      for (const name of ['a', 'b', 'c', 'd']) expect(p.hasCluster(name)).toBe(clusters.some((x) => x.name === name));
    }

    const l1 = listener('in', 'inbound:r', 'allow-web');
    const l2 = listener('out-1', 'outbound:x');
    await p.update('Listener', [l1, l2], 'v');
    expect(p.rdsNames()).toEqual(['inbound:r', 'outbound:x']);
    expect(p.inboundRbac).toContain('allow-web');
    const routes = p.rdsNames();
    // A new listener on a route already referenced: the same list (the client sees nothing to re-subscribe).
    await p.update('Listener', [l1, l2, listener('out-2', 'outbound:x')], 'v');
    expect(p.rdsNames()).toBe(routes);
    await p.update('Listener', [listener('in', 'inbound:r', 'deny-web'), l2], 'v');
    expect(p.inboundRbac).toContain('deny-web');
    expect(p.inboundRbac).not.toContain('allow-web');
  });

  it('rejects a resource without a name or a name twice, also in a list out of order', async () => {
    const p = new SimProxy('web-1', 'sidecar', () => {});
    await expect(p.update('Cluster', [staticCluster('a'), {}], 'v')).rejects.toThrow('Cluster resources[1]: no name');
    await expect(p.update('Cluster', [staticCluster('b'), staticCluster('a'), staticCluster('b')], 'v')).rejects.toThrow('Cluster b appears twice');
    // Out of order but valid: applied (compared through sets).
    await p.update('Cluster', [edsCluster('b'), edsCluster('a')], 'v');
    expect(p.edsNames()).toEqual(['a', 'b']);
    await p.update('Cluster', [edsCluster('c')], 'v');
    expect(p.edsNames()).toEqual(['c']);
    expect(p.hasCluster('a')).toBe(false);
  });
});
