/** Starts the dataplane from a parsed Config: proxy, admin port, and the xDS client or a static bootstrap. */
import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { parse as parseYaml } from 'yaml';
import { DefaultAccessLogger } from './access-log.js';
import { AdminServer } from './admin.js';
import { type Config, ConfigurationError } from './config.js';
import { DataplaneProxy } from './proxy.js';
import { XdsClient, type XdsNode } from './xds/client.js';

export const VERSION = '0.1.0';

const RESOURCE_TYPE = { sidecar: 'Dataplane', ingress: 'ZoneIngress', egress: 'ZoneEgress' } as const;

/** The node a proxy sends on its first xDS request (see packages/xds/SUBSET.md, "Registration"). */
export function buildNode(config: Config, readFile: (p: string) => string): XdsNode {
  const type = RESOURCE_TYPE[config.mode];
  let resource: Record<string, unknown> | undefined;
  if (config.dataplaneFile) {
    let doc: unknown;
    try {
      doc = parseYaml(readFile(config.dataplaneFile));
    } catch (e) {
      throw new ConfigurationError(`--dataplane-file ${config.dataplaneFile}: ${(e as Error).message.split('\n')[0]}`);
    }
    if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw new ConfigurationError(`--dataplane-file ${config.dataplaneFile}: must hold one resource (a YAML or JSON map)`);
    resource = doc as Record<string, unknown>;
    if (resource.type !== type) throw new ConfigurationError(`--dataplane-file ${config.dataplaneFile}: --mode ${config.mode} needs a ${type}, the file has type ${JSON.stringify(resource.type)}`);
    if (typeof resource.name !== 'string' || !resource.name) throw new ConfigurationError(`--dataplane-file ${config.dataplaneFile}: name is required`);
    if (type === 'Dataplane' && (typeof resource.mesh !== 'string' || !resource.mesh)) throw new ConfigurationError(`--dataplane-file ${config.dataplaneFile}: mesh is required`);
  }
  const name = (resource?.name as string | undefined) ?? (config.name as string);
  const mesh = (resource?.mesh as string | undefined) ?? config.mesh;
  const id = type === 'Dataplane' ? `${mesh}.${name}` : name;
  let cluster: string = type === 'ZoneIngress' ? 'zone-ingress' : type === 'ZoneEgress' ? 'zone-egress' : name;
  const inbound = ((resource?.networking as { inbound?: { tags?: Record<string, string> }[] } | undefined)?.inbound ?? [])[0];
  const svc = inbound?.tags?.['kuma.io/service'];
  if (svc) cluster = svc;
  const metadata: Record<string, unknown> = {};
  if (resource) metadata['dataplane.resource'] = JSON.stringify(resource);
  return { id, cluster, metadata, user_agent_name: 'causeway-dp', user_agent_version: VERSION };
}

/**
 * The node metadata that tells the zone where the admin port (and its Prometheus `/metrics`) listens, with
 * Kuma's keys: `dataplane.admin.port` and `dataplane.admin.address` (the bound address; a wildcard
 * such as 0.0.0.0 makes the zone use the resource's `networking.address`).
 */
export function adminMetadata(address: string, port: number): Record<string, string> {
  return { 'dataplane.admin.port': String(port), 'dataplane.admin.address': address };
}

export interface Dataplane {
  proxy: DataplaneProxy;
  admin: AdminServer;
  xds: XdsClient | undefined;
  close(): Promise<void>;
}

export interface StartOptions {
  readFile?: (path: string) => string;
  /** upstream resolvers of the builtin DNS (tests) */
  dnsUpstreams?: () => string[];
}

export async function startDataplane(config: Config, log: Logger, opts: StartOptions = {}): Promise<Dataplane> {
  const readFile = opts.readFile ?? ((p: string) => readFileSync(p, 'utf8'));
  const proxy = new DataplaneProxy({
    log: log.child({ component: 'proxy' }),
    accessLog: DefaultAccessLogger.open(config.accessLog),
    dnsPort: config.dnsPort,
    ...(opts.dnsUpstreams ? { dnsUpstreams: opts.dnsUpstreams } : {}),
  });
  let node: XdsNode = { id: config.name ?? 'static', cluster: config.mode, metadata: {} };
  let xds: XdsClient | undefined;
  let connectXds: (() => XdsClient) | undefined;
  if (config.cpAddress) {
    node = buildNode(config, readFile);
    const urls = config.cpAddress.split(',').map((a) => new URL(a));
    const tls = urls[0]?.protocol === 'grpcs:';
    let ca: Buffer | undefined;
    let token: string | undefined;
    try {
      ca = tls && config.caCertFile ? Buffer.from(readFile(config.caCertFile)) : undefined;
      token = config.dataplaneTokenFile ? readFile(config.dataplaneTokenFile).trim() : undefined;
    } catch (e) {
      throw new ConfigurationError((e as Error).message);
    }
    const xdsNode = node;
    connectXds = () => new XdsClient({ target: urls.map((u) => u.host), ca, token, node: xdsNode, proxy, protocol: config.xdsProtocol, log: log.child({ component: 'xds' }) });
  }
  if (config.bootstrap) {
    let doc: { static_resources?: Parameters<DataplaneProxy['loadStatic']>[0]; node?: XdsNode };
    try {
      doc = parseYaml(readFile(config.bootstrap)) as typeof doc;
    } catch (e) {
      throw new ConfigurationError(`--bootstrap ${config.bootstrap}: ${(e as Error).message.split('\n')[0]}`);
    }
    if (doc?.node && !config.cpAddress) node = { ...node, ...doc.node };
    await proxy.loadStatic(doc?.static_resources ?? {});
  }
  const admin = new AdminServer(proxy, { node: () => ({ ...node, metadata: redactNode(node.metadata) }), xdsState: () => ({ ...(xds?.status ?? {}) }) }, log.child({ component: 'admin' }));
  await admin.listen(config.adminAddress, config.adminPort);
  if (connectXds) {
    // where /metrics listens (the bound port: --admin-port 0 picks one), for the zone's Prometheus discovery
    Object.assign(node.metadata, adminMetadata(config.adminAddress, admin.port ?? config.adminPort));
    xds = connectXds();
  }
  xds?.start();
  log.info({ mode: config.mode, node: node.id, admin: admin.port, cp: config.cpAddress }, 'causeway-dp started');
  return {
    proxy,
    admin,
    xds,
    async close() {
      xds?.stop();
      await admin.close();
      await proxy.close();
    },
  };
}

function redactNode(m: Record<string, unknown>): Record<string, unknown> {
  const out = { ...m };
  if ('dataplane.token' in out) out['dataplane.token'] = '[redacted]';
  return out;
}
