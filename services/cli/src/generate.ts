/**
 * `causeway generate nats-config`: the nats-server authorization block for global and each zone, plus
 * the credentials each control plane connects with.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
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
  if (flags.out) {
    writeFileSync(abs(flags.out), generated.config, { mode: 0o600 });
    io.stderr(`wrote the nats-server authorization block to ${abs(flags.out)} (include it in the server config)\n`);
  } else {
    io.stdout(generated.config);
  }
  const creds = [{ name: 'global', ...generated.global }, ...zones.map((z) => ({ name: z, ...(generated.zones[z] as { user: string; password: string }) }))];
  if (flags.credentialsDir) {
    const dir = abs(flags.credentialsDir);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    for (const c of creds) {
      const file = join(dir, `${c.name}.env`);
      writeFileSync(file, `CAUSEWAY_NATS_USER=${c.user}\nCAUSEWAY_NATS_PASSWORD=${c.password}\n`, { mode: 0o600 });
    }
    io.stderr(`wrote ${creds.length} credential files (mode 0600) to ${dir}: ${creds.map((c) => `${c.name}.env`).join(', ')}\n`);
  } else {
    io.stderr('credentials (store them safely; pass as --nats-user/--nats-password or CAUSEWAY_NATS_USER/CAUSEWAY_NATS_PASSWORD):\n');
    for (const c of creds) io.stderr(`  ${c.name}: user ${c.user} password ${c.password}\n`);
  }
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
  if (scope && scope.some((s) => s !== 'ingress' && s !== 'egress'))
    throw new CausewayError('INVALID', 'invalid scope', [{ field: '--scope', reason: 'must be "ingress", "egress" or "ingress,egress"' }]);
  const token = await client.zoneToken({ ...(scope ? { scope: scope as ('ingress' | 'egress')[] } : {}), ...(flags.validFor ? { validFor: flags.validFor } : {}) });
  io.stdout(`${token}\n`);
}
