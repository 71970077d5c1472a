/** tcp_proxy data path: every byte arrives in order both ways (small writes are deferred to the end of the event-loop turn, large ones are not), half-close, byte counts. */
import { randomBytes } from 'node:crypto';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, listener, makeProxy, sleep, staticCluster, tcpProxyFilter } from '../testing/helpers.js';

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port }, () => resolve(s));
    s.on('error', reject);
  });
}

/** Collects what a socket receives until it ends. */
function received(s: Socket): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    s.on('data', (d: Buffer) => chunks.push(d));
    s.on('end', () => resolve(Buffer.concat(chunks)));
    s.on('error', reject);
  });
}

describe('tcp_proxy', () => {
  const { proxy, accessLog } = makeProxy();
  let echo: Server;
  let halfClose: Server;
  let echoPort = 0;
  let halfClosePort = 0;
  let echoListen = 0;
  let halfCloseListen = 0;
  /** what the half-close upstream read before the proxy passed the client's FIN on */
  let upstreamGot: Promise<string>;

  beforeAll(async () => {
    echo = createServer({ allowHalfOpen: true }, (s) => {
      s.on('error', () => {});
      s.pipe(s); // echoes, and ends after the client's end
    });
    let gotIt: (v: string) => void = () => {};
    upstreamGot = new Promise((r) => {
      gotIt = r;
    });
    halfClose = createServer({ allowHalfOpen: true }, (s) => {
      let text = '';
      s.on('data', (d: Buffer) => {
        text += d.toString();
      });
      s.on('end', () => {
        gotIt(text);
        // still writable after the client's FIN; answers, then closes its side
        s.end(`got ${text.length} bytes`);
      });
    });
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', () => r()));
    await new Promise<void>((r) => halfClose.listen(0, '127.0.0.1', () => r()));
    echoPort = (echo.address() as { port: number }).port;
    halfClosePort = (halfClose.address() as { port: number }).port;
    echoListen = await freePort();
    halfCloseListen = await freePort();
    await proxy.update('Cluster', [staticCluster('echo', [echoPort]), staticCluster('half', [halfClosePort])], '1');
    await proxy.update('Listener', [listener('echo', echoListen, [{ filters: [tcpProxyFilter('echo')] }]), listener('half', halfCloseListen, [{ filters: [tcpProxyFilter('half')] }])], '1');
  });
  afterAll(async () => {
    await proxy.close();
    echo.close();
    halfClose.close();
  });

  it('carries 4 MiB written as small and large chunks back unchanged, in order, and logs the byte counts', async () => {
    const data = randomBytes(4 * 1024 * 1024);
    const s = await open(echoListen);
    const back = received(s);
    // chunk sizes from 1 byte to 100 KiB, several in the same event-loop turn
    let off = 0;
    let i = 0;
    while (off < data.length) {
      const size = [1, 7, 64, 500, 4096, 16_383, 16_384, 65_536, 100_000][i++ % 9] as number;
      const part = data.subarray(off, Math.min(data.length, off + size));
      off += part.length;
      if (!s.write(part)) await new Promise((r) => s.once('drain', r));
    }
    s.end();
    const got = await back;
    expect(got.length).toBe(data.length);
    expect(got.equals(data)).toBe(true);
    await sleep(50);
    const entry = accessLog.entries.find((e) => e.type === 'tcp' && e.cluster === 'echo');
    expect(entry?.bytes_received).toBe(data.length);
    expect(entry?.bytes_sent).toBe(data.length);
  });

  it('answers many small request/response round trips on one connection', async () => {
    const s = await open(echoListen);
    let buf = '';
    s.on('data', (d: Buffer) => {
      buf += d.toString();
    });
    for (let n = 0; n < 200; n++) {
      const msg = `m${n};`;
      s.write(msg);
      for (let t = 0; t < 200 && !buf.endsWith(msg); t++) await sleep(1);
      expect(buf.endsWith(msg)).toBe(true);
    }
    s.end();
  });

  it('passes a half-close on: the upstream sees the data then the FIN, and its answer after that still arrives', async () => {
    const s = await open(halfCloseListen);
    const back = received(s);
    s.write('hello ');
    s.end('world');
    expect(await upstreamGot).toBe('hello world');
    expect((await back).toString()).toBe('got 11 bytes');
  });
});
