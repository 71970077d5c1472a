/**
 * causeway-dp configuration, parsed once at start: defaults < CAUSEWAY_DP_* environment < flags.
 * Errors name the setting and where its value came from.
 */
import { CausewayError } from '@causeway/core';
import { loadLayeredConfig } from '@causeway/service';
import { z } from 'zod';

export const configSchema = z
  .strictObject({
    mode: z.enum(['sidecar', 'ingress', 'egress'], { error: 'must be "sidecar", "ingress" or "egress"' }),
    cpAddress: z
      .string()
      .regex(/^grpcs?:\/\/[^/\s,]+:\d+\/?(,grpcs?:\/\/[^/\s,]+:\d+\/?)*$/, 'must be grpcs://HOST:PORT (or grpc://HOST:PORT without TLS), or several separated by commas (replicas)')
      .optional(),
    caCertFile: z.string().min(1).optional(),
    dataplaneFile: z.string().min(1).optional(),
    name: z.string().min(1).optional(),
    mesh: z.string().min(1).optional(),
    dataplaneTokenFile: z.string().min(1).optional(),
    bootstrap: z.string().min(1).optional(),
    xdsProtocol: z.enum(['delta', 'sotw'], { error: 'must be "delta" (incremental xDS) or "sotw" (state of the world)' }),
    adminPort: z.coerce.number().int().min(0).max(65535),
    adminAddress: z.string().min(1),
    dnsPort: z.coerce.number().int().min(0).max(65535).optional(),
    accessLog: z.string().min(1),
    logLevel: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']),
  })
  .superRefine((c, ctx) => {
    const issue = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
    if (!c.cpAddress && !c.bootstrap) issue('cpAddress', 'is required (or give --bootstrap FILE with static resources)');
    if (c.cpAddress?.startsWith('grpcs://') && !c.caCertFile) issue('caCertFile', 'is required with a grpcs:// control plane address');
    if (c.cpAddress && new Set(c.cpAddress.split(',').map((a) => a.split('://')[0])).size > 1) issue('cpAddress', 'the addresses must all be grpcs:// or all grpc://');
    if (c.cpAddress) {
      if (c.dataplaneFile && (c.name || c.mesh)) issue('dataplaneFile', 'give either --dataplane-file or --name/--mesh, not both');
      if (!c.dataplaneFile && !c.name) issue('name', 'is required when no --dataplane-file is given');
      if (!c.dataplaneFile && c.mode === 'sidecar' && !c.mesh) issue('mesh', 'is required for a sidecar when no --dataplane-file is given');
    }
  });

export type Config = z.infer<typeof configSchema>;

export const DEFAULTS = { xdsProtocol: 'delta', adminPort: 9901, adminAddress: '127.0.0.1', accessLog: '-', logLevel: 'info', mode: 'sidecar' } as const;

const SETTINGS = {
  mode: { flag: 'mode', env: 'CAUSEWAY_DP_MODE' },
  cpAddress: { flag: 'cp-address', env: 'CAUSEWAY_DP_CP_ADDRESS' },
  caCertFile: { flag: 'ca-cert-file', env: 'CAUSEWAY_DP_CA_CERT_FILE' },
  dataplaneFile: { flag: 'dataplane-file', env: 'CAUSEWAY_DP_DATAPLANE_FILE' },
  name: { flag: 'name', env: 'CAUSEWAY_DP_NAME' },
  mesh: { flag: 'mesh', env: 'CAUSEWAY_DP_MESH' },
  dataplaneTokenFile: { flag: 'dataplane-token-file', env: 'CAUSEWAY_DP_DATAPLANE_TOKEN_FILE' },
  bootstrap: { flag: 'bootstrap', env: 'CAUSEWAY_DP_BOOTSTRAP' },
  xdsProtocol: { flag: 'xds-protocol', env: 'CAUSEWAY_DP_XDS_PROTOCOL' },
  adminPort: { flag: 'admin-port', env: 'CAUSEWAY_DP_ADMIN_PORT' },
  adminAddress: { flag: 'admin-address', env: 'CAUSEWAY_DP_ADMIN_ADDRESS' },
  dnsPort: { flag: 'dns-port', env: 'CAUSEWAY_DP_DNS_PORT' },
  accessLog: { flag: 'access-log', env: 'CAUSEWAY_DP_ACCESS_LOG' },
  logLevel: { flag: 'log-level', env: 'CAUSEWAY_DP_LOG_LEVEL' },
} as const;

export const USAGE = `Usage: causeway-dp run --mode sidecar|ingress|egress --cp-address grpcs://HOST:5678 --ca-cert-file FILE
                   (--dataplane-file FILE | --name NAME --mesh MESH) [--dataplane-token-file FILE]
                   [--xds-protocol delta|sotw]
                   [--admin-port 9901] [--admin-address 127.0.0.1] [--dns-port PORT]
                   [--access-log -|FILE|off] [--log-level info]
       causeway-dp run --bootstrap FILE      (static Envoy bootstrap: static_resources listeners/clusters/secrets)

--dataplane-file holds the proxy's resource (Dataplane, ZoneIngress or ZoneEgress; universal YAML or JSON);
it is sent to the control plane, which registers it while the proxy is connected.
--cp-address may list several control planes (replicas of the zone's), separated by commas: when the stream
to one fails, causeway-dp reconnects to the next, serving its last config meanwhile.
--xds-protocol is incremental xDS (DeltaAggregatedResources, the default: a change sends only what
changed) or state of the world (StreamAggregatedResources, for control planes without delta).
--dns-port serves the DNS listener of the config on this port instead of the configured one.
--access-log is where requests of filters without an xDS access_log are logged ("-" = stdout).
Every flag can also be set as CAUSEWAY_DP_<FLAG> (e.g. CAUSEWAY_DP_CP_ADDRESS). Precedence: defaults < environment < flags.`;

/** A problem with the proxy's configuration (flags, environment, the files they name): exit code 2. */
export class ConfigurationError extends Error {
  override name = 'ConfigurationError';
}

/** Parses `run` flags and the environment. Throws ConfigurationError naming each bad setting and its source. */
export function loadConfig(argv: string[], env: Record<string, string | undefined>): Config {
  try {
    return loadLayeredConfig({ argv, env, settings: SETTINGS, schema: configSchema, defaults: DEFAULTS, usage: USAGE });
  } catch (e) {
    if (e instanceof CausewayError) throw new ConfigurationError(`${e.describe()}${e.fields.length > 0 ? `\n\n${USAGE}` : ''}`);
    throw e;
  }
}
