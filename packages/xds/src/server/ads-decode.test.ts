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
              // A reconnect: node, names and ~1,000 held versions (some long, non-ASCII, an empty version).
              {
                node: { id: 'default.web-1', metadata: { 'dataplane.resource': '{}' } },
                type_url: CLUSTER,
                resource_names_subscribe: ['x'],
                initial_resource_versions: Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`c-${i}-${'é'.repeat(i % 3 ? 1 : 90)}`, i === 7 ? '' : `v${i}`])),
                response_nonce: 'n-1',
              },
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

  /** What decoding gives: a value or an error message. */
  const outcome = (f: () => unknown) => {
    try {
      return { value: f() };
    } catch (e) {
      return { error: (e as Error).message };
    }
  };
  const decodeDelta = (adsServiceDefinition.DeltaAggregatedResources as { requestDeserialize: (b: Buffer) => unknown }).requestDeserialize;

  it('a reconnect whose versions are malformed or truncated has the outcome the protos give it', () => {
    const type = cases.DeltaAggregatedResources;
    const full = encodeMessage(type, { type_url: CLUSTER, initial_resource_versions: { a: 'v1', b: 'v2' } });
    for (let cut = 1; cut < full.length; cut++) {
      const bytes = full.subarray(0, cut);
      expect(outcome(() => decodeDelta(bytes)), `cut at ${cut}`).toEqual(outcome(() => decodeMessage(type, bytes)));
    }
    // An entry with a field the map does not have (wire type 0): left to the protos.
    const odd = Buffer.concat([Buffer.from([0x2a, 0x05, 0x0a, 0x01, 0x61, 0x18, 0x01]), encodeMessage(type, { type_url: CLUSTER })]);
    expect(outcome(() => decodeDelta(odd))).toEqual(outcome(() => decodeMessage(type, odd)));
  });

  it('a truncated ACK is left to the protos (the same outcome as theirs)', () => {
    const type = cases.DeltaAggregatedResources;
    const bytes = encodeMessage(type, { type_url: CLUSTER, response_nonce: 'abc-1' }).subarray(0, -2);
    expect(outcome(() => decodeDelta(bytes))).toEqual(outcome(() => decodeMessage(type, bytes)));
  });
});
