import { createSocket } from 'node:dgram';
import { Resolver } from 'node:dns/promises';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { quietLog } from '../testing/helpers.js';
import { buildResponse, chainDnsTables, compileDnsFilter, DnsServer, type DnsTable, parseQuery, QTYPE, RCODE } from './server.js';

/** A fake upstream resolver answering every A query with 192.0.2.7. */
async function fakeUpstream(): Promise<{ port: number; close(): void; queries: string[] }> {
  const s = createSocket('udp4');
  const queries: string[] = [];
  s.on('message', (msg, rinfo) => {
    const q = parseQuery(msg);
    if (!q) return;
    queries.push(q.name);
    s.send(buildResponse(msg, q, RCODE.NOERROR, q.type === QTYPE.A ? [{ type: QTYPE.A, ip: '192.0.2.7', ttl: 60 }] : []), rinfo.port, rinfo.address);
  });
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  return { port: s.address().port, close: () => s.close(), queries };
}

const table = (forward: boolean) =>
  compileDnsFilter(
    {
      server_config: {
        inline_dns_table: {
          virtual_domains: [
            { name: 'httpbin.mesh', endpoint: { address_list: { address: ['127.241.73.236'] } }, answer_ttl: '30s' },
            { name: 'httpbin.org', endpoint: { address_list: { address: ['127.241.21.131'] } }, answer_ttl: '30s' },
          ],
        },
      },
      ...(forward ? { client_config: { resolver_timeout: '1s', max_pending_lookups: '256' } } : {}),
    },
    'dns_filter',
  );

describe('builtin DNS', () => {
  let upstream: Awaited<ReturnType<typeof fakeUpstream>>;
  const server = new DnsServer(quietLog(), () => [`127.0.0.1:${upstream.port}`]);
  let resolver: Resolver;

  beforeAll(async () => {
    upstream = await fakeUpstream();
    await server.listen('127.0.0.1', 0);
    server.setTable(table(true));
    resolver = new Resolver({ timeout: 2000, tries: 1 });
    resolver.setServers([`127.0.0.1:${server.port}`]);
  });
  afterAll(async () => {
    await server.close();
    upstream.close();
  });

  it('answers <service>.mesh and ExternalService host names with their VIPs (UDP)', async () => {
    expect(await resolver.resolve4('httpbin.mesh')).toEqual(['127.241.73.236']);
    expect(await resolver.resolve4('HTTPBIN.org')).toEqual(['127.241.21.131']);
    const ttl = await resolver.resolve4('httpbin.mesh', { ttl: true });
    expect(ttl[0]?.ttl).toBe(30);
  });

  it('answers AAAA for a known name with an empty NOERROR (no IPv6 VIP)', async () => {
    await expect(resolver.resolve6('httpbin.mesh')).rejects.toMatchObject({ code: 'ENODATA' });
  });

  it('forwards other names to the system resolvers when passthrough is on', async () => {
    expect(await resolver.resolve4('example.com')).toEqual(['192.0.2.7']);
    expect(upstream.queries).toContain('example.com');
  });

  it('refuses other names when passthrough is off (no client_config)', async () => {
    server.setTable(table(false));
    await expect(resolver.resolve4('example.com')).rejects.toMatchObject({ code: 'EREFUSED' });
    expect(await resolver.resolve4('httpbin.mesh')).toEqual(['127.241.73.236']);
    server.setTable(table(true));
  });

  it('answers over TCP too', async () => {
    const q = Buffer.from('abcd01000001000000000000076874747062696e046d6573680000010001', 'hex');
    q.writeUInt16BE(0x1234, 0);
    const answer = await new Promise<Buffer>((resolve, reject) => {
      const s = connect({ host: '127.0.0.1', port: server.port as number }, () => {
        const len = Buffer.alloc(2);
        len.writeUInt16BE(q.length);
        s.write(Buffer.concat([len, q]));
      });
      let buf = Buffer.alloc(0);
      s.on('data', (d: Buffer) => {
        buf = Buffer.concat([buf, d]);
        if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
          s.end();
          resolve(buf.subarray(2));
        }
      });
      s.on('error', reject);
    });
    expect(answer.readUInt16BE(0)).toBe(0x1234);
    expect(answer.readUInt16BE(2) & 0xf).toBe(RCODE.NOERROR);
    expect(answer.readUInt16BE(6)).toBe(1); // one answer
    expect([...answer.subarray(answer.length - 4)]).toEqual([127, 241, 73, 236]);
  });

  it('answers FORMERR to garbage', async () => {
    const r = await server.answer(Buffer.from('0001800000000000000000000000', 'hex'), 'udp');
    expect(r ? r.readUInt16BE(2) & 0xf : -1).toBe(RCODE.FORMERR);
  });
});

/** One partition of a table split over chained DNS listeners (what the generators emit for a large mesh). */
const partition = (names: [string, string][], next: number | undefined, passthrough: boolean): DnsTable =>
  compileDnsFilter(
    {
      server_config: { inline_dns_table: { virtual_domains: names.map(([name, ip]) => ({ name, endpoint: { address_list: { address: [ip] } }, answer_ttl: '30s' })) } },
      ...(next !== undefined
        ? {
            client_config: {
              resolver_timeout: '5s',
              typed_dns_resolver_config: {
                name: 'envoy.network.dns_resolver.cares',
                typed_config: { '@type': 'type.googleapis.com/envoy.extensions.network.dns_resolver.cares.v3.CaresDnsResolverConfig', resolvers: [{ socket_address: { address: '127.0.0.1', port_value: next } }] },
              },
              max_pending_lookups: '256',
            },
          }
        : passthrough
          ? { client_config: { resolver_timeout: '1s' } }
          : {}),
    },
    'dns_filter',
  );

describe('a DNS table split over chained listeners', () => {
  for (const passthrough of [true, false]) {
    it(`is one table: the union, forwarding as the last one does (passthrough ${passthrough})`, () => {
      // Listed out of chain order: 15053 -> 15060 -> 15061.
      const tables = new Map([
        ['127.0.0.1:15061', partition([['c.mesh', '127.241.0.3']], undefined, passthrough)],
        ['127.0.0.1:15053', partition([['a.mesh', '127.241.0.1']], 15060, passthrough)],
        ['127.0.0.1:15060', partition([['b.mesh', '127.241.0.2'], ['b.example.com', '127.241.0.4']], 15061, passthrough)],
      ]);
      const { head, table } = chainDnsTables(tables, 'listeners');
      expect(head).toBe('127.0.0.1:15053');
      expect([...table.names.keys()].sort()).toEqual(['a.mesh', 'b.example.com', 'b.mesh', 'c.mesh']);
      expect(table.forward).toBe(passthrough);
      expect(table.resolvers).toBeUndefined();
    });
  }

  it('refuses listeners that are not one chain', () => {
    const two = new Map([
      ['127.0.0.1:15053', partition([], undefined, true)],
      ['127.0.0.1:15060', partition([], undefined, true)],
    ]);
    expect(() => chainDnsTables(two, 'listeners')).toThrow(/one chain.*2 heads/);
    const cycle = new Map([
      ['127.0.0.1:15053', partition([], 15060, true)],
      ['127.0.0.1:15060', partition([], 15053, true)],
    ]);
    expect(() => chainDnsTables(cycle, 'listeners')).toThrow(/cycle/);
  });

  it('forwards to the resolvers of its c-ares config when they are not its own listeners', async () => {
    const upstream = await fakeUpstream();
    const server = new DnsServer(quietLog(), () => ['127.0.0.1:9']); // the system's: never asked
    await server.listen('127.0.0.1', 0);
    try {
      server.setTable(chainDnsTables(new Map([['127.0.0.1:15053', partition([['a.mesh', '127.241.0.1']], upstream.port, false)]]), 'listeners').table);
      const resolver = new Resolver({ timeout: 2000, tries: 1 });
      resolver.setServers([`127.0.0.1:${server.port}`]);
      expect(await resolver.resolve4('a.mesh')).toEqual(['127.241.0.1']);
      expect(await resolver.resolve4('example.com')).toEqual(['192.0.2.7']);
      expect(upstream.queries).toEqual(['example.com']);
    } finally {
      await server.close();
      upstream.close();
    }
  });
});
