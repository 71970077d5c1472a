/**
 * Fuzz through the HTTP API: for every resource type, a seeded sample of mutants of a valid example
 * (each field replaced by another JSON type, null or a huge value; an unknown field added) is PUT as JSON,
 * and some as YAML. Every answer is 2xx or 4xx in Kuma's error shape, a 400 names its fields, and a
 * refused write leaves what is stored as it was. Replay a failure with FUZZ_SEED=<seed printed>;
 * FUZZ_SAMPLE=all sends every mutant.
 */
import { DESCRIPTORS, type ResourceDescriptor } from '@causeway/core';
import { type Doc, loadExamples, type Mutant, mutants, type Path, Rand, setAt } from '@causeway/core/testing';
import type { ResourceStore } from '@causeway/store';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { STORE_START_TIMEOUT, startTestApi } from './testing/index.js';

const TOKEN = 'test-admin-token-0123456789';
const auth = { authorization: `Bearer ${TOKEN}` };
const SEED = Number(process.env.FUZZ_SEED ?? 14);
const SAMPLE = process.env.FUZZ_SAMPLE === 'all' ? Number.POSITIVE_INFINITY : Number(process.env.FUZZ_SAMPLE ?? 60);
/** Of the sample, how many go as YAML (`content-type: application/yaml`). */
const YAML_SHARE = 0.25;

const EXAMPLES = loadExamples();

/** The named cases of issue #14, always sent whatever the sample. */
function issueCases(type: string, example: Doc): Pick<Mutant, 'name' | 'doc'>[] {
  const at = (path: Path, v: unknown) => ({ name: `issue #14: ${path.join('.')} = ${JSON.stringify(v)}`, doc: setAt(example, path, v) });
  if (type === 'ExternalService' && example.name === 'httpbin')
    return [
      ...[5, true, {}, []].map((v) => at(['networking', 'tls', 'caCert', 'inline'], v)),
      at(['networking', 'tls', 'clientCert', 'inline'], 7),
      at(['networking', 'tls', 'clientKey', 'inlineString'], null),
      at(['networking', 'tls', 'clientKey', 'inlineString'], 5),
    ];
  if (type === 'MeshTrafficPermission') return [at(['spec', 'targetRef'], { kind: 'MeshSubset', tags: null }), at(['spec', 'from', 0, 'targetRef', 'tags'], null)];
  return [];
}

function url(d: ResourceDescriptor, doc: Doc): string {
  return d.scope === 'mesh' ? `/meshes/default/${d.path}/${doc.name as string}` : `/${d.path}/${doc.name as string}`;
}

const setup = (mode: 'global' | 'zone') => startTestApi(mode, TOKEN);

describe(`API fuzz (seed ${SEED})`, () => {
  const apps: Partial<Record<'global' | 'zone', { app: FastifyInstance; store: ResourceStore }>> = {};
  beforeAll(async () => {
    const [global, zone] = await Promise.all([setup('global'), setup('zone')]);
    apps.global = global;
    apps.zone = zone;
    // What the examples need: the mesh in both (a zone receives it from global; here it is written
    // to the zone's store directly), and the Secrets the second ExternalService example names.
    expect((await global.app.inject({ method: 'PUT', url: '/meshes/default', headers: auth, payload: { type: 'Mesh', name: 'default' } })).statusCode).toBe(201);
    await zone.store.upsert({ type: 'Mesh', name: 'default', labels: {}, spec: {}, version: 0 });
    for (const name of ['client-cert', 'client-key']) {
      const secret = { ...EXAMPLES.Secret![0], name };
      expect((await global.app.inject({ method: 'PUT', url: `/meshes/default/secrets/${name}`, headers: auth, payload: secret })).statusCode).toBeLessThan(300);
    }
  }, STORE_START_TIMEOUT);
  afterAll(async () => {
    for (const a of Object.values(apps)) {
      await a?.app.close();
      await a?.store.close();
    }
  });

  // A computed type (ExternalServiceInsight) is written by the control plane only: every PUT is a 405
  // (its validation is fuzzed in core, where every row's example and mutants are decoded).
  for (const d of DESCRIPTORS.filter((x) => x.system)) {
    it(`${d.type}: is computed by the control plane, a PUT is refused with 405 on global and zone`, async () => {
      const [example] = EXAMPLES[d.type] ?? [];
      expect(example, `${d.type}: no example in core/src/testdata/examples.json`).toBeDefined();
      for (const mode of ['global', 'zone'] as const) {
        const res = await apps[mode]!.app.inject({ method: 'PUT', url: url(d, example as Doc), headers: auth, payload: example });
        expect(res.statusCode, `${mode}: ${res.body}`).toBe(405);
        expect(res.json().details).toMatch(/computed by the zone control planes/);
      }
    });
  }

  for (const d of DESCRIPTORS.filter((x) => !x.system)) {
    it(`${d.type}: every mutant PUT is answered 2xx or 4xx in Kuma's shape, and a refused one changes nothing`, { timeout: 300_000 }, async () => {
      const { app } = apps[d.owner === 'zone' ? 'zone' : 'global']!;
      const rand = new Rand(SEED ^ [...d.type].reduce((h, c) => Math.imul(h, 31) + c.charCodeAt(0), 7));
      const examples = EXAMPLES[d.type] ?? [];
      expect(examples.length, `${d.type}: no example in core/src/testdata/examples.json (a policy: core/src/policies/<name>/testdata/examples.yaml)`).toBeGreaterThan(0);

      const problems: string[] = [];
      let sent = 0;
      let refused = 0;
      for (const example of examples) {
        const path = url(d, example);
        const base = await app.inject({ method: 'PUT', url: path, headers: auth, payload: example });
        expect(base.statusCode, `${d.type} example: ${base.body}`).toBeLessThan(300);
        const all = mutants(example);
        const picked = [...issueCases(d.type, example), ...rand.sample(all, Math.min(SAMPLE, all.length))];
        expect(picked.length, `${d.type}: mutants picked`).toBeGreaterThanOrEqual(Math.min(20, all.length));
        for (const [i, m] of picked.entries()) {
          const asYaml = rand.chance(YAML_SHARE);
          const before = await app.inject({ url: path, headers: auth });
          const res = asYaml
            ? await app.inject({ method: 'PUT', url: path, headers: { ...auth, 'content-type': 'application/yaml' }, payload: stringify(m.doc, { lineWidth: 0 }) })
            : await app.inject({ method: 'PUT', url: path, headers: auth, payload: m.doc });
          sent += 1;
          const what = `${m.name} (${asYaml ? 'YAML' : 'JSON'}, #${i})`;
          if (res.statusCode >= 200 && res.statusCode < 300) {
            // Accepted (some mutants are valid): put the example back for the next one.
            const restore = await app.inject({ method: 'PUT', url: path, headers: auth, payload: example });
            if (restore.statusCode >= 300) problems.push(`${what}: restoring the example answered ${restore.statusCode} ${restore.body}`);
            continue;
          }
          if (res.statusCode < 400 || res.statusCode >= 500) {
            problems.push(`${what}: status ${res.statusCode} ${res.body.slice(0, 300)}`);
            continue;
          }
          refused += 1;
          let body: { title?: unknown; details?: unknown; invalid_parameters?: { field?: unknown; reason?: unknown }[] };
          try {
            body = res.json();
          } catch {
            problems.push(`${what}: ${res.statusCode} without a JSON body: ${res.body.slice(0, 200)}`);
            continue;
          }
          if (typeof body.title !== 'string' || body.title === '') problems.push(`${what}: ${res.statusCode} without a title`);
          if (typeof body.details !== 'string' || body.details === '') problems.push(`${what}: ${res.statusCode} without details`);
          if (res.statusCode === 400) {
            const params = body.invalid_parameters;
            if (!Array.isArray(params) || params.length === 0) problems.push(`${what}: 400 without invalid_parameters: ${res.body.slice(0, 300)}`);
            else
              for (const p of params)
                if (typeof p.field !== 'string' || typeof p.reason !== 'string' || p.reason === '') problems.push(`${what}: malformed invalid_parameters entry ${JSON.stringify(p)}`);
          }
          const after = await app.inject({ url: path, headers: auth });
          if (after.statusCode !== before.statusCode || after.body !== before.body) problems.push(`${what}: a refused write changed what is stored: ${before.body} -> ${after.body}`);
        }
      }
      if (problems.length > 0) console.error(`API fuzz ${d.type}: replay with FUZZ_SEED=${SEED}\n${problems.join('\n')}`);
      expect(problems).toEqual([]);
      expect(refused, `${d.type}: refused ${refused} of ${sent}`).toBeGreaterThan(sent / 2);
    });
  }
});
