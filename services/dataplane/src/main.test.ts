/** Configuration layering and the causeway-dp process (dist/main.js, built before the tests run). */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { ConfigurationError, loadConfig } from './config.js';
import { adminMetadata, buildNode } from './run.js';
import { freePort, get, httpUpstream } from './testing/helpers.js';

const MAIN = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'main.js');

describe('configuration', () => {
  const base = ['--cp-address', 'grpcs://cp.example:5678', '--ca-cert-file', '/ca.pem', '--name', 'web-1', '--mesh', 'default'];

  it('uses defaults, then CAUSEWAY_DP_* environment, then flags', () => {
    const c = loadConfig(base, {});
    expect(c).toMatchObject({ mode: 'sidecar', adminPort: 9901, adminAddress: '127.0.0.1', accessLog: '-', logLevel: 'info' });
    expect(c.dnsPort).toBeUndefined();
    const env = loadConfig(base, { CAUSEWAY_DP_ADMIN_PORT: '9000', CAUSEWAY_DP_DNS_PORT: '15054', CAUSEWAY_DP_MODE: 'egress' });
    expect(env).toMatchObject({ adminPort: 9000, dnsPort: 15054, mode: 'egress' });
    const flags = loadConfig([...base, '--admin-port', '9100'], { CAUSEWAY_DP_ADMIN_PORT: '9000' });
    expect(flags.adminPort).toBe(9100);
  });

  it('names the bad setting and where it came from', () => {
    expect(() => loadConfig([...base, '--mode', 'gateway'], {})).toThrow(/--mode: must be "sidecar", "ingress" or "egress" \(from flag --mode\)/);
    expect(() => loadConfig(['--cp-address', 'grpcs://cp:5678', '--name', 'x', '--mesh', 'm'], {})).toThrow(/--ca-cert-file: is required with a grpcs:\/\//);
    expect(() => loadConfig(['--cp-address', 'http://cp:5678'], {})).toThrow(ConfigurationError);
    expect(() => loadConfig([...base], { CAUSEWAY_DP_ADMIN_PORT: 'x' })).toThrow(/environment CAUSEWAY_DP_ADMIN_PORT/);
    expect(() => loadConfig(['--bogus'], {})).toThrow(/Unknown option/);
    expect(() => loadConfig([...base, '--xds-protocol', 'rest'], {})).toThrow(/--xds-protocol: must be "delta" \(incremental xDS\) or "sotw"/);
    expect(() => loadConfig(['--cp-address', 'grpc://a:1,grpcs://b:2', '--name', 'x', '--mesh', 'm'], {})).toThrow(/--cp-address: the addresses must all be grpcs:\/\/ or all grpc:\/\//);
    expect(() => loadConfig(['--cp-address', 'grpc://a:1,,grpc://b:2', '--name', 'x', '--mesh', 'm'], {})).toThrow(/--cp-address: must be grpcs:\/\/HOST:PORT/);
  });

  it('takes several control plane addresses (replicas) and the xDS protocol', () => {
    const c = loadConfig(['--cp-address', 'grpc://cp-1:5678,grpc://cp-2:5678', '--name', 'x', '--mesh', 'm'], {});
    expect(c.cpAddress).toBe('grpc://cp-1:5678,grpc://cp-2:5678');
    expect(c.xdsProtocol).toBe('delta');
    expect(loadConfig([...base], { CAUSEWAY_DP_XDS_PROTOCOL: 'sotw' }).xdsProtocol).toBe('sotw');
  });

  it('builds the node from the dataplane file (and checks its type against the mode)', () => {
    const files: Record<string, string> = {
      dp: 'type: Dataplane\nmesh: default\nname: web-1\nnetworking:\n  address: 10.0.0.1\n  inbound:\n  - port: 80\n    tags:\n      kuma.io/service: web\n',
      egress: '{"type": "ZoneEgress", "name": "egress-1", "networking": {"address": "10.0.0.2", "port": 10002}}',
    };
    const read = (p: string) => files[p] ?? '';
    const node = buildNode(loadConfig(['--cp-address', 'grpc://cp:5678', '--dataplane-file', 'dp'], {}), read);
    expect(node).toMatchObject({ id: 'default.web-1', cluster: 'web' });
    expect(JSON.parse(String(node.metadata['dataplane.resource']))).toMatchObject({ type: 'Dataplane', name: 'web-1' });
    expect(buildNode(loadConfig(['--mode', 'egress', '--cp-address', 'grpc://cp:5678', '--dataplane-file', 'egress'], {}), read)).toMatchObject({ id: 'egress-1', cluster: 'zone-egress' });
    expect(() => buildNode(loadConfig(['--mode', 'ingress', '--cp-address', 'grpc://cp:5678', '--dataplane-file', 'egress'], {}), read)).toThrow(/needs a ZoneIngress/);
    expect(buildNode(loadConfig(base, {}), read)).toMatchObject({ id: 'default.web-1', metadata: {} });
  });

  it("announces the admin port in Kuma's node metadata keys", () => {
    expect(adminMetadata('0.0.0.0', 9901)).toEqual({ 'dataplane.admin.port': '9901', 'dataplane.admin.address': '0.0.0.0' });
  });
});

describe('the causeway-dp process', () => {
  const children: ChildProcess[] = [];
  afterAll(() => {
    for (const c of children) c.kill('SIGKILL');
  });

  it.runIf(existsSync(MAIN))('runs a static bootstrap, serves traffic and admin, logs access as JSON, exits 0 on SIGTERM', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'causeway-dp-main-'));
    const up = await httpUpstream((req, res) => res.end(`up ${req.url}`));
    const port = await freePort();
    const admin = await freePort();
    const bootstrap = {
      static_resources: {
        clusters: [{ name: 'up', type: 'STATIC', load_assignment: { cluster_name: 'up', endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: up.port } } } }] }] } }],
        listeners: [
          {
            name: 'l',
            address: { socket_address: { address: '127.0.0.1', port_value: port } },
            filter_chains: [
              {
                filters: [
                  {
                    name: 'envoy.filters.network.http_connection_manager',
                    typed_config: {
                      '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
                      stat_prefix: 'l',
                      route_config: { name: 'r', virtual_hosts: [{ name: 'v', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster: 'up' } }] }] },
                      http_filters: [{ name: 'envoy.filters.http.router', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' } }],
                    },
                  },
                ],
              },
            ],
          },
        ],
      },
    };
    writeFileSync(join(dir, 'bootstrap.json'), JSON.stringify(bootstrap));
    const child = spawn(process.execPath, [MAIN, 'run', '--bootstrap', join(dir, 'bootstrap.json'), '--admin-port', String(admin), '--log-level', 'warn'], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let stdout = '';
    child.stdout?.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    await vi.waitFor(async () => expect((await fetch(`http://127.0.0.1:${admin}/ready`)).status).toBe(200), { timeout: 10_000, interval: 50 });
    expect((await get(port, '/x')).body).toBe('up /x');
    await vi.waitFor(() => expect(stdout).toContain('"path":"/x"'), { timeout: 5000 });
    const line = JSON.parse(stdout.trim().split('\n').find((l) => l.includes('"/x"')) ?? '{}') as Record<string, unknown>;
    expect(line).toMatchObject({ type: 'http', cluster: 'up', status: 200, method: 'GET', response_flags: '-' });
    const exit = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    expect(await exit).toBe(0);
    await up.close();
  });

  it.runIf(existsSync(MAIN))('exits 2 with a message on a bad configuration', async () => {
    const child = spawn(process.execPath, [MAIN, 'run', '--mode', 'nope'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    expect(code).toBe(2);
    expect(stderr).toMatch(/--mode: must be/);
  });
});
