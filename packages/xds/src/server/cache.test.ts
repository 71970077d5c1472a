import { describe, expect, it } from 'vitest';
import { decodeMessage } from '@causeway/envoy';
import { emptySet } from '../generate/common.js';
import { TYPE_URLS } from '@causeway/envoy';
import { buildSnapshot, encodeDiscoveryResponse, pack, SnapshotCache } from './cache.js';

const cluster = (name: string, timeout = '5s') => ({ '@type': TYPE_URLS.Cluster, name, type: 'EDS', connect_timeout: timeout, eds_cluster_config: { eds_config: { ads: {}, resource_api_version: 'V3' } } });

describe('snapshot cache', () => {
  it('encodes a DiscoveryResponse by hand that the protos decode to the same resources', () => {
    const a = pack('Cluster', cluster('a'));
    const b = pack('Cluster', cluster('b', '0.250s'));
    const bytes = encodeDiscoveryResponse('v1', [a, b], TYPE_URLS.Cluster, 'n-1');
    expect(decodeMessage('envoy.service.discovery.v3.DiscoveryResponse', bytes)).toEqual({
      version_info: 'v1',
      resources: [cluster('a'), cluster('b', '0.250s')],
      type_url: TYPE_URLS.Cluster,
      nonce: 'n-1',
    });
  });

  it('versions change only with content, per type, and subscribers hear only about changed types of their proxy', () => {
    const set = emptySet();
    set.Cluster.push(cluster('a'));
    const s1 = buildSnapshot(set);
    const same = emptySet();
    same.Cluster.push(cluster('a'));
    expect(buildSnapshot(same).types.Cluster.version).toBe(s1.types.Cluster.version);
    const cache = new SnapshotCache();
    const heard: string[][] = [];
    cache.subscribe('p', (_s, changed) => heard.push(changed));
    cache.subscribe('other', () => heard.push(['other proxy']));
    expect(cache.set('p', set)).toHaveLength(5);
    expect(cache.set('p', same)).toEqual([]);
    const next = emptySet();
    next.Cluster.push(cluster('a', '1s'));
    expect(cache.set('p', next)).toEqual(['Cluster']);
    expect(heard).toEqual([['Listener', 'RouteConfiguration', 'Cluster', 'ClusterLoadAssignment', 'Secret'], ['Cluster']]);
    expect(cache.get('p')?.types.Cluster.byName.get('a')?.json).toEqual(cluster('a', '1s'));
  });
});
