import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCaCertificate, createSigningKey } from '@causeway/pki';
import { openStore, type ResourceStore } from '@causeway/store';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedSigningKey, sharedXdsCa, signingKeyName, xdsCaName } from './shared-keys.js';

const log = pino({ level: 'silent' });

describe('the zone keys shared through the store', () => {
  const dir = mkdtempSync(join(tmpdir(), 'causeway-cp-keys-'));
  let store: ResourceStore;
  beforeAll(async () => {
    store = await openStore({});
  });
  afterAll(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function replicaDir(name: string): string {
    const d = join(dir, name);
    mkdirSync(d, { recursive: true });
    return d;
  }

  it('gives every replica the key and CA the first one created, and writes each replica\'s files from the store', async () => {
    const a = replicaDir('a');
    const b = replicaDir('b');
    const [keyA, keyB] = await Promise.all([sharedSigningKey(store, 'z1', a, log), sharedSigningKey(store, 'z1', b, log)]);
    expect(keyA.keyPem).toBe(keyB.keyPem);
    expect([keyA.origin, keyB.origin].sort()).toEqual(['created', 'store']);
    expect(await store.keys.get(signingKeyName('z1'))).toBe(keyA.keyPem);
    expect(readFileSync(join(b, 'zone-signing-key.pem'), 'utf8')).toBe(keyA.keyPem);
    expect(statSync(join(b, 'zone-signing-key.pem')).mode & 0o777).toBe(0o600);

    const [caA, caB] = await Promise.all([sharedXdsCa(store, 'z1', a, log), sharedXdsCa(store, 'z1', b, log)]);
    expect(caA.ca).toEqual(caB.ca);
    expect(readFileSync(caB.caFile, 'utf8')).toBe(caA.ca.certPem);
    expect(readFileSync(join(b, 'xds-ca-key.pem'), 'utf8')).toBe(caA.ca.keyPem);
    // Another zone on the same database has its own.
    const other = await sharedSigningKey(store, 'z2', replicaDir('other'), log);
    expect(other.keyPem).not.toBe(keyA.keyPem);
  });

  it('imports the files of a single-process zone once; afterwards the store wins and the CA file is rewritten from it', async () => {
    const old = replicaDir('old');
    const keyPem = createSigningKey();
    const now = Date.now();
    const ca = await createCaCertificate({ commonName: 'old CA', notBefore: new Date(now - 60_000), notAfter: new Date(now + 86_400_000) });
    writeFileSync(join(old, 'zone-signing-key.pem'), keyPem);
    writeFileSync(join(old, 'xds-ca.pem'), ca.certPem);
    writeFileSync(join(old, 'xds-ca-key.pem'), ca.keyPem);
    expect(await sharedSigningKey(store, 'z3', old, log)).toEqual({ keyPem, origin: 'imported' });
    expect((await sharedXdsCa(store, 'z3', old, log)).ca).toEqual(ca);
    expect(JSON.parse((await store.keys.get(xdsCaName('z3'))) ?? '{}')).toEqual(ca);

    // A replica with stale files of its own: the store's key is used, its stale CA file replaced.
    const stale = replicaDir('stale');
    const staleCa = await createCaCertificate({ commonName: 'stale CA', notBefore: new Date(now - 60_000), notAfter: new Date(now + 86_400_000) });
    writeFileSync(join(stale, 'zone-signing-key.pem'), createSigningKey());
    writeFileSync(join(stale, 'xds-ca.pem'), staleCa.certPem);
    writeFileSync(join(stale, 'xds-ca-key.pem'), staleCa.keyPem);
    expect(await sharedSigningKey(store, 'z3', stale, log)).toEqual({ keyPem, origin: 'store' });
    const got = await sharedXdsCa(store, 'z3', stale, log);
    expect(got.ca).toEqual(ca);
    expect(readFileSync(join(stale, 'xds-ca.pem'), 'utf8')).toBe(ca.certPem);
    expect(readFileSync(join(stale, 'xds-ca-key.pem'), 'utf8')).toBe(staleCa.keyPem);
  });

  it('refuses a corrupt key file or stored CA, naming where it came from', async () => {
    const bad = replicaDir('bad');
    writeFileSync(join(bad, 'zone-signing-key.pem'), 'not a key');
    await expect(sharedSigningKey(store, 'z4', bad, log)).rejects.toThrow(/zone-signing-key\.pem\) is not a private key/);
    expect(await store.keys.get(signingKeyName('z4'))).toBeUndefined();
    await store.keys.putIfAbsent(xdsCaName('z5'), '{"certPem":"x"}');
    await expect(sharedXdsCa(store, 'z5', replicaDir('bad-ca'), log)).rejects.toThrow(/store key zone\/z5\/xds-ca\) must hold certPem and keyPem/);
    expect(existsSync(join(dir, 'bad-ca', 'xds-ca.pem'))).toBe(false);
  });
});
