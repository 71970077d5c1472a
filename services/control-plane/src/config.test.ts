import { CausewayError } from '@causeway/core';
import { describe, expect, it } from 'vitest';
import { configView, loadConfig } from './config.js';
import { natsOptions } from './run.js';

const noFile = (p: string): string => {
  throw new Error(`ENOENT: ${p}`);
};

function fail(fn: () => unknown): CausewayError {
  try {
    fn();
  } catch (e) {
    if (e instanceof CausewayError) return e;
    throw e;
  }
  throw new Error('expected an error');
}

describe('loadConfig', () => {
  it('applies defaults', () => {
    const c = loadConfig({ argv: ['--mode', 'global'], env: {}, readFile: noFile });
    expect(c).toMatchObject({ mode: 'global', apiPort: 5681, apiAddress: '0.0.0.0', logLevel: 'info' });
    expect(c.databaseUrl).toBeUndefined();
  });

  it('layers defaults < file < env < flags', () => {
    const file = 'mode: zone\nzone: zone-1\napiPort: 6000\nlogLevel: debug\napiAddress: 127.0.0.2\n';
    const readFile = () => file;
    const fromFile = loadConfig({ argv: ['--config', 'cp.yaml'], env: {}, readFile });
    expect(fromFile).toMatchObject({ mode: 'zone', zone: 'zone-1', apiPort: 6000, logLevel: 'debug' });
    const fromEnv = loadConfig({ argv: ['--config', 'cp.yaml'], env: { CAUSEWAY_API_PORT: '7000', CAUSEWAY_ZONE: 'zone-2' }, readFile });
    expect(fromEnv).toMatchObject({ apiPort: 7000, zone: 'zone-2', logLevel: 'debug' });
    const fromFlags = loadConfig({ argv: ['--config', 'cp.yaml', '--api-port', '8000'], env: { CAUSEWAY_API_PORT: '7000' }, readFile });
    expect(fromFlags.apiPort).toBe(8000);
    expect(fromFlags.apiAddress).toBe('127.0.0.2');
  });

  it('names the flag and where a bad value came from', () => {
    const e = fail(() => loadConfig({ argv: ['--mode', 'global'], env: { CAUSEWAY_API_PORT: 'eighty' }, readFile: noFile }));
    expect(e.fields).toEqual([{ field: '--api-port', reason: expect.stringContaining('environment CAUSEWAY_API_PORT') }]);
    const m = fail(() => loadConfig({ argv: ['--mode', 'edge'], env: {}, readFile: noFile }));
    expect(m.fields[0]).toMatchObject({ field: '--mode', reason: expect.stringContaining('flag --mode') });
  });

  it('requires --zone in zone mode and refuses it in global mode', () => {
    expect(fail(() => loadConfig({ argv: ['--mode', 'zone'], env: {}, readFile: noFile })).fields[0]?.field).toBe('--zone');
    expect(fail(() => loadConfig({ argv: ['--mode', 'global', '--zone', 'z'], env: {}, readFile: noFile })).fields[0]?.field).toBe('--zone');
  });

  it('refuses both a database URL and a data dir, and a non-postgres URL', () => {
    const both = fail(() => loadConfig({ argv: ['--mode', 'global', '--database-url', 'postgres://x/y', '--data-dir', '/tmp/x'], env: {}, readFile: noFile }));
    expect(both.fields.map((f) => f.field)).toContain('--data-dir');
    const url = fail(() => loadConfig({ argv: ['--mode', 'global', '--database-url', 'mysql://x'], env: {}, readFile: noFile }));
    expect(url.fields[0]?.field).toBe('--database-url');
  });

  it('takes a VIP range for the zone (loopback CIDR, zone mode only)', () => {
    expect(loadConfig({ argv: ['--mode', 'zone', '--zone', 'z', '--vip-cidr', '127.242.0.0/16'], env: {}, readFile: noFile }).vipCidr).toBe('127.242.0.0/16');
    expect(loadConfig({ argv: ['--mode', 'zone', '--zone', 'z'], env: { CAUSEWAY_VIP_CIDR: '127.10.0.0/24' }, readFile: noFile }).vipCidr).toBe('127.10.0.0/24');
    for (const bad of ['10.0.0.0/16', '127.0.0.0/31', 'loopback']) {
      const e = fail(() => loadConfig({ argv: ['--mode', 'zone', '--zone', 'z', '--vip-cidr', bad], env: {}, readFile: noFile }));
      expect(e.fields[0]).toMatchObject({ field: '--vip-cidr', reason: expect.stringContaining('127.0.0.0/8') });
    }
    expect(fail(() => loadConfig({ argv: ['--mode', 'global', '--vip-cidr', '127.242.0.0/16'], env: {}, readFile: noFile })).fields[0]?.field).toBe('--vip-cidr');
  });

  it('takes the names proxies dial the ADS server by (zone mode only)', () => {
    const zone = ['--mode', 'zone', '--zone', 'z'];
    expect(loadConfig({ argv: [...zone, '--xds-server-names', 'cp.zone-1.example.com, 10.0.0.5,*.cp.local'], env: {}, readFile: noFile }).xdsServerNames).toEqual(['cp.zone-1.example.com', '10.0.0.5', '*.cp.local']);
    expect(loadConfig({ argv: zone, env: { CAUSEWAY_XDS_SERVER_NAMES: 'zone-1-cp' }, readFile: noFile }).xdsServerNames).toEqual(['zone-1-cp']);
    for (const bad of ['bad name', 'a,,b', 'x.-example.com']) {
      const e = fail(() => loadConfig({ argv: [...zone, '--xds-server-names', bad], env: {}, readFile: noFile }));
      expect(e.fields[0]).toMatchObject({ field: '--xds-server-names', reason: expect.stringContaining('host names or IP addresses') });
    }
    expect(fail(() => loadConfig({ argv: ['--mode', 'global', '--xds-server-names', 'cp'], env: {}, readFile: noFile })).fields[0]?.field).toBe('--xds-server-names');
  });

  it('takes the ADS send window in MiB from 1 to 1024 (zone mode only)', () => {
    const zone = ['--mode', 'zone', '--zone', 'z'];
    expect(loadConfig({ argv: [...zone, '--xds-send-window-mb', '64'], env: {}, readFile: noFile }).xdsSendWindowMb).toBe(64);
    expect(loadConfig({ argv: zone, env: { CAUSEWAY_XDS_SEND_WINDOW_MB: '8' }, readFile: noFile }).xdsSendWindowMb).toBe(8);
    expect(loadConfig({ argv: zone, env: {}, readFile: noFile }).xdsSendWindowMb).toBeUndefined();
    for (const bad of ['0', '1025', '1.5', 'lots']) {
      const e = fail(() => loadConfig({ argv: [...zone, '--xds-send-window-mb', bad], env: {}, readFile: noFile }));
      expect(e.fields[0]?.field).toBe('--xds-send-window-mb');
    }
    expect(fail(() => loadConfig({ argv: ['--mode', 'global', '--xds-send-window-mb', '16'], env: {}, readFile: noFile })).fields[0]).toMatchObject({ field: '--xds-send-window-mb', reason: expect.stringContaining('zone mode only') });
  });

  it('takes --nats-kv-replicas from 1 to 5 (global mode with NATS only)', () => {
    const nats = ['--nats-url', 'nats://nats-1:4222'];
    expect(loadConfig({ argv: ['--mode', 'global', ...nats, '--nats-kv-replicas', '3'], env: {}, readFile: noFile }).natsKvReplicas).toBe(3);
    expect(loadConfig({ argv: ['--mode', 'global', ...nats], env: { CAUSEWAY_NATS_KV_REPLICAS: '5' }, readFile: noFile }).natsKvReplicas).toBe(5);
    expect(loadConfig({ argv: ['--mode', 'global', ...nats], env: {}, readFile: noFile }).natsKvReplicas).toBeUndefined();
    for (const bad of ['0', '6', '2.5', 'three']) {
      const e = fail(() => loadConfig({ argv: ['--mode', 'global', ...nats, '--nats-kv-replicas', bad], env: {}, readFile: noFile }));
      expect(e.fields[0]?.field).toBe('--nats-kv-replicas');
    }
    expect(fail(() => loadConfig({ argv: ['--mode', 'zone', '--zone', 'z', ...nats, '--nats-kv-replicas', '3'], env: {}, readFile: noFile })).fields[0]).toMatchObject({
      field: '--nats-kv-replicas',
      reason: expect.stringContaining('global mode only'),
    });
    expect(fail(() => loadConfig({ argv: ['--mode', 'global', '--nats-kv-replicas', '3'], env: {}, readFile: noFile })).fields[0]?.reason).toContain('without --nats-url');
  });

  it('takes --leader-lease-ttl as 10s / 2500ms (or seconds in the file), 1s to 300s, in both modes', () => {
    const g = ['--mode', 'global'];
    expect(loadConfig({ argv: [...g, '--leader-lease-ttl', '3s'], env: {}, readFile: noFile }).leaderLeaseTtl).toBe(3000);
    expect(loadConfig({ argv: [...g, '--leader-lease-ttl', '2500ms'], env: {}, readFile: noFile }).leaderLeaseTtl).toBe(2500);
    expect(loadConfig({ argv: g, env: { CAUSEWAY_LEADER_LEASE_TTL: '20s' }, readFile: noFile }).leaderLeaseTtl).toBe(20_000);
    expect(loadConfig({ argv: ['--config', 'cp.yaml'], env: {}, readFile: () => 'mode: global\nleaderLeaseTtl: 4\n' }).leaderLeaseTtl).toBe(4000);
    expect(loadConfig({ argv: g, env: {}, readFile: noFile }).leaderLeaseTtl).toBeUndefined();
    for (const bad of ['500ms', '301s', '10', 'ten seconds', '0s']) {
      const e = fail(() => loadConfig({ argv: [...g, '--leader-lease-ttl', bad], env: {}, readFile: noFile }));
      expect(e.fields[0]?.field).toBe('--leader-lease-ttl');
    }
    expect(loadConfig({ argv: ['--mode', 'zone', '--zone', 'z', '--leader-lease-ttl', '3s'], env: {}, readFile: noFile }).leaderLeaseTtl).toBe(3000);
  });

  for (const [flag, key, env] of [
    ['--traffic-insights-interval', 'trafficInsightsInterval', 'CAUSEWAY_TRAFFIC_INSIGHTS_INTERVAL'],
    ['--dataplane-status-flush-interval', 'dataplaneStatusFlushInterval', 'CAUSEWAY_DATAPLANE_STATUS_FLUSH_INTERVAL'],
  ] as const)
    it(`takes ${flag} as a duration from 1s to 300s, in zone mode only`, () => {
      const zone = ['--mode', 'zone', '--zone', 'z'];
      expect(loadConfig({ argv: [...zone, flag, '1s'], env: {}, readFile: noFile })[key]).toBe(1000);
      expect(loadConfig({ argv: zone, env: { [env]: '30s' }, readFile: noFile })[key]).toBe(30_000);
      expect(loadConfig({ argv: ['--config', 'cp.yaml'], env: {}, readFile: () => `mode: zone\nzone: z\n${key}: 4\n` })[key]).toBe(4000);
      expect(loadConfig({ argv: zone, env: {}, readFile: noFile })[key]).toBeUndefined();
      for (const bad of ['100ms', '301s', 'often']) {
        const e = fail(() => loadConfig({ argv: [...zone, flag, bad], env: {}, readFile: noFile }));
        expect(e.fields[0]?.field).toBe(flag);
        expect(e.fields[0]?.reason).toContain('from 1s to 300s');
      }
      const global = fail(() => loadConfig({ argv: ['--mode', 'global', flag, '5s'], env: {}, readFile: noFile }));
      expect(global.fields[0]?.reason).toContain('zone mode only');
    });

  it('takes --allow-untagged-dataplane-tokens (zone mode only; off by default) as a bare flag, a value, env or file', () => {
    const zone = ['--mode', 'zone', '--zone', 'z'];
    const load = (argv: string[], env: Record<string, string> = {}, file?: string) =>
      loadConfig({ argv, env, readFile: file === undefined ? noFile : () => file }).allowUntaggedDataplaneTokens;
    expect(load(zone)).toBeUndefined();
    expect(load([...zone, '--allow-untagged-dataplane-tokens'])).toBe(true);
    expect(load(['--allow-untagged-dataplane-tokens', ...zone])).toBe(true);
    expect(load([...zone, '--allow-untagged-dataplane-tokens=false'])).toBe(false);
    expect(load([...zone, '--allow-untagged-dataplane-tokens', 'false'])).toBe(false);
    expect(load(zone, { CAUSEWAY_ALLOW_UNTAGGED_DATAPLANE_TOKENS: 'true' })).toBe(true);
    expect(load(['--config', 'cp.yaml'], {}, 'mode: zone\nzone: z\nallowUntaggedDataplaneTokens: true\n')).toBe(true);
    const bad = fail(() => load(zone, { CAUSEWAY_ALLOW_UNTAGGED_DATAPLANE_TOKENS: 'yes' }));
    expect(bad.fields).toEqual([{ field: '--allow-untagged-dataplane-tokens', reason: expect.stringMatching(/true or false.*environment CAUSEWAY_ALLOW_UNTAGGED_DATAPLANE_TOKENS/) }]);
    expect(fail(() => load(['--mode', 'global', '--allow-untagged-dataplane-tokens'])).fields[0]?.field).toBe('--allow-untagged-dataplane-tokens');
  });

  it('rejects unknown flags and unknown config file keys', () => {
    expect(fail(() => loadConfig({ argv: ['--mode', 'global', '--bogus', '1'], env: {}, readFile: noFile })).message).toContain('--bogus');
    const e = fail(() => loadConfig({ argv: ['--config', 'f'], env: {}, readFile: () => 'mode: global\nbogus: 1\n' }));
    expect(e.fields[0]?.field).toBe('bogus');
  });

  it('reports an unreadable config file', () => {
    expect(fail(() => loadConfig({ argv: ['--config', '/nope.yaml'], env: {}, readFile: noFile })).message).toContain('/nope.yaml');
  });

  it('reads the NATS settings from every layer', () => {
    const argv = ['--mode', 'zone', '--zone', 'zone-1', '--nats-url', 'nats://127.0.0.1:4222', '--nats-user', 'causeway-zone-zone-1'];
    const c = loadConfig({ argv, env: { CAUSEWAY_NATS_PASSWORD: 's3cret' }, readFile: noFile });
    expect(c).toMatchObject({ natsUrl: 'nats://127.0.0.1:4222', natsUser: 'causeway-zone-zone-1', natsPassword: 's3cret' });
    expect(natsOptions(c)).toEqual({ servers: ['nats://127.0.0.1:4222'], user: 'causeway-zone-zone-1', password: 's3cret' });
    const fromFile = loadConfig({ argv: ['--mode', 'global', '--config', 'cp.yaml'], env: {}, readFile: () => 'natsUrl: nats://a:1,nats://b:2\nnatsCreds: /etc/cw.creds\n' });
    expect(natsOptions(fromFile, (p) => `creds of ${p}`)).toEqual({ servers: ['nats://a:1', 'nats://b:2'], creds: 'creds of /etc/cw.creds' });
    expect(natsOptions(loadConfig({ argv: ['--mode', 'global'], env: {}, readFile: noFile }))).toBeUndefined();
  });

  it('refuses bad NATS settings, naming the flag', () => {
    const field = (argv: string[]) => fail(() => loadConfig({ argv: ['--mode', 'global', ...argv], env: {}, readFile: noFile })).fields.map((f) => f.field);
    expect(field(['--nats-url', 'http://127.0.0.1:4222'])).toEqual(['--nats-url']);
    expect(field(['--nats-url', 'nats://127.0.0.1'])).toEqual(['--nats-url']);
    expect(field(['--nats-url', 'nats://127.0.0.1:4222', '--nats-user', 'u'])).toEqual(['--nats-password']);
    expect(field(['--nats-url', 'nats://127.0.0.1:4222', '--nats-password', 'p'])).toEqual(['--nats-user']);
    expect(field(['--nats-url', 'nats://127.0.0.1:4222', '--nats-creds', 'f', '--nats-user', 'u', '--nats-password', 'p'])).toEqual(['--nats-creds']);
    expect(field(['--nats-user', 'u', '--nats-password', 'p'])).toEqual(['--nats-user', '--nats-password']);
    const c = loadConfig({ argv: ['--mode', 'global', '--nats-url', 'nats://h:1', '--nats-creds', '/nope'], env: {}, readFile: noFile });
    expect(() => natsOptions(c, noFile)).toThrow(/cannot read the NATS creds file \/nope/);
  });
});

describe('configView (GET /config)', () => {
  it('shows every setting, the NATS password and the database password left out', () => {
    const c = loadConfig({
      argv: ['--mode', 'global', '--database-url', 'postgres://causeway:s3cret@db:5432/causeway', '--nats-url', 'nats://n:4222', '--nats-user', 'global', '--nats-password', 'hunter2'],
      env: {},
      readFile: noFile,
    });
    const view = configView(c);
    expect(view).toMatchObject({ mode: 'global', apiPort: 5681, natsUrl: 'nats://n:4222', natsUser: 'global', natsPassword: '(set)', databaseUrl: 'postgres://causeway:***@db:5432/causeway' });
    expect(JSON.stringify(view)).not.toContain('hunter2');
    expect(JSON.stringify(view)).not.toContain('s3cret');
    expect(configView(loadConfig({ argv: ['--mode', 'global'], env: {}, readFile: noFile })).natsPassword).toBeUndefined();
  });
});
