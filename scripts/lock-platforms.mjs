#!/usr/bin/env node
// The npm registry this project is developed against serves only the Linux builds of biome and turbo,
// so `npm install` leaves their other platform packages out of package-lock.json and `npm ci` then
// refuses the lock. This adds the missing optional platform entries (os/cpu/libc only: npm skips them on
// other platforms and fetches them normally where they apply). Run after `npm install`.
import { readFileSync, writeFileSync } from 'node:fs';

const file = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(file, 'utf8'));
const pkgs = lock.packages;

function platformOf(name) {
  const base = name.split('/').pop();
  const os = ['darwin', 'linux', 'win32', 'windows', 'android', 'freebsd'].find((o) => base.includes(o));
  const cpu = base.includes('arm64') ? 'arm64' : base.includes('64') ? 'x64' : undefined;
  const out = {};
  if (os) out.os = [os === 'windows' ? 'win32' : os];
  if (cpu) out.cpu = [cpu];
  if (base.includes('musl')) out.libc = ['musl'];
  return out;
}

let added = 0;
for (const [path, entry] of Object.entries(pkgs)) {
  for (const [dep, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const key = `node_modules/${dep}`;
    if (pkgs[key]) continue;
    if (!/^(@biomejs\/cli-|@turbo\/)/.test(dep)) continue;
    pkgs[key] = { version, ...platformOf(dep), ...(entry.dev ? { dev: true } : {}), license: entry.license ?? 'MIT', optional: true };
    added += 1;
    console.log(`added ${key}@${version} (for ${path})`);
  }
}
const sorted = Object.fromEntries(Object.entries(pkgs).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b))));
lock.packages = sorted;
writeFileSync(file, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`${added} entries added`);
