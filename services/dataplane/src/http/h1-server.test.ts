/**
 * The downstream HTTP/1.1 codec on its own: raw bytes in over a real socket, raw bytes out, so that
 * framing, keep-alive and the local replies are checked exactly as a client sees them.
 */
import { type AddressInfo, connect, createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { ConnectionInfo } from '../context.js';
import { H1Connection, type H1Handler, type H1Options, type H1Request, type H1Response } from './h1-server.js';

const info: ConnectionInfo = {
  listener: 'test',
  listenerStat: 'test',
  sourceIp: '127.0.0.1',
  sourcePort: 0,
  destinationIp: '127.0.0.1',
  destinationPort: 0,
  serverName: undefined,
  tls: false,
  peer: undefined,
  startedAt: 0,
};

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise<void>((r) => s.close(() => r()));
});

/** A promise with its resolve function, for a test to wait on something a handler does. */
function defer<T = void>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** Waits until `cond` holds (server state no event reports); the test timeout bounds it. */
async function waitFor(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((r) => setTimeout(r, 2));
}

/** A server whose connections are H1Connections: `conn(i)` resolves with the i-th codec object once it is accepted. */
async function serve(handler: H1Handler, opts: Partial<H1Options> = {}): Promise<{ port: number; conn(i: number): Promise<H1Connection> }> {
  const conns: H1Connection[] = [];
  const o: H1Options = { idleTimeoutMs: 0, headersTimeoutMs: 0, requestTimeoutMs: 0, serverName: 'envoy', ...opts };
  const server = createServer((s) => conns.push(new H1Connection(s, info, o, handler)));
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const conn = async (i: number) => {
    await waitFor(() => conns.length > i);
    return conns[i] as H1Connection;
  };
  return { port: (server.address() as AddressInfo).port, conn };
}

/** A raw client connection: everything it receives, and when the server closes it. */
interface Raw {
  socket: Socket;
  received(): string;
  /** resolves with everything received once `pred` holds for it (or rejects when the socket closes first) */
  until(pred: (s: string) => boolean): Promise<string>;
  closed: Promise<string>;
}

async function raw(port: number): Promise<Raw> {
  const socket = connect(port, '127.0.0.1');
  await new Promise<void>((r, j) => socket.once('connect', r).once('error', j));
  let text = '';
  const waiters: { pred: (s: string) => boolean; resolve: (s: string) => void; reject: (e: Error) => void }[] = [];
  const check = () => {
    for (const w of waiters.slice()) {
      if (w.pred(text)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(text);
      }
    }
  };
  socket.on('data', (d: Buffer) => {
    text += d.toString('latin1');
    check();
  });
  socket.on('error', () => {});
  const closed = new Promise<string>((r) =>
    socket.on('close', () => {
      for (const w of waiters.splice(0)) w.reject(new Error(`closed before the expected bytes; received:\n${text}`));
      r(text);
    }),
  );
  return {
    socket,
    received: () => text,
    until: (pred) =>
      new Promise((resolve, reject) => {
        waiters.push({ pred, resolve, reject });
        check();
      }),
    closed,
  };
}

const count = (s: string, sub: string) => s.split(sub).length - 1;

/** Answers with the request's method, path and body (content-length set). */
const echo: H1Handler = (req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const body = `${req.method} ${req.url} ${Buffer.concat(chunks).toString()}`;
    res.writeHead(200, ['content-length', String(Buffer.byteLength(body))]);
    res.end(body);
  });
};

describe('H1Connection', () => {
  it('hands pipelined requests to the handler one at a time, each after the previous response ended, and answers in order', async () => {
    // A later request is not handed over before the earlier response has ended (see the module
    // comment), so it cannot be answered first; what is checked is that requests that have fully
    // arrived wait for their turn, and the responses go out in request order.
    const log: string[] = [];
    const first = defer<{ conn: H1Connection; res: H1Response }>();
    const { port } = await serve((req, res) => {
      log.push(`start ${req.url}${req.complete ? ' (complete)' : ''}`);
      req.resume();
      if (req.url === '/1') first.resolve({ conn: req.connection, res });
      else {
        // logged first: ending a response hands the next request over at once
        log.push(`answer ${req.url}`);
        res.end(req.url);
      }
    });
    const c = await raw(port);
    c.socket.write('GET /1 HTTP/1.1\r\nhost: a\r\n\r\nGET /2 HTTP/1.1\r\nhost: a\r\n\r\nGET /3 HTTP/1.1\r\nhost: a\r\n\r\n');
    const { conn, res } = await first.promise;
    // all three requests have been received, /2 and /3 are waiting behind /1
    await waitFor(() => conn.active === 3);
    expect(log).toEqual(['start /1']);
    expect(c.received()).toBe('');
    log.push('answer /1');
    res.end('/1');
    const text = await c.until((s) => count(s, 'HTTP/1.1 200') === 3 && s.endsWith('/3'));
    expect(log).toEqual(['start /1', 'answer /1', 'start /2 (complete)', 'answer /2', 'start /3 (complete)', 'answer /3']);
    const bodies = text.split('HTTP/1.1 200 OK\r\n').slice(1).map((r) => r.split('\r\n\r\n')[1]);
    expect(bodies).toEqual(['/1', '/2', '/3']);
    expect(conn.active).toBe(0);
    c.socket.destroy();
  });

  it('hands a pipelined request its body once it is its turn', async () => {
    const { port } = await serve(echo);
    const c = await raw(port);
    c.socket.write('POST /a HTTP/1.1\r\ncontent-length: 3\r\n\r\nabcPOST /b HTTP/1.1\r\ntransfer-encoding: chunked\r\n\r\n2\r\nxy\r\n1\r\nz\r\n0\r\n\r\n');
    const text = await c.until((s) => s.includes('POST /b xyz'));
    expect(text.indexOf('POST /a abc')).toBeGreaterThan(0);
    expect(text.indexOf('POST /a abc')).toBeLessThan(text.indexOf('POST /b xyz'));
    c.socket.destroy();
  });

  it('keeps HTTP/1.1 connections open and closes after a request that says connection: close', async () => {
    const { port } = await serve(echo);
    const c = await raw(port);
    c.socket.write('GET /x HTTP/1.1\r\n\r\n');
    const first = await c.until((s) => s.endsWith('GET /x '));
    expect(first).not.toMatch(/connection: close/i);
    c.socket.write('GET /y HTTP/1.1\r\nconnection: close\r\n\r\nGET /ignored HTTP/1.1\r\n\r\n');
    const all = await c.closed;
    const second = all.slice(first.length);
    expect(second).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(second).toContain('connection: close\r\n');
    expect(second.endsWith('GET /y ')).toBe(true);
    expect(all).not.toContain('/ignored');
  });

  it('closes HTTP/1.0 connections unless the request asks for keep-alive, and then says keep-alive', async () => {
    const { port } = await serve(echo);
    const a = await raw(port);
    a.socket.write('GET /old HTTP/1.0\r\n\r\n');
    const one = await a.closed;
    expect(one).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(one).toContain('connection: close\r\n');
    expect(one.endsWith('GET /old ')).toBe(true);

    const b = await raw(port);
    b.socket.write('GET /k1 HTTP/1.0\r\nconnection: keep-alive\r\n\r\n');
    const first = await b.until((s) => s.endsWith('GET /k1 '));
    expect(first).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(first).toContain('connection: keep-alive\r\n');
    expect(first).not.toContain('connection: close');
    b.socket.write('GET /k2 HTTP/1.0\r\nconnection: keep-alive\r\n\r\n');
    const upToSecond = await b.until((s) => s.endsWith('GET /k2 '));
    const second = upToSecond.slice(first.length);
    expect(second).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(second).toContain('connection: keep-alive\r\n');
    expect(second).not.toContain('connection: close');
    // still usable: a third request on the same connection, without keep-alive, is answered and then closes it
    b.socket.write('GET /k3 HTTP/1.0\r\n\r\n');
    const third = (await b.closed).slice(upToSecond.length);
    expect(third).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(third).toContain('connection: close\r\n');
    expect(third.endsWith('GET /k3 ')).toBe(true);
  });

  it('frames a response without content-length as chunked on HTTP/1.1 and close-delimited on HTTP/1.0', async () => {
    const { port } = await serve((req, res) => {
      req.resume();
      res.writeHead(200, ['content-type', 'text/plain']);
      res.write('hello ');
      res.end('world');
    });
    const a = await raw(port);
    a.socket.write('GET / HTTP/1.1\r\n\r\n');
    const chunked = await a.until((s) => s.endsWith('0\r\n\r\n'));
    expect(chunked).toContain('transfer-encoding: chunked\r\n');
    expect(chunked.split('\r\n\r\n').slice(1).join('\r\n\r\n')).toBe('6\r\nhello \r\n5\r\nworld\r\n0\r\n\r\n');
    a.socket.destroy();

    const b = await raw(port);
    b.socket.write('GET / HTTP/1.0\r\nconnection: keep-alive\r\n\r\n');
    const delimited = await b.closed;
    expect(delimited).not.toContain('transfer-encoding');
    expect(delimited).toContain('connection: close\r\n');
    expect(delimited.endsWith('\r\n\r\nhello world')).toBe(true);
  });

  it('sends no body for HEAD, 204 and 304, and the connection stays usable', async () => {
    const { port } = await serve((req, res) => {
      req.resume();
      const status = req.url === '/204' ? 204 : req.url === '/304' ? 304 : 200;
      res.writeHead(status, ['x-path', req.url]);
      res.end('must not be sent');
    });
    const c = await raw(port);
    c.socket.write('HEAD /h HTTP/1.1\r\n\r\nGET /204 HTTP/1.1\r\n\r\nGET /304 HTTP/1.1\r\n\r\nHEAD /last HTTP/1.1\r\n\r\n');
    const text = await c.until((s) => s.includes('x-path: /last\r\n') && s.endsWith('\r\n\r\n'));
    expect(text).not.toContain('must not be sent');
    expect(text).not.toContain('transfer-encoding');
    expect(count(text, 'HTTP/1.1 ')).toBe(4);
    expect(text).not.toContain('connection: close');
    expect(text).toContain('HTTP/1.1 204 No Content\r\n');
    expect(text).toContain('HTTP/1.1 304 Not Modified\r\n');
    c.socket.destroy();
  });

  it('answers expect: 100-continue before the client sends the body', async () => {
    const { port } = await serve(echo);
    const c = await raw(port);
    c.socket.write('PUT /up HTTP/1.1\r\ncontent-length: 4\r\nexpect: 100-continue\r\n\r\n');
    const interim = await c.until((s) => s.includes('\r\n\r\n'));
    expect(interim).toBe('HTTP/1.1 100 Continue\r\n\r\n');
    c.socket.write('data');
    const text = await c.until((s) => s.endsWith('PUT /up data'));
    expect(text).toContain('HTTP/1.1 200 OK');
    c.socket.destroy();
  });

  it('answers malformed requests with 400 and closes', async () => {
    let handled = 0;
    const { port } = await serve((req, res) => {
      handled++;
      echo(req, res);
    });
    const c = await raw(port);
    c.socket.write('THIS IS NOT HTTP\r\n\r\n');
    const text = await c.closed;
    expect(text).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(text).toContain('server: envoy\r\n');
    expect(text).toContain('connection: close\r\n');
    expect(handled).toBe(0);

    // an invalid content-length is malformed too
    const d = await raw(port);
    d.socket.write('POST / HTTP/1.1\r\ncontent-length: abc\r\n\r\n');
    expect(await d.closed).toMatch(/^HTTP\/1\.1 400 /);
  });

  it('a malformed request behind one still being answered: that response closes the connection, no 400', async () => {
    const handled = defer<H1Response>();
    const { port } = await serve((req, res) => {
      req.resume();
      handled.resolve(res);
    });
    const c = await raw(port);
    c.socket.write('GET /good HTTP/1.1\r\n\r\nBAD\x01REQUEST\r\n\r\n');
    const res = await handled.promise;
    // the /good response is answered only once the malformed request behind it has been read
    await waitFor(() => !res.shouldKeepAlive);
    res.end('answered /good');
    const text = await c.closed;
    expect(text).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(text).toContain('connection: close\r\n');
    expect(text.endsWith('answered /good')).toBe(true);
    expect(text).not.toContain(' 400 ');
  });

  it('a malformed request behind one already answered gets the 400 after it', async () => {
    const { port } = await serve(echo);
    const c = await raw(port);
    c.socket.write('GET /good HTTP/1.1\r\n\r\nBAD\x01REQUEST\r\n\r\n');
    const text = await c.closed;
    expect(text.indexOf('GET /good ')).toBeGreaterThan(0);
    expect(text.indexOf('GET /good ')).toBeLessThan(text.indexOf('HTTP/1.1 400 Bad Request'));
  });

  it('answers headers over the limit with 431', async () => {
    const { port } = await serve(echo, { maxHeaderBytes: 1024 });
    const c = await raw(port);
    c.socket.write(`GET / HTTP/1.1\r\nx-big: ${'a'.repeat(2000)}\r\n\r\n`);
    const text = await c.closed;
    expect(text).toMatch(/^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/);
  });

  it('answers 408 when the headers do not arrive in time, and does not time a connection idle between requests', async () => {
    const { port } = await serve(echo, { headersTimeoutMs: 1000 });
    const ok = await raw(port);
    ok.socket.write('GET /fast HTTP/1.1\r\n\r\n');
    const first = await ok.until((s) => s.endsWith('GET /fast '));
    // `ok` is idle from here on. A request whose headers stall, started after that, gets its 408 once
    // the headers timeout has run out
    const slow = await raw(port);
    slow.socket.write('GET / HTTP/1.1\r\nhost: slow\r\n');
    const text = await slow.closed;
    expect(text).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
    expect(text).toContain('connection: close\r\n');
    // ...so `ok` has now been idle for longer than the headers timeout: the timer applies per request,
    // not to the idle time between them, and the connection is still open and usable
    expect(ok.received()).toBe(first);
    ok.socket.write('GET /again HTTP/1.1\r\n\r\n');
    const again = (await ok.until((s) => s.endsWith('GET /again '))).slice(first.length);
    expect(again).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(again).not.toContain('connection: close');
    ok.socket.destroy();
  });

  it('answers 408 when the body does not arrive within the request timeout', async () => {
    const { port } = await serve(echo, { requestTimeoutMs: 150 });
    const c = await raw(port);
    c.socket.write('POST / HTTP/1.1\r\ncontent-length: 10\r\n\r\nabc');
    const text = await c.closed;
    expect(text).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
    expect(text).toContain('connection: close\r\n');
  });

  it('refuses protocol upgrades with 403 but serves an h2c upgrade request as HTTP/1.1', async () => {
    let handled = 0;
    const { port } = await serve((req, res) => {
      handled++;
      echo(req, res);
    });
    const ws = await raw(port);
    ws.socket.write('GET /chat HTTP/1.1\r\nconnection: upgrade\r\nupgrade: websocket\r\nsec-websocket-version: 13\r\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n');
    expect(await ws.closed).toMatch(/^HTTP\/1\.1 403 Forbidden\r\n/);
    expect(handled).toBe(0);

    const h2c = await raw(port);
    h2c.socket.write('GET /plain HTTP/1.1\r\nconnection: upgrade, http2-settings\r\nupgrade: h2c\r\nhttp2-settings: AAMAAABkAAQAAP__\r\n\r\nGET /next HTTP/1.1\r\n\r\n');
    const text = await h2c.until((s) => s.endsWith('GET /next '));
    expect(text).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(text).toContain('GET /plain ');
    expect(count(text, 'HTTP/1.1 200 OK\r\n')).toBe(2);
    expect(text).not.toMatch(/HTTP\/1\.1 101/);
    h2c.socket.destroy();
  });

  it('closes a connection idle for longer than the idle timeout', async () => {
    const { port } = await serve(echo, { idleTimeoutMs: 150 });
    // taken before connecting: the server's timer starts later than this
    const t0 = performance.now();
    const idle = await raw(port);
    expect(await idle.closed).toBe('');
    expect(performance.now() - t0).toBeGreaterThanOrEqual(100);
  });

  it('does not close a connection with a request in flight for idleness, and closes it once idle again', async () => {
    const handled = defer<() => void>();
    const { port } = await serve(
      (req, res) => {
        req.resume();
        handled.resolve(() => res.end('late'));
      },
      { idleTimeoutMs: 1000 },
    );
    const busy = await raw(port);
    busy.socket.write('GET /slow HTTP/1.1\r\n\r\n');
    const answer = await handled.promise;
    // a connection opened now is closed for idleness after the idle timeout; by then `busy`, accepted
    // earlier, has had its request in flight for longer than that
    const clock = await raw(port);
    expect(await clock.closed).toBe('');
    expect(busy.received()).toBe('');
    answer();
    const text = await busy.until((s) => s.endsWith('late'));
    expect(text).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(text).not.toContain('connection: close');
    // idle again: closed after the timeout, with nothing more sent
    expect(await busy.closed).toBe(text);
  });

  it('draining: the next response says connection: close and the connection closes after it', async () => {
    const { port, conn } = await serve(echo);
    const c = await raw(port);
    c.socket.write('GET /1 HTTP/1.1\r\n\r\n');
    const first = await c.until((s) => s.endsWith('GET /1 '));
    expect(first).not.toContain('connection: close');
    (await conn(0)).drain(10_000);
    c.socket.write('GET /2 HTTP/1.1\r\n\r\n');
    const all = await c.closed;
    expect(all.endsWith('GET /2 ')).toBe(true);
    expect(count(all, 'connection: close')).toBe(1);
  });

  it('draining: an idle connection closes after the grace time', async () => {
    const { port, conn } = await serve(echo);
    // taken before connecting: the grace timer starts later than this
    const t0 = performance.now();
    const c = await raw(port);
    (await conn(0)).drain(200);
    expect(await c.closed).toBe('');
    expect(performance.now() - t0).toBeGreaterThanOrEqual(150);
  });

  it('a client that half-closes after its request has it abandoned: the handler sees close, not a response', async () => {
    let handled = () => {};
    const seen = new Promise<void>((r) => {
      handled = r;
    });
    let closedUrl = (_: string) => {};
    const resClosed = new Promise<string>((r) => {
      closedUrl = r;
    });
    const { port } = await serve((req, res) => {
      req.resume();
      res.on('close', () => closedUrl(req.url));
      handled();
    });
    const c = await raw(port);
    c.socket.write('GET /gone HTTP/1.1\r\n\r\n');
    await seen;
    c.socket.end();
    expect(await resClosed).toBe('/gone');
    expect(await c.closed).toBe('');
  });

  it('a client that half-closes when everything is answered gets a clean close', async () => {
    const { port } = await serve(echo);
    const c = await raw(port);
    c.socket.write('GET /done HTTP/1.1\r\n\r\n');
    await c.until((s) => s.endsWith('GET /done '));
    c.socket.end();
    expect((await c.closed).endsWith('GET /done ')).toBe(true);
  });

  it('a connection lost in the middle of a body marks the request aborted', async () => {
    let req: H1Request | undefined;
    let gotData = () => {};
    const data = new Promise<void>((r) => {
      gotData = r;
    });
    let onAborted = () => {};
    const aborted = new Promise<void>((r) => {
      onAborted = r;
    });
    const { port } = await serve((q) => {
      req = q;
      q.on('data', () => gotData());
      q.on('aborted', () => onAborted());
    });
    const c = await raw(port);
    c.socket.write('POST / HTTP/1.1\r\ncontent-length: 100\r\n\r\npartial');
    await data;
    c.socket.destroy();
    await aborted;
    expect(req?.aborted).toBe(true);
    expect(req?.complete).toBe(false);
  });

  it('gives the router lower-cased headers with repeats joined and the raw list as received', async () => {
    let seen: H1Request | undefined;
    const { port } = await serve((req, res) => {
      seen = req;
      req.resume();
      res.end('');
    });
    const c = await raw(port);
    c.socket.write('GET / HTTP/1.1\r\nX-A: 1\r\nx-a: 2\r\nCookie: a=1\r\ncookie: b=2\r\nHost: one\r\nhost: two\r\n\r\n');
    await c.until((s) => s.endsWith('\r\n\r\n'));
    expect(seen?.headers).toEqual({ 'x-a': '1, 2', cookie: 'a=1; b=2', host: 'one' });
    expect(seen?.rawHeaders).toEqual(['X-A', '1', 'x-a', '2', 'Cookie', 'a=1', 'cookie', 'b=2', 'Host', 'one', 'host', 'two']);
    c.socket.destroy();
  });

  it('refuses response headers with CR or LF instead of writing them', async () => {
    let error: unknown;
    const { port } = await serve((req, res) => {
      req.resume();
      try {
        res.writeHead(200, { 'x-bad': 'a\r\nset-cookie: evil=1' });
      } catch (e) {
        error = e;
        res.end('refused');
      }
    });
    const c = await raw(port);
    c.socket.write('GET / HTTP/1.1\r\n\r\n');
    const text = await c.until((s) => s.endsWith('refused'));
    expect(String(error)).toContain('x-bad');
    expect(text).not.toContain('evil');
    c.socket.destroy();
  });
});
