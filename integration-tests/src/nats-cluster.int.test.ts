/**
 * Issue 17, test (c): the control planes on a 3-node nats-server JetStream cluster on loopback (started
 * here, each node with the generated authorization and its own JetStream store; the routes between them
 * with a password of their own). Global runs with `--nats-kv-replicas 3` and all three URLs in
 * `--nats-url`, as do two zones (each on its own Postgres database).
 *
 * One node is killed with SIGKILL while 200 ExternalServices are applied at global: every apply global
 * acknowledged reaches both zones. How long that takes after the last acknowledged apply is reported;
 * the bound is generous (the machine is shared and loaded; the container suite records the same gap).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { Socket } from 'node:net';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { CausewayClient } from '@causeway/client';
import { decodeResource } from '@causeway/core';
import { generateNatsConfig, type GeneratedNatsConfig } from '@causeway/sync';
import { freePort } from '@causeway/sync/testing';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type ControlPlaneProcess, eventually, TestEnv, trackChild, zoneOverview } from './harness.js';

const ZONES = ['zone-1', 'zone-2'] as const;
const MESH = 'default';
const COUNT = 200;

function natsBinary(): string {
  for (const p of ['/usr/sbin/nats-server', '/usr/bin/nats-server', '/usr/local/bin/nats-server']) if (existsSync(p)) return p;
  return 'nats-server';
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = new Socket();
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
    s.connect(port, '127.0.0.1');
  });
}

/** One node of the cluster: its own client port, route port, config file and JetStream store. */
class NatsNode {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private output = '';

  constructor(
    readonly name: string,
    readonly port: number,
    private readonly confFile: string,
  ) {}

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  logs(): string {
    return this.output;
  }

  /** Spawns it; resolves once it listens for clients (JetStream may still be electing its leaders). */
  async start(): Promise<void> {
    const c = spawn(natsBinary(), ['-c', this.confFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = c;
    trackChild(this.name, c);
    const onData = (d: Buffer) => {
      this.output += d.toString();
      if (this.output.length > 2_000_000) this.output = this.output.slice(-1_000_000);
    };
    c.stdout?.on('data', onData);
    c.stderr?.on('data', onData);
    this.exited = new Promise((resolve) => {
      c.once('exit', (code, signal) => {
        this.output += `\n[${this.name} exited: code ${code} signal ${signal}]\n`;
        if (this.child === c) this.child = undefined;
        resolve();
      });
    });
    await eventually(
      async () => {
        if (!this.child) throw new Error(`${this.name} exited at start:\n${this.output}`);
        if (!/Server is ready/.test(this.output) || !(await canConnect(this.port))) throw new Error(`${this.name} not ready yet`);
      },
      `${this.name} ready`,
      30_000,
      50,
    );
  }

  /** SIGKILL (a crash) and wait. */
  async kill(): Promise<void> {
    const c = this.child;
    if (!c) return;
    c.kill('SIGKILL');
    await this.exited;
  }
}

/** Three nodes routed to each other, each with the generated client authorization. */
async function startNatsCluster(env: TestEnv, gen: GeneratedNatsConfig): Promise<NatsNode[]> {
  const ports = await Promise.all([1, 2, 3].map(async () => ({ client: await freePort(), route: await freePort() })));
  const routePassword = randomBytes(12).toString('hex');
  const routes = ports.map((p) => `"nats-route://route:${routePassword}@127.0.0.1:${p.route}"`).join(', ');
  const nodes = ports.map((p, i) => {
    const dir = env.tempDir(`causeway-it-nats-${i + 1}-`);
    const confFile = join(dir, 'nats-server.conf');
    writeFileSync(
      confFile,
      [
        `listen: "127.0.0.1:${p.client}"`,
        `server_name: "causeway-it-nats-${i + 1}"`,
        `jetstream { store_dir: ${JSON.stringify(join(dir, 'jetstream'))} }`,
        `cluster { name: "causeway-it", listen: "127.0.0.1:${p.route}", authorization { user: route, password: "${routePassword}" }, routes: [${routes}] }`,
        gen.config,
        '',
      ].join('\n'),
      { mode: 0o600 },
    );
    return new NatsNode(`nats-${i + 1}`, p.client, confFile);
  });
  env.onTeardown(async () => {
    await Promise.all(nodes.map((n) => n.kill()));
  });
  // Together: each waits for its routes, and JetStream needs a quorum of the three.
  await Promise.all(nodes.map((n) => n.start()));
  return nodes;
}

const externalService = (name: string): Record<string, unknown> => ({
  type: 'ExternalService',
  mesh: MESH,
  name,
  tags: { 'kuma.io/service': name, 'kuma.io/protocol': 'http' },
  networking: { address: `${name}.example.com:80` },
});

describe('a 3-node NATS cluster: one node killed mid-stream loses nothing (real processes)', () => {
  const env = new TestEnv();
  let gen: GeneratedNatsConfig;
  let nodes: NatsNode[];
  let global: ControlPlaneProcess;
  let api: CausewayClient;
  const zones: Record<string, CausewayClient> = {};

  beforeAll(async () => {
    gen = generateNatsConfig({ zones: [...ZONES] });
    nodes = await startNatsCluster(env, gen);
    const url = nodes.map((n) => n.url).join(',');
    global = env.controlPlane('nc-global', ['--mode', 'global', '--database-url', await env.database('causeway_it_nc_global'), '--nats-kv-replicas', '3'], { nats: { url, ...gen.global } });
    await global.start();
    api = global.client();
    const cps = await Promise.all(
      ZONES.map(async (z) => {
        const cred = gen.zones[z];
        if (!cred) throw new Error(z);
        const cp = env.controlPlane(`nc-${z}`, ['--mode', 'zone', '--zone', z, '--database-url', await env.database(`causeway_it_nc_${z.replace('-', '_')}`)], {
          home: env.tempDir(`causeway-it-nc-${z}-home-`),
          nats: { url, ...cred },
        });
        await cp.start();
        return [z, cp] as const;
      }),
    );
    for (const [z, cp] of cps) zones[z] = cp.client();
    for (const z of ZONES) await eventually(async () => expect((await zoneOverview(api, z))?.status).toBe('Online'), `${z} online at global`, 60_000);
    await api.put(decodeResource({ type: 'Mesh', name: MESH }));
    for (const z of ZONES) await eventually(() => zones[z]?.get('Mesh', undefined, MESH), `mesh in ${z}`, 30_000);
  }, 240_000);

  afterEach((ctx) => {
    if (ctx.task.result?.state === 'fail') console.error(`${ctx.task.name} failed; process logs:\n${env.dumpLogs()}\n${nodes?.map((n) => `----- ${n.name} -----\n${n.logs().split('\n').slice(-30).join('\n')}`).join('\n')}`);
  });

  afterAll(async () => {
    await env.teardown();
  }, 60_000);

  it('global creates the KV buckets with 3 replicas', async () => {
    const nc = await connect({ servers: nodes.map((n) => n.url), user: gen.global.user, pass: gen.global.password, inboxPrefix: gen.global.inboxPrefix });
    try {
      const jsm = await jetstreamManager(nc);
      for (const bucket of ['causeway-global', 'causeway-zones']) expect((await jsm.streams.info(`KV_${bucket}`)).config.num_replicas, bucket).toBe(3);
    } finally {
      await nc.close();
    }
  });

  it(`one node killed while ${COUNT} ExternalServices are applied at global: every acknowledged apply reaches both zones`, async () => {
    const applied: { name: string; at: number }[] = [];
    const refused: string[] = [];
    const applies = (async () => {
      for (let i = 0; i < COUNT; i++) {
        const name = `bulk-${i}`;
        try {
          await api.put(decodeResource(externalService(name)));
          applied.push({ name, at: Date.now() });
        } catch (e) {
          refused.push(`${name}: ${(e as Error).message}`);
        }
      }
    })();
    await eventually(() => expect(applied.length).toBeGreaterThanOrEqual(COUNT / 3), 'applies under way', 60_000, 50);
    const killed = nodes[0] as NatsNode;
    await killed.kill();
    const killedAfter = applied.length;
    await applies;
    const lastAck = Math.max(...applied.map((a) => a.at));
    const reached: Record<string, number> = {};
    for (const z of ZONES) {
      await eventually(
        async () => {
          const have = new Set((await zones[z]?.listAll('ExternalService', { mesh: MESH }))?.map((r) => r.name));
          expect(applied.filter((a) => !have.has(a.name)).map((a) => a.name)).toEqual([]);
        },
        `every acknowledged apply in ${z}`,
        Math.max(1000, lastAck + 120_000 - Date.now()),
        250,
      );
      reached[z] = Date.now() - lastAck;
    }
    console.log(
      `[nats cluster] ${killed.name} killed after ${killedAfter} applies; ${applied.length} acknowledged, ${refused.length} refused${refused.length > 0 ? ` (${refused.slice(0, 3).join('; ')})` : ''}; ` +
        `all acknowledged ones in zone-1 ${reached['zone-1']} ms and in zone-2 ${reached['zone-2']} ms after the last`,
    );
    // Global writes to its store first and publishes from there: a NATS node lost does not refuse applies.
    expect(refused).toEqual([]);
    expect(applied.length).toBe(COUNT);
  }, 300_000);
});
