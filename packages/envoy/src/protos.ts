/**
 * The Envoy v3 API, loaded once from the .proto files shipped in `@grpc/grpc-js-xds`'s `deps/` folders
 * (keepCase: field names stay snake_case, as in Envoy's JSON/YAML).
 */
import { accessSync, constants } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';
// Importing proto-loader also registers Google's well-known protos that protobufjs does not bundle
// (descriptor.proto, which the validate rules extend, and api/type/source_context) with protobufjs:
// envoyRoot() below relies on that, as proto-loader's own loader does.
import * as protoLoader from '@grpc/proto-loader';
import protobuf, { type Root } from 'protobufjs';

const require = createRequire(import.meta.url);

/** The entry .proto (imports only) and the include directories it resolves against. */
export const PROTO_ENTRY = 'causeway_envoy.proto';

export function protoIncludeDirs(): string[] {
  const deps = join(dirname(require.resolve('@grpc/grpc-js-xds/package.json')), 'deps');
  const own = join(dirname(fileURLToPath(import.meta.url)), '..', 'proto');
  return [join(deps, 'envoy-api'), join(deps, 'xds'), join(deps, 'googleapis'), join(deps, 'protoc-gen-validate'), own];
}

export const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: true,
  longs: String,
  enums: String,
  defaults: false,
  oneofs: false,
};

/**
 * Loads a .proto with protobufjs the way `@grpc/proto-loader` does (`includeDirs` searched in order,
 * then every reference resolved), and returns the protobufjs Root that the codec walks.
 */
function loadRoot(filename: string, includeDirs: string[]): Root {
  const root = new protobuf.Root();
  const fallback = root.resolvePath;
  root.resolvePath = (origin, target) => {
    if (isAbsolute(target)) return target;
    for (const dir of includeDirs) {
      const full = join(dir, target);
      try {
        accessSync(full, constants.R_OK);
        return full;
      } catch {}
    }
    process.emitWarning(`${target} not found in any of the include paths ${includeDirs}`);
    return fallback(origin, target);
  };
  const loaded = root.loadSync(filename, { keepCase: true });
  loaded.resolveAll();
  return loaded;
}

let root: Root | undefined;
/** The protobufjs Root of the whole Envoy subset (loaded on first use, then cached). */
export function envoyRoot(): Root {
  root ??= loadRoot(PROTO_ENTRY, protoIncludeDirs());
  return root;
}

let pkgDef: protoLoader.PackageDefinition | undefined;
/** proto-loader's package definition (services for @grpc/grpc-js). */
export function envoyPackageDefinition(): protoLoader.PackageDefinition {
  pkgDef ??= protoLoader.loadSync(PROTO_ENTRY, { ...LOADER_OPTIONS, includeDirs: protoIncludeDirs() });
  return pkgDef;
}

