/**
 * Golden files: testdata/<case>/input.yaml -> testdata/<case>/<case>.golden.yaml (UPDATE_GOLDEN=1 rewrites),
 * and each policy's own cases in its folder in @causeway/core: src/policies/<name>/testdata/<case>/ (test
 * name `<name>/<case>`).
 *
 * input.yaml:
 *   global: [universal resources every zone has: Mesh, ExternalService, Secret, policies]
 *   zones: { <zone>: [this zone's Dataplane / ZoneIngress / ZoneEgress] }
 *   proxies: [{ zone, type: Dataplane|ZoneIngress|ZoneEgress, name, mesh?, proxyless? }]
 * Every zone sees the global resources, its own resources and every zone's ZoneIngress (as sync
 * relays them). Certificates are fixed placeholder PEM texts so the output is stable.
 *
 * Every generated resource is also round-tripped through the Envoy protos (encode, decode, deep-equal)
 * and checked against the protoc-gen-validate rules of those protos (what Envoy enforces on load). The
 * policy plugins are watched while the cases run: they change what the generators made but never add or
 * remove a resource (what a proxy may not reach is vetoed before generation, PolicyPlugin.reachable).
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeResource, POLICY_PLUGINS, type Resource, type ZoneIngressSpec } from '@causeway/core';
import { parse, stringify } from 'yaml';
import { describe, expect, it, vi } from 'vitest';
import { decodeAny, encodeAny, envoyValidationErrors, XDS_KINDS } from '@causeway/envoy';
import { buildMeshContexts, type ZoneView } from './context.js';
import { generateEgress, generateIngress, generateSidecar, type ResourceSet } from './generate/index.js';
import { zoneViewOf } from './zone/view.js';

const TESTDATA = join(import.meta.dirname, '..', 'testdata');
// Each policy's golden cases live in its folder in @causeway/core: <core>/src/policies/<name>/testdata/<case>/.
const POLICIES_DIR = join(dirname(fileURLToPath(import.meta.resolve('@causeway/core'))), '..', 'src', 'policies');
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
      const dp = view.dataplanes.find((d) => d.name === p.name && d.mesh === p.mesh) as Resource<'Dataplane'> | undefined;
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
      const ze = view.zoneEgresses.find((z) => z.name === p.name) as Resource<'ZoneEgress'> | undefined;
      if (!ze) throw new Error(`no ZoneEgress ${p.name}`);
      const identities = new Map([...contexts.keys()].map((m) => [m, { certPem: pem('CERTIFICATE', `zone-egress of ${m}`), keyPem: pem('PRIVATE KEY', `zone-egress key of ${m}`) }]));
      out[key] = generateEgress({ contexts, egress: ze, identities });
    }
  }
  return out;
}

/** The cases under `dir`, named `<prefix><case>`. */
function casesIn(dir: string, prefix = ''): { name: string; file: string; dir: string }[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(join(dir, e.name, 'input.yaml')))
    .map((e) => ({ name: `${prefix}${e.name}`, file: e.name, dir: join(dir, e.name) }));
}
const allCases = [
  ...casesIn(TESTDATA),
  ...readdirSync(POLICIES_DIR, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .flatMap((e) => casesIn(join(POLICIES_DIR, e.name, 'testdata'), `${e.name}/`)),
];
const cases = allCases.map((c) => c.name);

const names = (set: ResourceSet) => XDS_KINDS.flatMap((kind) => set[kind].map((r) => `${kind}/${String(r.name ?? r.cluster_name)}`));
for (const plugin of POLICY_PLUGINS) {
  const { sidecar, egress } = plugin;
  if (sidecar)
    vi.spyOn(plugin, 'sidecar').mockImplementation((set, input) => {
      const out = sidecar.call(plugin, set, input);
      expect(names(out), `${plugin.api.type} added or removed resources of a sidecar`).toEqual(names(set));
      return out;
    });
  if (egress)
    vi.spyOn(plugin, 'egress').mockImplementation((set, input) => {
      const out = egress.call(plugin, set, input);
      expect(names(out), `${plugin.api.type} added or removed resources of a ZoneEgress`).toEqual(names(set));
      return out;
    });
}

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
      'meshtrafficpermission/mtp-zone-egress',
      'meshtrafficpermission/mtp-no-egress',
      'meshtimeout/meshtimeout',
      'meshretry/meshretry',
    ])
      expect(cases).toContain(c);
  });

  for (const { name, file, dir } of allCases) {
    it(name, () => {
      const input = parse(readFileSync(join(dir, 'input.yaml'), 'utf8')) as CaseInput;
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
      const goldenFile = join(dir, `${file}.golden.yaml`);
      if (UPDATE) writeFileSync(goldenFile, text);
      expect(existsSync(goldenFile), `${goldenFile} is missing: run with UPDATE_GOLDEN=1 and review it`).toBe(true);
      expect(text).toBe(readFileSync(goldenFile, 'utf8'));
    });
  }
});
