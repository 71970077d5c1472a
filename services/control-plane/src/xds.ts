/**
 * Zone mode: the xDS side of causeway-cp. Reads the zone's token signing key and the CA of the ADS port
 * from the zone's store (created once by the first replica: shared-keys.ts), issues this replica's ADS
 * server certificate, and starts the zone's xDS controller and ADS server. Proxies trust
 * `<dir>/xds-ca.pem` (logged at start), the same CA on every replica.
 */
import { mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { isIP } from 'node:net';
import { issueCertificate } from '@causeway/pki';
import type { ResourceStore } from '@causeway/store';
import type { MetricSource } from '@causeway/api';
import { AdsServer, type AdsStats, adsCredentials, DEFAULT_VIP_CIDR, XdsZone } from '@causeway/xds';
import type { Logger } from 'pino';
import { sharedSigningKey, sharedXdsCa, signingKeyName, xdsCaName } from './shared-keys.js';
import { zoneTokenVerifier } from './zone-tokens.js';

export interface XdsServer {
  zone: XdsZone;
  port: number;
  caFile: string;
  signingKeyPem: string;
  /** The ADS server's counters (streams, responses, ACK/NACK, how streams ended). */
  stats(): AdsStats;
  close(): Promise<void>;
}

/** The xDS server's metrics for `/metrics`. */
export function xdsMetrics(stats: () => AdsStats): MetricSource[] {
  return [
    { name: 'causeway_xds_streams', help: 'ADS streams open (connected proxies and streams being admitted)', type: 'gauge', read: () => stats().streams },
    { name: 'causeway_xds_responses_total', help: 'DiscoveryResponses sent', type: 'counter', read: () => stats().responsesSent },
    { name: 'causeway_xds_acks_total', help: 'DiscoveryResponses the proxies ACKed', type: 'counter', read: () => stats().acks },
    { name: 'causeway_xds_nacks_total', help: 'DiscoveryResponses the proxies rejected (NACK)', type: 'counter', read: () => stats().nacks },
    {
      name: 'causeway_xds_streams_ended_total',
      help: 'ADS streams ended, by how: ended (by the proxy), dropped (cancelled or broken under a connected proxy), refused (token, metadata), failed (server error)',
      type: 'counter',
      labelNames: ['reason'],
      read: () => Object.entries(stats().streamsEnded).map(([reason, n]): [Record<string, string>, number] => [{ reason }, n]),
    },
    {
      name: 'causeway_xds_send_window_bytes',
      help: 'Bytes of DiscoveryResponses handed to gRPC and not yet written out to the proxies (bounded by the send window)',
      type: 'gauge',
      read: () => stats().sendWindowBytes,
    },
    { name: 'causeway_xds_streams_waiting_to_send', help: 'ADS streams whose responses wait for room in the send window', type: 'gauge', read: () => stats().streamsWaitingToSend },
  ];
}

export interface XdsOptions {
  store: ResourceStore;
  zone: string;
  /** Where the files of the signing key and the ADS CA live (the data dir, or ~/.causeway/zone-<zone>); the store holds the shared copy. */
  dir: string;
  address: string;
  port: number;
  /** Names and IPs proxies dial the ADS server by (`--xds-server-names`), added to its certificate. */
  serverNames?: readonly string[] | undefined;
  logger: Logger;
  instanceId: string;
  /** VIP range of the zone's builtin DNS (default: the xds package's 127.241.0.0/16). */
  vipCidr?: string | undefined;
  /** Accept dataplane tokens issued without kuma.io/service tags (`--allow-untagged-dataplane-tokens`). */
  allowUntaggedDataplaneTokens?: boolean | undefined;
  /** How often a proxy's response/ACK counters are written to its DataplaneInsight, ms (default 10 s). */
  dataplaneStatusFlushMs?: number | undefined;
  /** Bytes of responses in flight to all proxies together (`--xds-send-window-mb`; default the xds package's 16 MiB). */
  sendWindowBytes?: number | undefined;
}

export async function startXds(opts: XdsOptions): Promise<XdsServer> {
  const log = opts.logger;
  mkdirSync(opts.dir, { recursive: true, mode: 0o700 });
  // Shared by every replica of the zone through its store (shared-keys.ts).
  const { keyPem: signingKeyPem, origin: keyOrigin } = await sharedSigningKey(opts.store, opts.zone, opts.dir, log);
  if (keyOrigin !== 'store') log.info({ key: signingKeyName(opts.zone) }, keyOrigin === 'created' ? 'created the zone token signing key (in the store)' : 'imported the zone token signing key file into the store');
  const { ca, caFile, origin: caOrigin } = await sharedXdsCa(opts.store, opts.zone, opts.dir, log);
  if (caOrigin !== 'store') log.info({ key: xdsCaName(opts.zone) }, caOrigin === 'created' ? 'created the zone xDS CA (in the store)' : 'imported the zone xDS CA files into the store');
  // A fresh server certificate each start (1 year), for the names proxies may dial: loopback, this host's
  // name, the bound address, and --xds-server-names (a load balancer's or service's name, a public IP).
  const ips = ['127.0.0.1', '::1'];
  const dnsNames = ['localhost', hostname()];
  for (const name of [opts.address, ...(opts.serverNames ?? [])]) {
    if (name !== '0.0.0.0' && name !== '::') (isIP(name) ? ips : dnsNames).push(name);
  }
  const now = Date.now();
  const serverCert = await issueCertificate(ca, {
    commonName: `causeway-cp zone ${opts.zone}`,
    dnsNames: [...new Set(dnsNames)],
    ips: [...new Set(ips)],
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + 365 * 86_400_000),
    usage: 'server',
  });

  const zone = new XdsZone({
    store: opts.store,
    zone: opts.zone,
    logger: log.child({ component: 'xds' }),
    signingKeyPem,
    // Zone tokens issued at global (signed with its key, whose public key comes with the sync) are
    // accepted for this zone too; the zone's own tokens are verified against its key.
    verifyToken: zoneTokenVerifier({ store: opts.store, zone: opts.zone, signingKeyPem }),
    instanceId: opts.instanceId,
    ...(opts.vipCidr ? { vipCidr: opts.vipCidr } : {}),
    allowUntaggedDataplaneTokens: opts.allowUntaggedDataplaneTokens === true,
    ...(opts.dataplaneStatusFlushMs ? { insightFlushMs: opts.dataplaneStatusFlushMs } : {}),
  });
  if (opts.allowUntaggedDataplaneTokens)
    log.warn(
      'accepting dataplane tokens issued without kuma.io/service tags (--allow-untagged-dataplane-tokens): a proxy holding one can claim any service of its mesh',
    );
  await zone.start();
  const server = new AdsServer({ cache: zone.cache, registry: zone, logger: log.child({ component: 'ads' }), sendWindowBytes: opts.sendWindowBytes });
  let port: number;
  try {
    port = await server.listen(opts.address, opts.port, adsCredentials(serverCert));
  } catch (e) {
    await zone.close();
    throw new Error(`cannot listen for xDS on ${opts.address}:${opts.port}: ${(e as Error).message} (choose another --xds-port)`);
  }
  log.info({ xdsPort: port, caFile, caCreated: caOrigin === 'created', vipCidr: opts.vipCidr ?? DEFAULT_VIP_CIDR }, `xDS (ADS) server on grpcs://${opts.address}:${port}; proxies trust the CA in ${caFile}`);
  return {
    zone,
    port,
    caFile,
    signingKeyPem,
    stats: () => server.stats(),
    async close() {
      await server.close();
      await zone.close();
    },
  };
}
