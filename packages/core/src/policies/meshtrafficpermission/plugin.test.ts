import { describe, expect, it } from 'vitest';
import type { TargetRef } from '../common.js';
import { type RuleEntry, sortEntries } from '../match.js';
import { callerMatches, decide, principalOf, rbacRules } from './plugin.js';

describe('MeshTrafficPermission', () => {
  const entry = (policy: string, ref: TargetRef, action: 'Allow' | 'Deny', top: TargetRef = { kind: 'Mesh' }, index = 0): RuleEntry<{ action: 'Allow' | 'Deny' }> => ({
    policy,
    targetRef: top,
    entryTargetRef: ref,
    index,
    conf: { action },
  });

  it('turns from[].targetRef into principals on SPIFFE IDs and kuma:// tag URIs', () => {
    expect(principalOf({ kind: 'Mesh' }, 'm')).toEqual({ authenticated: { principal_name: { prefix: 'spiffe://m/' } } });
    expect(principalOf({ kind: 'MeshService', name: 'web' }, 'm')).toEqual({ authenticated: { principal_name: { exact: 'spiffe://m/web' } } });
    expect(principalOf({ kind: 'MeshSubset', tags: { 'kuma.io/service': 'web', version: 'v1' } }, 'm')).toEqual({
      and_ids: { ids: [{ authenticated: { principal_name: { exact: 'spiffe://m/web' } } }, { authenticated: { principal_name: { exact: 'kuma://version/v1' } } }] },
    });
    expect(principalOf({ kind: 'MeshServiceSubset', name: 'web', tags: { team: '*' } }, 'm')).toEqual({
      and_ids: { ids: [{ authenticated: { principal_name: { exact: 'spiffe://m/web' } } }, { authenticated: { principal_name: { prefix: 'kuma://team/' } } }] },
    });
  });

  it('allows what the highest-precedence matching entry allows; nothing matching denies', () => {
    const entries = sortEntries([
      entry('base', { kind: 'Mesh' }, 'Allow'),
      entry('base', { kind: 'MeshSubset', tags: { team: 'blue' } }, 'Deny', { kind: 'Mesh' }, 1),
      entry('web-ok', { kind: 'MeshService', name: 'web' }, 'Allow', { kind: 'MeshService', name: 'httpbin' }),
    ]);
    const blueWeb = new Set(['spiffe://m/web', 'kuma://team/blue']);
    const blueAdmin = new Set(['spiffe://m/admin', 'kuma://team/blue']);
    const redAdmin = new Set(['spiffe://m/admin', 'kuma://team/red']);
    expect(decide(entries, 'm', blueWeb)).toMatchObject({ allowed: true, by: { policy: 'web-ok' } });
    expect(decide(entries, 'm', blueAdmin)).toMatchObject({ allowed: false, by: { policy: 'base', index: 1 } });
    expect(decide(entries, 'm', redAdmin)).toMatchObject({ allowed: true, by: { policy: 'base', index: 0 } });
    expect(decide([], 'm', redAdmin)).toEqual({ allowed: false, by: undefined });
    expect(callerMatches({ kind: 'MeshSubset', tags: { team: '*' } }, 'm', redAdmin)).toBe(true);
  });

  it('encodes the decision as ALLOW policies minus later denies; a later Mesh deny shadows; nothing allowed is rules: {}', () => {
    const entries = sortEntries([entry('base', { kind: 'Mesh' }, 'Allow'), entry('base', { kind: 'MeshService', name: 'admin' }, 'Deny', { kind: 'Mesh' }, 1)]);
    expect(rbacRules(entries, 'm')).toEqual({
      policies: {
        'base:from[0]': {
          permissions: [{ any: true }],
          principals: [
            {
              and_ids: {
                ids: [{ authenticated: { principal_name: { prefix: 'spiffe://m/' } } }, { not_id: { authenticated: { principal_name: { exact: 'spiffe://m/admin' } } } }],
              },
            },
          ],
        },
      },
    });
    expect(rbacRules(sortEntries([entry('a', { kind: 'MeshService', name: 'web' }, 'Allow'), entry('b', { kind: 'Mesh' }, 'Deny', { kind: 'MeshService', name: 'x' })]), 'm')).toEqual({});
    expect(rbacRules([], 'm')).toEqual({});
  });
});
