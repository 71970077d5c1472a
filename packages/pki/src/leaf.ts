/**
 * Leaf certificates built as DER by hand and signed with node:crypto: the fields, extensions and their
 * encoding are exactly what `@peculiar/x509`'s generator produced for `issueCertificate` (pki.test.ts
 * compares the to-be-signed bytes with it), without its ASN.1 object model. A zone issues one workload
 * certificate per proxy, and @peculiar/x509 building and re-parsing each leaf (~1.5 ms of JavaScript on the
 * event loop each) was most of a connect wave's certificate cost; this is a few microseconds of byte
 * assembly, the key pair and the signature running on libuv's thread pool.
 *
 * Not exported by the package's index: `x509.ts` is the public entry (`issueCertificate`).
 */
import { createHash, createPrivateKey, generateKeyPair, type KeyObject, randomBytes, sign, X509Certificate } from 'node:crypto';

// ---- DER encoding --------------------------------------------------------------------------------------

function tlv(tag: number, content: Buffer): Buffer {
  const n = content.length;
  let head: Buffer;
  if (n < 0x80) head = Buffer.from([tag, n]);
  else if (n < 0x100) head = Buffer.from([tag, 0x81, n]);
  else if (n < 0x10000) head = Buffer.from([tag, 0x82, n >> 8, n & 0xff]);
  else head = Buffer.from([tag, 0x83, n >> 16, (n >> 8) & 0xff, n & 0xff]);
  return Buffer.concat([head, content]);
}
const seq = (...parts: Buffer[]) => tlv(0x30, Buffer.concat(parts));
const set = (...parts: Buffer[]) => tlv(0x31, Buffer.concat(parts));
const octets = (b: Buffer) => tlv(0x04, b);
const hex = (h: string) => Buffer.from(h.replace(/\s+/g, ''), 'hex');

/** One element at `at`: its tag, where its content starts and where it ends. */
function readTlv(der: Buffer, at: number): { tag: number; start: number; end: number } {
  const tag = der[at] as number;
  let len = der[at + 1] as number;
  let start = at + 2;
  if (len & 0x80) {
    const k = len & 0x7f;
    len = 0;
    for (let i = 0; i < k; i++) len = len * 256 + (der[start + i] as number);
    start += k;
  }
  if (start + len > der.length) throw new Error('truncated DER');
  return { tag, start, end: start + len };
}

// OIDs (encoded, with their tag) and fixed extension values.
const OID_CN = hex('06 03 55 04 03');
const ECDSA_SHA256 = hex('30 0a 06 08 2a 86 48 ce 3d 04 03 02');
const RSA_SHA256 = hex('30 0d 06 09 2a 86 48 86 f7 0d 01 01 0b 05 00');
const CRITICAL = hex('01 01 ff');
const BASIC_CONSTRAINTS_LEAF = seq(hex('06 03 55 1d 13'), CRITICAL, octets(hex('30 00')));
/** digitalSignature | keyEncipherment. */
const KEY_USAGE_LEAF = seq(hex('06 03 55 1d 0f'), CRITICAL, octets(hex('03 02 05 a0')));
const SERVER_AUTH = hex('06 08 2b 06 01 05 05 07 03 01');
const CLIENT_AUTH = hex('06 08 2b 06 01 05 05 07 03 02');
const EKU = (usage: LeafOptions['usage']) =>
  seq(hex('06 03 55 1d 25'), octets(seq(...(usage === 'server' ? [SERVER_AUTH] : usage === 'client' ? [CLIENT_AUTH] : [SERVER_AUTH, CLIENT_AUTH]))));
const VERSION_3 = hex('a0 03 02 01 02');

/** @peculiar/x509's choice for a name attribute: PrintableString when the text allows it, else UTF8String. */
const PRINTABLE = /^[A-Za-z0-9 '()+,\-./:=?]*$/;

function commonNameDer(cn: string): Buffer {
  const value = PRINTABLE.test(cn) ? tlv(0x13, Buffer.from(cn, 'latin1')) : tlv(0x0c, Buffer.from(cn, 'utf8'));
  return seq(set(seq(OID_CN, value)));
}

/** UTCTime through 2049, GeneralizedTime from 2050 (RFC 5280; whole seconds). */
function timeDer(d: Date): Buffer {
  const p = (n: number) => String(n).padStart(2, '0');
  const y = d.getUTCFullYear();
  const rest = `${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}Z`;
  return y > 2049 ? tlv(0x18, Buffer.from(`${y}${rest}`, 'latin1')) : tlv(0x17, Buffer.from(`${p(y % 100)}${rest}`, 'latin1'));
}

/** A positive INTEGER's octets as @peculiar/x509 writes a serial: leading zeros dropped, a 0x00 before a high bit. */
export function serialOctets(raw: Buffer): Buffer {
  let i = 0;
  while (i < raw.length - 1 && raw[i] === 0) i++;
  const s = raw.subarray(i);
  return (s[0] as number) > 0x7f ? Buffer.concat([Buffer.from([0]), s]) : Buffer.from(s);
}

// ---- the issuer ----------------------------------------------------------------------------------------

/** What signing with a CA needs of it. */
export interface LeafIssuer {
  /** The CA certificate's subject, as its DER bytes (the leaf's issuer). */
  subject: Buffer;
  key: KeyObject;
  /** The signature AlgorithmIdentifier (DER). */
  algorithm: Buffer;
  /** The authority key identifier extension (DER): SHA-1 of the CA's subjectPublicKey bits, as @peculiar/x509 computes it. */
  authorityKeyId: Buffer;
}

/** The CA's subject, key, signature algorithm and authority key identifier (synchronous, ~0.1 ms). */
export function leafIssuer(ca: { certPem: string; keyPem: string }): LeafIssuer {
  const cert = new X509Certificate(ca.certPem);
  const kind = cert.publicKey.asymmetricKeyType;
  if (kind !== 'ec' && kind !== 'rsa') throw new Error(`unsupported CA key type ${kind}`);
  // Certificate -> TBSCertificate -> [0] version, serial, signature, issuer, validity, subject.
  const der = cert.raw;
  const tbs = readTlv(der, readTlv(der, 0).start);
  let at = tbs.start;
  let el = readTlv(der, at);
  // [0] version (when present), serial, signature, issuer, validity: skipped to the subject.
  for (let i = el.tag === 0xa0 ? 5 : 4; i > 0; i--) {
    at = el.end;
    el = readTlv(der, at);
  }
  const subject = der.subarray(at, el.end);
  // SubjectPublicKeyInfo -> algorithm, BIT STRING (its first octet is the count of unused bits).
  const spki = cert.publicKey.export({ type: 'spki', format: 'der' });
  const bits = readTlv(spki, readTlv(spki, readTlv(spki, 0).start).end);
  const keyId = createHash('sha1').update(spki.subarray(bits.start + 1, bits.end)).digest();
  return {
    subject: Buffer.from(subject),
    key: createPrivateKey(ca.keyPem),
    algorithm: kind === 'ec' ? ECDSA_SHA256 : RSA_SHA256,
    authorityKeyId: seq(hex('06 03 55 1d 23'), octets(seq(tlv(0x80, keyId)))),
  };
}

// ---- the leaf ------------------------------------------------------------------------------------------

export interface LeafOptions {
  /** The subject's common name, as it goes into the certificate (already sanitized). */
  commonName: string;
  uris: string[];
  dnsNames: string[];
  notBefore: Date;
  notAfter: Date;
  usage: 'server' | 'client' | 'both';
}

/** Whether a common name is encoded here exactly as @peculiar/x509 would (else: issue through it). */
export function plainCommonName(cn: string): boolean {
  // @peculiar/x509 parses `CN=<value>` as a string: an empty value, a leading '#' (hex) or a control
  // character (its parser stops at a line break) come out differently; everything else is the text.
  return cn.length > 0 && cn[0] !== '#' && !/[\u0000-\u001f\u007f,+"\\<>;=]/.test(cn);
}

/** The TBSCertificate of a leaf for `spki` (the subject's public key, DER). */
export function leafTbs(issuer: LeafIssuer, opts: LeafOptions, serial: Buffer, spki: Buffer): Buffer {
  const names = [...opts.uris.map((u) => tlv(0x86, Buffer.from(u, 'latin1'))), ...opts.dnsNames.map((d) => tlv(0x82, Buffer.from(d, 'latin1')))];
  const extensions = [BASIC_CONSTRAINTS_LEAF, KEY_USAGE_LEAF, EKU(opts.usage), ...(names.length > 0 ? [seq(hex('06 03 55 1d 11'), octets(seq(...names)))] : []), issuer.authorityKeyId];
  return seq(
    VERSION_3,
    tlv(0x02, serialOctets(serial)),
    issuer.algorithm,
    issuer.subject,
    seq(timeDer(opts.notBefore), timeDer(opts.notAfter)),
    commonNameDer(opts.commonName),
    spki,
    tlv(0xa3, seq(...extensions)),
  );
}

function pem(label: string, der: Buffer): string {
  return `-----BEGIN ${label}-----\n${der.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END ${label}-----`;
}

const newKeyPair = () =>
  new Promise<{ publicKey: KeyObject; privateKey: KeyObject }>((resolve, reject) =>
    generateKeyPair('ec', { namedCurve: 'P-256' }, (err, publicKey, privateKey) => (err ? reject(err) : resolve({ publicKey, privateKey }))),
  );
const signAsync = (data: Buffer, key: KeyObject) => new Promise<Buffer>((resolve, reject) => sign('sha256', data, key, (err, sig) => (err ? reject(err) : resolve(sig))));

/**
 * Issues a leaf (new EC P-256 key) signed by `issuer`: the key pair and the signature on libuv's thread
 * pool, the DER in between on the caller's thread (microseconds). PEMs as @peculiar/x509 wrote them.
 */
export async function issueLeaf(issuer: LeafIssuer, opts: LeafOptions): Promise<{ certPem: string; keyPem: string }> {
  const keys = await newKeyPair();
  const raw = randomBytes(16);
  raw[0] = (raw[0] as number) & 0x7f; // positive
  const tbs = leafTbs(issuer, opts, raw, keys.publicKey.export({ type: 'spki', format: 'der' }));
  const signature = await signAsync(tbs, issuer.key);
  const cert = seq(tbs, issuer.algorithm, tlv(0x03, Buffer.concat([Buffer.from([0]), signature])));
  return { certPem: pem('CERTIFICATE', cert), keyPem: `${pem('PRIVATE KEY', keys.privateKey.export({ type: 'pkcs8', format: 'der' }))}\n` };
}
