/**
 * Golden files: testdata/<case>/input.yaml -> testdata/<case>/<case>.golden.yaml (UPDATE_GOLDEN=1 rewrites).
 *
 * input.yaml:
 *   global: [universal resources every zone has: Mesh, ExternalService, Secret, policies]
 *   zones: { <zone>: [this zone's Dataplane / ZoneIngress / ZoneEgress] }
 *   proxies: [{ zone, type: Dataplane|ZoneIngress|ZoneEgress, name, mesh?, proxyless? }]
 * Every zone sees the global resources, its own resources and every zone's ZoneIngress (as sync
 * relays them). Certificates are fixed placeholder PEM texts so the output is stable.
 *
 * Every generated resource is also round-tripped through the Envoy protos (encode, decode, deep-equal)
 * and checked against the protoc-gen-validate rules of those protos (what Envoy enforces on load).
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type DataplaneSpec, decodeResource, type Resource, type ZoneEgressSpec, type ZoneIngressSpec } from '@causeway/core';
import { parse, stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { decodeAny, encodeAny, envoyValidationErrors, XDS_KINDS } from '@causeway/envoy';
import { buildMeshContexts, type ZoneView } from './context.js';
import { generateEgress, generateIngress, generateSidecar, type ResourceSet } from './generate/index.js';
import { zoneViewOf } from './zone/view.js';

const TESTDATA = join(import.meta.dirname, '..', 'testdata');
const UPDATE = process.env.UPDATE_GOLDEN === '1';

interface CaseInput {
  global?: unknown[];
  zones?: Record<string, unknown[]>;
  proxies: { zone: string; type: 'Dataplane' | 'ZoneIngress' | 'ZoneEgress'; name: string; mesh?: string; proxyless?: boolean }[];
}

const pem = (kind: string, text: string) => `-----BEGIN ${kind}-----\n${text}\n-----END ${kind}-----\n`;

/** What `zone` holds: the global resources, its own, and the other zones' ZoneIngresses (as sync relays them). */
function zoneView(input: CaseInput, zone: string): ZoneView {
  const global = (input.global ?? []).map((d) => decodeResource(d));
  const resources = [...global];
  for (const [z, docs] of Object.entries(input.zones ?? {}))
    for (const r of docs.map((d) => decodeResource(d))) {
      if (z === zone) resources.push(r);
      else if (r.type === 'ZoneIngress') resources.push({ ...r, spec: { ...(r.spec as ZoneIngressSpec), zone: z } });
    }
  const meshes = global.filter((r) => r.type === 'Mesh');
  // Fixed placeholder CA certificates (the cases carry no CA Secrets): stable output.
  return { ...zoneViewOf(resources, { zone }), meshCaPem: Object.fromEntries(meshes.map((m) => [m.name, pem('CERTIFICATE', `ca of mesh ${m.name}`)])) };
}

function generateCase(input: CaseInput): Record<string, ResourceSet> {
  const out: Record<string, ResourceSet> = {};
  for (const p of input.proxies) {
    const view = zoneView(input, p.zone);
    const contexts = buildMeshContexts(view);
    const key = `${p.zone}/${p.type}/${p.mesh ? `${p.mesh}/` : ''}${p.name}`;
    if (p.type === 'Dataplane') {
      const dp = view.dataplanes.find((d) => d.name === p.name && d.mesh === p.mesh) as Resource<DataplaneSpec> | undefined;
      if (!dp) throw new Error(`no Dataplane ${p.mesh}/${p.name} in zone ${p.zone}`);
      const ctx = contexts.get(dp.mesh as string);
      if (!ctx) throw new Error(`no mesh ${dp.mesh}`);
      out[key] = generateSidecar({
        ctx,
        dataplane: dp,
        identity: { certPem: pem('CERTIFICATE', `identity of ${dp.mesh}/${dp.name}`), keyPem: pem('PRIVATE KEY', `key of ${dp.mesh}/${dp.name}`) },
        proxyless: p.proxyless === true,
      });
    } else if (p.type === 'ZoneIngress') {
      const zi = view.zoneIngresses.find((z) => z.name === p.name);
      if (!zi) throw new Error(`no ZoneIngress ${p.name}`);
      out[key] = generateIngress({ contexts, ingress: zi });
    } else {
      const ze = view.zoneEgresses.find((z) => z.name === p.name) as Resource<ZoneEgressSpec> | undefined;
      if (!ze) throw new Error(`no ZoneEgress ${p.name}`);
      const identities = new Map([...contexts.keys()].map((m) => [m, { certPem: pem('CERTIFICATE', `zone-egress of ${m}`), keyPem: pem('PRIVATE KEY', `zone-egress key of ${m}`) }]));
      out[key] = generateEgress({ contexts, egress: ze, identities });
    }
  }
  return out;
}

const cases = existsSync(TESTDATA) ? readdirSync(TESTDATA, { withFileTypes: true }).filter((e) => e.isDirectory() && existsSync(join(TESTDATA, e.name, 'input.yaml'))).map((e) => e.name) : [];

describe('generators (golden files)', () => {
  it('has the cases the issue lists', () => {
    for (const c of [
      'es-direct-http',
      'es-tls-origination',
      'es-zone-egress',
      'es-zone-egress-missing',
      'es-other-zone',
      'locality-pair',
      'passthrough',
      'mesh-service-cross-zone',
      'mtp-zone-egress',
      'mtp-no-egress',
      'meshtimeout',
      'meshretry',
    ])
      expect(cases).toContain(c);
  });

  for (const name of cases) {
    it(name, () => {
      const input = parse(readFileSync(join(TESTDATA, name, 'input.yaml'), 'utf8')) as CaseInput;
      const result = generateCase(input);
      // Round trip of every resource through the real Envoy protos.
      for (const [proxy, set] of Object.entries(result))
        for (const kind of XDS_KINDS)
          for (const r of set[kind]) {
            const back = decodeAny(encodeAny(r));
            expect(back, `${proxy} ${kind} ${String(r.name ?? r.cluster_name)}`).toEqual(JSON.parse(JSON.stringify(r)));
            expect(envoyValidationErrors(r), `${proxy} ${kind} ${String(r.name ?? r.cluster_name)}`).toEqual([]);
          }
      const text = stringify(result, { lineWidth: 0, aliasDuplicateObjects: false });
      const goldenFile = join(TESTDATA, name, `${name}.golden.yaml`);
      if (UPDATE) writeFileSync(goldenFile, text);
      expect(existsSync(goldenFile), `${goldenFile} is missing: run with UPDATE_GOLDEN=1 and review it`).toBe(true);
      expect(text).toBe(readFileSync(goldenFile, 'utf8'));
    });
  }
});
