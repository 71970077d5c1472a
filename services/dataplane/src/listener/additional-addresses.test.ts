/** Listener.additional_addresses (issue #20): one listener on several addresses, updated address by address. */
import { createServer, type Server } from 'node:net';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listenerStatName } from '../stats.js';
import { freePort, listener, makeProxy, openTcp, staticCluster, tcpProxyFilter } from '../testing/helpers.js';

/** One round trip on a new connection. */
async function once(port: number, text: string): Promise<string> {
  const c = await openTcp(port);
  try {
    return await c.roundTrip(text);
  } finally {
    c.socket.destroy();
  }
}

const at = (port: number, address = '127.0.0.1') => ({ address: { socket_address: { address, port_value: port } } });
const tcp = (cluster: string) => [{ filters: [tcpProxyFilter(cluster)] }];

describe('Listener.additional_addresses', () => {
  // the manager's "listening" log lines tell which addresses were (re)bound
  const lines: { msg?: string; address?: string }[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      for (const l of chunk.toString().split('\n')) if (l) lines.push(JSON.parse(l));
      cb();
    },
  });
  const { proxy } = makeProxy({ log: pino({ level: 'info' }, sink) });
  const listening = () => lines.filter((l) => l.msg === 'listening').map((l) => l.address);
  let echoA: Server;
  let echoB: Server;

  beforeAll(async () => {
    const echo = (tag: string) => createServer((s) => s.on('data', (d) => s.write(`${tag}:${d.toString()}`)));
    echoA = echo('A');
    echoB = echo('B');
    await new Promise<void>((r) => echoA.listen(0, '127.0.0.1', () => r()));
    await new Promise<void>((r) => echoB.listen(0, '127.0.0.1', () => r()));
    const port = (s: Server) => (s.address() as { port: number }).port;
    await proxy.update('Cluster', [staticCluster('a', [port(echoA)]), staticCluster('b', [port(echoB)])], '1');
  });
  afterAll(async () => {
    await proxy.close();
    echoA.close();
    echoB.close();
  });

  it('listens on every address; connections on any of them go through the same filter chains and stats', async () => {
    const [p1, p2, p3] = [await freePort(), await freePort(), await freePort()];
    // a chain matching the destination port sees the port of the address the client connected to
    const chains = [{ filter_chain_match: { destination_port: p3 }, filters: [tcpProxyFilter('b')] }, { filters: [tcpProxyFilter('a')] }];
    await proxy.update('Listener', [listener('multi', p1, chains, { additional_addresses: [at(p2), at(p3)] })], '1');
    expect(await once(p1, 'x')).toBe('A:x');
    expect(await once(p2, 'y')).toBe('A:y');
    expect(await once(p3, 'z')).toBe('B:z');
    expect(proxy.listenerManager.boundPort('multi')).toBe(p1);
    expect(proxy.listenerManager.boundAddresses('multi')?.map((a) => a.port)).toEqual([p1, p2, p3]);
    // one listener, one stat name: the primary address's
    expect(proxy.stats.listeners.get(listenerStatName('127.0.0.1', p1))?.downstream_cx_total).toBe(3);
    expect(proxy.stats.listeners.has(listenerStatName('127.0.0.1', p2))).toBe(false);
    // an ORIGINAL_DST cluster must not loop back into any of them
    expect([p1, p2, p3].map((p) => proxy.isLocalListener('127.0.0.1', p))).toEqual([true, true, true]);
    await proxy.update('Listener', [], '2');
  });

  it('a new version that drops an additional address closes only that one; its open connection drains, the others are not rebound', async () => {
    const [p1, p2, p3, p4] = [await freePort(), await freePort(), await freePort(), await freePort()];
    await proxy.update('Listener', [listener('vips', p1, tcp('a'), { additional_addresses: [at(p2), at(p3)] })], '3');
    const onP2 = await openTcp(p2);
    expect(await onP2.roundTrip('1')).toBe('A:1');
    const before = listening().length;
    await proxy.update('Listener', [listener('vips', p1, tcp('b'), { additional_addresses: [at(p3), at(p4)] })], '4');
    expect(listening().slice(before)).toEqual([`127.0.0.1:${p4}`]); // p1 and p3 kept their sockets
    await expect(openTcp(p2)).rejects.toThrow(/ECONNREFUSED/);
    expect(await onP2.roundTrip('2')).toBe('A:2'); // accepted by the old version: carries on (draining)
    expect(await once(p1, 'p1')).toBe('B:p1');
    expect(await once(p3, 'p3')).toBe('B:p3');
    expect(await once(p4, 'p4')).toBe('B:p4');
    onP2.socket.destroy();
    await proxy.update('Listener', [], '5');
  });

  it('an address can move from one listener to another in one update', async () => {
    const [p1, p2, p3] = [await freePort(), await freePort(), await freePort()];
    await proxy.update('Listener', [listener('one', p1, tcp('a'), { additional_addresses: [at(p2)] }), listener('two', p3, tcp('b'))], '6');
    const open = await openTcp(p2);
    expect(await open.roundTrip('o')).toBe('A:o');
    await proxy.update('Listener', [listener('one', p1, tcp('a')), listener('two', p3, tcp('b'), { additional_addresses: [at(p2)] })], '7');
    expect(await once(p2, 'moved')).toBe('B:moved');
    expect(await open.roundTrip('still')).toBe('A:still');
    open.socket.destroy();
    await proxy.update('Listener', [], '8');
  });

  it('a listener whose address another listener holds is rejected and binds none of its addresses', async () => {
    const [p1, p2, p3] = [await freePort(), await freePort(), await freePort()];
    const first = listener('first', p1, tcp('a'));
    const second = listener('second', p2, tcp('b'), { additional_addresses: [at(p3), at(p1)] });
    await expect(proxy.update('Listener', [first, second], '9')).rejects.toThrow(`listener second: 127.0.0.1:${p1} (additional_addresses[1]) is already used by listener first`);
    expect(proxy.listenerManager.listeners().map((l) => l.name)).toEqual(['first']);
    expect(await once(p1, 'f')).toBe('A:f');
    await expect(openTcp(p2)).rejects.toThrow(/ECONNREFUSED/);
    await expect(openTcp(p3)).rejects.toThrow(/ECONNREFUSED/);
    await proxy.update('Listener', [], '10');
  });

  it('an address that cannot be bound fails the whole new version: the addresses it bound are closed, the previous version stays', async () => {
    const busy = createServer();
    const [p1, p2, pBusy] = [await freePort(), await freePort(), await freePort()];
    await new Promise<void>((r) => busy.listen(pBusy, '127.0.0.1', () => r()));
    await proxy.update('Listener', [listener('svc', p1, tcp('a'))], '11');
    await expect(proxy.update('Listener', [listener('svc', p1, tcp('b'), { additional_addresses: [at(p2), at(pBusy)] })], '12')).rejects.toThrow(
      new RegExp(`^listener svc: cannot bind 127\\.0\\.0\\.1:${pBusy} \\(additional_addresses\\[1\\]\\): .*EADDRINUSE`),
    );
    expect(await once(p1, 'old')).toBe('A:old'); // the previous version still serves
    await expect(openTcp(p2)).rejects.toThrow(/ECONNREFUSED/); // bound for the failed version, then closed
    expect(proxy.listenerManager.boundAddresses('svc')?.map((a) => a.port)).toEqual([p1]);
    busy.close();
    await proxy.update('Listener', [], '13');
  });

  it('bind_to_port: false binds none of the addresses', async () => {
    const [p1, p2] = [await freePort(), await freePort()];
    await proxy.update('Listener', [listener('virtual', p1, tcp('a'), { bind_to_port: false, additional_addresses: [at(p2)] })], '14');
    expect(proxy.listenerManager.listeners().map((l) => l.name)).toEqual(['virtual']);
    await expect(openTcp(p1)).rejects.toThrow(/ECONNREFUSED/);
    await expect(openTcp(p2)).rejects.toThrow(/ECONNREFUSED/);
    await proxy.update('Listener', [], '15');
  });

  it('validates each additional address like the primary, naming the field', async () => {
    const p = await freePort();
    const bad = (additional: unknown[]) => proxy.update('Listener', [listener('x', p, tcp('a'), { additional_addresses: additional })], 'bad');
    await expect(bad([at(p + 1), { address: { socket_address: { address: '127.0.0.1' } } }])).rejects.toThrow('listener x.additional_addresses[1].address.socket_address.port_value is required');
    await expect(bad([{ address: { pipe: { path: '/tmp/x' } } }])).rejects.toThrow('listener x.additional_addresses[0].address.socket_address is required');
    await expect(bad([{}])).rejects.toThrow('listener x.additional_addresses[0].address.socket_address is required');
    await expect(bad([{ address: { socket_address: { address: '127.0.0.1', port_value: p + 1, protocol: 'UDP' } } }])).rejects.toThrow(
      'listener x.additional_addresses[0].address.socket_address.protocol: UDP is not supported',
    );
    await expect(bad([at(p + 1), at(p)])).rejects.toThrow(`listener x.additional_addresses[1].address: 127.0.0.1:${p} is already the listener's address`);
    await expect(bad([at(p + 1), at(p + 1)])).rejects.toThrow(`listener x.additional_addresses[1].address: 127.0.0.1:${p + 1} is already the listener's additional_addresses[0].address`);
    const dns = { name: 'dns', address: { socket_address: { protocol: 'UDP', address: '127.0.0.1', port_value: p } }, additional_addresses: [at(p + 1)], listener_filters: [] };
    await expect(proxy.update('Listener', [dns], 'bad')).rejects.toThrow('listener dns: additional_addresses are not supported on a UDP (DNS) listener');
    expect(proxy.listenerManager.listeners()).toEqual([]);
  });
});
