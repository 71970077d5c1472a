/**
 * Starts a control plane (global or zone) from a validated Config: store, admin token, multi-zone sync
 * over NATS (when --nats-url is set), REST API. Returns a handle whose close() drains everything; main.ts
 * wires it to signals.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { homedir, hostname } from 'node:os';
import { join } from 'node:path';
import { buildApi } from '@causeway/api';
import { guiRoutes } from '@causeway/gui';
import { DEFAULT_LEASE_TTL_MS, type LeaderLease, type LeaderStatus, openStore, startLeaderLease } from '@causeway/store';
import { type GlobalSync, InspectRequester, InspectResponder, type NatsOptions, startGlobalSync, startZoneSync, type ZoneSync } from '@causeway/sync';
import type { Logger } from 'pino';
import { connectedProxies } from './connected-proxies.js';
import { type Config, configView } from './config.js';
import { type LeaderJob, LeaderJobs, replicaInstanceId } from './leader.js';
import { startMeshCaReconciler } from './mesh-ca.js';
import { loadOrCreateAdminToken } from './private-files.js';
import { prometheusSdRoutes } from './prometheus-sd.js';
import { TrafficInsightsCollector, type TrafficInsightsStats, trafficInsightsMetrics } from './traffic-insights/index.js';
import { startXds, type XdsServer, xdsMetrics } from './xds.js';
import { xdsApiRoutes } from './xds-api.js';
import { inspectForwardRoutes } from './inspect-forward.js';
import { ensureGlobalZoneTokenKey, globalZoneTokenRoutes } from './zone-tokens.js';

export const VERSION: string = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

export interface ControlPlane {
  /** Base URL of the API, e.g. http://127.0.0.1:5681 */
  apiUrl: string;
  adminTokenFile: string;
  /** Zone mode: the ADS port and the CA file proxies trust. */
  xds?: { port: number; caFile: string };
  close(): Promise<void>;
}

/** NATS connection options from the config (the creds file is read here: packages get its contents). */
export function natsOptions(config: Config, readFile: (path: string) => string = (p) => readFileSync(p, 'utf8')): NatsOptions | undefined {
  if (!config.natsUrl) return undefined;
  const servers = config.natsUrl.split(',').map((s) => s.trim());
  if (config.natsCreds) {
    let creds: string;
    try {
      creds = readFile(config.natsCreds);
    } catch (e) {
      throw new Error(`cannot read the NATS creds file ${config.natsCreds}: ${(e as Error).message}`);
    }
    return { servers, creds };
  }
  if (config.natsUser) return { servers, user: config.natsUser, ...(config.natsPassword ? { password: config.natsPassword } : {}) };
  return { servers };
}

export function defaultAdminTokenFile(config: Config): string {
  if (config.adminTokenFile) return config.adminTokenFile;
  if (config.dataDir) return join(config.dataDir, 'admin-token');
  return join(homedir(), '.causeway', config.mode === 'zone' ? `zone-${config.zone}-admin-token` : 'global-admin-token');
}

export async function startControlPlane(config: Config, logger: Logger): Promise<ControlPlane> {
  const instanceId = replicaInstanceId(hostname());
  const log = logger.child({ mode: config.mode, ...(config.zone ? { zone: config.zone } : {}) });
  if (config.dataDir) mkdirSync(join(config.dataDir, 'db'), { recursive: true, mode: 0o700 });
  const store = await openStore({
    ...(config.databaseUrl ? { url: config.databaseUrl } : {}),
    ...(config.dataDir ? { dataDir: join(config.dataDir, 'db') } : {}),
    logger: log.child({ component: 'store' }),
  });
  log.info({ backend: store.backend, persistent: store.backend === 'postgres' || !!config.dataDir }, 'store opened');

  const nats = natsOptions(config);
  const syncLog = log.child({ component: 'sync' });
  let globalSync: GlobalSync | undefined;
  let zoneSync: ZoneSync | undefined;
  const noNats =
    config.mode === 'global'
      ? 'no --nats-url configured: running without zones (multi-zone sync is off)'
      : 'no --nats-url configured: no connection to global; serving the local copy of global resources (read-only)';
  if (!nats && config.mode === 'global') syncLog.info(noNats);
  else if (!nats) syncLog.warn(noNats);

  // Any number of replicas share one database (global's, or a zone's). The jobs only one may do run on
  // the replica that holds the leader lease ('global', or 'zone/<zone>'):
  // - global: the sync (publishing and reconciling causeway-global, applying causeway-zones, the consumer
  //   sweep) and the mesh CA reconciler. A new leader's sync starts with a full reconcile.
  // - zone: the whole zone sync — publishing the zone's resources and its heartbeat to causeway-zones, and
  //   applying causeway-global into the zone's store. The store is shared, so every replica serves what the
  //   leader applies (change feed); a new leader replays causeway-global and resyncs the zone's prefix.
  const jobs: LeaderJob[] = [];
  const leaderLog = log.child({ component: 'leader' });
  if (config.mode === 'global') {
    if (nats) {
      jobs.push({
        name: 'global-sync',
        start: async () => {
          const sync = await startGlobalSync({ store, nats, logger: syncLog, ...(config.natsKvReplicas ? { replicas: config.natsKvReplicas } : {}) });
          globalSync = sync;
          return {
            close: async () => {
              if (globalSync === sync) globalSync = undefined;
              await sync.close();
            },
          };
        },
      });
    }
    // Creates the builtin CA of every mesh that enables mTLS (stored as Secrets, synced to zones).
    const caLog = log.child({ component: 'mesh-ca' });
    jobs.push({
      name: 'mesh-ca',
      start: async () => {
        const ca = startMeshCaReconciler({ store, logger: caLog });
        ca.ready.catch((e: unknown) => caLog.error({ err: (e as Error).message }, 'the mesh CA reconciler could not start: no mesh CA is created until this replica leads again'));
        return ca;
      },
    });
  } else if (nats && config.zone) {
    const zone = config.zone;
    jobs.push({
      name: 'zone-sync',
      start: async () => {
        // The heartbeat reports the proxies connected to any replica of the zone (connected-proxies.ts).
        const sync = await startZoneSync({ store, zone, nats, logger: syncLog, version: VERSION, connectedProxies: () => connectedProxies(store, zone) });
        zoneSync = sync;
        return {
          close: async () => {
            if (zoneSync === sync) zoneSync = undefined;
            await sync.close();
          },
        };
      },
    });
  }
  // Zone mode, with or without NATS: the traffic insights (the leader scrapes the zone's proxies and
  // writes ExternalServiceInsights to the shared store; the zone sync publishes them to global).
  let insightStats: (() => TrafficInsightsStats | undefined) | undefined;
  if (config.mode === 'zone' && config.zone) {
    const zone = config.zone;
    const insightsLog = log.child({ component: 'traffic-insights' });
    let current: TrafficInsightsCollector | undefined;
    insightStats = () => current?.stats;
    jobs.push({
      name: 'traffic-insights',
      start: async () => {
        const collector = new TrafficInsightsCollector({ store, zone, logger: insightsLog, ...(config.trafficInsightsInterval ? { intervalMs: config.trafficInsightsInterval } : {}) });
        current = collector;
        collector.start();
        return {
          close: async () => {
            if (current === collector) current = undefined;
            await collector.close();
          },
        };
      },
    });
  }
  const leaderJobs = new LeaderJobs(jobs, leaderLog);
  const ttlMs = config.leaderLeaseTtl ?? DEFAULT_LEASE_TTL_MS;
  const natsGate = new NatsGate(ttlMs, () => globalSync?.status() ?? zoneSync?.status());
  const lease: LeaderLease = startLeaderLease({
    leases: store.leases,
    name: config.mode === 'global' ? 'global' : `zone/${config.zone}`,
    holder: instanceId,
    ttlMs,
    ...(nats ? { blocker: () => natsGate.blocked() } : {}),
    onChange: leaderJobs.lead.bind(leaderJobs),
    logger: leaderLog,
  });
  // A sole replica leads before it serves; a follower knows who leads.
  await lease.settled();
  const leaderStatus = (): LeaderStatus => lease.status();
  const status = (): Record<string, unknown> => {
    const leader = leaderStatus();
    if (config.mode === 'global') {
      if (!nats) return { leader, sync: { enabled: false, reason: noNats } };
      const sync = globalSync ? { enabled: true, ...globalSync.status() } : { enabled: true, connected: false, reason: `not the leader: the leader replica (${leader.holder ?? 'none yet'}) syncs with the zones` };
      return { leader, sync };
    }
    if (!nats) return { leader, global: { connected: false, reason: noNats } };
    const global = zoneSync
      ? zoneSync.status()
      : { connected: false, reason: `not the leader: the leader replica (${leader.holder ?? 'none yet'}) syncs with global; this replica serves what it applies to the zone's store` };
    return { leader, global };
  };

  const adminTokenFile = defaultAdminTokenFile(config);
  const { token, created } = loadOrCreateAdminToken(adminTokenFile);
  if (created) log.info({ adminTokenFile }, 'created a new admin token (file mode 0600); use it with: causeway config control-planes add --auth-token-file');

  // Global mode: the zone-token signing key (created once in the store) and its public key as a GlobalSecret
  // the sync copies to every zone, which accepts the zone tokens global issues (zone-tokens.ts).
  if (config.mode === 'global') await ensureGlobalZoneTokenKey(store, log.child({ component: 'zone-tokens' }));

  // Zone mode: xDS for the zone's proxies (signing key and ADS CA next to the admin token).
  let xds: XdsServer | undefined;
  if (config.mode === 'zone' && config.zone) {
    const dir = config.dataDir ?? join(homedir(), '.causeway', `zone-${config.zone}`);
    xds = await startXds({
      store,
      zone: config.zone,
      dir,
      address: config.xdsAddress,
      port: config.xdsPort,
      serverNames: config.xdsServerNames,
      logger: log,
      instanceId,
      vipCidr: config.vipCidr,
      allowUntaggedDataplaneTokens: config.allowUntaggedDataplaneTokens,
      dataplaneStatusFlushMs: config.dataplaneStatusFlushInterval,
      sendWindowBytes: config.xdsSendWindowMb === undefined ? undefined : config.xdsSendWindowMb * 1024 * 1024,
    });
  }

  const api = await buildApi({
    store,
    mode: config.mode,
    ...(config.zone ? { zone: config.zone } : {}),
    adminToken: token,
    config: configView(config),
    logger: log.child({ component: 'api' }),
    version: VERSION,
    instanceId,
    status,
    metrics: [...(xds ? xdsMetrics(xds.stats) : []), ...leaderJobs.metrics(), ...(insightStats ? trafficInsightsMetrics(insightStats) : [])],
    leader: leaderStatus,
  });
  if (xds) await api.register(xdsApiRoutes, { xds: xds.zone, zone: config.zone as string, signingKeyPem: xds.signingKeyPem, adminToken: token });
  // Prometheus HTTP service discovery of the zone's proxies, from the store (every replica lists them all)
  if (xds) await api.register(prometheusSdRoutes, { store, zone: config.zone as string });
  // Global's reads of the zones' proxies, over NATS (@causeway/sync inspect.ts): every replica of each side
  // keeps a connection for it; a zone replica answers what it can (a config dump: where the proxy is connected).
  let inspectResponder: InspectResponder | undefined;
  let inspectRequester: InspectRequester | undefined;
  if (nats && config.mode === 'zone' && config.zone) {
    inspectResponder = new InspectResponder({
      nats,
      zone: config.zone,
      logger: log.child({ component: 'inspect' }),
      handle: async (req) => {
        const res = await api.inject({ method: 'GET', url: req.url, headers: { authorization: `Bearer ${token}` } });
        if (res.statusCode === 404 && /\/(xds|_config)(\?|$)/.test(req.url)) return undefined;
        return { status: res.statusCode, contentType: String(res.headers['content-type'] ?? 'application/json'), body: res.body };
      },
    });
  }
  if (config.mode === 'global') {
    if (nats) inspectRequester = new InspectRequester({ nats, logger: log.child({ component: 'inspect' }) });
    await api.register(inspectForwardRoutes, { store, adminToken: token, requester: inspectRequester });
    await api.register(globalZoneTokenRoutes, { store, logger: log.child({ component: 'zone-tokens' }) });
  }
  // The web GUI (packages/gui) at /gui, the same app on global and zones (read-only: it only sends GETs).
  await api.register(guiRoutes);
  const address = await api.listen({ port: config.apiPort, host: config.apiAddress });
  const port = (api.server.address() as { port: number }).port;
  const apiUrl = `http://${config.apiAddress === '0.0.0.0' ? '127.0.0.1' : config.apiAddress}:${port}`;
  log.info({ address, apiUrl, gui: `${apiUrl}/gui/` }, `${config.mode} control plane ready`);

  let closing: Promise<void> | undefined;
  return {
    apiUrl,
    adminTokenFile,
    ...(xds ? { xds: { port: xds.port, caFile: xds.caFile } } : {}),
    close() {
      closing ??= (async () => {
        log.info('draining');
        await api.close();
        await inspectResponder?.close();
        await inspectRequester?.close();
        await xds?.close();
        // The leader jobs stop (the sync drains NATS, pending publishes flushed), then the lease is
        // released, so another replica takes over at its next attempt. Before the store closes.
        await leaderJobs.close();
        await lease.close();
        await store.close();
        log.info('stopped');
      })();
      return closing;
    },
  };
}

/**
 * With NATS: a leader whose NATS connection stays down longer than the lease's ttl steps down
 * (and releases the lease) so a replica that reaches NATS leads; it does not take the lease again for
 * two ttls. A replica that is not leading has no sync, so nothing to judge: it may take the lease.
 */
class NatsGate {
  private downSince: number | undefined;
  private blockedUntil = 0;

  constructor(
    private readonly ttlMs: number,
    private readonly sync: () => { connected: boolean; reason?: string } | undefined,
  ) {}

  blocked(): string | undefined {
    const now = performance.now();
    if (now < this.blockedUntil) return 'NATS was unreachable while leading: letting a replica that reaches it lead';
    const s = this.sync();
    if (!s || s.connected) {
      this.downSince = undefined;
      return undefined;
    }
    this.downSince ??= now;
    if (now - this.downSince < this.ttlMs) return undefined;
    this.downSince = undefined;
    this.blockedUntil = now + 2 * this.ttlMs;
    return `NATS unreachable for ${this.ttlMs} ms while leading (${s.reason ?? 'disconnected'})`;
  }
}
