/**
 * The multi-zone topology in containers (the local images of deploy/docker), each zone on its own
 * network, the way deploy/compose runs it: a 3-node NATS JetStream cluster and Postgres + global on "wan";
 * per zone a control plane (zone network + wan), a ZoneIngress (zone network + wan, advertised on wan), a
 * ZoneEgress (zone network + wan); a demo app with its sidecar in zone-1; the external service's stand-in
 * on zone-2's network only. No address is fixed: a proxy's resource is written into its container once
 * its addresses are known (its entrypoint waits for the file). The test process reaches the APIs and the
 * proxies' admin endpoints through published ports, and calls from the app's container with `exec`.
 */
import { randomBytes } from 'node:crypto';
import { generateNatsConfig } from '@causeway/sync';
import { GenericContainer, getContainerRuntimeClient, Network, type StartedNetwork, type StartedTestContainer, Wait } from 'testcontainers';
import { eventually, Metrics } from '../harness.js';
import { IMAGES } from './engine.js';

export const ZONES = ['zone-1', 'zone-2'] as const;
export type ZoneName = (typeof ZONES)[number];

const API = 5681;
const XDS = 5678;
const ADMIN = 9901;
const NATS_URL = 'nats://nats-1:4222,nats://nats-2:4222,nats://nats-3:4222';

/** A causeway-dp container: its admin endpoint through a published port. */
export class ProxyContainer {
  /** `adminUrl`: its admin endpoint through the port published by its container (a sidecar's: its app's). */
  constructor(
    readonly name: string,
    readonly container: StartedTestContainer,
    private readonly adminUrl: string,
  ) {}

  /** Its address on each network it is attached to (by the topology's network names). */
  readonly addresses = new Map<string, string>();

  admin(path: string): Promise<Response> {
    return fetch(`${this.adminUrl}${path}`, { signal: AbortSignal.timeout(5000) });
  }

  async metrics(): Promise<Metrics> {
    return new Metrics(await (await this.admin('/metrics')).text());
  }

  /** `/clusters`: the hosts of a cluster, e.g. ['10.0.3.4:10002']. */
  async hostsOf(cluster: string): Promise<string[]> {
    const text = await (await this.admin('/clusters')).text();
    const hosts = new Set<string>();
    for (const line of text.split('\n')) {
      const m = /^(.+?)::(\S+?)::priority::/.exec(line);
      if (m && m[1] === cluster) hosts.add(m[2] as string);
    }
    return [...hosts];
  }
}

export interface ControlPlaneContainer {
  name: string;
  container: StartedTestContainer;
  /** Through the published API port (it may change when the container is stopped and started: restart()). */
  apiUrl: string;
  adminToken: string;
}

function expect200(res: Response): void {
  if (res.status !== 200) throw new Error(`${res.url}: ${res.status}`);
}

export class ContainerTopology {
  readonly networks = new Map<string, StartedNetwork>();
  readonly nats: StartedTestContainer[] = [];
  readonly zones = new Map<ZoneName, ControlPlaneContainer>();
  readonly proxies = new Map<string, ProxyContainer>();
  global!: ControlPlaneContainer;
  web!: StartedTestContainer;
  httpbin!: StartedTestContainer;
  /** The stand-in's address on zone-2's network (the ExternalService's address). */
  httpbinAddress = '';
  private readonly started: { name: string; container: StartedTestContainer }[] = [];
  private readonly natsConfig = generateNatsConfig({ zones: [...ZONES] });

  network(name: string): StartedNetwork {
    const n = this.networks.get(name);
    if (!n) throw new Error(`no network ${name}`);
    return n;
  }

  async start(): Promise<void> {
    for (const name of ['wan', ...ZONES]) this.networks.set(name, await new Network().start());
    await this.startNats();
    await this.track(
      'postgres',
      new GenericContainer(IMAGES.postgres)
        .withNetwork(this.network('wan'))
        .withNetworkAliases('postgres')
        .withWaitStrategy(Wait.forLogMessage(/database system is ready to accept connections/))
        .withStartupTimeout(120_000)
        .start(),
    );
    this.global = await this.controlPlane('global', ['--mode', 'global', '--database-url', 'postgres://postgres@postgres:5432/postgres', '--nats-kv-replicas', '3'], this.natsConfig.global, []);
    for (const zone of ZONES) {
      const cred = this.natsConfig.zones[zone];
      if (!cred) throw new Error(`no NATS credentials for ${zone}`);
      this.zones.set(zone, await this.controlPlane(`${zone}-cp`, ['--mode', 'zone', '--zone', zone, '--data-dir', '/data'], cred, [zone]));
    }
  }

  private async startNats(): Promise<void> {
    const routePassword = randomBytes(16).toString('hex');
    const routes = [1, 2, 3].map((i) => `"nats-route://route:${routePassword}@nats-${i}:6222"`).join(', ');
    const config = (i: number) =>
      [
        `server_name: nats-${i}`,
        'listen: 0.0.0.0:4222',
        'jetstream { store_dir: /data }',
        `cluster { name: causeway, listen: 0.0.0.0:6222, authorization { user: route, password: "${routePassword}" }, routes: [${routes}] }`,
        this.natsConfig.config,
        '',
      ].join('\n');
    // Started together: each waits for its routes, and JetStream needs a quorum.
    const nodes = await Promise.all([1, 2, 3].map((i) => this.track(`nats-${i}`, this.natsNode(i, config(i)).start())));
    this.nats.push(...nodes);
  }

  /** A NATS node (not started). */
  private natsNode(i: number, config: string): GenericContainer {
    return new GenericContainer(IMAGES.nats)
      .withNetwork(this.network('wan'))
      .withNetworkAliases(`nats-${i}`)
      .withHostname(`nats-${i}`)
      .withCopyContentToContainer([{ content: config, target: '/etc/nats.conf' }])
      .withCommand(['-c', '/etc/nats.conf'])
      .withWaitStrategy(Wait.forLogMessage(/Server is ready/))
      .withStartupTimeout(60_000);
  }

  private async controlPlane(name: string, args: string[], nats: { user: string; password: string }, zoneNetworks: string[]): Promise<ControlPlaneContainer> {
    const main = zoneNetworks[0] ?? 'wan';
    const container = await this.track(
      name,
      new GenericContainer(IMAGES.causeway)
        .withNetwork(this.network(main))
        .withNetworkAliases(name)
        .withHostname(name) // the zone's xDS certificate names its host name: proxies dial grpcs://NAME:5678
        .withEnvironment({ CAUSEWAY_NATS_USER: nats.user, CAUSEWAY_NATS_PASSWORD: nats.password })
        .withCommand(['causeway-cp', 'run', ...args, '--admin-token-file', '/home/causeway/admin-token', '--nats-url', NATS_URL])
        .withExposedPorts(API)
        .withWaitStrategy(Wait.forLogMessage(/Server listening at/))
        .withStartupTimeout(240_000)
        .start(),
    );
    if (main !== 'wan') await this.connect(container, 'wan', [name]);
    const apiUrl = `http://${container.getHost()}:${await this.hostPort(container, API)}`;
    await eventually(async () => expect200(await fetch(`${apiUrl}/ready`)), `${name} ready`, 240_000, 500);
    const adminToken = (await container.exec(['cat', '/home/causeway/admin-token'])).output.trim();
    return { name, container, apiUrl, adminToken };
  }

  /** Stops a control plane's container and starts it again after `whileDown`; its state (the container's /data) stays. */
  async stopAndStart(cp: ControlPlaneContainer, whileDown: () => Promise<void>): Promise<void> {
    const client = await getContainerRuntimeClient();
    const handle = client.container.getById(cp.container.getId());
    await handle.stop({ t: 10 });
    try {
      await whileDown();
    } finally {
      await handle.start();
    }
    // A published port gets a new host port on start.
    cp.apiUrl = `http://${cp.container.getHost()}:${await this.hostPort(cp.container, API)}`;
  }

  /** Attaches a running container to another of the topology's networks. */
  async connect(container: StartedTestContainer, network: string, aliases: string[] = []): Promise<void> {
    const client = await getContainerRuntimeClient();
    const n = client.network.getById(this.network(network).getId());
    await client.container.connectToNetwork(client.container.getById(container.getId()), n, aliases);
  }

  /**
   * Registers a started container for stop() and takes it off the engine's default bridge: testcontainers
   * attaches a container with network aliases to it too (this engine's API cannot give aliases at
   * creation), and a shared network would undo the zones' separation.
   */
  private async track(name: string, p: Promise<StartedTestContainer>): Promise<StartedTestContainer> {
    const c = await p;
    this.started.push({ name, container: c });
    const client = await getContainerRuntimeClient();
    const bridge = (await client.container.inspect(client.container.getById(c.getId()))).NetworkSettings.Networks.bridge;
    if (bridge) await client.network.getById(bridge.NetworkID).disconnect({ Container: c.getId(), Force: true });
    return c;
  }

  /**
   * The host port published for a container port, from the engine (IPv4): testcontainers' getMappedPort
   * may answer the IPv6 binding's port, which this engine numbers differently.
   */
  async hostPort(container: StartedTestContainer, port: number): Promise<string> {
    const client = await getContainerRuntimeClient();
    const ports = (await client.container.inspect(client.container.getById(container.getId()))).NetworkSettings.Ports;
    const host = ports[`${port}/tcp`]?.find((b) => b.HostIp === '0.0.0.0' || b.HostIp === '127.0.0.1')?.HostPort;
    if (!host) throw new Error(`port ${port} of ${container.getName()} is not published on IPv4 (${JSON.stringify(ports)})`);
    return host;
  }

  /** The last lines of every container's log (printed when a test fails). */
  async logs(lines = 30): Promise<string> {
    const client = await getContainerRuntimeClient();
    const out: string[] = [];
    for (const { name, container } of this.started) {
      const buf = (await client.container
        .getById(container.getId())
        .logs({ stdout: true, stderr: true, tail: lines, follow: false })
        .catch((e: Error) => Buffer.from(e.message))) as unknown as Buffer;
      // The engine multiplexes stdout and stderr with an 8-byte header per frame.
      out.push(`----- ${name} -----\n${buf.toString('utf8').replace(/[\x00-\x08\x0e-\x1f]/g, '')}`);
    }
    return out.join('\n');
  }

  /** POSTs to a control plane's API with its admin token; returns the body. */
  async post(cp: ControlPlaneContainer, path: string, body: unknown): Promise<string> {
    const res = await fetch(`${cp.apiUrl}${path}`, { method: 'POST', headers: { authorization: `Bearer ${cp.adminToken}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const text = await res.text();
    if (!res.ok) throw new Error(`POST ${path} at ${cp.name}: ${res.status} ${text}`);
    return text;
  }

  /** GETs JSON from a control plane's API (admin token). */
  async get<T>(cp: ControlPlaneContainer, path: string): Promise<{ status: number; body: T }> {
    const res = await fetch(`${cp.apiUrl}${path}`, { headers: { authorization: `Bearer ${cp.adminToken}` }, signal: AbortSignal.timeout(10_000) });
    return { status: res.status, body: (await res.json().catch(() => undefined)) as T };
  }

  /** PUT of a resource at global (Kuma's paths). */
  async put(path: string, resource: Record<string, unknown>): Promise<number> {
    const res = await fetch(`${this.global.apiUrl}${path}`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${this.global.adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify(resource),
    });
    await res.arrayBuffer();
    return res.status;
  }

  async delete(path: string): Promise<number> {
    const res = await fetch(`${this.global.apiUrl}${path}`, { method: 'DELETE', headers: { authorization: `Bearer ${this.global.adminToken}` } });
    await res.arrayBuffer();
    return res.status;
  }

  /**
   * A causeway-dp container. Its resource is written once its addresses are known: `resource(addressOn)`
   * gets the container's address on each network.
   */
  async proxy(
    name: string,
    zone: ZoneName,
    mode: 'ingress' | 'egress' | 'sidecar',
    token: string,
    networks: string[],
    resource: (addressOn: (network: string) => string) => Record<string, unknown>,
    networkMode?: string,
  ): Promise<ProxyContainer> {
    const cp = this.zones.get(zone);
    if (!cp) throw new Error(`no control plane for ${zone}`);
    const ca = (await cp.container.exec(['cat', '/data/xds-ca.pem'])).output;
    let builder = new GenericContainer(IMAGES.causeway)
      .withCopyContentToContainer([
        { content: token, target: '/home/causeway/token', mode: 0o644 },
        { content: ca, target: '/home/causeway/xds-ca.pem', mode: 0o644 },
      ])
      .withEntrypoint(['/usr/bin/tini', '--', '/bin/sh', '-c', 'echo "waiting for /tmp/proxy.json"; while [ ! -s /tmp/proxy.json ]; do sleep 0.1; done; exec causeway-dp "$@"', 'causeway-dp'])
      // Started once the file is there: until then it only waits (and listens on nothing).
      .withWaitStrategy(Wait.forLogMessage(/waiting for \/tmp\/proxy\.json/))
      .withCommand(['run', '--mode', mode, '--cp-address', `grpcs://${cp.name}:${XDS}`, '--ca-cert-file', '/home/causeway/xds-ca.pem', '--dataplane-file', '/tmp/proxy.json', '--dataplane-token-file', '/home/causeway/token', '--admin-address', '0.0.0.0'])
      .withEnvironment({ CAUSEWAY_HEALTHCHECK_URL: `http://127.0.0.1:${ADMIN}/ready` });
    if (networkMode) builder = builder.withNetworkMode(networkMode);
    else builder = builder.withNetwork(this.network(networks[0] as string)).withExposedPorts(ADMIN);
    const container = await this.track(name, builder.start());
    for (const n of networks.slice(1)) await this.connect(container, n);
    // Its addresses as the engine reports them now (networks connected after the start included).
    const owner = networkMode ? this.web : container;
    const client = await getContainerRuntimeClient();
    const ips = (await client.container.inspect(client.container.getById(owner.getId()))).NetworkSettings.Networks;
    const adminPort = await this.hostPort(owner, ADMIN);
    const addressOn = (network: string) => {
      const ip = ips[this.network(network).getName()]?.IPAddress;
      if (!ip) throw new Error(`${name} has no address on ${network}`);
      return ip;
    };
    await container.copyContentToContainer([{ content: JSON.stringify(resource(addressOn)), target: '/tmp/proxy.json', mode: 0o644 }]);
    const proxy = new ProxyContainer(name, container, `http://${owner.getHost()}:${adminPort}`);
    for (const n of networkMode ? ['zone-1'] : networks) proxy.addresses.set(n, addressOn(n));
    this.proxies.set(name, proxy);
    return proxy;
  }

  /** The demo app (zone-1) and the stand-in (zone-2 only). */
  async startApps(): Promise<void> {
    this.web = await this.track(
      'web',
      new GenericContainer(IMAGES.demoApp).withNetwork(this.network('zone-1')).withEnvironment({ APP_NAME: 'web' }).withExposedPorts(ADMIN).withWaitStrategy(Wait.forLogMessage(/listening/)).start(),
    );
    this.httpbin = await this.track(
      'httpbin',
      new GenericContainer(IMAGES.demoApp).withNetwork(this.network('zone-2')).withEnvironment({ APP_NAME: 'httpbin-stand-in' }).withWaitStrategy(Wait.forLogMessage(/listening/)).start(),
    );
    this.httpbinAddress = `${this.httpbin.getIpAddress(this.network('zone-2').getName())}:8080`;
  }

  /** Runs curl in the demo app's container (the sidecar shares its network namespace). */
  async curl(args: string[]): Promise<{ exitCode: number; output: string }> {
    const r = await this.web.exec(['curl', '-s', '-m', '5', ...args]);
    return { exitCode: r.exitCode, output: r.output };
  }

  /** Removes every container and network it started (newest first). */
  async stop(): Promise<void> {
    for (const { container } of this.started.reverse()) await container.stop({ remove: true, removeVolumes: true }).catch(() => undefined);
    for (const n of this.networks.values()) await n.stop().catch(() => undefined);
  }
}
