/**
 * Interop with a real xDS client we did not write: @grpc/grpc-js-xds resolves `xds:///echo` against the
 * zone's ADS server (LDS api_listener -> RDS -> CDS -> EDS) and the gRPC call reaches the backend the
 * zone knows as service `echo`. The client registers as a proxyless Dataplane through its bootstrap
 * node metadata, with its dataplane token there (gRPC's xDS client cannot send call headers).
 */
import type { Resource } from '@causeway/core';
import { createSigningKey, dataplaneTokenTags, generateDataplaneToken } from '@causeway/pki';
import { openStore, type ResourceStore } from '@causeway/store';
import * as grpc from '@grpc/grpc-js';
import * as grpcXds from '@grpc/grpc-js-xds';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdsServer, adsCredentials } from './server/ads.js';
import { XdsZone } from './zone/index.js';

const json = {
  serialize: (v: unknown) => Buffer.from(JSON.stringify(v)),
  deserialize: (b: Buffer) => JSON.parse(b.toString()) as unknown,
};
const echoService: grpc.ServiceDefinition = {
  Say: {
    path: '/causeway.test.Echo/Say',
    requestStream: false,
    responseStream: false,
    requestSerialize: json.serialize,
    requestDeserialize: json.deserialize,
    responseSerialize: json.serialize,
    responseDeserialize: json.deserialize,
  },
};
const EchoClient = grpc.makeGenericClientConstructor(echoService, 'Echo');

describe('@grpc/grpc-js-xds against the zone ADS server', () => {
  const logger = pino({ level: 'silent' });
  const key = createSigningKey();
  let store: ResourceStore;
  let zone: XdsZone;
  let ads: AdsServer;
  let backend: grpc.Server;
  let backendPort: number;
  let adsPort: number;

  beforeAll(async () => {
    backend = new grpc.Server();
    backend.addService(echoService, {
      Say: (call: grpc.ServerUnaryCall<{ text: string }, unknown>, cb: grpc.sendUnaryData<unknown>) => cb(null, { text: call.request.text, from: `echo-1:${backendPort}` }),
    });
    backendPort = await new Promise<number>((resolve, reject) => backend.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));

    store = await openStore({ pollIntervalMs: 50 });
    const r = (type: Resource['type'], name: string, spec: unknown, mesh?: string): Resource => ({ type, name, ...(mesh ? { mesh } : {}), labels: {}, spec, version: 0 });
    await store.create(r('Mesh', 'default', {}));
    await store.create(
      r(
        'Dataplane',
        'echo-1',
        { networking: { address: '127.0.0.1', inbound: [{ port: backendPort, tags: { 'kuma.io/service': 'echo', 'kuma.io/protocol': 'grpc' } }] } },
        'default',
      ),
    );
    zone = new XdsZone({ store, zone: 'zone-1', logger, signingKeyPem: key, debounceMs: 20, insightFlushMs: 200 });
    await zone.start();
    ads = new AdsServer({ cache: zone.cache, registry: zone, logger });
    // grpc-js-xds speaks to its xDS server with "insecure" or "google_default" (GCP) channel credentials only.
    adsPort = await ads.listen('127.0.0.1', 0, adsCredentials(undefined));
  });

  afterAll(async () => {
    await ads?.close(200);
    await zone?.close();
    await store?.close();
    backend?.forceShutdown();
  });

  it('resolves xds:///echo and makes a gRPC call that reaches the backend', async () => {
    const client = {
      type: 'Dataplane',
      mesh: 'default',
      name: 'grpc-client-1',
      networking: { address: '127.0.0.1', inbound: [{ port: 1, tags: { 'kuma.io/service': 'grpc-client', 'kuma.io/protocol': 'grpc' } }] },
    };
    process.env.GRPC_XDS_BOOTSTRAP_CONFIG = JSON.stringify({
      xds_servers: [{ server_uri: `127.0.0.1:${adsPort}`, channel_creds: [{ type: 'insecure' }], server_features: ['xds_v3'] }],
      node: {
        id: 'default.grpc-client-1',
        cluster: 'grpc-client',
        locality: { zone: 'zone-1' },
        metadata: {
          'dataplane.resource': JSON.stringify(client),
          'dataplane.token': generateDataplaneToken({ signingKeyPem: key, mesh: 'default', name: 'grpc-client-1', tags: dataplaneTokenTags(client) }),
          'causeway.proxyless': true,
        },
      },
    });
    grpcXds.register();
    const echo = new EchoClient('xds:///echo', grpc.credentials.createInsecure()) as unknown as {
      Say(req: unknown, opts: grpc.CallOptions, cb: (e: grpc.ServiceError | null, r?: { text: string; from: string }) => void): void;
      close(): void;
    };
    try {
      const reply = await new Promise<{ text: string; from: string }>((resolve, reject) =>
        echo.Say({ text: 'hello through xds' }, { deadline: Date.now() + 15_000 }, (e, r) => (e ? reject(e) : resolve(r as { text: string; from: string }))),
      );
      expect(reply).toEqual({ text: 'hello through xds', from: `echo-1:${backendPort}` });
      // The client registered through its node metadata and ACKed what it got.
      const dp = await store.get('Dataplane', 'default', 'grpc-client-1');
      expect(dp?.labels['causeway.io/registered-by']).toBe('ads');
      const dump = await zone.configDump('Dataplane', 'default', 'grpc-client-1');
      const listeners = dump?.configs.find((c) => String(c['@type']).endsWith('ListenersConfigDump')) as { dynamic_listeners: { name: string }[] };
      expect(listeners.dynamic_listeners.map((l) => l.name)).toContain('echo');
      // gRPC's xDS client accepted (ACKed) every response: no NACK on the insight.
      let sub: { status?: { responsesAcknowledged?: number; responsesRejected?: number }; lastNack?: unknown } | undefined;
      for (let i = 0; i < 100; i++) {
        const insight = await store.get('DataplaneInsight', 'default', 'grpc-client-1');
        sub = (insight?.spec as { subscriptions?: (typeof sub)[] } | undefined)?.subscriptions?.[0];
        if ((sub?.status?.responsesAcknowledged ?? 0) >= 4) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(sub?.status?.responsesAcknowledged).toBeGreaterThanOrEqual(4); // LDS, RDS, CDS, EDS
      expect(sub?.lastNack).toBeUndefined();
      expect(sub?.status?.responsesRejected ?? 0).toBe(0);
    } finally {
      echo.close();
      delete process.env.GRPC_XDS_BOOTSTRAP_CONFIG;
    }
  }, 30_000);
});
