/**
 * The simulated proxies of bench/zone.ts, in a worker thread so that the zone's own thread can be
 * measured alone: N raw incremental ADS streams (own dataplane token and Dataplane each, wildcard
 * subscriptions to every type, every response ACKed, nothing decoded). Messages from the parent:
 * `{ watch: name }` (count the proxies whose next Cluster response names it, report `{ reached, bytes }`
 * when all have, or on `{ report: true }`). To the parent: `{ connected: n, bytes, cpuMs }` as proxies
 * get an answer for every type (bytes received and this thread's CPU so far), `{ reached, bytes, cpuMs }`.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { TYPE_URLS, XDS_KINDS } from '@causeway/envoy';
import { generateDataplaneToken } from '@causeway/pki';
import * as grpc from '@grpc/grpc-js';
import { adsServiceDefinition } from '../src/server/ads.js';

const { port, proxies: N, services: S, signingKeyPem } = workerData as { port: number; proxies: number; services: number; signingKeyPem: string };
const parent = parentPort as NonNullable<typeof parentPort>;

const Client = grpc.makeGenericClientConstructor({ ...adsServiceDefinition, DeltaAggregatedResources: { ...adsServiceDefinition.DeltaAggregatedResources, responseDeserialize: (b: Buffer) => b } } as grpc.ServiceDefinition, 'ADS');
let bytes = 0;
let connected = 0;
interface Proxy {
  answered: Set<string>;
  onResponse?: (b: Buffer) => void;
}
const proxies: Proxy[] = [];
const nonceOf = (b: Buffer): string | undefined => {
  // DeltaDiscoveryResponse.nonce is field 5 (tag 0x2a); the encoder writes it after the type URL.
  const url = b.lastIndexOf(Buffer.from('type.googleapis.com/'));
  const at = b.indexOf(0x2a, url);
  if (at < 0) return undefined;
  const len = b[at + 1] as number;
  return b.subarray(at + 2, at + 2 + len).toString();
};
/** The CPU of this thread (Node 23.9+; not in this @types/node yet). */
const threadCpuUsage = (): NodeJS.CpuUsage => (process as unknown as { threadCpuUsage(): NodeJS.CpuUsage }).threadCpuUsage();
const cpuMs = () => {
  const c = threadCpuUsage();
  return (c.user + c.system) / 1000;
};

function connect(i: number): Proxy {
  const p: Proxy = { answered: new Set() };
  const client = new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), { 'grpc.max_receive_message_length': 64 * 1024 * 1024 }) as unknown as { DeltaAggregatedResources(md: grpc.Metadata): grpc.ClientDuplexStream<Record<string, unknown>, Buffer>; close(): void };
  const md = new grpc.Metadata();
  const service = `svc-${i % S}`;
  md.set('authorization', `Bearer ${generateDataplaneToken({ signingKeyPem, mesh: 'default', name: `dp-${i}`, tags: { 'kuma.io/service': [service] } })}`);
  const stream = client.DeltaAggregatedResources(md);
  stream.on('error', () => undefined);
  stream.on('data', (b: Buffer) => {
    bytes += b.length;
    const type = XDS_KINDS.find((k) => b.includes(TYPE_URLS[k])) as string;
    if (!p.answered.has(type)) {
      p.answered.add(type);
      if (p.answered.size === XDS_KINDS.length) parent.postMessage({ connected: ++connected, bytes, cpuMs: cpuMs() });
    }
    p.onResponse?.(b);
    stream.write({ type_url: TYPE_URLS[type as keyof typeof TYPE_URLS], response_nonce: nonceOf(b) });
  });
  const a = 10 + Math.floor(i / 250);
  const resource = JSON.stringify({ type: 'Dataplane', mesh: 'default', name: `dp-${i}`, networking: { address: `127.0.${a}.${(i % 250) + 1}`, inbound: [{ port: 8080, tags: { 'kuma.io/service': service, 'kuma.io/protocol': 'http' } }] } });
  XDS_KINDS.forEach((k, n) => {
    stream.write({ ...(n === 0 ? { node: { id: `default.dp-${i}`, metadata: { 'dataplane.resource': resource } } } : {}), type_url: TYPE_URLS[k] });
  });
  return p;
}

let watch: { reached: number; bytes0: number; cpu0: number } | undefined;
const report = () => {
  if (watch) parent.postMessage({ reached: watch.reached, bytes: bytes - watch.bytes0, cpuMs: cpuMs() - watch.cpu0 });
};
parent.on('message', (m: { watch?: string; report?: boolean }) => {
  if (m.watch !== undefined) {
    const w = { reached: 0, bytes0: bytes, cpu0: cpuMs() };
    watch = w;
    const needle = Buffer.from(m.watch);
    for (const p of proxies) {
      let done = false;
      p.onResponse = (b) => {
        if (!done && b.includes(TYPE_URLS.Cluster) && b.includes(needle)) {
          done = true;
          if (++w.reached === N) report();
        }
      };
    }
  } else if (m.report) report();
});
for (let i = 0; i < N; i++) proxies.push(connect(i));
