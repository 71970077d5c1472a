/**
 * `causeway generate tls-certificate --type server|client --hostname H [--hostname H2]... [--key-file F]
 * [--cert-file F] [--key-type rsa|ecdsa]` and `causeway generate signing-key [--format pem|pem-base64]`
 * (kumactl's commands; nothing is asked of a control plane).
 */
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { CausewayError, type FieldError } from '@causeway/core';
import type { CliIo } from './io.js';
import { UsageError } from './usage.js';
import { type CertType, hostnameError, type KeyType, selfSignedCertificate } from './self-signed.js';

export interface TlsCertificateFlags {
  type: CertType;
  /** Repeatable; each value may list several names split by ",". */
  hostname: string[];
  keyFile: string;
  certFile: string;
  keyType?: KeyType;
}

/** The hostnames of `--hostname` (repeated and/or comma-separated), checked. */
export function hostnames(values: string[]): string[] {
  const names = [...new Set(values.flatMap((v) => v.split(',')).map((h) => h.trim()).filter((h) => h !== ''))];
  const errors: FieldError[] = [];
  if (names.length === 0) errors.push({ field: '--hostname', reason: 'give at least one, e.g. --hostname localhost' });
  for (const h of names) {
    const reason = hostnameError(h);
    if (reason) errors.push({ field: '--hostname', reason });
  }
  if (errors.length > 0) throw new UsageError('invalid --hostname', errors);
  return names;
}

function writeOut(flag: string, file: string, content: string, mode: number, io: CliIo): void {
  const path = resolve(io.cwd, file);
  try {
    writeFileSync(path, content, { mode });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new CausewayError('INVALID', `cannot write ${path}: ${err.code ?? err.message}`, [{ field: flag, reason: `cannot write ${path} (${err.code ?? err.message})` }]);
  }
}

export function generateTlsCertificateCommand(flags: TlsCertificateFlags, io: CliIo): void {
  const names = hostnames(flags.hostname);
  const pair = selfSignedCertificate({ type: flags.type, hostnames: names, ...(flags.keyType ? { keyType: flags.keyType } : {}) });
  if (flags.keyFile === '-') io.stdout(pair.keyPem);
  else writeOut('--key-file', flags.keyFile, pair.keyPem, 0o600, io);
  if (flags.certFile === '-') io.stdout(pair.certPem);
  else writeOut('--cert-file', flags.certFile, pair.certPem, 0o644, io);
  if (flags.keyFile !== '-' && flags.certFile !== '-') {
    io.stdout(`Private key saved in ${flags.keyFile}\n`);
    io.stdout(`Certificate saved in ${flags.certFile}\n`);
  }
}

export type SigningKeyFormat = 'pem' | 'pem-base64';

/**
 * A new token signing key: EC P-256, PKCS#8 PEM (what zone control planes sign dataplane and zone tokens
 * with, ES256; a zone's `zone-signing-key.pem`). `pem-base64` (the default, as kumactl's) fits the `data`
 * of a Secret / GlobalSecret.
 */
export function generateSigningKeyCommand(format: SigningKeyFormat, io: CliIo): void {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  io.stdout(format === 'pem' ? pem : `${Buffer.from(pem).toString('base64')}\n`);
}
