/**
 * Issue 18, item 2: a real Prometheus (Debian's `prometheus` package) scrapes a zone's proxies that it
 * discovered through the zone control plane's HTTP service discovery (`GET /prometheus/sd`).
 *
 * Topology: NATS + Postgres, global, zone-1 with its ZoneIngress and ZoneEgress, and a sidecar "web"
 * whose outbound reaches the ExternalService "ext" (a fake HTTP server on loopback) through the zone's
 * egress (mesh with builtin mTLS and `routing.zoneEgress`). Prometheus runs with its own free port,
 * temp storage, a 1 s scrape interval and `http_sd_configs` pointing at zone-1. Asserted through its
 * HTTP API: the three proxies are discovered with their labels and scraped (`up == 1`), and PromQL over
 * the ExternalService's request counters (at the sidecar and at the egress) returns the calls made.
 *
 * Skipped, with the reason printed, only when no `prometheus` binary is installed (`.ci/run` installs it).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import type { CausewayClient } from '@causeway/client';
import { decodeResource } from '@causeway/core';
import { freePort } from '@causeway/sync/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type FakeExternal, startHttpExternal } from './externals.js';
import { eventually, harnessProcesses, type MultiZoneTopology, type Sidecar, startMultiZone, startSidecar, TestEnv, trackChild } from './harness.js';

/** The prometheus binary: on PATH, else Debian's /usr/bin/prometheus. */
function findPrometheus(): string | undefined {
  for (const dir of [...(process.env.PATH ?? '').split(':').filter(Boolean), '/usr/bin']) {
    const bin = join(dir, 'prometheus');
    if (existsSync(bin)) return bin;
  }
  return undefined;
}

const PROMETHEUS = findPrometheus();
if (!PROMETHEUS)
  console.log('[prometheus] skipping prometheus.int.test.ts: no prometheus binary on PATH or at /usr/bin/prometheus (Debian: apt-get install prometheus; bash .ci/run installs it)');

interface PromSample {
  metric: Record<string, string>;
  value: [number, string];
}

interface PromTarget {
  labels: Record<string, string>;
  discoveredLabels: Record<string, string>;
  scrapeUrl: string;
  health: 'up' | 'down' | 'unknown';
  lastError: string;
}

/** One HTTP request to the sidecar's outbound port for "ext" (status 0: the connection failed). */
function call(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { host: 'ext' }, agent: false }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => {
        body += c.toString();
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.setTimeout(10_000, () => req.destroy(new Error('client timeout')));
    req.on('error', (e) => resolve({ status: 0, body: e.message }));
    req.end();
  });
}

describe.skipIf(!PROMETHEUS)('Prometheus discovers and scrapes a zone through GET /prometheus/sd', () => {
  const env = new TestEnv();
  let topo: MultiZoneTopology;
  let api: CausewayClient;
  let ext: FakeExternal;
  let web: Sidecar;
  let outbound = 0;
  let prometheus: ChildProcess | undefined;
  let promUrl = '';
  let promLog = '';
  /** Calls through the sidecar that were answered 200. */
  let ok = 0;

  const zone1 = () => topo.zones['zone-1'] as MultiZoneTopology['zones'][string];

  const promGet = async <T>(path: string): Promise<T> => {
    const res = await fetch(`${promUrl}${path}`, { signal: AbortSignal.timeout(5000) });
    const body = (await res.json()) as { status: string; data: T; error?: string };
    if (body.status !== 'success') throw new Error(`prometheus ${path}: ${body.error ?? res.status}`);
    return body.data;
  };
  const query = async (promql: string): Promise<PromSample[]> => (await promGet<{ result: PromSample[] }>(`/api/v1/query?query=${encodeURIComponent(promql)}`)).result;
  /** The single value of a PromQL query (throws unless it returns exactly one sample). */
  const scalar = async (promql: string): Promise<number> => {
    const r = await query(promql);
    if (r.length !== 1) throw new Error(`${promql}: ${r.length} samples`);
    return Number((r[0] as PromSample).value[1]);
  };

  beforeAll(async () => {
    topo = await startMultiZone(env, ['zone-1'], 'prom');
    api = topo.api;
    ext = await startHttpExternal('ext', harnessProcesses);
    env.onTeardown(() => ext.close());
    const docs = [
      { type: 'Mesh', name: 'default', mtls: { enabledBackend: 'ca-1', backends: [{ name: 'ca-1', type: 'builtin' }] }, routing: { zoneEgress: true } },
      { type: 'MeshTrafficPermission', mesh: 'default', name: 'allow-all', spec: { targetRef: { kind: 'Mesh' }, from: [{ targetRef: { kind: 'Mesh' }, default: { action: 'Allow' } }] } },
      { type: 'ExternalService', mesh: 'default', name: 'ext', tags: { 'kuma.io/service': 'ext', 'kuma.io/protocol': 'http' }, networking: { address: `127.0.0.1:${ext.port}` } },
    ];
    for (const d of docs) await api.put(decodeResource(d));
    await eventually(() => zone1().api.get('ExternalService', 'default', 'ext'), 'ext in zone-1', 30_000);
    await eventually(() => zone1().api.get('Secret', 'default', 'default.ca-builtin-cert-ca-1'), 'the mesh CA in zone-1', 30_000);
    outbound = await freePort();
    web = await startSidecar(env, zone1(), { mesh: 'default', name: 'web', outbound: [{ port: outbound, service: 'ext' }] });

    // Prometheus: its own port and storage, 1 s scrapes, targets from the zone's HTTP SD.
    const dir = env.tempDir('causeway-it-prometheus-');
    const port = await freePort();
    promUrl = `http://127.0.0.1:${port}`;
    const config = [
      'global:',
      '  scrape_interval: 1s',
      '  scrape_timeout: 1s',
      '  evaluation_interval: 1s',
      'scrape_configs:',
      '  - job_name: causeway-zone-1',
      '    http_sd_configs:',
      `      - url: ${zone1().cp.url}/prometheus/sd`,
      '        refresh_interval: 1s',
      '',
    ].join('\n');
    writeFileSync(join(dir, 'prometheus.yml'), config);
    const args = [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=info',
    ];
    const child = spawn(PROMETHEUS as string, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    prometheus = child;
    trackChild('prometheus', child);
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const record = (d: Buffer) => {
      promLog += d.toString();
    };
    child.stdout?.on('data', record);
    child.stderr?.on('data', record);
    env.onTeardown(async () => {
      writeFileSync(env.logFile('prometheus'), promLog);
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(t);
    });
    await eventually(
      async () => {
        if (child.exitCode !== null) throw new Error(`prometheus exited (${child.exitCode}):\n${promLog}`);
        const r = await fetch(`${promUrl}/-/ready`, { signal: AbortSignal.timeout(2000) });
        if (!r.ok) throw new Error(`/-/ready: ${r.status}`);
      },
      'prometheus ready',
      60_000,
      200,
    );
  });

  afterEach((ctx) => {
    if (ctx.task.result?.state === 'fail') console.error(`${ctx.task.name} failed; process logs:\n${env.dumpLogs()}\n----- prometheus -----\n${promLog.split('\n').slice(-40).join('\n')}`);
  });

  afterAll(async () => {
    await env.teardown();
  });

  it('the zone lists its three proxies with their admin addresses and labels', async () => {
    const res = await fetch(`${zone1().cp.url}/prometheus/sd`);
    expect(res.status).toBe(200);
    const groups = (await res.json()) as { targets: string[]; labels: Record<string, string> }[];
    const z = zone1();
    expect(groups).toEqual([
      { targets: [`127.0.0.1:${web.proxy.adminPort}`], labels: { __metrics_path__: '/metrics', zone: 'zone-1', proxy_type: 'sidecar', dataplane: 'web', mesh: 'default', service: 'web' } },
      { targets: [`127.0.0.1:${z.egress.adminPort}`], labels: { __metrics_path__: '/metrics', zone: 'zone-1', proxy_type: 'egress', dataplane: 'egress-1', service: 'zone-egress' } },
      { targets: [`127.0.0.1:${z.ingress.adminPort}`], labels: { __metrics_path__: '/metrics', zone: 'zone-1', proxy_type: 'ingress', dataplane: 'ingress-1', service: 'zone-ingress' } },
    ]);
  });

  it('Prometheus discovered the three proxies and scrapes them (up == 1)', async () => {
    const z = zone1();
    const expected = new Map([
      [`127.0.0.1:${web.proxy.adminPort}`, 'sidecar'],
      [`127.0.0.1:${z.egress.adminPort}`, 'egress'],
      [`127.0.0.1:${z.ingress.adminPort}`, 'ingress'],
    ]);
    const targets = await eventually(
      async () => {
        const data = await promGet<{ activeTargets: PromTarget[] }>('/api/v1/targets?state=active');
        const ours = data.activeTargets.filter((t) => t.labels.job === 'causeway-zone-1');
        const summary = ours.map((t) => `${t.labels.instance} ${t.health} ${t.lastError}`).join('; ');
        if (ours.length !== 3 || ours.some((t) => t.health !== 'up')) throw new Error(`targets: ${summary || 'none'}`);
        return ours;
      },
      'three targets up in prometheus',
      60_000,
      500,
    );
    for (const t of targets) {
      expect(t.labels.instance && expected.get(t.labels.instance)).toBe(t.labels.proxy_type);
      expect(t.scrapeUrl).toBe(`http://${t.labels.instance}/metrics`);
      expect(t.labels).toMatchObject({ zone: 'zone-1', job: 'causeway-zone-1' });
    }
    expect(targets.find((t) => t.labels.proxy_type === 'sidecar')?.labels).toMatchObject({ mesh: 'default', service: 'web', dataplane: 'web' });
    await eventually(
      async () => {
        const up = await query('up{job="causeway-zone-1"}');
        expect(up.map((s) => [s.metric.proxy_type, s.value[1]]).sort()).toEqual([
          ['egress', '1'],
          ['ingress', '1'],
          ['sidecar', '1'],
        ]);
      },
      'up == 1 for the three proxies',
      30_000,
      500,
    );
  });

  it("PromQL over the ExternalService's request counters returns the calls made", async () => {
    // the first call that answers: the config reached the sidecar and the egress
    await eventually(
      async () => {
        const r = await call(outbound, '/warm-up');
        if (r.status !== 200) throw new Error(`${r.status} ${r.body}`);
        ok++;
      },
      'a call through the sidecar and the egress',
      60_000,
      200,
    );
    const N = 7;
    for (let i = 0; i < N; i++) {
      const r = await call(outbound, `/call/${i}`);
      expect(r.status, r.body).toBe(200);
      ok++;
    }
    // every request the external service saw came from zone-1's egress
    expect(ext.peers()).toEqual(['prom-egress-1']);
    const reached = ext.requests.length;
    expect(reached).toBeGreaterThanOrEqual(ok);
    // The sidecar counts the calls answered 2xx on its cluster "ext"; the egress counts every request it
    // sent to the ExternalService ("default:ext"), which is what the external server received.
    const atSidecar = 'sum(envoy_cluster_upstream_rq_xx{job="causeway-zone-1",proxy_type="sidecar",service="web",envoy_cluster_name="ext",envoy_response_code_class="2"})';
    const atEgress = 'sum(envoy_cluster_upstream_rq_total{job="causeway-zone-1",proxy_type="egress",envoy_cluster_name="default:ext"})';
    await eventually(
      async () => {
        expect(await scalar(atSidecar)).toBe(ok);
        expect(await scalar(atEgress)).toBe(reached);
      },
      `prometheus: ${ok} calls at the sidecar, ${reached} requests from the egress`,
      30_000,
      500,
    );
    console.log(`[prometheus] ${atSidecar} = ${ok}; ${atEgress} = ${reached} (calls made: ${ok})`);
    // byte counters of a connection that is still open (the sidecar keeps its mTLS connection to the egress)
    await eventually(
      async () => {
        expect(await scalar('sum(envoy_cluster_upstream_cx_active{job="causeway-zone-1",proxy_type="sidecar",envoy_cluster_name="ext"})')).toBeGreaterThanOrEqual(1);
        expect(await scalar('sum(envoy_cluster_upstream_cx_tx_bytes_total{job="causeway-zone-1",proxy_type="sidecar",envoy_cluster_name="ext"})')).toBeGreaterThan(0);
      },
      'bytes of the open sidecar -> egress connection in prometheus',
      30_000,
      500,
    );
    expect(prometheus?.exitCode).toBeNull();
  });
});
