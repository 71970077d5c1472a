import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeResource, readUniversal, toUniversal } from './codec.js';
import type { Resource } from './resource.js';
import { decodeResources, encodeYaml, parseDocuments } from './yaml.js';

const fixture = (name: string) => readFileSync(new URL(`./testdata/${name}`, import.meta.url), 'utf8');
const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
const CA_B64 = b64(fixture('ca.pem'));

/** Every Kuma example, as written (the HTTPS one with a real CA in place of its placeholder). */
const EXAMPLES: Record<string, string> = {
  'external-service-https.yaml': fixture('external-service-https.yaml').replace('LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0t...', CA_B64),
  'dataplane-redis-dp.yaml': fixture('dataplane-redis-dp.yaml'),
  'external-service-zones.yaml': fixture('external-service-zones.yaml'),
  'external-service-tcp-tls-disabled.yaml': fixture('external-service-tcp-tls-disabled.yaml'),
  'external-service-zone-2-only.yaml': fixture('external-service-zone-2-only.yaml'),
};

const MTP: Resource = {
  type: 'MeshTrafficPermission',
  mesh: 'default',
  name: 'allow-all',
  labels: { 'kuma.io/origin': 'global' },
  spec: { targetRef: { kind: 'Mesh' }, from: [{ targetRef: { kind: 'Mesh' }, default: { action: 'Allow' } }] },
  version: 3,
  creationTime: '2024-01-01T00:00:00Z',
  modificationTime: '2024-01-02T00:00:00Z',
};
const SECRET: Resource = { type: 'Secret', mesh: 'default', name: 'client-key', labels: {}, spec: { data: b64('top secret key') }, version: 1 };

describe('universal format round trip', () => {
  it.each(Object.entries(EXAMPLES))('%s: toUniversal(fromUniversal(x)) === x', (_file, text) => {
    const docs = parseDocuments(text);
    expect(docs.length).toBeGreaterThan(0);
    for (const doc of docs) {
      const out = toUniversal(decodeResource(doc.value), { omitMeta: true });
      expect(out).toEqual(doc.value);
      expect(Object.keys(out)).toEqual(Object.keys(doc.value as object));
    }
  });

  it('keys come in Kuma order: type, mesh, name, times, version, labels, then the spec', () => {
    const r = decodeResources(EXAMPLES['external-service-zones.yaml']!)[0]!.resource;
    const stored: Resource = { ...r, labels: { team: 'edge' }, version: 2, creationTime: 't0', modificationTime: 't1' };
    expect(Object.keys(toUniversal(stored))).toEqual(['type', 'mesh', 'name', 'creationTime', 'modificationTime', 'version', 'labels', 'tags', 'networking']);
    expect(Object.keys(toUniversal(stored, { omitMeta: true }))).toEqual(['type', 'mesh', 'name', 'labels', 'tags', 'networking']);
  });

  it('global-scoped types have no mesh key', () => {
    const zone: Resource = { type: 'Zone', name: 'zone-1', labels: {}, spec: { enabled: true }, version: 1 };
    expect(toUniversal(zone, { omitMeta: true })).toEqual({ type: 'Zone', name: 'zone-1', enabled: true });
  });

  it('policies keep their spec under `spec:`', () => {
    const out = toUniversal(MTP, { omitMeta: true });
    expect(out).toEqual({ type: 'MeshTrafficPermission', mesh: 'default', name: 'allow-all', labels: MTP.labels, spec: MTP.spec });
    expect(decodeResource(out)).toEqual({ ...MTP, version: 0, creationTime: undefined, modificationTime: undefined });
  });

  it('redactSecrets hides Secret and GlobalSecret data and nothing else', () => {
    const redacted = toUniversal(SECRET, { redactSecrets: true });
    expect(redacted.data).not.toBe((SECRET.spec as { data: string }).data);
    expect(JSON.stringify(redacted)).not.toContain((SECRET.spec as { data: string }).data);
    expect(redacted.data).toMatch(/redacted/);
    expect(toUniversal(SECRET).data).toBe((SECRET.spec as { data: string }).data);
    const global: Resource = { ...SECRET, type: 'GlobalSecret', mesh: undefined };
    expect(JSON.stringify(toUniversal(global, { redactSecrets: true }))).not.toContain((SECRET.spec as { data: string }).data);
    // the input is not modified
    expect((SECRET.spec as { data: string }).data).toBe(b64('top secret key'));
    // a non-sensitive type comes out unchanged
    expect(toUniversal(MTP, { redactSecrets: true })).toEqual(toUniversal(MTP));
  });

  it('encodeYaml output decodes back to the same resources', () => {
    const resources = Object.values(EXAMPLES).flatMap((t) => decodeResources(t).map((d) => d.resource));
    expect(resources).toHaveLength(6);
    const text = encodeYaml(resources, { omitMeta: true });
    expect(text.split('\n')[0]).toBe('type: ExternalService');
    expect(decodeResources(text).map((d) => d.resource)).toEqual(resources);
  });

  it('readUniversal reads server output without validating it', () => {
    const r = readUniversal(toUniversal(MTP));
    expect(r).toEqual(MTP);
  });
});

describe('orderLikeSchema', () => {
  it('puts spec keys back in schema order after storage reordered them', () => {
    const stored = {
      type: 'ExternalService' as const,
      mesh: 'default',
      name: 'httpbin',
      labels: {},
      version: 1,
      spec: { networking: { tls: { sni: '', enabled: true }, address: 'httpbin.org:443' }, tags: { 'kuma.io/service': 'httpbin' } },
    };
    const out = toUniversal(stored, { omitMeta: true });
    expect(Object.keys(out)).toEqual(['type', 'mesh', 'name', 'tags', 'networking']);
    const networking = out.networking as Record<string, Record<string, unknown>>;
    expect(Object.keys(networking)).toEqual(['address', 'tls']);
    expect(Object.keys(networking.tls as object)).toEqual(['enabled', 'sni']);
  });
});
