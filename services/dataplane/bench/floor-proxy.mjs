#!/usr/bin/env node
/**
 * The floor: the least work a Node.js process can do to forward HTTP/1.1 and TCP, in the clear or over
 * mTLS, to compare causeway-dp with in the same benchmark run (bench/hop.ts runs it next to
 * causeway-dp with the same bootstraps).
 *
 * It takes the arguments hop.ts gives a proxy (`run --bootstrap FILE --admin-port N ...`), and forwards
 * each listener of the bootstrap to the first endpoint of its cluster. HTTP: llhttp parses every request
 * and response, the heads are written again (as any HTTP proxy must), bodies pass through, each turn's
 * writes go out in one syscall (cork); one upstream connection per downstream connection. TCP: bytes
 * piped both ways. TLS: a listener whose first filter chain has a DownstreamTlsContext is a TLS server
 * (its SDS certificate, the client certificate required and verified against the SDS CA); a cluster with
 * an UpstreamTlsContext connects with TLS (its SNI and SDS client certificate, the server verified
 * against the SDS CA and its URI SAN compared with the first exact matcher, once per connection).
 * Nothing else: no filter chain matching, RBAC, routing, host selection, timeouts, retries, stats,
 * access log or config updates. What causeway-dp costs above this is the price of those.
 *
 * It is correct only for the benchmark's traffic (small requests and content-length responses, each head
 * in one read) and must not forward anything else: a head split across reads reaches llhttp's
 * kOnHeaders callback, which this ignores, so the head is lost (the process throws); a chunked body is
 * forwarded without its chunk framing while the transfer-encoding header stays; parse errors are ignored.
 */
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { methods, HTTPParser } from 'node:_http_common';
import { connect, createServer } from 'node:net';
import { connect as tlsConnect, createServer as createTlsServer } from 'node:tls';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ args: process.argv.slice(3), options: { bootstrap: { type: 'string' }, 'admin-port': { type: 'string' }, 'access-log': { type: 'string' }, 'log-level': { type: 'string' } } });
if (process.argv[2] !== 'run' || !values.bootstrap || !values['admin-port']) {
  console.error('usage: floor-proxy.mjs run --bootstrap FILE --admin-port PORT');
  process.exit(2);
}
const bootstrap = JSON.parse(readFileSync(values.bootstrap, 'utf8')).static_resources;

const secrets = new Map((bootstrap.secrets ?? []).map((s) => [s.name, s]));
const pem = (dataSource) => Buffer.from(dataSource.inline_bytes, 'base64');

/** The certificate, key and CA of a CommonTlsContext's SDS secrets. */
function tlsMaterial(common) {
  const id = secrets.get(common.tls_certificate_sds_secret_configs[0].name).tls_certificate;
  const ca = secrets.get(common.combined_validation_context.validation_context_sds_secret_config.name).validation_context;
  return { cert: pem(id.certificate_chain), key: pem(id.private_key), ca: pem(ca.trusted_ca) };
}

/** A function opening a connection to the first endpoint of a cluster (with TLS if it has an UpstreamTlsContext). */
function dialer(clusterName) {
  const c = bootstrap.clusters.find((x) => x.name === clusterName);
  if (!c) throw new Error(`cluster ${clusterName} not in the bootstrap`);
  const port = c.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address.port_value;
  const tls = c.transport_socket?.typed_config;
  if (!tls) return () => connect({ host: '127.0.0.1', port, noDelay: true });
  const san = tls.common_tls_context.combined_validation_context.default_validation_context.match_typed_subject_alt_names[0].matcher.exact;
  const options = { host: '127.0.0.1', port, servername: tls.sni, ...tlsMaterial(tls.common_tls_context) };
  options.checkServerIdentity = (_host, cert) => (cert.subjectaltname?.split(', ').includes(`URI:${san}`) ? undefined : new Error(`server is not ${san}`));
  return () => tlsConnect(options).setNoDelay(true);
}

function corkedTillEndOfTurn(socket) {
  if (socket.writableCorked) return;
  socket.cork();
  setImmediate(() => socket.uncork());
}

function headerLines(raw) {
  let out = '';
  for (let i = 0; i < raw.length; i += 2) out += `${raw[i]}: ${raw[i + 1]}\r\n`;
  return out;
}

function parser(type, onHead, onBody) {
  const p = new HTTPParser();
  p.initialize(type, {}, 0, 0);
  p[HTTPParser.kOnHeadersComplete] = onHead;
  p[HTTPParser.kOnBody] = onBody;
  p[HTTPParser.kOnMessageComplete] = () => {};
  p[HTTPParser.kOnHeaders] = () => {};
  p[HTTPParser.kOnExecute] = () => {};
  return p;
}

function forwardHttp(down, dial) {
  const up = dial();
  const req = parser(
    HTTPParser.REQUEST,
    (_maj, _min, headers, method, url) => {
      corkedTillEndOfTurn(up);
      up.write(`${methods[method]} ${url} HTTP/1.1\r\n${headerLines(headers)}\r\n`, 'latin1');
    },
    (b) => up.write(b),
  );
  const res = parser(
    HTTPParser.RESPONSE,
    (_maj, _min, headers, _m, _u, status, message) => {
      corkedTillEndOfTurn(down);
      down.write(`HTTP/1.1 ${status} ${message}\r\n${headerLines(headers)}\r\n`, 'latin1');
    },
    (b) => down.write(b),
  );
  down.on('data', (d) => req.execute(d));
  up.on('data', (d) => res.execute(d));
  const close = () => {
    down.destroy();
    up.destroy();
  };
  for (const s of [down, up]) s.on('error', close).on('close', close);
}

function forwardTcp(down, dial) {
  const up = dial();
  down.pipe(up).pipe(down);
  const close = () => {
    down.destroy();
    up.destroy();
  };
  for (const s of [down, up]) s.on('error', close).on('close', close);
}

for (const l of bootstrap.listeners) {
  const chain = l.filter_chains[0];
  const filter = chain.filters[0];
  const tc = filter.typed_config;
  const http = filter.name === 'envoy.filters.network.http_connection_manager';
  const dial = dialer(http ? tc.route_config.virtual_hosts[0].routes[0].route.cluster : tc.cluster);
  const forward = (s) => (http ? forwardHttp(s, dial) : forwardTcp(s, dial));
  const tls = chain.transport_socket?.typed_config;
  const server = tls
    ? createTlsServer({ ...tlsMaterial(tls.common_tls_context), requestCert: true, rejectUnauthorized: true }, (s) => forward(s.setNoDelay(true)))
    : createServer({ noDelay: true }, forward);
  server.listen(l.address.socket_address.port_value, l.address.socket_address.address);
}
createHttpServer((req, res) => res.end(req.url === '/ready' ? 'LIVE' : '')).listen(Number(values['admin-port']), '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
