/** Load balancing arithmetic (priority load, panic, EDS health, weights) and transport_socket_matches. */
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterLoadAssignment } from '@causeway/envoy';
import { Stats } from '../stats.js';
import { createCa } from '../testing/certs.js';
import { freePort, get, hcmFilter, httpUpstream, inline, listener, makeProxy, quietLog, routeConfig, T, type Upstream } from '../testing/helpers.js';
import { ClusterRuntime, type Host } from './cluster.js';

const eds = (name = 'c') =>
  new ClusterRuntime({ name, type: 'EDS', eds_cluster_config: {} }, { secrets: () => undefined, stats: new Stats().cluster(name), log: quietLog(), dns: async () => [] });

const ep = (port: number, extra: Record<string, unknown> = {}) => ({ endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: port } } }, ...extra });

function distribution(c: ClusterRuntime, n = 2000): Record<number, number> {
  const out: Record<number, number> = {};
  for (let i = 0; i < n; i++) {
    const h = c.chooseHost() as Host;
    out[h.port] = (out[h.port] ?? 0) + 1;
  }
  return out;
}

describe('priority load (Envoy: health x 1.4, spill to the next level)', () => {
  it('sends everything to priority 0 while it is healthy enough', () => {
    const c = eds();
    const cla: ClusterLoadAssignment = {
      cluster_name: 'c',
      endpoints: [
        { priority: 0, lb_endpoints: [ep(1), ep(2), ep(3), ep(4)] },
        { priority: 1, lb_endpoints: [ep(10)] },
      ],
    };
    c.setLoadAssignment(cla);
    expect(distribution(c)[10]).toBeUndefined();
    // 3 of 4 healthy: 75 % x 1.4 = 105 % -> still all on priority 0
    c.setLoadAssignment({ ...cla, endpoints: [{ priority: 0, lb_endpoints: [ep(1), ep(2), ep(3), ep(4, { health_status: 'UNHEALTHY' })] }, { priority: 1, lb_endpoints: [ep(10)] }] });
    const d = distribution(c);
    expect(d[4]).toBeUndefined(); // an unhealthy endpoint gets nothing
    expect(d[10]).toBeUndefined();
  });

  it('spills the missing share to priority 1 when priority 0 degrades (2 of 4 healthy: 70 % / 30 %)', () => {
    const c = eds();
    c.setLoadAssignment({
      cluster_name: 'c',
      endpoints: [
        { priority: 0, lb_endpoints: [ep(1), ep(2), ep(3, { health_status: 'UNHEALTHY' }), ep(4, { health_status: 'DRAINING' })] },
        { priority: 1, lb_endpoints: [ep(10)] },
      ],
    });
    const d = distribution(c, 4000);
    const p1 = (d[10] ?? 0) / 4000;
    expect(p1).toBeGreaterThan(0.25);
    expect(p1).toBeLessThan(0.35);
  });

  it('panics (uses every host) when no priority has a healthy host', () => {
    const c = eds();
    c.setLoadAssignment({ cluster_name: 'c', endpoints: [{ lb_endpoints: [ep(1, { health_status: 'UNHEALTHY' }), ep(2, { health_status: 'UNHEALTHY' })] }] });
    const d = distribution(c, 100);
    expect((d[1] ?? 0) + (d[2] ?? 0)).toBe(100);
  });

  it('weights endpoints by load_balancing_weight', () => {
    const c = eds();
    c.setLoadAssignment({ cluster_name: 'c', endpoints: [{ lb_endpoints: [ep(1, { load_balancing_weight: 3 }), ep(2, { load_balancing_weight: 1 })] }] });
    const d = distribution(c, 400);
    expect(d[1]).toBe(300);
    expect(d[2]).toBe(100);
  });
});

describe('transport_socket_matches (several ExternalServices with different TLS in one cluster)', () => {
  const { proxy } = makeProxy();
  let plain: Upstream;
  let tlsServer: ReturnType<typeof createHttpsServer>;
  let port = 0;

  beforeAll(async () => {
    const ca = await createCa();
    const cert = await ca.issue({ cn: 'secure', dns: ['secure.test'] });
    tlsServer = createHttpsServer(cert, (_req, res) => res.end('over tls'));
    await new Promise<void>((r) => tlsServer.listen(0, '127.0.0.1', () => r()));
    plain = await httpUpstream((_req, res) => res.end('plain'));
    port = await freePort();
    await proxy.update(
      'Cluster',
      [
        {
          name: 'mixed',
          type: 'STATIC',
          connect_timeout: '1s',
          transport_socket_matches: [
            {
              name: 'secure',
              match: { 'external-service': 'secure' },
              transport_socket: { name: 'envoy.transport_sockets.tls', typed_config: { '@type': T.upstreamTls, sni: 'secure.test', common_tls_context: { validation_context: { trusted_ca: inline(ca.cert) } } } },
            },
          ],
          load_assignment: {
            cluster_name: 'mixed',
            endpoints: [
              {
                lb_endpoints: [
                  ep((tlsServer.address() as AddressInfo).port, { metadata: { filter_metadata: { 'envoy.transport_socket_match': { 'external-service': 'secure' } } } }),
                  ep(plain.port, { metadata: { filter_metadata: { 'envoy.transport_socket_match': { 'external-service': 'plain' } } } }),
                ],
              },
            ],
          },
        },
      ],
      '1',
    );
    await proxy.update('Listener', [listener('l', port, [{ filters: [hcmFilter(routeConfig('r', [{ match: { prefix: '/' }, route: { cluster: 'mixed' } }]))] }])], '1');
  });
  afterAll(async () => {
    await proxy.close();
    await plain.close();
    tlsServer.close();
  });

  it('uses the matching entry per endpoint, and the cluster transport (plaintext) for the others', async () => {
    const bodies = new Set<string>();
    for (let i = 0; i < 6; i++) bodies.add((await get(port, '/')).body);
    expect([...bodies].sort()).toEqual(['over tls', 'plain']);
  });
});
