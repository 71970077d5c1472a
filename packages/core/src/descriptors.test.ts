import { describe, expect, it } from 'vitest';
import {
  cliTypeNames,
  DESCRIPTORS,
  dataplaneServices,
  descriptorByCliName,
  descriptorByPath,
  descriptorOf,
  isResourceType,
  type ResourceDescriptor,
} from './descriptors.js';
import type { DataplaneSpec } from './resources/dataplane.js';
import type { ExternalServiceSpec } from './resources/external-service.js';
import type { TargetRef } from './policies/common.js';
import { POLICIES } from './policies/registry.js';
import { META_FIELDS, RESOURCE_TYPES, type Resource, type ResourceType } from './resource.js';

describe('the descriptor table', () => {
  it('has exactly one descriptor per resource type', () => {
    for (const t of RESOURCE_TYPES) expect(DESCRIPTORS.filter((d) => d.type === t), t).toHaveLength(1);
    expect(DESCRIPTORS).toHaveLength(RESOURCE_TYPES.length);
    for (const t of RESOURCE_TYPES) expect(descriptorOf(t).type).toBe(t);
  });

  it('knows which strings are resource types', () => {
    expect(isResourceType('ExternalService')).toBe(true);
    expect(isResourceType('externalservice')).toBe(false);
    expect(isResourceType(undefined)).toBe(false);
    expect(() => descriptorOf('Nope' as ResourceType)).toThrow(/unknown resource type "Nope"/);
  });

  it("uses Kuma's REST paths and scopes", () => {
    const expected: Partial<Record<ResourceType, [string, 'global' | 'mesh']>> = {
      Mesh: ['meshes', 'global'],
      Dataplane: ['dataplanes', 'mesh'],
      ExternalService: ['external-services', 'mesh'],
      ZoneIngress: ['zoneingresses', 'global'],
      ZoneEgress: ['zoneegresses', 'global'],
      Zone: ['zones', 'global'],
      Secret: ['secrets', 'mesh'],
      GlobalSecret: ['global-secrets', 'global'],
      MeshTrafficPermission: ['meshtrafficpermissions', 'mesh'],
      MeshTimeout: ['meshtimeouts', 'mesh'],
      MeshRetry: ['meshretries', 'mesh'],
    };
    for (const [type, [path, scope]] of Object.entries(expected)) {
      const d = descriptorOf(type as ResourceType);
      expect([d.path, d.scope], type).toEqual([path, scope]);
      expect(descriptorByPath(path)?.type).toBe(type);
    }
    const paths = DESCRIPTORS.map((d) => d.path);
    expect(new Set(paths).size).toBe(paths.length);
    expect(descriptorByPath('external-service')).toBeUndefined();
  });

  it('resolves the kumactl-style CLI names', () => {
    const names: [string, ResourceType][] = [
      ['external-service', 'ExternalService'],
      ['external-services', 'ExternalService'],
      ['externalservice', 'ExternalService'],
      ['dataplane', 'Dataplane'],
      ['dataplanes', 'Dataplane'],
      ['mesh', 'Mesh'],
      ['meshes', 'Mesh'],
      ['zone', 'Zone'],
      ['zones', 'Zone'],
      ['zone-ingress', 'ZoneIngress'],
      ['zone-ingresses', 'ZoneIngress'],
      ['zoneingresses', 'ZoneIngress'],
      ['zone-egress', 'ZoneEgress'],
      ['zone-egresses', 'ZoneEgress'],
      ['zoneegresses', 'ZoneEgress'],
      ['secret', 'Secret'],
      ['secrets', 'Secret'],
      ['global-secret', 'GlobalSecret'],
      ['global-secrets', 'GlobalSecret'],
      ['meshtrafficpermission', 'MeshTrafficPermission'],
      ['meshtrafficpermissions', 'MeshTrafficPermission'],
      ['meshtimeouts', 'MeshTimeout'],
      ['meshretry', 'MeshRetry'],
      ['meshretries', 'MeshRetry'],
      ['External-Services', 'ExternalService'],
      ['MeshTimeout', 'MeshTimeout'],
    ];
    for (const [name, type] of names) expect(descriptorByCliName(name)?.type, name).toBe(type);
    expect(descriptorByCliName('service-entries')).toBeUndefined();
    expect(cliTypeNames()).toContain('external-services');
  });

  it('no CLI name belongs to two types', () => {
    const owner = new Map<string, ResourceType>();
    for (const d of DESCRIPTORS) {
      for (const n of new Set([d.cli.singular, d.cli.plural, ...d.cli.aliases, d.type.toLowerCase()])) {
        expect(owner.get(n) ?? d.type, `${n} is claimed by ${owner.get(n)} and ${d.type}`).toBe(d.type);
        owner.set(n, d.type);
      }
    }
  });

  it('zone-owned types flow zone->global; global-owned ones flow global->zones', () => {
    const ownership = (d: ResourceDescriptor) => [d.owner, d.sync, d.relayToZones];
    for (const t of ['Dataplane', 'ZoneEgress', 'ZoneInsight', 'DataplaneInsight'] as const) expect(ownership(descriptorOf(t)), t).toEqual(['zone', 'zone-to-global', false]);
    // global relays every zone's ZoneIngress back to the zones (they learn each other's ingresses)
    expect(ownership(descriptorOf('ZoneIngress'))).toEqual(['zone', 'zone-to-global', true]);
    for (const t of ['Mesh', 'ExternalService', 'Secret', 'GlobalSecret', 'MeshTrafficPermission', 'MeshTimeout', 'MeshRetry'] as const)
      expect(ownership(descriptorOf(t)), t).toEqual(['global', 'global-to-zones', false]);
    expect(ownership(descriptorOf('Zone'))).toEqual(['global', 'none', false]);
  });

  it('only policies nest their spec, only secrets are sensitive', () => {
    expect(DESCRIPTORS.filter((d) => d.specField === 'spec').map((d) => d.type)).toEqual(POLICIES.map((p) => p.type));
    expect(DESCRIPTORS.filter((d) => d.sensitive).map((d) => d.type)).toEqual(['Secret', 'GlobalSecret']);
  });
});

describe('ExternalService store hooks', () => {
  const d = descriptorOf('ExternalService');
  const spec = (address: string, tls?: object) => ({ tags: { 'kuma.io/service': 'httpbin' }, networking: { address, ...(tls ? { tls } : {}) } });

  it('uniqueKeys is the address, host lower-cased', () => {
    expect(d.uniqueKeys(spec('HttpBin.ORG:443'))).toEqual([{ key: 'address:httpbin.org:443', field: 'networking.address', what: 'address "HttpBin.ORG:443"' }]);
    expect(d.uniqueKeys(spec('httpbin.org:443'))[0]?.key).toBe(d.uniqueKeys(spec('HTTPBIN.org.:443'))[0]?.key);
    expect(d.uniqueKeys(spec('httpbin.org:80'))[0]?.key).not.toBe(d.uniqueKeys(spec('httpbin.org:443'))[0]?.key);
    expect(d.uniqueKeys(spec('[2001:DB8:0::1]:443'))[0]?.key).toBe(d.uniqueKeys(spec('[2001:db8::1]:443'))[0]?.key);
    expect(d.uniqueKeys(spec('not an address'))).toEqual([]);
    expect(d.uniqueKeys({} as ExternalServiceSpec)).toEqual([]); // robust to a spec without networking
  });

  it('references lists every secret data source with its field', () => {
    expect(d.references(spec('a.org:443', { caCert: { secret: 'ca' }, clientCert: { inline: 'QQ==' }, clientKey: { secret: 'key' } }))).toEqual([
      { type: 'Secret', name: 'ca', field: 'networking.tls.caCert' },
      { type: 'Secret', name: 'key', field: 'networking.tls.clientKey' },
    ]);
    expect(d.references(spec('a.org:443'))).toEqual([]);
    expect(descriptorOf('Dataplane').references({} as DataplaneSpec)).toEqual([]);
  });

  it('tagSets and columns', () => {
    expect(d.tagSets(spec('a.org:443'))).toEqual([{ 'kuma.io/service': 'httpbin' }]);
    const r: Resource<'ExternalService'> = { type: 'ExternalService', mesh: 'default', name: 'httpbin', labels: {}, spec: { ...spec('a.org:443'), tags: { 'kuma.io/service': 'httpbin', 'kuma.io/protocol': 'http' } }, version: 1 };
    expect(d.columns.map((c) => [c.header, c.value(r)])).toEqual([
      ['TAGS', 'kuma.io/protocol=http kuma.io/service=httpbin'],
      ['ADDRESS', 'a.org:443'],
    ]);
  });
});

describe('other columns and helpers', () => {
  it('Mesh columns show mTLS, locality, zone egress and passthrough', () => {
    const mesh: Resource<'Mesh'> = {
      type: 'Mesh',
      name: 'default',
      labels: {},
      spec: { mtls: { enabledBackend: 'ca-1', backends: [{ name: 'ca-1', type: 'builtin' }] }, routing: { zoneEgress: true }, networking: { outbound: { passthrough: false } } },
      version: 1,
    };
    expect(descriptorOf('Mesh').columns.map((c) => [c.header, c.value(mesh)])).toEqual([
      ['mTLS', 'builtin/ca-1'],
      ['LOCALITY', 'off'],
      ['ZONEEGRESS', 'on'],
      ['PASSTHROUGH', 'off'],
    ]);
    expect(descriptorOf('Mesh').columns.map((c) => c.value({ ...mesh, spec: {} }))).toEqual(['off', 'off', 'off', 'on']);
  });

  it('policy columns describe the targetRef', () => {
    const col = descriptorOf('MeshTimeout').columns[0]!;
    const policy = (targetRef?: TargetRef): Resource<'MeshTimeout'> => ({ type: 'MeshTimeout', mesh: 'default', name: 't', labels: {}, spec: { ...(targetRef ? { targetRef } : {}) }, version: 1 });
    expect(col.value(policy())).toBe('Mesh');
    expect(col.value(policy({ kind: 'MeshService', name: 'httpbin' }))).toBe('MeshService/httpbin');
    expect(col.value(policy({ kind: 'MeshSubset', tags: { b: '2', a: '1' } }))).toBe('MeshSubset(a=1 b=2)');
  });

  it('dataplaneServices lists the distinct inbound services', () => {
    const spec: DataplaneSpec = {
      networking: {
        address: '10.0.0.1',
        inbound: [
          { port: 1, tags: { 'kuma.io/service': 'web' } },
          { port: 2, tags: { 'kuma.io/service': 'web' } },
          { port: 3, tags: { 'kuma.io/service': 'admin' } },
        ],
      },
    };
    expect(dataplaneServices(spec)).toEqual(['web', 'admin']);
    expect(descriptorOf('Dataplane').tagSets(spec)).toHaveLength(3);
  });
});

describe('spec fields and the universal format', () => {
  it('no top-level spec field of a type collides with a meta field of the universal format', () => {
    for (const d of DESCRIPTORS) {
      if (d.specField) continue;
      const shape = (d.schema as unknown as { def: { shape?: Record<string, unknown> } }).def.shape ?? {};
      for (const meta of META_FIELDS) expect(Object.keys(shape), `${d.type}.${meta}`).not.toContain(meta);
    }
  });
});
