#!/usr/bin/env node
// `npm start`: the whole multi-zone topology on loopback, with the embedded store (PGlite) and a nats-server
// started here:
//
//   nats-server (generated authorization)  global control plane  zone-1 and zone-2 control planes (sync)
//   zone-1: ZoneIngress, ZoneEgress, the "web" app with its sidecar      zone-2: ZoneIngress, ZoneEgress
//   a local stand-in for httpbin that answers only zone-2's ZoneEgress (no internet needed)
//
// It applies the Kuma docs' zone-2-only ExternalService (mesh with mTLS + zoneEgress), waits until the
// cross-zone path answers, and prints a command that calls it from the zone-1 app through its sidecar.
// Ctrl-C (SIGINT) or SIGTERM stops everything. State and logs: .causeway/demo/ (fresh on every start).
//
// It checks every port it will listen on first, then builds (npm run build), then starts.
// Options: --port-base N (or CAUSEWAY_DEMO_PORT_BASE=N) puts all its ports in N..N+19, its VIP ranges and
// state dir (.causeway/demo-N) apart from the default's, so a second copy can run beside the first;
// --no-build skips the build (the integration test runs it built). Environment: CAUSEWAY_DEMO_DIR (state
// dir), CAUSEWAY_DEMO_HTTPBIN=httpbin.org:80 to use the real httpbin instead of the stand-in (needs
// internet access from zone-2's egress).
import { spawn, spawnSync } from 'node:child_process';
import { accessSync, constants, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest } from 'node:http';
import { createServer as createTcpServer, Socket } from 'node:net';
import { Resolver } from 'node:dns/promises';
import { delimiter, join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const USAGE = 'usage: npm start [-- --port-base N] [--no-build]   (or node scripts/demo.mjs ...; CAUSEWAY_DEMO_PORT_BASE=N)';
const PORT_COUNT = 20;

/** --port-base N / CAUSEWAY_DEMO_PORT_BASE and --no-build; exits with the usage on anything else. */
function parseOptions(argv, env) {
  const opts = { portBase: undefined, build: true };
  let base = env.CAUSEWAY_DEMO_PORT_BASE || undefined;
  let baseFrom = 'CAUSEWAY_DEMO_PORT_BASE';
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--no-build') opts.build = false;
    else if (a === '--port-base' || a.startsWith('--port-base=')) {
      base = a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[++i];
      baseFrom = '--port-base';
    } else if (a === '--help' || a === '-h') {
      process.stdout.write(`${USAGE}\n`);
      process.exit(0);
    } else {
      process.stderr.write(`unknown option ${a}\n${USAGE}\n`);
      process.exit(2);
    }
  }
  if (base !== undefined) {
    const n = Number(base);
    if (!/^\d+$/.test(String(base)) || n < 1024 || n > 65535 - PORT_COUNT) {
      process.stderr.write(`${baseFrom}: must be a port number from 1024 to ${65535 - PORT_COUNT} (the demo uses it and the next ${PORT_COUNT - 1}), got ${JSON.stringify(base)}\n`);
      process.exit(2);
    }
    opts.portBase = n;
  }
  return opts;
}
const options = parseOptions(process.argv.slice(2), process.env);
const base = options.portBase;
const stateDir = resolve(process.env.CAUSEWAY_DEMO_DIR || join(root, '.causeway', base === undefined ? 'demo' : `demo-${base}`));
const bin = {
  cp: join(root, 'services/control-plane/dist/main.js'),
  dp: join(root, 'services/dataplane/dist/main.js'),
  cli: join(root, 'services/cli/dist/main.js'),
};

// Everything on loopback. Without --port-base: the well-known ports (Kuma's API port for global). With it:
// base+0 .. base+19 in this order, and VIP ranges of their own (a sidecar listens on VIP:80, so two copies
// must not hand out the same VIPs).
const port = (offset, fixed) => (base === undefined ? fixed : base + offset);
const vipOctet = (zone) => (base === undefined ? 240 + zone : 150 + 2 * (Math.floor(base / PORT_COUNT) % 50) + zone - 1);
const NATS_PORT = port(0, 14222);
const CP = {
  global: { api: port(1, 5681) },
  'zone-1': { api: port(2, 5691), xds: port(3, 5678), vipCidr: `127.${vipOctet(1)}.0.0/16` },
  'zone-2': { api: port(4, 5701), xds: port(5, 5688), vipCidr: `127.${vipOctet(2)}.0.0/16` },
};
const PROXIES = {
  'ingress-1': { zone: 'zone-1', mode: 'ingress', port: port(6, 10001), admin: port(7, 9902) },
  'egress-1': { zone: 'zone-1', mode: 'egress', port: port(8, 10002), admin: port(9, 9903) },
  'ingress-2': { zone: 'zone-2', mode: 'ingress', port: port(10, 20001), admin: port(11, 9904) },
  'egress-2': { zone: 'zone-2', mode: 'egress', port: port(12, 20002), admin: port(13, 9905) },
  'web-1': { zone: 'zone-1', mode: 'sidecar', admin: port(14, 9901) },
};
const WEB = { address: '127.0.1.1', inbound: port(15, 18080), app: port(16, 8080), outbound: port(17, 10080), dns: port(18, 15053) };
const STANDIN_PORT = port(19, 18000);
const realHttpbin = process.env.CAUSEWAY_DEMO_HTTPBIN;
const httpbinAddress = realHttpbin || `127.0.0.1:${STANDIN_PORT}`;

const children = [];
const servers = [];
let stopping = false;

function log(msg) {
  process.stdout.write(`${msg}\n`);
}

function findNatsServer() {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/local/sbin', '/usr/bin', '/usr/local/bin'];
  for (const d of dirs) {
    if (!d) continue;
    try {
      accessSync(join(d, 'nats-server'), constants.X_OK);
      return join(d, 'nats-server');
    } catch {}
  }
  return undefined;
}

function portFree(port, host = '127.0.0.1') {
  return new Promise((res) => {
    const s = createTcpServer();
    s.once('error', () => res(false));
    s.listen(port, host, () => s.close(() => res(true)));
  });
}

function canConnect(port, host = '127.0.0.1') {
  return new Promise((res) => {
    const s = new Socket();
    s.once('error', () => res(false));
    s.connect(port, host, () => {
      s.destroy();
      res(true);
    });
  });
}

/** Starts a child whose output goes to <state>/<name>.log; its unexpected exit stops the demo. */
function start(name, command, args, env = {}) {
  const logFile = join(stateDir, `${name}.log`);
  writeFileSync(logFile, `$ ${command} ${args.join(' ')}\n`);
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  child.stdout.on('data', (d) => writeFileSync(logFile, d, { flag: 'a' }));
  child.stderr.on('data', (d) => writeFileSync(logFile, d, { flag: 'a' }));
  child.on('exit', (code, signal) => {
    child.exited = true;
    // Ctrl-C in a terminal signals the whole process group: the children may exit before our own handler ran.
    setTimeout(() => {
      if (stopping) return;
      console.error(`${name} exited (${signal ?? `code ${code}`}); its log: ${logFile}`);
      stop(1);
    }, 250);
  });
  child.demoName = name;
  children.push(child);
  return { child, logFile };
}

async function waitFor(what, fn, timeoutMs = 60_000, everyMs = 200) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    if (stopping) throw new Error('stopping');
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`${what}: not ready after ${timeoutMs / 1000} s${last ? ` (${last.message})` : ''}`);
}

function cli(cpName, args) {
  const cp = CP[cpName];
  const r = spawnSync(process.execPath, [bin.cli, '--address', `http://127.0.0.1:${cp.api}`, '--auth-token-file', join(stateDir, cpName, 'admin-token'), ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`causeway ${args.join(' ')} (against ${cpName}): ${r.stderr || r.stdout}`);
  return r.stdout;
}

function readEnvFile(file) {
  const env = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    if (m) env[m[1]] = m[2];
  }
  return env;
}

/** Which of our children owns the client end of an accepted loopback connection (by socket inode in /proc). */
function peerOf(socket) {
  const hex = (n, w) => n.toString(16).toUpperCase().padStart(w, '0');
  const ip = (socket.remoteAddress ?? '').replace(/^::ffff:/, '');
  const v4 = ip
    .split('.')
    .map((o) => hex(Number(o), 2))
    .reverse()
    .join('');
  const local = [`${v4}:${hex(socket.remotePort, 4)}`, `0000000000000000FFFF0000${v4}:${hex(socket.remotePort, 4)}`];
  let inode;
  for (const f of ['/proc/net/tcp', '/proc/net/tcp6']) {
    try {
      for (const line of readFileSync(f, 'utf8').split('\n').slice(1)) {
        const c = line.trim().split(/\s+/);
        if (local.includes(c[1]) && c[2]?.endsWith(`:${hex(socket.localPort, 4)}`)) inode = c[9];
      }
    } catch {}
  }
  if (!inode) return undefined;
  for (const child of children) {
    if (child.exited || !child.pid) continue;
    try {
      for (const fd of readdirSync(`/proc/${child.pid}/fd`)) {
        try {
          if (readlinkSync(`/proc/${child.pid}/fd/${fd}`) === `socket:[${inode}]`) return child.demoName;
        } catch {}
      }
    } catch {}
  }
  return undefined;
}

/** httpbin's /get, /headers, /ip, /anything, /status/N — for zone-2's egress only (a firewall rule in miniature). */
function startHttpbinStandin() {
  const server = createServer((req, res) => {
    const peer = peerOf(req.socket);
    req.resume();
    req.on('end', () => {
      if (peer !== 'egress-2') {
        res.writeHead(403, { 'content-type': 'text/plain' });
        res.end(`403: this httpbin stand-in only answers zone-2's ZoneEgress (this connection came from ${peer ?? 'a process outside the demo'})\n`);
        return;
      }
      const url = new URL(req.url, `http://${req.headers.host ?? 'httpbin'}`);
      const status = /^\/status\/(\d{3})$/.exec(url.pathname);
      if (status) {
        res.writeHead(Number(status[1]));
        res.end();
        return;
      }
      const body = {
        args: Object.fromEntries(url.searchParams),
        headers: req.headers,
        origin: `${req.socket.remoteAddress} (zone-2's ZoneEgress)`,
        url: url.toString(),
        ...(url.pathname.startsWith('/anything') ? { method: req.method } : {}),
        'served-by': 'the demo\'s httpbin stand-in (with internet access, CAUSEWAY_DEMO_HTTPBIN=httpbin.org:80 uses the real one)',
      };
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(`${JSON.stringify(body, null, 2)}\n`);
    });
  });
  servers.push(server);
  return new Promise((res, rej) => {
    server.once('error', rej);
    server.listen(STANDIN_PORT, '127.0.0.1', res);
  });
}

/** The zone-1 "web" app behind its sidecar. */
function startWebApp() {
  const server = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(`${JSON.stringify({ app: 'web', zone: 'zone-1', path: req.url })}\n`);
  });
  servers.push(server);
  return new Promise((res, rej) => {
    server.once('error', rej);
    server.listen(WEB.app, '127.0.0.1', res);
  });
}

/** GET http://host/path at address:port (a fresh connection); resolves with the status code. */
function get(address, port, path, host) {
  return new Promise((res, rej) => {
    const req = httpRequest({ host: address, port, path, headers: { host }, agent: false }, (r) => {
      r.resume();
      r.on('end', () => res(r.statusCode));
    });
    req.setTimeout(5000, () => req.destroy(new Error('timeout')));
    req.on('error', rej);
    req.end();
  });
}

async function stop(code = 0) {
  if (stopping) return;
  stopping = true;
  log('\nstopping ...');
  const alive = () => children.filter((c) => !c.exited);
  const exited = (c) => new Promise((r) => (c.exited ? r() : c.once('exit', r)));
  // Proxies first, then the zones, global, and NATS last.
  for (const group of [(n) => PROXIES[n], (n) => n.startsWith('zone-'), (n) => n === 'global', () => true]) {
    const batch = alive().filter((c) => group(c.demoName));
    for (const c of batch) c.kill('SIGTERM');
    const t = setTimeout(() => {
      for (const c of batch) if (!c.exited) c.kill('SIGKILL');
    }, 10_000);
    await Promise.all(batch.map(exited));
    clearTimeout(t);
  }
  for (const s of servers) {
    s.closeAllConnections?.();
    s.close();
  }
  log(code === 0 ? 'stopped: every process exited.' : 'stopped.');
  process.exit(code);
}
process.on('SIGINT', () => stop(0));
process.on('SIGTERM', () => stop(0));

/** Every port the demo listens on, with what uses it. */
function plannedPorts() {
  return [
    [NATS_PORT, 'nats-server'],
    [CP.global.api, 'global API'],
    ...['zone-1', 'zone-2'].flatMap((z) => [
      [CP[z].api, `${z} API`],
      [CP[z].xds, `${z} xDS`],
    ]),
    ...Object.entries(PROXIES).flatMap(([n, p]) => [...(p.port ? [[p.port, n]] : []), [p.admin, `${n} admin`]]),
    [WEB.app, 'web app'],
    [WEB.outbound, 'web-1 outbound'],
    ...(realHttpbin ? [] : [[STANDIN_PORT, 'httpbin stand-in']]),
  ];
}

/** Fails before anything is built or started when a port is taken, naming it and how to move every port. */
async function checkPorts() {
  const taken = [];
  for (const [p, what] of plannedPorts()) if (!(await portFree(p))) taken.push(`${p} (${what})`);
  if (!taken.length) return;
  const where = base === undefined ? 'its default ports' : `--port-base ${base} (ports ${base}..${base + PORT_COUNT - 1})`;
  const next = (base ?? 30000) + (base === undefined ? 0 : 100);
  throw new Error(
    `port${taken.length > 1 ? 's' : ''} ${taken.join(', ')} on 127.0.0.1 ${taken.length > 1 ? 'are' : 'is'} in use (another demo running?). The demo uses ${where}; move them all with\n  npm start -- --port-base ${next}      (or CAUSEWAY_DEMO_PORT_BASE=${next} npm start: ports ${next}..${next + PORT_COUNT - 1})`,
  );
}

/** npm run build at the repository root (after the port check: a taken port fails in a second, not after the build). */
function build() {
  log('building (npm run build) ...');
  const r = spawnSync(process.platform === 'win32' ? 'npm.cmd' : 'npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`npm run build failed (${r.signal ?? `exit code ${r.status}`})`);
}

async function main() {
  const nats = findNatsServer();
  if (!nats) {
    console.error('nats-server is not installed (the demo runs one for multi-zone sync).\nInstall it, then run npm start again:\n  sudo apt-get install nats-server      # Debian / Ubuntu\n  brew install nats-server             # macOS\nor download a release from https://github.com/nats-io/nats-server/releases');
    process.exit(1);
  }
  await checkPorts();
  if (options.build) build();
  rmSync(stateDir, { recursive: true, force: true });
  mkdirSync(stateDir, { recursive: true });

  // NATS with the generated authorization: one user for global, one per zone.
  log('starting nats-server, the global control plane and two zone control planes ...');
  const nc = spawnSync(process.execPath, [bin.cli, 'generate', 'nats-config', '--zones', 'zone-1,zone-2', '--out', join(stateDir, 'nats-auth.conf'), '--credentials-dir', stateDir], { encoding: 'utf8' });
  if (nc.status !== 0) throw new Error(`causeway generate nats-config: ${nc.stderr}`);
  writeFileSync(
    join(stateDir, 'nats-server.conf'),
    `listen: "127.0.0.1:${NATS_PORT}"\nserver_name: "causeway-demo"\njetstream {\n  store_dir: ${JSON.stringify(join(stateDir, 'jetstream'))}\n}\ninclude "nats-auth.conf"\n`,
  );
  start('nats-server', nats, ['-c', join(stateDir, 'nats-server.conf')]);
  await waitFor('nats-server', () => canConnect(NATS_PORT), 15_000, 100);

  const natsUrl = `nats://127.0.0.1:${NATS_PORT}`;
  const cpArgs = (name) => [bin.cp, 'run', '--api-port', String(CP[name].api), '--api-address', '127.0.0.1', '--data-dir', join(stateDir, name), '--nats-url', natsUrl];
  start('global', process.execPath, [...cpArgs('global'), '--mode', 'global'], readEnvFile(join(stateDir, 'global.env')));
  for (const z of ['zone-1', 'zone-2'])
    start(z, process.execPath, [...cpArgs(z), '--mode', 'zone', '--zone', z, '--xds-port', String(CP[z].xds), '--xds-address', '127.0.0.1', '--vip-cidr', CP[z].vipCidr], readEnvFile(join(stateDir, `${z}.env`)));
  // A fresh PGlite store runs initdb in WebAssembly: seconds when idle, more than a minute on a loaded 2-core machine.
  for (const name of Object.keys(CP)) await waitFor(`${name} control plane`, async () => (await fetch(`http://127.0.0.1:${CP[name].api}/ready`)).ok, 150_000);
  for (const z of ['zone-1', 'zone-2'])
    await waitFor(`${z} online at global`, async () => {
      const page = await (await fetch(`http://127.0.0.1:${CP.global.api}/zones+insights`)).json();
      return page.items?.find((i) => i.name === z)?.status === 'Online';
    });

  // The Kuma docs' zone-2-only ExternalService, in a mesh with mTLS that routes through zone egress.
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
# mTLS is on: without a permission nothing may call anything.
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
---
type: ExternalService
mesh: default
name: httpbin-only-in-zone-2
tags:
 kuma.io/service: httpbin
 kuma.io/protocol: http
 kuma.io/zone: zone-2
networking:
 address: ${httpbinAddress}
`,
  );
  log(`applying ${manifest} at global (causeway apply -f):`);
  log(cli('global', ['apply', '-f', manifest]).trimEnd().replace(/^/gm, '  '));
  for (const z of ['zone-1', 'zone-2'])
    await waitFor(`the mesh CA in ${z}`, async () => (await fetch(`http://127.0.0.1:${CP[z].api}/meshes/default/secrets/default.ca-builtin-cert-ca-1`, { headers: { authorization: `Bearer ${readFileSync(join(stateDir, z, 'admin-token'), 'utf8').trim()}` } })).ok);

  // The proxies: ZoneIngress + ZoneEgress per zone (zone tokens), and web-1's sidecar (a dataplane token for kuma.io/service=web).
  log('starting ZoneIngress and ZoneEgress in both zones, the web app and its sidecar in zone-1 ...');
  if (!realHttpbin) await startHttpbinStandin();
  await startWebApp();
  for (const [name, p] of Object.entries(PROXIES)) {
    const dir = join(stateDir, name);
    mkdirSync(dir, { recursive: true });
    const resource =
      p.mode === 'sidecar'
        ? {
            type: 'Dataplane',
            mesh: 'default',
            name,
            networking: {
              address: WEB.address,
              inbound: [{ port: WEB.inbound, servicePort: WEB.app, tags: { 'kuma.io/service': 'web', 'kuma.io/protocol': 'http' } }],
              outbound: [{ port: WEB.outbound, tags: { 'kuma.io/service': 'httpbin' } }],
            },
          }
        : { type: p.mode === 'ingress' ? 'ZoneIngress' : 'ZoneEgress', name, networking: { address: '127.0.0.1', port: p.port } };
    writeFileSync(join(dir, 'resource.json'), `${JSON.stringify(resource, null, 2)}\n`);
    // A dataplane token is bound to the services its inbounds declare (--tag kuma.io/service=...).
    const services = p.mode === 'sidecar' ? [...new Set(resource.networking.inbound.map((i) => i.tags['kuma.io/service']))] : [];
    const token =
      p.mode === 'sidecar'
        ? cli(p.zone, ['generate', 'dataplane-token', '--mesh', 'default', '--name', name, '--tag', `kuma.io/service=${services.join(',')}`])
        : cli(p.zone, ['generate', 'zone-token', '--scope', p.mode]);
    writeFileSync(join(dir, 'token'), token.trim(), { mode: 0o600 });
    start(name, process.execPath, [
      bin.dp,
      'run',
      '--mode',
      p.mode,
      '--cp-address',
      `grpcs://127.0.0.1:${CP[p.zone].xds}`,
      '--ca-cert-file',
      join(stateDir, p.zone, 'xds-ca.pem'),
      '--dataplane-file',
      join(dir, 'resource.json'),
      '--dataplane-token-file',
      join(dir, 'token'),
      '--admin-port',
      String(p.admin),
      ...(p.mode === 'sidecar' ? ['--dns-port', String(WEB.dns)] : []),
    ]);
  }

  // Wait until the whole path answers (sidecar -> egress-1 -> ingress-2 -> egress-2 -> httpbin) through the
  // Dataplane's outbound port, then through the VIP web-1's builtin DNS gives httpbin.mesh (port 80: binding
  // it needs root or CAP_NET_BIND_SERVICE).
  await waitFor('the cross-zone call', async () => (await get('127.0.0.1', WEB.outbound, '/get', 'httpbin')) === 200, 90_000, 300);
  const resolver = new Resolver({ timeout: 1000, tries: 1 });
  // The builtin DNS listens on loopback (127.0.0.1), here on the port --dns-port gave it.
  resolver.setServers([`127.0.0.1:${WEB.dns}`]);
  const vip = await waitFor('httpbin.mesh in the sidecar DNS', async () => (await resolver.resolve4('httpbin.mesh'))[0]);
  const vipWorks = await waitFor('httpbin.mesh:80', async () => (await get(vip, 80, '/get', 'httpbin.mesh')) === 200, 10_000, 300).catch(() => false);

  const token = join(stateDir, 'global', 'admin-token');
  log(`
Causeway is running on loopback (state and logs: ${stateDir}).

  app(zone-1) -> sidecar web-1 -> ZoneEgress egress-1 -> ZoneIngress ingress-2 -> ZoneEgress egress-2 -> httpbin (${httpbinAddress})
                 mTLS, SNI "httpbin{mesh=default}" ..... passthrough by SNI ...... terminates mTLS, checks the permission, calls httpbin

Call the zone-2-only ExternalService from the zone-1 app through its sidecar (httpbin.mesh resolves to
${vip} with the sidecar's builtin DNS on ${WEB.address}:${WEB.dns}):

${
  vipWorks
    ? `  curl -s --resolve httpbin.mesh:80:${vip} http://httpbin.mesh/get`
    : `  (the sidecar cannot listen on ${vip}:80 here: binding port 80 needs root or CAP_NET_BIND_SERVICE,
   e.g. sudo setcap cap_net_bind_service=+ep "$(command -v node)"; see ${join(stateDir, 'web-1.log')})`
}

or through the Dataplane's outbound port (Kuma's "outbound" style):

  curl -s http://127.0.0.1:${WEB.outbound}/anything

${realHttpbin ? '' : `The stand-in answers only zone-2's egress: curl -s http://${httpbinAddress}/get gets a 403.\n`}
APIs (Kuma-compatible; global admin token: ${token}):
  global   http://127.0.0.1:${CP.global.api}   (docs: http://127.0.0.1:${CP.global.api}/docs)
  zone-1   http://127.0.0.1:${CP['zone-1'].api}   (xDS grpcs://127.0.0.1:${CP['zone-1'].xds})
  zone-2   http://127.0.0.1:${CP['zone-2'].api}   (xDS grpcs://127.0.0.1:${CP['zone-2'].xds})
GUI (read-only; sign in with the admin token, e.g. the global one in ${token}):
  global   http://127.0.0.1:${CP.global.api}/gui/
  zone-1   http://127.0.0.1:${CP['zone-1'].api}/gui/   (token: ${join(stateDir, 'zone-1', 'admin-token')})
Proxy admin (/metrics, /config_dump, /clusters):
${Object.entries(PROXIES)
  .map(([n, p]) => `  ${n.padEnd(9)} http://127.0.0.1:${p.admin}   (${p.zone}${p.port ? `, listens on 127.0.0.1:${p.port}` : `, app 127.0.0.1:${WEB.app}`})`)
  .join('\n')}
CLI:
  npx causeway config control-planes add --name demo --address http://127.0.0.1:${CP.global.api} --auth-token-file ${token} --overwrite
  npx causeway inspect zones
  npx causeway get external-services -o yaml

Ctrl-C stops everything.`);
}

main().catch((e) => {
  if (stopping) return;
  console.error(`demo failed: ${e.message}`);
  stop(1);
});
