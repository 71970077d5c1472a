/**
 * Issue 17, replicated global control planes, with real processes: two `causeway-cp --mode global`
 * replicas on one Postgres database and one nats-server, two zones. Each replica reaches Postgres through
 * its own TCP proxy run by this test, so a replica's database connection can be cut.
 *
 * (a) 200 applies spread over both replicas; the leader is killed with SIGKILL in the middle: every
 *     acknowledged apply reaches both zones, and the other replica leads within 5 s.
 * (d) the leader's database connection is cut: it stops acting as leader (its /leader says false, its sync
 *     and jobs stop) BEFORE its lease expires, and the other replica takes over.
 *
 * The tests run in order and build on each other's state.
 */
import { copyFileSync } from 'node:fs';
import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';
import type { CausewayClient } from '@causeway/client';
import type { Resource } from '@causeway/core';
import { type GeneratedNatsConfig, generateNatsConfig } from '@causeway/sync';
import { type NatsServer, startNatsServer } from '@causeway/sync/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type ControlPlaneProcess, eventually, TestEnv } from './harness.js';

const ZONES = ['zone-1', 'zone-2'] as const;
/** Short, so a dead leader's lease expires quickly: renewed every ~0.67 s, the leader stops 0.4 s before expiry. */
const LEASE_TTL_MS = 2000;

interface Leader {
  leader: boolean;
  holder: string | null;
  since: string | null;
  expires: string | null;
}

/** A TCP proxy to Postgres that the test can cut: closed, it refuses new connections and drops open ones. */
class CuttableProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  port = 0;

  constructor(
    private readonly host: string,
    private readonly targetPort: number,
  ) {}

  async open(): Promise<void> {
    const server = createServer((client) => {
      const upstream = tcpConnect(this.targetPort, this.host);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream);
      upstream.pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as { port: number }).port;
    this.server = server;
  }

  /** Refuses new connections and destroys every open one (both sides). */
  async cut(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

async function leaderOf(cp: ControlPlaneProcess): Promise<Leader> {
  const res = await fetch(`${cp.url}/leader`, { signal: AbortSignal.timeout(5000) });
  if (!res.ok) throw new Error(`${cp.name} /leader: ${res.status}`);
  return (await res.json()) as Leader;
}

/** `causeway_leader{job="..."}` in a replica's /metrics. */
async function leaderMetric(cp: ControlPlaneProcess, job: string): Promise<number> {
  const text = await (await fetch(`${cp.url}/metrics`, { signal: AbortSignal.timeout(5000) })).text();
  const m = new RegExp(`^causeway_leader\\{job="${job}"\\} (\\d+)$`, 'm').exec(text);
  if (!m) throw new Error(`no causeway_leader{job="${job}"} in ${cp.name}'s /metrics`);
  return Number(m[1]);
}

const externalService = (name: string): Resource => ({
  type: 'ExternalService',
  mesh: 'default',
  name,
  labels: {},
  spec: { tags: { 'kuma.io/service': name, 'kuma.io/protocol': 'http' }, networking: { address: `${name}.example.com:443` } },
  version: 0,
});

describe('replicated global control planes: a leader lease in Postgres (real processes)', () => {
  const env = new TestEnv();
  let nats: NatsServer;
  let gen: GeneratedNatsConfig;
  const globals: ControlPlaneProcess[] = [];
  const proxies: CuttableProxy[] = [];
  const zones: Record<string, { cp: ControlPlaneProcess; api: CausewayClient }> = {};

  /** The replica that leads now, and the other one (both must answer, and agree). */
  const roles = async (): Promise<{ leader: ControlPlaneProcess; follower: ControlPlaneProcess }> => {
    const [a, b] = await Promise.all(globals.map(leaderOf));
    if (!a || !b) throw new Error('two replicas expected');
    expect([a.leader, b.leader].filter(Boolean), 'exactly one leader').toHaveLength(1);
    expect(a.holder).toBe(b.holder);
    return a.leader ? { leader: globals[0]!, follower: globals[1]! } : { leader: globals[1]!, follower: globals[0]! };
  };

  /** Every name reaches both zones. */
  const reachesZones = async (names: readonly string[], what: string) => {
    await eventually(
      async () => {
        for (const z of ZONES) {
          const have = new Set((await zones[z]!.api.listAll('ExternalService', { mesh: 'default' })).map((r) => r.name));
          const missing = names.filter((n) => !have.has(n));
          expect(missing, `${z} is missing ${missing.length} of ${names.length}`).toEqual([]);
        }
      },
      what,
      90_000,
      500,
    );
  };

  beforeAll(async () => {
    gen = generateNatsConfig({ zones: [...ZONES] });
    nats = await startNatsServer({ config: gen.config });
    env.onTeardown(() => nats.dispose());
    const db = new URL(await env.database('causeway_it_replicas'));
    for (let i = 0; i < 2; i++) {
      const proxy = new CuttableProxy(db.hostname, Number(db.port || 5432));
      await proxy.open();
      env.onTeardown(() => proxy.cut());
      proxies.push(proxy);
      const viaProxy = new URL(db);
      viaProxy.hostname = '127.0.0.1';
      viaProxy.port = String(proxy.port);
      globals.push(
        env.controlPlane(`global-${i + 1}`, ['--mode', 'global', '--database-url', viaProxy.toString(), '--leader-lease-ttl', `${LEASE_TTL_MS}ms`], {
          nats: { url: nats.url, ...gen.global },
        }),
      );
    }
    // One admin token for both replicas (an operator gives them the same token file).
    await globals[0]!.start();
    copyFileSync(globals[0]!.tokenFile, globals[1]!.tokenFile);
    await globals[1]!.start();
    for (const z of ZONES) {
      const cred = gen.zones[z];
      if (!cred) throw new Error(z);
      const cp = env.controlPlane(z, ['--mode', 'zone', '--zone', z, '--database-url', await env.database(`causeway_it_replicas_${z.replace('-', '_')}`)], {
        home: env.tempDir(`causeway-it-replicas-${z}-home-`),
        nats: { url: nats.url, ...cred },
      });
      zones[z] = { cp, api: undefined as unknown as CausewayClient };
    }
    await Promise.all(ZONES.map((z) => zones[z]!.cp.start()));
    for (const z of ZONES) zones[z]!.api = zones[z]!.cp.client();
  });

  afterEach((ctx) => {
    if (ctx.task.result?.state === 'fail') console.error(`${ctx.task.name} failed; process logs:\n${env.dumpLogs()}`);
  });

  afterAll(async () => {
    await env.teardown();
  });

  it('has exactly one leader, which runs the global jobs; GET /leader, GET / and causeway_leader agree', async () => {
    const { leader, follower } = await eventually(roles, 'one leader', 20_000);
    const l = await leaderOf(leader);
    expect(l.holder).toBe((await leader.index()).instanceId);
    expect(Date.parse(l.expires as string)).toBeGreaterThan(Date.parse(l.since as string));
    await eventually(async () => {
      expect(await leaderMetric(leader, 'global-sync')).toBe(1);
      expect(await leaderMetric(leader, 'mesh-ca')).toBe(1);
      expect(((await leader.index()).sync as { connected: boolean }).connected).toBe(true);
    }, 'the leader runs the sync');
    expect(await leaderMetric(follower, 'global-sync')).toBe(0);
    expect(await leaderMetric(follower, 'mesh-ca')).toBe(0);
    const idx = await follower.index();
    expect(idx.leader).toMatchObject({ leader: false, holder: l.holder });
    expect(idx.sync).toMatchObject({ enabled: true, connected: false, reason: expect.stringContaining('not the leader') });
  });

  it('(a) every apply acknowledged by either replica reaches both zones when the leader is killed mid-stream; leadership moves within 5 s', async () => {
    const { leader, follower } = await roles();
    await globals[0]!.client().put({ type: 'Mesh', name: 'default', labels: {}, spec: {}, version: 0 });
    const clients = new Map(globals.map((g) => [g, g.client()]));
    const acknowledged: string[] = [];
    const failed: { name: string; via: string; error: string }[] = [];
    let killedAt = 0;
    let next = 0;
    const worker = async () => {
      for (;;) {
        const i = next++;
        if (i >= 200) return;
        if (i === 100 && killedAt === 0) {
          killedAt = performance.now();
          await leader.kill(); // SIGKILL
        }
        const via = globals[i % 2]!;
        const name = `es-${String(i).padStart(3, '0')}`;
        try {
          await clients.get(via)!.put(externalService(name));
          acknowledged.push(name);
        } catch (e) {
          failed.push({ name, via: via.name, error: (e as Error).message });
        }
      }
    };
    await Promise.all([worker(), worker(), worker(), worker()]);
    expect(killedAt).toBeGreaterThan(0);

    // The survivor takes the lease once the dead leader's expires.
    const moved = await eventually(
      async () => {
        const l = await leaderOf(follower);
        expect(l.leader).toBe(true);
        return performance.now();
      },
      'the other replica leads',
      30_000,
      50,
    );
    const takeoverMs = Math.round(moved - killedAt);
    console.log(`[replicas] leadership moved ${takeoverMs} ms after SIGKILL (lease ttl ${LEASE_TTL_MS} ms); ${acknowledged.length} of 200 applies acknowledged, ${failed.length} failed (sent to the killed replica)`);
    expect(takeoverMs).toBeLessThan(5000);
    // Everything sent to the survivor was acknowledged; only the dead one's share failed: half of the last
    // 100, and what the 4 workers had in flight to it when it was killed.
    expect(failed.every((f) => f.via === leader.name)).toBe(true);
    expect(acknowledged.length).toBeGreaterThanOrEqual(150 - 4);

    await reachesZones(acknowledged, 'every acknowledged apply at both zones');
    expect(await leaderMetric(follower, 'global-sync')).toBe(1);
  });

  it('(d) a leader whose database connection is cut steps down before its lease expires, and the other takes over', async () => {
    // Bring the killed replica back as a follower.
    const dead = globals.find((g) => !g.running);
    if (dead) await dead.start();
    const { leader, follower } = await eventually(roles, 'one leader again', 20_000);
    const before = await leaderOf(leader);
    const proxy = proxies[globals.indexOf(leader)]!;

    const cutAt = performance.now();
    await proxy.cut();
    // The leader keeps answering /leader (no database needed): it must say false on its own.
    const downAt = await eventually(
      async () => {
        expect((await leaderOf(leader)).leader).toBe(false);
        return performance.now();
      },
      'the cut-off leader steps down',
      15_000,
      25,
    );
    const upAt = await eventually(
      async () => {
        expect((await leaderOf(follower)).leader).toBe(true);
        return performance.now();
      },
      'the other replica leads',
      30_000,
      25,
    );
    console.log(`[replicas] cut-off leader stepped down ${Math.round(downAt - cutAt)} ms after the cut; the other led ${Math.round(upAt - cutAt)} ms after it`);
    // Never two leaders: the old one stopped before the new one could start (which is after its lease
    // expired), and within about one ttl of the cut (its last renewal was sent before the cut; generous
    // bound for a loaded machine).
    expect(downAt).toBeLessThan(upAt);
    expect(downAt - cutAt).toBeLessThan(LEASE_TTL_MS + 1000);
    const after = await leaderOf(follower);
    expect(after.holder).not.toBe(before.holder);
    expect(Date.parse(after.since as string)).toBeGreaterThanOrEqual(Date.parse(before.expires as string));
    // Its jobs are stopped: no sync, no mesh CA reconciler.
    expect(await leaderMetric(leader, 'global-sync')).toBe(0);
    expect(await leaderMetric(leader, 'mesh-ca')).toBe(0);
    expect(((await leader.index()).sync as { connected: boolean; reason?: string }).reason).toContain('not the leader');
    // The new leader syncs: a write reaches the zones.
    await follower.client().put(externalService('after-the-cut'));
    await reachesZones(['after-the-cut'], 'a write after the cut at both zones');
    // Its stepping down was logged with the reason.
    expect(leader.logs()).toMatch(/stepped down: not leading/);
  });
});
