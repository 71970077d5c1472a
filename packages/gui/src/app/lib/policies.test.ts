/**
 * The GUI's policy resolution, checked against the zone control plane's own functions (@causeway/xds:
 * match.ts, plugin.ts, meshtrafficpermission/plugin.ts) on the same inputs, so that what the GUI says is in
 * effect is what the proxies get.
 */
import { callerMatches as xdsCallerMatches, decide as xdsDecide, mergeConfs as xdsMerge, resolveFrom, resolveTo } from '@causeway/core';
import { describe, expect, it } from 'vitest';
import { callerMatches, commonTags, identityUris, mergeConfs, outboundPolicies, permissionsFor, targetRefText } from './policies.js';
import type { Policy, TargetRef, Tags, TimeoutConf, TrafficAction } from './types.js';

const REFS: TargetRef[] = [
  { kind: 'Mesh' },
  { kind: 'MeshService', name: 'web' },
  { kind: 'MeshService', name: 'httpbin' },
  { kind: 'MeshService', name: 'batch' },
  { kind: 'MeshSubset', tags: { version: 'v1' } },
  { kind: 'MeshSubset', tags: { 'kuma.io/service': 'web' } },
  { kind: 'MeshSubset', tags: { 'kuma.io/zone': '*' } },
  { kind: 'MeshServiceSubset', name: 'web', tags: { version: 'v2' } },
  { kind: 'MeshServiceSubset', name: 'httpbin', tags: { 'kuma.io/zone': 'zone-2' } },
];
const ACTIONS: TrafficAction[] = ['Allow', 'Deny', 'AllowWithShadowDeny'];
const EXTERNAL: Tags = { 'kuma.io/service': 'httpbin', 'kuma.io/protocol': 'http', 'kuma.io/zone': 'zone-2' };
const CALLERS: { name: string; inbounds: Tags[] }[] = [
  { name: 'web-v1', inbounds: [{ 'kuma.io/service': 'web', version: 'v1', 'kuma.io/zone': 'zone-1' }] },
  { name: 'web-v2', inbounds: [{ 'kuma.io/service': 'web', version: 'v2', 'kuma.io/zone': 'zone-1' }] },
  { name: 'batch', inbounds: [{ 'kuma.io/service': 'batch', 'kuma.io/zone': 'zone-2' }] },
  { name: 'multi', inbounds: [{ 'kuma.io/service': 'batch' }, { 'kuma.io/service': 'web', version: 'v1' }] },
  { name: 'nothing', inbounds: [] },
];

/** A deterministic pseudo-random sequence (no flaky inputs). */
function* lcg(seed: number): Generator<number> {
  let s = seed;
  for (;;) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    yield s;
  }
}

function mtpSets(count: number): Policy<{ action: TrafficAction }>[][] {
  const rnd = lcg(7);
  const pick = <T>(xs: T[]): T => xs[(rnd.next().value as number) % xs.length] as T;
  return Array.from({ length: count }, (_, i) =>
    Array.from({ length: 1 + (i % 4) }, (_, j) => ({
      type: 'MeshTrafficPermission',
      mesh: 'default',
      name: `mtp-${String.fromCharCode(97 + ((i + j * 3) % 5))}${j}`,
      spec: {
        ...(j % 3 === 0 ? {} : { targetRef: pick(REFS) }),
        from: Array.from({ length: 1 + (j % 3) }, () => ({ targetRef: pick(REFS), default: { action: pick(ACTIONS) } })),
      },
    })),
  );
}

describe('MeshTrafficPermission decisions', () => {
  it('decide every caller as the zone egress would, over 200 generated policy sets', () => {
    let allowed = 0;
    let denied = 0;
    for (const policies of mtpSets(200)) {
      const mine = permissionsFor({ mesh: 'default', mtls: true, zoneEgress: true, externalTags: EXTERNAL, policies, callers: CALLERS });
      const entries = resolveFrom<{ action: TrafficAction }>(
        policies.map((p) => ({ name: p.name, spec: p.spec as never })),
        [EXTERNAL],
      );
      expect(mine.entries.map((e) => `${e.policy}:${e.index}`)).toEqual(entries.map((e) => `${e.policy}:${e.index}`));
      for (const d of mine.decisions) {
        const theirs = xdsDecide(entries, 'default', new Set(identityUris('default', d.caller.inbounds)));
        expect([d.caller.name, d.allowed, d.by?.policy, d.by?.index]).toEqual([d.caller.name, theirs.allowed, theirs.by?.policy, theirs.by?.index]);
        if (d.allowed) allowed++;
        else denied++;
      }
    }
    // The generated sets exercise both outcomes.
    expect(allowed).toBeGreaterThan(50);
    expect(denied).toBeGreaterThan(50);
  });

  it('selects callers by their certificate URIs exactly as the RBAC principals do', () => {
    for (const ref of REFS) for (const c of CALLERS) {
      const uris = identityUris('default', c.inbounds);
      expect([ref, c.name, callerMatches(ref, 'default', uris)]).toEqual([ref, c.name, xdsCallerMatches(ref, 'default', uris)]);
    }
  });

  it('without a permission nobody may call; without mTLS nothing is enforced', () => {
    const none = permissionsFor({ mesh: 'default', mtls: true, zoneEgress: true, externalTags: EXTERNAL, policies: [], callers: CALLERS });
    expect(none.decisions.every((d) => !d.allowed && !d.by)).toBe(true);
    expect(none.where).toContain('ZoneEgress');
    const open = permissionsFor({ mesh: 'default', mtls: false, zoneEgress: false, externalTags: EXTERNAL, policies: [], callers: CALLERS });
    expect(open.enforced).toBe(false);
    expect(open.decisions.every((d) => d.allowed)).toBe(true);
    expect(open.where).toContain('not enforced');
  });
});

describe('timeouts and retries in effect', () => {
  it('merges the to[] entries that select the ExternalService, for the callers the policies select, as the sidecar generator does', () => {
    const rnd = lcg(11);
    const pick = <T>(xs: T[]): T => xs[(rnd.next().value as number) % xs.length] as T;
    const confs: TimeoutConf[] = [{ connectionTimeout: '1s' }, { http: { requestTimeout: '3s' } }, { idleTimeout: '1m', http: { requestTimeout: '9s', streamIdleTimeout: '2s' } }];
    for (let n = 0; n < 150; n++) {
      const policies: Policy<TimeoutConf>[] = Array.from({ length: 1 + (n % 4) }, (_, j) => ({
        type: 'MeshTimeout',
        mesh: 'default',
        name: `t-${(n + j) % 3}${j}`,
        spec: { ...(j === 0 ? {} : { targetRef: pick(REFS) }), to: [{ targetRef: pick(REFS), default: pick(confs) }] },
      }));
      for (const c of CALLERS) {
        const mine = outboundPolicies(policies, c.inbounds, EXTERNAL);
        const theirs = resolveTo<TimeoutConf>(
          policies.map((p) => ({ name: p.name, spec: p.spec as never })),
          c.inbounds,
          { service: 'httpbin', protocol: 'http', tags: EXTERNAL, external: true },
        );
        expect(mine.entries.map((e) => `${e.policy}:${e.index}`)).toEqual((theirs?.entries ?? []).map((e) => `${e.policy}:${e.index}`));
        expect(mine.conf).toEqual(theirs?.conf ?? {});
      }
    }
  });

  it('merges objects field by field and replaces lists, like the generator', () => {
    const confs = [{ http: { numRetries: 1, retryOn: ['5XX'] } }, { http: { perTryTimeout: '1s', retryOn: ['Reset'] } }];
    expect(mergeConfs(confs)).toEqual(xdsMerge(confs));
    expect(mergeConfs(confs)).toEqual({ http: { numRetries: 1, perTryTimeout: '1s', retryOn: ['Reset'] } });
  });
});

describe('helpers', () => {
  it('the tags an ExternalService group has in common', () => {
    expect(commonTags([{ 'kuma.io/service': 'h', a: '1', b: '2' }, { 'kuma.io/service': 'h', a: '1', b: '3' }], 'h')).toEqual({ 'kuma.io/service': 'h', a: '1' });
    expect(commonTags([], 'h')).toEqual({ 'kuma.io/service': 'h' });
  });

  it('targetRefs as text', () => {
    expect(REFS.map(targetRefText)).toEqual([
      'Mesh',
      'MeshService/web',
      'MeshService/httpbin',
      'MeshService/batch',
      'MeshSubset(version=v1)',
      'MeshSubset(kuma.io/service=web)',
      'MeshSubset(kuma.io/zone=*)',
      'MeshServiceSubset/web(version=v2)',
      'MeshServiceSubset/httpbin(kuma.io/zone=zone-2)',
    ]);
    expect(targetRefText(undefined)).toBe('Mesh');
  });
});
