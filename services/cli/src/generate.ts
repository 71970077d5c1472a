/**
 * `causeway generate nats-config`: the nats-server authorization block for global and each zone, plus
 * the credentials each control plane connects with.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import type { CausewayClient } from '@causeway/client';
import { CausewayError } from '@causeway/core';
import { generateNatsConfig } from '@causeway/sync';
import type { CliIo } from './io.js';

export interface NatsConfigFlags {
  zones: string;
  out?: string;
  credentialsDir?: string;
}

export function generateNatsConfigCommand(flags: NatsConfigFlags, io: CliIo): void {
  const zones = flags.zones
    .split(',')
    .map((z) => z.trim())
    .filter((z) => z !== '');
  if (zones.length === 0) throw new CausewayError('INVALID', 'no zones given', [{ field: '--zones', reason: 'list the zones, e.g. --zones zone-1,zone-2' }]);
  let generated: ReturnType<typeof generateNatsConfig>;
  try {
    generated = generateNatsConfig({ zones });
  } catch (e) {
    throw new CausewayError('INVALID', (e as Error).message, [{ field: '--zones', reason: (e as Error).message }]);
  }
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(io.cwd, p));
  const creds = [{ name: 'global', ...generated.global }, ...zones.map((z) => ({ name: z, ...(generated.zones[z] as { user: string; password: string }) }))];
  const files: SecretFile[] = [];
  if (flags.out) files.push({ flag: '--out', path: abs(flags.out), content: generated.config });
  const credDir = flags.credentialsDir ? abs(flags.credentialsDir) : undefined;
  if (credDir) for (const c of creds) files.push({ flag: '--credentials-dir', path: join(credDir, `${c.name}.env`), content: `CAUSEWAY_NATS_USER=${c.user}\nCAUSEWAY_NATS_PASSWORD=${c.password}\n` });
  writeSecretFiles(files);
  if (flags.out) io.stderr(`wrote the nats-server authorization block to ${abs(flags.out)} (include it in the server config)\n`);
  else io.stdout(generated.config);
  if (credDir) {
    io.stderr(`wrote ${creds.length} credential files (mode 0600) to ${credDir}: ${creds.map((c) => `${c.name}.env`).join(', ')}\n`);
  } else {
    io.stderr('credentials (store them safely; pass as --nats-user/--nats-password or CAUSEWAY_NATS_USER/CAUSEWAY_NATS_PASSWORD):\n');
    for (const c of creds) io.stderr(`  ${c.name}: user ${c.user} password ${c.password}\n`);
  }
}

interface SecretFile {
  /** the flag that named the path, for errors */
  flag: string;
  path: string;
  content: string;
}

/**
 * Writes files only their owner can read. Every parent directory is created (mode 0700) before any
 * file is written, so a path that cannot be used (a file in the way, no permission) fails the command
 * with nothing written; the error names the flag.
 */
function writeSecretFiles(files: SecretFile[]): void {
  const attempt = (f: SecretFile, fn: () => void) => {
    try {
      fn();
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      const reason = `cannot write ${f.path}: ${err.code ? `${err.code} ` : ''}${err.message.replace(/^[A-Z]+: /, '')}`;
      throw new CausewayError('INVALID', reason, [{ field: f.flag, reason }]);
    }
  };
  for (const f of files) attempt(f, () => mkdirSync(dirname(f.path), { recursive: true, mode: 0o700 }));
  for (const f of files) attempt(f, () => writeFileSync(f.path, f.content, { mode: 0o600 }));
}

export interface TokenFlags {
  validFor?: string;
}

/** `causeway generate dataplane-token --mesh M --name N [--valid-for 24h]` (asks the zone control plane). */
export async function generateDataplaneTokenCommand(client: CausewayClient, flags: TokenFlags & { mesh: string; name: string }, io: CliIo): Promise<void> {
  const token = await client.dataplaneToken({ mesh: flags.mesh, name: flags.name, ...(flags.validFor ? { validFor: flags.validFor } : {}) });
  io.stdout(`${token}\n`);
}

/** `causeway generate zone-token [--scope ingress,egress] [--valid-for 24h]` (asks the zone control plane). */
export async function generateZoneTokenCommand(client: CausewayClient, flags: TokenFlags & { scope?: string }, io: CliIo): Promise<void> {
  const scope = flags.scope?.split(',').map((s) => s.trim());
  if (scope?.some((s) => s !== 'ingress' && s !== 'egress'))
    throw new CausewayError('INVALID', 'invalid scope', [{ field: '--scope', reason: 'must be "ingress", "egress" or "ingress,egress"' }]);
  const token = await client.zoneToken({ ...(scope ? { scope: scope as ('ingress' | 'egress')[] } : {}), ...(flags.validFor ? { validFor: flags.validFor } : {}) });
  io.stdout(`${token}\n`);
}
