import { describe, expect, it } from 'vitest';
import { escapeToken, globalKey, parseGlobalKey, parseZoneKey, unescapeToken, zoneKey } from './keys.js';

// The KV key alphabet (nats.js validateKey): tokens of [-/_=a-zA-Z0-9] separated by dots.
const KV_KEY = /^[-/_=a-zA-Z0-9]+(\.[-/_=a-zA-Z0-9]+)*$/;

describe('key tokens', () => {
  it('escapes a dot so a name stays one token', () => {
    expect(escapeToken('httpbin.org')).toBe('httpbin=2Eorg');
    expect(escapeToken('web-1')).toBe('web-1');
    expect(escapeToken('a_b')).toBe('a_b');
    expect(escapeToken('x=y')).toBe('x=3Dy');
    expect(escapeToken('_')).toBe('=5F');
    expect(escapeToken('é*> /')).toBe('=C3=A9=2A=3E=20=2F');
  });

  it('round-trips every kind of name', () => {
    const names = ['web-1', 'httpbin.org', 'a.b.c', '_', '__', 'x=2Ey', 'ünïcødé', 'a*b>c', 'tab\tnew\nline', 'a/b', '=', '=5F', 'A.B-C_D', '😀.x'];
    for (const n of names) {
      const t = escapeToken(n);
      expect(t, n).toMatch(/^[-_=A-Za-z0-9]+$/);
      expect(unescapeToken(t), n).toBe(n);
    }
  });

  it('refuses tokens escapeToken cannot produce', () => {
    expect(unescapeToken('')).toBeUndefined();
    expect(unescapeToken('a.b')).toBeUndefined();
    expect(unescapeToken('=2')).toBeUndefined();
    expect(unescapeToken('=2e')).toBeUndefined(); // lower-case hex
    expect(unescapeToken('=41')).toBeUndefined(); // "A" needs no escape: not canonical
    expect(unescapeToken('_')).toBeUndefined(); // the no-mesh placeholder is not a name
    expect(unescapeToken('=FF')).toBeUndefined(); // not UTF-8
  });

  it('refuses an empty token', () => {
    expect(() => escapeToken('')).toThrow(/empty/);
  });
});

describe('bucket keys', () => {
  it('builds causeway-global keys as <Type>.<mesh|_>.<name>', () => {
    expect(globalKey({ type: 'ExternalService', mesh: 'default', name: 'httpbin.org' })).toBe('ExternalService.default.httpbin=2Eorg');
    expect(globalKey({ type: 'Mesh', name: 'default' })).toBe('Mesh._.default');
    expect(globalKey({ type: 'ZoneIngress', name: 'ingress.zone-1' })).toBe('ZoneIngress._.ingress=2Ezone-1');
  });

  it('builds causeway-zones keys as <zone>.<Type>.<mesh|_>.<name>', () => {
    expect(zoneKey('zone-1', { type: 'Dataplane', mesh: 'default', name: 'web.1' })).toBe('zone-1.Dataplane.default.web=2E1');
    expect(zoneKey('zone-1', { type: 'ZoneInsight', name: 'zone-1' })).toBe('zone-1.ZoneInsight._.zone-1');
  });

  it('produces valid KV keys and parses them back', () => {
    const refs = [
      { type: 'ExternalService' as const, mesh: 'my.mesh', name: 'api.example.com' },
      { type: 'Mesh' as const, name: 'default' },
      { type: 'MeshTrafficPermission' as const, mesh: 'default', name: 'allow-all.v2' },
      { type: 'GlobalSecret' as const, name: 'zone.token-signing' },
    ];
    for (const r of refs) {
      expect(globalKey(r)).toMatch(KV_KEY);
      expect(parseGlobalKey(globalKey(r))).toEqual(r);
      expect(zoneKey('zone-2', r)).toMatch(KV_KEY);
      expect(parseZoneKey(zoneKey('zone-2', r))).toEqual({ zone: 'zone-2', ...r });
    }
  });

  it('rejects keys of the wrong shape, unknown types and scope mismatches', () => {
    expect(parseGlobalKey('ExternalService.default')).toBeUndefined();
    expect(parseGlobalKey('ExternalService.default.a.b')).toBeUndefined();
    expect(parseGlobalKey('Nope.default.a')).toBeUndefined();
    expect(parseGlobalKey('ExternalService._.a')).toBeUndefined(); // mesh-scoped without a mesh
    expect(parseGlobalKey('Mesh.default.a')).toBeUndefined(); // global-scoped with a mesh
    expect(parseZoneKey('zone-1.Dataplane.default')).toBeUndefined();
    expect(parseZoneKey('zone=2E1.Dataplane.default.web')).toEqual({ zone: 'zone.1', type: 'Dataplane', mesh: 'default', name: 'web' });
  });
});
