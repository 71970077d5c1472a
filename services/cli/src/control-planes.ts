/**
 * `causeway config control-planes add|list|switch|remove` and `causeway config view`.
 */
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { ApiError, type CausewayClient, type IndexInfo } from '@causeway/client';
import { CausewayError, type FieldError } from '@causeway/core';
import { stringify } from 'yaml';
import {
  addControlPlane,
  type ControlPlaneEntry,
  headerError,
  loadConfig,
  normalizeAddress,
  redactedConfig,
  removeControlPlane,
  saveConfig,
  switchControlPlane,
} from './config.js';
import { clientForTarget, readCaFile } from './connect.js';
import { renderTable } from './format.js';
import type { CliIo } from './io.js';
import { type OutputFormat, printStructured } from './output.js';
import { UsageError, usageError } from './usage.js';

export interface AddOptions {
  name: string;
  address: string;
  authTokenFile?: string;
  overwrite: boolean;
  caCertFile?: string;
  skipVerify?: boolean;
  /** `--headers k=v` (already parsed). */
  headers?: Record<string, string>;
  authType?: string;
  /** `--auth-conf k=v` (already parsed). */
  authConf?: Record<string, string>;
}

/**
 * Parses kumactl's `key=value` flags (`--headers`, `--auth-conf`): repeatable, and one value may hold
 * several pairs split by `,` (`--headers a=1,b=2`); a `,` inside a value stays when what follows has no `=`.
 */
export function parseKeyValues(flag: string, args: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const arg of args) {
    const pairs: string[] = [];
    for (const piece of arg.split(',')) {
      if (pairs.length > 0 && !piece.includes('=')) pairs[pairs.length - 1] += `,${piece}`;
      else pairs.push(piece);
    }
    for (const p of pairs) {
      const i = p.indexOf('=');
      if (i <= 0) throw usageError(flag, `invalid ${flag} "${p}"`, `"${p}" must be written key=value`);
      out[p.slice(0, i).trim()] = p.slice(i + 1);
    }
  }
  return out;
}

/** Checks the connection flags of `add`: every mistake is named by its flag. */
function connectionOf(opts: AddOptions, address: string, cwd: string): Pick<ControlPlaneEntry, 'caCertFile' | 'skipVerify' | 'headers' | 'authType' | 'authConf'> {
  const errors: FieldError[] = [];
  const https = address.startsWith('https://');
  if (opts.caCertFile !== undefined && !https) errors.push({ field: '--ca-cert-file', reason: `applies to an https:// address only (${address} is http)` });
  if (opts.skipVerify && !https) errors.push({ field: '--skip-verify', reason: `applies to an https:// address only (${address} is http)` });
  if (opts.skipVerify && opts.caCertFile !== undefined) errors.push({ field: '--skip-verify', reason: 'goes without --ca-cert-file (either verify with the CA or do not verify)' });
  for (const [k, v] of Object.entries(opts.headers ?? {})) {
    const reason = headerError(k, v);
    if (reason) errors.push({ field: '--headers', reason });
  }
  let authConf: { token: string } | undefined;
  if (opts.authType !== undefined && opts.authType !== 'tokens') errors.push({ field: '--auth-type', reason: `must be "tokens" (got "${opts.authType}")` });
  if (opts.authConf !== undefined && opts.authType === undefined) errors.push({ field: '--auth-conf', reason: 'goes with --auth-type tokens' });
  if (opts.authType === 'tokens') {
    const conf = opts.authConf ?? {};
    const extra = Object.keys(conf).filter((k) => k !== 'token');
    if (extra.length > 0) errors.push({ field: '--auth-conf', reason: `the tokens authentication takes token=<token> only (not ${extra.join(', ')})` });
    if (!conf.token) errors.push({ field: '--auth-conf', reason: 'the tokens authentication needs --auth-conf token=<admin token>' });
    else authConf = { token: conf.token.trim() };
    if (opts.authTokenFile !== undefined) errors.push({ field: '--auth-token-file', reason: 'goes without --auth-type (give the token one way)' });
  }
  if (errors.length > 0) throw new UsageError('invalid control plane settings', errors);
  return {
    ...(opts.caCertFile !== undefined ? { caCertFile: resolve(cwd, opts.caCertFile) } : {}),
    ...(opts.skipVerify ? { skipVerify: true } : {}),
    ...(opts.headers && Object.keys(opts.headers).length > 0 ? { headers: opts.headers } : {}),
    ...(authConf ? { authType: 'tokens' as const, authConf } : {}),
  };
}

async function checkControlPlane(client: CausewayClient, address: string, hasToken: boolean, tokenSource: string): Promise<IndexInfo> {
  let info: IndexInfo;
  try {
    info = await client.index();
  } catch (e) {
    throw new CausewayError('UNAVAILABLE', `${address} does not answer as a Causeway control plane: ${(e as Error).message}`);
  }
  if (info.mode !== 'global' && info.mode !== 'zone') throw new CausewayError('INVALID', `${address} answered GET / without a control plane mode; is it a Causeway control plane?`);
  if (hasToken) {
    // Reading global secrets needs the admin token: a cheap check that the token is accepted.
    try {
      await client.getJson('/global-secrets?size=1');
    } catch (e) {
      if (e instanceof ApiError && e.httpStatus === 401) throw new CausewayError('UNAUTHORIZED', `${address} does not accept the token ${tokenSource}`);
      throw e;
    }
  }
  return info;
}

export async function addCommand(configFile: string, opts: AddOptions, io: CliIo): Promise<void> {
  const config = loadConfig(configFile);
  if (!opts.overwrite && config.controlPlanes.some((cp) => cp.name === opts.name)) {
    // Fail before contacting anything (addControlPlane checks again when saving).
    addControlPlane(config, { name: opts.name, address: opts.address }, false);
  }
  const address = normalizeAddress(opts.address);
  const conn = connectionOf(opts, address, io.cwd);
  if (conn.caCertFile) readCaFile(conn.caCertFile);
  const tokenFile = opts.authTokenFile ? resolve(io.cwd, opts.authTokenFile) : undefined;
  if (tokenFile && (statSync(tokenFile, { throwIfNoEntry: false })?.mode ?? 0) & 0o077) {
    io.stderr(`Warning: ${tokenFile} can be read by other users; restrict it with: chmod 600 ${tokenFile}\n`);
  }
  const client = clientForTarget(
    {
      address,
      ...(tokenFile ? { authTokenFile: tokenFile } : conn.authConf ? { token: conn.authConf.token } : {}),
      ...(conn.caCertFile ? { caCertFile: conn.caCertFile } : {}),
      ...(conn.skipVerify ? { skipVerify: true } : {}),
      ...(conn.headers ? { headers: conn.headers } : {}),
    },
    10_000,
  );
  const info = await checkControlPlane(client, address, tokenFile !== undefined || conn.authConf !== undefined, tokenFile ? `in ${tokenFile}` : 'given with --auth-conf');
  const entry: ControlPlaneEntry = {
    name: opts.name,
    address,
    ...(tokenFile ? { authTokenFile: tokenFile } : {}),
    mode: info.mode,
    ...(info.zone ? { zone: info.zone } : {}),
    ...conn,
  };
  saveConfig(configFile, addControlPlane(config, entry, opts.overwrite));
  const where = info.mode === 'zone' ? `zone control plane of zone ${info.zone ?? '?'}` : 'global control plane';
  io.stdout(`added control plane "${opts.name}" (${address}, ${where}, version ${info.version}) and switched to it\n`);
}

function authText(cp: ControlPlaneEntry): string {
  if (cp.authTokenFile) return cp.authTokenFile;
  if (cp.authConf) return 'token in config';
  return '-';
}

export function listCommand(configFile: string, output: OutputFormat, io: CliIo): void {
  const config = loadConfig(configFile);
  if (output !== 'table') {
    printStructured(redactedConfig(config).controlPlanes, output, io);
    return;
  }
  const rows = config.controlPlanes.map((cp) => [cp.name === config.currentControlPlane ? '*' : '', cp.name, cp.address, cp.mode ?? '-', cp.zone ?? '-', authText(cp)]);
  io.stdout(renderTable(['ACTIVE', 'NAME', 'ADDRESS', 'MODE', 'ZONE', 'AUTH'], rows));
}

/** `causeway config view`: the whole config file, tokens redacted (YAML unless `-o json`). */
export function viewCommand(configFile: string, output: Exclude<OutputFormat, 'table'>, io: CliIo): void {
  const view = { configFile, ...redactedConfig(loadConfig(configFile)) };
  if (output === 'json') io.stdout(`${JSON.stringify(view, null, 2)}\n`);
  else io.stdout(stringify(view, { lineWidth: 0 }));
}

export function switchCommand(configFile: string, name: string, io: CliIo): void {
  const config = switchControlPlane(loadConfig(configFile), name);
  saveConfig(configFile, config);
  const cp = config.controlPlanes.find((c) => c.name === name)!;
  io.stdout(`switched to control plane "${name}" (${cp.address})\n`);
}

export function removeCommand(configFile: string, name: string, io: CliIo): void {
  const config = removeControlPlane(loadConfig(configFile), name);
  saveConfig(configFile, config);
  io.stdout(`removed control plane "${name}"${config.currentControlPlane ? `; current is now "${config.currentControlPlane}"` : ''}\n`);
}
