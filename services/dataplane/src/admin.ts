/**
 * The admin port (Envoy's admin interface subset): `/ready` (200 "LIVE" once a config is served, 503
 * before), `/config_dump` (what runs now, Envoy's ConfigDump shape), `/metrics` and `/stats/prometheus`
 * (Prometheus text), `/clusters` (hosts and their health), `/server_info`.
 */
import { createServer, type Server } from 'node:http';
import type { Logger } from 'pino';
import type { DataplaneProxy } from './proxy.js';

export interface AdminInfo {
  node: () => Record<string, unknown>;
  /** state of the xDS connection, for /server_info */
  xdsState?: () => Record<string, unknown>;
}

export class AdminServer {
  private server: Server | undefined;
  port: number | undefined;

  constructor(
    private readonly proxy: DataplaneProxy,
    private readonly info: AdminInfo,
    private readonly log: Logger,
  ) {}

  async listen(address: string, port: number): Promise<void> {
    const server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://admin');
      const send = (status: number, body: string, type = 'text/plain; charset=utf-8') => {
        res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
        res.end(body);
      };
      if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'method not allowed\n');
      switch (url.pathname) {
        case '/ready':
          return this.proxy.isLive() ? send(200, 'LIVE\n') : send(503, 'PRE_INITIALIZING\n');
        case '/config_dump': {
          const dump = this.proxy.configDump(this.info.node());
          return send(200, `${JSON.stringify(dump, null, 2)}\n`, 'application/json');
        }
        case '/metrics':
        case '/stats/prometheus':
          return send(200, this.proxy.stats.prometheus(), 'text/plain; version=0.0.4; charset=utf-8');
        case '/clusters': {
          const lines: string[] = [];
          for (const name of this.proxy.clusterNames()) {
            const c = this.proxy.cluster(name);
            for (const h of c?.hosts() ?? []) {
              const health = h.ejected ? 'failed_outlier_check' : h.edsHealthy ? 'healthy' : 'failed_eds_health';
              lines.push(`${name}::${h.key}::priority::${h.priority}`, `${name}::${h.key}::health_flags::${health}`, `${name}::${h.key}::rq_active::${h.activeRequests}`);
            }
          }
          return send(200, `${lines.join('\n')}\n`);
        }
        case '/server_info':
          return send(200, `${JSON.stringify({ state: this.proxy.isLive() ? 'LIVE' : 'PRE_INITIALIZING', node: this.info.node(), xds: this.info.xdsState?.() ?? {} }, null, 2)}\n`, 'application/json');
        default:
          return send(404, 'not found: try /ready, /config_dump, /metrics, /clusters, /server_info\n');
      }
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: address, port }, () => {
        server.removeListener('error', reject);
        resolve();
      });
    });
    const a = server.address();
    this.port = a && typeof a === 'object' ? a.port : port;
    this.server = server;
    this.log.info({ address, port: this.port }, 'admin listening');
  }

  async close(): Promise<void> {
    const s = this.server;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }
}
