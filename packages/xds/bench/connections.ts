/**
 * What an idle proxy connection costs the zone in memory, apart from its config: a @grpc/grpc-js server
 * with the ADS server's TLS credentials (`adsCredentials`) holding N connections, each with one open
 * bidirectional stream, the clients in a child process (their memory is not counted). Prints the server's
 * RSS before and after (after a full GC), its heap and external memory, and the RSS per connection: the
 * part of a zone's RSS at 1,000 proxies that TLS and HTTP/2 take whatever the config.
 *
 * Run: npm run bench:connections -w @causeway/xds -- [--connections 1000]   (exits 1 when not every
 * stream opened within 60 s: then it measured nothing)
 */
import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createCaCertificate, issueCertificate } from '@causeway/pki';
import * as grpc from '@grpc/grpc-js';
import { adsCredentials } from '../src/server/ads.js';

const { values: args } = parseArgs({ options: { connections: { type: 'string', default: '1000' }, client: { type: 'string' }, ca: { type: 'string' } } });
const N = Number(args.connections);
if (!Number.isInteger(N) || N < 1) throw new Error(`--connections: must be a positive integer, got ${args.connections}`);

const identity = (b: Buffer) => b;
const METHOD = { path: '/bench.Echo/Stream', requestStream: true, responseStream: true, requestSerialize: identity, requestDeserialize: identity, responseSerialize: identity, responseDeserialize: identity };
const SERVICE: grpc.ServiceDefinition = { Stream: METHOD };
const rssMb = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1]) / 1024;
const gc = (globalThis as { gc?: () => void }).gc;
const round = (n: number) => Math.round(n * 10) / 10;

if (args.client !== undefined) {
  // The clients: one channel (its own connection) and one open stream each.
  const Client = grpc.makeGenericClientConstructor(SERVICE, 'Echo');
  const creds = grpc.credentials.createSsl(Buffer.from(String(args.ca)));
  const open: unknown[] = [];
  for (let i = 0; i < N; i++) {
    const c = new Client(`localhost:${args.client}`, creds, { 'grpc.use_local_subchannel_pool': 1 }) as unknown as { Stream: () => grpc.ClientDuplexStream<Buffer, Buffer> };
    const s = c.Stream();
    s.on('data', () => undefined);
    s.on('error', () => undefined);
    s.write(Buffer.from('hello'));
    open.push(s);
  }
  setInterval(() => undefined, 60_000);
} else {
  const now = Date.now();
  const validity = { notBefore: new Date(now - 60_000), notAfter: new Date(now + 86_400_000) };
  const ca = await createCaCertificate({ commonName: 'bench ca', ...validity });
  const cert = await issueCertificate(ca, { commonName: 'bench ads', dnsNames: ['localhost'], ips: ['127.0.0.1'], usage: 'server', ...validity });
  const server = new grpc.Server({ 'grpc.keepalive_time_ms': 30_000, 'grpc.keepalive_timeout_ms': 10_000 });
  let streams = 0;
  server.addService(SERVICE, {
    Stream: (call: grpc.ServerDuplexStream<Buffer, Buffer>) => {
      streams++;
      call.on('data', (d: Buffer) => call.write(d));
      call.on('error', () => undefined);
    },
  });
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', adsCredentials(cert), (e, p) => (e ? reject(e) : resolve(p))));
  gc?.();
  const before = rssMb();
  const child = fork(process.argv[1] as string, ['--connections', String(N), '--client', String(port), `--ca=${ca.certPem}`], { execArgv: ['--import', 'tsx'] });
  let clientsExited = false;
  child.once('exit', () => {
    clientsExited = true;
  });
  const deadline = Date.now() + 60_000;
  while (streams < N && !clientsExited && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  await new Promise((r) => setTimeout(r, 2_000));
  gc?.();
  const after = rssMb();
  const m = process.memoryUsage();
  const result = {
    node: process.version,
    connections: N,
    streamsOpened: streams,
    rssMbBefore: round(before),
    rssMbAfter: round(after),
    heapUsedMb: round(m.heapUsed / 1048576),
    externalMb: round(m.external / 1048576),
    rssKbPerConnection: Math.round(((after - before) * 1024) / Math.max(1, streams)),
  };
  console.log(JSON.stringify(result, null, 2));
  child.kill();
  server.forceShutdown();
  if (streams < N) {
    console.error(`only ${streams} of ${N} streams opened${clientsExited ? ' (the clients exited)' : ' within 60 s'}: nothing measured`);
    process.exit(1);
  }
  process.exit(0);
}
