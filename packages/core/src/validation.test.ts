/**
 * Validation: one valid base document per type, and a table of invalid variants of them, each with
 * the exact list of fields it must be refused on.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeResource, fromUniversal } from './codec.js';
import { CausewayError } from './errors.js';
import { isAppliedTargetRef } from './policies/common.js';
import { decodeBase64Strict, documentPath, formatPath, mapKey, parseDuration, parseGoDuration, parseHostPort, parseKumaDuration } from './validation.js';

const fixture = (name: string) => readFileSync(new URL(`./testdata/${name}`, import.meta.url), 'utf8');
const CA_PEM = fixture('ca.pem');
const CLIENT_PEM = fixture('client.pem');
const CLIENT_KEY_PEM = fixture('client-key.pem');
const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

type Doc = Record<string, unknown>;

// --- valid base documents ----------------------------------------------------------------------
const EXTERNAL_SERVICE: Doc = {
  type: 'ExternalService',
  mesh: 'default',
  name: 'httpbin',
  labels: { team: 'edge' },
  tags: { 'kuma.io/service': 'httpbin', 'kuma.io/protocol': 'http' },
  networking: {
    address: 'httpbin.org:443',
    tls: {
      enabled: true,
      allowRenegotiation: false,
      sni: 'httpbin.org',
      caCert: { inline: b64(CA_PEM) },
      clientCert: { secret: 'client-cert' },
      clientKey: { secret: 'client-key' },
    },
  },
};
const MESH: Doc = {
  type: 'Mesh',
  name: 'default',
  mtls: {
    enabledBackend: 'ca-1',
    backends: [{ name: 'ca-1', type: 'builtin', dpCert: { rotation: { expiration: '1d' } }, conf: { caCert: { RSAbits: 2048, expiration: '10y' } } }],
  },
  routing: { zoneEgress: true, localityAwareLoadBalancing: true },
  networking: { outbound: { passthrough: false } },
};
const DATAPLANE: Doc = {
  type: 'Dataplane',
  mesh: 'default',
  name: 'redis-dp',
  networking: {
    address: '127.0.0.1',
    inbound: [{ port: 9000, servicePort: 6379, tags: { 'kuma.io/service': 'redis' } }],
    outbound: [{ port: 10000, tags: { 'kuma.io/service': 'httpbin' } }],
    transparentProxying: { redirectPortInbound: 15006, redirectPortOutbound: 15001 },
  },
};
const ZONE_INGRESS: Doc = {
  type: 'ZoneIngress',
  name: 'zi-1',
  zone: 'zone-1',
  networking: { address: '10.0.0.1', port: 10001, advertisedAddress: 'ingress.zone-1.example.com', advertisedPort: 10001 },
  availableServices: [{ tags: { 'kuma.io/service': 'httpbin' }, instances: 1, mesh: 'default', externalService: true }],
};
const ZONE_EGRESS: Doc = { type: 'ZoneEgress', name: 'ze-1', zone: 'zone-1', networking: { address: '10.0.0.2', port: 10002 } };
const MTP: Doc = {
  type: 'MeshTrafficPermission',
  mesh: 'default',
  name: 'allow-web',
  spec: {
    targetRef: { kind: 'MeshService', name: 'httpbin' },
    from: [{ targetRef: { kind: 'MeshSubset', tags: { 'kuma.io/zone': 'zone-1' } }, default: { action: 'Allow' } }],
  },
};
const MESH_TIMEOUT: Doc = {
  type: 'MeshTimeout',
  mesh: 'default',
  name: 'timeouts',
  spec: {
    targetRef: { kind: 'Mesh' },
    to: [{ targetRef: { kind: 'MeshService', name: 'httpbin' }, default: { connectionTimeout: '2s', http: { requestTimeout: '1m30s' } } }],
  },
};
const MESH_RETRY: Doc = {
  type: 'MeshRetry',
  mesh: 'default',
  name: 'retries',
  spec: {
    targetRef: { kind: 'Mesh' },
    to: [
      {
        targetRef: { kind: 'Mesh' },
        default: {
          tcp: { maxConnectAttempt: 3 },
          http: { numRetries: 2, perTryTimeout: '500ms', backOff: { baseInterval: '25ms', maxInterval: '250ms' }, retryOn: ['5xx', 'Reset', '503'] },
          grpc: { numRetries: 1, retryOn: ['Unavailable'] },
        },
      },
    ],
  },
};
const SECRET: Doc = { type: 'Secret', mesh: 'default', name: 'client-key', data: b64(CLIENT_KEY_PEM) };
const GLOBAL_SECRET: Doc = { type: 'GlobalSecret', name: 'admin-token', data: b64('token') };

const BASES: Record<string, Doc> = {
  ExternalService: EXTERNAL_SERVICE,
  Mesh: MESH,
  Dataplane: DATAPLANE,
  ZoneIngress: ZONE_INGRESS,
  ZoneEgress: ZONE_EGRESS,
  MeshTrafficPermission: MTP,
  MeshTimeout: MESH_TIMEOUT,
  MeshRetry: MESH_RETRY,
  Secret: SECRET,
  GlobalSecret: GLOBAL_SECRET,
  Zone: { type: 'Zone', name: 'zone-1', enabled: true },
};

/** A copy of `base` with `value` at `path` (`undefined` deletes the field). */
function patch(base: Doc, path: (string | number)[], value: unknown): Doc {
  const doc = structuredClone(base);
  let node: Record<string | number, unknown> = doc;
  for (const seg of path.slice(0, -1)) node = node[seg] as Record<string | number, unknown>;
  const last = path[path.length - 1]!;
  if (value === undefined) delete node[last];
  else node[last] = value;
  return doc;
}
const es = (path: (string | number)[], value: unknown) => patch(EXTERNAL_SERVICE, path, value);
const tls = (key: string, value: unknown) => es(['networking', 'tls', key], value);
const withoutClientPair = (key: string, value: unknown) => patch(patch(tls(key, value), ['networking', 'tls', 'clientCert'], undefined), ['networking', 'tls', 'clientKey'], undefined);

interface Case {
  name: string;
  doc: Doc;
  /** Every field the document must be refused on, in any order; nothing else. */
  fields: string[];
  /** Optional check of the first field's reason. */
  reason?: RegExp;
}

const CASES: Case[] = [
  // --- ExternalService: tags
  { name: 'ES: missing kuma.io/service', doc: es(['tags', 'kuma.io/service'], undefined), fields: ['tags'], reason: /^mandatory tag "kuma.io\/service" is missing$/ },
  { name: 'ES: empty kuma.io/service', doc: es(['tags', 'kuma.io/service'], ''), fields: ['tags["kuma.io/service"]'], reason: /tag value must be non-empty/ },
  {
    name: 'ES: service equal to the address host',
    doc: es(['tags', 'kuma.io/service'], 'httpbin.org'),
    fields: ['tags["kuma.io/service"]'],
    reason: /^cannot be the same as networking.address \(the host "httpbin.org"\).*"httpbin"/,
  },
  { name: 'ES: service equal to the address host, other case', doc: es(['tags', 'kuma.io/service'], 'HTTPBIN.ORG'), fields: ['tags["kuma.io/service"]'] },
  {
    name: 'ES: service equal to an IP address host',
    doc: patch(es(['tags', 'kuma.io/service'], '10.1.2.3'), ['networking', 'address'], '10.1.2.3:443'),
    fields: ['tags["kuma.io/service"]'],
    reason: /^cannot be the same as networking.address \(the host "10\.1\.2\.3"\): name the service$/,
  },
  {
    name: 'ES: bad protocol',
    doc: es(['tags', 'kuma.io/protocol'], 'udp'),
    fields: ['tags["kuma.io/protocol"]'],
    reason: /^tag "kuma.io\/protocol" has an invalid value "udp". Allowed values: grpc, http, http2, https, kafka, tcp$/,
  },
  { name: 'ES: tags not a map', doc: es(['tags'], 'kuma.io/service=httpbin'), fields: ['tags'], reason: /must be a map, got a string/ },
  { name: 'ES: tags a list', doc: es(['tags'], ['kuma.io/service']), fields: ['tags'], reason: /must be a map, got a list/ },
  { name: 'ES: missing tags', doc: es(['tags'], undefined), fields: ['tags'], reason: /mandatory tag "kuma.io\/service" is missing/ },
  { name: 'ES: tag value not a string', doc: es(['tags', 'version'], 2), fields: ['tags["version"]'], reason: /must be a string, got a number/ },
  { name: 'ES: tag value null', doc: es(['tags', 'version'], null), fields: ['tags["version"]'], reason: /must be non-empty \(got null\)/ },
  { name: 'ES: empty kuma.io/zone', doc: es(['tags', 'kuma.io/zone'], ''), fields: ['tags["kuma.io/zone"]'] },
  { name: 'ES: tag value with a slash', doc: es(['tags', 'version'], 'v1/beta'), fields: ['tags["version"]'], reason: /alphanumeric characters, dots, dashes and underscores/ },
  // --- ExternalService: address
  { name: 'ES: address without port', doc: es(['networking', 'address'], 'httpbin.org'), fields: ['networking.address'], reason: /host:port/ },
  { name: 'ES: port 0', doc: es(['networking', 'address'], 'httpbin.org:0'), fields: ['networking.address'], reason: /^port must be in the range \[1, 65535\], got 0$/ },
  { name: 'ES: port 65536', doc: es(['networking', 'address'], 'httpbin.org:65536'), fields: ['networking.address'], reason: /in the range \[1, 65535\]/ },
  { name: 'ES: address with a scheme', doc: es(['networking', 'address'], 'https://httpbin.org:443'), fields: ['networking.address'], reason: /without a scheme/ },
  { name: 'ES: non-numeric port', doc: es(['networking', 'address'], 'httpbin.org:https'), fields: ['networking.address'], reason: /"https"/ },
  { name: 'ES: empty port', doc: es(['networking', 'address'], 'httpbin.org:'), fields: ['networking.address'] },
  { name: 'ES: empty host', doc: es(['networking', 'address'], ':443'), fields: ['networking.address'], reason: /non-empty host/ },
  { name: 'ES: IPv6 without brackets', doc: es(['networking', 'address'], '2001:db8::1:443'), fields: ['networking.address'], reason: /brackets/ },
  { name: 'ES: bad IPv6 in brackets', doc: es(['networking', 'address'], '[2001:db8::zz]:443'), fields: ['networking.address'], reason: /not a valid IPv6/ },
  { name: 'ES: bad IPv4 300.1.1.1', doc: es(['networking', 'address'], '300.1.1.1:80'), fields: ['networking.address'], reason: /"300\.1\.1\.1" is not a valid IPv4 address/ },
  { name: 'ES: bad DNS name (underscore)', doc: es(['networking', 'address'], 'http_bin.org:443'), fields: ['networking.address'], reason: /^address has to be a valid IP address or a domain name, got "http_bin.org"$/ },
  { name: 'ES: bad DNS name (label starts with -)', doc: es(['networking', 'address'], '-httpbin.org:443'), fields: ['networking.address'] },
  { name: 'ES: address a number', doc: es(['networking', 'address'], 443), fields: ['networking.address'], reason: /must be a string, got a number/ },
  { name: 'ES: missing address', doc: es(['networking', 'address'], undefined), fields: ['networking.address'], reason: /^address can't be empty$/ },
  { name: 'ES: null address', doc: es(['networking', 'address'], null), fields: ['networking.address'], reason: /^address can't be empty$/ },
  { name: 'ES: missing networking', doc: es(['networking'], undefined), fields: ['networking'], reason: /^should have networking$/ },
  { name: 'ES: networking not an object', doc: es(['networking'], 'httpbin.org:443'), fields: ['networking'], reason: /must be an object, got a string/ },
  // --- ExternalService: unknown fields
  { name: 'ES: unknown top-level field', doc: es(['port'], 443), fields: ['port'], reason: /unknown field/ },
  { name: 'ES: unknown field in networking', doc: es(['networking', 'adress'], 'x'), fields: ['networking.adress'], reason: /unknown field/ },
  { name: 'ES: unknown field in tls', doc: tls('verify', true), fields: ['networking.tls.verify'], reason: /unknown field/ },
  { name: 'ES: unknown field in a data source', doc: tls('caCert', { inline: b64(CA_PEM), file: '/etc/ca.pem' }), fields: ['networking.tls.caCert.file'] },
  // --- ExternalService: tls
  { name: 'ES: caCert with two sources', doc: tls('caCert', { inline: b64(CA_PEM), secret: 'ca' }), fields: ['networking.tls.caCert'], reason: /exactly one.*not "inline" and "secret"/ },
  { name: 'ES: caCert with no source', doc: tls('caCert', {}), fields: ['networking.tls.caCert'], reason: /^data source cannot be empty: set one of "inline", "inlineString" or "secret"$/ },
  { name: 'ES: caCert empty inline', doc: tls('caCert', { inline: '' }), fields: ['networking.tls.caCert'], reason: /^data source cannot be empty$/ },
  { name: 'ES: caCert from a file', doc: tls('caCert', { file: '/etc/ca.pem' }), fields: ['networking.tls.caCert.file'], reason: /is not supported/ },
  { name: 'ES: caCert inline not base64', doc: tls('caCert', { inline: 'not base64!' }), fields: ['networking.tls.caCert'], reason: /not valid base64/ },
  { name: 'ES: caCert inline base64 of a key', doc: tls('caCert', { inline: b64(CLIENT_KEY_PEM) }), fields: ['networking.tls.caCert'], reason: /not a PEM certificate/ },
  { name: 'ES: caCert inlineString not PEM', doc: tls('caCert', { inlineString: 'hello' }), fields: ['networking.tls.caCert'], reason: /"inlineString" is not a PEM certificate/ },
  {
    name: 'ES: caCert inlineString corrupt PEM',
    doc: tls('caCert', { inlineString: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n' }),
    fields: ['networking.tls.caCert'],
    reason: /not a valid PEM certificate/,
  },
  { name: 'ES: clientKey inline not a key', doc: tls('clientKey', { inline: b64(CLIENT_PEM) }), fields: ['networking.tls.clientKey'], reason: /not a PEM private key/ },
  { name: 'ES: bad secret name', doc: tls('clientCert', { secret: 'client cert' }), fields: ['networking.tls.clientCert'], reason: /"secret" must start and end/ },
  { name: 'ES: clientCert without clientKey', doc: tls('clientKey', undefined), fields: ['networking.tls.clientKey'], reason: /required when "clientCert"/ },
  { name: 'ES: clientKey without clientCert', doc: tls('clientCert', undefined), fields: ['networking.tls.clientCert'], reason: /required when "clientKey"/ },
  { name: 'ES: sni with spaces', doc: tls('sni', 'httpbin org'), fields: ['networking.tls.sni'], reason: /not a valid server name/ },
  { name: 'ES: sni not a string', doc: tls('sni', 443), fields: ['networking.tls.sni'] },
  { name: 'ES: empty serverName', doc: patch(tls('sni', undefined), ['networking', 'tls', 'serverName'], ''), fields: ['networking.tls.serverName'], reason: /^cannot be empty/ },
  { name: 'ES: serverName and sni', doc: tls('serverName', 'httpbin.org'), fields: ['networking.tls.serverName'], reason: /same field/ },
  { name: 'ES: serverName with spaces', doc: patch(tls('sni', undefined), ['networking', 'tls', 'serverName'], 'a b'), fields: ['networking.tls.serverName'], reason: /not a valid server name/ },
  { name: 'ES: skipHostnameVerification not a boolean', doc: tls('skipHostnameVerification', 'yes'), fields: ['networking.tls.skipHostnameVerification'] },
  { name: 'ES: disableHostDNSEntry not a boolean', doc: es(['networking', 'disableHostDNSEntry'], 1), fields: ['networking.disableHostDNSEntry'] },
  { name: 'ES: tls.enabled not a boolean', doc: tls('enabled', 'true'), fields: ['networking.tls.enabled'], reason: /must be a boolean \(true or false\), got a string/ },
  { name: 'ES: allowRenegotiation not a boolean', doc: withoutClientPair('allowRenegotiation', 'no'), fields: ['networking.tls.allowRenegotiation'] },
  { name: 'ES: tls not an object', doc: es(['networking', 'tls'], true), fields: ['networking.tls'], reason: /must be an object, got a boolean/ },
  // --- meta fields
  { name: 'ES: missing mesh', doc: es(['mesh'], undefined), fields: ['mesh'], reason: /is required/ },
  { name: 'ES: bad mesh name', doc: es(['mesh'], 'my mesh'), fields: ['mesh'] },
  { name: 'ES: bad name', doc: es(['name'], 'httpbin!'), fields: ['name'], reason: /letters, digits/ },
  { name: 'ES: name too long', doc: es(['name'], 'a'.repeat(254)), fields: ['name'], reason: /at most 253/ },
  { name: 'ES: missing name', doc: es(['name'], undefined), fields: ['name'], reason: /is required/ },
  { name: 'ES: labels wrong type', doc: es(['labels'], ['team=edge']), fields: ['labels'], reason: /map of strings/ },
  { name: 'ES: label value not a string', doc: es(['labels', 'team'], 7), fields: ['labels["team"]'], reason: /must be a string, got a number/ },
  { name: 'ES: bad label name', doc: es(['labels', 'team name'], 'edge'), fields: ['labels["team name"]'] },
  { name: 'ES: version negative', doc: es(['version'], -1), fields: ['version'] },
  // --- Mesh
  {
    name: 'Mesh: enabledBackend not in backends',
    doc: patch(MESH, ['mtls', 'enabledBackend'], 'ca-2'),
    fields: ['mtls.enabledBackend'],
    reason: /^has to be set to one of the backends in the mesh$/,
  },
  { name: 'Mesh: enabledBackend with no backends', doc: patch(MESH, ['mtls', 'backends'], undefined), fields: ['mtls.enabledBackend'] },
  { name: 'Mesh: zoneEgress without mTLS', doc: patch(MESH, ['mtls'], undefined), fields: ['mtls'], reason: /^has to be set when zoneEgress enabled/ },
  { name: 'Mesh: zoneEgress with backends but none enabled', doc: patch(MESH, ['mtls', 'enabledBackend'], undefined), fields: ['mtls'] },
  { name: 'Mesh: logging backend of an unknown type', doc: patch(MESH, ['logging'], { backends: [{ name: 'l', type: 'syslog' }] }), fields: ['logging.backends[0].type'], reason: /"tcp", "file"/ },
  { name: 'Mesh: tracing sampling not a number', doc: patch(MESH, ['tracing'], { backends: [{ name: 't', type: 'zipkin', sampling: 'all', conf: { url: 'http://z:9411/' } }] }), fields: ['tracing.backends[0].sampling'] },
  { name: 'Mesh: backend type not builtin', doc: patch(MESH, ['mtls', 'backends', 0, 'type'], 'provided'), fields: ['mtls.backends[0].type'], reason: /builtin/ },
  { name: 'Mesh: RSAbits too small', doc: patch(MESH, ['mtls', 'backends', 0, 'conf', 'caCert', 'RSAbits'], 1024), fields: ['mtls.backends[0].conf.caCert.RSAbits'], reason: /at least 2048/ },
  {
    name: 'Mesh: bad duration in dpCert.rotation.expiration',
    doc: patch(MESH, ['mtls', 'backends', 0, 'dpCert', 'rotation', 'expiration'], '1 day'),
    fields: ['mtls.dpcert.rotation.expiration'],
    reason: /^has to be a valid format \(backend "ca-1"/,
  },
  { name: 'Mesh: bad caCert expiration', doc: patch(MESH, ['mtls', 'backends', 0, 'conf', 'caCert', 'expiration'], 'ten years'), fields: ['mtls.backends[0].conf.caCert.expiration'] },
  { name: 'Mesh: passthrough not a boolean', doc: patch(MESH, ['networking', 'outbound', 'passthrough'], 'false'), fields: ['networking.outbound.passthrough'], reason: /must be a boolean/ },
  {
    name: 'Mesh: duplicate backend names',
    doc: patch(MESH, ['mtls', 'backends', 1], { name: 'ca-1', type: 'builtin' }),
    fields: ['mtls.backends[1].name', 'mtls.backends'],
    reason: /^"ca-1" name is already used for another backend$/,
  },
  { name: 'Mesh: bad mode', doc: patch(MESH, ['mtls', 'backends', 0, 'mode'], 'LOOSE'), fields: ['mtls.backends[0].mode'], reason: /"STRICT", "PERMISSIVE"/ },
  { name: 'Mesh: with a mesh field', doc: patch(MESH, ['mesh'], 'default'), fields: ['mesh'], reason: /not mesh-scoped/ },
  { name: 'Mesh: unknown field in routing', doc: patch(MESH, ['routing', 'egress'], true), fields: ['routing.egress'] },
  // --- Dataplane
  {
    name: 'Dataplane: inbound without kuma.io/service',
    doc: patch(DATAPLANE, ['networking', 'inbound', 0, 'tags'], { version: 'v1' }),
    fields: ['networking.inbound[0].tags["kuma.io/service"]'],
    reason: /is required/,
  },
  {
    name: "Dataplane: a service Kuma's tag rules refuse (it would reach a ZoneIngress's availableServices)",
    doc: patch(DATAPLANE, ['networking', 'inbound', 0, 'tags'], { 'kuma.io/service': 'redis/v1', 'kuma.io/protocol': '' }),
    fields: ['networking.inbound[0].tags["kuma.io/service"]', 'networking.inbound[0].tags["kuma.io/protocol"]'],
    reason: /alphanumeric characters, dots, dashes and underscores/,
  },
  { name: 'Dataplane: bad inbound port', doc: patch(DATAPLANE, ['networking', 'inbound', 0, 'port'], 70000), fields: ['networking.inbound[0].port'], reason: /between 1 and 65535/ },
  { name: 'Dataplane: port as a string', doc: patch(DATAPLANE, ['networking', 'inbound', 0, 'port'], '9000'), fields: ['networking.inbound[0].port'], reason: /got a string/ },
  { name: 'Dataplane: no inbound', doc: patch(DATAPLANE, ['networking', 'inbound'], undefined), fields: ['networking.inbound'], reason: /at least one inbound/ },
  { name: 'Dataplane: empty inbound list', doc: patch(DATAPLANE, ['networking', 'inbound'], []), fields: ['networking.inbound'] },
  { name: 'Dataplane: inbound not a list', doc: patch(DATAPLANE, ['networking', 'inbound'], { port: 9000 }), fields: ['networking.inbound'], reason: /must be a list/ },
  {
    name: 'Dataplane: duplicate inbound port',
    doc: patch(DATAPLANE, ['networking', 'inbound', 1], { port: 9000, tags: { 'kuma.io/service': 'redis-2' } }),
    fields: ['networking.inbound[1].port'],
    reason: /already used by inbound\[0\]/,
  },
  {
    name: 'Dataplane: outbound without service tag',
    doc: patch(DATAPLANE, ['networking', 'outbound', 0, 'tags'], {}),
    fields: ['networking.outbound[0].tags["kuma.io/service"]'],
  },
  { name: 'Dataplane: bad address', doc: patch(DATAPLANE, ['networking', 'address'], '127.0.0.1:80'), fields: ['networking.address'] },
  // --- ZoneIngress / ZoneEgress
  { name: 'ZoneIngress: missing networking.port', doc: patch(ZONE_INGRESS, ['networking', 'port'], undefined), fields: ['networking.port'], reason: /^port must be in the range \[1, 65535\]$/ },
  { name: 'ZoneIngress: admin port equal to port on loopback', doc: patch(patch(ZONE_INGRESS, ['networking', 'admin'], { port: 10001 }), ['networking', 'address'], '127.0.0.1'), fields: ['networking.admin.port'], reason: /^must differ from port$/ },
  { name: 'ZoneIngress: service without kuma.io/service', doc: patch(ZONE_INGRESS, ['availableServices', 0, 'tags'], { version: 'v1' }), fields: ['availableService[0].tags'] },
  { name: 'ZoneEgress: admin port equal to port on the wildcard', doc: patch(patch(ZONE_EGRESS, ['networking', 'admin'], { port: 10002 }), ['networking', 'address'], '0.0.0.0'), fields: ['networking.admin.port', 'networking.address.address'] },
  { name: 'ZoneIngress: negative instances', doc: patch(ZONE_INGRESS, ['availableServices', 0, 'instances'], -1), fields: ['availableServices[0].instances'] },
  { name: 'ZoneIngress: with a mesh field', doc: patch(ZONE_INGRESS, ['mesh'], 'default'), fields: ['mesh'] },
  { name: 'ZoneEgress: missing networking.address', doc: patch(ZONE_EGRESS, ['networking', 'address'], undefined), fields: ['networking.address'] },
  // --- policies
  { name: 'MTP: bad action', doc: patch(MTP, ['spec', 'from', 0, 'default', 'action'], 'Permit'), fields: ['spec.from[0].default.action'], reason: /Allow, Deny, AllowWithShadowDeny/ },
  { name: 'MTP: MeshService without name', doc: patch(MTP, ['spec', 'targetRef', 'name'], undefined), fields: ['spec.targetRef'], reason: /^name or labels must be set when kind is MeshService$/ },
  { name: 'MTP: Mesh kind with tags', doc: patch(MTP, ['spec', 'targetRef'], { kind: 'Mesh', tags: { a: 'b' } }), fields: ['spec.targetRef.tags'], reason: /must not be set with kind Mesh/ },
  { name: 'MTP: MeshSubset with a name', doc: patch(MTP, ['spec', 'from', 0, 'targetRef', 'name'], 'web'), fields: ['spec.from[0].targetRef.name'], reason: /^must not be set with kind MeshSubset$/ },
  { name: 'MTP: kind not a Kuma kind', doc: patch(MTP, ['spec', 'targetRef', 'kind'], 'Service'), fields: ['spec.targetRef.kind'], reason: /^value 'Service' is not supported$/ },
  { name: 'MTP: missing kind', doc: patch(MTP, ['spec', 'targetRef', 'kind'], undefined), fields: ['spec.targetRef.kind'], reason: /^must be defined$/ },
  { name: 'MTP: tag value not a string in a targetRef', doc: patch(MTP, ['spec', 'from', 0, 'targetRef', 'tags', 'kuma.io/zone'], 1), fields: ['spec.from[0].targetRef.tags["kuma.io/zone"]'] },
  { name: 'MTP: from without default', doc: patch(MTP, ['spec', 'from', 0, 'default'], undefined), fields: ['spec.from[0].default.action'], reason: /^must be defined$/ },
  { name: 'MTP: bad kind', doc: patch(MTP, ['spec', 'targetRef', 'kind'], 'MeshGateway'), fields: ['spec.targetRef.kind'] },
  { name: 'MTP: empty from', doc: patch(MTP, ['spec', 'from'], []), fields: ['spec'], reason: /^at least one of 'from' or 'rules' has to be defined$/ },
  { name: 'MTP: missing from', doc: patch(MTP, ['spec', 'from'], undefined), fields: ['spec'] },
  { name: 'MTP: spec fields at top level', doc: { type: 'MeshTrafficPermission', mesh: 'default', name: 'p', from: [] }, fields: ['spec', 'from'] },
  {
    name: 'MeshTimeout: bad duration',
    doc: patch(MESH_TIMEOUT, ['spec', 'to', 0, 'default', 'http', 'requestTimeout'], '5 seconds'),
    fields: ['spec.to[0].default.http.requestTimeout'],
    reason: /"5 seconds" is not a duration/,
  },
  { name: 'MeshTimeout: day units are not Go durations', doc: patch(MESH_TIMEOUT, ['spec', 'to', 0, 'default', 'connectionTimeout'], '1d'), fields: ['spec.to[0].default.connectionTimeout'] },
  { name: 'MeshTimeout: neither from nor to', doc: patch(MESH_TIMEOUT, ['spec', 'to'], undefined), fields: ['spec'], reason: /^at least one of 'from', 'to' or 'rules' has to be defined$/ },
  { name: 'MeshTimeout: negative idle timeout', doc: patch(MESH_TIMEOUT, ['spec', 'to', 0, 'default', 'idleTimeout'], '-1s'), fields: ['spec.to[0].default.idleTimeout'], reason: /^must not be negative when defined$/ },
  { name: 'MeshTimeout: empty http section', doc: patch(MESH_TIMEOUT, ['spec', 'to', 0, 'default', 'http'], {}), fields: ['spec.to[0].default.http'], reason: /at least one timeout in this section/ },
  {
    name: 'MeshRetry: bad retryOn',
    doc: patch(MESH_RETRY, ['spec', 'to', 0, 'default', 'http', 'retryOn', 1], 'Sometimes'),
    fields: ['spec.to[0].default.conf.http.retryOn[1]'],
    reason: /^unknown item 'Sometimes'$/,
  },
  { name: 'MeshRetry: 5XX', doc: patch(MESH_RETRY, ['spec', 'to', 0, 'default', 'http', 'retryOn', 0], '5XX'), fields: ['spec.to[0].default.conf.http.retryOn[0]'], reason: /write '5xx'/ },
  { name: 'MeshRetry: bad gRPC retryOn', doc: patch(MESH_RETRY, ['spec', 'to', 0, 'default', 'grpc', 'retryOn', 0], '5xx'), fields: ['spec.to[0].default.conf.grpc.retryOn[0]'] },
  {
    name: 'MeshRetry: maxConnectAttempt 0',
    doc: patch(MESH_RETRY, ['spec', 'to', 0, 'default', 'tcp', 'maxConnectAttempt'], 0),
    fields: ['spec.to[0].default.conf.tcp.maxConnectAttempt'],
    reason: /^must be greater than 0$/,
  },
  { name: 'MeshRetry: MeshSubset in to', doc: patch(MESH_RETRY, ['spec', 'to', 0, 'targetRef'], { kind: 'MeshSubset', tags: { a: 'b' } }), fields: ['spec.to[0].targetRef.kind'], reason: /^value 'MeshSubset' is not supported$/ },
  { name: 'MeshRetry: empty default', doc: patch(MESH_RETRY, ['spec', 'to', 0, 'default'], {}), fields: ['spec.to[0].default.conf'] },
  { name: 'MeshRetry: numRetries not an integer', doc: patch(MESH_RETRY, ['spec', 'to', 0, 'default', 'http', 'numRetries'], 1.5), fields: ['spec.to[0].default.http.numRetries'] },
  // --- secrets, types
  { name: 'Secret: data not base64', doc: patch(SECRET, ['data'], 'not base64!'), fields: ['data'], reason: /base64/ },
  { name: 'Secret: empty data', doc: patch(SECRET, ['data'], ''), fields: ['data'] },
  { name: 'Secret: missing mesh', doc: patch(SECRET, ['mesh'], undefined), fields: ['mesh'] },
  { name: 'GlobalSecret: with a mesh', doc: patch(GLOBAL_SECRET, ['mesh'], 'default'), fields: ['mesh'] },
  { name: 'unknown type', doc: es(['type'], 'ServiceEntry'), fields: ['type'], reason: /unknown type "ServiceEntry" \(one of Mesh, Dataplane, ExternalService/ },
  { name: 'missing type', doc: es(['type'], undefined), fields: ['type'], reason: /is required/ },
];

describe('valid base documents', () => {
  it.each(Object.entries(BASES))('%s is valid and decodes to its spec', (type, doc) => {
    const { resource, errors } = fromUniversal(doc);
    expect(errors).toEqual([]);
    expect(resource?.type).toBe(type);
    expect(resource?.name).toBe(doc.name);
  });
});

/** Variants Kuma accepts (and Causeway refused before): each must decode, and the API returns what was written. */
const ACCEPTED: { name: string; doc: Doc }[] = [
  { name: 'MeshRetry: a status code as a number', doc: patch(MESH_RETRY, ['spec', 'to', 0, 'default', 'http', 'retryOn', 0], 503) },
  { name: 'MeshRetry: empty to', doc: patch(MESH_RETRY, ['spec', 'to'], []) },
  { name: 'ES: serverName instead of sni', doc: patch(tls('sni', undefined), ['networking', 'tls', 'serverName'], 'httpbin.org') },
  { name: 'ES: empty sni', doc: tls('sni', '') },
  { name: 'MTP: MeshSubset without tags', doc: patch(MTP, ['spec', 'from', 0, 'targetRef', 'tags'], undefined) },
  { name: 'MTP: rules instead of from', doc: patch(MTP, ['spec'], { targetRef: { kind: 'Mesh' }, rules: [{ default: { allow: [{ spiffeID: { type: 'Prefix', value: 'spiffe://default' } }] } }] }) },
  { name: 'MeshTimeout: to a MeshHTTPRoute', doc: patch(MESH_TIMEOUT, ['spec', 'to', 0, 'targetRef'], { kind: 'MeshHTTPRoute', name: 'route-1' }) },
  { name: 'Mesh: logging, tracing and metrics', doc: patch(patch(patch(MESH, ['logging'], { backends: [{ name: 'f', type: 'file', conf: { path: '/tmp/log' } }] }), ['tracing'], { backends: [{ name: 'z', type: 'zipkin', conf: { url: 'http://zipkin:9411/api/v2/spans' } }] }), ['metrics'], { enabledBackend: 'p', backends: [{ name: 'p', type: 'prometheus' }] }) },
];

describe('accepted variants', () => {
  it.each(ACCEPTED.map((c) => [c.name, c.doc] as const))('%s', (_name, doc) => {
    const { resource, errors } = fromUniversal(doc);
    expect(errors).toEqual([]);
    // What was written is what is stored (a number stays a number, serverName stays serverName).
    const { type: _t, mesh: _m, name: _n, labels: _l, ...fields } = doc;
    expect(resource?.spec).toEqual(fields.spec ?? fields);
  });
});

describe('invalid variants', () => {
  it('has at least 40 cases', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(40);
  });

  it.each(CASES.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const { resource, errors } = fromUniversal(c.doc);
    expect(resource).toBeUndefined();
    expect(errors.map((e) => e.field).sort()).toEqual([...c.fields].sort());
    if (c.reason) expect(errors.find((e) => e.field === c.fields[0])?.reason).toMatch(c.reason);
    for (const e of errors) expect(e.reason).not.toBe('');
  });
});

describe('several errors in one document', () => {
  it('are all reported, spec and meta fields alike', () => {
    const doc: Doc = {
      type: 'ExternalService',
      mesh: 'default',
      name: 'bad name',
      labels: { team: 5 },
      tags: { 'kuma.io/protocol': 'udp', 'kuma.io/zone': '' },
      networking: {
        address: 'httpbin.org:0',
        extra: true,
        tls: { enabled: 'yes', sni: 'a b', caCert: { inline: '!!' }, clientCert: { secret: 'c' } },
      },
      spec: {},
    };
    const { resource, errors } = fromUniversal(doc);
    expect(resource).toBeUndefined();
    expect(errors.map((e) => e.field).sort()).toEqual(
      [
        'name',
        'labels["team"]',
        'spec',
        'tags',
        'tags["kuma.io/protocol"]',
        'tags["kuma.io/zone"]',
        'networking.address',
        'networking.extra',
        'networking.tls.enabled',
        'networking.tls.sni',
        'networking.tls.caCert',
        'networking.tls.clientKey',
      ].sort(),
    );
  });

  it('spec errors are reported even when the name is missing', () => {
    const { errors } = fromUniversal(patch(patch(EXTERNAL_SERVICE, ['name'], undefined), ['networking', 'address'], 'httpbin.org'));
    expect(errors.map((e) => e.field)).toEqual(['name', 'networking.address']);
  });

  it('labels and mesh are checked even when the name is missing', () => {
    const doc = patch(patch(patch(EXTERNAL_SERVICE, ['name'], undefined), ['labels'], 'x'), ['mesh'], 'Bad Mesh');
    expect(fromUniversal(doc).errors.map((e) => e.field)).toEqual(['name', 'labels', 'mesh']);
  });

  it('decodeResource throws one INVALID error carrying every field', () => {
    const doc = patch(tls('enabled', 1), ['networking', 'address'], 'httpbin.org');
    let caught: unknown;
    try {
      decodeResource(doc);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(CausewayError);
    const err = caught as CausewayError;
    expect(err.code).toBe('INVALID');
    expect(err.status).toBe(400);
    expect(err.message).toBe('ExternalService "httpbin" is not valid');
    expect(err.fields.map((f) => f.field).sort()).toEqual(['networking.address', 'networking.tls.enabled']);
    expect(err.describe().split('\n')).toHaveLength(3);
  });
});

describe('decode checks against the REST path', () => {
  it('type, mesh and name default from the path and must match it', () => {
    const { type: _t, mesh: _m, name: _n, ...spec } = EXTERNAL_SERVICE;
    const ok = fromUniversal(spec, { type: 'ExternalService', mesh: 'default', name: 'httpbin' });
    expect(ok.errors).toEqual([]);
    expect(ok.resource).toMatchObject({ type: 'ExternalService', mesh: 'default', name: 'httpbin' });
    const bad = fromUniversal(EXTERNAL_SERVICE, { type: 'ExternalService', mesh: 'other', name: 'other' });
    expect(bad.errors.map((e) => e.field)).toEqual(['name', 'mesh']);
    expect(fromUniversal(EXTERNAL_SERVICE, { type: 'Dataplane' }).errors.map((e) => e.field)).toContain('type');
  });

  it('a document that is not a map is refused', () => {
    expect(fromUniversal(['a']).errors).toEqual([{ field: '', reason: 'a resource must be an object (map)' }]);
  });
});

describe('validation helpers', () => {
  it("formatPath writes Kuma's notation: fields with dots, indexes and map keys in brackets", () => {
    expect(formatPath(['networking', 'inbound', 0, 'tags', mapKey('kuma.io/service')])).toBe('networking.inbound[0].tags["kuma.io/service"]');
    expect(formatPath(['tags', mapKey('')])).toBe('tags[""]');
    expect(formatPath(['labels', mapKey('a"b')])).toBe('labels["a\\"b"]');
    expect(formatPath([])).toBe('');
  });

  it("documentPath finds the document's field for the paths Kuma's validators name their own way", () => {
    expect(documentPath('spec.to[0].default.conf.http.retryOn[1]')).toBe('spec.to[0].default.http.retryOn[1]');
    expect(documentPath('spec.to[0].default.conf')).toBe('spec.to[0].default');
    expect(documentPath('logging.backends[2].config.address')).toBe('logging.backends[2].conf.address');
    expect(documentPath('availableService[3].tags["kuma.io/service"]')).toBe('availableServices[3].tags["kuma.io/service"]');
    expect(documentPath('networking.advertisedAddress.address')).toBe('networking.advertisedAddress');
    expect(documentPath('mtls.dpcert.rotation.expiration')).toBe('mtls.backends');
    expect(documentPath('spec.rules[0].allow[1].sni.value')).toBe('spec.rules[0].default.allow[1].sni.value');
    expect(documentPath('spec.rules[0].matches[0].sni.value')).toBe('spec.rules[0].matches[0].sni.value');
    expect(documentPath('networking.tls.caCert')).toBe('networking.tls.caCert');
  });

  it('parseHostPort accepts IPv4, bracketed IPv6 and DNS names', () => {
    expect(parseHostPort('1.2.3.4:80')).toEqual({ host: '1.2.3.4', port: 80, kind: 'ip4' });
    expect(parseHostPort('[2001:db8::1]:443')).toEqual({ host: '2001:db8::1', port: 443, kind: 'ip6' });
    expect(parseHostPort('HttpBin.org:65535')).toEqual({ host: 'HttpBin.org', port: 65535, kind: 'dns' });
    expect(parseHostPort('localhost:1')).toEqual({ host: 'localhost', port: 1, kind: 'dns' });
    expect(typeof parseHostPort('[::1]')).toBe('string');
  });

  it('parseDuration reads Go durations, and days/years only for expirations', () => {
    expect(parseDuration('1m30s')).toBe(90_000);
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('0')).toBe(0);
    expect(parseDuration('1d')).toBeUndefined();
    expect(parseDuration('1d', { days: true })).toBe(86_400_000);
    expect(parseDuration('10y', { days: true })).toBe(3650 * 86_400_000);
    expect(parseDuration('5 s')).toBeUndefined();
    expect(parseDuration('1.5h')).toBe(5_400_000);
    expect(parseDuration('.5s')).toBe(500);
    expect(parseDuration('1500us')).toBe(1.5);
    expect(parseDuration('-1s')).toBeUndefined();
    expect(parseDuration('2w', { days: true })).toBe(14 * 86_400_000);
    expect(parseDuration('')).toBeUndefined();
    expect(parseDuration('1h1')).toBeUndefined();
  });

  it('parseGoDuration reads signed Go durations', () => {
    expect(parseGoDuration('-1s')).toBe(-1000);
    expect(parseGoDuration('+1m')).toBe(60_000);
    expect(parseGoDuration('0')).toBe(0);
    expect(parseGoDuration('-0')).toBe(-0);
    expect(parseGoDuration('1d')).toBeUndefined();
    expect(parseGoDuration('- 1s')).toBeUndefined();
  });

  it("parseKumaDuration reads Kuma's certificate rotation format: one number, one unit", () => {
    expect(parseKumaDuration('2y')).toBe(2 * 365 * 86_400_000);
    expect(parseKumaDuration('2w')).toBe(14 * 86_400_000);
    expect(parseKumaDuration('250ms')).toBe(250);
    expect(parseKumaDuration('0')).toBe(0);
    expect(parseKumaDuration('1h30m')).toBeUndefined();
    expect(parseKumaDuration('2e')).toBeUndefined();
    expect(parseKumaDuration('1.5h')).toBeUndefined();
  });

  it('isAppliedTargetRef: the kinds and fields Causeway applies; the rest selects nothing', () => {
    expect(isAppliedTargetRef({ kind: 'Mesh' })).toBe(true);
    expect(isAppliedTargetRef({ kind: 'MeshSubset', tags: { team: 'a' }, proxyTypes: ['Sidecar', 'Gateway'] })).toBe(true);
    expect(isAppliedTargetRef({ kind: 'MeshService', name: 'web', labels: {}, sectionName: '' })).toBe(true);
    expect(isAppliedTargetRef({ kind: 'MeshServiceSubset', name: 'web', tags: { version: 'v1' } })).toBe(true);
    expect(isAppliedTargetRef({ kind: 'MeshService', labels: { app: 'web' } })).toBe(false);
    expect(isAppliedTargetRef({ kind: 'MeshService', name: 'web', sectionName: 'http' })).toBe(false);
    expect(isAppliedTargetRef({ kind: 'Mesh', proxyTypes: ['Gateway'] })).toBe(false);
    for (const kind of ['Dataplane', 'MeshGateway', 'MeshHTTPRoute', 'MeshExternalService', 'MeshMultiZoneService'] as const)
      expect(isAppliedTargetRef({ kind, name: 'x' })).toBe(false);
  });

  it('decodeBase64Strict refuses bad alphabet and padding', () => {
    expect(decodeBase64Strict('QUJD')?.toString()).toBe('ABC');
    expect(decodeBase64Strict('QUJ')).toBeUndefined();
    expect(decodeBase64Strict('QU*D')).toBeUndefined();
    expect(decodeBase64Strict('')).toBeUndefined();
  });
});
