/**
 * Zone mode: the keys every replica of a zone's control plane must share — the token signing key (a
 * token issued by one replica is valid on the others) and the CA of the xDS server (a proxy trusts every
 * replica's server certificate) — live in the zone's store (`store.keys`), created once: the first
 * replica to start writes them, the others read them.
 *
 * The files of a single-process zone (`<dir>/zone-signing-key.pem`, `<dir>/xds-ca.pem` and
 * `<dir>/xds-ca-key.pem`) keep working: a key file that exists when the store holds no key yet is
 * imported (so an upgraded zone keeps its key, and a zone on an in-memory store keeps it across
 * restarts); a missing file is written from the store. When both exist and differ, the store wins: the
 * key file is left alone with a warning, and the CA certificate file (the one proxies are told to trust)
 * is rewritten from the store.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createCaCertificate, createSigningKey, type KeyPairPem } from '@causeway/pki';
import type { ResourceStore } from '@causeway/store';
import type { Logger } from 'pino';
import { writePrivateFile } from './private-files.js';

export function signingKeyName(zone: string): string {
  return `zone/${zone}/token-signing-key`;
}

export function xdsCaName(zone: string): string {
  return `zone/${zone}/xds-ca`;
}

type Origin = 'store' | 'imported' | 'created';

/** The zone's token signing key (PKCS#8 PEM), shared through the store. */
export async function sharedSigningKey(store: ResourceStore, zone: string, dir: string, log: Logger): Promise<{ keyPem: string; origin: Origin }> {
  const file = join(dir, 'zone-signing-key.pem');
  const name = signingKeyName(zone);
  let keyPem = await store.keys.get(name);
  let origin: Origin = 'store';
  if (keyPem === undefined) {
    const fromFile = existsSync(file) ? checkKey(readFileSync(file, 'utf8'), file) : undefined;
    const mine = fromFile ?? createSigningKey();
    keyPem = await store.keys.putIfAbsent(name, mine);
    origin = keyPem !== mine ? 'store' : fromFile !== undefined ? 'imported' : 'created';
  }
  checkKey(keyPem, `store key ${name}`);
  if (!existsSync(file)) writePrivateFile(file, keyPem, { exclusive: true });
  else if (readFileSync(file, 'utf8') !== keyPem) log.warn({ file, key: name }, 'the signing key file differs from the zone\'s shared key in the store: using the store\'s (the file is left as it is)');
  return { keyPem, origin };
}

/** The CA of the zone's xDS server, shared through the store; its certificate is (re)written to `<dir>/xds-ca.pem`. */
export async function sharedXdsCa(store: ResourceStore, zone: string, dir: string, log: Logger): Promise<{ ca: KeyPairPem; caFile: string; origin: Origin }> {
  const caFile = join(dir, 'xds-ca.pem');
  const keyFile = join(dir, 'xds-ca-key.pem');
  const name = xdsCaName(zone);
  let stored = await store.keys.get(name);
  let origin: Origin = 'store';
  if (stored === undefined) {
    let mine: KeyPairPem;
    let fromFiles = false;
    if (existsSync(caFile) && existsSync(keyFile)) {
      mine = parseCa(JSON.stringify({ certPem: readFileSync(caFile, 'utf8'), keyPem: readFileSync(keyFile, 'utf8') }), `${caFile} and ${keyFile}`);
      fromFiles = true;
    } else {
      const now = Date.now();
      mine = await createCaCertificate({ commonName: `Causeway zone ${zone} xDS CA`, notBefore: new Date(now - 60_000), notAfter: new Date(now + 10 * 365 * 86_400_000) });
    }
    const text = JSON.stringify(mine);
    stored = await store.keys.putIfAbsent(name, text);
    origin = stored !== text ? 'store' : fromFiles ? 'imported' : 'created';
  }
  const ca = parseCa(stored, `store key ${name}`);
  if (!existsSync(keyFile)) writePrivateFile(keyFile, ca.keyPem, { exclusive: true });
  else if (readFileSync(keyFile, 'utf8') !== ca.keyPem) log.warn({ file: keyFile, key: name }, 'the xDS CA key file differs from the zone\'s shared CA in the store: using the store\'s (the file is left as it is)');
  if (!existsSync(caFile) || readFileSync(caFile, 'utf8') !== ca.certPem) {
    if (existsSync(caFile)) log.warn({ file: caFile, key: name }, 'the xDS CA file differed from the zone\'s shared CA in the store: rewritten from the store');
    writeFileSync(caFile, ca.certPem, { mode: 0o644 });
  }
  return { ca, caFile, origin };
}

function checkKey(keyPem: string, where: string): string {
  try {
    createPrivateKey(keyPem);
  } catch (e) {
    throw new Error(`the zone token signing key (${where}) is not a private key: ${(e as Error).message}`);
  }
  return keyPem;
}

function parseCa(text: string, where: string): KeyPairPem {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new Error(`the xDS CA (${where}) is not JSON: ${(e as Error).message}`);
  }
  const ca = v as Partial<KeyPairPem>;
  if (typeof ca?.certPem !== 'string' || typeof ca.keyPem !== 'string') throw new Error(`the xDS CA (${where}) must hold certPem and keyPem strings`);
  try {
    new X509Certificate(ca.certPem);
    createPrivateKey(ca.keyPem);
  } catch (e) {
    throw new Error(`the xDS CA (${where}) is not a certificate and its private key: ${(e as Error).message}`);
  }
  return { certPem: ca.certPem, keyPem: ca.keyPem };
}
