/**
 * Access logs: one JSON line per HTTP request and per TCP connection.
 *
 * A filter with an xDS `access_log` (envoy.access_loggers.stdout / stderr / file, with a `json_format`
 * or `text_format_source` of Envoy command operators) logs exactly as configured; a filter without one
 * logs the proxy's default JSON line to the `--access-log` target (stdout, a file, or off).
 * Lines are batched per event-loop turn: one write per turn, not per request.
 */
import { createWriteStream } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import type { Writable } from 'node:stream';
import type { AccessLogConfig } from '@causeway/envoy';
import { ENVOY_TYPE_URLS as TYPE } from '@causeway/envoy';
import { ConfigError, readDataSource } from './envoy/values.js';

export interface AccessLogEntry {
  type: 'http' | 'tcp';
  start_time: string;
  listener: string;
  /** downstream peer "ip:port" */
  source: string;
  /** local address the downstream connected to "ip:port" */
  destination: string;
  sni?: string | undefined;
  /** the peer's SPIFFE ID (URI SAN) when it presented a verified certificate */
  downstream_peer_uri_san?: string | undefined;
  cluster?: string | undefined;
  upstream_host?: string | undefined;
  method?: string;
  path?: string;
  authority?: string | undefined;
  protocol?: string;
  status?: number;
  response_flags: string;
  bytes_received: number;
  bytes_sent: number;
  duration_ms: number;
  attempts?: number;
  request_id?: string | undefined;
}

/** Where lines go. */
export interface AccessLogSink {
  write(line: string): void;
  close(): Promise<void>;
}

/** Formats entries and writes them to a sink. */
export interface AccessLogger {
  /** false when log() would write nothing (`--access-log off`): callers may skip building the entry */
  readonly enabled: boolean;
  log(entry: AccessLogEntry, requestHeaders?: IncomingHttpHeaders): void;
  close(): Promise<void>;
}

/** Writes lines to a stream, batched per event-loop turn. */
export class StreamSink implements AccessLogSink {
  private pending: string[] = [];
  private scheduled = false;
  constructor(
    private readonly out: Writable,
    private readonly owned: boolean,
  ) {}
  write(line: string): void {
    this.pending.push(line);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }
  private flush(): void {
    this.scheduled = false;
    if (this.pending.length === 0) return;
    const text = `${this.pending.join('\n')}\n`;
    this.pending = [];
    this.out.write(text);
  }
  async close(): Promise<void> {
    this.flush();
    if (this.owned) await new Promise<void>((resolve) => this.out.end(resolve));
  }
}

const sinks = new Map<string, AccessLogSink>();
/** One shared sink per target ("-"/"/dev/stdout", "/dev/stderr" or a file path). */
export function sinkFor(target: string): AccessLogSink {
  const key = target === '-' ? '/dev/stdout' : target;
  let s = sinks.get(key);
  if (!s) {
    if (key === '/dev/stdout') s = new StreamSink(process.stdout, false);
    else if (key === '/dev/stderr') s = new StreamSink(process.stderr, false);
    else s = new StreamSink(createWriteStream(key, { flags: 'a' }), true);
    sinks.set(key, s);
  }
  return s;
}

/** The proxy's own JSON line (the `--access-log` default). */
export class DefaultAccessLogger implements AccessLogger {
  readonly enabled: boolean;
  constructor(private readonly sink: AccessLogSink | undefined) {
    this.enabled = sink !== undefined;
  }
  static open(target: string): AccessLogger {
    return new DefaultAccessLogger(target === 'off' || target === '' ? undefined : sinkFor(target));
  }
  log(entry: AccessLogEntry): void {
    this.sink?.write(JSON.stringify(entry));
  }
  async close(): Promise<void> {
    await this.sink?.close();
  }
}

/** Keeps lines in memory (tests). */
export class MemorySink implements AccessLogSink {
  readonly lines: string[] = [];
  write(line: string): void {
    this.lines.push(line);
  }
  async close(): Promise<void> {}
}

/** Keeps entries in memory (tests). */
export class MemoryAccessLog implements AccessLogger {
  readonly enabled = true;
  readonly entries: AccessLogEntry[] = [];
  log(entry: AccessLogEntry): void {
    this.entries.push(entry);
  }
  async close(): Promise<void> {}
}

// ------------------------------------------------------------------ Envoy format strings
type Operator = (e: AccessLogEntry, h: IncomingHttpHeaders | undefined) => string | number;

function headerOp(spec: string, field: string, max: number | undefined): Operator {
  // %REQ(X?Y):Z% — header X, or Y when X is absent, truncated to Z characters
  const m = /^(:?[^?():]+)(?:\?(:?[^?():]+))?$/.exec(spec);
  if (!m) throw new ConfigError(`${field}: bad REQ() operator "${spec}"`);
  const names = [m[1], m[2]].filter((x): x is string => x !== undefined).map((n) => n.toLowerCase());
  return (e, h) => {
    for (const n of names) {
      let v: string | undefined;
      if (n === ':method') v = e.method;
      else if (n === ':path') v = e.path;
      else if (n === ':authority') v = e.authority;
      else {
        const raw = h?.[n];
        v = Array.isArray(raw) ? raw.join(',') : raw;
      }
      if (v !== undefined && v !== '') return max === undefined ? v : v.slice(0, max);
    }
    return '-';
  };
}

const OPERATORS: Record<string, Operator> = {
  START_TIME: (e) => e.start_time,
  DOWNSTREAM_REMOTE_ADDRESS: (e) => e.source,
  DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT: (e) => e.source.replace(/:\d+$/, '').replace(/^\[|\]$/g, ''),
  DOWNSTREAM_LOCAL_ADDRESS: (e) => e.destination,
  DOWNSTREAM_PEER_URI_SAN: (e) => e.downstream_peer_uri_san ?? '-',
  UPSTREAM_HOST: (e) => e.upstream_host ?? '-',
  UPSTREAM_CLUSTER: (e) => e.cluster ?? '-',
  REQUESTED_SERVER_NAME: (e) => e.sni ?? '-',
  RESPONSE_CODE: (e) => e.status ?? 0,
  RESPONSE_FLAGS: (e) => e.response_flags,
  BYTES_RECEIVED: (e) => e.bytes_received,
  BYTES_SENT: (e) => e.bytes_sent,
  DURATION: (e) => Math.round(e.duration_ms),
  PROTOCOL: (e) => e.protocol ?? '-',
  ROUTE_NAME: () => '-',
  UPSTREAM_REQUEST_ATTEMPT_COUNT: (e) => e.attempts ?? 0,
};

/** Compiles a format string: literal text and %OPERATOR% parts. A lone operator keeps its type (numbers stay numbers). */
function compileFormat(fmt: string, field: string): (e: AccessLogEntry, h: IncomingHttpHeaders | undefined) => string | number {
  const parts: (string | Operator)[] = [];
  const re = /%([A-Z_0-9]+)(?:\(([^)]*)\))?(?::(\d+))?%/g;
  let last = 0;
  for (let m = re.exec(fmt); m !== null; m = re.exec(fmt)) {
    if (m.index > last) parts.push(fmt.slice(last, m.index));
    const name = m[1] as string;
    if (name === 'REQ') parts.push(headerOp(m[2] ?? '', field, m[3] ? Number(m[3]) : undefined));
    else {
      const op = OPERATORS[name];
      if (!op) throw new ConfigError(`${field}: unsupported command operator %${name}%`);
      parts.push(op);
    }
    last = m.index + m[0].length;
  }
  if (last < fmt.length) parts.push(fmt.slice(last));
  const only = parts[0];
  if (parts.length === 1 && typeof only === 'function') return only;
  return (e, h) => parts.map((p) => (typeof p === 'string' ? p : String(p(e, h)))).join('');
}

type JsonTemplate = { [k: string]: unknown };

function compileJson(tpl: JsonTemplate, field: string): (e: AccessLogEntry, h: IncomingHttpHeaders | undefined) => unknown {
  const entries = Object.entries(tpl).map(([k, v]) => {
    if (typeof v === 'string') return [k, compileFormat(v, `${field}.${k}`)] as const;
    if (v && typeof v === 'object' && !Array.isArray(v)) return [k, compileJson(v as JsonTemplate, `${field}.${k}`)] as const;
    return [k, () => v] as const;
  });
  return (e, h) => Object.fromEntries(entries.map(([k, f]) => [k, f(e, h)]));
}

class FormattedLogger implements AccessLogger {
  readonly enabled = true;
  constructor(
    private readonly sink: AccessLogSink,
    private readonly format: (e: AccessLogEntry, h: IncomingHttpHeaders | undefined) => string,
  ) {}
  log(entry: AccessLogEntry, headers?: IncomingHttpHeaders): void {
    this.sink.write(this.format(entry, headers));
  }
  async close(): Promise<void> {}
}

const DEFAULT_TEXT =
  '[%START_TIME%] "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%" %RESPONSE_CODE% %RESPONSE_FLAGS% %BYTES_RECEIVED% %BYTES_SENT% %DURATION% "%UPSTREAM_HOST%"';

/** Whether any of these loggers writes (so that an entry is worth building). */
export function anyEnabled(loggers: readonly AccessLogger[]): boolean {
  for (const l of loggers) if (l.enabled) return true;
  return false;
}

/** The loggers of an xDS `access_log` list; `fallback` when the list is empty. */
export function compileAccessLogs(list: AccessLogConfig[] | undefined, fallback: AccessLogger, field: string, sinks: (target: string) => AccessLogSink = sinkFor): AccessLogger[] {
  if (!list || list.length === 0) return [fallback];
  return list.map((al, i) => {
    const f = `${field}[${i}]`;
    const t = al.typed_config?.['@type'];
    const cfg = (al.typed_config ?? {}) as { path?: string; log_format?: { json_format?: JsonTemplate; text_format_source?: { inline_string?: string }; text_format?: string }; format?: string; json_format?: JsonTemplate };
    let sink: AccessLogSink;
    if (t === TYPE.StdoutAccessLog) sink = sinks('/dev/stdout');
    else if (t === TYPE.StderrAccessLog) sink = sinks('/dev/stderr');
    else if (t === TYPE.FileAccessLog) {
      if (!cfg.path) throw new ConfigError(`${f}: file access log needs a path`);
      sink = sinks(cfg.path);
    } else throw new ConfigError(`${f}: unsupported access logger ${al.name} (${t ?? 'no typed_config'})`);
    const lf = cfg.log_format;
    const json = lf?.json_format ?? cfg.json_format;
    if (json) {
      const fmt = compileJson(json, `${f}.log_format.json_format`);
      return new FormattedLogger(sink, (e, h) => JSON.stringify(fmt(e, h)));
    }
    const textSource = lf?.text_format_source ? readDataSource(lf.text_format_source, `${f}.log_format.text_format_source`)?.toString('utf8') : (lf?.text_format ?? cfg.format);
    const text = compileFormat((textSource ?? DEFAULT_TEXT).replace(/\n$/, ''), `${f}.log_format`);
    return new FormattedLogger(sink, (e, h) => String(text(e, h)));
  });
}
