import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './cli.js';
import type { CliIo } from './io.js';

function memoryIo(cwd: string): CliIo & { out: string; err: string } {
  const io = {
    out: '',
    err: '',
    stdout: (t: string) => {
      io.out += t;
    },
    stderr: (t: string) => {
      io.err += t;
    },
    readStdin: async () => '',
    env: {},
    cwd,
    home: cwd,
    now: () => Date.now(),
  };
  return io;
}

describe('causeway generate nats-config', () => {
  const dir = mkdtempSync(join(tmpdir(), 'causeway-gen-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('prints an authorization block with a user for global and one per zone, limited to their prefixes', async () => {
    const io = memoryIo(dir);
    expect(await runCli(['generate', 'nats-config', '--zones', 'zone-1,zone-2'], io)).toBe(0);
    expect(io.out).toContain('authorization {');
    expect(io.out).toContain('$KV.causeway-zones.zone-1.>');
    expect(io.out).toContain('$KV.causeway-zones.zone-2.>');
    expect(io.err).toMatch(/zone-1: user \S+ password \S+/);
  });

  it('writes the block and 0600 credential files', async () => {
    const io = memoryIo(dir);
    expect(await runCli(['generate', 'nats-config', '--zones', 'zone-1', '--out', 'nats-auth.conf', '--credentials-dir', 'creds'], io)).toBe(0);
    expect(readFileSync(join(dir, 'nats-auth.conf'), 'utf8')).toContain('authorization {');
    const env = readFileSync(join(dir, 'creds', 'zone-1.env'), 'utf8');
    expect(env).toMatch(/^CAUSEWAY_NATS_USER=\S+\nCAUSEWAY_NATS_PASSWORD=\S+\n$/);
    expect(statSync(join(dir, 'creds', 'zone-1.env')).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(dir, 'creds', 'global.env'), 'utf8')).toContain('CAUSEWAY_NATS_USER=');
    expect(io.out).toBe('');
  });

  it('creates the directories --out and --credentials-dir name', async () => {
    const io = memoryIo(dir);
    expect(await runCli(['generate', 'nats-config', '--zones', 'zone-1', '--out', 'conf/nats/auth.conf', '--credentials-dir', 'secrets/nats'], io)).toBe(0);
    expect(readFileSync(join(dir, 'conf', 'nats', 'auth.conf'), 'utf8')).toContain('authorization {');
    expect(statSync(join(dir, 'secrets', 'nats')).mode & 0o777).toBe(0o700);
    expect(readFileSync(join(dir, 'secrets', 'nats', 'zone-1.env'), 'utf8')).toContain('CAUSEWAY_NATS_PASSWORD=');
  });

  it('names --out or --credentials-dir when it cannot write there, and writes nothing else', async () => {
    writeFileSync(join(dir, 'a-file'), 'x');
    const out = memoryIo(dir);
    expect(await runCli(['generate', 'nats-config', '--zones', 'zone-1', '--out', 'a-file/auth.conf'], out)).toBe(1);
    expect(out.err).toContain('--out');
    expect(out.err).toContain('a-file/auth.conf');
    expect(out.err).not.toContain('password');
    const creds = memoryIo(dir);
    expect(await runCli(['generate', 'nats-config', '--zones', 'zone-1', '--out', 'ok.conf', '--credentials-dir', 'a-file'], creds)).toBe(1);
    expect(creds.err).toContain('--credentials-dir');
    expect(existsSync(join(dir, 'ok.conf'))).toBe(false);
  });

  it('names --zones when the zone list is bad', async () => {
    const io = memoryIo(dir);
    expect(await runCli(['generate', 'nats-config', '--zones', 'Zone_1'], io)).toBe(1);
    expect(io.err).toContain('--zones');
    const dup = memoryIo(dir);
    expect(await runCli(['generate', 'nats-config', '--zones', 'a,a'], dup)).toBe(1);
    expect(dup.err).toContain('twice');
  });
});
