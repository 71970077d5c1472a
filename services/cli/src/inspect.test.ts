/**
 * `causeway inspect dataplane NAME --type ...`, `inspect services`, `inspect <policy-type> NAME` against a
 * small HTTP server answering Kuma's paths with Kuma's shapes (and the API's "no route" 404 for the rest).
 */
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from './cli.js';
import { renderDataplanePolicies, resultText, targetRefText } from './policies-text.js';
import { type RecordingIo, recordingIo } from './testing/recording-io.js';

const fakeIo = (): RecordingIo => recordingIo();

const POLICIES = {
  dataplane: { mesh: 'default', name: 'web-1.zone-1' },
  mtls: true,
  zoneEgress: false,
  precedence: 'ascending: top-level targetRef kind ...',
  policies: [
    {
      type: 'MeshTimeout',
      policies: [{ name: 'httpbin-3s', targetRef: { kind: 'Mesh' } }],
      outbounds: [
        {
          name: 'httpbin',
          service: 'httpbin',
          rules: [{ policy: 'httpbin-3s', targetRef: { kind: 'Mesh' }, entryTargetRef: { kind: 'MeshService', name: 'httpbin' }, section: 'to', index: 0, precedence: 1 }],
          result: { http: { requestTimeout: '3s' }, connectionTimeout: '5s' },
        },
        { name: 'other', service: 'other', rules: [], result: { connectionTimeout: '5s' } },
      ],
      inbounds: [],
    },
    {
      type: 'MeshTrafficPermission',
      policies: [{ name: 'allow-web', targetRef: { kind: 'MeshService', name: 'web' } }],
      outbounds: [],
      inbounds: [
        {
          name: '10.0.0.1:8080',
          service: 'web',
          rules: [{ policy: 'allow-web', targetRef: { kind: 'MeshService', name: 'web' }, entryTargetRef: { kind: 'MeshSubset', tags: { 'kuma.io/zone': 'zone-1' } }, section: 'from', index: 0, precedence: 1 }],
          result: 'Allow',
        },
      ],
      notes: ['MeshTrafficPermission is enforced on inbounds only'],
    },
    { type: 'MeshRetry', policies: [], outbounds: [], inbounds: [] },
  ],
};

const CONFIG_DUMP = { proxy: { type: 'Dataplane', mesh: 'default', name: 'web-1.zone-1' }, connected: true, versions: {}, configs: [{ '@type': 'type.googleapis.com/envoy.admin.v3.ClustersConfigDump' }] };
const STATS = 'cluster.httpbin.upstream_rq_total: 20\ncluster.httpbin.upstream_rq_2xx: 19\n';
const CLUSTERS = 'httpbin::127.0.0.1:9000::cx_active::1';

const SERVICES = {
  total: 2,
  items: [
    { type: 'ServiceInsight', name: 'web', mesh: 'default', status: 'online', dataplanes: { online: 2, offline: 0, total: 2 }, serviceType: 'internal', addressPort: 'web.mesh:80' },
    { type: 'ServiceInsight', name: 'httpbin', mesh: 'default', status: 'not_available', dataplanes: { online: 0, offline: 0, total: 0 }, serviceType: 'external' },
  ],
  next: null,
};

let server: Server;
let address: string;
let requests: { url: string; accept: string }[] = [];
/** When set, the routes of these suffixes answer the API's "no route" 404 (an older control plane). */
let missing: string[] = [];

const json = (res: import('node:http').ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    requests.push({ url: req.url ?? '', accept: String(req.headers.accept) });
    const p = url.pathname;
    if (missing.some((m) => p.endsWith(m))) return json(res, 404, { title: 'Not Found', details: `no route GET ${p}` });
    const dp = /^\/meshes\/default\/dataplanes\/web-1\.zone-1\/(policies|xds|_config|stats|clusters)$/.exec(p);
    if (dp) {
      const what = dp[1];
      if (what === 'policies') return json(res, 200, POLICIES);
      if (what === 'xds') return json(res, 200, CONFIG_DUMP);
      if (what === '_config') return json(res, 200, { xds: { listeners: [] } });
      res.writeHead(200, { 'content-type': 'text/plain' });
      return res.end(what === 'stats' ? STATS : CLUSTERS);
    }
    if (/^\/meshes\/default\/dataplanes\/[^/]+\//.test(p)) return json(res, 404, { title: 'Not Found', details: 'Dataplane "nope" in mesh "default" not found' });
    if (p === '/meshes/default/service-insights') return json(res, 200, SERVICES);
    if (p === '/zoneegresses/ze-1/xds') return json(res, 200, { ...CONFIG_DUMP, proxy: { type: 'ZoneEgress', name: 'ze-1' } });
    if (p === '/zoneegresses/ze-1/stats' || p === '/zoneingresses/zi-1/clusters') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      return res.end(p.endsWith('stats') ? STATS : CLUSTERS);
    }
    if (p === '/meshes/default/meshtimeouts/nope/_resources/dataplanes') return json(res, 404, { title: 'Not Found', details: 'MeshTimeout "nope" in mesh "default" not found' });
    if (p === '/meshes/default/meshtrafficpermissions/allow-all/_resources/dataplanes') {
      const first = url.searchParams.get('offset') === null;
      return json(res, 200, {
        total: 3,
        items: first
          ? [
              { type: 'Dataplane', mesh: 'default', name: 'web-1.zone-1', labels: { 'kuma.io/zone': 'zone-1' } },
              { type: 'Dataplane', mesh: 'default', name: 'web-2.zone-2', labels: { 'kuma.io/zone': 'zone-2' } },
            ]
          : [{ type: 'Dataplane', mesh: 'default', name: 'web-3', labels: {} }],
        next: first && url.searchParams.get('size') === '2' ? `http://x${p}?size=2&offset=2` : null,
      });
    }
    return json(res, 404, { title: 'Not Found', details: `no route GET ${p}` });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  address = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));
beforeEach(() => {
  requests = [];
  missing = [];
});

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = fakeIo();
  const code = await runCli(['--address', address, ...args], io);
  return { code, out: io.out, err: io.err };
}

describe('inspect dataplane NAME --type policies (the default)', () => {
  it('prints the policies as text like kumactl: the dataplane, then each outbound / inbound and their policy types', async () => {
    const r = await run(['inspect', 'dataplane', 'web-1.zone-1']);
    expect(r.code).toBe(0);
    expect(requests.map((q) => q.url)).toEqual(['/meshes/default/dataplanes/web-1.zone-1/policies']);
    expect(r.out).toBe(
      [
        'DATAPLANE web-1.zone-1 (mesh default, mTLS on, zone egress off):',
        '  MeshTimeout',
        '    httpbin-3s (targetRef Mesh)',
        '  MeshTrafficPermission',
        '    allow-web (targetRef MeshService web)',
        '',
        'OUTBOUND httpbin:',
        '  MeshTimeout',
        '    httpbin-3s (to[0] MeshService httpbin, precedence 1)',
        '    = http.requestTimeout: 3s, connectionTimeout: 5s',
        '',
        'INBOUND 10.0.0.1:8080 (service web):',
        '  MeshTrafficPermission',
        '    allow-web (from[0] MeshSubset {kuma.io/zone=zone-1}, precedence 1)',
        '    = Allow',
        '',
        'NOTES:',
        '  MeshTrafficPermission: MeshTrafficPermission is enforced on inbounds only',
        '',
        'Precedence: ascending: top-level targetRef kind ...',
        '',
      ].join('\n'),
    );
    // -o table is the same text; --type policies and -m default are the defaults.
    const table = await run(['inspect', 'dataplane', 'web-1.zone-1', '--type', 'policies', '-m', 'default', '-o', 'table']);
    expect(table.out).toBe(r.out);
  });

  it('prints the API body with -o json and -o yaml', async () => {
    const j = await run(['inspect', 'dp', 'web-1.zone-1', '-o', 'json']);
    expect(j.code).toBe(0);
    expect(JSON.parse(j.out)).toEqual(POLICIES);
    const y = await run(['inspect', 'dataplane', 'web-1.zone-1', '-o', 'yaml']);
    expect(y.out).toMatch(/^dataplane:\n {2}mesh: default\n {2}name: web-1.zone-1\nmtls: true\n/);
  });

  it('says when no policy selects the dataplane', () => {
    expect(renderDataplanePolicies({ dataplane: { mesh: 'm', name: 'd' }, policies: [] })).toBe('DATAPLANE d (mesh m):\n  no policy selects this dataplane\n');
    expect(targetRefText({ kind: 'MeshServiceSubset', name: 'web', tags: { version: 'v1', a: 'b' } })).toBe('MeshServiceSubset web {a=b,version=v1}');
    expect(resultText({ a: { b: [1, 2] }, c: {} })).toBe('a.b: [1,2], c: {}');
  });
});

describe('inspect dataplane NAME --type config-dump|config|stats|clusters', () => {
  it('config-dump is JSON (default and -o json) or YAML; -o table is refused naming -o', async () => {
    const d = await run(['inspect', 'dataplane', 'web-1.zone-1', '--type', 'config-dump']);
    expect(d.code).toBe(0);
    expect(JSON.parse(d.out)).toEqual(CONFIG_DUMP);
    expect(requests.at(-1)?.url).toBe('/meshes/default/dataplanes/web-1.zone-1/xds');
    expect(JSON.parse((await run(['inspect', 'dataplane', 'web-1.zone-1', '--type', 'config-dump', '-o', 'json'])).out)).toEqual(CONFIG_DUMP);
    expect((await run(['inspect', 'dataplane', 'web-1.zone-1', '--type', 'config-dump', '-o', 'yaml'])).out).toMatch(/^proxy:\n {2}type: Dataplane\n/);
    requests = [];
    const table = await run(['inspect', 'dataplane', 'web-1.zone-1', '--type', 'config-dump', '-o', 'table']);
    expect(table.code).toBe(2);
    expect(table.err).toBe('Error: -o table does not apply to --type config-dump\n  -o, --output: --type config-dump can be printed with -o json or -o yaml\n');
    expect(requests).toEqual([]);
  });

  it("config asks Kuma's _config route and prints its JSON (or YAML); a control plane without it is a readable 404, with no other route tried", async () => {
    const r = await run(['inspect', 'dataplane', 'web-1.zone-1', '--type', 'config']);
    expect(r).toEqual({ code: 0, out: expect.any(String), err: '' });
    expect(requests.at(-1)?.url).toBe('/meshes/default/dataplanes/web-1.zone-1/_config');
    expect(JSON.parse(r.out)).toEqual({ xds: { listeners: [] } });
    expect((await run(['inspect', 'dataplane', 'web-1.zone-1', '--type', 'config', '-o', 'yaml'])).out).toBe('xds:\n  listeners: []\n');
    missing = ['/_config'];
    requests = [];
    const old = await run(['inspect', 'dataplane', 'web-1.zone-1', '--type', 'config']);
    expect(old.code).toBe(1);
    expect(requests.map((q) => q.url)).toEqual(['/meshes/default/dataplanes/web-1.zone-1/_config']);
    expect(old.err).toContain('does not serve GET /meshes/default/dataplanes/web-1.zone-1/_config (--type config)');
  });

  it('stats and clusters print the text as it comes, and refuse any -o naming it', async () => {
    const stats = await run(['inspect', 'dataplane', 'web-1.zone-1', '--type', 'stats']);
    expect(stats).toEqual({ code: 0, out: STATS, err: '' });
    expect(requests.at(-1)?.accept).toContain('text/plain');
    const clusters = await run(['inspect', 'dataplane', 'web-1.zone-1', '--type', 'clusters']);
    expect(clusters).toEqual({ code: 0, out: `${CLUSTERS}\n`, err: '' });
    // zone proxies too: their admin endpoint's text, through /zoneegresses and /zoneingresses
    expect(await run(['inspect', 'zone-egress', 'ze-1', '--type', 'stats'])).toEqual({ code: 0, out: STATS, err: '' });
    expect(requests.at(-1)?.url).toBe('/zoneegresses/ze-1/stats');
    expect(await run(['inspect', 'zone-ingress', 'zi-1', '--type', 'clusters'])).toEqual({ code: 0, out: `${CLUSTERS}\n`, err: '' });
    for (const o of ['json', 'yaml', 'table']) {
      const bad = await run(['inspect', 'dataplane', 'web-1.zone-1', '--type', 'stats', '-o', o]);
      expect(bad.code).toBe(2);
      expect(bad.err).toContain(`-o ${o} does not apply to --type stats`);
      expect(bad.err).toContain('-o, --output: --type stats is printed as it comes (text): leave out -o');
    }
  });

  it('an unknown dataplane is the server\'s 404; a route the control plane lacks is said plainly', async () => {
    const nope = await run(['inspect', 'dataplane', 'nope', '--type', 'stats']);
    expect(nope.code).toBe(1);
    expect(nope.err).toContain('Dataplane "nope" in mesh "default" not found (HTTP 404)');
    missing = ['/stats'];
    const old = await run(['inspect', 'dataplane', 'web-1.zone-1', '--type', 'stats']);
    expect(old.code).toBe(1);
    expect(old.err).toContain('does not serve GET /meshes/default/dataplanes/web-1.zone-1/stats (--type stats)');
  });

  it('flags that do not fit are usage errors naming the flag, before anything is sent', async () => {
    const cases: [string[], string][] = [
      [['inspect', 'zone-ingress', 'zi-1', '--type', 'policies'], '--type: zone-ingresses support'],
      [['inspect', 'zone-egress', 'ze-1', '-m', 'default'], '--mesh: leave it out'],
      [['inspect', 'dataplane', 'web-1', '--size', '5'], '--size: applies to lists only'],
      [['inspect', 'dataplanes', '--type', 'stats'], '--type: applies to one dataplane'],
      [['inspect', 'services', '--type', 'config-dump'], '--type: applies to one dataplane'],
      [['inspect', 'meshtrafficpermission'], 'NAME: is required'],
      [['inspect', 'meshtrafficpermission', 'allow-all', '--type', 'stats'], '--type: applies to one dataplane'],
    ];
    for (const [args, error] of cases) {
      const r = await run(args);
      expect({ args, code: r.code }).toEqual({ args, code: 2 });
      expect(r.err).toContain(error);
    }
    const badType = await run(['inspect', 'dataplane', 'web-1', '--type', 'listeners']);
    expect(badType.code).toBe(2);
    expect(badType.err).toContain("option '--type <type>' argument 'listeners' is invalid. Allowed choices are policies, config-dump, stats, clusters, config.");
    expect(requests).toEqual([]);
  });

  it('a zone proxy shows its config dump by default', async () => {
    const r = await run(['inspect', 'zone-egress', 'ze-1']);
    expect(r.code).toBe(0);
    expect(requests.map((q) => q.url)).toEqual(['/zoneegresses/ze-1/xds']);
    expect(JSON.parse(r.out).proxy).toEqual({ type: 'ZoneEgress', name: 'ze-1' });
  });
});

describe('inspect services', () => {
  it("lists Kuma's service insights of mesh default: SERVICE, TYPE, STATUS, DATAPLANES (online/total)", async () => {
    const r = await run(['inspect', 'services']);
    expect(r.code).toBe(0);
    expect(requests.map((q) => q.url)).toEqual(['/meshes/default/service-insights']);
    expect(r.out.trimEnd().split('\n').map((l) => l.split(/\s{3,}/))).toEqual([
      ['SERVICE', 'TYPE', 'STATUS', 'DATAPLANES'],
      ['web', 'internal', 'online', '2/2'],
      ['httpbin', 'external', 'not_available', '0/0'],
    ]);
    expect(JSON.parse((await run(['inspect', 'services', '-m', 'default', '-o', 'json'])).out)).toEqual(SERVICES);
    expect((await run(['inspect', 'svc', '-o', 'yaml'])).out).toMatch(/^total: 2\nitems:\n {2}- type: ServiceInsight\n/);
    await run(['inspect', 'services', '-m', 'other', '--size', '10']);
    expect(requests.at(-1)?.url).toBe('/meshes/other/service-insights?size=10');
  });
});

describe('inspect <policy-type> NAME', () => {
  it('lists the dataplanes the policy selects, with a Total like kumactl and the next page hint', async () => {
    const r = await run(['inspect', 'meshtrafficpermission', 'allow-all', '--size', '2']);
    expect(r.code).toBe(0);
    expect(requests.map((q) => q.url)).toEqual(['/meshes/default/meshtrafficpermissions/allow-all/_resources/dataplanes?size=2']);
    expect(r.out.split('\n').map((l) => l.split(/\s{3,}/))).toEqual([
      ['MeshTrafficPermission "allow-all" (mesh default) selects:'],
      ['TYPE', 'MESH', 'NAME', 'ZONE'],
      ['Dataplane', 'default', 'web-1.zone-1', 'zone-1'],
      ['Dataplane', 'default', 'web-2.zone-2', 'zone-2'],
      ['Total: 3'],
      [''],
      ['Rest of the list: causeway inspect meshtrafficpermission allow-all --mesh default --size 2 --offset 2'],
      [''],
    ]);
    // aliases and plurals of the policy type; -o json is the API's list as is
    const j = await run(['inspect', 'mtp', 'allow-all', '-o', 'json', '--offset', '2']);
    expect(JSON.parse(j.out)).toEqual({ total: 3, items: [{ type: 'Dataplane', mesh: 'default', name: 'web-3', labels: {} }], next: null });
    expect((await run(['inspect', 'meshtrafficpermissions', 'allow-all', '-o', 'yaml'])).out).toMatch(/^total: 3\nitems:\n/);
  });

  it('an unknown policy is the server\'s answer; an unknown kind names what inspect takes', async () => {
    const r = await run(['inspect', 'meshtimeout', 'nope', '-m', 'default']);
    expect(r.code).toBe(1);
    expect(requests.at(-1)?.url).toBe('/meshes/default/meshtimeouts/nope/_resources/dataplanes');
    expect(r.err).toBe('Error: MeshTimeout "nope" in mesh "default" not found (HTTP 404)\n');
    const bad = await run(['inspect', 'widgets']);
    expect(bad.code).toBe(1);
    expect(bad.err).toContain('cannot inspect "widgets"');
    expect(bad.err).toContain('a policy type with a NAME');
  });
});
