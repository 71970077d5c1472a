/**
 * Envoy's tcp_proxy: connects to a host of the cluster (a weighted pick among weighted_clusters),
 * trying up to max_connect_attempts hosts, then copies bytes both ways with half-close propagation and
 * an idle timeout (default 1 h). Data that arrived before the upstream connected is buffered. Small
 * writes go out at the end of the event-loop turn (see write-batch.ts).
 */
import type { Duplex } from 'node:stream';
import { type AccessLogEntry, type AccessLogger, compileAccessLogs } from '../access-log.js';
import { type ConnectionInfo, hostPort, type ProxyContext } from '../context.js';
import type { TcpProxy } from '@causeway/envoy';
import { ConfigError, durationMs, unwrapNumber } from '../envoy/values.js';
import type { TcpStats } from '../stats.js';
import type { Host } from '../upstream/cluster.js';
import { writeBatched } from '../write-batch.js';

/** Envoy's default --drain-time-s. */
export const DRAIN_TIME_MS = 600_000;

export class TcpProxyFilter {
  private readonly clusters: { name: string; weight: number }[];
  private readonly totalWeight: number;
  private readonly idleTimeoutMs: number;
  private readonly maxConnectAttempts: number;
  readonly statPrefix: string;
  private readonly loggers: AccessLogger[];
  /** Envoy's `tcp.<stat_prefix>.*`: bytes are counted as they flow, not when the connection closes */
  private readonly stats: TcpStats;
  private readonly open = new Set<Duplex>();
  private drainTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly config: TcpProxy,
    private readonly ctx: ProxyContext,
    field: string,
  ) {
    if (config.cluster && config.weighted_clusters) throw new ConfigError(`${field}: set cluster or weighted_clusters, not both`);
    if (config.cluster) this.clusters = [{ name: config.cluster, weight: 1 }];
    else if (config.weighted_clusters?.clusters?.length)
      this.clusters = config.weighted_clusters.clusters.map((c, i) => ({ name: c.name, weight: unwrapNumber(c.weight, `${field}.weighted_clusters.clusters[${i}].weight`) ?? 0 }));
    else throw new ConfigError(`${field}: cluster or weighted_clusters is required`);
    this.totalWeight = this.clusters.reduce((a, c) => a + c.weight, 0);
    if (this.totalWeight <= 0) throw new ConfigError(`${field}.weighted_clusters: weights add up to 0`);
    const idle = durationMs(config.idle_timeout, `${field}.idle_timeout`);
    this.idleTimeoutMs = idle === undefined ? 3_600_000 : idle;
    this.maxConnectAttempts = unwrapNumber(config.max_connect_attempts, `${field}.max_connect_attempts`) ?? 1;
    this.statPrefix = config.stat_prefix ?? '';
    this.loggers = compileAccessLogs(config.access_log, ctx.accessLog, `${field}.access_log`, (t) => ctx.accessLogSink(t));
    this.stats = ctx.stats.tcpProxy(this.statPrefix);
  }

  private pickCluster(): string {
    if (this.clusters.length === 1) return (this.clusters[0] as { name: string }).name;
    let r = Math.random() * this.totalWeight;
    for (const c of this.clusters) {
      r -= c.weight;
      if (r < 0) return c.name;
    }
    return (this.clusters[this.clusters.length - 1] as { name: string }).name;
  }

  /**
   * This filter chain was replaced or removed: as Envoy (drain time, 600 s by default), its open
   * connections are closed once the drain time has passed; new connections get the new chain.
   */
  drain(drainTimeMs = DRAIN_TIME_MS): void {
    if (this.drainTimer) return;
    this.drainTimer = setTimeout(() => {
      for (const d of this.open) d.destroy();
    }, drainTimeMs);
    this.drainTimer.unref();
  }

  /** Proxies a downstream connection. `pending` is data already read from it (peeked bytes are unshifted instead). */
  handle(down: Duplex, conn: ConnectionInfo): void {
    const clusterName = this.pickCluster();
    const stats = this.stats;
    stats.downstream_cx_total++;
    this.open.add(down);
    down.once('close', () => this.open.delete(down));
    const started = conn.startedAt;
    let upstreamHost: string | undefined;
    let flags = '-';
    let bytesReceived = 0;
    let bytesSent = 0;
    let logged = false;
    const log = () => {
      if (logged) return;
      logged = true;
      const duration = performance.now() - started;
      const entry: AccessLogEntry = {
        type: 'tcp',
        start_time: new Date(Date.now() - duration).toISOString(),
        listener: conn.listener,
        source: hostPort(conn.sourceIp, conn.sourcePort),
        destination: hostPort(conn.destinationIp, conn.destinationPort),
        sni: conn.serverName,
        downstream_peer_uri_san: conn.peer?.sans.uri[0],
        cluster: clusterName,
        upstream_host: upstreamHost,
        response_flags: flags,
        bytes_received: bytesReceived,
        bytes_sent: bytesSent,
        duration_ms: Math.round(duration * 1000) / 1000,
      };
      for (const l of this.loggers) l.log(entry);
    };
    // hold the downstream until the upstream is there (the readable side buffers)
    down.pause();
    let downClosed = false;
    down.once('close', () => {
      downClosed = true;
    });
    down.on('error', () => {});
    const tried = new Set<Host>();
    const tryConnect = (attempt: number): void => {
      const cluster = this.ctx.cluster(clusterName);
      if (!cluster) {
        flags = 'NC';
        stats.downstream_cx_no_route++;
        down.destroy();
        log();
        return;
      }
      const host = cluster.chooseHost(tried, conn);
      if (!host) {
        cluster.stats.upstream_cx_none_healthy++;
        flags = 'UH';
        down.destroy();
        log();
        return;
      }
      tried.add(host);
      upstreamHost = host.key;
      cluster
        .connect(host)
        .then((up) => {
          if (downClosed) {
            up.destroy();
            log();
            return;
          }
          cluster.recordSuccess(host);
          up.on('error', () => {});
          let idleTimer: NodeJS.Timeout | undefined;
          const touch = () => {
            if (this.idleTimeoutMs <= 0) return;
            idleTimer?.refresh();
          };
          if (this.idleTimeoutMs > 0) {
            idleTimer = setTimeout(() => {
              flags = 'IT';
              stats.idle_timeout++;
              down.destroy();
              up.destroy();
            }, this.idleTimeoutMs);
            idleTimer.unref();
          }
          down.on('data', (c: Buffer) => {
            bytesReceived += c.length;
            stats.downstream_cx_rx_bytes_total += c.length;
            touch();
            if (!writeBatched(up, c)) {
              down.pause();
              up.once('drain', () => down.resume());
            }
          });
          up.on('data', (c: Buffer) => {
            bytesSent += c.length;
            stats.downstream_cx_tx_bytes_total += c.length;
            touch();
            if (!writeBatched(down, c)) {
              up.pause();
              down.once('drain', () => up.resume());
            }
          });
          // half-close in both directions; full close when both sides are done
          down.once('end', () => up.end());
          up.once('end', () => down.end());
          const closeBoth = () => {
            if (idleTimer) clearTimeout(idleTimer);
            if (!down.destroyed) down.destroy();
            if (!up.destroyed) up.destroy();
            log();
          };
          down.once('close', closeBoth);
          up.once('close', closeBoth);
          down.resume();
        })
        .catch(() => {
          // connect failures are counted and reported to outlier detection by the cluster
          if (attempt < this.maxConnectAttempts && !downClosed) {
            tryConnect(attempt + 1);
            return;
          }
          flags = 'UF';
          down.destroy();
          log();
        });
    };
    tryConnect(1);
  }
}
