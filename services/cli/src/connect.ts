/**
 * Which control plane a command talks to: `--address` (one-off, no config needed), else
 * `--control-plane NAME` from the config, else the current one, else the local default address.
 */
import { resolve } from 'node:path';
import { CausewayClient } from '@causeway/client';
import { type CliConfig, DEFAULT_ADDRESS, defaultConfigPath, findControlPlane, loadConfig, normalizeAddress, notConfigured, readTokenFile } from './config.js';
import type { CliIo } from './io.js';

export interface GlobalOptions {
  config?: string;
  controlPlane?: string;
  address?: string;
  authTokenFile?: string;
}

export function configPath(globals: GlobalOptions, io: CliIo): string {
  const p = globals.config ?? io.env.CAUSEWAY_CONFIG;
  return p ? resolve(io.cwd, p) : defaultConfigPath(io.home);
}

export interface Target {
  address: string;
  /** Where the token comes from, if any. */
  authTokenFile?: string;
  /** The configured control plane used, if any. */
  name?: string;
}

export function resolveTarget(globals: GlobalOptions, io: CliIo): Target {
  const tokenOverride = globals.authTokenFile ? resolve(io.cwd, globals.authTokenFile) : undefined;
  if (globals.address) {
    return { address: normalizeAddress(globals.address), ...(tokenOverride ? { authTokenFile: tokenOverride } : {}) };
  }
  const config: CliConfig = loadConfig(configPath(globals, io));
  const name = globals.controlPlane ?? config.currentControlPlane;
  if (name === undefined) return { address: DEFAULT_ADDRESS, ...(tokenOverride ? { authTokenFile: tokenOverride } : {}) };
  const cp = findControlPlane(config, name);
  if (!cp) throw notConfigured(config, name);
  const tokenFile = tokenOverride ?? cp.authTokenFile;
  return { address: cp.address, name: cp.name, ...(tokenFile ? { authTokenFile: tokenFile } : {}) };
}

export function clientFor(globals: GlobalOptions, io: CliIo): CausewayClient {
  const target = resolveTarget(globals, io);
  const token = target.authTokenFile ? readTokenFile(target.authTokenFile) : undefined;
  return new CausewayClient({ address: target.address, ...(token ? { token } : {}) });
}
