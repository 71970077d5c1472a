/**
 * The control plane's private files: the admin token (and the copies of the zone's keys, shared-keys.ts).
 * A file is read when it exists, else created once (mode 0600, its directory 0700).
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** Writes `text` to a file only its owner may read (mode 0600, also when the umask is wider). */
export function writePrivateFile(file: string, text: string, opts: { exclusive?: boolean } = {}): void {
  writeFileSync(file, text, { mode: 0o600, ...(opts.exclusive ? { flag: 'wx' } : {}) });
  chmodSync(file, 0o600);
}

/** The text of `file`, or `create()` written there (mode 0600) when the file does not exist. */
function readOrCreatePrivateFile(file: string, create: () => string): { text: string; created: boolean } {
  if (existsSync(file)) return { text: readFileSync(file, 'utf8'), created: false };
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const text = create();
  writePrivateFile(file, text, { exclusive: true });
  return { text, created: true };
}

/** Reads the admin token from `file`, creating a random one when the file does not exist. */
export function loadOrCreateAdminToken(file: string): { token: string; created: boolean } {
  const { text, created } = readOrCreatePrivateFile(file, () => `${randomBytes(32).toString('base64url')}\n`);
  const token = text.trim();
  if (token.length < 16) throw new Error(`admin token file ${file} holds a token shorter than 16 characters`);
  return { token, created };
}
