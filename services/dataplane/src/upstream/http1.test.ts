/** HTTP/1.1 framing through the proxy's upstream client: chunked, HEAD, 1xx, close-delimited, big bodies, reuse. */
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:net';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, get, hcmFilter, httpUpstream, listener, makeProxy, routeConfig, staticCluster, type Upstream } from '../testing/helpers.js';

describe('HTTP/1.1 framing through the proxy', () => {
  const { proxy } = makeProxy();
  let up: Upstream;
  let raw: Server;
  let port = 0;
  const connections = new Set<unknown>();

  beforeAll(async () => {
    up = await httpUpstream((req, res) => {
      connections.add(req.socket);
      const hash = createHash('sha256');
      let n = 0;
      req.on('data', (c: Buffer) => {
        n += c.length;
        hash.update(c);
      });
      req.on('end', () => {
        if (req.url === '/chunked-response') {
          res.write('part1,');
          setTimeout(() => res.end('part2'), 10);
          return;
        }
        if (req.url === '/big') {
          res.setHeader('content-length', 8 * 1024 * 1024);
          const chunk = Buffer.alloc(64 * 1024, 'z');
          let sent = 0;
          const pump = () => {
            while (sent < 8 * 1024 * 1024) {
              sent += chunk.length;
              if (!res.write(chunk)) {
                res.once('drain', pump);
                return;
              }
            }
            res.end();
          };
          pump();
          return;
        }
        res.setHeader('x-te', String(req.headers['transfer-encoding'] ?? 'none'));
        res.setHeader('x-cl', String(req.headers['content-length'] ?? 'none'));
        res.end(`${req.method} ${n} ${hash.digest('hex').slice(0, 16)}`);
      });
    });
    // a raw server: answers 100 Continue first, then a close-delimited body
    raw = createServer((s) => {
      let buf = '';
      s.on('data', (d) => {
        buf += d.toString();
        if (!buf.includes('\r\n\r\n')) return;
        if (buf.startsWith('GET /close-delimited')) {
          s.end('HTTP/1.1 200 OK\r\nconnection: close\r\n\r\nuntil the end');
        } else if (buf.startsWith('GET /interim')) {
          s.write('HTTP/1.1 100 Continue\r\n\r\n');
          s.end('HTTP/1.1 200 OK\r\ncontent-length: 5\r\nconnection: close\r\n\r\nfinal');
        } else if (buf.startsWith('GET /garbage')) {
          s.end('this is not http\r\n\r\n');
        }
      });
    });
    await new Promise<void>((r) => raw.listen(0, '127.0.0.1', () => r()));
    port = await freePort();
    await proxy.update('Cluster', [staticCluster('up', [up.port]), staticCluster('raw', [(raw.address() as { port: number }).port])], '1');
    await proxy.update(
      'Listener',
      [
        listener('l', port, [
          {
            filters: [
              hcmFilter(
                routeConfig('r', [
                  { match: { prefix: '/close-delimited' }, route: { cluster: 'raw' } },
                  { match: { prefix: '/interim' }, route: { cluster: 'raw' } },
                  { match: { prefix: '/garbage' }, route: { cluster: 'raw' } },
                  { match: { prefix: '/' }, route: { cluster: 'up', timeout: '20s' } },
                ]),
              ),
            ],
          },
        ]),
      ],
      '1',
    );
  });
  afterAll(async () => {
    await proxy.close();
    await up.close();
    raw.close();
  });

  it('forwards a content-length body as is', async () => {
    const body = 'x'.repeat(1000);
    const r = await get(port, '/len', { method: 'POST', body, headers: { 'content-length': '1000' } });
    expect(r.body).toBe(`POST 1000 ${createHash('sha256').update(body).digest('hex').slice(0, 16)}`);
    expect(r.headers['x-cl']).toBe('1000');
    expect(r.headers['x-te']).toBe('none');
  });

  it('keeps a chunked request body chunked', async () => {
    const r = await new Promise<{ body: string; te: string }>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path: '/chunked', method: 'POST', agent: false }, (res) => {
        let b = '';
        res.on('data', (c: Buffer) => {
          b += c.toString();
        });
        res.on('end', () => resolve({ body: b, te: String(res.headers['x-te']) }));
      });
      req.on('error', reject);
      req.write('hello ');
      setTimeout(() => req.end('world'), 20);
    });
    expect(r.te).toBe('chunked');
    expect(r.body).toBe(`POST 11 ${createHash('sha256').update('hello world').digest('hex').slice(0, 16)}`);
  });

  it('streams a chunked response, a close-delimited one, and skips 1xx interim responses', async () => {
    expect((await get(port, '/chunked-response')).body).toBe('part1,part2');
    expect((await get(port, '/close-delimited')).body).toBe('until the end');
    const interim = await get(port, '/interim');
    expect([interim.status, interim.body]).toEqual([200, 'final']);
  });

  it('answers HEAD without waiting for a body', async () => {
    const r = await get(port, '/head', { method: 'HEAD' });
    expect(r.status).toBe(200);
    expect(r.body).toBe('');
    expect((await get(port, '/after-head')).body).toMatch(/^GET 0 /); // the pooled connection is still in sync
  });

  it('carries an 8 MiB response with backpressure', async () => {
    const r = await get(port, '/big');
    expect(r.body.length).toBe(8 * 1024 * 1024);
  });

  it('reuses upstream connections (keep-alive pool)', async () => {
    connections.clear();
    for (let i = 0; i < 20; i++) await get(port, `/reuse/${i}`);
    expect(connections.size).toBe(1);
  });

  it('answers 503 when the upstream does not speak HTTP', async () => {
    const r = await get(port, '/garbage');
    expect(r.status).toBe(503);
  });
});
