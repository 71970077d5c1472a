import { connect as netConnect } from 'node:net';
import { connect as tlsConnect, createServer as createTlsServer } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FilterChainMatch } from '@causeway/envoy';
import { ConfigError } from '../envoy/values.js';
import { createCa } from '../testing/certs.js';
import { freePort, listener, makeProxy, staticCluster, TLS_INSPECTOR, tcpProxyFilter } from '../testing/helpers.js';
import { checkDuplicates, compileMatch, type ConnectionFacts, selectFilterChain } from './filter-chain-match.js';

const facts = (f: Partial<ConnectionFacts> = {}): ConnectionFacts => ({
  destinationPort: 10001,
  destinationIp: '127.0.0.1',
  serverName: undefined,
  transportProtocol: 'raw_buffer',
  applicationProtocols: [],
  directSourceIp: '127.0.0.1',
  sourceIp: '127.0.0.1',
  sourcePort: 40000,
  ...f,
});

const chains = (list: [string, FilterChainMatch | undefined][]) => list.map(([name, m], i) => compileMatch(name, m, `filter_chains[${i}]`));

describe('filter chain selection (Envoy order)', () => {
  const cs = chains([
    ['sni-exact', { server_names: ['api.example.com'], transport_protocol: 'tls' }],
    ['sni-wildcard', { server_names: ['*.example.com'], transport_protocol: 'tls' }],
    ['sni-deeper-wildcard', { server_names: ['*.b.example.com'], transport_protocol: 'tls' }],
    ['tls-any', { transport_protocol: 'tls' }],
    ['port-9000', { destination_port: 9000 }],
    ['default', undefined],
  ]);

  it('picks the exact server name before wildcards', () => {
    expect(selectFilterChain(cs, facts({ serverName: 'api.example.com', transportProtocol: 'tls' }))).toBe('sni-exact');
  });
  it('picks the longest matching wildcard', () => {
    expect(selectFilterChain(cs, facts({ serverName: 'x.b.example.com', transportProtocol: 'tls' }))).toBe('sni-deeper-wildcard');
    expect(selectFilterChain(cs, facts({ serverName: 'x.example.com', transportProtocol: 'tls' }))).toBe('sni-wildcard');
  });
  it('a wildcard does not match the bare domain', () => {
    expect(selectFilterChain(cs, facts({ serverName: 'example.com', transportProtocol: 'tls' }))).toBe('tls-any');
  });
  it('falls back to chains without server names, then by transport protocol', () => {
    expect(selectFilterChain(cs, facts({ serverName: 'other.org', transportProtocol: 'tls' }))).toBe('tls-any');
    expect(selectFilterChain(cs, facts({ transportProtocol: 'raw_buffer' }))).toBe('default');
  });
  it('matches the destination port first', () => {
    // port 9000 has a specific chain: the SNI chains are not even considered
    expect(selectFilterChain(cs, facts({ destinationPort: 9000, serverName: 'api.example.com', transportProtocol: 'tls' }))).toBe('port-9000');
  });
  it('does not backtrack: a specific match at one step that fails a later step gives no chain', () => {
    const c = chains([
      ['sni-raw', { server_names: ['a.com'], transport_protocol: 'raw_buffer' }],
      ['tls', { transport_protocol: 'tls' }],
    ]);
    expect(selectFilterChain(c, facts({ serverName: 'a.com', transportProtocol: 'tls' }))).toBeUndefined();
    expect(selectFilterChain(c, facts({ serverName: 'b.com', transportProtocol: 'tls' }))).toBe('tls');
  });
  it('uses the longest destination prefix and ALPN, source type and source ranges', () => {
    const c = chains([
      ['wide', { prefix_ranges: [{ address_prefix: '127.0.0.0', prefix_len: 8 }] }],
      ['narrow', { prefix_ranges: [{ address_prefix: '127.241.0.0', prefix_len: 16 }] }],
    ]);
    expect(selectFilterChain(c, facts({ destinationIp: '127.241.3.4' }))).toBe('narrow');
    expect(selectFilterChain(c, facts({ destinationIp: '127.0.0.1' }))).toBe('wide');
    expect(selectFilterChain(c, facts({ destinationIp: '10.0.0.1' }))).toBeUndefined();
    const alpn = chains([
      ['h2', { application_protocols: ['h2'] }],
      ['other', undefined],
    ]);
    expect(selectFilterChain(alpn, facts({ applicationProtocols: ['h2', 'http/1.1'] }))).toBe('h2');
    expect(selectFilterChain(alpn, facts({ applicationProtocols: ['http/1.1'] }))).toBe('other');
    const src = chains([
      ['local', { source_type: 'SAME_IP_OR_LOOPBACK' }],
      ['external', { source_type: 'EXTERNAL' }],
    ]);
    expect(selectFilterChain(src, facts({ sourceIp: '127.0.0.5' }))).toBe('local');
    expect(selectFilterChain(src, facts({ sourceIp: '192.0.2.1' }))).toBe('external');
  });
  it('rejects two chains with the same matching rules, and bad wildcards', () => {
    const dup = chains([
      ['a', { server_names: ['x.com', 'y.com'] }],
      ['b', { server_names: ['y.com'] }],
    ]);
    expect(() => checkDuplicates(dup, ['a', 'b'], 'listener l')).toThrow(ConfigError);
    expect(() => checkDuplicates(cs, [], 'listener l')).not.toThrow();
    expect(() => compileMatch('x', { server_names: ['a.*.com'] }, 'm')).toThrow(/wildcard/);
  });
});

describe('a listener with tls_inspector routes TLS by SNI without terminating it', () => {
  const { proxy } = makeProxy();
  const servers: ReturnType<typeof createTlsServer>[] = [];
  let listenPort = 0;
  let ca: Awaited<ReturnType<typeof createCa>>;

  beforeAll(async () => {
    ca = await createCa();
    // two TLS backends with their own certificates; the proxy never sees their keys
    const ports: number[] = [];
    for (const name of ['alpha', 'beta']) {
      const leaf = await ca.issue({ cn: name, dns: [`${name}.test`] });
      const s = createTlsServer({ key: leaf.key, cert: leaf.cert }, (sock) => sock.end(`hello from ${name} (sni ${String((sock as unknown as { servername?: string }).servername)})`));
      await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
      servers.push(s);
      ports.push((s.address() as { port: number }).port);
    }
    const plain = (await import('node:net')).createServer((s) => s.end('plain backend'));
    await new Promise<void>((r) => plain.listen(0, '127.0.0.1', () => r()));
    listenPort = await freePort();
    await proxy.update(
      'Cluster',
      [staticCluster('alpha', [ports[0] as number]), staticCluster('beta', [ports[1] as number]), staticCluster('plain', [(plain.address() as { port: number }).port])],
      '1',
    );
    await proxy.update(
      'Listener',
      [
        listener('ingress', listenPort, [
          { name: 'alpha', filter_chain_match: { server_names: ['alpha.test'], transport_protocol: 'tls' }, filters: [tcpProxyFilter('alpha')] },
          { name: 'beta', filter_chain_match: { server_names: ['beta.test'], transport_protocol: 'tls' }, filters: [tcpProxyFilter('beta')] },
          { name: 'raw', filter_chain_match: { transport_protocol: 'raw_buffer' }, filters: [tcpProxyFilter('plain')] },
        ], { listener_filters: [TLS_INSPECTOR] }),
      ],
      '1',
    );
    servers.push(plain as unknown as ReturnType<typeof createTlsServer>);
  });
  afterAll(async () => {
    await proxy.close();
    for (const s of servers) s.close();
  });

  const tlsGet = (servername: string) =>
    new Promise<{ text: string; authorized: boolean; secured: boolean }>((resolve, reject) => {
      const c = tlsConnect({ host: '127.0.0.1', port: listenPort, servername, ca: ca.cert });
      let text = '';
      let secured = false;
      c.on('secureConnect', () => {
        secured = true;
      });
      c.on('data', (d) => {
        text += d.toString();
      });
      c.on('end', () => resolve({ text, authorized: c.authorized, secured }));
      c.on('error', reject);
    });

  it('sends each SNI to its own backend, end-to-end TLS with the backend certificate', async () => {
    const a = await tlsGet('alpha.test');
    expect(a.text).toBe('hello from alpha (sni alpha.test)');
    expect(a.authorized).toBe(true);
    const b = await tlsGet('beta.test');
    expect(b.text).toBe('hello from beta (sni beta.test)');
  });

  it('sends plain TCP to the raw_buffer chain', async () => {
    const text = await new Promise<string>((resolve, reject) => {
      const c = netConnect({ host: '127.0.0.1', port: listenPort }, () => c.write('hi'));
      let t = '';
      c.on('data', (d) => {
        t += d.toString();
      });
      c.on('end', () => resolve(t));
      c.on('error', reject);
    });
    expect(text).toBe('plain backend');
  });

  it('closes a TLS connection whose SNI matches no chain', async () => {
    // closed before any handshake: an error or an end without a secure connection, depending on timing
    const r = await tlsGet('gamma.test').catch((e: Error) => ({ text: '', authorized: false, secured: false, error: e.message }));
    expect(r.secured).toBe(false);
    expect(r.text).toBe('');
    expect(proxy.stats.listener('127_0_0_1_' + listenPort).no_filter_chain_match).toBeGreaterThanOrEqual(1);
  });
});
