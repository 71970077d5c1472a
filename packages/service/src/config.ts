/**
 * Layered service configuration, shared by the binaries: defaults < YAML file < environment < flags,
 * validated once with a zod schema. Errors name the flag and where its bad value came from. The caller
 * passes argv, the environment and a file reader (main.ts gives process.argv, process.env, readFileSync).
 */
import { parseArgs } from 'node:util';
import { CausewayError, type FieldError, zodIssuesToFieldErrors } from '@causeway/core';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';

/** One setting: its `--flag` and its environment variable. */
export interface SettingSpec {
  flag: string;
  env: string;
  /** A boolean flag that may be given bare: `--flag` alone (last, or before another flag) means `--flag=true`. */
  bare?: boolean;
}

export interface LayeredConfigInput<T> {
  argv: string[];
  env: Record<string, string | undefined>;
  /** Setting key (camelCase, as in the schema and the YAML file) -> flag and env names. */
  settings: Record<string, SettingSpec>;
  schema: z.ZodType<T>;
  defaults: Record<string, unknown>;
  usage: string;
  /** Allow `--config FILE` (and this env variable) to name a YAML file of settings. */
  configFile?: { env: string; readFile: (path: string) => string };
}

export function loadLayeredConfig<T>(input: LayeredConfigInput<T>): T {
  const { env, settings, schema, defaults, usage, configFile } = input;
  const argv = expandBareFlags(input.argv, settings);
  let values: Record<string, string | undefined>;
  try {
    values = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        ...(configFile ? { config: { type: 'string' as const } } : {}),
        ...Object.fromEntries(Object.values(settings).map((s) => [s.flag, { type: 'string' as const }])),
      },
    }).values as Record<string, string | undefined>;
  } catch (e) {
    throw new CausewayError('INVALID', `${(e as Error).message}\n\n${usage}`);
  }
  const merged: Record<string, unknown> = { ...defaults };
  const source: Record<string, string> = {};

  const file = configFile ? (values.config ?? env[configFile.env]) : undefined;
  if (configFile && file) {
    let doc: unknown;
    try {
      doc = parseYaml(configFile.readFile(file));
    } catch (e) {
      throw new CausewayError('INVALID', `cannot read config file ${file}: ${(e as Error).message.split('\n')[0]}`);
    }
    if (doc !== null && doc !== undefined) {
      if (typeof doc !== 'object' || Array.isArray(doc)) throw new CausewayError('INVALID', `config file ${file} must be a YAML map`);
      for (const [k, v] of Object.entries(doc)) {
        merged[k] = v;
        source[k] = `config file ${file}`;
      }
    }
  }
  for (const [key, s] of Object.entries(settings)) {
    const v = env[s.env];
    if (v !== undefined && v !== '') {
      merged[key] = v;
      source[key] = `environment ${s.env}`;
    }
  }
  for (const [key, s] of Object.entries(settings)) {
    const v = values[s.flag];
    if (v !== undefined) {
      merged[key] = v;
      source[key] = `flag --${s.flag}`;
    }
  }
  const r = schema.safeParse(merged);
  if (!r.success) {
    const fields: FieldError[] = zodIssuesToFieldErrors(r.error.issues).map((f) => {
      const key = f.field.split(/[.[]/)[0] as string;
      const setting = settings[key];
      const where = source[key] ?? (setting ? `--${setting.flag} / ${setting.env}, not set` : 'config file');
      return { field: setting ? `--${setting.flag}` : f.field, reason: `${f.reason} (from ${where})` };
    });
    throw new CausewayError('INVALID', 'invalid configuration', fields);
  }
  return r.data;
}

/** `--flag` of a bare setting with no value (last, or followed by another flag) -> `--flag=true`. */
function expandBareFlags(argv: string[], settings: Record<string, SettingSpec>): string[] {
  const bare = new Set(Object.values(settings).flatMap((s) => (s.bare ? [`--${s.flag}`] : [])));
  if (bare.size === 0) return argv;
  return argv.map((a, i) => {
    const next = argv[i + 1];
    return bare.has(a) && (next === undefined || next.startsWith('-')) ? `${a}=true` : a;
  });
}
