/**
 * Envoy-like statistics, rendered in Prometheus text format with Envoy's names
 * (`envoy_cluster_upstream_rq_total{envoy_cluster_name="..."}` and so on).
 * Stats live as long as the proxy: a cluster or listener that is updated keeps counting.
 * Byte counters move while connections are open, as Envoy's do: the connections' sockets count their
 * own bytes, and a counter is the bytes of the closed connections plus what the open ones have carried
 * so far (read when the counter is read, so the data path pays nothing per chunk).
 */

/** Envoy's default histogram buckets (milliseconds). */
export const HISTOGRAM_BUCKETS = [0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000, 3600000];

export class Histogram {
  readonly counts = new Array<number>(HISTOGRAM_BUCKETS.length).fill(0);
  sum = 0;
  count = 0;
  record(v: number): void {
    this.sum += v;
    this.count++;
    for (let i = 0; i < HISTOGRAM_BUCKETS.length; i++) {
      if (v <= (HISTOGRAM_BUCKETS[i] as number)) {
        this.counts[i] = (this.counts[i] as number) + 1;
        break;
      }
    }
  }
}

/** "0".."9": the response code class label of a status, without building a string per response. */
const CODE_CLASS = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];
export function codeClass(status: number): string {
  const c = Math.floor(status / 100);
  return CODE_CLASS[c] ?? String(c);
}

/** What a socket has carried (net.Socket and tls.TLSSocket count their own bytes). */
export interface ByteCountingSocket {
  readonly bytesRead: number;
  readonly bytesWritten: number;
}

/**
 * The bytes a set of connections carried: those of closed connections summed at close, those of open
 * ones read from their sockets when asked, so the totals grow while data flows and never go back.
 */
export class ConnectionBytes {
  private closedRx = 0;
  private closedTx = 0;
  private readonly open = new Set<ByteCountingSocket>();

  /** Counts a connection from now on; `closed` (or the socket's 'close', wired by the caller) ends it. */
  opened(socket: ByteCountingSocket): void {
    this.open.add(socket);
  }

  closed(socket: ByteCountingSocket): void {
    if (!this.open.delete(socket)) return;
    this.closedRx += socket.bytesRead;
    this.closedTx += socket.bytesWritten;
  }

  /** Tracks a socket until it emits 'close'. */
  track(socket: ByteCountingSocket & { once(event: 'close', fn: () => void): unknown }): void {
    this.opened(socket);
    socket.once('close', () => this.closed(socket));
  }

  get rx(): number {
    let n = this.closedRx;
    for (const s of this.open) n += s.bytesRead;
    return n;
  }

  get tx(): number {
    let n = this.closedTx;
    for (const s of this.open) n += s.bytesWritten;
    return n;
  }
}

export class ClusterStats {
  upstream_rq_total = 0;
  upstream_rq_completed = 0;
  readonly upstream_rq_xx = new Map<string, number>(); // "2" -> n
  readonly upstream_rq_code = new Map<number, number>();
  upstream_rq_active = 0;
  upstream_rq_timeout = 0;
  upstream_rq_per_try_timeout = 0;
  upstream_rq_retry = 0;
  upstream_rq_retry_success = 0;
  upstream_rq_pending_failure_eject = 0;
  upstream_cx_total = 0;
  upstream_cx_active = 0;
  upstream_cx_connect_fail = 0;
  upstream_cx_connect_timeout = 0;
  upstream_cx_destroy_remote = 0;
  /** the bytes of the cluster's upstream connections (open ones included) */
  readonly upstream_cx_bytes = new ConnectionBytes();
  upstream_cx_none_healthy = 0;
  outlier_detection_ejections_total = 0;
  outlier_detection_ejections_active = 0;
  membership_healthy = 0;
  membership_total = 0;
  update_success = 0;
  readonly upstream_rq_time = new Histogram();
  readonly upstream_cx_connect_ms = new Histogram();

  /** bytes received from the cluster's hosts, open connections included */
  get upstream_cx_rx_bytes_total(): number {
    return this.upstream_cx_bytes.rx;
  }
  /** bytes sent to the cluster's hosts, open connections included */
  get upstream_cx_tx_bytes_total(): number {
    return this.upstream_cx_bytes.tx;
  }

  recordResponse(status: number): void {
    const cls = codeClass(status);
    this.upstream_rq_xx.set(cls, (this.upstream_rq_xx.get(cls) ?? 0) + 1);
    this.upstream_rq_code.set(status, (this.upstream_rq_code.get(status) ?? 0) + 1);
  }
}

export class ListenerStats {
  downstream_cx_total = 0;
  downstream_cx_active = 0;
  downstream_cx_destroy = 0;
  no_filter_chain_match = 0;
  downstream_pre_cx_timeout = 0;
  downstream_cx_tls_error = 0;
  rbac_denied = 0;
  rbac_allowed = 0;
}

/** A tcp_proxy filter's stats, by its stat_prefix (Envoy's `tcp.<stat_prefix>.*`). */
export class TcpStats {
  downstream_cx_total = 0;
  /** bytes received from downstream, counted as they arrive */
  downstream_cx_rx_bytes_total = 0;
  /** bytes sent to downstream, counted as they are sent */
  downstream_cx_tx_bytes_total = 0;
  /** the cluster does not exist (response flag NC) */
  downstream_cx_no_route = 0;
  idle_timeout = 0;
}

export class HttpStats {
  downstream_cx_total = 0;
  /** the bytes of the downstream connections (open ones included) */
  readonly downstream_cx_bytes = new ConnectionBytes();
  downstream_rq_total = 0;
  downstream_rq_active = 0;
  readonly downstream_rq_xx = new Map<string, number>();
  no_route = 0;
  no_cluster = 0;
  rq_timeout = 0;
  /** requests the HTTP RBAC filter allowed / denied (Envoy's `http.<stat_prefix>.rbac.allowed` / `.denied`) */
  rbac_allowed = 0;
  rbac_denied = 0;
  readonly downstream_rq_time = new Histogram();

  get downstream_cx_rx_bytes_total(): number {
    return this.downstream_cx_bytes.rx;
  }
  get downstream_cx_tx_bytes_total(): number {
    return this.downstream_cx_bytes.tx;
  }

  /** downstream_rq_xx of a response status */
  recordStatus(status: number): void {
    const cls = codeClass(status);
    this.downstream_rq_xx.set(cls, (this.downstream_rq_xx.get(cls) ?? 0) + 1);
  }
}

function esc(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** Envoy's Prometheus names replace every character outside [a-zA-Z0-9_] of a listener address with "_". */
export function listenerStatName(address: string, port: number): string {
  return `${address}_${port}`.replace(/[^a-zA-Z0-9_]/g, '_').replace(/^_+/, '');
}

export class Stats {
  readonly clusters = new Map<string, ClusterStats>();
  readonly listeners = new Map<string, ListenerStats>();
  readonly http = new Map<string, HttpStats>();
  readonly tcp = new Map<string, TcpStats>();
  readonly server = { xds_connected: 0, xds_update_success: 0, xds_update_rejected: 0, xds_reconnects: 0 };
  /** When the stats began (the proxy started): `envoy_server_uptime`, so a scraper tells a restart (counters from 0) from a reset. */
  private readonly started = performance.now();

  cluster(name: string): ClusterStats {
    let s = this.clusters.get(name);
    if (!s) {
      s = new ClusterStats();
      this.clusters.set(name, s);
    }
    return s;
  }
  listener(address: string): ListenerStats {
    let s = this.listeners.get(address);
    if (!s) {
      s = new ListenerStats();
      this.listeners.set(address, s);
    }
    return s;
  }
  tcpProxy(statPrefix: string): TcpStats {
    let s = this.tcp.get(statPrefix);
    if (!s) {
      s = new TcpStats();
      this.tcp.set(statPrefix, s);
    }
    return s;
  }
  httpConnManager(statPrefix: string): HttpStats {
    let s = this.http.get(statPrefix);
    if (!s) {
      s = new HttpStats();
      this.http.set(statPrefix, s);
    }
    return s;
  }

  /** Prometheus text exposition (format 0.0.4). */
  prometheus(): string {
    const out: string[] = [];
    const family = (name: string, type: 'counter' | 'gauge' | 'histogram', rows: string[]) => {
      if (rows.length === 0) return;
      out.push(`# TYPE ${name} ${type}`, ...rows);
    };
    const clusterCounters: (keyof ClusterStats)[] = [
      'upstream_rq_total',
      'upstream_rq_completed',
      'upstream_rq_timeout',
      'upstream_rq_per_try_timeout',
      'upstream_rq_retry',
      'upstream_rq_retry_success',
      'upstream_cx_total',
      'upstream_cx_connect_fail',
      'upstream_cx_connect_timeout',
      'upstream_cx_destroy_remote',
      'upstream_cx_rx_bytes_total',
      'upstream_cx_tx_bytes_total',
      'upstream_cx_none_healthy',
      'outlier_detection_ejections_total',
      'update_success',
    ];
    const clusterGauges: (keyof ClusterStats)[] = ['upstream_rq_active', 'upstream_cx_active', 'outlier_detection_ejections_active', 'membership_healthy', 'membership_total'];
    const clusters = [...this.clusters.entries()].sort(([a], [b]) => a.localeCompare(b));
    for (const c of clusterCounters) family(`envoy_cluster_${c}`, 'counter', clusters.map(([n, s]) => `envoy_cluster_${c}{envoy_cluster_name="${esc(n)}"} ${s[c] as number}`));
    for (const g of clusterGauges) family(`envoy_cluster_${g}`, 'gauge', clusters.map(([n, s]) => `envoy_cluster_${g}{envoy_cluster_name="${esc(n)}"} ${s[g] as number}`));
    family(
      'envoy_cluster_upstream_rq_xx',
      'counter',
      clusters.flatMap(([n, s]) =>
        [...s.upstream_rq_xx.entries()].sort().map(([cls, v]) => `envoy_cluster_upstream_rq_xx{envoy_response_code_class="${cls}",envoy_cluster_name="${esc(n)}"} ${v}`),
      ),
    );
    family(
      'envoy_cluster_upstream_rq',
      'counter',
      clusters.flatMap(([n, s]) =>
        [...s.upstream_rq_code.entries()].sort(([a], [b]) => a - b).map(([code, v]) => `envoy_cluster_upstream_rq{envoy_response_code="${code}",envoy_cluster_name="${esc(n)}"} ${v}`),
      ),
    );
    for (const h of ['upstream_rq_time', 'upstream_cx_connect_ms'] as const) {
      family(
        `envoy_cluster_${h}`,
        'histogram',
        clusters.flatMap(([n, s]) => histogramRows(`envoy_cluster_${h}`, `envoy_cluster_name="${esc(n)}"`, s[h])),
      );
    }
    const listeners = [...this.listeners.entries()].sort(([a], [b]) => a.localeCompare(b));
    for (const [c, type] of [
      ['downstream_cx_total', 'counter'],
      ['downstream_cx_destroy', 'counter'],
      ['no_filter_chain_match', 'counter'],
      ['downstream_pre_cx_timeout', 'counter'],
      ['downstream_cx_tls_error', 'counter'],
      ['downstream_cx_active', 'gauge'],
    ] as const) {
      family(`envoy_listener_${c}`, type, listeners.map(([n, s]) => `envoy_listener_${c}{envoy_listener_address="${esc(n)}"} ${s[c]}`));
    }
    family('envoy_rbac_denied', 'counter', listeners.map(([n, s]) => `envoy_rbac_denied{envoy_listener_address="${esc(n)}"} ${s.rbac_denied}`));
    family('envoy_rbac_allowed', 'counter', listeners.map(([n, s]) => `envoy_rbac_allowed{envoy_listener_address="${esc(n)}"} ${s.rbac_allowed}`));
    const tcps = [...this.tcp.entries()].sort(([a], [b]) => a.localeCompare(b));
    for (const c of ['downstream_cx_total', 'downstream_cx_rx_bytes_total', 'downstream_cx_tx_bytes_total', 'downstream_cx_no_route', 'idle_timeout'] as const) {
      family(`envoy_tcp_${c}`, 'counter', tcps.map(([n, s]) => `envoy_tcp_${c}{envoy_tcp_prefix="${esc(n)}"} ${s[c]}`));
    }
    const hcms = [...this.http.entries()].sort(([a], [b]) => a.localeCompare(b));
    for (const c of ['downstream_cx_total', 'downstream_cx_rx_bytes_total', 'downstream_cx_tx_bytes_total', 'downstream_rq_total', 'no_route', 'no_cluster', 'rq_timeout', 'rbac_allowed', 'rbac_denied'] as const) {
      family(`envoy_http_${c}`, 'counter', hcms.map(([n, s]) => `envoy_http_${c}{envoy_http_conn_manager_prefix="${esc(n)}"} ${s[c]}`));
    }
    family('envoy_http_downstream_rq_active', 'gauge', hcms.map(([n, s]) => `envoy_http_downstream_rq_active{envoy_http_conn_manager_prefix="${esc(n)}"} ${s.downstream_rq_active}`));
    family(
      'envoy_http_downstream_rq_xx',
      'counter',
      hcms.flatMap(([n, s]) =>
        [...s.downstream_rq_xx.entries()].sort().map(([cls, v]) => `envoy_http_downstream_rq_xx{envoy_response_code_class="${cls}",envoy_http_conn_manager_prefix="${esc(n)}"} ${v}`),
      ),
    );
    family('envoy_http_downstream_rq_time', 'histogram', hcms.flatMap(([n, s]) => histogramRows('envoy_http_downstream_rq_time', `envoy_http_conn_manager_prefix="${esc(n)}"`, s.downstream_rq_time)));
    family('envoy_server_uptime', 'gauge', [`envoy_server_uptime{} ${Math.floor((performance.now() - this.started) / 1000)}`]);
    family('envoy_control_plane_connected_state', 'gauge', [`envoy_control_plane_connected_state{} ${this.server.xds_connected}`]);
    family('envoy_cluster_manager_cds_update_success', 'counter', [`envoy_cluster_manager_cds_update_success{} ${this.server.xds_update_success}`]);
    family('envoy_cluster_manager_cds_update_rejected', 'counter', [`envoy_cluster_manager_cds_update_rejected{} ${this.server.xds_update_rejected}`]);
    return `${out.join('\n')}\n`;
  }
}

function histogramRows(name: string, labels: string, h: Histogram): string[] {
  const rows: string[] = [];
  let cum = 0;
  for (let i = 0; i < HISTOGRAM_BUCKETS.length; i++) {
    cum += h.counts[i] as number;
    rows.push(`${name}_bucket{${labels},le="${HISTOGRAM_BUCKETS[i]}"} ${cum}`);
  }
  rows.push(`${name}_bucket{${labels},le="+Inf"} ${h.count}`);
  rows.push(`${name}_sum{${labels}} ${Math.round(h.sum * 1000) / 1000}`);
  rows.push(`${name}_count{${labels}} ${h.count}`);
  return rows;
}
