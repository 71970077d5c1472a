import type { Resource } from '@causeway/core';
import { describe, expect, it } from 'vitest';
import { parseZoneKey } from './keys.js';
import {
  DISPLAY_NAME_LABEL,
  decodeGlobalEntry,
  decodeZoneEntry,
  GLOBAL_TO_ZONE_TYPES,
  globalNameOf,
  isGlobalCopy,
  ORIGIN_LABEL,
  publishedByGlobal,
  publishedByZone,
  SYNC_TO_ZONES_LABEL,
  toWire,
  ZONE_LABEL,
  ZONE_TO_GLOBAL_TYPES,
  zoneNameOf,
} from './model.js';

const json = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
const key = (k: string) => {
  const r = parseZoneKey(k);
  if (!r) throw new Error(`bad key ${k}`);
  return r;
};

const dataplane = (name = 'web-1', extra: Record<string, unknown> = {}) => ({
  type: 'Dataplane',
  mesh: 'default',
  name,
  networking: { address: '10.0.0.1', inbound: [{ port: 8080, tags: { 'kuma.io/service': 'web' } }] },
  ...extra,
});

describe('what syncs where (from the descriptor table)', () => {
  it('lists the types of each direction', () => {
    expect(GLOBAL_TO_ZONE_TYPES).toEqual(
      expect.arrayContaining(['Mesh', 'ExternalService', 'Secret', 'GlobalSecret', 'MeshTrafficPermission', 'MeshTimeout', 'MeshRetry', 'ZoneIngress']),
    );
    expect(GLOBAL_TO_ZONE_TYPES).not.toContain('Dataplane');
    expect(GLOBAL_TO_ZONE_TYPES).not.toContain('Zone');
    expect([...ZONE_TO_GLOBAL_TYPES].sort()).toEqual(['DataplaneInsight', 'Dataplane', 'ExternalServiceInsight', 'ZoneEgress', 'ZoneIngress', 'ZoneInsight'].sort());
  });

  it('publishes a GlobalSecret only when it is marked for sync, and relays only zone ZoneIngresses', () => {
    const gs = (labels: Record<string, string>): Resource => ({ type: 'GlobalSecret', name: 's', labels, spec: { data: 'eA==' }, version: 1 });
    expect(publishedByGlobal(gs({}))).toBe(false);
    expect(publishedByGlobal(gs({ [SYNC_TO_ZONES_LABEL]: 'true' }))).toBe(true);
    const zi = (labels: Record<string, string>): Resource => ({ type: 'ZoneIngress', name: 'i.zone-1', labels, spec: {}, version: 1 });
    expect(publishedByGlobal(zi({ [ORIGIN_LABEL]: 'zone', [ZONE_LABEL]: 'zone-1' }))).toBe(true);
    expect(publishedByGlobal(zi({}))).toBe(false);
    expect(publishedByGlobal({ type: 'Dataplane', mesh: 'default', name: 'x', labels: {}, spec: {}, version: 1 })).toBe(false);
  });

  it('tells a zone its own resources from copies of global ones', () => {
    const zi = (labels: Record<string, string>): Resource => ({ type: 'ZoneIngress', name: 'i', labels, spec: {}, version: 1 });
    expect(publishedByZone(zi({}))).toBe(true);
    expect(isGlobalCopy(zi({ [ORIGIN_LABEL]: 'global' }))).toBe(true);
    expect(publishedByZone(zi({ [ORIGIN_LABEL]: 'global' }))).toBe(false);
    expect(isGlobalCopy({ type: 'ExternalService', mesh: 'default', name: 'e', labels: {}, spec: {}, version: 1 })).toBe(true);
    expect(publishedByZone({ type: 'ZoneInsight', name: 'zone-1', labels: {}, spec: {}, version: 1 })).toBe(false);
  });

  it('names zone resources <name>.<zone> at global, reversibly', () => {
    expect(globalNameOf('zone-1', 'Dataplane', 'web-1')).toBe('web-1.zone-1');
    expect(globalNameOf('zone-1', 'ZoneInsight', 'zone-1')).toBe('zone-1');
    expect(zoneNameOf('zone-1', 'Dataplane', 'web-1.zone-1')).toBe('web-1');
    expect(zoneNameOf('zone-1', 'Dataplane', 'web-1.zone-2')).toBeUndefined();
    expect(zoneNameOf('zone-1', 'Dataplane', '.zone-1')).toBeUndefined();
  });
});

describe('decodeZoneEntry (zone -> global, validated like an API write)', () => {
  it('renames, labels and keeps the spec of a valid Dataplane', () => {
    const r = decodeZoneEntry(key('zone-1.Dataplane.default.web-1'), json(dataplane('web-1', { labels: { team: 'a' } })));
    expect(r.errors).toBeUndefined();
    expect(r.resource).toMatchObject({
      type: 'Dataplane',
      mesh: 'default',
      name: 'web-1.zone-1',
      labels: { team: 'a', [ORIGIN_LABEL]: 'zone', [ZONE_LABEL]: 'zone-1', [DISPLAY_NAME_LABEL]: 'web-1' },
      spec: { networking: { address: '10.0.0.1' } },
      version: 0,
    });
  });

  it('overwrites the zone inside a ZoneIngress/ZoneEgress and the zone labels with the key zone', () => {
    const doc = { type: 'ZoneIngress', name: 'ingress', labels: { [ZONE_LABEL]: 'zone-2', [ORIGIN_LABEL]: 'global' }, zone: 'zone-2', networking: { address: '10.0.0.9', port: 10001 } };
    const r = decodeZoneEntry(key('zone-1.ZoneIngress._.ingress'), json(doc));
    expect(r.resource?.name).toBe('ingress.zone-1');
    expect(r.resource?.spec).toMatchObject({ zone: 'zone-1' });
    expect(r.resource?.labels).toMatchObject({ [ZONE_LABEL]: 'zone-1', [ORIGIN_LABEL]: 'zone' });
    const e = decodeZoneEntry(key('zone-3.ZoneEgress._.egress'), json({ type: 'ZoneEgress', name: 'egress', networking: { address: '10.0.0.8', port: 10002 } }));
    expect(e.resource?.spec).toMatchObject({ zone: 'zone-3' });
  });

  it('names a ZoneInsight after its zone and refuses one named after another zone', () => {
    const spec = { controlPlaneVersion: '0.1.0', heartbeatInterval: '5s', heartbeatTime: new Date().toISOString() };
    const wire = toWire({ type: 'ZoneInsight', name: 'zone-1', labels: {}, spec, version: 0 });
    expect(wire).toEqual({ type: 'ZoneInsight', name: 'zone-1', ...spec });
    const ok = decodeZoneEntry(key('zone-1.ZoneInsight._.zone-1'), json(wire));
    expect(ok.resource?.name).toBe('zone-1');
    expect(ok.resource?.spec).toEqual(spec);
    const badSpec = decodeZoneEntry(key('zone-1.ZoneInsight._.zone-1'), json({ ...wire, heartbeatTime: 'yesterday', extra: 1 }));
    expect(badSpec.errors?.map((e) => e.field).sort()).toEqual(['extra', 'heartbeatTime']);
    const badTime = decodeZoneEntry(key('zone-1.ZoneInsight._.zone-1'), json({ ...wire, heartbeatTime: 'yesterday' }));
    expect(badTime.errors?.map((e) => e.field)).toEqual(['heartbeatTime']);
    expect(ok.resource?.labels[DISPLAY_NAME_LABEL]).toBeUndefined();
    const bad = decodeZoneEntry(key('zone-1.ZoneInsight._.zone-2'), json({ type: 'ZoneInsight', name: 'zone-2' }));
    expect(bad.errors).toEqual([expect.objectContaining({ field: 'name', reason: expect.stringContaining('named after its zone') })]);
  });

  it('refuses what is not JSON, invalid resources and values that do not match their key', () => {
    expect(decodeZoneEntry(key('zone-1.Dataplane.default.web-1'), new TextEncoder().encode('{nope')).errors?.[0]?.reason).toMatch(/not UTF-8 JSON/);
    expect(decodeZoneEntry(key('zone-1.Dataplane.default.web-1'), new Uint8Array([0xff, 0xfe])).errors?.[0]?.reason).toMatch(/not UTF-8 JSON/);
    const invalid = decodeZoneEntry(key('zone-1.Dataplane.default.web-1'), json(dataplane('web-1', { networking: { address: 'not an address!', inbound: [{ port: 99999, tags: {} }] } })));
    expect(invalid.errors?.map((e) => e.field)).toEqual(expect.arrayContaining(['networking.address', 'networking.inbound[0].port']));
    const other = decodeZoneEntry(key('zone-1.Dataplane.default.web-1'), json(dataplane('web-2')));
    expect(other.errors).toEqual([expect.objectContaining({ field: 'name' })]);
    const wrongMesh = decodeZoneEntry(key('zone-1.Dataplane.other.web-1'), json(dataplane('web-1')));
    expect(wrongMesh.errors).toEqual([expect.objectContaining({ field: 'mesh' })]);
    const wrongType = decodeZoneEntry(key('zone-1.DataplaneInsight.default.web-1'), json(dataplane('web-1')));
    expect(wrongType.errors).toEqual([expect.objectContaining({ field: 'type' })]);
  });

  it('refuses types zones do not own', () => {
    const es = { type: 'ExternalService', mesh: 'default', name: 'evil', tags: { 'kuma.io/service': 'evil' }, networking: { address: 'evil.com:443' } };
    const r = decodeZoneEntry(key('zone-1.ExternalService.default.evil'), json(es));
    expect(r.errors).toEqual([expect.objectContaining({ field: 'type', reason: expect.stringContaining('not synced from zones') })]);
    expect(decodeZoneEntry(key('zone-1.Mesh._.default'), json({ type: 'Mesh', name: 'default' })).errors?.[0]?.field).toBe('type');
  });

  it('leaves the display-name label out when the name does not fit a label, and refuses names too long at global', () => {
    const long = `w${'x'.repeat(69)}`;
    const r = decodeZoneEntry(key(`zone-1.Dataplane.default.${long}`), json(dataplane(long)));
    expect(r.resource?.name).toBe(`${long}.zone-1`);
    expect(r.resource?.labels[DISPLAY_NAME_LABEL]).toBeUndefined();
    const tooLong = `w${'x'.repeat(250)}`;
    const t = decodeZoneEntry(key(`zone-1.Dataplane.default.${tooLong}`), json(dataplane(tooLong)));
    expect(t.errors).toEqual([expect.objectContaining({ field: 'name' })]);
  });
});

describe('decodeGlobalEntry (global -> zone)', () => {
  it('validates and marks the copy as coming from global', () => {
    const es = { type: 'ExternalService', mesh: 'default', name: 'httpbin', tags: { 'kuma.io/service': 'httpbin' }, networking: { address: 'httpbin.org:80' } };
    const r = decodeGlobalEntry({ type: 'ExternalService', mesh: 'default', name: 'httpbin' }, json(es));
    expect(r.resource?.labels).toEqual({ [ORIGIN_LABEL]: 'global' });
    const bad = decodeGlobalEntry({ type: 'ExternalService', mesh: 'default', name: 'httpbin' }, json({ ...es, networking: {} }));
    expect(bad.errors?.[0]?.field).toBe('networking.address');
    expect(decodeGlobalEntry({ type: 'Dataplane', mesh: 'default', name: 'web-1' }, json(dataplane())).errors?.[0]?.field).toBe('type');
  });
});
