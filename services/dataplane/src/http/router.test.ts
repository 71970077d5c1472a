import { request } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freePort, get, hcmFilter, httpUpstream, listener, makeProxy, routeConfig, sleep, staticCluster, type Upstream } from '../testing/helpers.js';

describe('HTTP routing, timeouts and retries', () => {
  const { proxy, accessLog } = makeProxy();
  const ups: Upstream[] = [];
  let port = 0;
  let flakyCalls = 0;
  let a: Upstream;
  let b: Upstream;
  let slow: Upstream;
  let flaky: Upstream;
  let closedPort = 0;

  beforeAll(async () => {
    a = await httpUpstream((req, res) => res.end(`a ${req.method} ${req.url} host=${req.headers.host} xfp=${req.headers['x-forwarded-proto']} rid=${req.headers['x-request-id'] ? 'yes' : 'no'}`));
    b = await httpUpstream((_req, res) => res.end('b'));
    slow = await httpUpstream((_req, res) => {
      setTimeout(() => res.end('slow'), 1500);
    });
    // fails twice with 503, then answers
    flaky = await httpUpstream((req, res) => {
      flakyCalls++;
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (flakyCalls % 3 !== 0) {
          res.statusCode = 503;
          res.end('try again');
        } else res.end(`ok after ${flakyCalls} calls, body=${Buffer.concat(chunks).toString()}`);
      });
    });
    ups.push(a, b, slow, flaky);
    closedPort = await freePort(); // nothing listens there: connect failures
    port = await freePort();
    await proxy.update(
      'Cluster',
      [
        staticCluster('a', [a.port]),
        staticCluster('b', [b.port]),
        staticCluster('slow', [slow.port]),
        staticCluster('flaky', [flaky.port]),
        staticCluster('dead', [closedPort]),
        staticCluster('half-dead', [closedPort, b.port]),
      ],
      '1',
    );
    const routes = [
      { match: { path: '/exact' }, route: { cluster: 'b' } },
      { match: { prefix: '/hdr', headers: [{ name: 'x-version', string_match: { exact: 'v2' } }] }, route: { cluster: 'b' } },
      { match: { prefix: '/hdr' }, route: { cluster: 'a' } },
      { match: { prefix: '/split' }, route: { weighted_clusters: { clusters: [{ name: 'a', weight: 80 }, { name: 'b', weight: 20 }] } } },
      { match: { prefix: '/slow-timeout' }, route: { cluster: 'slow', timeout: '0.3s' } },
      { match: { prefix: '/slow-per-try' }, route: { cluster: 'slow', timeout: '5s', retry_policy: { retry_on: '5xx', num_retries: 1, per_try_timeout: '0.2s' } } },
      { match: { prefix: '/flaky-retry' }, route: { cluster: 'flaky', retry_policy: { retry_on: '5xx', num_retries: 3, retry_back_off: { base_interval: '0.005s' } } } },
      { match: { prefix: '/flaky-status' }, route: { cluster: 'flaky', retry_policy: { retry_on: 'retriable-status-codes', retriable_status_codes: [503], num_retries: 2, retry_back_off: { base_interval: '0.005s' } } } },
      { match: { prefix: '/flaky-once' }, route: { cluster: 'flaky' } },
      { match: { prefix: '/flaky-connect-only' }, route: { cluster: 'flaky', retry_policy: { retry_on: 'connect-failure', num_retries: 3 } } },
      {
        match: { prefix: '/flaky-get-only' },
        route: { cluster: 'flaky', retry_policy: { retry_on: '5xx', num_retries: 3, retry_back_off: { base_interval: '0.005s' }, retriable_request_headers: [{ name: ':method', string_match: { exact: 'GET' } }] } },
      },
      { match: { prefix: '/slow-duration' }, route: { cluster: 'slow', timeout: '5s', max_stream_duration: { max_stream_duration: '0.2s' } } },
      { match: { prefix: '/dead' }, route: { cluster: 'dead', retry_policy: { retry_on: 'connect-failure', num_retries: 1, retry_back_off: { base_interval: '0.005s' } } } },
      { match: { prefix: '/half-dead' }, route: { cluster: 'half-dead', retry_policy: { retry_on: 'connect-failure', num_retries: 2, retry_back_off: { base_interval: '0.005s' } } } },
      { match: { prefix: '/missing' }, route: { cluster: 'no-such-cluster' } },
      { match: { prefix: '/direct' }, direct_response: { status: 418, body: { inline_string: 'teapot' } } },
      { match: { prefix: '/rewrite/' }, route: { cluster: 'a', prefix_rewrite: '/new/', host_rewrite_literal: 'rewritten.test' } },
      { match: { prefix: '/a' }, route: { cluster: 'a' } },
    ];
    await proxy.update('Listener', [listener('out', port, [{ filters: [hcmFilter(routeConfig('r', routes, ['api.test', '*']))] }])], '1');
  });
  afterAll(async () => {
    await proxy.close();
    for (const u of ups) await u.close();
  });
  afterEach(() => {
    flakyCalls = 0;
  });

  it('forwards with the Host header kept, x-forwarded-proto and x-request-id added, server: envoy', async () => {
    const r = await get(port, '/a/x?q=1', { host: 'api.test' });
    expect(r.status).toBe(200);
    expect(r.body).toBe('a GET /a/x?q=1 host=api.test xfp=http rid=yes');
    expect(r.headers.server).toBe('envoy');
    expect(r.headers['x-envoy-upstream-service-time']).toBeDefined();
  });

  it('matches path exactly, by prefix, and by header', async () => {
    expect((await get(port, '/exact')).body).toBe('b');
    expect((await get(port, '/exact/more')).status).toBe(404); // no route: "/exact/more" is not "/exact"
    expect((await get(port, '/hdr', { headers: { 'x-version': 'v2' } })).body).toBe('b');
    expect((await get(port, '/hdr', { headers: { 'x-version': 'v1' } })).body).toMatch(/^a /);
  });

  it('splits by weighted clusters', async () => {
    let toA = 0;
    for (let i = 0; i < 200; i++) if ((await get(port, '/split')).body.startsWith('a ')) toA++;
    expect(toA).toBeGreaterThan(130);
    expect(toA).toBeLessThan(190);
  });

  it('answers 504 when the route timeout expires', async () => {
    const t0 = Date.now();
    const r = await get(port, '/slow-timeout');
    expect(r.status).toBe(504);
    expect(r.body).toBe('upstream request timeout');
    expect(Date.now() - t0).toBeLessThan(1200);
    expect(proxy.stats.cluster('slow').upstream_rq_timeout).toBeGreaterThanOrEqual(1);
  });

  it('releases the active request of an attempt ended by the route timeout or abandoned by the downstream', async () => {
    const slowActive = () => ({ cluster: proxy.stats.cluster('slow').upstream_rq_active, hosts: proxy.cluster('slow')?.hosts().map((h) => h.activeRequests) });
    expect((await get(port, '/slow-timeout')).status).toBe(504);
    expect(slowActive()).toEqual({ cluster: 0, hosts: [0] });
    // The client goes away while the upstream has not answered yet.
    await new Promise<void>((resolve) => {
      const req = request({ host: '127.0.0.1', port, path: '/slow-timeout', agent: false });
      req.on('error', () => resolve());
      req.end();
      setTimeout(() => req.destroy(), 100);
    });
    await sleep(50);
    expect(slowActive()).toEqual({ cluster: 0, hosts: [0] });
  });

  it('applies per_try_timeout and retries, then gives 504', async () => {
    const t0 = Date.now();
    const r = await get(port, '/slow-per-try');
    expect(r.status).toBe(504);
    expect(Date.now() - t0).toBeLessThan(1400);
    expect(proxy.stats.cluster('slow').upstream_rq_per_try_timeout).toBeGreaterThanOrEqual(2);
  });

  it('turns a flaky upstream into success with retry_on 5xx (request body replayed)', async () => {
    const r = await get(port, '/flaky-retry', { method: 'POST', body: 'payload' });
    expect(r.status).toBe(200);
    expect(r.body).toBe('ok after 3 calls, body=payload');
    expect(proxy.stats.cluster('flaky').upstream_rq_retry).toBeGreaterThanOrEqual(2);
    const log = accessLog.entries.find((e) => e.path === '/flaky-retry');
    expect(log).toMatchObject({ status: 200, attempts: 3, cluster: 'flaky', bytes_received: 7 });
  });

  it('retries on retriable_status_codes', async () => {
    expect((await get(port, '/flaky-status')).status).toBe(200);
  });

  it('does not retry without a policy, nor on 503 with only connect-failure', async () => {
    expect((await get(port, '/flaky-once')).status).toBe(503);
    flakyCalls = 0;
    expect((await get(port, '/flaky-connect-only')).status).toBe(503);
    expect(flakyCalls).toBe(1);
  });

  it('retries only requests matching retriable_request_headers (:method)', async () => {
    expect((await get(port, '/flaky-get-only', { method: 'POST', body: 'x' })).status).toBe(503);
    expect(flakyCalls).toBe(1);
    flakyCalls = 0;
    expect((await get(port, '/flaky-get-only')).status).toBe(200);
    expect(flakyCalls).toBe(3);
  });

  it('answers 408 when max_stream_duration passes before the response', async () => {
    const r = await get(port, '/slow-duration');
    expect(r.status).toBe(408);
  });

  it('answers 503 on connect failure, and retries connect failures on another host', async () => {
    const r = await get(port, '/dead');
    expect(r.status).toBe(503);
    expect(r.body).toMatch(/^upstream connect error or disconnect\/reset before headers. reset reason: connection failure/);
    for (let i = 0; i < 10; i++) expect((await get(port, '/half-dead')).body).toBe('b');
  });

  it('404 without a route, 503 without the cluster, direct responses, rewrites', async () => {
    expect((await get(port, '/nothing-here')).status).toBe(404);
    expect((await get(port, '/missing')).status).toBe(503);
    const d = await get(port, '/direct');
    expect([d.status, d.body]).toEqual([418, 'teapot']);
    expect((await get(port, '/rewrite/x')).body).toBe('a GET /new/x host=rewritten.test xfp=http rid=yes');
  });
});

describe('connection manager timeouts', () => {
  it('stream_idle_timeout gives 408, max_connection_duration closes an idle keep-alive connection', async () => {
    const { proxy } = makeProxy();
    const up = await httpUpstream((req, res) => {
      if (req.url === '/stall') return; // never answers
      res.end('ok');
    });
    const port = await freePort();
    await proxy.update('Cluster', [staticCluster('up', [up.port])], '1');
    await proxy.update(
      'Listener',
      [
        listener('l', port, [
          {
            filters: [
              hcmFilter(routeConfig('r', [{ match: { prefix: '/' }, route: { cluster: 'up', timeout: '0s' } }]), {
                stream_idle_timeout: '0.2s',
                drain_timeout: '0.1s',
                common_http_protocol_options: { max_connection_duration: '0.3s' },
              }),
            ],
          },
        ]),
      ],
      '1',
    );
    const t0 = Date.now();
    const r = await get(port, '/stall');
    expect(r.status).toBe(408);
    expect(Date.now() - t0).toBeLessThan(2000);
    const { connect } = await import('node:net');
    const closedAfter = await new Promise<number>((resolve) => {
      const s = connect({ host: '127.0.0.1', port }, () => s.write('GET /a HTTP/1.1\r\nhost: x\r\n\r\n'));
      const start = Date.now();
      s.on('data', () => {});
      s.on('close', () => resolve(Date.now() - start));
    });
    expect(closedAfter).toBeGreaterThanOrEqual(250);
    expect(closedAfter).toBeLessThan(2000);
    await proxy.close();
    await up.close();
  });
});

describe('cluster load balancing: round robin, priorities, outlier detection', () => {
  const { proxy } = makeProxy();
  const ups: Upstream[] = [];
  let port = 0;

  beforeAll(async () => {
    for (const name of ['p0-a', 'p0-b', 'p1']) ups.push(await httpUpstream((_req, res) => res.end(name)));
    port = await freePort();
    const dead = await freePort();
    const eps = (list: { port: number; priority: number }[]) =>
      list.map((e) => ({ priority: e.priority, locality: { zone: `zone-${e.priority}` }, lb_endpoints: [{ endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: e.port } } } }] }));
    await proxy.update(
      'Cluster',
      [
        { name: 'rr', type: 'EDS', connect_timeout: '1s', eds_cluster_config: { eds_config: { ads: {} } } },
        {
          name: 'failover',
          type: 'EDS',
          connect_timeout: '1s',
          eds_cluster_config: { eds_config: { ads: {} } },
          outlier_detection: { consecutive_gateway_failure: 2, enforcing_consecutive_gateway_failure: 100, interval: '0.1s', base_ejection_time: '0.3s', max_ejection_percent: 100 },
        },
      ],
      '1',
    );
    await proxy.update(
      'ClusterLoadAssignment',
      [
        { cluster_name: 'rr', endpoints: eps([{ port: ups[0]?.port as number, priority: 0 }, { port: ups[1]?.port as number, priority: 0 }, { port: ups[2]?.port as number, priority: 1 }]) },
        { cluster_name: 'failover', endpoints: eps([{ port: dead, priority: 0 }, { port: ups[2]?.port as number, priority: 1 }]) },
      ],
      '1',
    );
    await proxy.update(
      'Listener',
      [
        listener('out', port, [
          {
            filters: [
              hcmFilter(
                routeConfig('r', [
                  { match: { prefix: '/rr' }, route: { cluster: 'rr' } },
                  { match: { prefix: '/failover' }, route: { cluster: 'failover', retry_policy: { retry_on: 'connect-failure', num_retries: 2, retry_back_off: { base_interval: '0.005s' } } } },
                ]),
              ),
            ],
          },
        ]),
      ],
      '1',
    );
  });
  afterAll(async () => {
    await proxy.close();
    for (const u of ups) await u.close();
  });

  it('round-robins over the healthy hosts of the lowest priority only', async () => {
    const seen: string[] = [];
    for (let i = 0; i < 6; i++) seen.push((await get(port, '/rr')).body);
    expect(seen.filter((s) => s === 'p0-a')).toHaveLength(3);
    expect(seen.filter((s) => s === 'p0-b')).toHaveLength(3);
    expect(seen).not.toContain('p1');
  });

  it('ejects a failing priority-0 host and fails over to priority 1, then retries it after the ejection time', async () => {
    // the retry policy reaches p1 on the same request while p0 is still in rotation
    expect((await get(port, '/failover')).body).toBe('p1');
    expect((await get(port, '/failover')).body).toBe('p1');
    const cl = proxy.cluster('failover');
    const p0 = cl?.hosts().find((h) => h.priority === 0);
    expect(p0?.ejected).toBe(true);
    const failsBefore = proxy.stats.cluster('failover').upstream_cx_connect_fail;
    for (let i = 0; i < 5; i++) expect((await get(port, '/failover')).body).toBe('p1');
    // ejected: no more connection attempts to the dead host
    expect(proxy.stats.cluster('failover').upstream_cx_connect_fail).toBe(failsBefore);
    await sleep(600);
    expect(p0?.ejected).toBe(false);
    expect(proxy.stats.cluster('failover').outlier_detection_ejections_total).toBeGreaterThanOrEqual(1);
  });

  it('an EDS update replaces the hosts for new requests', async () => {
    await proxy.update(
      'ClusterLoadAssignment',
      [{ cluster_name: 'rr', endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: ups[2]?.port as number } } } }] }] }],
      '2',
    );
    for (let i = 0; i < 3; i++) expect((await get(port, '/rr')).body).toBe('p1');
  });
});

describe('STRICT_DNS clusters', () => {
  it('resolve host names periodically and use every address', async () => {
    const names: Record<string, string[]> = { 'svc.test': ['127.0.0.1'] };
    let lookups = 0;
    const { proxy } = makeProxy({
      dns: async (host) => {
        lookups++;
        const r = names[host];
        if (!r) throw new Error('ENOTFOUND');
        return r;
      },
    });
    const up = await httpUpstream((req, res) => res.end(`host=${req.headers.host}`));
    const port = await freePort();
    await proxy.update(
      'Cluster',
      [{ name: 'ext', type: 'STRICT_DNS', dns_refresh_rate: '0.05s', dns_lookup_family: 'V4_ONLY', connect_timeout: '1s', load_assignment: { cluster_name: 'ext', endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: 'svc.test', port_value: up.port } } } }] }] } }],
      '1',
    );
    await proxy.update('Listener', [listener('out', port, [{ filters: [hcmFilter(routeConfig('r', [{ match: { prefix: '/' }, route: { cluster: 'ext', auto_host_rewrite: true } }]))] }])], '1');
    const r = await get(port, '/', { host: 'vip.mesh' });
    expect(r.body).toBe('host=svc.test'); // auto_host_rewrite: the endpoint's DNS name
    names['svc.test'] = ['127.0.0.1', '127.0.0.2'];
    await sleep(150);
    expect(lookups).toBeGreaterThan(2);
    expect(proxy.cluster('ext')?.hosts().map((h) => h.address).sort()).toEqual(['127.0.0.1', '127.0.0.2']);
    await proxy.close();
    await up.close();
  });
});
