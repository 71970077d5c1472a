#!/usr/bin/env node
// Regenerates src/generated/ (TypeScript types of the Envoy API subset) from proto/causeway_envoy.proto
// with proto-loader-gen-types. Usage: node scripts/gen-types.mjs [OUT_DIR]  (default src/generated)
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const pkg = resolve(here, '..');
const require = createRequire(join(pkg, 'package.json'));
const xdsDeps = join(dirname(require.resolve('@grpc/grpc-js-xds/package.json')), 'deps');
const loaderDir = dirname(require.resolve('@grpc/proto-loader/package.json'));
const bin = join(loaderDir, 'build', 'bin', 'proto-loader-gen-types.js');
const out = resolve(process.argv[2] ?? join(pkg, 'src', 'generated'));

rmSync(out, { recursive: true, force: true });
const includes = ['envoy-api', 'xds', 'googleapis', 'protoc-gen-validate'].map((d) => join(xdsDeps, d));
execFileSync(
  process.execPath,
  [
    bin,
    'causeway_envoy.proto',
    '--keepCase',
    '--longs=String',
    '--enums=String',
    '--grpcLib=@grpc/grpc-js',
    '--importFileExtension=.js',
    `--outDir=${out}`,
    ...includes.flatMap((d) => ['-I', d]),
    '-I',
    join(pkg, 'proto'),
  ],
  { stdio: 'inherit', cwd: pkg },
);

// The generator writes "Original file: <absolute path>" comments; make them independent of where the
// repository is checked out so that regenerating on any machine gives the same files.
function relativize(dir) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) relativize(p);
    else {
      const text = readFileSync(p, 'utf8');
      const fixed = text.split(`${xdsDeps}/`).join('@grpc/grpc-js-xds/deps/').split(`${join(pkg, 'proto')}/`).join('proto/');
      if (fixed !== text) writeFileSync(p, fixed);
    }
  }
}
relativize(out);
