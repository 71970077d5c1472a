import { CausewayError } from '@causeway/core';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type LayeredConfigInput, loadLayeredConfig } from './config.js';

const schema = z.strictObject({
  port: z.coerce.number().int().min(0).max(65535),
  name: z.string().min(1).optional(),
  verbose: z
    .union([z.boolean(), z.enum(['true', 'false'])])
    .transform((v) => v === true || v === 'true')
    .optional(),
});
type Config = z.infer<typeof schema>;

const files: Record<string, string> = { 'svc.yaml': 'port: 7000\nname: from-file\n', 'list.yaml': '- a\n', 'bad.yaml': 'port: [\n' };

function load(argv: string[], env: Record<string, string | undefined> = {}, extra: Partial<LayeredConfigInput<Config>> = {}): Config {
  return loadLayeredConfig({
    argv,
    env,
    settings: { port: { flag: 'port', env: 'SVC_PORT' }, name: { flag: 'name', env: 'SVC_NAME' }, verbose: { flag: 'verbose', env: 'SVC_VERBOSE', bare: true } },
    schema,
    defaults: { port: 80 },
    usage: 'Usage: svc [--port N] [--name NAME] [--verbose]',
    configFile: {
      env: 'SVC_CONFIG',
      readFile: (p) => {
        const text = files[p];
        if (text === undefined) throw new Error(`ENOENT: no such file, open '${p}'`);
        return text;
      },
    },
    ...extra,
  });
}

/** The CausewayError `fn` throws (the test fails if it throws nothing or something else). */
function fail(fn: () => unknown): CausewayError {
  let thrown: unknown;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  expect(thrown).toBeInstanceOf(CausewayError);
  return thrown as CausewayError;
}

describe('loadLayeredConfig', () => {
  it('layers defaults < config file < environment < flags', () => {
    expect(load([])).toEqual({ port: 80 });
    expect(load(['--config', 'svc.yaml'])).toEqual({ port: 7000, name: 'from-file' });
    expect(load([], { SVC_CONFIG: 'svc.yaml', SVC_PORT: '7100' })).toEqual({ port: 7100, name: 'from-file' });
    expect(load(['--config', 'svc.yaml', '--port', '7200'], { SVC_PORT: '7100', SVC_NAME: '' })).toEqual({ port: 7200, name: 'from-file' });
  });

  it('names the flag and where its bad value came from', () => {
    expect(fail(() => load([], { SVC_PORT: 'eighty' })).fields).toEqual([{ field: '--port', reason: expect.stringContaining('(from environment SVC_PORT)') }]);
    expect(fail(() => load(['--port', '70000'])).fields[0]?.reason).toContain('(from flag --port)');
    expect(fail(() => load(['--config', 'svc.yaml', '--name', ''])).fields[0]).toMatchObject({ field: '--name', reason: expect.stringContaining('flag --name') });
    expect(fail(() => load([], {}, { defaults: {} })).fields[0]?.reason).toContain('(from --port / SVC_PORT, not set)');
  });

  it('refuses unknown flags with the usage, and config files that are no YAML map', () => {
    expect(fail(() => load(['--bogus'])).message).toMatch(/Unknown option '--bogus'[\s\S]*Usage: svc/);
    expect(fail(() => load(['--config', 'list.yaml'])).message).toBe('config file list.yaml must be a YAML map');
    expect(fail(() => load(['--config', 'bad.yaml'])).message).toMatch(/^cannot read config file bad.yaml: /);
    expect(fail(() => load(['--config', 'none.yaml'])).message).toMatch(/^cannot read config file none.yaml: ENOENT/);
    expect(fail(() => load(['--config', 'svc.yaml'], {}, { configFile: undefined })).message).toMatch(/Unknown option '--config'/);
  });

  it('takes a bare boolean flag as true, and its value when it has one', () => {
    expect(load(['--verbose']).verbose).toBe(true);
    expect(load(['--verbose', '--port', '81'])).toEqual({ port: 81, verbose: true });
    expect(load(['--verbose=false']).verbose).toBe(false);
    expect(load(['--verbose', 'false']).verbose).toBe(false);
    expect(load([], { SVC_VERBOSE: 'true' }).verbose).toBe(true);
    // Only settings declared bare: --port alone still needs a value.
    expect(fail(() => load(['--port'])).message).toMatch(/--port/);
  });
});
