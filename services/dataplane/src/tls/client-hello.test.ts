import { createServer, type AddressInfo } from 'node:net';
import { connect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inspectClientHello } from './client-hello.js';

/** Captures the first bytes Node's TLS client sends (its real ClientHello) to a plain TCP server. */
async function captureClientHello(opts: { servername?: string; ALPNProtocols?: string[]; host?: string; maxVersion?: 'TLSv1.2' | 'TLSv1.3' }): Promise<Buffer> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  const got = new Promise<Buffer>((resolve) => {
    server.once('connection', (s) => {
      let buf = Buffer.alloc(0);
      s.on('data', (d: Buffer) => {
        buf = Buffer.concat([buf, d]);
        // a record header + its full length is there: that's the whole ClientHello of Node's client
        if (buf.length >= 5 && buf.length >= 5 + buf.readUInt16BE(3)) {
          resolve(buf);
          s.destroy();
        }
      });
    });
  });
  const client = connect({ host: opts.host ?? '127.0.0.1', port, rejectUnauthorized: false, ...(opts.servername !== undefined ? { servername: opts.servername } : {}), ...(opts.ALPNProtocols ? { ALPNProtocols: opts.ALPNProtocols } : {}), ...(opts.maxVersion ? { maxVersion: opts.maxVersion } : {}) });
  client.on('error', () => {});
  const hello = await got;
  client.destroy();
  await new Promise<void>((r) => server.close(() => r()));
  return hello;
}

describe('ClientHello inspection on real ClientHellos', () => {
  let withSni: Buffer;
  let withoutSni: Buffer;
  let withAlpn: Buffer;
  let tls12: Buffer;
  beforeAll(async () => {
    withSni = await captureClientHello({ servername: 'httpbin{mesh=default}' });
    withoutSni = await captureClientHello({}); // connecting to an IP: Node sends no SNI
    withAlpn = await captureClientHello({ servername: 'api.example.com', ALPNProtocols: ['h2', 'http/1.1'] });
    tls12 = await captureClientHello({ servername: 'old.example.com', maxVersion: 'TLSv1.2' });
  });
  afterAll(() => {});

  it('finds the SNI (including Kuma-style names with braces)', () => {
    const r = inspectClientHello(withSni);
    expect(r).toMatchObject({ kind: 'tls', serverName: 'httpbin{mesh=default}' });
    if (r.kind === 'tls') expect(r.version).toBe(0x0304);
  });

  it('reports no SNI when the client sent none', () => {
    expect(inspectClientHello(withoutSni)).toMatchObject({ kind: 'tls', serverName: undefined, alpn: [] });
  });

  it('reads the offered ALPN protocols', () => {
    expect(inspectClientHello(withAlpn)).toMatchObject({ kind: 'tls', serverName: 'api.example.com', alpn: ['h2', 'http/1.1'] });
  });

  it('handles a TLS 1.2-only ClientHello', () => {
    const r = inspectClientHello(tls12);
    expect(r).toMatchObject({ kind: 'tls', serverName: 'old.example.com' });
    if (r.kind === 'tls') expect(r.version).toBe(0x0303);
  });

  it('asks for more bytes until the ClientHello is complete (byte by byte)', () => {
    for (let n = 1; n < withSni.length; n++) expect(inspectClientHello(withSni.subarray(0, n)).kind, `after ${n} bytes`).toBe('need-more');
    expect(inspectClientHello(withSni).kind).toBe('tls');
  });

  it('reassembles a ClientHello split over two TLS records', () => {
    const hs = withSni.subarray(5); // handshake message
    const cut = 40;
    const rec = (b: Buffer) => Buffer.concat([Buffer.from([0x16, 0x03, 0x01, b.length >> 8, b.length & 0xff]), b]);
    const split = Buffer.concat([rec(hs.subarray(0, cut)), rec(hs.subarray(cut))]);
    expect(inspectClientHello(split.subarray(0, 5 + cut + 3)).kind).toBe('need-more');
    expect(inspectClientHello(split)).toMatchObject({ kind: 'tls', serverName: 'httpbin{mesh=default}' });
  });

  it('says not-tls for plain text protocols', () => {
    expect(inspectClientHello(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n')).kind).toBe('not-tls');
    expect(inspectClientHello(Buffer.from('PRI * HTTP/2.0\r\n')).kind).toBe('not-tls');
    expect(inspectClientHello(Buffer.from([0x16, 0x07, 0x00])).kind).toBe('not-tls'); // not a TLS record version
  });

  it('rejects a handshake record that is not a ClientHello, or is truncated inside', () => {
    const notHello = Buffer.from(withSni);
    notHello[5] = 0x02; // ServerHello
    expect(inspectClientHello(notHello).kind).toBe('invalid');
    const broken = Buffer.from(withSni);
    // claim a session id longer than the message
    broken[5 + 4 + 2 + 32] = 0xff;
    expect(inspectClientHello(broken).kind).toBe('invalid');
  });
});
