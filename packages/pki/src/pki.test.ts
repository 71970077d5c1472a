import { createPrivateKey, webcrypto, X509Certificate } from 'node:crypto';
import { connect, createServer } from 'node:tls';
import type { MeshSpec, Resource } from '@causeway/core';
import { describe, expect, it } from 'vitest';
import { caSecretNames, createMeshCa, meshCaSecrets } from './ca.js';
import {
  createSigningKey,
  dataplaneTagSources,
  dataplaneTokenTags,
  generateDataplaneToken,
  generateZoneToken,
  signClaims,
  signingPublicKey,
  signToken,
  TokenError,
  tokenKeyId,
  tokenAllows,
  tokenTagsErrors,
  verifyToken,
} from './tokens.js';
import { dpCertLifetimeMs, WorkloadCertificates } from './workload.js';
import { certificateValidity, createCaCertificate, issueCertificate } from './x509.js';
// After x509.js: it loads reflect-metadata and sets @peculiar/x509's crypto provider.
import * as x509 from '@peculiar/x509';

const mesh = (name: string, spec: MeshSpec): Resource<'Mesh'> => ({ type: 'Mesh', name, labels: {}, spec, version: 0 });
const builtin: MeshSpec = { mtls: { enabledBackend: 'ca-1', backends: [{ name: 'ca-1', type: 'builtin', dpCert: { rotation: { expiration: '1h' } } }] } };

describe('certificates', () => {
  it('issues a workload certificate with SPIFFE URI SANs that verifies against the CA and works for mTLS', async () => {
    const now = new Date();
    const ca = await createCaCertificate({ commonName: 'test CA', notBefore: new Date(now.getTime() - 1000), notAfter: new Date(now.getTime() + 3_600_000) });
    const server = await issueCertificate(ca, { commonName: 'backend', uris: ['spiffe://default/backend'], notBefore: now, notAfter: new Date(now.getTime() + 60_000), usage: 'both' });
    const client = await issueCertificate(ca, { commonName: 'web', uris: ['spiffe://default/web'], notBefore: now, notAfter: new Date(now.getTime() + 60_000), usage: 'both' });
    const x = new X509Certificate(server.certPem);
    expect(x.subjectAltName).toBe('URI:spiffe://default/backend');
    expect(x.verify(new X509Certificate(ca.certPem).publicKey)).toBe(true);
    expect(new X509Certificate(ca.certPem).ca).toBe(true);
    expect(x.ca).toBe(false);

    // A real TLS handshake with client certificates, both sides trusting only the mesh CA.
    const srv = createServer({ cert: server.certPem, key: server.keyPem, ca: ca.certPem, requestCert: true, rejectUnauthorized: true }, (s) => {
      const peer = s.getPeerCertificate();
      s.end(String(peer.subjectaltname));
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as { port: number }).port;
    const got = await new Promise<string>((resolve, reject) => {
      const c = connect({ host: '127.0.0.1', port, cert: client.certPem, key: client.keyPem, ca: ca.certPem, checkServerIdentity: () => undefined }, () => undefined);
      let data = '';
      c.on('data', (d) => (data += d));
      c.on('end', () => resolve(data));
      c.on('error', reject);
    });
    srv.close();
    expect(got).toBe('URI:spiffe://default/web');
  });

  it('issues from each CA with that CA (its parsed form is reused, never another CA\'s): issuer, signature, authority key id', async () => {
    const now = new Date();
    const window = { notBefore: now, notAfter: new Date(now.getTime() + 60_000), usage: 'both' as const };
    const ca1 = await createCaCertificate({ commonName: 'ca one', notBefore: new Date(now.getTime() - 1000), notAfter: new Date(now.getTime() + 3_600_000) });
    const ca2 = await createCaCertificate({ commonName: 'ca two', notBefore: new Date(now.getTime() - 1000), notAfter: new Date(now.getTime() + 3_600_000) });
    const leaves = await Promise.all([ca1, ca2, ca1, ca2].map((ca, i) => issueCertificate(ca, { commonName: `w${i}`, uris: [`spiffe://default/w${i}`], ...window })));
    leaves.forEach((leaf, i) => {
      const ca = new X509Certificate((i % 2 === 0 ? ca1 : ca2).certPem);
      const other = new X509Certificate((i % 2 === 0 ? ca2 : ca1).certPem);
      const x = new X509Certificate(leaf.certPem);
      expect(x.checkIssued(ca)).toBe(true);
      expect(x.verify(ca.publicKey)).toBe(true);
      expect(x.verify(other.publicKey)).toBe(false);
      expect(x.subjectAltName).toBe(`URI:spiffe://default/w${i}`);
    });
    // Each leaf has its own key.
    expect(new Set(leaves.map((l) => l.keyPem)).size).toBe(4);
  });

  it('creates an RSA CA when the backend asks for RSAbits, with the configured expiration', async () => {
    const now = new Date('2030-01-01T00:00:00Z');
    const ca = await createMeshCa('default', { name: 'ca-1', type: 'builtin', conf: { caCert: { RSAbits: 2048, expiration: '2y' } } }, now);
    const x = new X509Certificate(ca.certPem);
    expect(x.publicKey.asymmetricKeyType).toBe('rsa');
    expect(certificateValidity(ca.certPem).notAfter.getTime()).toBe(now.getTime() + 2 * 365 * 86_400_000);
    const leaf = await issueCertificate(ca, { commonName: 'x', uris: ['spiffe://default/x'], notBefore: now, notAfter: new Date(now.getTime() + 1000), usage: 'client' });
    expect(new X509Certificate(leaf.certPem).verify(x.publicKey)).toBe(true);
  });
});

describe('leaf certificates built as DER (leaf.ts) are what @peculiar/x509 built', () => {
  /** The first element of a DER SEQUENCE (a certificate's TBSCertificate), with its header. */
  const tbsOf = (der: Buffer): Buffer => {
    const inner = (at: number) => {
      const len = der[at + 1] as number;
      if (!(len & 0x80)) return { start: at + 2, end: at + 2 + len };
      const k = len & 0x7f;
      const n = der.subarray(at + 2, at + 2 + k).reduce((a, b) => a * 256 + b, 0);
      return { start: at + 2 + k, end: at + 2 + k + n };
    };
    const tbs = inner(inner(0).start);
    return der.subarray(inner(0).start, tbs.end);
  };
  /** What issueCertificate did before leaf.ts, given the leaf's serial and public key. */
  async function peculiarTbs(ca: { certPem: string; keyPem: string }, leaf: X509Certificate, opts: Parameters<typeof issueCertificate>[1]): Promise<Buffer> {
    const caCert = new x509.X509Certificate(ca.certPem);
    const rsa = new X509Certificate(ca.certPem).publicKey.asymmetricKeyType === 'rsa';
    const alg = rsa ? { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } : { name: 'ECDSA', namedCurve: 'P-256' };
    const der = (pem: string) => Buffer.from(pem.replace(/-----[^-]+-----|\s+/g, ''), 'base64');
    const signingKey = await webcrypto.subtle.importKey('pkcs8', der(ca.keyPem), alg, false, ['sign']);
    const publicKey = await webcrypto.subtle.importKey('spki', leaf.publicKey.export({ type: 'spki', format: 'der' }), { name: 'ECDSA', namedCurve: 'P-256' }, true, ['verify']);
    const names: x509.JsonGeneralName[] = [...(opts.uris ?? []).map((value) => ({ type: 'url' as const, value })), ...(opts.dnsNames ?? []).map((value) => ({ type: 'dns' as const, value }))];
    const eku = opts.usage === 'server' ? [x509.ExtendedKeyUsage.serverAuth] : opts.usage === 'client' ? [x509.ExtendedKeyUsage.clientAuth] : [x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth];
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: leaf.serialNumber,
      subject: `CN=${opts.commonName.replace(/[,+"\\<>;=]/g, '_')}`,
      issuer: caCert.subject,
      notBefore: opts.notBefore,
      notAfter: opts.notAfter,
      publicKey,
      signingKey,
      signingAlgorithm: rsa ? { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } : { name: 'ECDSA', hash: 'SHA-256' },
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
        new x509.ExtendedKeyUsageExtension(eku),
        ...(names.length > 0 ? [new x509.SubjectAlternativeNameExtension(names, false)] : []),
        await x509.AuthorityKeyIdentifierExtension.create(caCert),
      ],
    });
    return tbsOf(Buffer.from(cert.rawData));
  }

  it('has the same to-be-signed bytes for every kind of CA, name, SAN, usage and validity, and verifies', async () => {
    const now = new Date('2030-06-01T12:34:56.789Z');
    const ec = await createCaCertificate({ commonName: 'Causeway mesh default CA (ca-1)', notBefore: new Date(now.getTime() - 60_000), notAfter: new Date('2060-01-01') });
    const rsa = await createMeshCa('default', { name: 'ca-2', type: 'builtin', conf: { caCert: { RSAbits: 2048 } } }, now);
    const cases: Parameters<typeof issueCertificate>[1][] = [
      { commonName: 'spiffe://default/web', uris: ['spiffe://default/web', 'kuma://version/v1'], notBefore: now, notAfter: new Date(now.getTime() + 86_400_000), usage: 'both' },
      { commonName: 'Dataplane/default/web_1', uris: [], notBefore: now, notAfter: new Date('2051-03-04T05:06:07.890Z'), usage: 'server' },
      { commonName: 'zone-egress ü', dnsNames: ['a.example', 'b.example'], notBefore: new Date('2049-12-31T23:59:59.999Z'), notAfter: new Date('2050-01-01T00:00:00Z'), usage: 'client' },
      { commonName: 'x, y+z="q"', uris: ['spiffe://default/x'], dnsNames: ['x.mesh'], notBefore: now, notAfter: new Date(now.getTime() + 1000), usage: 'both' },
    ];
    for (const ca of [ec, rsa]) {
      for (const opts of cases) {
        const leaf = await issueCertificate(ca, opts);
        const x = new X509Certificate(leaf.certPem);
        expect(tbsOf(x.raw).equals(await peculiarTbs(ca, x, opts))).toBe(true);
        expect(x.verify(new X509Certificate(ca.certPem).publicKey)).toBe(true);
        expect(x.checkPrivateKey(createPrivateKey(leaf.keyPem))).toBe(true);
        expect(leaf.certPem).toMatch(/^-----BEGIN CERTIFICATE-----\n([A-Za-z0-9+/=]{64}\n)*[A-Za-z0-9+/=]{1,64}\n-----END CERTIFICATE-----$/);
        expect(leaf.keyPem).toMatch(/^-----BEGIN PRIVATE KEY-----\n([A-Za-z0-9+/=]{64}\n)*[A-Za-z0-9+/=]{1,64}\n-----END PRIVATE KEY-----\n$/);
      }
    }
  });

  it('writes serials as @peculiar/x509 does: positive, leading zeros dropped', async () => {
    const { serialOctets } = await import('./leaf.js');
    expect(serialOctets(Buffer.from('00007f01', 'hex')).toString('hex')).toBe('7f01');
    expect(serialOctets(Buffer.from('0080', 'hex')).toString('hex')).toBe('0080');
    expect(serialOctets(Buffer.from('000000', 'hex')).toString('hex')).toBe('00');
    expect(serialOctets(Buffer.from('7fff', 'hex')).toString('hex')).toBe('7fff');
  });
});

describe('workload certificate rotation', () => {
  it('caches, then renews when less than a fifth of the lifetime remains, and when the CA changes', async () => {
    let now = new Date('2030-01-01T00:00:00Z');
    const certs = new WorkloadCertificates({ now: () => now });
    const ca = await createCaCertificate({ commonName: 'ca', notBefore: new Date('2029-01-01'), notAfter: new Date('2040-01-01') });
    const life = dpCertLifetimeMs(builtin.mtls ? builtin : {});
    expect(life).toBe(3_600_000);
    const a = await certs.get('Dataplane/default/web-1', ca, { uris: ['spiffe://default/web'], lifetimeMs: life });
    expect(a.generation).toBe(1);
    expect(a.notAfter.getTime()).toBe(now.getTime() + life);
    now = new Date(now.getTime() + 40 * 60_000); // 20 minutes left of 60: not yet
    expect(await certs.get('Dataplane/default/web-1', ca, { uris: ['spiffe://default/web'], lifetimeMs: life })).toBe(a);
    expect(certs.due()).toEqual([]);
    expect(certs.nextRenewal()?.getTime()).toBe(a.notAfter.getTime() - 0.2 * life);
    expect(a.notBefore.getTime()).toBe(a.issuedAt.getTime() - 60_000);
    now = new Date(a.notAfter.getTime() - 10 * 60_000); // 10 minutes left: renew
    expect(certs.due()).toEqual(['Dataplane/default/web-1']);
    const b = await certs.get('Dataplane/default/web-1', ca, { uris: ['spiffe://default/web'], lifetimeMs: life });
    expect(b.generation).toBe(2);
    expect(b.certPem).not.toBe(a.certPem);
    const ca2 = await createCaCertificate({ commonName: 'ca2', notBefore: new Date('2029-01-01'), notAfter: new Date('2040-01-01') });
    const c = await certs.get('Dataplane/default/web-1', ca2, { uris: ['spiffe://default/web'], lifetimeMs: life });
    expect(c.generation).toBe(3);
    expect(new X509Certificate(c.certPem).verify(new X509Certificate(ca2.certPem).publicKey)).toBe(true);
  });
});

describe('mesh CA Secrets', () => {
  it('creates the CA of the enabled builtin backend as its two Secrets (key first), none without one', async () => {
    expect(await meshCaSecrets(mesh('plain', {}))).toEqual([]);
    const [key, cert, ...more] = await meshCaSecrets(mesh('default', builtin));
    expect(more).toEqual([]);
    const names = caSecretNames('default', 'ca-1');
    expect([key?.name, cert?.name]).toEqual([names.key, names.cert]);
    for (const s of [key, cert]) expect(s).toMatchObject({ type: 'Secret', mesh: 'default', labels: { 'causeway.io/mesh-ca': 'ca-1' }, version: 0 });
    const pem = (s: typeof key) => Buffer.from(s?.spec.data ?? '', 'base64').toString('utf8');
    const ca = new X509Certificate(pem(cert));
    expect(ca.ca).toBe(true);
    expect(ca.subject).toContain('Causeway mesh default CA (ca-1)');
    expect(ca.checkPrivateKey(createPrivateKey(pem(key)))).toBe(true);
  });
});

describe('tokens', () => {
  const key = createSigningKey();

  const dpSpec = (...services: string[]) => ({
    networking: { address: '10.0.0.1', inbound: services.map((s, i) => ({ port: 8080 + i, tags: { 'kuma.io/service': s, 'kuma.io/protocol': 'http' } })) },
  });
  const dp = (name: string, spec: unknown, mesh = 'default') => ({ type: 'Dataplane' as const, mesh, name, zone: 'zone-1', tags: dataplaneTagSources(spec) });

  it('signs dataplane tokens scoped to mesh, name and kuma.io/service tags, and verifies them', () => {
    const t = generateDataplaneToken({ signingKeyPem: key, mesh: 'default', name: 'web-1', tags: { 'kuma.io/service': ['web'] }, validFor: '24h' });
    const claims = verifyToken(key, t);
    expect(claims).toMatchObject({ kind: 'dataplane', mesh: 'default', name: 'web-1', tags: { 'kuma.io/service': ['web'] } });
    expect(claims.exp - claims.iat).toBe(86_400);
    expect(tokenAllows(claims, dp('web-1', dpSpec('web')))).toBeUndefined();
    expect(tokenAllows(claims, dp('web-2', dpSpec('web')))).toMatch(/not "web-2"/);
    expect(tokenAllows(claims, dp('web-1', dpSpec('web'), 'other'))).toMatch(/mesh "default", not "other"/);
    expect(tokenAllows(claims, { type: 'ZoneEgress', name: 'e', zone: 'zone-1' })).toMatch(/zone token/);
  });

  it('refuses a Dataplane whose inbound claims a service the token was not issued for, naming the tag', () => {
    // web-b's token, a Dataplane claiming payments (the identity spiffe://default/payments).
    const claims = verifyToken(key, generateDataplaneToken({ signingKeyPem: key, mesh: 'default', name: 'web-b', tags: { 'kuma.io/service': ['web'] } }));
    expect(tokenAllows(claims, dp('web-b', dpSpec('payments')))).toBe('inbound[0].tags["kuma.io/service"]: "payments" is not allowed by the token (issued for: web)');
    // One allowed inbound does not cover another.
    expect(tokenAllows(claims, dp('web-b', dpSpec('web', 'payments')))).toBe('inbound[1].tags["kuma.io/service"]: "payments" is not allowed by the token (issued for: web)');
    // A gateway's tags are checked too.
    const gateway = { networking: { address: '10.0.0.1', gateway: { tags: { 'kuma.io/service': 'edge' } } } };
    expect(tokenAllows(claims, dp('web-b', gateway))).toBe('gateway.tags["kuma.io/service"]: "edge" is not allowed by the token (issued for: web)');
    // Several values (kumactl's --tag kuma.io/service=web,web-admin): each inbound may use any of them.
    const multi = verifyToken(key, generateDataplaneToken({ signingKeyPem: key, mesh: 'default', name: 'web-b', tags: { 'kuma.io/service': ['web', 'web-admin'] } }));
    expect(multi.tags).toEqual({ 'kuma.io/service': ['web', 'web-admin'] });
    expect(tokenAllows(multi, dp('web-b', dpSpec('web', 'web-admin')))).toBeUndefined();
    expect(tokenAllows(multi, dp('web-b', dpSpec('web-admin', 'payments')))).toMatch(/^inbound\[1\]\.tags\["kuma\.io\/service"\]: "payments" is not allowed by the token \(issued for: web, web-admin\)$/);
    // As in Kuma, other tags in the token bind too: the Dataplane must declare them, with an allowed value.
    const versioned = verifyToken(key, generateDataplaneToken({ signingKeyPem: key, mesh: 'default', name: 'web-b', tags: { 'kuma.io/service': ['web'], version: ['v1'] } }));
    expect(tokenAllows(versioned, dp('web-b', dpSpec('web')))).toMatch(/declares no tag "version", which the token requires \(issued for: v1\)/);
    const v2 = { networking: { address: '10.0.0.1', inbound: [{ port: 8080, tags: { 'kuma.io/service': 'web', version: 'v2' } }] } };
    expect(tokenAllows(versioned, dp('web-b', v2))).toBe('inbound[0].tags["version"]: "v2" is not allowed by the token (issued for: v1)');
    // A token without a name binds the tags alone (one token for many proxies of a service).
    const byService = verifyToken(key, signToken(key, { kind: 'dataplane', mesh: 'default', tags: { 'kuma.io/service': ['web'] } }, 60_000));
    expect(tokenAllows(byService, dp('web-7', dpSpec('web')))).toBeUndefined();
    expect(tokenAllows(byService, dp('web-7', dpSpec('payments')))).toMatch(/"payments" is not allowed/);
  });

  it('refuses tokens without kuma.io/service tags unless untagged tokens are allowed', () => {
    const untagged = verifyToken(key, generateDataplaneToken({ signingKeyPem: key, mesh: 'default', name: 'web-1' }));
    expect(untagged.tags).toBeUndefined();
    const why = tokenAllows(untagged, dp('web-1', dpSpec('web', 'web-admin')));
    expect(why).toMatch(/^the token has no "kuma\.io\/service" tags/);
    expect(why).toContain('causeway generate dataplane-token --mesh default --name web-1 --tag kuma.io/service=web,web-admin');
    expect(tokenAllows(untagged, dp('web-1', dpSpec('payments')), { allowUntaggedDataplaneTokens: true })).toBeUndefined();
    expect(tokenAllows(untagged, dp('web-2', dpSpec('web')), { allowUntaggedDataplaneTokens: true })).toMatch(/not "web-2"/);
    // Tags that name no service do not bind an identity: still untagged.
    const versionOnly = verifyToken(key, generateDataplaneToken({ signingKeyPem: key, mesh: 'default', name: 'web-1', tags: { version: ['v1'] } }));
    expect(tokenAllows(versionOnly, dp('web-1', dpSpec('web')))).toMatch(/no "kuma\.io\/service" tags/);
    // A tagged token is checked the same whether untagged tokens are allowed or not.
    const tagged = verifyToken(key, generateDataplaneToken({ signingKeyPem: key, mesh: 'default', name: 'web-1', tags: { 'kuma.io/service': ['web'] } }));
    expect(tokenAllows(tagged, dp('web-1', dpSpec('payments')), { allowUntaggedDataplaneTokens: true })).toMatch(/"payments" is not allowed/);
  });

  it('validates token tags with field paths, and derives them from a Dataplane', () => {
    expect(tokenTagsErrors(undefined)).toEqual([]);
    expect(tokenTagsErrors({ 'kuma.io/service': ['web', 'web-admin'] })).toEqual([]);
    expect(tokenTagsErrors(['web'])).toEqual([{ field: 'tags', reason: expect.stringMatching(/map of tag name to a list of values/) }]);
    expect(tokenTagsErrors({ 'kuma.io/service': 'web' })).toEqual([{ field: 'tags["kuma.io/service"]', reason: 'must be a non-empty list of values' }]);
    expect(tokenTagsErrors({ 'kuma.io/service': [] })).toEqual([{ field: 'tags["kuma.io/service"]', reason: 'must be a non-empty list of values' }]);
    expect(tokenTagsErrors({ 'kuma.io/service': ['web', ''] })).toEqual([{ field: 'tags["kuma.io/service"][1]', reason: 'must be a non-empty string' }]);
    expect(tokenTagsErrors({ 'kuma.io/service': ['a b'] })[0]?.field).toBe('tags["kuma.io/service"][0]');
    expect(tokenTagsErrors({ 'kuma.io/service': ['a,b'] })).toEqual([{ field: 'tags["kuma.io/service"][0]', reason: 'must not contain ","' }]);
    expect(tokenTagsErrors({ 'bad name': ['x'] })[0]?.field).toBe('tags["bad name"]');
    expect(tokenTagsErrors(Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`t${i}`, ['x']])))[0]?.reason).toMatch(/at most 32 tags/);
    expect(() => generateDataplaneToken({ signingKeyPem: key, mesh: 'm', name: 'n', tags: { 'kuma.io/service': [] } })).toThrow(TokenError);
    // Sorted by name, duplicates dropped.
    const c = verifyToken(key, generateDataplaneToken({ signingKeyPem: key, mesh: 'm', name: 'n', tags: { version: ['v1'], 'kuma.io/service': ['web', 'web'] } }));
    expect(Object.entries(c.tags ?? {})).toEqual([['kuma.io/service', ['web']], ['version', ['v1']]]);
    expect(dataplaneTokenTags(dpSpec('web', 'web-admin', 'web'))).toEqual({ 'kuma.io/service': ['web', 'web-admin'] });
    expect(dataplaneTokenTags({ networking: { address: 'x' } })).toEqual({});
  });

  it('refuses expired, tampered and foreign tokens', () => {
    const t = generateDataplaneToken({ signingKeyPem: key, mesh: 'default', name: 'web-1', validFor: '1h', now: new Date('2020-01-01') });
    expect(() => verifyToken(key, t)).toThrow(/expired/);
    const good = generateDataplaneToken({ signingKeyPem: key, mesh: 'default', name: 'web-1' });
    const [h, , s] = good.split('.');
    const forged = `${h}.${Buffer.from(JSON.stringify({ kind: 'dataplane', mesh: 'default', name: 'admin', iat: 1, exp: 9_999_999_999, jti: 'x' })).toString('base64url')}.${s}`;
    expect(() => verifyToken(key, forged)).toThrow(TokenError);
    expect(() => verifyToken(createSigningKey(), good)).toThrow(/signature/);
    expect(() => verifyToken(key, 'nope')).toThrow(/not a JWT/);
    expect(() => generateDataplaneToken({ signingKeyPem: key, mesh: 'm', name: 'n', validFor: 'soon' })).toThrow(/not a validity/);
  });

  it('zone tokens carry zone and scope, and bind the zone', () => {
    const c = verifyToken(key, generateZoneToken({ signingKeyPem: key, zone: 'zone-1', scope: ['egress'] }));
    expect(tokenAllows(c, { type: 'ZoneEgress', name: 'e', zone: 'zone-1' })).toBeUndefined();
    expect(tokenAllows(c, { type: 'ZoneIngress', name: 'i', zone: 'zone-1' })).toMatch(/ingress/);
    expect(tokenAllows(c, { type: 'ZoneEgress', name: 'e', zone: 'zone-2' })).toBe('the token is for zone "zone-1", not "zone-2"');
    const both = verifyToken(key, generateZoneToken({ signingKeyPem: key, zone: 'zone-1' }));
    expect(tokenAllows(both, { type: 'ZoneIngress', name: 'i', zone: 'zone-2' })).toBe('the token is for zone "zone-1", not "zone-2"');
    // A zone token cannot register a Dataplane, nor a dataplane token a zone proxy.
    expect(tokenAllows(both, dp('web-1', dpSpec('web')))).toMatch(/needs a dataplane token/);
    const dpToken = verifyToken(key, generateDataplaneToken({ signingKeyPem: key, mesh: 'default', name: 'i', tags: { 'kuma.io/service': ['web'] } }));
    expect(tokenAllows(dpToken, { type: 'ZoneIngress', name: 'i', zone: 'zone-1' })).toMatch(/needs a zone token/);
    expect(signToken(key, { kind: 'zone', zone: 'z' }, 1000).split('.')).toHaveLength(3);
  });

  it('a key id goes into the header; the public key alone verifies; re-signed claims stay the same', () => {
    const globalKey = createSigningKey();
    const t = generateZoneToken({ signingKeyPem: globalKey, zone: 'zone-2', scope: ['ingress'], validFor: '1h', kid: 'global/zone-token-signing-key-1' });
    expect(tokenKeyId(t)).toBe('global/zone-token-signing-key-1');
    expect(JSON.parse(Buffer.from(t.split('.')[0] ?? '', 'base64url').toString())).toEqual({ alg: 'ES256', typ: 'JWT', kid: 'global/zone-token-signing-key-1' });
    expect(tokenKeyId(generateZoneToken({ signingKeyPem: key, zone: 'zone-1' }))).toBeUndefined();
    expect(tokenKeyId('not a token')).toBeUndefined();
    const pub = signingPublicKey(globalKey);
    expect(pub).toMatch(/^-----BEGIN PUBLIC KEY-----/);
    const claims = verifyToken(pub, t);
    expect(claims).toMatchObject({ kind: 'zone', zone: 'zone-2', scope: ['ingress'] });
    expect(claims.exp - claims.iat).toBe(3600);
    // another key (a zone's own) does not verify it
    expect(() => verifyToken(key, t)).toThrow(/signature is not valid/);
    // signClaims keeps times and id: the same claims under another key
    const again = signClaims(key, claims);
    expect(verifyToken(key, again)).toEqual(claims);
    expect(tokenKeyId(again)).toBeUndefined();
  });
});
