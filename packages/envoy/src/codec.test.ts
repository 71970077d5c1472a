import { describe, expect, it } from 'vitest';
import { decodeAny, decodeMessage, encodeAny, encodeMessage, messageType, parseProtoDuration, XdsCodecError } from './codec.js';
import { durationMs, formatProtoDuration } from './duration.js';
import { EXTENSION_TYPE_URLS } from './model.js';
import { TYPE_URLS } from './type-urls.js';

const cluster = {
  '@type': TYPE_URLS.Cluster,
  name: 'httpbin',
  type: 'STRICT_DNS',
  connect_timeout: '5s',
  lb_policy: 'ROUND_ROBIN',
  per_connection_buffer_limit_bytes: 32768,
  load_assignment: {
    cluster_name: 'httpbin',
    endpoints: [
      {
        locality: { zone: 'zone-1' },
        priority: 1,
        lb_endpoints: [{ endpoint: { address: { socket_address: { address: 'httpbin.org', port_value: 443 } } }, load_balancing_weight: 2 }],
      },
    ],
  },
  transport_socket: {
    name: 'envoy.transport_sockets.tls',
    typed_config: {
      '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext',
      sni: 'httpbin.org',
      allow_renegotiation: true,
      common_tls_context: {
        validation_context: {
          trusted_ca: { inline_bytes: Buffer.from('-----BEGIN CERTIFICATE-----\n').toString('base64') },
          match_typed_subject_alt_names: [{ san_type: 'DNS', matcher: { exact: 'httpbin.org' } }],
        },
      },
    },
  },
  metadata: { filter_metadata: { causeway: { service: 'httpbin', weight: 3, external: true, tags: ['a', 'b'], nothing: null, nested: { x: 1.5 } } } },
};

describe('encodeAny / decodeAny', () => {
  it('round-trips a cluster with nested Any, Duration, wrappers, Struct, enums and bytes exactly', () => {
    const any = encodeAny(cluster);
    expect(any.type_url).toBe(TYPE_URLS.Cluster);
    expect(Buffer.isBuffer(any.value)).toBe(true);
    expect(any.value.length).toBeGreaterThan(100);
    expect(decodeAny(any)).toEqual(cluster);
  });

  it('decodes fields in field-number order (the key order of the JSON a proxy prints), 64-bit integers as strings', () => {
    const decoded = decodeAny(encodeAny(cluster)) as Record<string, unknown>;
    // Cluster: name 1, type 2, connect_timeout 4, per_connection_buffer_limit_bytes 5, lb_policy 6, transport_socket 24, metadata 25, load_assignment 33.
    expect(Object.keys(decoded)).toEqual(['@type', 'name', 'type', 'connect_timeout', 'per_connection_buffer_limit_bytes', 'lb_policy', 'transport_socket', 'metadata', 'load_assignment']);
    const dns = {
      '@type': EXTENSION_TYPE_URLS.DnsFilter,
      stat_prefix: 'dns',
      client_config: { resolver_timeout: '5s', max_pending_lookups: '256' },
    };
    expect(decodeAny(encodeAny(dns))).toEqual(dns);
  });

  it('writes wrappers with their default value and reads them back (BoolValue false, UInt32Value 0)', () => {
    const route = {
      '@type': TYPE_URLS.RouteConfiguration,
      name: 'r',
      validate_clusters: false,
      virtual_hosts: [
        {
          name: 'vh',
          domains: ['*'],
          routes: [
            {
              match: { prefix: '/' },
              route: {
                cluster: 'c',
                timeout: '0s',
                retry_policy: { retry_on: '5xx,connect-failure', num_retries: 0, per_try_timeout: '0.250s' },
              },
            },
          ],
        },
      ],
    };
    expect(decodeAny(encodeAny(route))).toEqual(route);
  });

  it('handles an Any of a well-known type under "value"', () => {
    const d = { '@type': 'type.googleapis.com/google.protobuf.Duration', value: '1.500s' };
    expect(decodeAny(encodeAny(d))).toEqual(d);
    // Non-canonical input is accepted and comes back in canonical form.
    expect(decodeAny(encodeAny({ ...d, value: '1.5s' }))).toEqual(d);
    const s = { '@type': 'type.googleapis.com/google.protobuf.Struct', value: { a: [1, 'x', { b: false }] } };
    expect(decodeAny(encodeAny(s))).toEqual(s);
  });

  it('refuses unknown fields, wrong types, unknown enum names and two members of a oneof, naming the path', () => {
    expect(() => encodeAny({ ...cluster, conect_timeout: '5s' })).toThrow(/conect_timeout: unknown field of envoy.config.cluster.v3.Cluster/);
    expect(() => encodeAny({ ...cluster, connect_timeout: 5 })).toThrow(/connect_timeout: must be a duration string/);
    expect(() => encodeAny({ ...cluster, connect_timeout: '5m' })).toThrow(XdsCodecError);
    expect(() => encodeAny({ ...cluster, lb_policy: 'RANDOMLY' })).toThrow(/lb_policy: "RANDOMLY" is not a value of envoy.config.cluster.v3.Cluster.LbPolicy/);
    expect(() => encodeAny({ ...cluster, type: 'STATIC', cluster_type: { name: 'x' } })).toThrow(/only one of "type" and "cluster_type"/);
    expect(() => encodeAny({ ...cluster, '@type': 'type.googleapis.com/envoy.Nope' })).toThrow(/unknown message type "envoy.Nope"/);
    expect(() =>
      encodeAny({ ...cluster, load_assignment: { cluster_name: 'x', endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { port_value: -1 } } } }] }] } }),
    ).toThrow(/load_assignment.endpoints\[0\].lb_endpoints\[0\].endpoint.address.socket_address.port_value: -1 is out of range/);
  });

  it('encodes and decodes plain messages (DiscoveryRequest with Struct node metadata)', () => {
    const req = {
      version_info: '3',
      node: { id: 'default.web-1', cluster: 'web', metadata: { dataplane: { type: 'Dataplane', name: 'web-1', port: 8080 } } },
      resource_names: ['a', 'b'],
      type_url: TYPE_URLS.Listener,
      response_nonce: 'n1',
      error_detail: { code: 3, message: 'bad' },
    };
    expect(decodeMessage('envoy.service.discovery.v3.DiscoveryRequest', encodeMessage('envoy.service.discovery.v3.DiscoveryRequest', req))).toEqual(req);
  });

  it("writes the bytes protobufjs writes from its own object form: field order, defaults given, enums, int64, packed lists, maps, oneofs, long lists", () => {
    const t = messageType('envoy.config.cluster.v3.Cluster');
    const any = (i: number) => ({ '@type': TYPE_URLS.ClusterLoadAssignment, cluster_name: `c${i}` });
    const anyProto = (i: number) => ({ type_url: TYPE_URLS.ClusterLoadAssignment, value: messageType('envoy.config.endpoint.v3.ClusterLoadAssignment').encode({ cluster_name: `c${i}` }).finish() });
    // Keys out of field order; zeros and false given (written, as protobufjs writes a field it was given).
    const json = {
      name: 'c',
      lb_policy: 'LEAST_REQUEST',
      per_connection_buffer_limit_bytes: 0,
      connect_timeout: '1.5s',
      type: 'STATIC',
      respect_dns_ttl: false,
      max_requests_per_connection: 0,
      circuit_breakers: { thresholds: [{ priority: 'HIGH', max_retries: 7 }, { max_connections: 0 }] },
      metadata: { filter_metadata: { b: { k: 'v', n: 1, z: null, l: [true, { q: 'r' }] }, a: {} }, typed_filter_metadata: { x: any(0) } },
      load_assignment: { cluster_name: 'c', endpoints: Array.from({ length: 70 }, (_, i) => ({ priority: i, lb_endpoints: [{ endpoint: { address: { socket_address: { address: `10.0.0.${i}`, port_value: 80 } } } }] })) },
      common_http_protocol_options: { max_requests_per_connection: 0, idle_timeout: '0s' },
      cleanup_interval: '0.000000001s',
    };
    const value = (v: unknown): Record<string, unknown> =>
      v === null
        ? { nullValue: 0 }
        : typeof v === 'string'
          ? { stringValue: v }
          : typeof v === 'number'
            ? { numberValue: v }
            : typeof v === 'boolean'
              ? { boolValue: v }
              : Array.isArray(v)
                ? { listValue: { values: v.map(value) } }
                : { structValue: { fields: Object.fromEntries(Object.entries(v as object).map(([k, x]) => [k, value(x)])) } };
    const struct = (o: object) => ({ fields: Object.fromEntries(Object.entries(o).map(([k, x]) => [k, value(x)])) });
    const proto = {
      name: 'c',
      type: 0,
      connect_timeout: { seconds: '1', nanos: 500_000_000 },
      per_connection_buffer_limit_bytes: { value: 0 },
      lb_policy: 1,
      respect_dns_ttl: false,
      max_requests_per_connection: { value: 0 },
      circuit_breakers: { thresholds: [{ priority: 1, max_retries: { value: 7 } }, { max_connections: { value: 0 } }] },
      metadata: { filter_metadata: { b: struct(json.metadata.filter_metadata.b), a: struct({}) }, typed_filter_metadata: { x: anyProto(0) } },
      common_http_protocol_options: { max_requests_per_connection: { value: 0 }, idle_timeout: { seconds: '0', nanos: 0 } },
      cleanup_interval: { seconds: '0', nanos: 1 },
    };
    // load_assignment holds a list of 64 or more messages (encoded element by element, cached): its last field.
    expect(encodeMessage('envoy.config.cluster.v3.Cluster', json)).toEqual(Buffer.from(t.encode(t.fromObject({ ...proto, load_assignment: json.load_assignment })).finish()));
    // Packed repeated scalars, int64 as a decimal string, a oneof member.
    const rp = messageType('envoy.config.route.v3.RetryPolicy');
    expect(encodeMessage('envoy.config.route.v3.RetryPolicy', { retry_on: '5xx', retriable_status_codes: [503, 0, 504], num_retries: 0 })).toEqual(
      Buffer.from(rp.encode(rp.fromObject({ retry_on: '5xx', retriable_status_codes: [503, 0, 504], num_retries: { value: 0 } })).finish()),
    );
    const hm = messageType('envoy.config.route.v3.HeaderMatcher');
    expect(encodeMessage('envoy.config.route.v3.HeaderMatcher', { name: 'x', range_match: { start: '-5', end: '9007199254740993' } })).toEqual(
      Buffer.from(hm.encode(hm.fromObject({ name: 'x', range_match: { start: '-5', end: '9007199254740993' } })).finish()),
    );
  });

  it('keeps the bytes of an Any object from its second encoding on (a shared one), in a buffer of its own', () => {
    const shared = { ...cluster, name: 'shared' };
    const first = encodeAny(shared);
    const second = encodeAny(shared);
    const third = encodeAny(shared);
    expect(second.value.equals(first.value)).toBe(true);
    expect(third.value.buffer).toBe(second.value.buffer); // kept: not encoded again
    expect(second.value.buffer.byteLength).toBe(second.value.length); // not a slice of Node's shared pool
    expect(first.value.buffer).not.toBe(second.value.buffer); // the first encoding was not kept
    // A nested Any two resources share is kept the same way, and both resources carry its bytes.
    const a = { ...cluster, name: 'a' };
    const b = { ...cluster, name: 'b' };
    expect(decodeAny(encodeAny(a))).toEqual(a);
    expect(decodeAny(encodeAny(b))).toEqual(b);
  });
});

describe('long repeated fields', () => {
  const chain = (i: number) => ({
    name: `svc-${i}{mesh=default}`,
    filter_chain_match: { server_names: [`svc-${i}{mesh=default}`], transport_protocol: 'tls' },
    filters: [{ name: 'envoy.filters.network.tcp_proxy', typed_config: { '@type': EXTENSION_TYPE_URLS.TcpProxy, stat_prefix: `svc_${i}`, cluster: `default:svc-${i}` } }],
  });
  const listener = (chains: unknown[]) => ({
    '@type': TYPE_URLS.Listener,
    name: 'inbound:127.0.0.20:10002',
    address: { socket_address: { address: '127.0.0.20', port_value: 10002 } },
    traffic_direction: 'INBOUND',
    filter_chains: chains,
  });

  it('round-trips a listener of many filter chains encoded chain by chain, and one with a chain more', () => {
    const chains = Array.from({ length: 80 }, (_, i) => chain(i));
    const a = listener(chains);
    expect(decodeAny(encodeAny(a))).toEqual(a);
    // The same chain objects with one more (each kept chain's bytes reused): still the listener it says.
    const b = listener([...chains.slice(0, 40), chain(99), ...chains.slice(40)]);
    expect(decodeAny(encodeAny(b))).toEqual(b);
    // The same content from new objects encodes to the same bytes (a resource's version is its content).
    const again = listener(Array.from({ length: 80 }, (_, i) => chain(i)));
    expect(Buffer.from(encodeAny(again).value)).toEqual(Buffer.from(encodeAny(a).value));
  });

  it('names the element and field of a bad chain in a long list', () => {
    const chains: unknown[] = Array.from({ length: 70 }, (_, i) => chain(i));
    chains[17] = { ...chain(17), filter_chain_match: { server_names: 'not a list' } };
    expect(() => encodeAny(listener(chains))).toThrow(/filter_chains\[17\]\.filter_chain_match\.server_names: must be a list/);
    chains[17] = 'not a chain';
    expect(() => encodeAny(listener(chains))).toThrow(/filter_chains\[17\]: must be an object/);
  });
});

describe('durations', () => {
  it('parses and formats proto3 JSON durations canonically', () => {
    expect(parseProtoDuration('5s')).toEqual({ seconds: '5', nanos: 0 });
    expect(parseProtoDuration('0.25s')).toEqual({ seconds: '0', nanos: 250_000_000 });
    expect(parseProtoDuration('-1.5s')).toEqual({ seconds: '-1', nanos: -500_000_000 });
    expect(formatProtoDuration(0, 250_000_000)).toBe('0.250s');
    expect(formatProtoDuration(1, 1000)).toBe('1.000001s');
    expect(formatProtoDuration(0, 1)).toBe('0.000000001s');
    expect(durationMs(3000)).toBe('3s');
    expect(durationMs(250)).toBe('0.250s');
    expect(() => parseProtoDuration('1m')).toThrow(/not a duration/);
  });
});
