/**
 * The CLI's own configuration: the control planes it knows and which one is current, kept in
 * `~/.causeway/config.yaml` (or `--config-file FILE`, or `$CAUSEWAY_CLI_CONFIG`). A control plane keeps
 * the path of its token file (read each time a command runs), or — only when added with kumactl's
 * `--auth-type tokens --auth-conf token=...` — the token itself; the file is mode 0600 and `config view`
 * redacts it.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { CausewayError, type FieldError, NAME_RE } from '@causeway/core';
import { parse as parseYaml, stringify } from 'yaml';

export interface ControlPlaneEntry {
  name: string;
  /** Base URL of the API, e.g. `http://127.0.0.1:5681`. */
  address: string;
  /** Absolute path of a file holding the admin token; read at use time. */
  authTokenFile?: string;
  /** What the control plane reported when it was added. */
  mode?: 'global' | 'zone';
  zone?: string;
  /** Absolute path of the CA certificate (PEM) an https address is verified with; read at use time. */
  caCertFile?: string;
  /** Accept any certificate of an https address. */
  skipVerify?: boolean;
  /** Headers sent with every request. */
  headers?: Record<string, string>;
  /** kumactl's authentication plugin: only `tokens` (`authConf.token`). */
  authType?: 'tokens';
  authConf?: { token: string };
}

export interface CliConfig {
  currentControlPlane?: string;
  controlPlanes: ControlPlaneEntry[];
}

/** The address used when no control plane is configured (kumactl's default too). */
export const DEFAULT_ADDRESS = 'http://127.0.0.1:5681';

export function defaultConfigPath(home = homedir()): string {
  return join(home, '.causeway', 'config.yaml');
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Checks an address: an absolute http(s) URL. Returns it without trailing slashes. */
export function normalizeAddress(address: string): string {
  let url: URL;
  try {
    url = new URL(address);
  } catch {
    throw new CausewayError('INVALID', `invalid address "${address}"`, [{ field: '--address', reason: 'must be an absolute URL like http://127.0.0.1:5681' }]);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new CausewayError('INVALID', `invalid address "${address}"`, [{ field: '--address', reason: `must use http:// or https://, not ${url.protocol}//` }]);
  return address.replace(/\/+$/, '');
}

const ENTRY_KEYS: ReadonlySet<string> = new Set(['name', 'address', 'authTokenFile', 'mode', 'zone', 'caCertFile', 'skipVerify', 'headers', 'authType', 'authConf']);

/** Reads the config file; a missing file is an empty config. Malformed content is an error naming the file. */
export function loadConfig(path: string): CliConfig {
  if (!existsSync(path)) return { controlPlanes: [] };
  let doc: unknown;
  try {
    doc = parseYaml(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new CausewayError('INVALID', `cannot read config file ${path}: ${(e as Error).message.split('\n')[0]}`);
  }
  if (doc === null || doc === undefined) return { controlPlanes: [] };
  const errors: FieldError[] = [];
  if (!isPlainObject(doc)) throw new CausewayError('INVALID', `config file ${path} must be a YAML map`);
  // A file of another tool (causeway-cp's config, say) is named as such rather than read as an empty config.
  for (const k of Object.keys(doc)) if (k !== 'currentControlPlane' && k !== 'controlPlanes') errors.push({ field: k, reason: 'is not a setting of the causeway CLI config (currentControlPlane, controlPlanes)' });
  const current = doc.currentControlPlane;
  if (current !== undefined && current !== null && typeof current !== 'string') errors.push({ field: 'currentControlPlane', reason: 'must be a string' });
  const rawList = doc.controlPlanes ?? [];
  const controlPlanes: ControlPlaneEntry[] = [];
  if (!Array.isArray(rawList)) errors.push({ field: 'controlPlanes', reason: 'must be a list' });
  else {
    rawList.forEach((cp: unknown, i) => {
      const at = `controlPlanes[${i}]`;
      if (!isPlainObject(cp)) {
        errors.push({ field: at, reason: 'must be a map' });
        return;
      }
      for (const k of Object.keys(cp)) if (!ENTRY_KEYS.has(k)) errors.push({ field: `${at}.${k}`, reason: `is not a control plane setting (${[...ENTRY_KEYS].join(', ')})` });
      if (typeof cp.name !== 'string' || cp.name === '') errors.push({ field: `${at}.name`, reason: 'is required' });
      if (typeof cp.address !== 'string' || cp.address === '') errors.push({ field: `${at}.address`, reason: 'is required' });
      if (cp.authTokenFile !== undefined && typeof cp.authTokenFile !== 'string') errors.push({ field: `${at}.authTokenFile`, reason: 'must be a string' });
      if (cp.mode !== undefined && cp.mode !== 'global' && cp.mode !== 'zone') errors.push({ field: `${at}.mode`, reason: 'must be "global" or "zone"' });
      const conn = connectionFields(cp, at, errors);
      if (typeof cp.name === 'string' && typeof cp.address === 'string') {
        controlPlanes.push({
          name: cp.name,
          address: cp.address,
          ...(typeof cp.authTokenFile === 'string' ? { authTokenFile: cp.authTokenFile } : {}),
          ...(cp.mode === 'global' || cp.mode === 'zone' ? { mode: cp.mode } : {}),
          ...(typeof cp.zone === 'string' ? { zone: cp.zone } : {}),
          ...conn,
        });
      }
    });
  }
  if (errors.length > 0) throw new CausewayError('INVALID', `config file ${path} is not valid`, errors);
  return { ...(typeof current === 'string' ? { currentControlPlane: current } : {}), controlPlanes };
}

type Connection = Pick<ControlPlaneEntry, 'caCertFile' | 'skipVerify' | 'headers' | 'authType' | 'authConf'>;

/** The connection settings of one control plane entry, checked. */
function connectionFields(cp: Record<string, unknown>, at: string, errors: FieldError[]): Connection {
  const out: Connection = {};
  if (cp.caCertFile !== undefined) {
    if (typeof cp.caCertFile === 'string' && cp.caCertFile !== '') out.caCertFile = cp.caCertFile;
    else errors.push({ field: `${at}.caCertFile`, reason: 'must be the path of a PEM file' });
  }
  if (cp.skipVerify !== undefined) {
    if (typeof cp.skipVerify === 'boolean') out.skipVerify = cp.skipVerify;
    else errors.push({ field: `${at}.skipVerify`, reason: 'must be true or false' });
  }
  if (cp.headers !== undefined) {
    const headers: Record<string, string> = {};
    if (!isPlainObject(cp.headers)) errors.push({ field: `${at}.headers`, reason: 'must be a map of header name to value' });
    else
      for (const [k, v] of Object.entries(cp.headers)) {
        const reason = typeof v === 'string' ? headerError(k, v) : 'must be a string';
        if (reason) errors.push({ field: `${at}.headers["${k}"]`, reason });
        else headers[k] = v as string;
      }
    out.headers = headers;
  }
  if (cp.authType !== undefined) {
    if (cp.authType === 'tokens') out.authType = 'tokens';
    else errors.push({ field: `${at}.authType`, reason: 'must be "tokens"' });
  }
  if (cp.authConf !== undefined) {
    const token = isPlainObject(cp.authConf) ? cp.authConf.token : undefined;
    if (typeof token === 'string' && token !== '' && Object.keys(cp.authConf as object).length === 1) out.authConf = { token };
    else errors.push({ field: `${at}.authConf`, reason: 'must be {token: <token>}' });
    if (cp.authType !== 'tokens') errors.push({ field: `${at}.authType`, reason: 'must be "tokens" when authConf is set' });
  }
  return out;
}

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** Why a header cannot be sent, or undefined. The CLI sets accept, authorization and content-* itself. */
export function headerError(name: string, value: string): string | undefined {
  if (!HEADER_NAME.test(name)) return `"${name}" is not a header name (letters, digits and !#$%&'*+.^_\`|~-)`;
  if (/^(accept|authorization|content-type|content-length|host|connection|transfer-encoding)$/i.test(name))
    return `${name} is set by the CLI itself${name.toLowerCase() === 'authorization' ? ' (use --auth-token-file or --auth-type tokens --auth-conf token=...)' : ''}`;
  if (/[\r\n\0]/.test(value)) return 'the value must not contain line breaks or NUL';
  return undefined;
}

const SENSITIVE_HEADER = /authorization|cookie|token|secret|password|api-?key/i;
export const REDACTED = '[redacted]';

/** The config as `config view` prints it: tokens and secret-looking header values replaced by [redacted]. */
export function redactedConfig(config: CliConfig): CliConfig {
  return {
    ...config,
    controlPlanes: config.controlPlanes.map((cp) => ({
      ...cp,
      ...(cp.headers ? { headers: Object.fromEntries(Object.entries(cp.headers).map(([k, v]) => [k, SENSITIVE_HEADER.test(k) ? REDACTED : v])) } : {}),
      ...(cp.authConf ? { authConf: { token: REDACTED } } : {}),
    })),
  };
}

/**
 * Writes the config atomically (temporary file + rename) with mode 0600, in a directory created with
 * mode 0700 when missing.
 */
export function saveConfig(path: string, config: CliConfig): void {
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const doc = {
    ...(config.currentControlPlane ? { currentControlPlane: config.currentControlPlane } : {}),
    controlPlanes: config.controlPlanes.map((cp) => ({ ...cp })),
  };
  const tmp = join(dir, `.${randomBytes(6).toString('hex')}.tmp`);
  try {
    writeFileSync(tmp, stringify(doc), { mode: 0o600, flag: 'wx' });
    chmodSync(tmp, 0o600);
    renameSync(tmp, path);
  } finally {
    rmSync(tmp, { force: true });
  }
}

export function findControlPlane(config: CliConfig, name: string): ControlPlaneEntry | undefined {
  return config.controlPlanes.find((cp) => cp.name === name);
}

/** Adds (or, with overwrite, replaces) a control plane and makes it current. */
export function addControlPlane(config: CliConfig, entry: ControlPlaneEntry, overwrite: boolean): CliConfig {
  if (!NAME_RE.test(entry.name))
    throw new CausewayError('INVALID', `invalid control plane name "${entry.name}"`, [
      { field: '--name', reason: 'must start and end with a letter or digit and contain only letters, digits, ".", "_" and "-"' },
    ]);
  const existing = findControlPlane(config, entry.name);
  if (existing && !overwrite)
    throw new CausewayError('ALREADY_EXISTS', `control plane "${entry.name}" already exists (${existing.address}); pass --overwrite to replace it`);
  const controlPlanes = existing ? config.controlPlanes.map((cp) => (cp.name === entry.name ? entry : cp)) : [...config.controlPlanes, entry];
  return { currentControlPlane: entry.name, controlPlanes };
}

export function switchControlPlane(config: CliConfig, name: string): CliConfig {
  if (!findControlPlane(config, name)) throw notConfigured(config, name);
  return { ...config, currentControlPlane: name };
}

/** Removes a control plane; when it was current, the first remaining one (if any) becomes current. */
export function removeControlPlane(config: CliConfig, name: string): CliConfig {
  if (!findControlPlane(config, name)) throw notConfigured(config, name);
  const controlPlanes = config.controlPlanes.filter((cp) => cp.name !== name);
  const current = config.currentControlPlane === name ? controlPlanes[0]?.name : config.currentControlPlane;
  return { ...(current ? { currentControlPlane: current } : {}), controlPlanes };
}

export function notConfigured(config: CliConfig, name: string): CausewayError {
  const known = config.controlPlanes.map((cp) => cp.name);
  return new CausewayError(
    'NOT_FOUND',
    `control plane "${name}" is not configured (${known.length > 0 ? `known: ${known.join(', ')}` : 'none configured; add one with: causeway config control-planes add --name NAME --address URL'})`,
  );
}

/** Absolute path of a token file given on the command line (relative to the working directory). */
export function absoluteTokenFile(file: string, cwd: string): string {
  return resolve(cwd, file);
}

/** Reads a token file at use time. */
export function readTokenFile(file: string): string {
  let token: string;
  try {
    token = readFileSync(file, 'utf8').trim();
  } catch (e) {
    throw new CausewayError('INVALID', `cannot read the auth token file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  if (token === '') throw new CausewayError('INVALID', `the auth token file ${file} is empty`);
  return token;
}
