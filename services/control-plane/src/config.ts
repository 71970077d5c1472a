/**
 * causeway-cp configuration: defaults < YAML file (--config) < CAUSEWAY_* environment < flags,
 * validated once at start. Errors name the setting and where its value came from.
 */
import { isIP } from 'node:net';
import { loadLayeredConfig } from '@causeway/service';
import { parseCidr } from '@causeway/xds';
import { z } from 'zod';

export const configSchema = z
  .strictObject({
    mode: z.enum(['global', 'zone'], { error: 'must be "global" or "zone"' }),
    zone: z
      .string()
      .regex(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/, 'must be a lower-case DNS label (letters, digits, "-")')
      .max(63)
      .optional(),
    apiPort: z.coerce.number().int().min(0).max(65535),
    apiAddress: z.string().min(1),
    databaseUrl: z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
      .optional(),
    dataDir: z.string().min(1).optional(),
    adminTokenFile: z.string().min(1).optional(),
    natsUrl: z
      .string()
      .refine(isNatsUrl, 'must be a nats://HOST:PORT URL (or tls://HOST:PORT); several may be separated by commas')
      .optional(),
    natsUser: z.string().min(1).optional(),
    natsPassword: z.string().min(1).optional(),
    natsCreds: z.string().min(1).optional(),
    natsKvReplicas: z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(1, 'must be from 1 to 5').max(5, 'must be from 1 to 5').optional(),
    xdsPort: z.coerce.number().int().min(0).max(65535),
    xdsAddress: z.string().min(1),
    xdsServerNames: z
      .string()
      .transform((v) => v.split(',').map((n) => n.trim()))
      .refine((names) => names.every(isServerName), 'must be host names or IP addresses separated by commas (e.g. zone-1-cp.example.com,10.0.0.5)')
      .optional(),
    vipCidr: z
      .string()
      .refine(isVipCidr, 'must be an IPv4 CIDR from /8 to /30 inside 127.0.0.0/8 (e.g. 127.242.0.0/16)')
      .optional(),
    allowUntaggedDataplaneTokens: z
      .union([z.boolean(), z.enum(['true', 'false'])], { error: 'must be true or false' })
      .transform((v) => v === true || v === 'true')
      .optional(),
    leaderLeaseTtl: durationSetting(1000, 300_000, '10s or 2500ms'),
    trafficInsightsInterval: durationSetting(1000, 300_000, '10s'),
    dataplaneStatusFlushInterval: durationSetting(1000, 300_000, '10s'),
    xdsSendWindowMb: z.coerce.number({ error: 'must be a number' }).int('must be a whole number of MiB').min(1, 'must be from 1 to 1024 (MiB)').max(1024, 'must be from 1 to 1024 (MiB)').optional(),
    logLevel: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']),
  })
  .superRefine((c, ctx) => {
    if (c.mode === 'zone' && !c.zone) ctx.addIssue({ code: 'custom', path: ['zone'], message: 'is required in zone mode' });
    if (c.mode === 'global' && c.zone) ctx.addIssue({ code: 'custom', path: ['zone'], message: 'must not be set in global mode' });
    if (c.databaseUrl && c.dataDir) ctx.addIssue({ code: 'custom', path: ['dataDir'], message: 'set either a database URL or a data dir, not both' });
    if (c.natsCreds && (c.natsUser || c.natsPassword))
      ctx.addIssue({ code: 'custom', path: ['natsCreds'], message: 'set either a creds file or a user and password, not both' });
    if (c.natsUser && !c.natsPassword) ctx.addIssue({ code: 'custom', path: ['natsPassword'], message: 'is required with --nats-user' });
    if (c.natsPassword && !c.natsUser) ctx.addIssue({ code: 'custom', path: ['natsUser'], message: 'is required with --nats-password' });
    if (c.allowUntaggedDataplaneTokens && c.mode !== 'zone')
      ctx.addIssue({ code: 'custom', path: ['allowUntaggedDataplaneTokens'], message: 'applies to zone mode only (the zone checks dataplane tokens)' });
    if (c.natsKvReplicas !== undefined && c.mode !== 'global')
      ctx.addIssue({ code: 'custom', path: ['natsKvReplicas'], message: 'applies to global mode only (global creates the KV buckets)' });
    if (c.xdsServerNames && c.mode !== 'zone') ctx.addIssue({ code: 'custom', path: ['xdsServerNames'], message: 'applies to zone mode only (the ADS server runs in zone mode)' });
    if (c.vipCidr && c.mode !== 'zone') ctx.addIssue({ code: 'custom', path: ['vipCidr'], message: 'applies to zone mode only (VIPs are allocated by the zone)' });
    if (c.dataplaneStatusFlushInterval !== undefined && c.mode !== 'zone')
      ctx.addIssue({ code: 'custom', path: ['dataplaneStatusFlushInterval'], message: 'applies to zone mode only (a zone writes the insights of its proxies)' });
    if (c.xdsSendWindowMb !== undefined && c.mode !== 'zone')
      ctx.addIssue({ code: 'custom', path: ['xdsSendWindowMb'], message: 'applies to zone mode only (the ADS server runs in zone mode)' });
    if (c.trafficInsightsInterval !== undefined && c.mode !== 'zone')
      ctx.addIssue({ code: 'custom', path: ['trafficInsightsInterval'], message: "applies to zone mode only (a zone scrapes its proxies; global reads the zones' insights)" });
    for (const k of ['natsUser', 'natsPassword', 'natsCreds', 'natsKvReplicas'] as const) {
      if (c[k] && !c.natsUrl) ctx.addIssue({ code: 'custom', path: [k], message: 'has no effect without --nats-url' });
    }
  });

/** A duration setting (`10s`, `2500ms`, or seconds as a YAML number) from `minMs` to `maxMs`, in milliseconds. */
function durationSetting(minMs: number, maxMs: number, example: string) {
  const range = `must be a duration from ${minMs / 1000}s to ${maxMs / 1000}s, such as ${example}`;
  return z
    .union([z.number(), z.string()], { error: `must be a duration such as ${example}` })
    .transform((v, ctx) => {
      const ms = durationMs(v);
      if (ms === undefined || ms < minMs || ms > maxMs) {
        ctx.addIssue({ code: 'custom', message: range });
        return z.NEVER;
      }
      return ms;
    })
    .optional();
}

/** `10s`, `2500ms`, or a number of seconds (YAML) -> milliseconds; undefined when it is none of these. */
function durationMs(v: number | string): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? Math.round(v * 1000) : undefined;
  const m = /^(\d+(?:\.\d+)?)(ms|s)$/.exec(v.trim());
  if (!m) return undefined;
  return Math.round(Number(m[1]) * (m[2] === 's' ? 1000 : 1));
}

/** A DNS name (letters, digits, hyphens, dots; a leading `*.` wildcard) or an IP address. */
function isServerName(v: string): boolean {
  if (isIP(v) !== 0) return true;
  return v.length <= 253 && /^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i.test(v);
}

/** A loopback CIDR the builtin DNS may hand out VIPs from (proxies bind their listeners on them). */
function isVipCidr(v: string): boolean {
  try {
    parseCidr(v);
  } catch {
    return false;
  }
  return v.startsWith('127.');
}

/** `nats://host:port` or `tls://host:port`, comma-separated. */
function isNatsUrl(v: string): boolean {
  return v.split(',').every((part) => {
    try {
      const u = new URL(part.trim());
      return (u.protocol === 'nats:' || u.protocol === 'tls:') && u.hostname !== '' && u.port !== '' && (u.pathname === '' || u.pathname === '/');
    } catch {
      return false;
    }
  });
}

export type Config = z.infer<typeof configSchema>;

export const DEFAULTS = { apiPort: 5681, apiAddress: '0.0.0.0', xdsPort: 5678, xdsAddress: '0.0.0.0', logLevel: 'info' } as const;

/** Setting name -> flag / env names. */
const SETTINGS = {
  mode: { flag: 'mode', env: 'CAUSEWAY_MODE' },
  zone: { flag: 'zone', env: 'CAUSEWAY_ZONE' },
  apiPort: { flag: 'api-port', env: 'CAUSEWAY_API_PORT' },
  apiAddress: { flag: 'api-address', env: 'CAUSEWAY_API_ADDRESS' },
  databaseUrl: { flag: 'database-url', env: 'CAUSEWAY_DATABASE_URL' },
  dataDir: { flag: 'data-dir', env: 'CAUSEWAY_DATA_DIR' },
  adminTokenFile: { flag: 'admin-token-file', env: 'CAUSEWAY_ADMIN_TOKEN_FILE' },
  natsUrl: { flag: 'nats-url', env: 'CAUSEWAY_NATS_URL' },
  natsUser: { flag: 'nats-user', env: 'CAUSEWAY_NATS_USER' },
  natsPassword: { flag: 'nats-password', env: 'CAUSEWAY_NATS_PASSWORD' },
  natsCreds: { flag: 'nats-creds', env: 'CAUSEWAY_NATS_CREDS' },
  natsKvReplicas: { flag: 'nats-kv-replicas', env: 'CAUSEWAY_NATS_KV_REPLICAS' },
  xdsPort: { flag: 'xds-port', env: 'CAUSEWAY_XDS_PORT' },
  xdsAddress: { flag: 'xds-address', env: 'CAUSEWAY_XDS_ADDRESS' },
  xdsServerNames: { flag: 'xds-server-names', env: 'CAUSEWAY_XDS_SERVER_NAMES' },
  vipCidr: { flag: 'vip-cidr', env: 'CAUSEWAY_VIP_CIDR' },
  allowUntaggedDataplaneTokens: { flag: 'allow-untagged-dataplane-tokens', env: 'CAUSEWAY_ALLOW_UNTAGGED_DATAPLANE_TOKENS', bare: true },
  leaderLeaseTtl: { flag: 'leader-lease-ttl', env: 'CAUSEWAY_LEADER_LEASE_TTL' },
  trafficInsightsInterval: { flag: 'traffic-insights-interval', env: 'CAUSEWAY_TRAFFIC_INSIGHTS_INTERVAL' },
  dataplaneStatusFlushInterval: { flag: 'dataplane-status-flush-interval', env: 'CAUSEWAY_DATAPLANE_STATUS_FLUSH_INTERVAL' },
  xdsSendWindowMb: { flag: 'xds-send-window-mb', env: 'CAUSEWAY_XDS_SEND_WINDOW_MB' },
  logLevel: { flag: 'log-level', env: 'CAUSEWAY_LOG_LEVEL' },
} as const;

export const USAGE = `Usage: causeway-cp run --mode global|zone [--zone NAME] [--api-port 5681] [--api-address 0.0.0.0]
                   [--database-url postgres://... | --data-dir DIR] [--admin-token-file FILE]
                   [--nats-url nats://HOST:PORT [--nats-user USER --nats-password PASSWORD | --nats-creds FILE]]
                   [--nats-kv-replicas 1]                      (global mode: copies of each sync KV bucket in a
                                                                JetStream cluster, 1-5; 3 on a 3-node cluster)
                   [--xds-port 5678] [--xds-address 0.0.0.0]   (zone mode: the ADS server for proxies, TLS)
                   [--xds-server-names NAME,...]               (zone mode: the names and IPs proxies dial the ADS
                                                                server by, added to its certificate)
                   [--xds-send-window-mb 16]                   (zone mode: MiB of responses the ADS server may have
                                                                in flight to all proxies together, 1-1024; the
                                                                rest wait, unserialized, in order)
                   [--vip-cidr 127.241.0.0/16]                 (zone mode: builtin DNS VIPs of the zone's sidecars)
                   [--allow-untagged-dataplane-tokens]         (zone mode: accept dataplane tokens issued without
                                                                kuma.io/service tags; default: refused)
                   [--leader-lease-ttl 10s]                    (the leader lease's ttl: replicas on one database take
                                                                it over this long after a leader dies)
                   [--traffic-insights-interval 10s]           (zone mode: how often the leader scrapes the proxies'
                                                                /metrics for ExternalService traffic, 1s-300s)
                   [--dataplane-status-flush-interval 10s]     (zone mode: how often a proxy's response/ACK counters
                                                                are written to its DataplaneInsight, 1s-300s; connects,
                                                                disconnects and NACKs are written at once)
                   [--config FILE] [--log-level info]

Without a database flag the store is an in-memory PGlite database (nothing survives a restart).
Multi-zone sync runs over NATS JetStream when --nats-url is set: a global without it runs with no zones; a
zone without it serves its local copy of global resources (read-only) and reports that it has no global.
Every flag can also be set as CAUSEWAY_<FLAG> (e.g. CAUSEWAY_DATABASE_URL) or in the --config YAML file
(camelCase keys: mode, zone, apiPort, apiAddress, databaseUrl, dataDir, adminTokenFile, natsUrl, natsUser,
natsPassword, natsCreds, natsKvReplicas, xdsPort, xdsAddress, xdsServerNames, xdsSendWindowMb, vipCidr, allowUntaggedDataplaneTokens,
leaderLeaseTtl, trafficInsightsInterval, dataplaneStatusFlushInterval, logLevel).
Precedence: defaults < config file < environment < flags.
A dataplane token binds the kuma.io/service tags it was issued for (causeway generate dataplane-token
--tag kuma.io/service=web): a proxy declaring another service is refused. Tokens issued without such tags
are refused too, unless --allow-untagged-dataplane-tokens (or =true; CAUSEWAY_ALLOW_UNTAGGED_DATAPLANE_TOKENS=true).`;

export interface LoadConfigInput {
  argv: string[];
  env: Record<string, string | undefined>;
  readFile: (path: string) => string;
}

/** Parses `run` flags and merges every layer. Throws INVALID naming each bad setting and its source. */
export function loadConfig({ argv, env, readFile }: LoadConfigInput): Config {
  return loadLayeredConfig({ argv, env, settings: SETTINGS, schema: configSchema, defaults: DEFAULTS, usage: USAGE, configFile: { env: 'CAUSEWAY_CONFIG', readFile } });
}

/**
 * The configuration as `GET /config` shows it: every setting in effect, secrets left out — the NATS
 * password as "(set)" and the password of a database URL as "***".
 */
export function configView(config: Config): Record<string, unknown> {
  const out: Record<string, unknown> = { ...config };
  if (config.natsPassword !== undefined) out.natsPassword = '(set)';
  if (config.databaseUrl !== undefined) {
    try {
      const url = new URL(config.databaseUrl);
      if (url.password) url.password = '***';
      out.databaseUrl = url.toString();
    } catch {
      out.databaseUrl = '(set)';
    }
  }
  return out;
}
