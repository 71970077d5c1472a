/** What the data path needs from the proxy: the current clusters and routes, stats, logs. */
import type { Logger } from 'pino';
import type { AccessLogger, AccessLogSink } from './access-log.js';
import type { CompiledRouteConfig } from './http/match.js';
import type { Stats } from './stats.js';
import type { PeerSans } from './tls/contexts.js';
import type { ClusterRuntime } from './upstream/cluster.js';

export interface ProxyContext {
  /** the active version of a cluster (new connections/requests always look it up again) */
  cluster(name: string): ClusterRuntime | undefined;
  /** an RDS route configuration */
  routeConfig(name: string): CompiledRouteConfig | undefined;
  readonly stats: Stats;
  /** the `--access-log` logger, for filters without an xDS access_log */
  readonly accessLog: AccessLogger;
  /** where an xDS access logger writes ("/dev/stdout", "/dev/stderr" or a file path) */
  accessLogSink(target: string): AccessLogSink;
  readonly log: Logger;
}

/** One downstream connection, as the filters see it. */
export interface ConnectionInfo {
  listener: string;
  listenerStat: string;
  sourceIp: string;
  sourcePort: number;
  destinationIp: string;
  destinationPort: number;
  serverName: string | undefined;
  /** TLS terminated by this proxy */
  tls: boolean;
  /** the verified client certificate, when one was presented */
  peer: { sans: PeerSans; subject: string } | undefined;
  /** milliseconds, performance.now() when accepted */
  startedAt: number;
  /** "ip:port" strings of both ends, built once per connection (see sourceAddress / destinationAddress) */
  source?: string;
  destination?: string;
}

export function hostPort(ip: string, port: number): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

/** The downstream peer "ip:port" of a connection (built on first use, then kept). */
export function sourceAddress(conn: ConnectionInfo): string {
  conn.source ??= hostPort(conn.sourceIp, conn.sourcePort);
  return conn.source;
}

/** The local "ip:port" a connection was accepted on (built on first use, then kept). */
export function destinationAddress(conn: ConnectionInfo): string {
  conn.destination ??= hostPort(conn.destinationIp, conn.destinationPort);
  return conn.destination;
}
