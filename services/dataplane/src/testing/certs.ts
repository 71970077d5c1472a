/**
 * Test certificates made in the test (ECDSA P-256 via WebCrypto and @peculiar/x509): a CA, and leaf
 * certificates with DNS / IP / URI (SPIFFE) subject alternative names.
 */
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;
type X509Key = Parameters<typeof x509.X509CertificateGenerator.createSelfSigned>[0]['keys'];

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

export interface Pem {
  cert: string;
  key: string;
}
export interface TestCa extends Pem {
  issue(opts: { cn: string; dns?: string[]; ips?: string[]; uris?: string[]; client?: boolean; server?: boolean }): Promise<Pem>;
}

async function keyPem(k: CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', k));
  return `-----BEGIN PRIVATE KEY-----\n${der.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END PRIVATE KEY-----\n`;
}

let serial = 1;
const nextSerial = () => (Date.now().toString(16) + (serial++).toString(16).padStart(4, '0')).replace(/^0+/, '1');

export async function createCa(cn = 'test CA'): Promise<TestCa> {
  const keys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as CryptoKeyPair;
  const now = Date.now();
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: nextSerial(),
    name: `CN=${cn}`,
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + 24 * 3600_000),
    signingAlgorithm: ALG,
    keys: keys as unknown as X509Key,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey as unknown as X509Key['publicKey']),
    ],
  });
  const caKey = await keyPem(keys.privateKey);
  return {
    cert: ca.toString('pem'),
    key: caKey,
    async issue({ cn, dns = [], ips = [], uris = [], client = true, server = true }) {
      const leafKeys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as CryptoKeyPair;
      const usages: string[] = [];
      if (server) usages.push(x509.ExtendedKeyUsage.serverAuth);
      if (client) usages.push(x509.ExtendedKeyUsage.clientAuth);
      const sans = [...dns.map((value) => ({ type: 'dns' as const, value })), ...ips.map((value) => ({ type: 'ip' as const, value })), ...uris.map((value) => ({ type: 'url' as const, value }))];
      const leaf = await x509.X509CertificateGenerator.create({
        serialNumber: nextSerial(),
        subject: `CN=${cn}`,
        issuer: ca.subject,
        notBefore: new Date(now - 60_000),
        notAfter: new Date(now + 24 * 3600_000),
        signingAlgorithm: ALG,
        publicKey: leafKeys.publicKey as unknown as X509Key['publicKey'],
        signingKey: keys.privateKey as unknown as X509Key['privateKey'],
        extensions: [
          new x509.BasicConstraintsExtension(false, undefined, true),
          new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyAgreement, true),
          new x509.ExtendedKeyUsageExtension(usages, false),
          ...(sans.length ? [new x509.SubjectAlternativeNameExtension(sans, false)] : []),
          await x509.AuthorityKeyIdentifierExtension.create(ca, false),
        ],
      });
      return { cert: leaf.toString('pem'), key: await keyPem(leafKeys.privateKey) };
    },
  };
}
