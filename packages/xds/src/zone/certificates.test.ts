/**
 * Certificates answer every proxy on every pass: while the mesh CA (the mirror's same object), the URIs
 * and the certificate are unchanged and not due, the answer is the last one (the same object, no new
 * issue); a new CA, other URIs, a certificate due or a forgotten proxy get a new certificate.
 */
import type { Resource } from '@causeway/core';
import { createMeshCa, type KeyPairPem } from '@causeway/pki';
import { describe, expect, it } from 'vitest';
import { Certificates } from './certificates.js';
import type { StoreMirror } from './mirror.js';
import type { ProxyState } from './proxies.js';

const mesh = { type: 'Mesh', name: 'm', labels: {}, version: 1, spec: { mtls: { enabledBackend: 'ca-1', backends: [{ name: 'ca-1', type: 'builtin', dpCert: { rotation: { expiration: '10s' } } }] } } } as unknown as Resource<'Mesh'>;

describe('Certificates', () => {
  it('keeps the answer while nothing it depends on changed, and issues again when something did', async () => {
    let ca: KeyPairPem = await createMeshCa('m', { name: 'ca-1', type: 'builtin' });
    const mirror = { get: () => mesh, meshCa: () => ca } as unknown as StoreMirror;
    let now = Date.now();
    const certs = new Certificates(mirror, () => new Date(now));
    const p = {} as ProxyState;
    const uris = ['spiffe://m/web'];
    const first = await certs.identity(p, 'm', uris, 'Dataplane/m/web-1');
    expect(await certs.identity(p, 'm', [...uris], 'Dataplane/m/web-1')).toBe(first);
    // Other URIs: a new certificate.
    const other = await certs.identity(p, 'm', ['spiffe://m/api'], 'Dataplane/m/web-1');
    expect(other?.certPem).not.toBe(first?.certPem);
    // A new mesh CA (a new object from the mirror, other PEM): a new certificate.
    ca = await createMeshCa('m', { name: 'ca-1', type: 'builtin' });
    const afterCa = await certs.identity(p, 'm', ['spiffe://m/api'], 'Dataplane/m/web-1');
    expect(afterCa?.certPem).not.toBe(other?.certPem);
    expect(await certs.identity(p, 'm', ['spiffe://m/api'], 'Dataplane/m/web-1')).toBe(afterCa);
    // Due (less than a fifth of its 10 s left): renewed.
    now += 9_000;
    const renewed = await certs.identity(p, 'm', ['spiffe://m/api'], 'Dataplane/m/web-1');
    expect(renewed?.certPem).not.toBe(afterCa?.certPem);
    expect(p.certRegenerations).toBeGreaterThan(1);
    // Forgotten (the proxy went away): issued again.
    certs.forget('Dataplane/m/web-1');
    const again = await certs.identity(p, 'm', ['spiffe://m/api'], 'Dataplane/m/web-1');
    expect(again?.certPem).not.toBe(renewed?.certPem);
  });
});
