/**
 * The one place that creates X.509 certificates (Node's crypto parses but cannot issue them). Backed by
 * `@peculiar/x509` over Node's WebCrypto; everything outside this file sees PEM strings only.
 */
// @peculiar/x509 resolves its ASN.1 codecs through tsyringe, which needs the Reflect metadata API.
import 'reflect-metadata';
import { randomBytes, webcrypto, X509Certificate } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { Kept } from './kept.js';
import { issueLeaf, type LeafIssuer, leafIssuer, plainCommonName } from './leaf.js';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

export interface KeyPairPem {
  certPem: string;
  keyPem: string;
}

export type KeyAlgorithm = { kind: 'ec' } | { kind: 'rsa'; bits: number };

export interface SubjectNames {
  commonName: string;
  uris?: string[];
  dnsNames?: string[];
  ips?: string[];
}

export interface IssueOptions extends SubjectNames {
  notBefore: Date;
  notAfter: Date;
  usage: 'server' | 'client' | 'both';
}

const EC = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const ECDSA_SHA256 = { name: 'ECDSA', hash: 'SHA-256' } as const;
const RSA = (bits: number) => ({ name: 'RSASSA-PKCS1-v1_5', modulusLength: bits, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' });

async function generateKeys(alg: KeyAlgorithm): Promise<webcrypto.CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(alg.kind === 'ec' ? EC : RSA(alg.bits), true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
}

async function exportKeyPem(key: webcrypto.CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key));
  return `-----BEGIN PRIVATE KEY-----\n${der.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END PRIVATE KEY-----\n`;
}

function pemBody(pem: string, label: string): Buffer {
  const m = new RegExp(`-----BEGIN ${label}-----([\\s\\S]+?)-----END ${label}-----`).exec(pem);
  if (!m) throw new Error(`not a PEM ${label.toLowerCase()}`);
  return Buffer.from((m[1] as string).replace(/\s+/g, ''), 'base64');
}

async function importKey(keyPem: string, certPem: string): Promise<webcrypto.CryptoKey> {
  const algo = new X509Certificate(certPem).publicKey.asymmetricKeyType;
  const params = algo === 'ec' ? EC : { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
  return (await webcrypto.subtle.importKey('pkcs8', pemBody(keyPem, 'PRIVATE KEY'), params, false, ['sign'])) as webcrypto.CryptoKey;
}

function serial(): string {
  const b = randomBytes(16);
  b[0] = (b[0] as number) & 0x7f; // positive
  return b.toString('hex');
}

function dn(commonName: string): string {
  return `CN=${commonName.replace(/[,+"\\<>;=]/g, '_')}`;
}

/** Creates a self-signed CA certificate and its key. */
export async function createCaCertificate(opts: { commonName: string; notBefore: Date; notAfter: Date; algorithm?: KeyAlgorithm }): Promise<KeyPairPem> {
  const alg = opts.algorithm ?? { kind: 'ec' };
  const keys = await generateKeys(alg);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: dn(opts.commonName),
    notBefore: opts.notBefore,
    notAfter: opts.notAfter,
    keys,
    signingAlgorithm: alg.kind === 'ec' ? ECDSA_SHA256 : RSA(alg.bits),
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certPem: cert.toString('pem'), keyPem: await exportKeyPem(keys.privateKey) };
}

/** What issuing with a CA needs of it, parsed once per CA (see `issuerOf`). */
interface Issuer {
  subject: string;
  key: webcrypto.CryptoKey;
  signingAlgorithm: typeof ECDSA_SHA256 | { name: string; hash: string };
  authorityKeyId: x509.AuthorityKeyIdentifierExtension;
}

/** Parsed CAs by certificate and key PEM (a handful per zone: one per mesh and rotation). */
const ISSUERS_KEPT = 32;
const issuers = new Kept<Promise<Issuer>>(ISSUERS_KEPT);

/**
 * The CA's subject, imported key, signature algorithm and authority key identifier, parsed once per CA and
 * reused: a zone issues one certificate per proxy from the same CA, and parsing the CA certificate (three
 * times, through ASN.1 in JavaScript) and importing its key was most of an issuance's CPU on the event loop.
 */
function issuerOf(ca: KeyPairPem): Promise<Issuer> {
  const id = `${ca.certPem}\n${ca.keyPem}`;
  return issuers.get(id, () => {
    const issuer = (async () => {
      const caCert = new x509.X509Certificate(ca.certPem);
      const caAlgo = new X509Certificate(ca.certPem).publicKey.asymmetricKeyType;
      return {
        subject: caCert.subject,
        key: await importKey(ca.keyPem, ca.certPem),
        signingAlgorithm: caAlgo === 'ec' ? ECDSA_SHA256 : { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
        authorityKeyId: await x509.AuthorityKeyIdentifierExtension.create(caCert),
      };
    })();
    // A CA that cannot be parsed is not kept: the next issuance tries again (and fails the same way).
    issuer.catch(() => issuers.delete(id));
    return issuer;
  });
}

/** Parsed CAs for the DER path (`leaf.ts`), by certificate and key PEM. */
const leafIssuers = new Kept<LeafIssuer>(ISSUERS_KEPT);

function leafIssuerOf(ca: KeyPairPem): LeafIssuer {
  return leafIssuers.get(`${ca.certPem}\n${ca.keyPem}`, () => leafIssuer(ca));
}

const ASCII = /^[\x20-\x7e]*$/;

/**
 * Issues a leaf certificate (new EC P-256 key) signed by the CA. Built as DER by hand and signed with
 * node:crypto (`leaf.ts`: the same bytes @peculiar/x509 produced, without its ASN.1 work on the event
 * loop); a certificate with IP SANs or an unusual name (non-ASCII SANs, a common name @peculiar/x509's
 * name parser would read differently) still goes through @peculiar/x509.
 */
export async function issueCertificate(ca: KeyPairPem, opts: IssueOptions): Promise<KeyPairPem> {
  const commonName = dn(opts.commonName).slice('CN='.length);
  const uris = opts.uris ?? [];
  const dnsNames = opts.dnsNames ?? [];
  if ((opts.ips ?? []).length > 0 || !plainCommonName(commonName) || !uris.every((u) => ASCII.test(u)) || !dnsNames.every((d) => ASCII.test(d))) return issueWithX509(ca, opts);
  return issueLeaf(leafIssuerOf(ca), { commonName, uris, dnsNames, notBefore: opts.notBefore, notAfter: opts.notAfter, usage: opts.usage });
}

/** Issues a leaf certificate through @peculiar/x509 (what `issueCertificate` falls back to). */
async function issueWithX509(ca: KeyPairPem, opts: IssueOptions): Promise<KeyPairPem> {
  const [keys, issuer] = await Promise.all([generateKeys({ kind: 'ec' }), issuerOf(ca)]);
  const names: x509.JsonGeneralName[] = [
    ...(opts.uris ?? []).map((value) => ({ type: 'url' as const, value })),
    ...(opts.dnsNames ?? []).map((value) => ({ type: 'dns' as const, value })),
    ...(opts.ips ?? []).map((value) => ({ type: 'ip' as const, value })),
  ];
  const eku =
    opts.usage === 'server' ? [x509.ExtendedKeyUsage.serverAuth] : opts.usage === 'client' ? [x509.ExtendedKeyUsage.clientAuth] : [x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth];
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: dn(opts.commonName),
    issuer: issuer.subject,
    notBefore: opts.notBefore,
    notAfter: opts.notAfter,
    publicKey: keys.publicKey,
    signingKey: issuer.key,
    signingAlgorithm: issuer.signingAlgorithm,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension(eku),
      ...(names.length > 0 ? [new x509.SubjectAlternativeNameExtension(names, false)] : []),
      issuer.authorityKeyId,
    ],
  });
  return { certPem: cert.toString('pem'), keyPem: await exportKeyPem(keys.privateKey) };
}

/** Validity window of a certificate. */
export function certificateValidity(certPem: string): { notBefore: Date; notAfter: Date } {
  const c = new X509Certificate(certPem);
  return { notBefore: new Date(c.validFrom), notAfter: new Date(c.validTo) };
}
