import type { Resource } from '@causeway/core';
import { caSecretNames, meshCaSecrets } from '@causeway/pki';
import { describe, expect, it } from 'vitest';
import { res } from '../testing/index.js';
import { zoneViewOf } from './view.js';

describe('zoneViewOf', () => {
  it('sorts resources into the view, takes the mesh CA from its Secrets and ignores other types', async () => {
    const secure = { ...res('Mesh', 'secure', { mtls: { enabledBackend: 'ca-1', backends: [{ name: 'ca-1', type: 'builtin' }] } }), creationTime: '2024-01-01T00:00:00.000Z' };
    const caSecrets = await meshCaSecrets(secure as Resource<'Mesh'>);
    const resources = [
      res('Mesh', 'default', {}),
      secure,
      ...caSecrets,
      res('Dataplane', 'web-1', { networking: { address: '127.0.0.1', inbound: [{ port: 8080, tags: { 'kuma.io/service': 'web' } }] } }, 'default'),
      res('ExternalService', 'httpbin', { tags: { 'kuma.io/service': 'httpbin' }, networking: { address: 'httpbin.org:80' } }, 'default'),
      res('ZoneIngress', 'ingress-2', { zone: 'zone-2', networking: { address: '127.0.0.2', port: 10001 } }),
      res('ZoneEgress', 'egress-1', { networking: { address: '127.0.0.3', port: 10002 } }),
      res('MeshRetry', 'retry', { targetRef: { kind: 'Mesh' } }, 'default'),
      res('MeshTrafficPermission', 'allow', { targetRef: { kind: 'Mesh' } }, 'default'),
      res('DataplaneInsight', 'web-1', {}, 'default'),
    ];
    const view = zoneViewOf(resources, { zone: 'zone-1', vipCidr: '127.250.0.0/16' });
    expect(view.zone).toBe('zone-1');
    expect(view.vipCidr).toBe('127.250.0.0/16');
    expect(view.meshes.map((m) => m.name)).toEqual(['default', 'secure']);
    expect(view.dataplanes.map((d) => d.name)).toEqual(['web-1']);
    expect(view.externalServices.map((e) => e.name)).toEqual(['httpbin']);
    expect(view.secrets.map((s) => s.name).sort()).toEqual(Object.values(caSecretNames('secure', 'ca-1')).sort());
    expect(view.zoneIngresses.map((z) => z.name)).toEqual(['ingress-2']);
    expect(view.zoneEgresses.map((z) => z.name)).toEqual(['egress-1']);
    // In the order of the policy types (MeshTrafficPermission first).
    expect(view.policies?.map((p) => p.type)).toEqual(['MeshTrafficPermission', 'MeshRetry']);
    expect(Object.keys(view.meshCaPem)).toEqual(['secure']);
    expect(view.meshCaPem.secure).toMatch(/^-----BEGIN CERTIFICATE-----/);
    expect(zoneViewOf([], { zone: 'z' })).not.toHaveProperty('vipCidr');
  });
});
