/**
 * A self-signed X.509 certificate, as kumactl's `generate tls-certificate` makes one: a new RSA 2048 or
 * EC P-256 key, 10 years from 5 minutes ago, its own CA (so a client can trust it directly), key usage
 * digitalSignature + keyEncipherment + keyCertSign, extended key usage serverAuth or clientAuth, and
 * every hostname as a subject alternative name (a DNS name, or an IP address for an IP). Node's crypto
 * signs; the certificate's DER is written here (Node parses certificates but cannot issue them, and
 * @causeway/pki issues only CA-signed leaves and CAs without names).
 */
import { createPublicKey, generateKeyPairSync, type KeyObject, randomBytes, sign } from 'node:crypto';
import { isIP } from 'node:net';

export type CertType = 'server' | 'client';
export type KeyType = 'rsa' | 'ecdsa';

// --- a minimal DER encoder ---------------------------------------------------------------------------

function len(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v >>= 8) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function tlv(tag: number, ...content: Buffer[]): Buffer {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag]), len(body.length), body]);
}

const seq = (...c: Buffer[]) => tlv(0x30, ...c);
const set = (...c: Buffer[]) => tlv(0x31, ...c);
const octets = (b: Buffer) => tlv(0x04, b);
const bool = (v: boolean) => tlv(0x01, Buffer.from([v ? 0xff : 0]));
const nul = () => Buffer.from([0x05, 0x00]);

function oid(dotted: string): Buffer {
  const [a, b, ...rest] = dotted.split('.').map(Number) as [number, number, ...number[]];
  const out = [40 * a + b];
  for (const n of rest) {
    const chunk: number[] = [n & 0x7f];
    for (let v = n >>> 7; v > 0; v >>>= 7) chunk.unshift(0x80 | (v & 0x7f));
    out.push(...chunk);
  }
  return tlv(0x06, Buffer.from(out));
}

/** A positive INTEGER from big-endian bytes. */
function integer(bytes: Buffer): Buffer {
  let b = bytes;
  while (b.length > 1 && b[0] === 0 && ((b[1] as number) & 0x80) === 0) b = b.subarray(1);
  if (((b[0] as number) & 0x80) !== 0) b = Buffer.concat([Buffer.from([0]), b]);
  return tlv(0x02, b);
}

function bitString(b: Buffer, unusedBits = 0): Buffer {
  return tlv(0x03, Buffer.from([unusedBits]), b);
}

/** UTCTime until 2049, GeneralizedTime after (RFC 5280 4.1.2.5). */
function time(d: Date): Buffer {
  const iso = d.toISOString().replace(/[-:T]/g, '').slice(0, 14); // YYYYMMDDHHMMSS
  return d.getUTCFullYear() < 2050 ? tlv(0x17, Buffer.from(`${iso.slice(2)}Z`)) : tlv(0x18, Buffer.from(`${iso}Z`));
}

function ipBytes(ip: string): Buffer {
  if (isIP(ip) === 4) return Buffer.from(ip.split('.').map(Number));
  // IPv6: expand "::" and write 8 groups.
  const [head = '', tail] = ip.split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const last = (tail !== undefined ? t : h).at(-1) ?? '';
  const v4 = isIP(last) === 4 ? last : undefined;
  if (v4) (tail !== undefined ? t : h).pop();
  const groups = v4 ? 6 : 8;
  const fill = tail !== undefined ? Array(groups - h.length - t.length).fill('0') : [];
  const all = [...h, ...fill, ...t];
  const out = Buffer.alloc(16);
  for (const [i, g] of all.entries()) out.writeUInt16BE(Number.parseInt(g, 16), i * 2);
  if (v4) Buffer.from(v4.split('.').map(Number)).copy(out, 12);
  return out;
}

const OID = {
  commonName: '2.5.4.3',
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  extKeyUsage: '2.5.29.37',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
  sha256WithRSA: '1.2.840.113549.1.1.11',
  ecdsaWithSHA256: '1.2.840.10045.4.3.2',
};

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return seq(oid(id), ...(critical ? [bool(true)] : []), octets(value));
}

export interface SelfSignedOptions {
  type: CertType;
  hostnames: string[];
  keyType?: KeyType;
  now?: Date;
}

export interface SelfSigned {
  certPem: string;
  keyPem: string;
}

function pem(label: string, der: Buffer): string {
  return `-----BEGIN ${label}-----\n${der.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END ${label}-----\n`;
}

/** Creates the key and the self-signed certificate (PEM: PKCS#8 key, X.509 certificate). */
export function selfSignedCertificate(opts: SelfSignedOptions): SelfSigned {
  if (opts.hostnames.length === 0) throw new Error('at least one hostname is needed');
  const keyType = opts.keyType ?? 'rsa';
  const { privateKey } =
    keyType === 'rsa' ? generateKeyPairSync('rsa', { modulusLength: 2048 }) : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const spki = createPublicKey(privateKey).export({ type: 'spki', format: 'der' });
  const now = opts.now ?? new Date();
  const notBefore = new Date(now.getTime() - 5 * 60_000);
  const notAfter = new Date(notBefore.getTime() + 10 * 365 * 86_400_000);
  const serial = randomBytes(16);
  serial[0] = (serial[0] as number) & 0x7f;
  const name = seq(set(seq(oid(OID.commonName), tlv(0x0c, Buffer.from(opts.hostnames[0] as string)))));
  const sigAlg = keyType === 'rsa' ? seq(oid(OID.sha256WithRSA), nul()) : seq(oid(OID.ecdsaWithSHA256));
  const altNames = opts.hostnames.map((h) => (isIP(h) ? tlv(0x87, ipBytes(h)) : tlv(0x82, Buffer.from(h))));
  // digitalSignature (bit 0), keyEncipherment (bit 2), keyCertSign (bit 5): 1010 0100, 2 unused bits.
  const keyUsage = bitString(Buffer.from([0xa4]), 2);
  const skid = randomBytes(20);
  const extensions = tlv(
    0xa3,
    seq(
      extension(OID.basicConstraints, true, seq(bool(true))),
      extension(OID.keyUsage, true, keyUsage),
      extension(OID.extKeyUsage, false, seq(oid(opts.type === 'server' ? OID.serverAuth : OID.clientAuth))),
      extension(OID.subjectKeyIdentifier, false, octets(skid)),
      extension(OID.subjectAltName, false, seq(...altNames)),
    ),
  );
  const tbs = seq(
    tlv(0xa0, integer(Buffer.from([2]))), // v3
    integer(serial),
    sigAlg,
    name,
    seq(time(notBefore), time(notAfter)),
    name,
    spki,
    extensions,
  );
  const signature = sign('sha256', tbs, privateKey as KeyObject);
  const cert = seq(tbs, sigAlg, bitString(signature));
  return { certPem: pem('CERTIFICATE', cert), keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string };
}

/** Why a `--hostname` value cannot go into the certificate, or undefined. */
export function hostnameError(h: string): string | undefined {
  if (isIP(h)) return undefined;
  if (h.length > 253) return `"${h.slice(0, 20)}..." is longer than 253 characters`;
  if (!/^(\*\.)?([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/.test(h))
    return `"${h}" is neither a DNS name (letters, digits, "-" and "." ; "*." in front for a wildcard) nor an IP address`;
  return undefined;
}
