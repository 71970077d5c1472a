/**
 * Issue 17, item 2 and test (b): a zone run by two `causeway-cp --mode zone` replicas on one Postgres
 * database, with real processes. Global and zone-1 run one control plane each; zone-2 runs replicas A and
 * B (started together: the first to write creates the zone's token signing key and xDS CA in the store,
 * the other reads them). zone-2's ZoneIngress, ZoneEgress and a sidecar run causeway-dp with
 * `--cp-address` listing both replicas, the leader first; their tokens were issued by that replica, so
 * the other accepting them after the failover shows the signing key is shared. zone-1 runs a ZoneEgress
 * and a sidecar (mesh `egress`: mTLS, routing through the zone egress). Before the kill, both replicas
 * list zone-2's three proxies for Prometheus (`GET /prometheus/sd`, issue 18), the follower from the store.
 *
 * The replica the proxies are connected to (the leader when they started) is killed with SIGKILL while
 * traffic flows over the cross-zone path (zone-1 sidecar -> zone-1 ZoneEgress -> zone-2 ZoneIngress ->
 * zone-2 ZoneEgress -> external) and inside zone-2. The proxies reconnect to the other replica with the tokens of the dead
 * one, that replica takes the `zone/zone-2` lease and syncs with global, and a change applied at global
 * afterwards reaches zone-2's sidecar (it answers through the new cluster). A call that fails is retried
 * (idempotent GETs, up to 3 times); failures after retries must be 0, first-attempt failures are reported.
 */
import { readFileSync } from 'node:fs';
import type { CausewayClient } from '@causeway/client';
import { decodeResource } from '@causeway/core';
import { freePort } from '@causeway/sync/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WorkerPool } from '../bench/workers.js';
import { type EchoBody, type FakeExternal, startHttpExternal } from './externals.js';
import {
  type AppReply,
  appGet,
  type ControlPlaneProcess,
  eventually,
  harnessProcesses,
  type Infrastructure,
  natsAccess,
  type ProxyProcess,
  startInfrastructure,
  startTestApp,
  TestEnv,
  zoneOverview,
} from './harness.js';

const ZONES = ['zone-1', 'zone-2'] as const;
/** Short, so the dead leader's lease expires quickly (renewed every second). */
const LEASE_TTL = '3s';
/** Simulated proxies next to the three real ones of zone-2 (issue #17 (b): 50 on the replica that is killed). */
const SIMULATED = 47;

type Doc = Record<string, unknown>;

interface Leader {
  leader: boolean;
  holder: string | null;
}

async function leaderOf(cp: ControlPlaneProcess): Promise<Leader> {
  const res = await fetch(`${cp.url}/leader`, { signal: AbortSignal.timeout(5000) });
  if (!res.ok) throw new Error(`${cp.name} /leader: ${res.status}`);
  return (await res.json()) as Leader;
}

/** A replica's `/metrics` value of a series without labels, or of `causeway_leader{job}`. */
async function cpMetric(cp: ControlPlaneProcess, series: string): Promise<number> {
  const text = await (await fetch(`${cp.url}/metrics`, { signal: AbortSignal.timeout(5000) })).text();
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  if (!line) throw new Error(`no ${series} in ${cp.name}'s /metrics`);
  return Number(line.slice(series.length + 1));
}

function externalService(mesh: string, name: string, address: string, zone?: string): Doc {
  return { type: 'ExternalService', mesh, name, tags: { 'kuma.io/service': name, 'kuma.io/protocol': 'http', ...(zone ? { 'kuma.io/zone': zone } : {}) }, networking: { address } };
}

function echo(reply: AppReply): EchoBody {
  if (reply.status !== 200) throw new Error(`expected 200, got ${reply.status} ${reply.error ?? reply.body}`);
  return JSON.parse(reply.body) as EchoBody;
}

describe('zone replicas: two control planes for one zone, the proxies fail over (real processes)', () => {
  const env = new TestEnv();
  let infra: Infrastructure;
  let global: ControlPlaneProcess;
  let api: CausewayClient;
  let zone1: ControlPlaneProcess;
  const replicas: ControlPlaneProcess[] = [];
  const proxies = {} as Record<'egress1' | 'app1' | 'ingress2' | 'egress2' | 'app2', ProxyProcess>;
  const externals: FakeExternal[] = [];
  /** The simulated proxies' worker process. */
  const pool = new WorkerPool(() => {});
  /** The zone-2 replica the proxies connect to (the leader when they started), and the other. */
  let first: ControlPlaneProcess;
  let second: ControlPlaneProcess;

  /** zone-2's replicas, the leader first: exactly one leads and the other names it. */
  const roles = async (): Promise<ControlPlaneProcess[]> => {
    const [a, b] = await Promise.all(replicas.map(leaderOf));
    expect([a?.leader, b?.leader].filter(Boolean)).toHaveLength(1);
    expect(a?.holder).toBe(b?.holder);
    return a?.leader ? replicas : [...replicas].reverse();
  };
  const apply = async (...docs: Doc[]) => {
    for (const d of docs) await api.put(decodeResource(d));
  };
  const http = async (name: string) => {
    const e = await startHttpExternal(name, harnessProcesses);
    externals.push(e);
    return e;
  };
  const until200 = (proxy: ProxyProcess, url: string, what: string, timeoutMs = 45_000) =>
    eventually(
      async () => {
        const r = await appGet(proxy, url, { timeoutMs: 5000 });
        if (r.status !== 200) throw new Error(`${r.status} ${r.error ?? r.body}`);
        return r;
      },
      what,
      timeoutMs,
      100,
    );
  const sidecar = async (zone: ControlPlaneProcess, others: ControlPlaneProcess[], mesh: string, name: string, address: string) => {
    const app = await startTestApp(env, name);
    const resource = {
      type: 'Dataplane',
      mesh,
      name,
      networking: { address, inbound: [{ port: await freePort(), servicePort: app.port, tags: { 'kuma.io/service': name, 'kuma.io/protocol': 'http' } }] },
    };
    return env.proxy(name, { mode: 'sidecar', zone, replicas: others, resource });
  };
  const zoneProxy = async (zone: ControlPlaneProcess, others: ControlPlaneProcess[], mode: 'ingress' | 'egress', name: string) =>
    env.proxy(`zr-${name}`, { mode, zone, replicas: others, resource: { type: mode === 'ingress' ? 'ZoneIngress' : 'ZoneEgress', name, networking: { address: '127.0.0.1', port: await freePort() } } });

  beforeAll(async () => {
    infra = await startInfrastructure(env, ZONES);
    global = env.controlPlane('zr-global', ['--mode', 'global', '--database-url', await infra.database('causeway_it_zr_global')], { nats: natsAccess(infra, 'global') });
    await global.start();
    api = global.client();
    zone1 = env.controlPlane('zr-zone-1', ['--mode', 'zone', '--zone', 'zone-1', '--database-url', await infra.database('causeway_it_zr_zone_1'), '--vip-cidr', '127.241.0.0/16'], {
      home: env.tempDir('causeway-it-zr-zone-1-home-'),
      nats: natsAccess(infra, 'zone-1'),
    });
    const db2 = await infra.database('causeway_it_zr_zone_2');
    for (const r of ['a', 'b']) {
      replicas.push(
        env.controlPlane(`zr-zone-2-${r}`, ['--mode', 'zone', '--zone', 'zone-2', '--database-url', db2, '--vip-cidr', '127.242.0.0/16', '--leader-lease-ttl', LEASE_TTL], {
          home: env.tempDir(`causeway-it-zr-zone-2-${r}-home-`),
          nats: natsAccess(infra, 'zone-2'),
        }),
      );
    }
    await Promise.all([zone1.start(), ...replicas.map((r) => r.start())]);
    for (const z of ZONES) await eventually(async () => expect((await zoneOverview(api, z))?.status).toBe('Online'), `${z} online at global`, 30_000);

    [first, second] = (await roles()) as [ControlPlaneProcess, ControlPlaneProcess];

    const mtls = { enabledBackend: 'ca-1', backends: [{ name: 'ca-1', type: 'builtin' }] };
    await apply(
      { type: 'Mesh', name: 'egress', mtls, routing: { zoneEgress: true }, networking: { outbound: { passthrough: false } } },
      { type: 'Mesh', name: 'local' },
      { type: 'MeshTrafficPermission', mesh: 'egress', name: 'allow-all', spec: { targetRef: { kind: 'Mesh' }, from: [{ targetRef: { kind: 'Mesh' }, default: { action: 'Allow' } }] } },
    );
    for (const cp of [zone1, first]) await eventually(() => cp.client().get('Secret', 'egress', 'egress.ca-builtin-cert-ca-1'), `egress mesh CA in ${cp.name}`, 30_000);
    await eventually(() => first.client().get('Mesh', undefined, 'local'), 'mesh local in zone-2', 30_000);

    proxies.egress1 = await zoneProxy(zone1, [], 'egress', 'egress-1');
    proxies.app1 = await sidecar(zone1, [], 'egress', 'zr-app-1', '127.0.1.1');
    // zone-2's proxies list the leader first (they connect to it), then the follower.
    proxies.ingress2 = await zoneProxy(first, [second], 'ingress', 'ingress-2');
    proxies.egress2 = await zoneProxy(first, [second], 'egress', 'egress-2');
    proxies.app2 = await sidecar(first, [second], 'local', 'zr-app-2', '127.0.2.1');
    await Promise.all(Object.values(proxies).map((p) => p.start(45_000)));
  }, 240_000);

  afterEach((ctx) => {
    if (ctx.task.result?.state === 'fail') console.error(`${ctx.task.name} failed; process logs:\n${env.dumpLogs()}\n----- nats-server -----\n${infra?.natsLogs().split('\n').slice(-30).join('\n')}`);
  });

  afterAll(async () => {
    await pool.stop();
    await Promise.all(externals.map((e) => e.close()));
    await env.teardown();
  }, 60_000);

  it('the replicas share the zone keys and one leader runs the zone sync (GET /leader, GET /, causeway_leader)', async () => {
    // One CA for the ADS port: each replica wrote the store's certificate to its own CA file.
    expect(readFileSync(second.xdsCaFile, 'utf8')).toBe(readFileSync(first.xdsCaFile, 'utf8'));
    // One leader (on a loaded machine it may have moved since the start: a renewal that answers late).
    await eventually(
      async () => {
        const [leader, follower] = (await roles()) as [ControlPlaneProcess, ControlPlaneProcess];
        expect(await cpMetric(leader, 'causeway_leader{job="zone-sync"}')).toBe(1);
        expect(await cpMetric(follower, 'causeway_leader{job="zone-sync"}')).toBe(0);
        expect((await leader.index()).global).toMatchObject({ connected: true });
        expect((await follower.index()).global).toMatchObject({ connected: false, reason: expect.stringContaining('not the leader') });
      },
      'one leader runs the zone sync',
      30_000,
    );
    // Every zone-2 proxy is on the first replica's ADS server.
    expect(await cpMetric(first, 'causeway_xds_streams')).toBeGreaterThanOrEqual(3);
    expect(await cpMetric(second, 'causeway_xds_streams')).toBe(0);
    // The heartbeat counts the zone's proxies on every replica (ingress-2, egress-2, zr-app-2), whichever leads.
    await eventually(
      async () => expect((await global.client().get('ZoneInsight', undefined, 'zone-2'))?.spec).toMatchObject({ connectedProxies: 3 }),
      "zone-2's heartbeat at global counts its 3 proxies",
      30_000,
    );
  });

  it("both replicas list zone-2's proxies for Prometheus (GET /prometheus/sd), the one without their streams too", async () => {
    const sd = async (cp: ControlPlaneProcess) => {
      const res = await fetch(`${cp.url}/prometheus/sd`);
      expect(res.status).toBe(200);
      return ((await res.json()) as { targets: string[]; labels: Record<string, string> }[]).map((g) => `${g.labels.proxy_type} ${g.labels.dataplane} ${g.targets.join(',')}`);
    };
    const expected = [
      `sidecar zr-app-2 127.0.0.1:${proxies.app2.adminPort}`,
      `egress egress-2 127.0.0.1:${proxies.egress2.adminPort}`,
      `ingress ingress-2 127.0.0.1:${proxies.ingress2.adminPort}`,
    ];
    expect(await sd(first)).toEqual(expected);
    // the other replica has no stream of them: it lists them from the store they share
    expect(await cpMetric(second, 'causeway_xds_streams')).toBe(0);
    expect(await sd(second)).toEqual(expected);
  });

  it('(b) the replica the proxies are connected to is killed: they reconnect to the other, ACK a new config, and retried calls do not fail', async () => {
    const [cross, local, later] = await Promise.all([http('zr-cross'), http('zr-local'), http('zr-later')]);
    await apply(externalService('egress', 'zr-cross', cross.address, 'zone-2'), externalService('local', 'zr-local', local.address));
    await until200(proxies.app1, 'http://zr-cross.mesh/', 'the cross-zone path');
    await until200(proxies.app2, 'http://zr-local.mesh/', 'zr-local in zone-2');
    const vipBefore = await proxies.app2.resolve('zr-local.mesh');

    // Traffic all along, each call retried up to 3 times (GETs are idempotent).
    const results: { at: number; what: string; attempts: number; ok: boolean; errors: string[] }[] = [];
    let traffic = true;
    const call = async (what: string, proxy: ProxyProcess, url: string) => {
      const errors: string[] = [];
      for (let attempt = 1; attempt <= 4; attempt++) {
        const r = await appGet(proxy, url, { timeoutMs: 5000 });
        if (r.status === 200) return results.push({ at: Date.now(), what, attempts: attempt, ok: true, errors });
        errors.push(`${r.status} ${r.error ?? r.body.slice(0, 80)}`);
        await new Promise((res) => setTimeout(res, 200));
      }
      return results.push({ at: Date.now(), what, attempts: 4, ok: false, errors });
    };
    const loop = (async () => {
      for (let n = 0; traffic; n++) {
        await Promise.all([call('cross-zone', proxies.app1, `http://zr-cross.mesh/t/${n}`), call('zone-2', proxies.app2, `http://zr-local.mesh/t/${n}`)]);
        await new Promise((res) => setTimeout(res, 50));
      }
    })();

    // 47 more proxies, causeway-dp's own ADS client in a worker process (as the pipeline benchmark runs
    // them), listing both replicas: 50 proxies on the first replica.
    const plans = await Promise.all(
      Array.from({ length: SIMULATED }, async (_, i) => {
        const name = `zr-sim-${i}`;
        const service = `zr-sim-${i % 5}`;
        const resource = { type: 'Dataplane', mesh: 'local', name, networking: { address: `127.0.3.${i + 1}`, inbound: [{ port: 20_000 + i, servicePort: 1, tags: { 'kuma.io/service': service } }] } };
        return {
          name,
          kind: 'sidecar' as const,
          target: [first.xdsAddress, second.xdsAddress],
          caFile: first.xdsCaFile,
          token: await first.dataplaneToken('local', name, { 'kuma.io/service': [service] }),
          node: { id: `local.${name}`, cluster: service, metadata: { 'dataplane.resource': JSON.stringify(resource) }, user_agent_name: 'causeway-dp' },
        };
      }),
    );
    const worker = pool.add('zr-sim-proxies', 'zone-2');
    await worker.ready();
    worker.start('delta', { initialMs: 100, maxMs: 1000 }, plans);
    await eventually(async () => expect((await pool.stats()).connected).toBe(SIMULATED), 'the simulated proxies are connected', 60_000, 200);
    await eventually(async () => expect(await cpMetric(first, 'causeway_xds_streams')).toBeGreaterThanOrEqual(SIMULATED + 3), '50 proxies on the first replica', 30_000, 200);
    // Every update a proxy applies (and ACKs) from here on: the kill comes 200 ms later.
    const since = performance.timeOrigin + performance.now() + 100;
    const acked = await pool.watch({ kind: 'update-since', since }, 'all');

    await new Promise((r) => setTimeout(r, 200));
    const zone2Proxies = [proxies.ingress2, proxies.egress2, proxies.app2];
    await first.kill();
    const killedAt = Date.now();
    // The 47: on the other replica, each has applied and ACKed a config from it within 5 s (issue #17 (b)).
    await eventually(async () => expect(acked.reached).toBe(SIMULATED), 'the simulated proxies ACKed a config of the other replica', 60_000, 100);
    const ackedMs = Math.max(...acked.times) - killedAt;
    expect((await pool.stats()).nacks).toBe(0);

    // Each proxy is on the other replica again (the same tokens, the same CA).
    for (const p of zone2Proxies) {
      await eventually(async () => expect((await p.metrics()).get('envoy_control_plane_connected_state')).toBe(1), `${p.name} reconnected`, 60_000, 100);
    }
    await eventually(async () => expect(await cpMetric(second, 'causeway_xds_streams')).toBeGreaterThanOrEqual(3), 'the proxies on the other replica', 30_000);
    const reconnectedMs = Date.now() - killedAt;
    await eventually(async () => expect(await leaderOf(second)).toMatchObject({ leader: true }), 'the other replica leads', 30_000);
    const leadsMs = Date.now() - killedAt;

    // A change at global reaches zone-2 through the new leader's sync, and its sidecar ACKs and uses it.
    await apply(externalService('local', 'zr-later', later.address));
    const appliedAt = Date.now();
    const reply = await until200(proxies.app2, 'http://zr-later.mesh/', 'zr-later in zone-2 after the failover', 60_000);
    expect(echo(reply)).toMatchObject({ server: 'zr-later', peer: 'zr-app-2' });
    const newConfigMs = Date.now() - appliedAt;
    // The VIPs are derived from the store, so the other replica gives the same address.
    expect(await proxies.app2.resolve('zr-local.mesh')).toBe(vipBefore);
    await eventually(async () => expect((await zoneOverview(api, 'zone-2'))?.status).toBe('Online'), 'zone-2 online at global', 30_000);

    await new Promise((r) => setTimeout(r, 1000));
    traffic = false;
    await loop;
    const after = results.filter((r) => r.at > killedAt);
    const failed = results.filter((r) => !r.ok);
    const retried = results.filter((r) => r.attempts > 1);
    console.log(
      `[zone replicas] 47 simulated proxies ACKed a config of the other replica ${Math.round(ackedMs)} ms after the kill; ` +
        `proxies on the other replica ${reconnectedMs} ms after the kill, it led ${leadsMs} ms after; a change applied at global answered in zone-2 ${newConfigMs} ms later; ` +
        `${results.length} calls (${after.length} after the kill), ${retried.length} needed a retry, ${failed.length} failed after retries` +
        (retried.length > 0 ? `; first errors: ${JSON.stringify(retried.slice(0, 3).map((r) => r.errors))}` : ''),
    );
    expect(failed).toEqual([]);
    expect(ackedMs).toBeLessThan(5000);
    expect(after.filter((r) => r.what === 'cross-zone').length).toBeGreaterThanOrEqual(10);
    expect(after.filter((r) => r.what === 'zone-2').length).toBeGreaterThanOrEqual(10);
    expect(cross.peers().every((p) => p === 'zr-egress-2')).toBe(true);
    expect(local.peers().every((p) => p === 'zr-app-2')).toBe(true);
  });
});
