/**
 * `causeway config control-planes add|list|switch|remove`.
 */
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { ApiError, CausewayClient } from '@causeway/client';
import { CausewayError } from '@causeway/core';
import { addControlPlane, type ControlPlaneEntry, loadConfig, normalizeAddress, readTokenFile, removeControlPlane, saveConfig, switchControlPlane } from './config.js';
import { renderTable } from './format.js';
import type { CliIo } from './io.js';

export interface AddOptions {
  name: string;
  address: string;
  authTokenFile?: string;
  overwrite: boolean;
}

export async function addCommand(configFile: string, opts: AddOptions, io: CliIo): Promise<void> {
  const config = loadConfig(configFile);
  if (!opts.overwrite && config.controlPlanes.some((cp) => cp.name === opts.name)) {
    // Fail before contacting anything (addControlPlane checks again when saving).
    addControlPlane(config, { name: opts.name, address: opts.address }, false);
  }
  const address = normalizeAddress(opts.address);
  const tokenFile = opts.authTokenFile ? resolve(io.cwd, opts.authTokenFile) : undefined;
  const token = tokenFile ? readTokenFile(tokenFile) : undefined;
  if (tokenFile && (statSync(tokenFile).mode & 0o077) !== 0) {
    io.stderr(`Warning: ${tokenFile} can be read by other users; restrict it with: chmod 600 ${tokenFile}\n`);
  }
  const client = new CausewayClient({ address, ...(token ? { token } : {}), timeoutMs: 10_000 });
  let info: Awaited<ReturnType<CausewayClient['index']>>;
  try {
    info = await client.index();
  } catch (e) {
    throw new CausewayError('UNAVAILABLE', `${address} does not answer as a Causeway control plane: ${(e as Error).message}`);
  }
  if (info.mode !== 'global' && info.mode !== 'zone') throw new CausewayError('INVALID', `${address} answered GET / without a control plane mode; is it a Causeway control plane?`);
  if (token) {
    // Reading global secrets needs the admin token: a cheap check that the token is accepted.
    try {
      await client.getJson('/global-secrets?size=1');
    } catch (e) {
      if (e instanceof ApiError && e.httpStatus === 401) throw new CausewayError('UNAUTHORIZED', `${address} does not accept the token in ${tokenFile}`);
      throw e;
    }
  }
  const entry: ControlPlaneEntry = {
    name: opts.name,
    address,
    ...(tokenFile ? { authTokenFile: tokenFile } : {}),
    mode: info.mode,
    ...(info.zone ? { zone: info.zone } : {}),
  };
  saveConfig(configFile, addControlPlane(config, entry, opts.overwrite));
  const where = info.mode === 'zone' ? `zone control plane of zone ${info.zone ?? '?'}` : 'global control plane';
  io.stdout(`added control plane "${opts.name}" (${address}, ${where}, version ${info.version}) and switched to it\n`);
}

export function listCommand(configFile: string, io: CliIo): void {
  const config = loadConfig(configFile);
  const rows = config.controlPlanes.map((cp) => [
    cp.name === config.currentControlPlane ? '*' : '',
    cp.name,
    cp.address,
    cp.mode ?? '-',
    cp.zone ?? '-',
    cp.authTokenFile ?? '-',
  ]);
  io.stdout(renderTable(['ACTIVE', 'NAME', 'ADDRESS', 'MODE', 'ZONE', 'AUTH TOKEN FILE'], rows));
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
