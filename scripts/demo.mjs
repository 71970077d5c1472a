#!/usr/bin/env node
// `npm start`: brings up Causeway on loopback with the embedded store (PGlite) and applies the Kuma docs'
// ExternalService examples at the global control plane. Ctrl-C stops everything.
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const stateDir = join(root, '.causeway', 'demo');
mkdirSync(stateDir, { recursive: true });
const cpBin = join(root, 'services/control-plane/dist/main.js');
const cliBin = join(root, 'services/cli/dist/main.js');

const children = [];
function start(name, args) {
  const child = spawn(process.execPath, [cpBin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const logFile = join(stateDir, `${name}.log`);
  writeFileSync(logFile, '');
  child.stdout.on('data', (d) => writeFileSync(logFile, d, { flag: 'a' }));
  child.stderr.on('data', (d) => writeFileSync(logFile, d, { flag: 'a' }));
  child.on('exit', (code, signal) => {
    if (!stopping) {
      console.error(`${name} exited (${signal ?? code}); see ${logFile}`);
      stop(1);
    }
  });
  children.push(child);
  return logFile;
}

async function waitReady(url, logFile) {
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(`${url}/ready`)).ok) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url} did not become ready; see ${logFile}`);
}

let stopping = false;
function stop(code = 0) {
  if (stopping) return;
  stopping = true;
  for (const c of children) c.kill('SIGTERM');
  setTimeout(() => process.exit(code), 1500).unref();
  Promise.all(children.map((c) => new Promise((r) => (c.exitCode !== null ? r() : c.on('exit', r))))).then(() => process.exit(code));
}
process.on('SIGINT', () => stop(0));
process.on('SIGTERM', () => stop(0));

const cps = [
  { name: 'global', port: 5681, args: ['run', '--mode', 'global', '--api-port', '5681', '--data-dir', join(stateDir, 'global')] },
  { name: 'zone-1', port: 5691, args: ['run', '--mode', 'zone', '--zone', 'zone-1', '--api-port', '5691', '--data-dir', join(stateDir, 'zone-1')] },
  { name: 'zone-2', port: 5701, args: ['run', '--mode', 'zone', '--zone', 'zone-2', '--api-port', '5701', '--data-dir', join(stateDir, 'zone-2')] },
];
try {
  for (const cp of cps) cp.log = start(cp.name, cp.args);
  for (const cp of cps) await waitReady(`http://127.0.0.1:${cp.port}`, cp.log);

  const tokenFile = join(stateDir, 'global', 'admin-token');
  const manifest = join(stateDir, 'demo.yaml');
  writeFileSync(
    manifest,
    `type: Mesh
name: default
mtls:
  enabledBackend: ca-1
  backends:
  - name: ca-1
    type: builtin
routing:
  zoneEgress: true
networking:
  outbound:
    passthrough: false
---
type: ExternalService
mesh: default
name: httpbin-only-in-zone-2
tags:
 kuma.io/service: httpbin
 kuma.io/protocol: http
 kuma.io/zone: zone-2
networking:
 address: httpbin.org:80
---
# mTLS is on: without a MeshTrafficPermission nothing may call anything (default deny).
type: MeshTrafficPermission
mesh: default
name: allow-all
spec:
  targetRef:
    kind: Mesh
  from:
  - targetRef:
      kind: Mesh
    default:
      action: Allow
`,
  );
  const cli = (args) =>
    new Promise((res, rej) => {
      const p = spawn(process.execPath, [cliBin, '--address', 'http://127.0.0.1:5681', '--auth-token-file', tokenFile, ...args], { stdio: 'inherit' });
      p.on('exit', (code) => (code === 0 ? res() : rej(new Error(`causeway ${args.join(' ')} exited ${code}`))));
    });
  await cli(['apply', '-f', manifest]);
  await cli(['get', 'external-services']);
  console.log(`
Causeway is running (state and logs in ${stateDir}):
  global API   http://127.0.0.1:5681   (docs: http://127.0.0.1:5681/docs, admin token: ${tokenFile})
  zone-1 API   http://127.0.0.1:5691
  zone-2 API   http://127.0.0.1:5701

Try:
  npx causeway config control-planes add --name demo --address http://127.0.0.1:5681 --auth-token-file ${tokenFile} --overwrite
  npx causeway get external-services -o yaml
  curl -s http://127.0.0.1:5681/meshes/default/external-services

Ctrl-C stops everything.`);
} catch (e) {
  console.error(`demo failed: ${e.message}`);
  stop(1);
}
