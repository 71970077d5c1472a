/**
 * causeway-dp carries only the proxy: its runtime dependency closure holds nothing of the control
 * plane's store, database, PKI or xDS server. Checked twice: the packages its package.json declares,
 * followed transitively through every package's runtime dependencies, and the modules a real
 * `causeway-dp` process (dist/main.js, built before the tests run) loads.
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const PKG = join(dirname(fileURLToPath(import.meta.url)), '..');
const MAIN = join(PKG, 'dist', 'main.js');

/** Store, database, PKI and control-plane packages: none may be reachable from the proxy. */
const FORBIDDEN = [
  '@causeway/store',
  '@causeway/pki',
  '@causeway/xds',
  '@causeway/sync',
  '@causeway/api',
  'drizzle-orm',
  'pg',
  '@electric-sql/pglite',
  '@peculiar/x509',
];

interface PackageJson {
  name: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

/** The directory of `name` as Node resolves it from `fromDir` (node_modules up the tree). */
function packageDir(name: string, fromDir: string): string | undefined {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}

/** Every package reachable from `root` through dependencies, optional and peer dependencies. */
function runtimeClosure(root: string): Set<string> {
  const seen = new Set<string>();
  const visited = new Set<string>();
  const walk = (dir: string) => {
    if (visited.has(dir)) return;
    visited.add(dir);
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as PackageJson;
    for (const name of Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies, ...pkg.peerDependencies })) {
      const found = packageDir(name, dir);
      if (!found) continue; // an optional or peer dependency that is not installed is not loaded either
      seen.add(name);
      walk(found);
    }
  };
  walk(root);
  return seen;
}

/** The package a module file belongs to (`.../node_modules/@scope/name/...` -> `@scope/name`). */
function packageOf(file: string): string | undefined {
  const inModules = [...file.matchAll(/\/node_modules\/((?:@[^/]+\/)?[^/]+)\//g)].pop();
  if (inModules) return inModules[1];
  const ws = /\/(packages|services)\/([^/]+)\//.exec(file);
  if (!ws) return undefined;
  const pkgFile = join(file.slice(0, ws.index), ws[1] as string, ws[2] as string, 'package.json');
  return existsSync(pkgFile) ? (JSON.parse(readFileSync(pkgFile, 'utf8')) as PackageJson).name : undefined;
}

describe('causeway-dp runtime dependency closure', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'dp-closure-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('declares no store, database, PKI or control-plane package, directly or transitively', () => {
    const closure = runtimeClosure(PKG);
    expect(closure).toContain('@causeway/envoy');
    expect(closure).toContain('@causeway/core');
    expect([...closure].filter((name) => FORBIDDEN.includes(name))).toEqual([]);
  });

  it('loads none of them when it runs', () => {
    expect(existsSync(MAIN), `${MAIN} (run npm run build first)`).toBe(true);
    // ES modules are seen by a resolve hook, CommonJS modules in require's cache when the process exits.
    const log = join(tmp, 'modules.log');
    const hooks = join(tmp, 'hooks.mjs');
    writeFileSync(
      hooks,
      `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  appendFileSync(${JSON.stringify(log)}, r.url + '\\n');
  return r;
}
`,
    );
    const register = join(tmp, 'register.mjs');
    writeFileSync(
      register,
      `import { appendFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';
register(${JSON.stringify(pathToFileURL(hooks).href)});
const cache = createRequire(import.meta.url).cache;
process.on('exit', () => appendFileSync(${JSON.stringify(log)}, Object.keys(cache).map((f) => 'file://' + f + '\\n').join('')));
`,
    );
    appendFileSync(log, '');
    const run = spawnSync(process.execPath, ['--import', pathToFileURL(register).href, MAIN, 'version'], { encoding: 'utf8', timeout: 30_000 });
    expect(run.status, run.stderr).toBe(0);
    const files = readFileSync(log, 'utf8')
      .split('\n')
      .filter((u) => u.startsWith('file://'))
      .map((u) => fileURLToPath(u));
    const packages = new Set(files.map(packageOf).filter((p): p is string => p !== undefined));
    // The proxy itself was loaded (the hooks saw its graph): its Envoy codec, gRPC, the core package.
    expect(packages).toContain('@causeway/dataplane');
    expect(packages).toContain('@causeway/envoy');
    expect(packages).toContain('@grpc/grpc-js');
    expect([...packages].filter((name) => FORBIDDEN.includes(name))).toEqual([]);
  });
});
