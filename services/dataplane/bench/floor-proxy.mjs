#!/usr/bin/env node
/**
 * The floor: the least work a Node.js process can do to forward HTTP/1.1 and TCP, to compare
 * causeway-dp with in the same benchmark run:
 *
 *   node --import tsx bench/hop.ts --compare bench/floor-proxy.mjs
 *
 * It takes the arguments hop.ts gives a proxy (`run --bootstrap FILE --admin-port N ...`), and forwards
 * each listener of the bootstrap to the first endpoint of its cluster. HTTP: llhttp parses every request
 * and response, the heads are written again (as any HTTP proxy must), bodies pass through, each turn's
 * writes go out in one syscall (cork); one upstream connection per downstream connection. TCP: bytes
 * piped both ways. Nothing else: no routing, host selection, timeouts, retries, stats, access log or
 * config updates. What causeway-dp costs above this is the price of those.
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
import { parseArgs } from 'node:util';

const { values } = parseArgs({ args: process.argv.slice(3), options: { bootstrap: { type: 'string' }, 'admin-port': { type: 'string' }, 'access-log': { type: 'string' }, 'log-level': { type: 'string' } } });
if (process.argv[2] !== 'run' || !values.bootstrap || !values['admin-port']) {
  console.error('usage: floor-proxy.mjs run --bootstrap FILE --admin-port PORT');
  process.exit(2);
}
const bootstrap = JSON.parse(readFileSync(values.bootstrap, 'utf8')).static_resources;

function endpointPort(clusterName) {
  const c = bootstrap.clusters.find((x) => x.name === clusterName);
  if (!c) throw new Error(`cluster ${clusterName} not in the bootstrap`);
  return c.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address.port_value;
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

function forwardHttp(down, port) {
  const up = connect({ host: '127.0.0.1', port, noDelay: true });
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

function forwardTcp(down, port) {
  const up = connect({ host: '127.0.0.1', port, noDelay: true });
  down.pipe(up).pipe(down);
  const close = () => {
    down.destroy();
    up.destroy();
  };
  for (const s of [down, up]) s.on('error', close).on('close', close);
}

for (const l of bootstrap.listeners) {
  const filter = l.filter_chains[0].filters[0];
  const tc = filter.typed_config;
  const http = filter.name === 'envoy.filters.network.http_connection_manager';
  const port = endpointPort(http ? tc.route_config.virtual_hosts[0].routes[0].route.cluster : tc.cluster);
  const server = createServer({ noDelay: true }, (s) => (http ? forwardHttp(s, port) : forwardTcp(s, port)));
  server.listen(l.address.socket_address.port_value, l.address.socket_address.address);
}
createHttpServer((req, res) => res.end(req.url === '/ready' ? 'LIVE' : '')).listen(Number(values['admin-port']), '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
