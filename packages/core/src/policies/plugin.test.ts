import { describe, expect, it } from 'vitest';
import type { Resource } from '../resource.js';
import type { TargetRef } from './common.js';
import type { PolicyContext } from './context.js';
import { refMatches, type Tags } from './match.js';
import { policiesOf, selecting } from './plugin.js';
import type { PolicyType } from './registry.js';

const policy = (name: string, targetRef: TargetRef | undefined): Resource<PolicyType> =>
  ({ type: 'MeshTimeout', mesh: 'default', name, labels: {}, version: 1, spec: { ...(targetRef ? { targetRef } : {}), to: [] } }) as unknown as Resource<PolicyType>;

const context = (policies: Resource<PolicyType>[]): PolicyContext => ({
  zone: 'zone-1',
  mesh: 'default',
  mtls: false,
  mtlsMode: 'STRICT',
  zoneEgress: false,
  services: new Map(),
  external: new Map(),
  policies: new Map([['MeshTimeout', [...policies].sort((a, b) => (a.name < b.name ? -1 : 1))]]),
});

describe('selecting', () => {
  it('finds what matching every policy of the mesh finds, in the same order, each once', () => {
    const refs: (TargetRef | undefined)[] = [
      undefined,
      { kind: 'Mesh' },
      { kind: 'Mesh', proxyTypes: ['Gateway'] },
      { kind: 'MeshSubset', tags: { version: 'v1' } },
      { kind: 'MeshService', name: 'web' },
      { kind: 'MeshService', name: 'admin' },
      { kind: 'MeshService', name: 'web', sectionName: 'http' },
      { kind: 'MeshServiceSubset', name: 'web', tags: { version: 'v1' } },
      { kind: 'MeshServiceSubset', name: 'web', tags: { version: 'v2' } },
      { kind: 'MeshService', labels: { 'kuma.io/display-name': 'web' } },
      { kind: 'Dataplane', labels: { app: 'web' } },
    ];
    // Names in another order than the refs, so the mesh's order (by name) is not the index's.
    const ctx = context(refs.map((r, i) => policy(`p-${(refs.length - i).toString().padStart(2, '0')}`, r)));
    const proxies: Tags[][] = [
      [{ 'kuma.io/service': 'web', version: 'v1' }],
      [{ 'kuma.io/service': 'web', version: 'v2' }, { 'kuma.io/service': 'admin' }],
      [{ 'kuma.io/service': 'web' }, { 'kuma.io/service': 'web', version: 'v1' }],
      [{ 'kuma.io/service': 'billing' }],
      [],
    ];
    for (const tagSets of proxies) {
      const expected = policiesOf(ctx, 'MeshTimeout').filter((p) => refMatches(p.spec.targetRef, tagSets));
      expect(selecting(ctx, 'MeshTimeout', tagSets)).toEqual(expected);
    }
    expect(selecting(ctx, 'MeshTimeout', proxies[1] as Tags[]).map((p) => p.name)).toEqual(['p-03', 'p-06', 'p-07', 'p-10', 'p-11']);
  });
});
