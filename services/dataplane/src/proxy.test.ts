/** Config updates: open connections survive, removed listeners stop accepting, bad updates change nothing. */
import { createServer, type Server } from 'node:net';
import { Agent } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, get, hcmFilter, httpUpstream, listener, makeProxy, openTcp, routeConfig, sleep, staticCluster, tcpProxyFilter, type Upstream } from './testing/helpers.js';

describe('config updates', () => {
  const { proxy } = makeProxy();
  let echoA: Server;
  let echoB: Server;
  let http: Upstream;
  let tcpPort = 0;
  let httpPort = 0;
  let echoAPort = 0;
  let echoBPort = 0;

  beforeAll(async () => {
    const echo = (tag: string) => createServer((s) => s.on('data', (d) => s.write(`${tag}:${d.toString()}`)));
    echoA = echo('A');
    echoB = echo('B');
    await new Promise<void>((r) => echoA.listen(0, '127.0.0.1', () => r()));
    await new Promise<void>((r) => echoB.listen(0, '127.0.0.1', () => r()));
    echoAPort = (echoA.address() as { port: number }).port;
    echoBPort = (echoB.address() as { port: number }).port;
    http = await httpUpstream((req, res) => res.end(`http ${req.url}`));
    tcpPort = await freePort();
    httpPort = await freePort();
    await proxy.update('Cluster', [staticCluster('echo', [echoAPort]), staticCluster('web', [http.port])], '1');
    await proxy.update(
      'Listener',
      [
        listener('tcp', tcpPort, [{ filters: [tcpProxyFilter('echo')] }]),
        listener('http', httpPort, [{ filters: [hcmFilter(routeConfig('r', [{ match: { prefix: '/' }, route: { cluster: 'web' } }]))] }]),
      ],
      '1',
    );
  });
  afterAll(async () => {
    await proxy.close();
    echoA.close();
    echoB.close();
    await http.close();
  });

  it('a cluster update sends new connections to the new hosts and leaves open ones alone', async () => {
    const before = await openTcp(tcpPort);
    expect(await before.roundTrip('1')).toBe('A:1');
    await proxy.update('Cluster', [staticCluster('echo', [echoBPort]), staticCluster('web', [http.port])], '2');
    const after = await openTcp(tcpPort);
    expect(await after.roundTrip('2')).toBe('B:2');
    expect(await before.roundTrip('3')).toBe('A:3'); // still connected to the old host
    before.socket.destroy();
    after.socket.destroy();
  });

  it('a listener update keeps keep-alive HTTP connections working', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    expect((await get(httpPort, '/one', { agent })).body).toBe('http /one');
    await proxy.update(
      'Listener',
      [
        listener('tcp', tcpPort, [{ filters: [tcpProxyFilter('echo')] }]),
        listener('http', httpPort, [{ filters: [hcmFilter(routeConfig('r', [{ match: { prefix: '/' }, route: { cluster: 'web', prefix_rewrite: '/v2/' } }]))] }]),
      ],
      '2',
    );
    expect((await get(httpPort, '/two', { agent })).body).toMatch(/^http \/(v2\/)?two$/); // the same connection
    expect((await get(httpPort, '/three')).body).toBe('http /v2/three'); // a new connection: new config
    agent.destroy();
  });

  it('a removed listener stops accepting while its open connections finish', async () => {
    const open = await openTcp(tcpPort);
    expect(await open.roundTrip('x')).toBe('B:x');
    await proxy.update('Listener', [listener('http', httpPort, [{ filters: [hcmFilter(routeConfig('r', [{ match: { prefix: '/' }, route: { cluster: 'web' } }]))] }])], '3');
    await expect(openTcp(tcpPort)).rejects.toThrow(/ECONNREFUSED/);
    expect(await open.roundTrip('y')).toBe('B:y');
    open.socket.destroy();
  });

  it('applies the valid resources of an update and rejects the others, keeping their previous versions (as Envoy)', async () => {
    const busy = createServer();
    const busyPort = await freePort();
    await new Promise<void>((r) => busy.listen(busyPort, '127.0.0.1', () => r()));
    const good = listener('http', httpPort, [{ filters: [hcmFilter(routeConfig('r', [{ match: { prefix: '/' }, route: { cluster: 'web' } }]))] }]);
    // a bind conflict: "taken" is rejected, "http" applied
    await expect(proxy.update('Listener', [good, listener('taken', busyPort, [{ filters: [tcpProxyFilter('echo')] }])], '4')).rejects.toThrow(/listener taken: cannot bind/);
    expect(proxy.listenerManager.listeners().map((l) => l.name)).toEqual(['http']);
    // an unknown retry condition
    const badRoute = listener('http', httpPort, [{ filters: [hcmFilter(routeConfig('r', [{ match: { prefix: '/' }, route: { cluster: 'web', retry_policy: { retry_on: '5xx,sometimes' } } }]))] }]);
    await expect(proxy.update('Listener', [badRoute], '5')).rejects.toThrow(/unknown condition "sometimes"/);
    expect((await get(httpPort, '/kept')).body).toBe('http /kept'); // the previous version of "http" still serves
    // an unsupported cluster type next to valid clusters
    await expect(proxy.update('Cluster', [staticCluster('echo', [echoBPort]), staticCluster('web', [http.port]), staticCluster('web2', [http.port]), { name: 'x', type: 'MAGIC' }], '5')).rejects.toThrow(
      /cluster x: unsupported type MAGIC/,
    );
    expect(proxy.cluster('web2')).toBeDefined();
    expect(proxy.cluster('x')).toBeUndefined();
    // a behaviour this proxy does not implement is refused, not silently ignored
    await expect(
      proxy.update('Cluster', [staticCluster('echo', [echoBPort]), staticCluster('web', [http.port]), staticCluster('web2', [http.port], { health_checks: [{ timeout: '1s', interval: '1s', tcp_health_check: {} }] })], '6'),
    ).rejects.toThrow(/cluster web2: health_checks is not supported/);
    expect(proxy.cluster('web2')).toBeDefined(); // the previous version stays
    expect(proxy.versions.Listener).toBe('3');
    expect(proxy.versions.Cluster).toBe('2');
    expect((await get(httpPort, '/ok')).body).toBe('http /ok');
    busy.close();
    await sleep(10);
  });

  it('a listener waiting for an SDS secret warms without replacing the active version', async () => {
    const tlsListener = listener('http', httpPort, [
      {
        transport_socket: {
          name: 'envoy.transport_sockets.tls',
          typed_config: {
            '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext',
            common_tls_context: { tls_certificate_sds_secret_configs: [{ name: 'not-yet', sds_config: { ads: {} } }] },
          },
        },
        filters: [hcmFilter(routeConfig('r', [{ match: { prefix: '/' }, route: { cluster: 'web' } }]))],
      },
    ]);
    await proxy.update('Listener', [tlsListener], '6');
    expect(proxy.secretNames()).toEqual(['not-yet']);
    expect((await get(httpPort, '/plain-still')).body).toBe('http /plain-still');
    const dump = proxy.configDump() as { configs: { dynamic_listeners?: { name: string; warming_state?: unknown }[] }[] };
    const l = dump.configs.flatMap((c) => c.dynamic_listeners ?? []).find((x) => x.name === 'http');
    expect(l?.warming_state).toBeDefined();
  });
});
