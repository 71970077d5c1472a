/**
 * `causeway generate nats-config`: the nats-server authorization block for global and each zone, plus
 * the credentials each control plane connects with. `causeway generate dataplane-token` / `zone-token`:
 * tokens issued by a zone control plane.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { ApiError, type CausewayClient } from '@causeway/client';
import { CausewayError, check, nameError, SERVICE_TAG, tagsSchema } from '@causeway/core';
import { generateNatsConfig } from '@causeway/sync';
import { InvalidArgumentError } from 'commander';
import type { CliIo } from './io.js';
import { isNoRoute } from './transport.js';
import { UsageError, usageError } from './usage.js';

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

/** Tag name -> allowed values, as `--tag` builds them. */
export type TagFlags = Record<string, string[]>;

/**
 * Parses one `--tag NAME=VALUE[,VALUE...]` (kumactl's form: `--tag kuma.io/service=web,web-admin`) into the
 * tags collected so far; repeated for several tags, a repeated name adds its values. A bad value is a
 * usage error naming the flag.
 */
export function parseTagFlag(value: string, previous: TagFlags = {}): TagFlags {
  const eq = value.indexOf('=');
  const name = eq < 0 ? '' : value.slice(0, eq).trim();
  if (eq < 0 || name === '') throw new InvalidArgumentError(`must be NAME=VALUE[,VALUE...], e.g. --tag ${SERVICE_TAG}=web`);
  const nameErr = check(tagsSchema, { [name]: '' })[0];
  if (nameErr) throw new InvalidArgumentError(`${JSON.stringify(name)}: ${nameErr.reason}`);
  const values = value
    .slice(eq + 1)
    .split(',')
    .map((v) => v.trim());
  for (const v of values) {
    if (v === '') throw new InvalidArgumentError(`tag ${JSON.stringify(name)} has an empty value (give NAME=VALUE[,VALUE...], e.g. --tag ${SERVICE_TAG}=web,web-admin)`);
    if (v.includes('=')) throw new InvalidArgumentError(`one tag per --tag: use --tag ${name}=... --tag ${v} (values are separated by ",")`);
    const valueErr = check(tagsSchema, { [name]: v })[0];
    if (valueErr) throw new InvalidArgumentError(`${JSON.stringify(v)}: ${valueErr.reason}`);
  }
  const merged = [...(previous[name] ?? [])];
  for (const v of values) if (!merged.includes(v)) merged.push(v);
  return { ...previous, [name]: merged };
}

/**
 * `causeway generate dataplane-token --mesh M --name N --tag kuma.io/service=web [--valid-for 24h]` (asks the
 * zone control plane). Without a `kuma.io/service` tag the token binds no service, and zones refuse it
 * unless they run with --allow-untagged-dataplane-tokens: said on stderr.
 */
export async function generateDataplaneTokenCommand(client: CausewayClient, flags: TokenFlags & { mesh: string; name: string; tag?: TagFlags }, io: CliIo): Promise<void> {
  const tags = flags.tag ?? {};
  const token = await client.dataplaneToken({
    mesh: flags.mesh,
    name: flags.name,
    ...(Object.keys(tags).length > 0 ? { tags } : {}),
    ...(flags.validFor ? { validFor: flags.validFor } : {}),
  });
  io.stdout(`${token}\n`);
  if (!tags[SERVICE_TAG]?.length)
    io.stderr(
      `Warning: this token has no --tag ${SERVICE_TAG}=..., so it does not bind the services the dataplane may claim; ` +
        `zones refuse it unless they run with --allow-untagged-dataplane-tokens. Issue it with --tag ${SERVICE_TAG}=<the service of each inbound>.\n`,
    );
}

/**
 * `causeway generate zone-token --zone Z [--scope ingress,egress] [--valid-for 24h]`: a token for the
 * ZoneIngress / ZoneEgress proxies of zone Z (`POST /tokens/zone {zone, scope, validFor}`), as kumactl
 * issues it: at global, which signs it with its zone-token key (every zone holds the public key, through
 * the sync, and accepts the token for its own zone only), `--zone` required. A zone control plane issues
 * tokens of its own zone too (signed with its own key; `--zone` optional there, another zone refused).
 */
export async function generateZoneTokenCommand(client: CausewayClient, flags: TokenFlags & { zone?: string; scope?: string[] }, io: CliIo): Promise<void> {
  const scope = flags.scope?.flatMap((s) => s.split(',')).map((s) => s.trim()).filter((s) => s !== '');
  const bad = scope?.filter((s) => s !== 'ingress' && s !== 'egress') ?? [];
  if (bad.length > 0 || scope?.length === 0)
    throw usageError('--scope', 'invalid scope', `must be "ingress", "egress" or "ingress,egress"${bad.length > 0 ? ` (not ${bad.join(', ')})` : ''}`);
  if (flags.zone !== undefined && nameError(flags.zone)) throw usageError('--zone', 'invalid zone name', nameError(flags.zone) as string);
  let token: string;
  try {
    token = await client.zoneToken({
      ...(flags.zone !== undefined ? { zone: flags.zone } : {}),
      ...(scope ? { scope: [...new Set(scope)] as ('ingress' | 'egress')[] } : {}),
      ...(flags.validFor ? { validFor: flags.validFor } : {}),
    });
  } catch (e) {
    if (isNoRoute(e))
      throw new CausewayError(
        'NOT_FOUND',
        `the control plane at ${client.address} does not issue zone tokens (POST /tokens/zone): run this against the global control plane, or zone ${flags.zone ?? 'Z'}'s own (--control-plane NAME or --address URL)`,
      );
    if (e instanceof ApiError && e.httpStatus === 400) {
      // The API names its body fields; say which flag set them (global requires the zone: --zone).
      const flag: Record<string, string> = { zone: '--zone', scope: '--scope', validFor: '--valid-for' };
      throw new UsageError(e.message, e.fields.map((f) => ({ field: flag[f.field] ?? f.field, reason: f.reason })));
    }
    throw e;
  }
  io.stdout(`${token}\n`);
}
