/** A minimal ADS client for this package's tests: either protocol, sends requests, collects responses. */
import { generateDataplaneToken } from '@causeway/pki';
import type { ResourceStore } from '@causeway/store';
import * as grpc from '@grpc/grpc-js';
import pino from 'pino';
import { AdsServer, type AdsServerOptions, adsCredentials, adsServiceDefinition } from '../server/ads.js';
import { XdsZone } from '../zone/index.js';

const Client = grpc.makeGenericClientConstructor(adsServiceDefinition, 'AggregatedDiscoveryService');

type Method = 'StreamAggregatedResources' | 'DeltaAggregatedResources';

export class TestAdsStream<Req, Res> {
  readonly responses: Res[] = [];
  private waiters: { pred: (r: Res) => boolean; resolve: (r: Res) => void }[] = [];
  readonly stream: grpc.ClientDuplexStream<Req, Res>;
  readonly status: Promise<grpc.StatusObject>;

  constructor(port: number, token: string | undefined, method: Method) {
    const client = new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) as unknown as Record<Method, (md: grpc.Metadata) => grpc.ClientDuplexStream<Req, Res>> & { close(): void };
    const md = new grpc.Metadata();
    if (token) md.set('authorization', `Bearer ${token}`);
    this.stream = client[method](md);
    this.status = new Promise((resolve) => this.stream.on('status', resolve));
    this.stream.on('error', () => undefined);
    this.stream.on('data', (r: Res) => {
      this.responses.push(r);
      this.waiters = this.waiters.filter((w) => {
        if (!w.pred(r)) return true;
        w.resolve(r);
        return false;
      });
    });
    this.status.then(() => client.close());
  }

  send(req: Req): void {
    this.stream.write(req);
  }

  /** The first response (received or to come) matching `pred`. */
  next(pred: (r: Res) => boolean, timeoutMs = 5000): Promise<Res> {
    const have = this.responses.find(pred);
    if (have) return Promise.resolve(have);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('timed out waiting for a response')), timeoutMs);
      this.waiters.push({
        pred,
        resolve: (r) => {
          clearTimeout(t);
          resolve(r);
        },
      });
    });
  }

  close(): void {
    this.stream.end();
  }
}

/** A Dataplane in universal JSON, as a proxy sends it in node metadata. */
export const dpDoc = (name: string, mesh: string, service: string, address: string) =>
  JSON.stringify({ type: 'Dataplane', mesh, name, networking: { address, inbound: [{ port: 8080, tags: { 'kuma.io/service': service, 'kuma.io/protocol': 'http' } }] } });

/** The node of a proxy registering `resource`. */
export const node = (mesh: string, name: string, resource: string) => ({ id: `${mesh}.${name}`, cluster: name, metadata: { 'dataplane.resource': resource } });

/** A dataplane token issued for the Dataplane's service (`--tag kuma.io/service=...`). */
export const dpToken = (signingKeyPem: string, mesh: string, name: string, service: string) =>
  generateDataplaneToken({ signingKeyPem, mesh, name, tags: { 'kuma.io/service': [service] } });

/** A zone controller on `store` and its ADS server on a free loopback port (plaintext), as the tests use them. */
export async function startAdsZone(
  store: ResourceStore,
  signingKeyPem: string,
  server: Pick<AdsServerOptions, 'sendWindowBytes'> = {},
): Promise<{ zone: XdsZone; server: AdsServer; port: number; close(): Promise<void> }> {
  const logger = pino({ level: 'silent' });
  const zone = new XdsZone({ store, zone: 'zone-1', logger, signingKeyPem, debounceMs: 20, proxyGraceMs: 300 });
  await zone.start();
  const ads = new AdsServer({ cache: zone.cache, registry: zone, logger, ...server });
  const port = await ads.listen('127.0.0.1', 0, adsCredentials(undefined));
  return {
    zone,
    server: ads,
    port,
    async close() {
      await ads.close(200);
      await zone.close();
    },
  };
}
