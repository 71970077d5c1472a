import { describe, expect, it } from 'vitest';
import type { Resource } from '../resource.js';
import type { TargetRef } from './common.js';
import type { TimeoutConf } from './meshtimeout/api.js';
import { canonicalJson, collectEntries, compareRank, mergeConfs, type Rank, refMatches } from './match.js';

const web = { 'kuma.io/service': 'web', 'kuma.io/protocol': 'http', version: 'v1', team: 'blue' };
const admin = { 'kuma.io/service': 'admin', version: 'v2' };

describe('targetRef matching', () => {
  it('matches each kind against the tag sets of a proxy (any inbound)', () => {
    const sets = [web, admin];
    expect(refMatches(undefined, sets)).toBe(true);
    expect(refMatches({ kind: 'Mesh' }, [])).toBe(true);
    expect(refMatches({ kind: 'MeshService', name: 'admin' }, sets)).toBe(true);
    expect(refMatches({ kind: 'MeshService', name: 'billing' }, sets)).toBe(false);
    expect(refMatches({ kind: 'MeshSubset', tags: { version: 'v2' } }, sets)).toBe(true);
    expect(refMatches({ kind: 'MeshSubset', tags: { version: 'v2', team: 'blue' } }, sets)).toBe(false); // no single inbound has both
    expect(refMatches({ kind: 'MeshSubset', tags: { team: '*' } }, sets)).toBe(true);
    expect(refMatches({ kind: 'MeshServiceSubset', name: 'web', tags: { version: 'v1' } }, sets)).toBe(true);
    expect(refMatches({ kind: 'MeshServiceSubset', name: 'web', tags: { version: 'v2' } }, sets)).toBe(false);
  });

  it('selects nothing with a kind or field Causeway does not apply yet (stored, not applied)', () => {
    const sets = [web, admin];
    expect(refMatches({ kind: 'Dataplane', labels: { app: 'web' }, sectionName: 'http' }, sets)).toBe(false);
    expect(refMatches({ kind: 'MeshHTTPRoute', name: 'route-1' }, sets)).toBe(false);
    expect(refMatches({ kind: 'MeshService', labels: { 'kuma.io/display-name': 'web' } }, sets)).toBe(false);
    expect(refMatches({ kind: 'MeshService', name: 'web', sectionName: 'http' }, sets)).toBe(false);
    expect(refMatches({ kind: 'Mesh', proxyTypes: ['Gateway'] }, sets)).toBe(false);
    expect(refMatches({ kind: 'Mesh', proxyTypes: ['Sidecar'] }, sets)).toBe(true);
  });
});

describe('ranking', () => {
  const r = (top: Rank['top'], entry: Rank['entry'], policy: string, index = 0): Rank => ({ top, entry, policy, index });

  it('orders by top-level kind, then entry kind, then name (smaller wins), then position', () => {
    const ranks = [
      r('MeshService', 'Mesh', 'b'),
      r('Mesh', 'MeshService', 'a'),
      r('Mesh', 'Mesh', 'z'),
      r('MeshServiceSubset', 'Mesh', 'a'),
      r('MeshService', 'Mesh', 'a'),
      r('MeshSubset', 'Mesh', 'a'),
      r('Mesh', 'Mesh', 'a', 1),
      r('Mesh', 'Mesh', 'a', 0),
    ];
    const sorted = [...ranks].sort(compareRank).map((x) => `${x.top}/${x.entry}/${x.policy}/${x.index}`);
    expect(sorted).toEqual([
      'Mesh/Mesh/z/0',
      'Mesh/Mesh/a/0',
      'Mesh/Mesh/a/1',
      'Mesh/MeshService/a/0',
      'MeshSubset/Mesh/a/0',
      'MeshService/Mesh/b/0',
      'MeshService/Mesh/a/0',
      'MeshServiceSubset/Mesh/a/0',
    ]);
  });

  it('merges in precedence order: objects field by field, lists replaced, the highest precedence wins', () => {
    expect(
      mergeConfs([
        { connectionTimeout: '5s', http: { requestTimeout: '15s', streamIdleTimeout: '1m' }, retryOn: ['5XX', 'Reset'] },
        { http: { requestTimeout: '3s' }, retryOn: ['ConnectFailure'] },
      ]),
    ).toEqual({ connectionTimeout: '5s', http: { requestTimeout: '3s', streamIdleTimeout: '1m' }, retryOn: ['ConnectFailure'] });
    expect(canonicalJson({ b: 1, a: { d: [2, { y: 1, x: 0 }], c: undefined } })).toBe('{"a":{"d":[2,{"x":0,"y":1}]},"b":1}');
  });

  it('collects the entries of policies that select the proxy, whose own targetRef matches, in precedence order', () => {
    const policy = (name: string, targetRef: TargetRef | undefined, to: { targetRef: TargetRef; default: TimeoutConf }[]): Resource<'MeshTimeout'> => ({
      type: 'MeshTimeout',
      mesh: 'default',
      name,
      labels: {},
      version: 1,
      spec: { ...(targetRef ? { targetRef } : {}), to },
    });
    const policies = [
      policy('a-web', { kind: 'MeshService', name: 'web' }, [{ targetRef: { kind: 'Mesh' }, default: { connectionTimeout: '1s' } }]),
      policy('b-mesh', undefined, [
        { targetRef: { kind: 'MeshService', name: 'httpbin' }, default: { connectionTimeout: '2s' } },
        { targetRef: { kind: 'MeshService', name: 'other' }, default: { connectionTimeout: '9s' } },
      ]),
      policy('c-admin', { kind: 'MeshService', name: 'admin' }, [{ targetRef: { kind: 'Mesh' }, default: { connectionTimeout: '7s' } }]),
    ];
    const entries = collectEntries(policies, 'to', [web], (ref) => refMatches(ref, [{ 'kuma.io/service': 'httpbin' }]));
    expect(entries.map((e) => `${e.policy}[${e.index}]`)).toEqual(['b-mesh[0]', 'a-web[0]']);
    expect(mergeConfs(entries.map((e) => e.conf))).toEqual({ connectionTimeout: '1s' });
  });
});
