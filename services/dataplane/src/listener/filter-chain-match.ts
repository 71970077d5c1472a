/**
 * Filter chain selection with Envoy's algorithm: the criteria are applied one after another, in this
 * order, each narrowing the candidates:
 *   1. destination_port  2. prefix_ranges (destination IP)  3. server_names  4. transport_protocol
 *   5. application_protocols  6. direct_source_prefix_ranges  7. source_type  8. source_prefix_ranges
 *   9. source_ports
 * At each step the most specific match wins (exact port, longest IP prefix, exact server name before
 * the longest matching wildcard); chains that leave the criterion empty are used only when no chain
 * matches it specifically. There is no backtracking: a connection that matches a specific chain at one
 * step and then nothing at a later step gets no filter chain (the listener's default_filter_chain, if any).
 * Two chains with identical criteria make the listener invalid, as in Envoy.
 */
import type { FilterChainMatch } from '@causeway/envoy';
import { type Cidr, ConfigError, cidrContains, parseCidr, unwrapNumber } from '../envoy/values.js';

export interface ConnectionFacts {
  destinationPort: number;
  destinationIp: string;
  serverName: string | undefined;
  /** "tls" when the TLS inspector saw a ClientHello, otherwise "raw_buffer" */
  transportProtocol: string;
  applicationProtocols: string[];
  directSourceIp: string;
  sourceIp: string;
  sourcePort: number;
}

export interface CompiledMatch<T> {
  value: T;
  destinationPort: number | undefined;
  prefixRanges: Cidr[];
  serverNames: string[];
  transportProtocol: string | undefined;
  applicationProtocols: string[];
  directSourceRanges: Cidr[];
  sourceType: 'ANY' | 'SAME_IP_OR_LOOPBACK' | 'EXTERNAL';
  sourceRanges: Cidr[];
  sourcePorts: number[];
}

export function compileMatch<T>(value: T, m: FilterChainMatch | undefined, field: string): CompiledMatch<T> {
  const fm = m ?? {};
  const serverNames = fm.server_names ?? [];
  for (const n of serverNames) {
    if (n.includes('*') && !(n.startsWith('*.') && n.indexOf('*', 1) < 0)) throw new ConfigError(`${field}.server_names: "${n}" — only a leading "*." wildcard is allowed`);
  }
  return {
    value,
    destinationPort: unwrapNumber(fm.destination_port, `${field}.destination_port`),
    prefixRanges: (fm.prefix_ranges ?? []).map((r, i) => parseCidr(r, `${field}.prefix_ranges[${i}]`)),
    serverNames,
    transportProtocol: fm.transport_protocol || undefined,
    applicationProtocols: fm.application_protocols ?? [],
    directSourceRanges: (fm.direct_source_prefix_ranges ?? []).map((r, i) => parseCidr(r, `${field}.direct_source_prefix_ranges[${i}]`)),
    sourceType: fm.source_type ?? 'ANY',
    sourceRanges: (fm.source_prefix_ranges ?? []).map((r, i) => parseCidr(r, `${field}.source_prefix_ranges[${i}]`)),
    sourcePorts: fm.source_ports ?? [],
  };
}

/** Rejects two chains whose criteria overlap exactly (Envoy: "multiple filter chains with the same matching rules"). */
export function checkDuplicates<T>(chains: CompiledMatch<T>[], names: string[], field: string): void {
  const seen = new Map<string, number>();
  const cidr = (c: Cidr) => `${c.bytes.toString('hex')}/${c.prefixLen}`;
  chains.forEach((c, i) => {
    const combos: string[][] = [
      [String(c.destinationPort ?? '')],
      c.prefixRanges.length ? c.prefixRanges.map(cidr) : [''],
      c.serverNames.length ? c.serverNames : [''],
      [c.transportProtocol ?? ''],
      c.applicationProtocols.length ? c.applicationProtocols : [''],
      c.directSourceRanges.length ? c.directSourceRanges.map(cidr) : [''],
      [c.sourceType],
      c.sourceRanges.length ? c.sourceRanges.map(cidr) : [''],
      c.sourcePorts.length ? c.sourcePorts.map(String) : [''],
    ];
    let keys: string[] = [''];
    for (const opts of combos) keys = keys.flatMap((k) => opts.map((o) => `${k}|${o}`));
    if (keys.length > 100_000) return; // too many combinations to check exhaustively
    for (const k of keys) {
      const prev = seen.get(k);
      if (prev !== undefined && prev !== i) {
        throw new ConfigError(`${field}: filter chains ${JSON.stringify(names[prev] ?? prev)} and ${JSON.stringify(names[i] ?? i)} have the same matching rules`);
      }
      seen.set(k, i);
    }
  });
}

type Step<T> = (cands: CompiledMatch<T>[], f: ConnectionFacts) => CompiledMatch<T>[];

function byLongestPrefix<T>(get: (c: CompiledMatch<T>) => Cidr[], ip: (f: ConnectionFacts) => string): Step<T> {
  return (cands, f) => {
    let best = -1;
    let out: CompiledMatch<T>[] = [];
    for (const c of cands) {
      for (const r of get(c)) {
        if (!cidrContains(r, ip(f))) continue;
        if (r.prefixLen > best) {
          best = r.prefixLen;
          out = [c];
        } else if (r.prefixLen === best && !out.includes(c)) out.push(c);
      }
    }
    return best >= 0 ? out : cands.filter((c) => get(c).length === 0);
  };
}

function isLoopbackOrSame(f: ConnectionFacts): boolean {
  const s = f.sourceIp.replace(/^::ffff:/, '');
  return s.startsWith('127.') || s === '::1' || s === f.destinationIp.replace(/^::ffff:/, '');
}

const STEPS: Step<unknown>[] = [
  // 1. destination port
  (cands, f) => {
    const exact = cands.filter((c) => c.destinationPort === f.destinationPort);
    return exact.length ? exact : cands.filter((c) => c.destinationPort === undefined);
  },
  // 2. destination IP
  byLongestPrefix<unknown>(
    (c) => c.prefixRanges,
    (f) => f.destinationIp,
  ),
  // 3. server name: exact, then the longest wildcard suffix, then chains without server names
  (cands, f) => {
    const sni = f.serverName;
    if (sni) {
      const exact = cands.filter((c) => c.serverNames.includes(sni));
      if (exact.length) return exact;
      const labels = sni.split('.');
      for (let i = 1; i < labels.length; i++) {
        const wildcard = `*.${labels.slice(i).join('.')}`;
        const w = cands.filter((c) => c.serverNames.includes(wildcard));
        if (w.length) return w;
      }
    }
    return cands.filter((c) => c.serverNames.length === 0);
  },
  // 4. transport protocol
  (cands, f) => {
    const exact = cands.filter((c) => c.transportProtocol === f.transportProtocol);
    return exact.length ? exact : cands.filter((c) => c.transportProtocol === undefined);
  },
  // 5. application protocols (ALPN)
  (cands, f) => {
    const m = cands.filter((c) => c.applicationProtocols.some((p) => f.applicationProtocols.includes(p)));
    return m.length ? m : cands.filter((c) => c.applicationProtocols.length === 0);
  },
  // 6. direct source IP
  byLongestPrefix<unknown>(
    (c) => c.directSourceRanges,
    (f) => f.directSourceIp,
  ),
  // 7. source type
  (cands, f) => {
    const local = isLoopbackOrSame(f);
    const specific = cands.filter((c) => (c.sourceType === 'SAME_IP_OR_LOOPBACK' && local) || (c.sourceType === 'EXTERNAL' && !local));
    return specific.length ? specific : cands.filter((c) => c.sourceType === 'ANY');
  },
  // 8. source IP
  byLongestPrefix<unknown>(
    (c) => c.sourceRanges,
    (f) => f.sourceIp,
  ),
  // 9. source port
  (cands, f) => {
    const exact = cands.filter((c) => c.sourcePorts.includes(f.sourcePort));
    return exact.length ? exact : cands.filter((c) => c.sourcePorts.length === 0);
  },
];

/** The chain a connection gets, or undefined (then the default filter chain, or a closed connection). */
export function selectFilterChain<T>(chains: CompiledMatch<T>[], facts: ConnectionFacts): T | undefined {
  let cands = chains;
  for (const step of STEPS) {
    cands = step(cands as CompiledMatch<unknown>[], facts) as CompiledMatch<T>[];
    if (cands.length === 0) return undefined;
  }
  return cands[0]?.value;
}

/** Whether any chain needs what only the TLS inspector provides. */
export function needsTlsInspector<T>(chains: CompiledMatch<T>[]): boolean {
  return chains.some((c) => c.serverNames.length > 0 || c.transportProtocol === 'tls' || c.applicationProtocols.length > 0);
}
