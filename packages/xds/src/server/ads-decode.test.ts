/**
 * The hand decoder of ACK-shaped requests (ads.ts `decodeStrings`) gives what the protos give, and leaves
 * every other request to them.
 */
import { decodeMessage, encodeMessage } from '@causeway/envoy';
import { describe, expect, it } from 'vitest';
import { adsServiceDefinition } from './ads.js';

const CLUSTER = 'type.googleapis.com/envoy.config.cluster.v3.Cluster';
const cases = {
  StreamAggregatedResources: 'envoy.service.discovery.v3.DiscoveryRequest',
  DeltaAggregatedResources: 'envoy.service.discovery.v3.DeltaDiscoveryRequest',
} as const;

describe('request decoding', () => {
  for (const [method, type] of Object.entries(cases)) {
    const decode = (adsServiceDefinition[method] as { requestDeserialize: (b: Buffer) => unknown }).requestDeserialize;
    it(`${method}: ACKs and NACKs, first requests, subscriptions decode as the protos decode them`, () => {
      const requests: Record<string, unknown>[] = [
        { type_url: CLUSTER, response_nonce: 'abc-1' },
        { type_url: CLUSTER, response_nonce: `n-${'é'.repeat(200)}` }, // a length over 127 bytes, UTF-8
        { type_url: CLUSTER },
        {},
        { type_url: CLUSTER, response_nonce: 'abc-2', error_detail: { code: 3, message: 'bad listener' } },
        { node: { id: 'default.web-1', metadata: { 'dataplane.resource': '{}' } }, type_url: CLUSTER },
        ...(type.includes('Delta')
          ? [
              { type_url: CLUSTER, resource_names_subscribe: ['a', 'b'], resource_names_unsubscribe: ['c'] },
              { type_url: CLUSTER, initial_resource_versions: { a: 'v1' } },
            ]
          : [
              { version_info: 'v7', type_url: CLUSTER, response_nonce: 'abc-3' },
              { type_url: CLUSTER, resource_names: ['a', 'b'] },
            ]),
      ];
      for (const r of requests) {
        const bytes = encodeMessage(type, r);
        expect(decode(bytes), JSON.stringify(r)).toEqual(decodeMessage(type, bytes));
      }
    });
  }

  it('a truncated ACK is left to the protos (the same outcome as theirs)', () => {
    const type = cases.DeltaAggregatedResources;
    const bytes = encodeMessage(type, { type_url: CLUSTER, response_nonce: 'abc-1' }).subarray(0, -2);
    const decode = (adsServiceDefinition.DeltaAggregatedResources as { requestDeserialize: (b: Buffer) => unknown }).requestDeserialize;
    const outcome = (f: () => unknown) => {
      try {
        return { value: f() };
      } catch (e) {
        return { error: (e as Error).message };
      }
    };
    expect(outcome(() => decode(bytes))).toEqual(outcome(() => decodeMessage(type, bytes)));
  });
});
