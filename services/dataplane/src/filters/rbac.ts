/**
 * Envoy's RBAC (network filter, and the HTTP filter for the same rules): a policy matches when any of
 * its permissions and any of its principals match; action ALLOW lets a connection through when some
 * policy matches, DENY rejects it when some policy matches, LOG only counts. No `rules` allows all.
 *
 * `authenticated.principal_name` is matched as Envoy does: against each URI SAN of the verified peer
 * certificate, then each DNS SAN, then the subject; without `principal_name`, any connection with a
 * verified client certificate matches.
 */
import type { ConnectionInfo } from '../context.js';
import type { CidrRange, HeaderMatcher, RbacConfig, RbacPermission, RbacPrincipal, RbacRules, StringMatcher } from '@causeway/envoy';
import { ConfigError, cidrContains, compileStringMatcher, parseCidr } from '../envoy/values.js';
import type { PeerSans } from '../tls/contexts.js';
import { compileHeaderMatcher } from '../http/match.js';

export interface RbacSubject {
  sourceIp: string;
  directRemoteIp: string;
  destinationIp: string;
  destinationPort: number;
  serverName: string | undefined;
  /** present when the peer presented a certificate that was verified */
  peer: { sans: PeerSans; subject: string } | undefined;
  /** HTTP only */
  headers?: Record<string, string | string[] | undefined>;
  path?: string;
}

/** The subject of a connection (and, for the HTTP filter, of one request on it). */
export function rbacSubject(conn: ConnectionInfo, request?: { headers: Record<string, string | string[] | undefined>; path: string }): RbacSubject {
  return {
    sourceIp: conn.sourceIp,
    directRemoteIp: conn.sourceIp,
    destinationIp: conn.destinationIp,
    destinationPort: conn.destinationPort,
    serverName: conn.serverName,
    peer: conn.peer,
    headers: request?.headers,
    path: request?.path,
  };
}

type Pred = (s: RbacSubject) => boolean;

function cidr(r: CidrRange, field: string): Pred {
  const c = parseCidr(r, field);
  return (s) => cidrContains(c, s.sourceIp);
}

function sm(m: StringMatcher | undefined, field: string) {
  return compileStringMatcher(m, field);
}

function headerPred(h: HeaderMatcher, field: string): Pred {
  const m = compileHeaderMatcher(h, field);
  return (s) => (s.headers ? m(s.headers) : false);
}

function compilePermission(p: RbacPermission, field: string): Pred {
  if (p.any) return () => true;
  if (p.and_rules) {
    const rs = p.and_rules.rules.map((r, i) => compilePermission(r, `${field}.and_rules.rules[${i}]`));
    return (s) => rs.every((r) => r(s));
  }
  if (p.or_rules) {
    const rs = p.or_rules.rules.map((r, i) => compilePermission(r, `${field}.or_rules.rules[${i}]`));
    return (s) => rs.some((r) => r(s));
  }
  if (p.not_rule) {
    const r = compilePermission(p.not_rule, `${field}.not_rule`);
    return (s) => !r(s);
  }
  if (p.destination_port !== undefined) {
    const port = p.destination_port;
    return (s) => s.destinationPort === port;
  }
  if (p.destination_port_range) {
    const { start, end } = p.destination_port_range;
    return (s) => s.destinationPort >= start && s.destinationPort < end;
  }
  if (p.destination_ip) {
    const c = parseCidr(p.destination_ip, `${field}.destination_ip`);
    return (s) => cidrContains(c, s.destinationIp);
  }
  if (p.requested_server_name) {
    const m = sm(p.requested_server_name, `${field}.requested_server_name`);
    return (s) => m(s.serverName ?? '');
  }
  if (p.header) return headerPred(p.header, `${field}.header`);
  if (p.url_path) {
    const m = sm(p.url_path.path, `${field}.url_path.path`);
    return (s) => s.path !== undefined && m(s.path.split('?')[0]);
  }
  throw new ConfigError(`${field}: unsupported permission ${JSON.stringify(Object.keys(p))}`);
}

function compilePrincipal(p: RbacPrincipal, field: string): Pred {
  if (p.any) return () => true;
  if (p.and_ids) {
    const rs = p.and_ids.ids.map((r, i) => compilePrincipal(r, `${field}.and_ids.ids[${i}]`));
    return (s) => rs.every((r) => r(s));
  }
  if (p.or_ids) {
    const rs = p.or_ids.ids.map((r, i) => compilePrincipal(r, `${field}.or_ids.ids[${i}]`));
    return (s) => rs.some((r) => r(s));
  }
  if (p.not_id) {
    const r = compilePrincipal(p.not_id, `${field}.not_id`);
    return (s) => !r(s);
  }
  if (p.authenticated) {
    if (!p.authenticated.principal_name) return (s) => s.peer !== undefined;
    const m = sm(p.authenticated.principal_name, `${field}.authenticated.principal_name`);
    return (s) => {
      if (!s.peer) return false;
      if (s.peer.sans.uri.some((u) => m(u))) return true;
      if (s.peer.sans.dns.some((d) => m(d))) return true;
      return m(s.peer.subject);
    };
  }
  if (p.source_ip) return cidr(p.source_ip, `${field}.source_ip`);
  if (p.remote_ip) return cidr(p.remote_ip, `${field}.remote_ip`);
  if (p.direct_remote_ip) {
    const c = parseCidr(p.direct_remote_ip, `${field}.direct_remote_ip`);
    return (s) => cidrContains(c, s.directRemoteIp);
  }
  if (p.header) return headerPred(p.header, `${field}.header`);
  if (p.url_path) {
    const m = sm(p.url_path.path, `${field}.url_path.path`);
    return (s) => s.path !== undefined && m(s.path.split('?')[0]);
  }
  throw new ConfigError(`${field}: unsupported principal ${JSON.stringify(Object.keys(p))}`);
}

interface CompiledRules {
  action: 'ALLOW' | 'DENY' | 'LOG';
  policies: { name: string; permissions: Pred[]; principals: Pred[] }[];
}

function compileRules(r: RbacRules, field: string): CompiledRules {
  const action = r.action ?? 'ALLOW';
  if (action !== 'ALLOW' && action !== 'DENY' && action !== 'LOG') throw new ConfigError(`${field}.action: unknown action ${String(action)}`);
  return {
    action,
    policies: Object.entries(r.policies ?? {}).map(([name, p]) => ({
      name,
      permissions: (p.permissions ?? []).map((x, i) => compilePermission(x, `${field}.policies.${name}.permissions[${i}]`)),
      principals: (p.principals ?? []).map((x, i) => compilePrincipal(x, `${field}.policies.${name}.principals[${i}]`)),
    })),
  };
}

export interface RbacDecision {
  allowed: boolean;
  /** the policy that matched, if any */
  policy: string | undefined;
}

export class Rbac {
  private readonly rules: CompiledRules | undefined;
  readonly statPrefix: string;
  constructor(config: RbacConfig, field: string) {
    this.rules = config.rules ? compileRules(config.rules, `${field}.rules`) : undefined;
    if (config.shadow_rules) compileRules(config.shadow_rules, `${field}.shadow_rules`); // validated; shadow rules only count in Envoy
    this.statPrefix = config.stat_prefix ?? '';
  }

  evaluate(s: RbacSubject): RbacDecision {
    const r = this.rules;
    if (!r) return { allowed: true, policy: undefined };
    const matched = r.policies.find((p) => p.permissions.some((x) => x(s)) && p.principals.some((x) => x(s)));
    if (r.action === 'ALLOW') return { allowed: matched !== undefined, policy: matched?.name };
    if (r.action === 'DENY') return { allowed: matched === undefined, policy: matched?.name };
    return { allowed: true, policy: matched?.name };
  }
}
