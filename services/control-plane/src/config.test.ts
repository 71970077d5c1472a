import { CausewayError } from '@causeway/core';
import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';

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

  it('rejects unknown flags and unknown config file keys', () => {
    expect(fail(() => loadConfig({ argv: ['--mode', 'global', '--bogus', '1'], env: {}, readFile: noFile })).message).toContain('--bogus');
    const e = fail(() => loadConfig({ argv: ['--config', 'f'], env: {}, readFile: () => 'mode: global\nbogus: 1\n' }));
    expect(e.fields[0]?.field).toBe('bogus');
  });

  it('reports an unreadable config file', () => {
    expect(fail(() => loadConfig({ argv: ['--config', '/nope.yaml'], env: {}, readFile: noFile })).message).toContain('/nope.yaml');
  });
});
