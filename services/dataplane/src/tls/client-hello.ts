/**
 * TLS ClientHello inspection (what Envoy's tls_inspector listener filter does): looks at the first bytes
 * a client sent, without consuming or terminating anything, and tells whether they are a TLS handshake
 * and, if so, the requested server name (SNI) and the offered ALPN protocols.
 *
 * Handles a ClientHello split over several TLS records and over several TCP reads (`need-more`).
 */

export const MAX_CLIENT_HELLO = 64 * 1024; // Envoy's tls_inspector default max_client_hello_size

export type ClientHelloResult =
  | { kind: 'need-more' }
  | { kind: 'not-tls' }
  | { kind: 'tls'; serverName: string | undefined; alpn: string[]; version: number }
  /** Looks like TLS but is malformed or too large: Envoy closes such connections. */
  | { kind: 'invalid'; reason: string };

const HANDSHAKE = 0x16;
const CLIENT_HELLO = 0x01;
const EXT_SERVER_NAME = 0x0000;
const EXT_ALPN = 0x0010;
const EXT_SUPPORTED_VERSIONS = 0x002b;

/** Inspects the bytes received so far on a connection. */
export function inspectClientHello(data: Buffer): ClientHelloResult {
  if (data.length === 0) return { kind: 'need-more' };
  if (data[0] !== HANDSHAKE) return { kind: 'not-tls' };
  if (data.length < 3) return { kind: 'need-more' };
  // record-layer version: 3.x (SSL 3.0 .. TLS 1.3 all use major 3)
  if (data[1] !== 0x03 || (data[2] ?? 0) > 0x04) return { kind: 'not-tls' };

  // Reassemble the handshake layer from consecutive handshake records.
  const fragments: Buffer[] = [];
  let handshakeLen = 0;
  let needed = -1; // total handshake message length once known
  let off = 0;
  while (needed < 0 || handshakeLen < needed) {
    if (data.length < off + 5) return data.length > MAX_CLIENT_HELLO ? tooLarge() : { kind: 'need-more' };
    if (data[off] !== HANDSHAKE) return { kind: 'invalid', reason: 'non-handshake record inside the ClientHello' };
    const recLen = data.readUInt16BE(off + 3);
    if (recLen === 0 || recLen > 16384 + 2048) return { kind: 'invalid', reason: `bad TLS record length ${recLen}` };
    if (data.length < off + 5 + recLen) return off + 5 + recLen > MAX_CLIENT_HELLO ? tooLarge() : { kind: 'need-more' };
    fragments.push(data.subarray(off + 5, off + 5 + recLen));
    handshakeLen += recLen;
    off += 5 + recLen;
    if (needed < 0 && handshakeLen >= 4) {
      const hs = Buffer.concat(fragments);
      if (hs[0] !== CLIENT_HELLO) return { kind: 'invalid', reason: `first handshake message is type ${hs[0]}, not ClientHello` };
      needed = 4 + hs.readUIntBE(1, 3);
      if (needed > MAX_CLIENT_HELLO) return tooLarge();
    }
  }
  const hs = Buffer.concat(fragments).subarray(0, needed);
  try {
    return parseClientHelloBody(hs.subarray(4));
  } catch (e) {
    return { kind: 'invalid', reason: (e as Error).message };
  }
}

function tooLarge(): ClientHelloResult {
  return { kind: 'invalid', reason: `ClientHello larger than ${MAX_CLIENT_HELLO} bytes` };
}

class Reader {
  constructor(
    private readonly b: Buffer,
    public pos = 0,
  ) {}
  get remaining(): number {
    return this.b.length - this.pos;
  }
  private need(n: number): void {
    if (this.pos + n > this.b.length) throw new Error('truncated ClientHello');
  }
  u8(): number {
    this.need(1);
    return this.b[this.pos++] as number;
  }
  u16(): number {
    this.need(2);
    const v = this.b.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }
  bytes(n: number): Buffer {
    this.need(n);
    const v = this.b.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }
}

function parseClientHelloBody(body: Buffer): ClientHelloResult {
  const r = new Reader(body);
  let version = r.u16();
  r.bytes(32); // random
  r.bytes(r.u8()); // session id
  const suitesLen = r.u16();
  if (suitesLen % 2 !== 0) throw new Error('odd cipher suites length');
  r.bytes(suitesLen);
  r.bytes(r.u8()); // compression methods
  let serverName: string | undefined;
  const alpn: string[] = [];
  if (r.remaining > 0) {
    const ext = new Reader(r.bytes(r.u16()));
    while (ext.remaining > 0) {
      const type = ext.u16();
      const data = new Reader(ext.bytes(ext.u16()));
      if (type === EXT_SERVER_NAME && data.remaining > 0) {
        const list = new Reader(data.bytes(data.u16()));
        while (list.remaining > 0) {
          const nameType = list.u8();
          const name = list.bytes(list.u16());
          if (nameType === 0 && serverName === undefined) serverName = name.toString('latin1');
        }
      } else if (type === EXT_ALPN) {
        const list = new Reader(data.bytes(data.u16()));
        while (list.remaining > 0) alpn.push(list.bytes(list.u8()).toString('latin1'));
      } else if (type === EXT_SUPPORTED_VERSIONS && data.remaining > 0) {
        const list = new Reader(data.bytes(data.u8()));
        while (list.remaining >= 2) {
          const v = list.u16();
          if ((v & 0x0f0f) === v && v > version && v <= 0x0304) version = v; // ignore GREASE values
        }
      }
    }
  }
  return { kind: 'tls', serverName, alpn, version };
}
