import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadOrCreateAdminToken } from './private-files.js';

describe('private files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'causeway-cp-files-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('creates the admin token file once with mode 0600, and refuses a short token', () => {
    const f = join(dir, 'tokens', 'admin-token');
    const a = loadOrCreateAdminToken(f);
    expect(a.created).toBe(true);
    expect(a.token.length).toBeGreaterThanOrEqual(16);
    expect(readFileSync(f, 'utf8')).toBe(`${a.token}\n`);
    expect(statSync(f).mode & 0o777).toBe(0o600);
    expect(loadOrCreateAdminToken(f)).toEqual({ token: a.token, created: false });
    const short = join(dir, 'short-token');
    writeFileSync(short, 'abc\n');
    expect(() => loadOrCreateAdminToken(short)).toThrow(/shorter than 16 characters/);
  });
});
