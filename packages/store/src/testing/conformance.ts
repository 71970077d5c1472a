/**
 * The ResourceStore conformance suite. Every backend runs the same tests: `postgres.test.ts` and
 * `pglite.test.ts` call `storeConformance` with a factory. Tests share one store per suite and keep
 * out of each other's way with a mesh (and names) of their own; tests that need an empty database
 * open one with `fresh()`.
 */
import { asType, CausewayError, decodeResource, type ErrorCode, type Resource } from '@causeway/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoreOptions } from '../open.js';
import { BatchError, type BatchOp, type ChangeEvent, type ResourceStore, type WriteOptions } from '../store.js';

/** Store options a test may set (never the location: the factory decides that). */
export type StoreTuning = Omit<StoreOptions, 'url' | 'dataDir'>;

export interface StoreFactory {
  /** A store on a new, empty database. */
  fresh(tuning?: StoreTuning): Promise<ResourceStore>;
  /** Another store on the same database as `store`, as another process would open it (where the backend allows it). */
  peer?: (store: ResourceStore, tuning?: StoreTuning) => Promise<ResourceStore>;
  /** Releases what `fresh` created; called after the suite, once its stores are closed. */
  dispose?: () => Promise<void>;
}

/** Watchers must not depend on the safety-net poll to see changes promptly. */
export const LIVE_ONLY: StoreTuning = { pollIntervalMs: 600_000 };

let seq = 0;
/** A short suffix unique within this process. */
function uid(): string {
  seq += 1;
  return `${Date.now().toString(36)}${seq.toString(36)}`;
}

function mesh(name: string): Resource<'Mesh'> {
  return asType(decodeResource({ type: 'Mesh', name }), 'Mesh');
}

/** An ExternalService in Kuma's universal format. */
function externalService(meshName: string, name: string, address = `${name}.example.com:443`, extra: Record<string, unknown> = {}): Resource<'ExternalService'> {
  const r = decodeResource({
    type: 'ExternalService',
    mesh: meshName,
    name,
    tags: { 'kuma.io/service': name, 'kuma.io/protocol': 'http' },
    networking: { address },
    ...extra,
  });
  return asType(r, 'ExternalService');
}

function secret(meshName: string, name: string, text = 'secret data'): Resource<'Secret'> {
  return asType(decodeResource({ type: 'Secret', mesh: meshName, name, data: Buffer.from(text).toString('base64') }), 'Secret');
}

/** An ExternalService whose client certificate and key come from Secrets. */
function mtlsExternalService(meshName: string, name: string, certSecret: string, keySecret: string): Resource<'ExternalService'> {
  return externalService(meshName, name, `${name}.example.com:443`, {
    networking: {
      address: `${name}.example.com:443`,
      tls: { enabled: true, clientCert: { secret: certSecret }, clientKey: { secret: keySecret } },
    },
  });
}

/** The address of a stored ExternalService. */
function address(r: Resource<'ExternalService'> | undefined): string | undefined {
  return r?.spec.networking?.address;
}

async function rejection(p: Promise<unknown>, code: ErrorCode): Promise<CausewayError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, `expected the call to fail with ${code}`).toBeInstanceOf(CausewayError);
  const ce = err as CausewayError;
  expect(ce.code, ce.message).toBe(code);
  return ce;
}

async function batchRejection(p: Promise<unknown>, code: ErrorCode): Promise<BatchError> {
  const err = await rejection(p, code);
  expect(err, 'expected a BatchError').toBeInstanceOf(BatchError);
  return err as BatchError;
}

async function waitFor(what: string, cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Collects the events of one watch. */
function collect(store: ResourceStore, from: number): { events: ChangeEvent[]; close: () => void } {
  const events: ChangeEvent[] = [];
  const sub = store.watch(from, (e) => events.push(e));
  return { events, close: () => sub.close() };
}

function expectStrictlyIncreasing(events: ChangeEvent[]): void {
  for (let i = 1; i < events.length; i++) expect(events[i]!.revision).toBeGreaterThan(events[i - 1]!.revision);
}

export function storeConformance(backend: string, factory: StoreFactory): void {
  describe(`ResourceStore conformance: ${backend}`, () => {
    let store: ResourceStore;
    const opened: ResourceStore[] = [];
    const open = async (tuning?: StoreTuning) => {
      const s = await factory.fresh(tuning);
      opened.push(s);
      return s;
    };

    beforeAll(async () => {
      // A poll slower than any test: live changes must arrive by notification.
      store = await open(LIVE_ONLY);
    });

    afterAll(async () => {
      await Promise.all(opened.map((s) => s.close()));
      await factory.dispose?.();
    });

    /** A new mesh for one test. */
    async function newMesh(prefix = 'm'): Promise<string> {
      const name = `${prefix}-${uid()}`;
      await store.create(mesh(name));
      return name;
    }

    describe('create and get', () => {
      it('stores an ExternalService with version 1 and ISO timestamps, and reads it back', async () => {
        const m = await newMesh();
        const input = decodeResource({
          type: 'ExternalService',
          mesh: m,
          name: 'httpbin',
          labels: { team: 'edge' },
          tags: { 'kuma.io/service': 'httpbin', 'kuma.io/protocol': 'http' },
          networking: { address: 'httpbin.org:80' },
        });
        const created = await store.create(input);
        expect(created).toMatchObject({ type: 'ExternalService', mesh: m, name: 'httpbin', version: 1, labels: { team: 'edge' } });
        expect(created.spec).toEqual({ tags: { 'kuma.io/service': 'httpbin', 'kuma.io/protocol': 'http' }, networking: { address: 'httpbin.org:80' } });
        expect(created.creationTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
        expect(created.modificationTime).toBe(created.creationTime);
        expect(Math.abs(Date.parse(created.creationTime!) - Date.now())).toBeLessThan(60_000);

        const got = await store.get('ExternalService', m, 'httpbin');
        expect(got).toEqual(created);
        expect(await store.get('ExternalService', m, 'nope')).toBeUndefined();
        expect(await store.get('ExternalService', 'other-mesh', 'httpbin')).toBeUndefined();
      });

      it('answers gets asked for together (read as one query) each with its own resource, or undefined', async () => {
        const m = await newMesh();
        await store.create(externalService(m, 'a'));
        await store.create(externalService(m, 'b'));
        const [a, b, again, missing, otherMesh, meshItself] = await Promise.all([
          store.get('ExternalService', m, 'a'),
          store.get('ExternalService', m, 'b'),
          store.get('ExternalService', m, 'a'),
          store.get('ExternalService', m, 'nope'),
          store.get('ExternalService', 'other-mesh', 'a'),
          store.get('Mesh', undefined, m),
        ]);
        expect([a?.name, b?.name, again?.name, missing, otherMesh, meshItself?.name]).toEqual(['a', 'b', 'a', undefined, undefined, m]);
        expect(address(b)).toBe('b.example.com:443');
        // Each caller gets its own object (a caller may change what it got).
        expect(again).not.toBe(a);
        expect(again).toEqual(a);
      });

      it('stores global-scoped resources without a mesh', async () => {
        const name = `mesh-${uid()}`;
        const created = await store.create(
          decodeResource({ type: 'Mesh', name, mtls: { enabledBackend: 'ca-1', backends: [{ name: 'ca-1', type: 'builtin' }] } }),
        );
        expect(created.mesh).toBeUndefined();
        expect('mesh' in created).toBe(false);
        expect(created.spec).toEqual({ mtls: { enabledBackend: 'ca-1', backends: [{ name: 'ca-1', type: 'builtin' }] } });
        const got = await store.get('Mesh', undefined, name);
        expect(got?.name).toBe(name);
        expect(got?.version).toBe(1);
        // a mesh argument is meaningless for a global-scoped type
        expect((await store.get('Mesh', 'whatever', name))?.name).toBe(name);
      });

      it('refuses to create a resource that exists (ALREADY_EXISTS) and leaves it alone', async () => {
        const m = await newMesh();
        await store.create(externalService(m, 'api', 'api.example.com:443'));
        const err = await rejection(store.create(externalService(m, 'api', 'api2.example.com:443')), 'ALREADY_EXISTS');
        expect(err.message).toContain('"api"');
        const got = await store.get('ExternalService', m, 'api');
        expect(got?.version).toBe(1);
        expect(address(got)).toBe('api.example.com:443');
      });

      it('lets exactly one of two concurrent creates of the same resource win', async () => {
        const m = await newMesh();
        const results = await Promise.allSettled([
          store.create(externalService(m, 'race', 'race-a.example.com:443')),
          store.create(externalService(m, 'race', 'race-b.example.com:443')),
        ]);
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
        expect(failed).toHaveLength(1);
        expect((failed[0]!.reason as CausewayError).code).toBe('ALREADY_EXISTS');
        expect((await store.list('ExternalService', { mesh: m })).total).toBe(1);
      });
    });

    describe('validation', () => {
      it('rejects an invalid resource with every field error and stores nothing', async () => {
        const m = await newMesh();
        const before = await store.revision();
        const bad: Resource = {
          type: 'ExternalService',
          mesh: m,
          name: 'bad name!',
          labels: {},
          spec: { tags: { 'kuma.io/service': 'x' }, networking: { address: 'httpbin.org' } },
          version: 0,
        };
        const err = await rejection(store.create(bad), 'INVALID');
        const fields = err.fields.map((f) => f.field);
        expect(fields).toContain('name');
        expect(fields).toContain('networking.address');
        expect(err.fields.find((f) => f.field === 'networking.address')?.reason).toContain('host:port');
        await rejection(store.upsert(bad), 'INVALID');
        expect(await store.revision()).toBe(before);
        expect((await store.list('ExternalService', { mesh: m })).total).toBe(0);
      });

      it('rejects an invalid update and keeps the stored resource', async () => {
        const m = await newMesh();
        const good = await store.create(externalService(m, 'keep', 'keep.example.com:443'));
        const bad: Resource = { ...good, spec: { tags: { 'kuma.io/service': 'keep' }, networking: { address: 'keep.example.com:99999' } } };
        const err = await rejection(store.update(bad), 'INVALID');
        expect(err.fields.map((f) => f.field)).toEqual(['networking.address']);
        const got = await store.get('ExternalService', m, 'keep');
        expect(got).toEqual(good);
      });

      it('validates replicated copies too', async () => {
        const bad: Resource = { type: 'ExternalService', mesh: 'replica', name: 'r', labels: {}, spec: { tags: {}, networking: { address: 'r.example.com:443' } }, version: 0 };
        const err = await rejection(store.create(bad, { replicated: true, origin: 'global' }), 'INVALID');
        expect(err.fields.map((f) => f.field)).toContain('tags');
      });
    });

    describe('update', () => {
      it('fails with NOT_FOUND for a missing resource', async () => {
        const m = await newMesh();
        const err = await rejection(store.update(externalService(m, 'ghost')), 'NOT_FOUND');
        expect(err.message).toContain('"ghost"');
      });

      it('increments the version and the modification time, keeps the creation time', async () => {
        const m = await newMesh();
        const v1 = await store.create(externalService(m, 'svc', 'svc.example.com:443'));
        await sleep(5);
        const v2 = await store.update(externalService(m, 'svc', 'svc.example.com:8443'));
        expect(v2.version).toBe(2);
        expect(v2.creationTime).toBe(v1.creationTime);
        expect(Date.parse(v2.modificationTime!)).toBeGreaterThan(Date.parse(v1.modificationTime!));
        expect(address(v2)).toBe('svc.example.com:8443');
        const v3 = await store.update(externalService(m, 'svc', 'svc.example.com:9443'), { expectedVersion: 2 });
        expect(v3.version).toBe(3);
        expect(await store.get('ExternalService', m, 'svc')).toEqual(v3);
      });

      it('fails with CONFLICT on a stale expectedVersion and changes nothing', async () => {
        const m = await newMesh();
        await store.create(externalService(m, 'svc', 'svc.example.com:443'));
        await store.update(externalService(m, 'svc', 'svc.example.com:444'));
        const err = await rejection(store.update(externalService(m, 'svc', 'svc.example.com:445'), { expectedVersion: 1 }), 'CONFLICT');
        expect(err.message).toContain('version is 2');
        const got = await store.get('ExternalService', m, 'svc');
        expect(got?.version).toBe(2);
        expect(address(got)).toBe('svc.example.com:444');
      });

      it('lets exactly one of two concurrent updates from the same version win', async () => {
        const m = await newMesh();
        await store.create(externalService(m, 'svc', 'svc.example.com:443'));
        const results = await Promise.allSettled([
          store.update(externalService(m, 'svc', 'svc.example.com:1001'), { expectedVersion: 1 }),
          store.update(externalService(m, 'svc', 'svc.example.com:1002'), { expectedVersion: 1 }),
        ]);
        const ok = results.filter((r): r is PromiseFulfilledResult<Resource<'ExternalService'>> => r.status === 'fulfilled');
        const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
        expect(ok).toHaveLength(1);
        expect(failed).toHaveLength(1);
        expect((failed[0]!.reason as CausewayError).code).toBe('CONFLICT');
        const got = await store.get('ExternalService', m, 'svc');
        expect(got?.version).toBe(2);
        expect(got?.spec).toEqual(ok[0]!.value.spec);
      });

      it('applies every one of many concurrent unconditional updates exactly once', async () => {
        const m = await newMesh();
        await store.create(externalService(m, 'busy', 'busy.example.com:1000'));
        const n = 10;
        await Promise.all(Array.from({ length: n }, (_, i) => store.update(externalService(m, 'busy', `busy.example.com:${1001 + i}`))));
        expect((await store.get('ExternalService', m, 'busy'))?.version).toBe(n + 1);
      });
    });

    describe('upsert', () => {
      it('creates, updates, and reports unchanged without a new version or change event', async () => {
        const m = await newMesh();
        const a = await store.upsert(externalService(m, 'up', 'up.example.com:443'));
        expect(a.outcome).toBe('created');
        expect(a.resource.version).toBe(1);

        const b = await store.upsert(externalService(m, 'up', 'up.example.com:8443'));
        expect(b.outcome).toBe('updated');
        expect(b.resource.version).toBe(2);

        const rev = await store.revision();
        const c = await store.upsert(externalService(m, 'up', 'up.example.com:8443'));
        expect(c.outcome).toBe('unchanged');
        expect(c.resource.version).toBe(2);
        expect(c.resource.modificationTime).toBe(b.resource.modificationTime);
        expect(await store.revision()).toBe(rev);

        // a label change is a change
        const d = await store.upsert({ ...externalService(m, 'up', 'up.example.com:8443'), labels: { env: 'prod' } });
        expect(d.outcome).toBe('updated');
        expect(d.resource.version).toBe(3);
        expect(d.resource.labels).toEqual({ env: 'prod' });
        expect(await store.revision()).toBeGreaterThan(rev);
      });

      it('treats key order as irrelevant when comparing specs', async () => {
        const m = await newMesh();
        await store.upsert(externalService(m, 'order', 'order.example.com:443'));
        const reordered: Resource = {
          type: 'ExternalService',
          mesh: m,
          name: 'order',
          labels: {},
          spec: { networking: { address: 'order.example.com:443' }, tags: { 'kuma.io/protocol': 'http', 'kuma.io/service': 'order' } },
          version: 0,
        };
        expect((await store.upsert(reordered)).outcome).toBe('unchanged');
      });

      it('honours expectedVersion', async () => {
        const m = await newMesh();
        await store.upsert(externalService(m, 'ev', 'ev.example.com:443'));
        await rejection(store.upsert(externalService(m, 'ev', 'ev.example.com:444'), { expectedVersion: 7 }), 'CONFLICT');
        expect((await store.upsert(externalService(m, 'ev', 'ev.example.com:444'), { expectedVersion: 1 })).resource.version).toBe(2);
        // a missing resource has no version to match
        await rejection(store.upsert(externalService(m, 'ev-new', 'ev-new.example.com:443'), { expectedVersion: 3 }), 'CONFLICT');
        expect(await store.get('ExternalService', m, 'ev-new')).toBeUndefined();
      });

      it('creates once under concurrent upserts of a new resource', async () => {
        const m = await newMesh();
        const results = await Promise.all([
          store.upsert(externalService(m, 'cu', 'cu.example.com:443')),
          store.upsert(externalService(m, 'cu', 'cu.example.com:444')),
        ]);
        expect(results.map((r) => r.outcome).sort()).toEqual(['created', 'updated']);
        expect((await store.get('ExternalService', m, 'cu'))?.version).toBe(2);
      });
    });

    describe('references', () => {
      it('requires the mesh of a mesh-scoped resource to exist', async () => {
        const missing = `no-such-mesh-${uid()}`;
        const err = await rejection(store.create(externalService(missing, 'httpbin', 'httpbin.org:80')), 'INVALID');
        expect(err.fields).toEqual([{ field: 'mesh', reason: `mesh "${missing}" does not exist` }]);
        await rejection(store.upsert(secret(missing, 's')), 'INVALID');
        expect(await store.get('ExternalService', missing, 'httpbin')).toBeUndefined();
      });

      it('requires referenced Secrets to exist in the same mesh', async () => {
        const m = await newMesh();
        const other = await newMesh();
        await store.create(secret(other, 'client-cert'));
        const err = await rejection(store.create(mtlsExternalService(m, 'secure', 'client-cert', 'client-key')), 'INVALID');
        expect(err.fields.map((f) => f.field).sort()).toEqual(['networking.tls.clientCert', 'networking.tls.clientKey']);
        const certErr = err.fields.find((f) => f.field === 'networking.tls.clientCert');
        expect(certErr?.reason).toBe(`Secret "client-cert" in mesh "${m}" does not exist`);

        await store.create(secret(m, 'client-cert'));
        const err2 = await rejection(store.create(mtlsExternalService(m, 'secure', 'client-cert', 'client-key')), 'INVALID');
        expect(err2.fields).toEqual([{ field: 'networking.tls.clientKey', reason: `Secret "client-key" in mesh "${m}" does not exist` }]);

        await store.create(secret(m, 'client-key'));
        const ok = await store.create(mtlsExternalService(m, 'secure', 'client-cert', 'client-key'));
        expect(ok.version).toBe(1);
      });

      it('checks references on update as well', async () => {
        const m = await newMesh();
        await store.create(externalService(m, 'plain', 'plain.example.com:443'));
        const err = await rejection(store.update(mtlsExternalService(m, 'plain', 'cert', 'key')), 'INVALID');
        expect(err.fields.map((f) => f.field)).toContain('networking.tls.clientCert');
        expect((await store.get('ExternalService', m, 'plain'))?.version).toBe(1);
      });

      it('skips reference checks for replicated copies', async () => {
        const absent = `replica-${uid()}`;
        const r = await store.create(mtlsExternalService(absent, 'copy', 'cert', 'key'), { replicated: true, origin: 'global' });
        expect(r.version).toBe(1);
        expect((await store.get('ExternalService', absent, 'copy'))?.version).toBe(1);
      });
    });

    describe('uniqueness', () => {
      it('refuses a second ExternalService with the same address in a mesh, naming the other one', async () => {
        const m = await newMesh();
        await store.create(externalService(m, 'other', 'httpbin.org:443'));
        const err = await rejection(store.create(externalService(m, 'httpbin', 'httpbin.org:443')), 'CONFLICT');
        expect(err.message).toBe(`address "httpbin.org:443" is already used by ExternalService "other" in mesh "${m}"`);
        expect(err.fields).toEqual([{ field: 'networking.address', reason: err.message }]);
        expect(await store.get('ExternalService', m, 'httpbin')).toBeUndefined();
        // host names compare case-insensitively
        await rejection(store.create(externalService(m, 'shouting', 'HTTPBIN.ORG:443')), 'CONFLICT');
        // another port is another address
        expect((await store.create(externalService(m, 'httpbin', 'httpbin.org:80'))).version).toBe(1);
        // and an update onto a taken address is refused too
        await rejection(store.update(externalService(m, 'httpbin', 'httpbin.org:443')), 'CONFLICT');
        expect((await store.get('ExternalService', m, 'httpbin'))?.version).toBe(1);
      });

      it('allows the same address in different meshes', async () => {
        const a = await newMesh();
        const b = await newMesh();
        await store.create(externalService(a, 'httpbin', 'httpbin.org:443'));
        expect((await store.create(externalService(b, 'httpbin', 'httpbin.org:443'))).version).toBe(1);
      });

      it('lets a resource keep its own address, and frees an address on change and on delete', async () => {
        const m = await newMesh();
        await store.create(externalService(m, 'first', 'shared.example.com:443'));
        expect((await store.update({ ...externalService(m, 'first', 'shared.example.com:443'), labels: { a: 'b' } })).version).toBe(2);
        await store.update(externalService(m, 'first', 'moved.example.com:443'));
        expect((await store.create(externalService(m, 'second', 'shared.example.com:443'))).version).toBe(1);
        await rejection(store.create(externalService(m, 'third', 'moved.example.com:443')), 'CONFLICT');
        await store.delete('ExternalService', m, 'first');
        expect((await store.create(externalService(m, 'third', 'moved.example.com:443'))).version).toBe(1);
      });

      it('is race-safe: of two concurrent creates with one address, exactly one succeeds', async () => {
        const m = await newMesh();
        const results = await Promise.allSettled([
          store.create(externalService(m, 'left', 'contended.example.com:443')),
          store.create(externalService(m, 'right', 'contended.example.com:443')),
        ]);
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
        expect(failed).toHaveLength(1);
        const err = failed[0]!.reason as CausewayError;
        expect(err.code).toBe('CONFLICT');
        expect(err.fields[0]?.field).toBe('networking.address');
        expect((await store.list('ExternalService', { mesh: m })).total).toBe(1);
      });

      it('skips uniqueness checks for replicated copies', async () => {
        const m = await newMesh();
        await store.create(externalService(m, 'local', 'dup.example.com:443'));
        const copy = await store.create(externalService(m, 'copy', 'dup.example.com:443'), { replicated: true, origin: 'global' });
        expect(copy.version).toBe(1);
      });
    });

    describe('delete', () => {
      it('deletes and returns the resource; NOT_FOUND when absent; CONFLICT on a stale version', async () => {
        const m = await newMesh();
        await store.create(externalService(m, 'gone', 'gone.example.com:443'));
        await store.update(externalService(m, 'gone', 'gone.example.com:444'));
        await rejection(store.delete('ExternalService', m, 'gone', { expectedVersion: 1 }), 'CONFLICT');
        expect((await store.get('ExternalService', m, 'gone'))?.version).toBe(2);
        const deleted = await store.delete('ExternalService', m, 'gone', { expectedVersion: 2 });
        expect(deleted).toMatchObject({ type: 'ExternalService', mesh: m, name: 'gone', version: 2 });
        expect(await store.get('ExternalService', m, 'gone')).toBeUndefined();
        const err = await rejection(store.delete('ExternalService', m, 'gone'), 'NOT_FOUND');
        expect(err.message).toContain('"gone"');
      });

      it('deleting a Mesh deletes everything in it, with one change event each, and nothing else', async () => {
        const m = await newMesh();
        const keep = await newMesh();
        await store.create(secret(m, 'cert'));
        await store.create(secret(m, 'key'));
        await store.create(mtlsExternalService(m, 'a', 'cert', 'key'));
        await store.create(externalService(m, 'b', 'b.example.com:443'));
        await store.create(externalService(keep, 'b', 'b.example.com:443'));
        const from = await store.revision();
        const feed = collect(store, from);

        const deleted = await store.delete('Mesh', undefined, m);
        expect(deleted).toMatchObject({ type: 'Mesh', name: m, version: 1 });
        expect(await store.get('Mesh', undefined, m)).toBeUndefined();
        expect((await store.list('ExternalService', { mesh: m })).total).toBe(0);
        expect((await store.list('Secret', { mesh: m })).total).toBe(0);
        expect((await store.list('ExternalService', { mesh: keep })).total).toBe(1);

        await waitFor('5 delete events', () => feed.events.length >= 5);
        await sleep(100);
        feed.close();
        expect(feed.events).toHaveLength(5);
        expect(feed.events.every((e) => e.op === 'delete')).toBe(true);
        expect(feed.events.map((e) => `${e.type}/${e.mesh ?? '_'}/${e.name}`).sort()).toEqual(
          [`ExternalService/${m}/a`, `ExternalService/${m}/b`, `Mesh/_/${m}`, `Secret/${m}/cert`, `Secret/${m}/key`].sort(),
        );
        expectStrictlyIncreasing(feed.events);

        // the address of the deleted mesh's service is free again once the mesh is recreated
        await store.create(mesh(m));
        expect((await store.create(externalService(m, 'c', 'b.example.com:443'))).version).toBe(1);
      });
    });

    describe('list', () => {
      it('orders by name, pages with an opaque offset, and counts every match', async () => {
        const m = await newMesh();
        const names = ['delta', 'alpha', 'echo', 'charlie', 'bravo'];
        for (const n of names) await store.create(externalService(m, n));
        const p1 = await store.list('ExternalService', { mesh: m, size: 2 });
        expect(p1.items.map((r) => r.name)).toEqual(['alpha', 'bravo']);
        expect(p1.total).toBe(5);
        expect(p1.next).toEqual(expect.any(String));
        const p2 = await store.list('ExternalService', { mesh: m, size: 2, offset: p1.next! });
        expect(p2.items.map((r) => r.name)).toEqual(['charlie', 'delta']);
        expect(p2.total).toBe(5);
        const p3 = await store.list('ExternalService', { mesh: m, size: 2, offset: p2.next! });
        expect(p3.items.map((r) => r.name)).toEqual(['echo']);
        expect(p3.next).toBeUndefined();
        // an exact last page has no next either
        const all = await store.list('ExternalService', { mesh: m, size: 5 });
        expect(all.items).toHaveLength(5);
        expect(all.next).toBeUndefined();
        expect(all.items[0]).toEqual(await store.get('ExternalService', m, 'alpha'));
      });

      it('defaults to pages of 100 and refuses sizes above 1000', async () => {
        const m = await newMesh();
        await Promise.all(Array.from({ length: 105 }, (_, i) => store.create(externalService(m, `s${String(i).padStart(3, '0')}`))));
        const p1 = await store.list('ExternalService', { mesh: m });
        expect(p1.items).toHaveLength(100);
        expect(p1.total).toBe(105);
        const p2 = await store.list('ExternalService', { mesh: m, offset: p1.next! });
        expect(p2.items.map((r) => r.name)).toEqual(['s100', 's101', 's102', 's103', 's104']);
        expect((await store.list('ExternalService', { mesh: m, size: 1000 })).items).toHaveLength(105);

        const tooBig = await rejection(store.list('ExternalService', { size: 1001 }), 'INVALID');
        expect(tooBig.fields.map((f) => f.field)).toEqual(['size']);
        await rejection(store.list('ExternalService', { size: 0 }), 'INVALID');
        await rejection(store.list('ExternalService', { size: 2.5 }), 'INVALID');
      });

      it('refuses a garbage offset', async () => {
        for (const offset of ['garbage!', 'bm90LWpzb24', Buffer.from('{"a":1}').toString('base64url'), Buffer.from('[1,2]').toString('base64url')]) {
          const err = await rejection(store.list('ExternalService', { offset }), 'INVALID');
          expect(err.fields.map((f) => f.field)).toEqual(['offset']);
        }
      });

      it('orders by mesh, then name, across meshes', async () => {
        const id = uid();
        const b = await newMesh(`b${id}`);
        const a = await newMesh(`a${id}`);
        await store.create(externalService(b, `x-${id}`));
        await store.create(externalService(a, `y-${id}`));
        await store.create(externalService(a, `x-${id}`, `x2-${id}.example.com:443`));
        const page = await store.list('ExternalService', { nameContains: id, size: 2 });
        expect(page.items.map((r) => `${r.mesh}/${r.name}`)).toEqual([`${a}/x-${id}`, `${a}/y-${id}`]);
        expect(page.total).toBe(3);
        const rest = await store.list('ExternalService', { nameContains: id, size: 2, offset: page.next! });
        expect(rest.items.map((r) => `${r.mesh}/${r.name}`)).toEqual([`${b}/x-${id}`]);
        expect(rest.next).toBeUndefined();
      });

      it('filters by name substring (case-insensitive), tags, labels and mesh', async () => {
        const m = await newMesh();
        const other = await newMesh();
        await store.create(
          decodeResource({
            type: 'ExternalService',
            mesh: m,
            name: 'httpbin',
            labels: { team: 'edge', env: 'prod' },
            tags: { 'kuma.io/service': 'httpbin', 'kuma.io/protocol': 'http' },
            networking: { address: 'httpbin.org:80' },
          }),
        );
        await store.create(
          decodeResource({
            type: 'ExternalService',
            mesh: m,
            name: 'httpbin-tls',
            labels: { team: 'edge', env: 'dev' },
            tags: { 'kuma.io/service': 'httpbin-tls', 'kuma.io/protocol': 'tcp' },
            networking: { address: 'httpbin.org:443', tls: { enabled: true } },
          }),
        );
        await store.create(
          decodeResource({
            type: 'ExternalService',
            mesh: m,
            name: 'postgres_db',
            tags: { 'kuma.io/service': 'postgres', 'kuma.io/protocol': 'tcp' },
            networking: { address: 'db.example.com:5432' },
          }),
        );
        await store.create(externalService(other, 'httpbin', 'httpbin.org:80'));

        const names = async (opts: Parameters<ResourceStore['list']>[1]) => (await store.list('ExternalService', { mesh: m, ...opts })).items.map((r) => r.name);
        expect(await names({ nameContains: 'HTTPBIN' })).toEqual(['httpbin', 'httpbin-tls']);
        expect(await names({ nameContains: 'bin-T' })).toEqual(['httpbin-tls']);
        // LIKE wildcards are taken literally
        expect(await names({ nameContains: '_' })).toEqual(['postgres_db']);
        expect(await names({ nameContains: '%' })).toEqual([]);
        expect(await names({ tags: { 'kuma.io/protocol': 'tcp' } })).toEqual(['httpbin-tls', 'postgres_db']);
        expect(await names({ tags: { 'kuma.io/protocol': 'tcp', 'kuma.io/service': 'postgres' } })).toEqual(['postgres_db']);
        expect(await names({ tags: { 'kuma.io/protocol': 'http', 'kuma.io/service': 'postgres' } })).toEqual([]);
        expect(await names({ tags: { 'kuma.io/zone': 'zone-1' } })).toEqual([]);
        expect(await names({ labels: { team: 'edge' } })).toEqual(['httpbin', 'httpbin-tls']);
        expect(await names({ labels: { team: 'edge', env: 'prod' } })).toEqual(['httpbin']);
        expect(await names({ labels: { team: 'core' } })).toEqual([]);
        const filtered = await store.list('ExternalService', { mesh: m, tags: { 'kuma.io/protocol': 'tcp' }, size: 1 });
        expect(filtered.total).toBe(2);
        expect(filtered.items.map((r) => r.name)).toEqual(['httpbin-tls']);
        expect((await store.list('ExternalService', { mesh: m, tags: { 'kuma.io/protocol': 'tcp' }, size: 1, offset: filtered.next! })).items.map((r) => r.name)).toEqual([
          'postgres_db',
        ]);
        // without a mesh filter, both meshes' httpbin show up
        const everywhere = await store.list('ExternalService', { nameContains: 'httpbin', tags: { 'kuma.io/protocol': 'http' }, size: 1000 });
        expect(everywhere.items.filter((r) => r.mesh === m || r.mesh === other).map((r) => r.mesh)).toEqual([m, other].sort());
      });

      it('matches tag filters against any one of the tag sets (Dataplane inbounds)', async () => {
        const m = await newMesh();
        await store.create(
          decodeResource({
            type: 'Dataplane',
            mesh: m,
            name: 'dp-1',
            networking: {
              address: '10.0.0.1',
              inbound: [
                { port: 8080, tags: { 'kuma.io/service': 'web', version: 'v1' } },
                { port: 9090, tags: { 'kuma.io/service': 'metrics' } },
              ],
            },
          }),
        );
        const names = async (tags: Record<string, string>) => (await store.list('Dataplane', { mesh: m, tags })).items.map((r) => r.name);
        expect(await names({ 'kuma.io/service': 'metrics' })).toEqual(['dp-1']);
        expect(await names({ 'kuma.io/service': 'web', version: 'v1' })).toEqual(['dp-1']);
        // both tags must be in the same inbound
        expect(await names({ 'kuma.io/service': 'metrics', version: 'v1' })).toEqual([]);
      });

      it('records origin and zone and filters by them', async () => {
        const m = await newMesh();
        await store.create(externalService(m, 'mine'));
        await store.create(externalService(m, 'from-global'), { replicated: true, origin: 'global' });
        await store.create(externalService(m, 'from-zone'), { replicated: true, origin: 'zone', zone: 'zone-1' });
        const names = async (opts: Parameters<ResourceStore['list']>[1]) => (await store.list('ExternalService', { mesh: m, ...opts })).items.map((r) => r.name);
        expect(await names({ origin: 'local' })).toEqual(['mine']);
        expect(await names({ origin: 'global' })).toEqual(['from-global']);
        expect(await names({ origin: 'zone', zone: 'zone-1' })).toEqual(['from-zone']);
        expect(await names({ zone: 'zone-2' })).toEqual([]);
        // an identical replicated copy is unchanged, but its provenance follows the last writer
        const again = await store.upsert(externalService(m, 'mine'), { replicated: true, origin: 'global' });
        expect(again.outcome).toBe('unchanged');
        expect(await names({ origin: 'global' })).toEqual(['from-global', 'mine']);
      });
    });

    describe('applyBatch', () => {
      const upsert = (resource: Resource, opts?: WriteOptions): BatchOp => ({ op: 'upsert', resource, ...(opts ? { opts } : {}) });

      it('applies upserts and deletes in one go, one change event per change, revisions in item order', async () => {
        const m = await newMesh();
        const b1 = await store.create(externalService(m, 'b'));
        await store.create(externalService(m, 'c'));
        const d1 = await store.create(externalService(m, 'd'));
        const from = await store.revision();
        const results = await store.applyBatch([
          upsert(externalService(m, 'a')),
          upsert(externalService(m, 'b', 'b.example.com:8443')),
          upsert(externalService(m, 'c')),
          { op: 'delete', type: 'ExternalService', mesh: m, name: 'd' },
          upsert(secret(m, 's')),
          { op: 'delete', type: 'ExternalService', mesh: m, name: 'never-was', opts: { ifExists: true } },
        ]);
        expect(results.map((r) => r.outcome)).toEqual(['created', 'updated', 'unchanged', 'deleted', 'created', 'absent']);
        expect(results[0]).toMatchObject({ op: 'upsert', resource: { type: 'ExternalService', mesh: m, name: 'a', version: 1 } });
        expect(results[0]?.op === 'upsert' && results[0].resource.creationTime).toMatch(/^\d{4}-\d\d-\d\dT/);
        expect(results[1]).toMatchObject({ resource: { name: 'b', version: 2 } });
        expect(results[1]?.op === 'upsert' && results[1].resource.creationTime).toBe(b1.creationTime);
        expect(results[2]).toMatchObject({ resource: { name: 'c', version: 1 } });
        expect(results[3]).toEqual({ op: 'delete', outcome: 'deleted', resource: d1 });
        expect(await store.get('ExternalService', m, 'a')).toEqual(results[0]?.op === 'upsert' ? results[0].resource : undefined);
        expect(address(await store.get('ExternalService', m, 'b'))).toBe('b.example.com:8443');
        expect(await store.get('ExternalService', m, 'd')).toBeUndefined();
        expect((await store.get('Secret', m, 's'))?.version).toBe(1);

        // four changes, four consecutive revisions, in the order of the items
        expect(await store.revision()).toBe(from + 4);
        const feed = collect(store, from);
        await waitFor('4 events', () => feed.events.length >= 4);
        feed.close();
        expect(feed.events.map((e) => [e.revision, e.op, e.type, e.name, e.version])).toEqual([
          [from + 1, 'create', 'ExternalService', 'a', 1],
          [from + 2, 'update', 'ExternalService', 'b', 2],
          [from + 3, 'delete', 'ExternalService', 'd', 1],
          [from + 4, 'create', 'Secret', 's', 1],
        ]);
        // the deleted resource's address is free again
        expect((await store.create(externalService(m, 'd2', 'd.example.com:443'))).version).toBe(1);
        expect(await store.applyBatch([])).toEqual([]);
      });

      it('delivers the changes of a batch to a live watcher, in order', async () => {
        const m = await newMesh();
        const from = await store.revision();
        const feed = collect(store, from);
        await sleep(50);
        await store.applyBatch(Array.from({ length: 30 }, (_, i) => upsert(externalService(m, `live-${String(i).padStart(2, '0')}`))));
        await waitFor('30 events', () => feed.events.length >= 30);
        await sleep(100);
        feed.close();
        expect(feed.events).toHaveLength(30);
        expect(feed.events.map((e) => e.name)).toEqual(Array.from({ length: 30 }, (_, i) => `live-${String(i).padStart(2, '0')}`));
        expect(feed.events.map((e) => e.revision)).toEqual(Array.from({ length: 30 }, (_, i) => from + 1 + i));
      });

      it('reports unchanged upserts without a version or change event, and keeps provenance current', async () => {
        const m = await newMesh();
        await store.applyBatch([upsert(externalService(m, 'x')), upsert(secret(m, 'y'))]);
        const rev = await store.revision();
        const again = await store.applyBatch([upsert(externalService(m, 'x')), upsert(secret(m, 'y'))], { replicated: true, origin: 'global' });
        expect(again.map((r) => r.outcome)).toEqual(['unchanged', 'unchanged']);
        expect(again.map((r) => (r.op === 'upsert' ? r.resource.version : 0))).toEqual([1, 1]);
        expect(await store.revision()).toBe(rev);
        expect((await store.list('ExternalService', { mesh: m, origin: 'global' })).items.map((r) => r.name)).toEqual(['x']);
        // key order inside the spec does not matter
        const reordered: Resource = {
          type: 'ExternalService',
          mesh: m,
          name: 'x',
          labels: {},
          spec: { networking: { address: 'x.example.com:443' }, tags: { 'kuma.io/protocol': 'http', 'kuma.io/service': 'x' } },
          version: 0,
        };
        expect((await store.applyBatch([upsert(reordered, { origin: 'global' })]))[0]?.outcome).toBe('unchanged');
        expect(await store.revision()).toBe(rev);
      });

      it('writes nothing when one item fails, and names that item', async () => {
        const m = await newMesh();
        await store.create(externalService(m, 'kept', 'kept.example.com:443'));
        await store.update(externalService(m, 'kept', 'kept.example.com:444'));
        const rev = await store.revision();
        const unchanged = async () => {
          expect(await store.revision()).toBe(rev);
          expect((await store.list('ExternalService', { mesh: m })).items.map((r) => `${r.name}@${r.version}`)).toEqual(['kept@2']);
        };

        // validation: before anything is written, every bad item is reported
        const bad: Resource = { type: 'ExternalService', mesh: m, name: 'bad', labels: {}, spec: { tags: { 'kuma.io/service': 'bad' }, networking: { address: 'nope' } }, version: 0 };
        const invalidErr = await batchRejection(
          store.applyBatch([upsert(externalService(m, 'fresh')), upsert(externalService(m, 'kept', 'kept.example.com:445')), upsert(bad), upsert({ ...bad, name: 'Bad!' })]),
          'INVALID',
        );
        expect(invalidErr.index).toBe(2);
        expect(invalidErr.fields.map((f) => f.field)).toEqual(['networking.address']);
        expect(invalidErr.message).toMatch(/^batch item 2: /);
        expect(invalidErr.failures.map((f) => f.index)).toEqual([2, 3]);
        await unchanged();

        // a stale version, found inside the transaction, rolls back the items before it
        const stale = await batchRejection(
          store.applyBatch([upsert(externalService(m, 'fresh')), upsert(externalService(m, 'kept', 'kept.example.com:445'), { expectedVersion: 1 })]),
          'CONFLICT',
        );
        expect(stale.index).toBe(1);
        expect(stale.message).toContain('stored version is 2');
        await unchanged();

        // deleting a missing resource, unless ifExists
        const missing = await batchRejection(store.applyBatch([upsert(externalService(m, 'fresh')), { op: 'delete', type: 'Secret', mesh: m, name: 'ghost' }]), 'NOT_FOUND');
        expect(missing.index).toBe(1);
        expect(missing.message).toContain('"ghost"');
        await unchanged();
        await batchRejection(store.applyBatch([upsert(externalService(m, 'fresh')), { op: 'delete', type: 'ExternalService', mesh: m, name: 'kept', opts: { expectedVersion: 1 } }]), 'CONFLICT');
        await unchanged();

        // one key twice in one batch
        const twice = await batchRejection(store.applyBatch([upsert(externalService(m, 'kept')), { op: 'delete', type: 'ExternalService', mesh: m, name: 'kept' }]), 'INVALID');
        expect(twice.index).toBe(1);
        expect(twice.fields[0]?.reason).toContain('also item 0');
        // a mesh-scoped delete without a mesh
        expect((await batchRejection(store.applyBatch([{ op: 'delete', type: 'Secret', name: 'x' }]), 'INVALID')).fields[0]?.field).toBe('mesh');
        await unchanged();
      });

      it('checks references and uniqueness of non-replicated items against the state the batch leaves', async () => {
        const m = await newMesh();
        const rev0 = await store.revision();
        // a missing mesh
        const noMesh = `no-such-mesh-${uid()}`;
        const meshErr = await batchRejection(store.applyBatch([upsert(secret(m, 'ok')), upsert(externalService(noMesh, 'lost'))]), 'INVALID');
        expect(meshErr.index).toBe(1);
        expect(meshErr.fields).toEqual([{ field: 'mesh', reason: `mesh "${noMesh}" does not exist` }]);
        // missing secrets
        const refErr = await batchRejection(store.applyBatch([upsert(secret(m, 'cert')), upsert(mtlsExternalService(m, 'secure', 'cert', 'key'))]), 'INVALID');
        expect(refErr.index).toBe(1);
        expect(refErr.fields).toEqual([{ field: 'networking.tls.clientKey', reason: `Secret "key" in mesh "${m}" does not exist` }]);
        expect(await store.revision()).toBe(rev0);
        // referrer first, referenced later in the same batch: fine
        const ok = await store.applyBatch([upsert(mtlsExternalService(m, 'secure', 'cert', 'key')), upsert(secret(m, 'cert')), upsert(secret(m, 'key'))]);
        expect(ok.map((r) => r.outcome)).toEqual(['created', 'created', 'created']);
        // a Mesh and what lives in it, in one batch
        const newMeshName = `bm-${uid()}`;
        await store.applyBatch([upsert(externalService(newMeshName, 'inside')), upsert(mesh(newMeshName))]);
        expect((await store.get('ExternalService', newMeshName, 'inside'))?.version).toBe(1);

        // two items claiming one address: the later one fails, naming the earlier
        await store.create(externalService(m, 'holder', 'held.example.com:443'));
        const rev1 = await store.revision();
        const dup = await batchRejection(
          store.applyBatch([upsert(externalService(m, 'one', 'same.example.com:443')), upsert(externalService(m, 'two', 'SAME.example.com:443'))]),
          'CONFLICT',
        );
        expect(dup.index).toBe(1);
        expect(dup.message).toBe(`batch item 1: address "SAME.example.com:443" is already used by ExternalService "one" in mesh "${m}"`);
        expect(dup.fields).toEqual([{ field: 'networking.address', reason: `address "SAME.example.com:443" is already used by ExternalService "one" in mesh "${m}"` }]);
        // an address held outside the batch
        const held = await batchRejection(store.applyBatch([upsert(externalService(m, 'three')), upsert(externalService(m, 'four', 'held.example.com:443'))]), 'CONFLICT');
        expect(held.index).toBe(1);
        expect(held.message).toContain('ExternalService "holder"');
        expect(await store.revision()).toBe(rev1);
        expect(await store.get('ExternalService', m, 'one')).toBeUndefined();
        expect(await store.get('ExternalService', m, 'three')).toBeUndefined();

        // moving an address from one resource to another inside a batch, and swapping two
        await store.create(externalService(m, 'p', 'p.example.com:443'));
        await store.create(externalService(m, 'q', 'q.example.com:443'));
        await store.applyBatch([upsert(externalService(m, 'newcomer', 'held.example.com:443')), { op: 'delete', type: 'ExternalService', mesh: m, name: 'holder' }]);
        await store.applyBatch([upsert(externalService(m, 'p', 'q.example.com:443')), upsert(externalService(m, 'q', 'p.example.com:443'))]);
        expect(address(await store.get('ExternalService', m, 'p'))).toBe('q.example.com:443');
        expect(address(await store.get('ExternalService', m, 'q'))).toBe('p.example.com:443');
        await rejection(store.create(externalService(m, 'r', 'p.example.com:443')), 'CONFLICT');
        await rejection(store.create(externalService(m, 'r', 'held.example.com:443')), 'CONFLICT');
        expect((await store.create(externalService(m, 'r', 'r.example.com:443'))).version).toBe(1);

        // replicated items skip both checks (the owner enforced them), and still claim free keys
        const copies = await store.applyBatch(
          [upsert(externalService(m, 'copy-1', 'dup.example.com:443')), upsert(externalService(m, 'copy-2', 'dup.example.com:443')), upsert(mtlsExternalService(`absent-${uid()}`, 'copy-3', 'c', 'k'))],
          { replicated: true, origin: 'global' },
        );
        expect(copies.map((r) => r.outcome)).toEqual(['created', 'created', 'created']);
        const clash = await rejection(store.create(externalService(m, 'local', 'dup.example.com:443')), 'CONFLICT');
        expect(clash.message).toContain('"copy-1"');
      });

      it('runs a Mesh delete in its place: it takes along what the items before it wrote', async () => {
        const m = await newMesh();
        await store.create(externalService(m, 'old'));
        const from = await store.revision();
        const results = await store.applyBatch([
          upsert(externalService(m, 'new')),
          { op: 'delete', type: 'Mesh', name: m },
          { op: 'delete', type: 'ExternalService', mesh: m, name: 'old', opts: { ifExists: true } },
          upsert(externalService(m, 'orphan-copy'), { replicated: true, origin: 'global' }),
        ]);
        expect(results.map((r) => r.outcome)).toEqual(['created', 'deleted', 'absent', 'created']);
        expect(await store.get('Mesh', undefined, m)).toBeUndefined();
        expect((await store.list('ExternalService', { mesh: m })).items.map((r) => r.name)).toEqual(['orphan-copy']);
        const feed = collect(store, from);
        await waitFor('5 events', () => feed.events.length >= 5);
        feed.close();
        expect(feed.events.map((e) => `${e.op} ${e.type} ${e.name}`)).toEqual([
          'create ExternalService new',
          'delete ExternalService new',
          'delete ExternalService old',
          `delete Mesh ${m}`,
          'create ExternalService orphan-copy',
        ]);
        expectStrictlyIncreasing(feed.events);
        // after the Mesh delete, a non-replicated write into it is refused
        const m2 = await newMesh();
        const err = await batchRejection(store.applyBatch([{ op: 'delete', type: 'Mesh', name: m2 }, upsert(secret(m2, 's'))]), 'INVALID');
        expect(err.index).toBe(1);
        expect(await store.get('Mesh', undefined, m2)).toBeDefined();
      });

      it('applies a batch of 1,000 items: creates, then unchanged, then updates that move every address', async () => {
        const m = await newMesh();
        const n = 1000;
        const name = (i: number) => `bulk-${String(i).padStart(4, '0')}`;
        const from = await store.revision();
        const created = await store.applyBatch(Array.from({ length: n }, (_, i) => upsert(externalService(m, name(i), `${name(i)}.example.com:443`))));
        expect(created.every((r) => r.outcome === 'created')).toBe(true);
        expect(await store.revision()).toBe(from + n);
        expect((await store.list('ExternalService', { mesh: m, size: 1000 })).total).toBe(n);

        const again = await store.applyBatch(Array.from({ length: n }, (_, i) => upsert(externalService(m, name(i), `${name(i)}.example.com:443`))));
        expect(again.every((r) => r.outcome === 'unchanged')).toBe(true);
        expect(await store.revision()).toBe(from + n);

        // every service takes the address of the next one: only valid as a whole
        const moved = await store.applyBatch(Array.from({ length: n }, (_, i) => upsert(externalService(m, name(i), `${name((i + 1) % n)}.example.com:443`))));
        expect(moved.every((r) => r.outcome === 'updated' && r.resource.version === 2)).toBe(true);
        expect(address(await store.get('ExternalService', m, name(n - 1)))).toBe(`${name(0)}.example.com:443`);
        const feed = collect(store, from);
        await waitFor(`${2 * n} events`, () => feed.events.length >= 2 * n);
        feed.close();
        expect(feed.events.map((e) => e.revision)).toEqual(Array.from({ length: 2 * n }, (_, i) => from + 1 + i));
        expect(feed.events.slice(n).map((e) => `${e.op} ${e.name} ${e.version}`)).toEqual(Array.from({ length: n }, (_, i) => `update ${name(i)} 2`));

        // in a large batch too, of two items claiming one address the later one fails
        const clash = await batchRejection(
          store.applyBatch(Array.from({ length: 40 }, (_, i) => upsert(externalService(m, `extra-${i}`, i === 39 ? 'extra-3.example.com:443' : `extra-${i}.example.com:443`)))),
          'CONFLICT',
        );
        expect(clash.index).toBe(39);
        expect(clash.message).toContain('ExternalService "extra-3"');
        expect(await store.get('ExternalService', m, 'extra-0')).toBeUndefined();

        const gone = await store.applyBatch(Array.from({ length: n }, (_, i) => ({ op: 'delete', type: 'ExternalService', mesh: m, name: name(i) }) as BatchOp));
        expect(gone.every((r) => r.outcome === 'deleted')).toBe(true);
        expect((await store.list('ExternalService', { mesh: m })).total).toBe(0);
        expect((await store.create(externalService(m, 'reuse', `${name(5)}.example.com:443`))).version).toBe(1);
      });

      it('serializes concurrent batches on the same keys: one creates, the other updates', async () => {
        const m = await newMesh();
        const names = Array.from({ length: 40 }, (_, i) => `c-${i}`);
        const [a, b] = await Promise.all([
          store.applyBatch(names.map((n) => upsert(externalService(m, n, `${n}.example.com:1`)))),
          store.applyBatch([...names].reverse().map((n) => upsert(externalService(m, n, `${n}.example.com:2`)))),
        ]);
        const outcomes = [a!.map((r) => r.outcome), b!.map((r) => r.outcome)].map((o) => [...new Set(o)].join());
        expect(outcomes.sort()).toEqual(['created', 'updated']);
        const stored = (await store.list('ExternalService', { mesh: m, size: 100 })).items;
        expect(stored).toHaveLength(40);
        expect(stored.every((r) => r.version === 2)).toBe(true);
        // whichever batch ran last wrote every resource
        expect(new Set(stored.map((r) => address(r)?.split(':')[1])).size).toBe(1);
      });
    });

    describe('change feed', () => {
      it('reports revision 0 for an empty store', async () => {
        const empty = await open();
        expect(await empty.revision()).toBe(0);
        expect((await empty.list('Mesh')).total).toBe(0);
        await empty.create(mesh('default'));
        expect(await empty.revision()).toBe(1);
      });

      it('delivers the backlog, then live changes, in order and exactly once', async () => {
        const m = await newMesh();
        const from = await store.revision();
        await store.create(externalService(m, 'httpbin', 'httpbin.org:80'));
        await store.update(externalService(m, 'httpbin', 'httpbin.org:443'));
        await store.create(secret(m, 's1'));
        const feed = collect(store, from);
        await waitFor('the backlog', () => feed.events.length >= 3);
        expect(feed.events.map((e) => [e.op, e.type, e.mesh, e.name, e.version])).toEqual([
          ['create', 'ExternalService', m, 'httpbin', 1],
          ['update', 'ExternalService', m, 'httpbin', 2],
          ['create', 'Secret', m, 's1', 1],
        ]);
        expect(feed.events[0]!.revision).toBe(from + 1);

        await store.upsert(externalService(m, 'httpbin', 'httpbin.org:443')); // unchanged: no event
        await store.delete('ExternalService', m, 'httpbin');
        await store.create(mesh(`late-${uid()}`));
        await waitFor('live changes', () => feed.events.length >= 5);
        await sleep(200);
        feed.close();
        expect(feed.events).toHaveLength(5);
        expect(feed.events[3]).toMatchObject({ op: 'delete', type: 'ExternalService', mesh: m, name: 'httpbin', version: 2 });
        expect(feed.events[4]).toMatchObject({ op: 'create', type: 'Mesh', version: 1 });
        expect(feed.events[4]!.mesh).toBeUndefined();
        expectStrictlyIncreasing(feed.events);
        expect(feed.events[4]!.revision).toBe(await store.revision());
      });

      it('starts after fromRevision and stops at close()', async () => {
        const m = await newMesh();
        await store.create(externalService(m, 'old'));
        const from = await store.revision();
        const feed = collect(store, from);
        await store.create(externalService(m, 'new'));
        await waitFor('the new change', () => feed.events.length >= 1);
        feed.close();
        await store.create(externalService(m, 'after-close'));
        await sleep(200);
        expect(feed.events.map((e) => e.name)).toEqual(['new']);
      });

      it('keeps every change of a burst of concurrent writes, once each, in revision order', async () => {
        const m = await newMesh();
        const from = await store.revision();
        const feed = collect(store, from);
        const n = 40;
        await Promise.all(Array.from({ length: n }, (_, i) => store.create(externalService(m, `burst-${i}`))));
        await waitFor(`${n} events`, () => feed.events.length >= n);
        await sleep(200);
        feed.close();
        expect(feed.events).toHaveLength(n);
        expectStrictlyIncreasing(feed.events);
        expect(new Set(feed.events.map((e) => e.name)).size).toBe(n);
        expect(feed.events.at(-1)!.revision).toBe(await store.revision());
      });

      it('keeps delivering when a watcher throws', async () => {
        const m = await newMesh();
        const seen: string[] = [];
        const sub = store.watch(await store.revision(), (e) => {
          seen.push(e.name);
          if (e.name === 'boom') throw new Error('watcher bug');
        });
        await store.create(externalService(m, 'boom'));
        await store.create(externalService(m, 'fine'));
        await waitFor('both events', () => seen.length >= 2);
        sub.close();
        expect(seen).toEqual(['boom', 'fine']);
      });

      it('prunes old changes but keeps the latest revision', async () => {
        const small = await open({ pruneIntervalMs: 50, changeRetention: { maxRows: 3 } });
        await small.create(mesh('default'));
        for (let i = 0; i < 9; i++) await small.create(externalService('default', `p${i}`));
        expect(await small.revision()).toBe(10);
        await sleep(300);
        const feed = collect(small, 0);
        await waitFor('the retained changes', () => feed.events.length >= 3);
        await sleep(100);
        feed.close();
        expect(feed.events.map((e) => e.revision)).toEqual([8, 9, 10]);
        expect(await small.revision()).toBe(10);
      });

      it.runIf(factory.peer)('delivers changes written by another store on the same database', async () => {
        const peer = await factory.peer!(store, LIVE_ONLY);
        opened.push(peer);
        const m = await newMesh();
        const from = await store.revision();
        expect(await peer.revision()).toBe(from);
        const mine = collect(store, from);
        const theirs = collect(peer, from);

        await peer.create(externalService(m, 'from-peer'));
        await store.create(externalService(m, 'from-me'));
        await peer.delete('ExternalService', m, 'from-me');
        await waitFor('3 events on both', () => mine.events.length >= 3 && theirs.events.length >= 3);
        await sleep(200);
        mine.close();
        theirs.close();
        expect(mine.events).toEqual(theirs.events);
        expect(mine.events.map((e) => `${e.op} ${e.name}`)).toEqual(['create from-peer', 'create from-me', 'delete from-me']);
        expect((await store.get('ExternalService', m, 'from-peer'))?.version).toBe(1);
        // uniqueness holds across stores, too
        await rejection(store.create(externalService(m, 'dup', 'from-peer.example.com:443')), 'CONFLICT');
        expect(await peer.revision()).toBe(await store.revision());
      });
    });
    describe('leases', () => {
      it('gives a lease to one holder at a time, renews it keeping acquiredAt, and refuses another until it expires', async () => {
        const name = `lease-${uid()}`;
        expect(await store.leases.get(name)).toBeUndefined();
        const first = await store.leases.acquire(name, 'a', 60_000);
        expect(first.acquired).toBe(true);
        expect(first.lease?.holder).toBe('a');
        const ttl = first.lease!.expiresAt.getTime() - first.lease!.renewedAt.getTime();
        expect(ttl).toBeGreaterThanOrEqual(59_900);
        expect(ttl).toBeLessThanOrEqual(60_100);

        const other = await store.leases.acquire(name, 'b', 60_000);
        expect(other.acquired).toBe(false);
        expect(other.lease?.holder).toBe('a');
        expect(other.lease?.expiresAt).toEqual(first.lease?.expiresAt);

        await sleep(20);
        const renewed = await store.leases.acquire(name, 'a', 60_000);
        expect(renewed.acquired).toBe(true);
        expect(renewed.lease?.acquiredAt).toEqual(first.lease?.acquiredAt);
        expect(renewed.lease!.expiresAt.getTime()).toBeGreaterThan(first.lease!.expiresAt.getTime());
        expect(await store.leases.get(name)).toEqual(renewed.lease);
      });

      it('lets another holder take an expired lease, with a new acquiredAt', async () => {
        const name = `lease-${uid()}`;
        const a = await store.leases.acquire(name, 'a', 50);
        expect(a.acquired).toBe(true);
        await sleep(120);
        const b = await store.leases.acquire(name, 'b', 60_000);
        expect(b.acquired).toBe(true);
        expect(b.lease?.holder).toBe('b');
        expect(b.lease!.acquiredAt.getTime()).toBeGreaterThan(a.lease!.acquiredAt.getTime());
        // The old holder's renewal is refused now.
        expect((await store.leases.acquire(name, 'a', 60_000)).acquired).toBe(false);
      });

      it('releases only the holder\'s own lease; a released lease is free at once', async () => {
        const name = `lease-${uid()}`;
        await store.leases.acquire(name, 'a', 60_000);
        expect(await store.leases.release(name, 'b')).toBe(false);
        expect((await store.leases.get(name))?.holder).toBe('a');
        expect(await store.leases.release(name, 'a')).toBe(true);
        expect(await store.leases.get(name)).toBeUndefined();
        expect(await store.leases.release(name, 'a')).toBe(false);
        expect((await store.leases.acquire(name, 'b', 60_000)).acquired).toBe(true);
      });

      it('keeps leases of different names apart', async () => {
        const x = `lease-${uid()}`;
        const y = `lease-${uid()}`;
        expect((await store.leases.acquire(x, 'a', 60_000)).acquired).toBe(true);
        expect((await store.leases.acquire(y, 'b', 60_000)).acquired).toBe(true);
        expect((await store.leases.get(x))?.holder).toBe('a');
        expect((await store.leases.get(y))?.holder).toBe('b');
      });

      it('of many concurrent attempts on a free lease, exactly one wins', async () => {
        const name = `lease-${uid()}`;
        const results = await Promise.all(['a', 'b', 'c', 'd', 'e', 'f'].map((h) => store.leases.acquire(name, h, 60_000)));
        const winners = results.filter((r) => r.acquired);
        expect(winners).toHaveLength(1);
        for (const r of results) expect(r.lease?.holder).toBe(winners[0]!.lease?.holder);
      });

      it('refuses bad arguments naming the field', async () => {
        expect((await rejection(store.leases.acquire('', 'a', 1000), 'INVALID')).fields?.map((f) => f.field)).toEqual(['name']);
        expect((await rejection(store.leases.acquire('x', '', 1000), 'INVALID')).fields?.map((f) => f.field)).toEqual(['holder']);
        expect((await rejection(store.leases.acquire('x', 'a', 0), 'INVALID')).fields?.map((f) => f.field)).toEqual(['ttlMs']);
        expect((await rejection(store.leases.acquire('x', 'a', 1.5), 'INVALID')).fields?.map((f) => f.field)).toEqual(['ttlMs']);
      });

      it.runIf(factory.peer)('is shared by stores on the same database (two processes)', async () => {
        const peer = await factory.peer!(store);
        opened.push(peer);
        const name = `lease-${uid()}`;
        expect((await store.leases.acquire(name, 'a', 60_000)).acquired).toBe(true);
        const theirs = await peer.leases.acquire(name, 'b', 60_000);
        expect(theirs.acquired).toBe(false);
        expect(theirs.lease?.holder).toBe('a');
        expect(await store.leases.release(name, 'a')).toBe(true);
        expect((await peer.leases.acquire(name, 'b', 60_000)).acquired).toBe(true);
      });
    });
    describe('shared keys', () => {
      it('keeps the first value written under a name and returns it to later writers', async () => {
        const name = `key-${uid()}`;
        expect(await store.keys.get(name)).toBeUndefined();
        expect(await store.keys.putIfAbsent(name, 'first')).toBe('first');
        expect(await store.keys.putIfAbsent(name, 'second')).toBe('first');
        expect(await store.keys.get(name)).toBe('first');
        const other = `key-${uid()}`;
        expect(await store.keys.putIfAbsent(other, 'other')).toBe('other');
        expect(await store.keys.get(name)).toBe('first');
      });

      it('gives one value to concurrent writers', async () => {
        const name = `key-${uid()}`;
        const got = await Promise.all(['a', 'b', 'c', 'd'].map((v) => store.keys.putIfAbsent(name, v)));
        expect(new Set(got).size).toBe(1);
        expect(await store.keys.get(name)).toBe(got[0]);
      });

      it('rejects a bad name or value, naming the field', async () => {
        expect((await rejection(store.keys.putIfAbsent('', 'v'), 'INVALID')).fields?.map((f) => f.field)).toEqual(['name']);
        expect((await rejection(store.keys.putIfAbsent('n', ''), 'INVALID')).fields?.map((f) => f.field)).toEqual(['value']);
        expect((await rejection(store.keys.get(''), 'INVALID')).fields?.map((f) => f.field)).toEqual(['name']);
      });

      it.runIf(factory.peer)('is shared by stores on the same database (two processes)', async () => {
        const peer = await factory.peer!(store);
        opened.push(peer);
        const name = `key-${uid()}`;
        const [mine, theirs] = await Promise.all([store.keys.putIfAbsent(name, 'mine'), peer.keys.putIfAbsent(name, 'theirs')]);
        expect(mine).toBe(theirs);
        expect(await peer.keys.get(name)).toBe(mine);
      });
    });
  });
}
