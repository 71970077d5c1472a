import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decodeMessage } from '@causeway/envoy';
import { emptySet, mergeFinished, type ResourceSet } from '../generate/common.js';
import { TYPE_URLS } from '@causeway/envoy';
import { buildSnapshot, deltaDiscoveryResponse, discoveryResponse, encodeDeltaDiscoveryResponse, encodeDiscoveryResponse, pack, SnapshotCache, serializeResponse } from './cache.js';

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

  it('encodes a DeltaDiscoveryResponse by hand that the protos decode: resources with their versions, removed names (long, non-ASCII)', () => {
    const a = pack('Cluster', cluster('a'));
    const long = `gone-${'x'.repeat(300)}`;
    const bytes = encodeDeltaDiscoveryResponse('v2', [a], [long, 'gone-é'], TYPE_URLS.Cluster, 'n-2');
    expect(decodeMessage('envoy.service.discovery.v3.DeltaDiscoveryResponse', bytes)).toEqual({
      system_version_info: 'v2',
      resources: [{ name: 'a', version: a.hash, resource: cluster('a') }],
      type_url: TYPE_URLS.Cluster,
      nonce: 'n-2',
      removed_resources: [long, 'gone-é'],
    });
  });

  it("holds a resource's bytes once, in a buffer of its own: the delta Resource ending with the Any a state-of-the-world response carries", () => {
    const name = `c-${'é'.repeat(100)}`; // a name of over 127 bytes: two-byte lengths
    const p = pack('Cluster', cluster(name));
    // Not a slice of Node's shared pool, which would keep an 8 KB slab alive.
    expect(p.deltaFieldBytes.buffer.byteLength).toBe(p.deltaFieldBytes.length);
    expect(p.anyBytes.buffer).toBe(p.deltaFieldBytes.buffer);
    expect(p.anyBytes.equals(p.deltaFieldBytes.subarray(p.deltaFieldBytes.length - p.anyBytes.length))).toBe(true);
    expect(decodeMessage('google.protobuf.Any', p.anyBytes)).toEqual(cluster(name));
    // The version is the digest of the Any (type URL and message).
    expect(p.hash).toBe(createHash('sha256').update(p.anyBytes).digest().subarray(0, 16).toString('hex'));
    const delta = decodeMessage<{ resources: unknown[] }>('envoy.service.discovery.v3.DeltaDiscoveryResponse', encodeDeltaDiscoveryResponse('v', [p], [], TYPE_URLS.Cluster, 'n'));
    expect(delta.resources).toEqual([{ name, version: p.hash, resource: cluster(name) }]);
    expect(decodeMessage('envoy.service.discovery.v3.DiscoveryResponse', encodeDiscoveryResponse('v', [p], TYPE_URLS.Cluster, 'n'))).toMatchObject({ resources: [cluster(name)] });
  });

  it('serializes a response for gRPC into a scratch buffer it reuses (the bytes of its own buffer; valid until the next call)', () => {
    const many = Array.from({ length: 2000 }, (_, i) => pack('Cluster', cluster(`c-${i}`)));
    const big = deltaDiscoveryResponse('v3', many, [], TYPE_URLS.Cluster, 'n-3');
    const small = discoveryResponse('v1', [pack('Cluster', cluster('a'))], TYPE_URLS.Cluster, 'n-1');
    const bigBytes = Buffer.from(serializeResponse(big)); // gRPC copies it at once: so does this test
    expect(bigBytes.length).toBeGreaterThan(64 * 1024); // more than the first scratch: it grew
    expect(bigBytes.equals(big.finish())).toBe(true);
    const decoded = decodeMessage<{ resources: unknown[]; nonce: string }>('envoy.service.discovery.v3.DeltaDiscoveryResponse', bigBytes);
    expect(decoded.resources).toHaveLength(2000);
    expect(decoded.nonce).toBe('n-3');
    const view = serializeResponse(small);
    expect(view.equals(small.finish())).toBe(true);
    // The same memory as the big one's view: written over by the next response.
    expect(serializeResponse(big).buffer).toBe(view.buffer);
    expect(view.equals(small.finish())).toBe(false);
    // A Buffer is handed over as it is.
    const own = encodeDiscoveryResponse('v1', [], TYPE_URLS.Cluster, 'n');
    expect(serializeResponse(own)).toBe(own);
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

  it('packs against the previous snapshot: unchanged objects reused, a diff of what was added, changed and removed', () => {
    const [a, b, c, d] = [cluster('a'), cluster('b'), cluster('c'), cluster('d')];
    const cache = new SnapshotCache();
    const diffs: unknown[] = [];
    cache.subscribe('p', (_s, _changed, diff) => diffs.push(diff.Cluster));
    const set1 = emptySet();
    set1.Cluster.push(a, b, c);
    cache.set('p', set1);
    const first = cache.get('p');
    expect(diffs).toEqual([undefined]); // the first snapshot has nothing to diff against

    // b modified (a new object), c removed, d added; a is the same object and keeps its packing.
    const set2 = emptySet();
    set2.Cluster.push(a, cluster('b', '1s'), d);
    expect(cache.set('p', set2)).toEqual(['Cluster']);
    const second = cache.get('p');
    expect(second?.types.Cluster.resources[0]).toBe(first?.types.Cluster.resources[0]);
    expect(second?.types.Listener).toBe(first?.types.Listener);
    const diff = diffs[1] as { from: string; changed: { name: string }[]; removed: string[] };
    expect(diff.from).toBe(first?.types.Cluster.version);
    expect(diff.changed.map((r) => r.name)).toEqual(['b', 'd']);
    expect(diff.removed).toEqual(['c']);
    // The version is the one a fresh packing of the same content gets.
    expect(second?.types.Cluster.version).toBe(buildSnapshot(set2).types.Cluster.version);

    // Equal content in new objects is no change at all.
    const set3 = emptySet();
    set3.Cluster.push(cluster('a'), cluster('b', '1s'), cluster('d'));
    expect(cache.set('p', set3)).toEqual([]);
  });

  it('diffs by name when a set is not sorted by name (the generators sort; this is the safety net)', () => {
    const cache = new SnapshotCache();
    const diffs: { changed: { name: string }[]; removed: string[] }[] = [];
    cache.subscribe('p', (_s, _c, diff) => diff.Cluster && diffs.push(diff.Cluster));
    const set1 = emptySet();
    set1.Cluster.push(cluster('a'), cluster('b'), cluster('c'));
    cache.set('p', set1);
    const set2 = emptySet();
    set2.Cluster.push(cluster('c', '2s'), cluster('a'), cluster('e'));
    cache.set('p', set2);
    expect(diffs[0]?.changed.map((r) => r.name).sort()).toEqual(['c', 'e']);
    expect(diffs[0]?.removed).toEqual(['b']);
  });

  describe('a set made of a shared block and the proxy own block (mergeFinished)', () => {
    const set = (clusters: ReturnType<typeof cluster>[]): ResourceSet => {
      const r = emptySet();
      r.Cluster.push(...clusters);
      return r;
    };
    /** What a fresh packing of the same merged content gives: resources, version. */
    const fresh = (s: ResourceSet) => {
      const plain = emptySet();
      plain.Cluster.push(...s.Cluster);
      const t = buildSnapshot(plain).types.Cluster;
      return { names: t.resources.map((r) => r.name), hashes: t.resources.map((r) => r.hash), version: t.version };
    };
    const of = (cache: SnapshotCache, key: string) => {
      const t = cache.get(key)?.types.Cluster;
      return { names: t?.resources.map((r) => r.name), hashes: t?.resources.map((r) => r.hash), version: t?.version };
    };

    it('packs and diffs the shared block once for every proxy, and gives what a fresh packing of the merged set gives', () => {
      const [a, b, c] = [cluster('a'), cluster('b'), cluster('c')];
      const shared1 = set([a, b, c]);
      const cache = new SnapshotCache();
      const diffs = new Map<string, { changed: string[]; removed: string[] }[]>();
      for (const p of ['p1', 'p2']) {
        diffs.set(p, []);
        cache.subscribe(p, (_s, _c, diff) => diff.Cluster && diffs.get(p)?.push({ changed: diff.Cluster.changed.map((r) => r.name), removed: diff.Cluster.removed }));
      }
      const m1 = mergeFinished(shared1, set([cluster('own-p1')]));
      const m2 = mergeFinished(shared1, set([cluster('own-p2')]));
      cache.set('p1', m1);
      cache.set('p2', m2);
      expect(of(cache, 'p1')).toEqual(fresh(m1));
      expect(of(cache, 'p2')).toEqual(fresh(m2));
      // The shared block's resources are the same packed objects in both proxies.
      expect(cache.get('p1')?.types.Cluster.byName.get('b')).toBe(cache.get('p2')?.types.Cluster.byName.get('b'));

      // The shared block changes (b changed, c removed, d added); p1's own block too.
      const shared2 = set([a, cluster('b', '1s'), cluster('d')]);
      const n1 = mergeFinished(shared2, set([cluster('own-p1', '2s')]));
      const n2 = mergeFinished(shared2, set([cluster('own-p2')]));
      expect(cache.set('p1', n1)).toEqual(['Cluster']);
      expect(cache.set('p2', n2)).toEqual(['Cluster']);
      expect(of(cache, 'p1')).toEqual(fresh(n1));
      expect(of(cache, 'p2')).toEqual(fresh(n2));
      expect(diffs.get('p1')?.at(-1)).toEqual({ changed: ['b', 'd', 'own-p1'], removed: ['c'] });
      expect(diffs.get('p2')?.at(-1)).toEqual({ changed: ['b', 'd'], removed: ['c'] });

      // Equal content in new objects is no change at all.
      expect(cache.set('p2', mergeFinished(set([cluster('a'), cluster('b', '1s'), cluster('d')]), set([cluster('own-p2')])))).toEqual([]);
    });

    it('prepack encodes a new shared block ahead, yielding between resources; set then packs what it would have packed', async () => {
      const shared = set([cluster('pa'), cluster('pb'), cluster('pc')]);
      const own = set([cluster('own-q')]);
      const m = mergeFinished(shared, own);
      const cache = new SnapshotCache();
      let yields = 0;
      await cache.prepack(m, async () => {
        yields++;
      });
      // One yield per shared resource encoded; the own block is left to set (a few resources).
      expect(yields).toBe(3);
      const encoded = pack('Cluster', shared.Cluster[1] as ReturnType<typeof cluster>);
      cache.set('q', m);
      expect(cache.get('q')?.types.Cluster.find('pb')).toBe(encoded);
      expect(of(cache, 'q')).toEqual(fresh(m));
      // A shared block packed already is skipped.
      await cache.prepack(mergeFinished(shared, set([cluster('own-r')])), async () => {
        yields++;
      });
      expect(yields).toBe(3);
    });

    it('a name that moves from the own block to the shared one is changed, not removed', () => {
      const cache = new SnapshotCache();
      const diffs: { changed: string[]; removed: string[] }[] = [];
      cache.subscribe('p', (_s, _c, diff) => diff.Cluster && diffs.push({ changed: diff.Cluster.changed.map((r) => r.name), removed: diff.Cluster.removed }));
      cache.set('p', mergeFinished(set([cluster('a')]), set([cluster('x')])));
      const next = mergeFinished(set([cluster('a'), cluster('x', '3s')]), set([]));
      cache.set('p', next);
      expect(diffs.at(-1)).toEqual({ changed: ['x'], removed: [] });
      expect(of(cache, 'p')).toEqual(fresh(next));
    });

    it('a name in both blocks (the merged set keeps the shared one) is packed from the merged set', () => {
      const cache = new SnapshotCache();
      cache.set('p', mergeFinished(set([cluster('a')]), set([cluster('b', '1s')])));
      const clash = mergeFinished(set([cluster('a'), cluster('b')]), set([cluster('b', '9s')]));
      expect(clash.Cluster.map((r) => r.connect_timeout)).toEqual(['5s', '5s']);
      cache.set('p', clash);
      expect(of(cache, 'p')).toEqual(fresh(clash));
      expect(cache.get('p')?.blocks?.Cluster).toBeUndefined();
      // And back to blocks from there.
      const after = mergeFinished(set([cluster('a')]), set([cluster('b', '9s')]));
      cache.set('p', after);
      expect(of(cache, 'p')).toEqual(fresh(after));
      expect(cache.get('p')?.blocks?.Cluster).toBeDefined();
    });
  });
});
