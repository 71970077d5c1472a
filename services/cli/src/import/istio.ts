/**
 * Istio (networking.istio.io v1alpha3 / v1beta1 / v1):
 * - ServiceEntry: each host x port -> one service (`kuma.io/service: <host>-<port>`), one ExternalService
 *   per address (the host itself, or each of its `endpoints`);
 * - DestinationRule: `tls` (SIMPLE / MUTUAL / DISABLE, `sni`) -> `networking.tls` of the host's
 *   ExternalServices (port-level settings per port); `connectionPool` connect / idle timeouts -> MeshTimeout;
 * - VirtualService: `http[].timeout` -> MeshTimeout `http.requestTimeout`, `http[].retries` -> MeshRetry,
 *   for the HTTP ports of the hosts it routes.
 * Everything else is a note naming the field.
 */
import { isIP } from 'node:net';
import { HTTP_RETRY_ON as MESH_RETRY_HTTP_RETRY_ON } from '@causeway/core';
import {
  applyClientTls,
  duration,
  hostPort,
  hostProblem,
  type ImportedService,
  isHttpLike,
  list,
  requiredPorts,
  normalizeHost,
  type Obj,
  obj,
  portNumber,
  portProtocol,
  registerService,
  type ServiceRegistry,
  type SourceRef,
  str,
  strList,
} from './common.js';
import type { PolicyBuilder } from './policies.js';

const SERVICE_ENTRY_FIELDS = ['hosts', 'addresses', 'ports', 'location', 'resolution', 'endpoints', 'workloadSelector', 'exportTo', 'subjectAltNames'] as const;
const SE_PORT_FIELDS = ['number', 'protocol', 'name', 'targetPort'] as const;
const ENDPOINT_FIELDS = ['address', 'ports', 'labels', 'network', 'locality', 'weight', 'serviceAccount'] as const;

/** ServiceEntry -> services (registered) with their ExternalServices. */
export function importServiceEntry(ref: SourceRef, spec: Obj, mesh: string, registry: ServiceRegistry): ImportedService[] {
  ref.unknownFields(spec, 'spec', SERVICE_ENTRY_FIELDS);
  const hosts = strList(ref, spec.hosts, 'spec.hosts');
  if (hosts.length === 0) {
    ref.notMapped('spec.hosts', 'no hosts: nothing to import');
    return [];
  }
  if (spec.addresses !== undefined)
    ref.notMapped('spec.addresses', "Causeway's builtin DNS gives each ExternalService host its own VIP: applications call the host name (or <service>.mesh)");
  if (spec.exportTo !== undefined)
    ref.notMapped('spec.exportTo', 'an ExternalService is visible to the whole mesh: limit who may call it with a MeshTrafficPermission (with mTLS on)');
  if (spec.workloadSelector !== undefined)
    ref.notMapped('spec.workloadSelector', 'selects pods or WorkloadEntries: in Causeway those are Dataplanes with their own kuma.io/service, not ExternalServices');
  if (spec.subjectAltNames !== undefined)
    ref.notMapped('spec.subjectAltNames', 'Causeway checks a server certificate against the SNI (or the address host), not against a list of names');
  const location = str(ref, spec.location, 'spec.location');
  if (location === 'MESH_INTERNAL')
    ref.note('spec.location', 'MESH_INTERNAL: imported as ExternalServices (outside the mesh: no mesh mTLS to these addresses); make them Dataplanes to bring them into the mesh');
  else if (location !== undefined && location !== 'MESH_EXTERNAL') ref.notMapped('spec.location', `unknown location ${JSON.stringify(location)}`);
  const resolution = (str(ref, spec.resolution, 'spec.resolution') ?? 'NONE').toUpperCase();
  if (!['NONE', 'STATIC', 'DNS', 'DNS_ROUND_ROBIN'].includes(resolution)) ref.notMapped('spec.resolution', `unknown resolution ${JSON.stringify(resolution)}: taken as DNS`);

  // Endpoints: their address, the ports by port name.
  const endpoints: { address: string; ports: Record<string, number>; field: string }[] = [];
  list(ref, spec.endpoints, 'spec.endpoints').forEach((e, i) => {
    const field = `spec.endpoints[${i}]`;
    const ep = obj(ref, e, field);
    if (!ep) return;
    ref.unknownFields(ep, field, ENDPOINT_FIELDS);
    for (const k of ['labels', 'network', 'locality', 'weight', 'serviceAccount'] as const)
      if (ep[k] !== undefined) ref.notMapped(`spec.endpoints[].${k}`, `an ExternalService address has no ${k}`);
    const address = str(ref, ep.address, `${field}.address`);
    if (address === undefined || address === '') {
      ref.notMapped(field, 'no address');
      return;
    }
    if (address.startsWith('unix://')) {
      ref.notMapped(`${field}.address`, 'a Unix domain socket: Causeway ExternalServices reach host:port addresses');
      return;
    }
    const problem = hostProblem(address);
    if (problem) {
      ref.notMapped(`${field}.address`, problem);
      return;
    }
    const ports: Record<string, number> = {};
    for (const [name, v] of Object.entries(obj(ref, ep.ports, `${field}.ports`) ?? {})) {
      const n = portNumber(ref, v, `${field}.ports.${name}`);
      if (n !== undefined) ports[name] = n;
    }
    endpoints.push({ address, ports, field });
  });
  if (resolution === 'STATIC' && endpoints.length === 0 && spec.workloadSelector === undefined) {
    ref.notMapped('spec.endpoints', 'resolution STATIC without endpoints: there is no address to send to');
    return [];
  }

  const ports = requiredPorts(ref, spec.ports);
  if (ports.length === 0) return [];
  const out: ImportedService[] = [];
  hosts.forEach((rawHost, hi) => {
    const problem = hostProblem(rawHost);
    if (problem) {
      ref.notMapped(`spec.hosts[${hi}]`, problem);
      return;
    }
    const host = normalizeHost(rawHost);
    ports.forEach((p, pi) => {
      const field = `spec.ports[${pi}]`;
      const port = obj(ref, p, field);
      if (!port) return;
      ref.unknownFields(port, field, SE_PORT_FIELDS);
      const number = portNumber(ref, port.number, `${field}.number`);
      if (number === undefined) return;
      const name = str(ref, port.name, `${field}.name`);
      const protocol = portProtocol(ref, str(ref, port.protocol, `${field}.protocol`), name, field);
      if (!protocol) return;
      const targetPort = portNumber(ref, port.targetPort, `${field}.targetPort`);
      const addresses =
        endpoints.length > 0
          ? endpoints.map((ep) => hostPort(ep.address, (name !== undefined ? ep.ports[name] : undefined) ?? targetPort ?? number))
          : [hostPort(host, targetPort ?? number)];
      const svc = registerService(registry, ref, `${field}.number`, mesh, host, number, protocol, addresses);
      if (!svc) return;
      if (endpoints.length > 0) {
        if (isIP(host) === 0)
          ref.note(
            `spec.hosts[${hi}]`,
            `the ExternalServices of ${host}:${number} point at its endpoints, so the builtin DNS does not answer ${host}: applications call ${svc.service}.mesh (port 80) or a Dataplane outbound for kuma.io/service ${svc.service}`,
          );
      } else {
        if (targetPort !== undefined && targetPort !== number)
          ref.note(
            `${field}.targetPort`,
            `the ExternalService's address is ${host}:${targetPort}, and the sidecar listens for ${host} on that port: applications call ${host}:${targetPort} (or ${svc.service}.mesh)`,
          );
        if (resolution === 'NONE')
          ref.note('spec.resolution', 'NONE (the default): Istio forwards to the address the application resolved; the Causeway sidecar resolves the host name itself (as with DNS)');
      }
      out.push(svc);
    });
  });
  return out;
}

// ---------------------------------------------------------------------------------------------------
// DestinationRule

const ISTIO_TLS = { defaultMode: 'DISABLE', systemCas: true } as const;
const DR_FIELDS = ['host', 'trafficPolicy', 'subsets', 'exportTo', 'workloadSelector'] as const;
const POLICY_FIELDS = ['loadBalancer', 'connectionPool', 'outlierDetection', 'tls', 'portLevelSettings', 'tunnel', 'proxyProtocol', 'retryBudget'] as const;
const PORT_POLICY_FIELDS = ['port', 'loadBalancer', 'connectionPool', 'outlierDetection', 'tls'] as const;

/** Load balancing the Causeway proxy does anyway (round robin). */
function loadBalancer(ref: SourceRef, v: unknown, field: string): void {
  const lb = obj(ref, v, field);
  if (!lb) return;
  for (const [k, val] of Object.entries(lb)) {
    if (k === 'simple' && (val === 'ROUND_ROBIN' || val === 'UNSPECIFIED')) continue;
    ref.notMapped(`${field}.${k}`, `Causeway balances ExternalService addresses round robin only${k === 'simple' ? ` (not ${String(val)})` : ''}`);
  }
}

/** connectionPool: connect / idle timeouts become MeshTimeout fields; the rest are circuit breakers. */
function connectionPool(ref: SourceRef, v: unknown, field: string, svc: ImportedService): Obj {
  const cp = obj(ref, v, field);
  const conf: Obj = {};
  if (!cp) return conf;
  const tcp = obj(ref, cp.tcp, `${field}.tcp`) ?? {};
  const http = obj(ref, cp.http, `${field}.http`) ?? {};
  for (const k of Object.keys(cp)) if (k !== 'tcp' && k !== 'http') ref.notMapped(`${field}.${k}`, 'not a connectionPool field this importer knows');
  const connect = tcp.connectTimeout !== undefined ? duration(ref, tcp.connectTimeout, `${field}.tcp.connectTimeout`) : undefined;
  if (connect) conf.connectionTimeout = connect;
  // MeshTimeout has one idleTimeout: an HTTP service takes http.idleTimeout (else tcp's), a TCP one tcp's.
  const httpLike = isHttpLike(svc.protocol.kuma);
  const idleField = httpLike && http.idleTimeout !== undefined ? 'http' : tcp.idleTimeout !== undefined ? 'tcp' : undefined;
  if (idleField) {
    const idle = duration(ref, (idleField === 'http' ? http : tcp).idleTimeout, `${field}.${idleField}.idleTimeout`);
    if (idle) conf.idleTimeout = idle;
  }
  if (http.idleTimeout !== undefined && !httpLike)
    ref.notMapped(`${field}.http.idleTimeout`, `applies to HTTP connections: ${svc.host}:${svc.port} is ${svc.protocol.source}`);
  if (idleField === 'http' && tcp.idleTimeout !== undefined)
    ref.notMapped(`${field}.tcp.idleTimeout`, `MeshTimeout has one idleTimeout: ${field}.http.idleTimeout is the one for ${svc.host}:${svc.port}`);
  for (const [section, values] of [
    ['tcp', tcp],
    ['http', http],
  ] as const)
    for (const k of Object.keys(values)) {
      if (k === 'connectTimeout' || k === 'idleTimeout') continue;
      ref.notMapped(`${field}.${section}.${k}`, 'connection limits and keepalives are not imported (Causeway has no MeshCircuitBreaker)');
    }
  return conf;
}

export function importDestinationRule(ref: SourceRef, spec: Obj, registry: ServiceRegistry, policies: PolicyBuilder): void {
  ref.unknownFields(spec, 'spec', DR_FIELDS);
  const host = str(ref, spec.host, 'spec.host');
  if (host === undefined) {
    ref.notMapped('spec.host', 'no host');
    return;
  }
  const services = registry.ofHost(host);
  if (services.length === 0) {
    ref.notMapped('spec.host', `no ServiceEntry or ExternalService in the input declares ${JSON.stringify(host)}: a DestinationRule is imported together with the ServiceEntry of its host`);
    return;
  }
  if (spec.subsets !== undefined) ref.notMapped('spec.subsets', 'Causeway ExternalServices have no subsets: routes to subsets are not imported either');
  if (spec.exportTo !== undefined) ref.notMapped('spec.exportTo', 'policies apply mesh-wide (select callers with a MeshTimeout/MeshRetry targetRef instead)');
  if (spec.workloadSelector !== undefined) ref.notMapped('spec.workloadSelector', 'imported for every caller (targetRef kind Mesh)');
  const tp = obj(ref, spec.trafficPolicy, 'spec.trafficPolicy');
  if (!tp) return;
  ref.unknownFields(tp, 'spec.trafficPolicy', POLICY_FIELDS);
  loadBalancer(ref, tp.loadBalancer, 'spec.trafficPolicy.loadBalancer');
  if (tp.outlierDetection !== undefined) ref.notMapped('spec.trafficPolicy.outlierDetection', 'Causeway has no outlier detection (MeshCircuitBreaker)');
  for (const k of ['tunnel', 'proxyProtocol', 'retryBudget'] as const) if (tp[k] !== undefined) ref.notMapped(`spec.trafficPolicy.${k}`, 'not supported by Causeway');

  const portLevel = new Map<number, { value: Obj; field: string }>();
  list(ref, tp.portLevelSettings, 'spec.trafficPolicy.portLevelSettings').forEach((p, i) => {
    const field = `spec.trafficPolicy.portLevelSettings[${i}]`;
    const pl = obj(ref, p, field);
    if (!pl) return;
    ref.unknownFields(pl, field, PORT_POLICY_FIELDS);
    const number = portNumber(ref, obj(ref, pl.port, `${field}.port`)?.number, `${field}.port.number`);
    if (number === undefined) return;
    if (!services.some((s) => s.port === number)) {
      ref.notMapped(`${field}.port`, `no port ${number} is declared for ${host}`);
      return;
    }
    loadBalancer(ref, pl.loadBalancer, `${field}.loadBalancer`);
    if (pl.outlierDetection !== undefined) ref.notMapped(`${field}.outlierDetection`, 'Causeway has no outlier detection (MeshCircuitBreaker)');
    portLevel.set(number, { value: pl, field });
  });

  for (const svc of services) {
    const pl = portLevel.get(svc.port);
    // Istio: a port-level section replaces the destination-level one.
    if (pl?.value.tls !== undefined) applyClientTls(ref, pl.value.tls, `${pl.field}.tls`, svc, ISTIO_TLS);
    else if (tp.tls !== undefined) applyClientTls(ref, tp.tls, 'spec.trafficPolicy.tls', svc, ISTIO_TLS);
    const conf =
      pl?.value.connectionPool !== undefined
        ? connectionPool(ref, pl.value.connectionPool, `${pl.field}.connectionPool`, svc)
        : tp.connectionPool !== undefined
          ? connectionPool(ref, tp.connectionPool, 'spec.trafficPolicy.connectionPool', svc)
          : {};
    if (Object.keys(conf).length > 0) policies.timeout(ref, svc, conf);
  }
}

// ---------------------------------------------------------------------------------------------------
// VirtualService

const VS_FIELDS = ['hosts', 'gateways', 'http', 'tls', 'tcp', 'exportTo'] as const;
const HTTP_ROUTE_FIELDS = [
  'name',
  'match',
  'route',
  'redirect',
  'directResponse',
  'delegate',
  'rewrite',
  'timeout',
  'retries',
  'fault',
  'mirror',
  'mirrors',
  'mirrorPercent',
  'mirrorPercentage',
  'mirror_percent',
  'corsPolicy',
  'headers',
] as const;
const NOT_IMPORTED_ROUTE_FIELDS: Record<string, string> = {
  redirect: 'Causeway has no HTTP redirects (no MeshHTTPRoute)',
  directResponse: 'Causeway has no direct responses (no MeshHTTPRoute)',
  delegate: 'Causeway has no route delegation',
  rewrite: 'Causeway does not rewrite paths or authorities (no MeshHTTPRoute)',
  fault: 'Causeway has no fault injection (MeshFaultInjection)',
  mirror: 'Causeway has no traffic mirroring',
  mirrors: 'Causeway has no traffic mirroring',
  mirrorPercent: 'Causeway has no traffic mirroring',
  mirrorPercentage: 'Causeway has no traffic mirroring',
  mirror_percent: 'Causeway has no traffic mirroring',
  corsPolicy: 'Causeway has no CORS policy',
  headers: 'Causeway does not change request or response headers (no MeshHTTPRoute)',
};
const MATCH_ONLY_PORT = new Set(['port', 'name']);

type RouteFit = 'all' | 'some' | 'none';

/** Does an http[] / tls[] / tcp[] route take every request to `port`, some of them, or none? */
function routeFit(ref: SourceRef, route: Obj, field: string, port: number): RouteFit {
  const matches = list(ref, route.match, `${field}.match`).filter((m): m is Obj => typeof m === 'object' && m !== null && !Array.isArray(m));
  if (matches.length === 0) return 'all';
  let fit: RouteFit = 'none';
  for (const m of matches) {
    const mPort = m.port === undefined ? undefined : Number(m.port);
    if (mPort !== undefined && mPort !== port) continue;
    if (Object.keys(m).every((k) => MATCH_ONLY_PORT.has(k))) return 'all';
    fit = 'some';
  }
  return fit;
}

/** The routes' destinations: a note for each that does not send the traffic where Causeway sends it. */
function checkDestinations(ref: SourceRef, route: Obj, field: string, svc: ImportedService): void {
  const dests = list(ref, route.route, `${field}.route`);
  if (dests.length > 1) ref.notMapped(`${field}.route`, 'a split between several destinations: Causeway sends every call to the ExternalService of the host called');
  dests.forEach((d, i) => {
    const dField = `${field}.route[${i}].destination`;
    const dest = obj(ref, obj(ref, d, `${field}.route[${i}]`)?.destination, dField);
    if (!dest) return;
    const host = str(ref, dest.host, `${dField}.host`);
    if (host !== undefined && normalizeHost(host) !== svc.host)
      ref.notMapped(`${dField}.host`, `sends ${svc.host} traffic to ${host}: Causeway has no MeshHTTPRoute, calls to ${svc.host} stay with its ExternalService`);
    const port = obj(ref, dest.port, `${dField}.port`)?.number;
    if (port !== undefined && Number(port) !== svc.port) ref.notMapped(`${dField}.port`, `Causeway does not change the port (${svc.port} -> ${String(port)})`);
    if (dest.subset !== undefined) ref.notMapped(`${dField}.subset`, 'Causeway ExternalServices have no subsets');
    const rh = obj(ref, d, `${field}.route[${i}]`)?.headers;
    if (rh !== undefined) ref.notMapped(`${field}.route[${i}].headers`, NOT_IMPORTED_ROUTE_FIELDS.headers as string);
  });
}

/** MeshRetry's spelling of Envoy's `5xx` (Kuma writes `5xx`; earlier Causeway versions demanded `5XX`). */
const FIVE_XX = (MESH_RETRY_HTTP_RETRY_ON as readonly string[]).find((c) => c.toLowerCase() === '5xx') ?? '5xx';

/** Envoy retry conditions as Istio writes them -> MeshRetry's. */
const HTTP_RETRY_ON: Record<string, string> = {
  '5xx': FIVE_XX,
  'gateway-error': 'GatewayError',
  reset: 'Reset',
  'connect-failure': 'ConnectFailure',
  'retriable-4xx': 'Retriable4xx',
  'refused-stream': 'RefusedStream',
  'envoy-ratelimited': 'EnvoyRatelimited',
  'http3-post-connect-failure': 'Http3PostConnectFailure',
};
const GRPC_RETRY_ON: Record<string, string> = {
  cancelled: 'Canceled',
  'deadline-exceeded': 'DeadlineExceeded',
  internal: 'Internal',
  'resource-exhausted': 'ResourceExhausted',
  unavailable: 'Unavailable',
};
/** Istio's retry conditions when `retryOn` is not written. */
const ISTIO_DEFAULT_RETRY_ON = 'connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes,503';
/** Istio retries twice when `attempts` is not written. */
const ISTIO_DEFAULT_ATTEMPTS = 2;

/** `retries` -> a MeshRetry `default` for one service (its http or grpc section). */
function retryConf(ref: SourceRef, v: unknown, field: string, svc: ImportedService): Obj | undefined {
  const r = obj(ref, v, field);
  if (!r) return undefined;
  ref.unknownFields(r, field, ['attempts', 'perTryTimeout', 'retryOn', 'retryRemoteLocalities', 'backoff']);
  if (r.retryRemoteLocalities !== undefined) ref.notMapped(`${field}.retryRemoteLocalities`, 'Causeway retries do not choose localities');
  const grpc = svc.protocol.kuma === 'grpc';
  const section: Obj = {};
  let attempts = r.attempts === undefined ? ISTIO_DEFAULT_ATTEMPTS : r.attempts;
  if (typeof attempts !== 'number' || !Number.isInteger(attempts) || attempts < 0) {
    ref.notMapped(`${field}.attempts`, 'must be a whole number');
    attempts = ISTIO_DEFAULT_ATTEMPTS;
  }
  if ((attempts as number) > 100) {
    ref.note(`${field}.attempts`, `MeshRetry allows at most 100 retries: ${String(attempts)} -> 100`);
    attempts = 100;
  }
  section.numRetries = attempts;
  if (r.perTryTimeout !== undefined) {
    const d = duration(ref, r.perTryTimeout, `${field}.perTryTimeout`);
    if (d) section.perTryTimeout = d;
  }
  if (r.backoff !== undefined) {
    const d = duration(ref, r.backoff, `${field}.backoff`);
    if (d) section.backOff = { baseInterval: d };
  }
  const retryOnText = r.retryOn === undefined ? ISTIO_DEFAULT_RETRY_ON : str(ref, r.retryOn, `${field}.retryOn`);
  if (retryOnText !== undefined) {
    const conditions = retryOnText
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
    const out: string[] = [];
    const skipped: string[] = [];
    for (const c of conditions) {
      const lower = c.toLowerCase();
      if (grpc) {
        const g = GRPC_RETRY_ON[lower];
        if (g) out.push(g);
        else skipped.push(c);
      } else if (HTTP_RETRY_ON[lower]) out.push(HTTP_RETRY_ON[lower] as string);
      else if (/^[1-5]\d\d$/.test(c)) out.push(c);
      // The status codes are listed next to it (Istio's way of naming them).
      else if (lower === 'retriable-status-codes') continue;
      else skipped.push(c);
    }
    if (skipped.length > 0) {
      const what = r.retryOn === undefined ? `Istio's default conditions (${ISTIO_DEFAULT_RETRY_ON})` : field + '.retryOn';
      ref.notMapped(
        r.retryOn === undefined ? field : `${field}.retryOn`,
        grpc
          ? `${skipped.join(', ')} of ${what}: a gRPC MeshRetry retries on gRPC statuses only (${Object.keys(GRPC_RETRY_ON).join(', ')})`
          : `${skipped.join(', ')} of ${what}: ${svc.service} is ${svc.protocol.kuma}; MeshRetry's http conditions are ${Object.keys(HTTP_RETRY_ON).join(', ')} and status codes`,
      );
    }
    if (out.length > 0) section.retryOn = [...new Set(out)];
  }
  return { [grpc ? 'grpc' : 'http']: section };
}

export function importVirtualService(ref: SourceRef, spec: Obj, registry: ServiceRegistry, policies: PolicyBuilder): void {
  ref.unknownFields(spec, 'spec', VS_FIELDS);
  const gateways = strList(ref, spec.gateways, 'spec.gateways');
  if (gateways.length > 0 && !gateways.includes('mesh')) {
    ref.notMapped('spec.gateways', 'applies to gateways only, not to sidecars: Causeway has no gateways, nothing imported');
    return;
  }
  if (gateways.some((g) => g !== 'mesh')) ref.notMapped('spec.gateways', 'only the sidecars ("mesh") are imported; Causeway has no gateways');
  if (spec.exportTo !== undefined) ref.notMapped('spec.exportTo', 'policies apply mesh-wide');
  const services: ImportedService[] = [];
  strList(ref, spec.hosts, 'spec.hosts').forEach((h, i) => {
    const found = registry.ofHost(h);
    if (found.length === 0)
      ref.notMapped(`spec.hosts[${i}]`, `no ServiceEntry or ExternalService in the input declares ${JSON.stringify(h)}: a VirtualService is imported together with the ServiceEntry of its host`);
    services.push(...found);
  });
  if (services.length === 0) return;

  const http = list(ref, spec.http, 'spec.http');
  http.forEach((r, i) => {
    const field = `spec.http[${i}]`;
    const route = obj(ref, r, field);
    if (!route) return;
    ref.unknownFields(route, field, HTTP_ROUTE_FIELDS);
    for (const [k, why] of Object.entries(NOT_IMPORTED_ROUTE_FIELDS)) if (route[k] !== undefined) ref.notMapped(`${field}.${k}`, why);
  });
  for (const svc of services) {
    if (!isHttpLike(svc.protocol.kuma)) {
      if (http.some((r) => typeof r === 'object' && r !== null && ((r as Obj).timeout !== undefined || (r as Obj).retries !== undefined)))
        ref.note(
          'spec.http',
          `applies to the HTTP ports only: ${svc.host}:${svc.port} is ${svc.protocol.source}, whose requests the sidecar does not see (Istio does not apply these routes there either)`,
        );
      continue;
    }
    // Istio takes the first route that matches a request.
    for (let i = 0; i < http.length; i++) {
      const field = `spec.http[${i}]`;
      const route = http[i];
      if (typeof route !== 'object' || route === null || Array.isArray(route)) continue;
      const fit = routeFit(ref, route as Obj, field, svc.port);
      if (fit === 'none') continue;
      const hasPolicy = (route as Obj).timeout !== undefined || (route as Obj).retries !== undefined;
      if (fit === 'some') {
        if (hasPolicy)
          ref.notMapped(
            `${field}.match`,
            'takes only some requests (by uri, headers, ...): MeshTimeout and MeshRetry apply to every request to a service (Causeway has no MeshHTTPRoute), so its timeout and retries are not imported',
          );
        continue;
      }
      checkDestinations(ref, route as Obj, field, svc);
      if ((route as Obj).timeout !== undefined) {
        const t = duration(ref, (route as Obj).timeout, `${field}.timeout`);
        if (t) policies.timeout(ref, svc, { http: { requestTimeout: t } });
      }
      if ((route as Obj).retries !== undefined) {
        const conf = retryConf(ref, (route as Obj).retries, `${field}.retries`, svc);
        if (conf) policies.retry(ref, svc, conf);
      }
      break;
    }
  }

  // tls[] / tcp[]: Causeway forwards to the ExternalService of the host:port called; routes that do the same need nothing.
  for (const section of ['tls', 'tcp'] as const) {
    list(ref, spec[section], `spec.${section}`).forEach((r, i) => {
      const field = `spec.${section}[${i}]`;
      const route = obj(ref, r, field);
      if (!route) return;
      ref.unknownFields(route, field, ['match', 'route']);
      const dests = list(ref, route.route, `${field}.route`);
      const targets = dests.map((d) => obj(ref, d, `${field}.route`)?.destination).filter((d): d is Obj => typeof d === 'object' && d !== null);
      const sameHost = (d: Obj) => typeof d.host === 'string' && services.some((s) => s.host === normalizeHost(d.host as string));
      const samePort = (d: Obj) => {
        const p = (d.port as Obj | undefined)?.number;
        return p === undefined || services.some((s) => s.port === Number(p) && typeof d.host === 'string' && s.host === normalizeHost(d.host));
      };
      if (targets.length === 1 && sameHost(targets[0] as Obj) && samePort(targets[0] as Obj) && (targets[0] as Obj).subset === undefined) return;
      ref.notMapped(`${field}.route`, `Causeway forwards ${section.toUpperCase()} traffic to the ExternalService of the host and port called; other destinations, splits and subsets are not imported`);
    });
  }
}
