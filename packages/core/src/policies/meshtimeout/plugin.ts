/**
 * MeshTimeout (Kuma's `to[]` / `from[]` with `default: TimeoutConf`).
 *
 * `to[]` (the selected proxy's outbound to a destination):
 * | field | Envoy |
 * | --- | --- |
 * | `connectionTimeout` | Cluster `<service>` `connect_timeout` |
 * | `idleTimeout` | outbound listener: tcp_proxy `idle_timeout`, or HCM `common_http_protocol_options.idle_timeout` |
 * | `http.requestTimeout` | route `outbound:<service>` `timeout` (504 when it fires) |
 * | `http.streamIdleTimeout` | HCM `stream_idle_timeout` |
 * | `http.maxStreamDuration` | route `max_stream_duration.max_stream_duration` |
 * | `http.maxConnectionDuration` | HCM `common_http_protocol_options.max_connection_duration` |
 * | `http.requestHeadersTimeout` | HCM `request_headers_timeout` |
 *
 * `from[]` (the selected proxy's inbounds): the same fields on the inbound listener, the inbound route
 * (`inbound:<address>:<port>`, whose timeout is otherwise `0s`) and the cluster to the application. An
 * inbound cannot tell its callers apart before routing, so only `from[]` entries with `targetRef.kind:
 * Mesh` apply (as in Kuma); others are reported by the inspect API and ignored.
 *
 * Fields no policy sets keep the generator's defaults (connect 5 s, outbound request 15 s).
 */
import { type CommonHttpProtocolOptions, durationMs, type EnvoyJson } from '@causeway/envoy/config';
import type { Resource } from '../../resource.js';
import { parseDuration } from '../../validation.js';
import { HTTP_PROTOCOLS, type PolicyContext, type ResourceSet } from '../context.js';
import { canonicalJson, mergeConfs, type RuleEntry } from '../match.js';
import {
  dataplaneTagSets,
  explainEntries,
  explainPolicies,
  type InboundTarget,
  type PolicyExplanation,
  type PolicyPlugin,
  type Resolved,
  resolveFrom,
  resolveTo,
  routeService,
  type SidecarPolicyInput,
  selecting,
} from '../plugin.js';
import { derive, type Filter, HCM, mapChains, mapFilters, mapKind, outboundListenerService, TCP_PROXY, withConfig, withRouteAction } from '../resources.js';
import { meshTimeout, type TimeoutConf } from './api.js';

const TYPE = meshTimeout.type;

function dur(v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  const ms = parseDuration(v);
  return ms === undefined ? undefined : durationMs(ms);
}

/** Sets the timeout fields of a tcp_proxy or HCM filter. */
function timeoutFilter(f: Filter, c: TimeoutConf): Filter {
  if (f.name === TCP_PROXY) return withConfig(f, { idle_timeout: dur(c.idleTimeout) });
  if (f.name !== HCM) return f;
  const common: CommonHttpProtocolOptions = {};
  const idle = dur(c.idleTimeout);
  const maxConn = dur(c.http?.maxConnectionDuration);
  if (idle) common.idle_timeout = idle;
  if (maxConn) common.max_connection_duration = maxConn;
  return withConfig(f, {
    common_http_protocol_options: Object.keys(common).length > 0 ? { ...((f.typed_config.common_http_protocol_options as CommonHttpProtocolOptions | undefined) ?? {}), ...common } : undefined,
    stream_idle_timeout: dur(c.http?.streamIdleTimeout),
    request_headers_timeout: dur(c.http?.requestHeadersTimeout),
  });
}

function timeoutListener(l: EnvoyJson, c: TimeoutConf): EnvoyJson {
  return derive(l, `${TYPE}:${canonicalJson(c)}`, (o) => mapChains(o, (chain) => mapFilters(chain, (f) => timeoutFilter(f, c))));
}

function timeoutRoute(r: EnvoyJson, c: TimeoutConf, requestTimeout: string | undefined): EnvoyJson {
  const maxStream = dur(c.http?.maxStreamDuration);
  return derive(r, `${TYPE}:${canonicalJson(c)}`, (o) =>
    withRouteAction(o, { timeout: requestTimeout, max_stream_duration: maxStream ? { max_stream_duration: maxStream } : undefined }),
  );
}

function timeoutCluster(cl: EnvoyJson, c: TimeoutConf): EnvoyJson {
  const t = dur(c.connectionTimeout);
  if (!t) return cl;
  return derive(cl, `${TYPE}:connect:${t}`, (o) => ({ ...o, connect_timeout: t }));
}

function outboundRules(input: SidecarPolicyInput): Map<string, Resolved<TimeoutConf>> {
  const out = new Map<string, Resolved<TimeoutConf>>();
  const proxyTags = dataplaneTagSets(input.dataplane.spec);
  // The policies whose targetRef selects this proxy, found through the index by service (not every policy per outbound).
  const policies = selecting(input.ctx, TYPE, proxyTags);
  for (const t of input.outbounds) {
    const r = resolveTo<TimeoutConf>(policies, proxyTags, t);
    if (r) out.set(t.service, r);
  }
  return out;
}

function inboundRules(input: SidecarPolicyInput): { inbound: InboundTarget; entries: RuleEntry<TimeoutConf>[]; ignored: RuleEntry<TimeoutConf>[]; conf: TimeoutConf }[] {
  return input.inbounds.map((inbound) => {
    const all = resolveFrom<TimeoutConf>(selecting(input.ctx, TYPE, [inbound.tags]), [inbound.tags]);
    const entries = all.filter((e) => e.entryTargetRef.kind === 'Mesh');
    return { inbound, entries, ignored: all.filter((e) => e.entryTargetRef.kind !== 'Mesh'), conf: mergeConfs(entries.map((e) => e.conf)) };
  });
}

function sidecar(set: ResourceSet, input: SidecarPolicyInput): ResourceSet {
  let out = set;
  const outbound = outboundRules(input);
  if (outbound.size > 0) {
    out = mapKind(out, 'Cluster', (c) => {
      const r = outbound.get(c.name as string);
      return r ? timeoutCluster(c, r.conf) : c;
    });
    out = mapKind(out, 'Listener', (l) => {
      if (l.traffic_direction !== 'OUTBOUND') return l;
      const service = outboundListenerService(l);
      const r = service !== undefined ? outbound.get(service) : undefined;
      return r ? timeoutListener(l, r.conf) : l;
    });
    out = mapKind(out, 'RouteConfiguration', (rc) => {
      const r = routeService(rc, outbound);
      return r ? timeoutRoute(rc, r.conf, dur(r.conf.http?.requestTimeout)) : rc;
    });
  }
  for (const { inbound, entries, conf } of inboundRules(input)) {
    if (entries.length === 0) continue;
    out = mapKind(out, 'Cluster', (c) => (c.name === inbound.cluster ? timeoutCluster(c, conf) : c));
    out = mapKind(out, 'Listener', (l) => (l.name === inbound.listener ? timeoutListener(l, conf) : l));
    if (HTTP_PROTOCOLS.has(inbound.protocol))
      out = mapKind(out, 'RouteConfiguration', (rc) => (rc.name === inbound.listener ? timeoutRoute(rc, conf, dur(conf.http?.requestTimeout)) : rc));
  }
  return out;
}

function explain(input: SidecarPolicyInput): PolicyExplanation {
  const notes: string[] = [];
  const inbounds = inboundRules(input).map(({ inbound, entries, ignored, conf }) => {
    for (const e of ignored) notes.push(`${e.policy} from[${e.index}] (${e.entryTargetRef.kind}) is ignored on inbound ${inbound.key}: inbound timeouts apply to every caller (targetRef kind Mesh only)`);
    return { name: inbound.key, service: inbound.service, rules: explainEntries(entries, 'from'), result: conf };
  });
  return {
    type: TYPE,
    policies: explainPolicies(input.ctx, TYPE, dataplaneTagSets(input.dataplane.spec)),
    outbounds: [...outboundRules(input).entries()].map(([service, r]) => ({ name: service, service, rules: explainEntries(r.entries, 'to'), result: r.conf })),
    inbounds: inbounds.filter((i) => i.rules.length > 0),
    ...(notes.length > 0 ? { notes } : {}),
  };
}

export const meshTimeoutPlugin: PolicyPlugin<'MeshTimeout'> = {
  api: meshTimeout,
  sidecar,
  explain,
  relevantToSidecar: (ctx: PolicyContext, dp: Resource<'Dataplane'>) => selecting(ctx, TYPE, dataplaneTagSets(dp.spec)),
  // `from[]` entries time inbounds only.
  relevantToOutbounds: (ctx: PolicyContext, dp: Resource<'Dataplane'>) => (selecting(ctx, TYPE, dataplaneTagSets(dp.spec)) as Resource<'MeshTimeout'>[]).filter((p) => (p.spec.to?.length ?? 0) > 0),
};
