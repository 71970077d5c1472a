import type { ResourceStore } from '@causeway/store';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STORE_START_TIMEOUT, startTestApi } from './testing/index.js';

const TOKEN = 'test-admin-token-0123456789';
const auth = { authorization: `Bearer ${TOKEN}` };

const permission = (name: string, from: unknown[]) => ({
  type: 'MeshTrafficPermission',
  mesh: 'default',
  name,
  spec: { targetRef: { kind: 'Mesh' }, from },
});
const deny = (targetRef: Record<string, unknown>) => ({ targetRef, default: { action: 'Deny' } });

describe("write answers carry Kuma's warnings for fields Causeway does not apply", () => {
  let app: FastifyInstance;
  let store: ResourceStore;
  beforeAll(async () => {
    ({ app, store } = await startTestApi('global', TOKEN));
    expect((await app.inject({ method: 'PUT', url: '/meshes/default', headers: auth, payload: { type: 'Mesh', name: 'default' } })).statusCode).toBe(201);
  }, STORE_START_TIMEOUT);
  afterAll(async () => {
    await app?.close();
    await store?.close();
  });

  const put = (path: string, payload: unknown) => app.inject({ method: 'PUT', url: path, headers: auth, payload: payload as object });

  it('answers a Deny that selects nothing with the resource and a warning saying it denies nothing', async () => {
    const mtp = permission('deny-db', [deny({ kind: 'MeshService', labels: { app: 'db' } })]);
    const created = await put('/meshes/default/meshtrafficpermissions/deny-db', mtp);
    expect(created.statusCode).toBe(201);
    const body = created.json();
    expect(body).toMatchObject({ ...mtp, version: 1 });
    expect(body.warnings).toEqual([expect.stringMatching(/^spec\.from\[0\]\.targetRef\.labels: .*this Deny denies nothing in Causeway/)]);

    // Unchanged and updated writes answer them too; a read does not.
    const same = await put('/meshes/default/meshtrafficpermissions/deny-db', mtp);
    expect(same.statusCode).toBe(200);
    expect(same.json().warnings).toEqual(body.warnings);
    const versioned = await put('/meshes/default/meshtrafficpermissions/deny-db', { ...mtp, version: 1, spec: { ...mtp.spec, targetRef: { kind: 'Dataplane', name: 'dp-1' } } });
    expect(versioned.statusCode).toBe(200);
    expect(versioned.json().warnings.map((w: string) => w.split(':')[0])).toEqual(['spec.targetRef.kind', 'spec.from[0].targetRef.labels']);
    expect((await app.inject({ url: '/meshes/default/meshtrafficpermissions/deny-db' })).json().warnings).toBeUndefined();
  });

  it('keeps the plain body when everything written is applied', async () => {
    const mtp = permission('deny-web', [deny({ kind: 'MeshService', name: 'web' })]);
    const r = await put('/meshes/default/meshtrafficpermissions/deny-web', mtp);
    expect(r.statusCode).toBe(201);
    expect(r.json()).not.toHaveProperty('warnings');
    expect(Object.keys(r.json())).toEqual(expect.arrayContaining(['type', 'mesh', 'name', 'spec', 'version']));
  });

  it('warns on the other types: ExternalService and Mesh fields', async () => {
    const es = {
      type: 'ExternalService',
      mesh: 'default',
      name: 'httpbin',
      tags: { 'kuma.io/service': 'httpbin' },
      networking: { address: 'httpbin.org:443', disableHostDNSEntry: true, tls: { enabled: true, skipHostnameVerification: true } },
    };
    const r = await put('/meshes/default/external-services/httpbin', es);
    expect(r.statusCode).toBe(201);
    expect(r.json().networking).toEqual(es.networking);
    expect(r.json().warnings.map((w: string) => w.split(':')[0])).toEqual(['networking.tls.skipHostnameVerification', 'networking.disableHostDNSEntry']);
    const mesh = await put('/meshes/other', { type: 'Mesh', name: 'other', constraints: { dataplaneProxy: { requirements: [{ tags: { 'kuma.io/zone': 'east' } }] } } });
    expect(mesh.statusCode).toBe(201);
    expect(mesh.json().warnings).toEqual([expect.stringMatching(/^constraints: not applied/)]);
  });

  it('still refuses an invalid write with a 400 and no warnings', async () => {
    const r = await put('/meshes/default/meshtrafficpermissions/bad', permission('bad', [deny({ kind: 'MeshGateway', name: 'gw' })]));
    expect(r.statusCode).toBe(400);
    expect(r.json().warnings).toBeUndefined();
    expect(r.json().invalid_parameters).toEqual([{ field: 'spec.from[0].targetRef.kind', reason: expect.stringContaining('not supported') }]);
  });

  it('counts the stored fields in causeway_resources_unapplied_fields{type}', async () => {
    const metrics = async () => (await app.inject({ url: '/metrics' })).body;
    const line = (text: string, type: string) => text.split('\n').find((l) => l.startsWith(`causeway_resources_unapplied_fields{type="${type}"}`));
    let text = await metrics();
    expect(line(text, 'MeshTrafficPermission')).toBe('causeway_resources_unapplied_fields{type="MeshTrafficPermission"} 2');
    expect(line(text, 'ExternalService')).toBe('causeway_resources_unapplied_fields{type="ExternalService"} 2');
    expect(line(text, 'Mesh')).toBe('causeway_resources_unapplied_fields{type="Mesh"} 1');
    expect(line(text, 'MeshRetry')).toBe('causeway_resources_unapplied_fields{type="MeshRetry"} 0');
    await app.inject({ method: 'DELETE', url: '/meshes/default/meshtrafficpermissions/deny-db', headers: auth });
    text = await metrics();
    expect(line(text, 'MeshTrafficPermission')).toBe('causeway_resources_unapplied_fields{type="MeshTrafficPermission"} 0');
  });

  it('describes warnings in /openapi.json', async () => {
    const doc = (await app.inject({ url: '/openapi.json' })).json();
    const putOp = doc.paths['/meshes/{mesh}/meshtrafficpermissions/{name}'].put;
    for (const status of ['200', '201']) {
      const schema = putOp.responses[status].content['application/json'].schema;
      expect(schema.properties.warnings).toMatchObject({ type: 'array', items: { type: 'string' } });
      expect(schema.properties.spec).toBeDefined();
    }
    expect(doc.paths['/meshes/{mesh}/external-services/{name}'].put.responses['201'].content['application/json'].schema.properties.warnings).toBeDefined();
  });
});
