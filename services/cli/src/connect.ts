/**
 * Which control plane a command talks to: `--address` (one-off, no config needed), else
 * `--control-plane NAME` from the config, else the current one, else the local default address. The
 * config file is `--config-file FILE`, else `$CAUSEWAY_CLI_CONFIG`, else `~/.causeway/config.yaml`
 * (`CAUSEWAY_CONFIG` is causeway-cp's, not the CLI's).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { CausewayError } from '@causeway/core';
import { type CliConfig, type ControlPlaneEntry, DEFAULT_ADDRESS, defaultConfigPath, findControlPlane, loadConfig, normalizeAddress, notConfigured, readTokenFile } from './config.js';
import type { CliIo } from './io.js';
import { CliClient } from './transport.js';

/** The environment variable naming the CLI's config file. */
export const CONFIG_ENV = 'CAUSEWAY_CLI_CONFIG';

export interface GlobalOptions {
  configFile?: string;
  controlPlane?: string;
  address?: string;
  authTokenFile?: string;
}

export function configPath(globals: GlobalOptions, io: CliIo): string {
  const p = globals.configFile ?? io.env[CONFIG_ENV];
  return p ? resolve(io.cwd, p) : defaultConfigPath(io.home);
}

export interface Target extends Pick<ControlPlaneEntry, 'caCertFile' | 'skipVerify' | 'headers'> {
  address: string;
  /** Where the token comes from, if any. */
  authTokenFile?: string;
  /** A token stored in the config (`--auth-type tokens --auth-conf token=...`). */
  token?: string;
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
  return {
    address: cp.address,
    name: cp.name,
    ...(tokenFile ? { authTokenFile: tokenFile } : cp.authConf ? { token: cp.authConf.token } : {}),
    ...(cp.caCertFile ? { caCertFile: cp.caCertFile } : {}),
    ...(cp.skipVerify ? { skipVerify: true } : {}),
    ...(cp.headers && Object.keys(cp.headers).length > 0 ? { headers: cp.headers } : {}),
  };
}

/** Reads a CA certificate file at use time. */
export function readCaFile(file: string, flag = '--ca-cert-file'): string {
  let pem: string;
  try {
    pem = readFileSync(file, 'utf8');
  } catch (e) {
    throw new CausewayError('INVALID', `cannot read the CA certificate file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, [
      { field: flag, reason: `cannot read ${file}` },
    ]);
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----'))
    throw new CausewayError('INVALID', `${file} holds no PEM certificate`, [{ field: flag, reason: `${file} holds no "-----BEGIN CERTIFICATE-----" block` }]);
  return pem;
}

/** A client for a target: its token, CA, skip-verify and headers on every request. */
export function clientForTarget(target: Target, timeoutMs?: number): CliClient {
  const token = target.authTokenFile ? readTokenFile(target.authTokenFile) : target.token;
  return new CliClient({
    address: target.address,
    ...(token ? { token } : {}),
    ...(target.caCertFile ? { ca: readCaFile(target.caCertFile, 'caCertFile') } : {}),
    ...(target.skipVerify ? { skipVerify: true } : {}),
    ...(target.headers ? { headers: target.headers } : {}),
    ...(timeoutMs ? { timeoutMs } : {}),
  });
}

export function clientFor(globals: GlobalOptions, io: CliIo): CliClient {
  return clientForTarget(resolveTarget(globals, io));
}
