import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '@causeway/store';
import { adsServiceDefinition, TYPE_URLS } from '@causeway/xds';
import * as grpc from '@grpc/grpc-js';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { configSchema } from './config.js';
import { type ControlPlane, startControlPlane } from './run.js';

const logger = pino({ level: 'silent' });
const Client = grpc.makeGenericClientConstructor(adsServiceDefinition, 'AggregatedDiscoveryService');

interface Response {
  version_info: string;
  type_url: string;
  nonce: string;
  resources?: ({ name?: string } & Record<string, unknown>)[];
}

/** The DNS VIPs (`address:port`) the listeners of a response listen on: their addresses and additional_addresses. */
function vipAddresses(r: Response): string[] {
  type Address = { socket_address?: { address?: string; port_value?: number } } | undefined;
  return (r.resources ?? [])
    .flatMap((l) => [l.address as Address, ...((l.additional_addresses as { address?: Address }[] | undefined) ?? []).map((a) => a.address)])
    .map((a) => `${a?.socket_address?.address}:${a?.socket_address?.port_value}`)
    .filter((a) => a.startsWith('127.241.'))
    .sort();
}

function zoneConfig(dataDir: string) {
  return configSchema.parse({ mode: 'zone', zone: 'zone-1', apiPort: 0, apiAddress: '127.0.0.1', dataDir, xdsPort: 0, xdsAddress: '127.0.0.1', logLevel: 'silent' });
}

/** Connects over TLS (trusting the zone's xDS CA), registers a dataplane and returns the first listener response. */
async function fetchListeners(cp: ControlPlane, token: string, caPem: string): Promise<Response> {
  const client = new Client(`localhost:${cp.xds?.port}`, grpc.credentials.createSsl(Buffer.from(caPem))) as unknown as {
    StreamAggregatedResources(md: grpc.Metadata): grpc.ClientDuplexStream<Record<string, unknown>, Response>;
    close(): void;
  };
  const md = new grpc.Metadata();
  md.set('authorization', `Bearer ${token}`);
  const stream = client.StreamAggregatedResources(md);
  try {
    return await new Promise<Response>((resolve, reject) => {
      stream.on('data', (r: Response) => resolve(r));
      stream.on('error', reject);
      const resource = JSON.stringify({ type: 'Dataplane', mesh: 'default', name: 'web-1', networking: { address: '127.0.0.10', inbound: [{ port: 8080, tags: { 'kuma.io/service': 'web' } }] } });
      stream.write({ node: { id: 'default.web-1', metadata: { 'dataplane.resource': resource } }, type_url: TYPE_URLS.Listener });
    });
  } finally {
    stream.on('error', () => undefined);
    stream.cancel();
    client.close();
  }
}

describe('zone mode xDS wiring', () => {
  const dir = mkdtempSync(join(tmpdir(), 'causeway-cp-xds-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('serves ADS over TLS with a zone CA written to the data dir, issues tokens, dumps config, and keeps VIPs across a restart', async () => {
    // Resources a zone gets from global (sync), written to the zone's store before it starts.
    const seed = await openStore({ dataDir: join(dir, 'db') });
    await seed.create({ type: 'Mesh', name: 'default', labels: {}, spec: {}, version: 0 });
    await seed.create({
      type: 'ExternalService',
      mesh: 'default',
      name: 'httpbin',
      labels: {},
      spec: { tags: { 'kuma.io/service': 'httpbin', 'kuma.io/protocol': 'http' }, networking: { address: 'httpbin.org:80' } },
      version: 0,
    });
    await seed.create({
      type: 'MeshTimeout',
      mesh: 'default',
      name: 'httpbin-3s',
      labels: {},
      spec: { targetRef: { kind: 'Mesh' }, to: [{ targetRef: { kind: 'MeshService', name: 'httpbin' }, default: { http: { requestTimeout: '3s' } } }] },
      version: 0,
    });
    await seed.close();

    let cp = await startControlPlane(zoneConfig(dir), logger);
    let vips: string[] = [];
    try {
      expect(cp.xds?.caFile).toBe(join(dir, 'xds-ca.pem'));
      expect(existsSync(join(dir, 'zone-signing-key.pem'))).toBe(true);
      const ca = readFileSync(cp.xds?.caFile ?? '', 'utf8');
      const admin = readFileSync(cp.adminTokenFile, 'utf8').trim();

      // Tokens: admin only, validated input.
      const denied = await fetch(`${cp.apiUrl}/tokens/dataplane`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ mesh: 'default', name: 'web-1' }) });
      expect(denied.status).toBe(401);
      // Authentication comes before the body is parsed: not-JSON without a token is a 401 too.
      const garbage = await fetch(`${cp.apiUrl}/tokens/zone`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"scope": [' });
      expect(garbage.status).toBe(401);
      const invalid = await fetch(`${cp.apiUrl}/tokens/dataplane`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}` },
        body: JSON.stringify({ mesh: 'default' }),
      });
      expect(invalid.status).toBe(400);
      expect(JSON.stringify(await invalid.json())).toContain('"field":"name"');
      const issue = (body: unknown) =>
        fetch(`${cp.apiUrl}/tokens/dataplane`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}` }, body: JSON.stringify(body) });
      // Bad tags: 400 naming the field.
      for (const [tags, field] of [
        [['web'], 'tags'],
        [{ 'kuma.io/service': 'web' }, 'tags["kuma.io/service"]'],
        [{ 'kuma.io/service': [] }, 'tags["kuma.io/service"]'],
        [{ 'kuma.io/service': ['web', ''] }, 'tags["kuma.io/service"][1]'],
        [{ 'kuma.io/service': ['we b'] }, 'tags["kuma.io/service"][0]'],
        [{ 'bad name': ['x'] }, 'tags["bad name"]'],
      ] as const) {
        const r = await issue({ mesh: 'default', name: 'web-1', tags });
        expect(r.status).toBe(400);
        const err = (await r.json()) as { invalid_parameters?: { field: string; reason: string }[] };
        expect(err.invalid_parameters?.map((p) => p.field)).toEqual([field]);
      }
      const unknown = await issue({ mesh: 'default', name: 'web-1', tag: { 'kuma.io/service': ['web'] } });
      expect(unknown.status).toBe(400);
      expect(JSON.stringify(await unknown.json())).toContain('"field":"tag"');
      const res = await issue({ mesh: 'default', name: 'web-1', tags: { 'kuma.io/service': ['web', 'web-admin'] }, validFor: '1h' });
      expect(res.status).toBe(200);
      const token = await res.text();
      expect(token.split('.')).toHaveLength(3);
      const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as Record<string, unknown>;
      expect(claims).toMatchObject({ kind: 'dataplane', mesh: 'default', name: 'web-1', tags: { 'kuma.io/service': ['web', 'web-admin'] } });

      // A token issued without tags, or for another service, is refused by the zone.
      const untagged = await (await issue({ mesh: 'default', name: 'web-1' })).text();
      await expect(fetchListeners(cp, untagged, ca)).rejects.toMatchObject({ code: grpc.status.PERMISSION_DENIED, details: expect.stringMatching(/no "kuma\.io\/service" tags/) });
      const other = await (await issue({ mesh: 'default', name: 'web-1', tags: { 'kuma.io/service': ['payments'] } })).text();
      await expect(fetchListeners(cp, other, ca)).rejects.toMatchObject({
        code: grpc.status.PERMISSION_DENIED,
        details: 'inbound[0].tags["kuma.io/service"]: "web" is not allowed by the token (issued for: payments)',
      });

      const lds = await fetchListeners(cp, token, ca);
      expect(lds.type_url).toBe(TYPE_URLS.Listener);
      const names = (lds.resources ?? []).map((r) => String(r.name));
      expect(names).toContain('inbound:127.0.0.10:8080');
      // One outbound listener per service (httpbin, web) on its VIPs: httpbin.mesh:80 and httpbin.org:80, web.mesh:80.
      expect(names.filter((n) => n.startsWith('outbound:127.241.'))).toHaveLength(2);
      vips = vipAddresses(lds);
      expect(vips).toHaveLength(3);

      // /metrics: the xDS server's counters and the event loop's delay.
      const metrics = await (await fetch(`${cp.apiUrl}/metrics`)).text();
      expect(metrics).toMatch(/^causeway_xds_responses_total [1-9]/m);
      expect(metrics).toMatch(/^causeway_xds_streams_ended_total\{reason="refused"\} \d+/m);
      expect(metrics).toMatch(/^causeway_xds_streams \d+/m);
      expect(metrics).toMatch(/^causeway_xds_send_window_bytes \d+/m);
      expect(metrics).toMatch(/^causeway_xds_streams_waiting_to_send 0$/m);
      expect(metrics).toMatch(/^causeway_nodejs_eventloop_lag_p99_seconds /m);

      const dump = await fetch(`${cp.apiUrl}/meshes/default/dataplanes/web-1/xds`);
      expect(dump.status).toBe(200);
      const body = (await dump.json()) as { proxy: unknown; configs: { '@type': string }[] };
      expect(body.proxy).toEqual({ type: 'Dataplane', mesh: 'default', name: 'web-1' });
      expect(body.configs.map((c) => c['@type'].split('.').pop())).toEqual([
        'ClustersConfigDump',
        'EndpointsConfigDump',
        'ListenersConfigDump',
        'RoutesConfigDump',
        'SecretsConfigDump',
      ]);
      // Kuma's _config: the same config, wrapped as {xds}; include=diff adds Kuma's (empty) diff; bad query values are 400s
      const config = await fetch(`${cp.apiUrl}/meshes/default/dataplanes/web-1/_config`);
      expect(config.status).toBe(200);
      const wrapped = (await config.json()) as { xds: typeof body; diff?: unknown };
      expect(Object.keys(wrapped)).toEqual(['xds']);
      expect(wrapped.xds.proxy).toEqual(body.proxy);
      expect(wrapped.xds.configs.map((c) => c['@type'])).toEqual(body.configs.map((c) => c['@type']));
      expect(((await (await fetch(`${cp.apiUrl}/meshes/default/dataplanes/web-1/_config?shadow=true&include=diff`)).json()) as { diff: unknown }).diff).toEqual([]);
      const badInclude = await fetch(`${cp.apiUrl}/meshes/default/dataplanes/web-1/_config?include=layout`);
      expect(badInclude.status).toBe(400);
      expect(((await badInclude.json()) as { invalid_parameters: { field: string }[] }).invalid_parameters[0]?.field).toBe('include');
      expect((await fetch(`${cp.apiUrl}/meshes/default/dataplanes/web-1/_config?shadow=maybe`)).status).toBe(400);
      expect((await fetch(`${cp.apiUrl}/meshes/default/dataplanes/nope/_config`)).status).toBe(404);
      expect((await fetch(`${cp.apiUrl}/meshes/default/dataplanes/web-1/_config?includeSecrets=true`)).status).toBe(401);
      const doc = (await (await fetch(`${cp.apiUrl}/openapi.json`)).json()) as { paths: Record<string, { get?: { summary?: string } }> };
      expect(doc.paths['/meshes/{mesh}/dataplanes/{name}/_config']?.get?.summary).toContain('DataplaneXDSConfig');
      // Which policies apply to the dataplane, and why.
      const pol = await fetch(`${cp.apiUrl}/meshes/default/dataplanes/web-1/policies`);
      expect(pol.status).toBe(200);
      const policies = (await pol.json()) as { policies: { type: string; policies: unknown[]; outbounds: { name: string; rules: unknown[]; result: unknown }[] }[] };
      const timeout = policies.policies.find((p) => p.type === 'MeshTimeout');
      expect(timeout?.policies).toEqual([{ name: 'httpbin-3s', targetRef: { kind: 'Mesh' } }]);
      expect(timeout?.outbounds).toEqual([
        {
          name: 'httpbin',
          service: 'httpbin',
          rules: [{ policy: 'httpbin-3s', targetRef: { kind: 'Mesh' }, entryTargetRef: { kind: 'MeshService', name: 'httpbin' }, section: 'to', index: 0, precedence: 1 }],
          result: { http: { requestTimeout: '3s' } },
        },
      ]);
      expect((await fetch(`${cp.apiUrl}/meshes/default/dataplanes/nope/policies`)).status).toBe(404);
      expect((await fetch(`${cp.apiUrl}/meshes/default/dataplanes/nope/xds`)).status).toBe(404);
      expect((await fetch(`${cp.apiUrl}/zoneegresses/nope/xds`)).status).toBe(404);
      expect((await fetch(`${cp.apiUrl}/meshes/default/dataplanes/web-1/xds?includeSecrets=true`)).status).toBe(401);
    } finally {
      await cp.close();
    }

    // Restart: same CA file, same signing key (old tokens still work), same VIPs. This time with
    // --allow-untagged-dataplane-tokens: a token issued by mesh and name only is accepted.
    cp = await startControlPlane({ ...zoneConfig(dir), allowUntaggedDataplaneTokens: true }, logger);
    try {
      const ca = readFileSync(cp.xds?.caFile ?? '', 'utf8');
      const admin = readFileSync(cp.adminTokenFile, 'utf8').trim();
      const token = await (
        await fetch(`${cp.apiUrl}/tokens/dataplane`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}` },
          body: JSON.stringify({ mesh: 'default', name: 'web-1' }),
        })
      ).text();
      expect(JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()).tags).toBeUndefined();
      const lds = await fetchListeners(cp, token, ca);
      expect(vipAddresses(lds)).toEqual(vips);
    } finally {
      await cp.close();
    }
  }, 60_000);

  it('puts --xds-server-names into the ADS server certificate, next to loopback and the host name', async () => {
    const own = mkdtempSync(join(tmpdir(), 'causeway-cp-names-'));
    const cp = await startControlPlane(configSchema.parse({ ...zoneConfig(own), xdsServerNames: 'cp.zone-1.example,10.9.8.7' }), logger);
    try {
      const { connect } = await import('node:tls');
      const san = await new Promise<string>((resolve, reject) => {
        const s = connect({ host: '127.0.0.1', port: cp.xds?.port ?? 0, servername: 'cp.zone-1.example', ca: readFileSync(cp.xds?.caFile ?? '', 'utf8'), ALPNProtocols: ['h2'] }, () => {
          resolve(s.getPeerCertificate().subjectaltname ?? '');
          s.end();
        });
        s.on('error', reject);
      });
      expect(san).toContain('DNS:cp.zone-1.example');
      expect(san).toContain('IP Address:10.9.8.7');
      expect(san).toContain('IP Address:127.0.0.1');
    } finally {
      await cp.close();
      rmSync(own, { recursive: true, force: true });
    }
  });

  it('global creates the builtin CA of a mesh that enables mTLS, as Secrets zones receive', async () => {
    const cp = await startControlPlane(configSchema.parse({ mode: 'global', apiPort: 0, apiAddress: '127.0.0.1', dataDir: join(dir, 'global'), xdsPort: 0, xdsAddress: '127.0.0.1', logLevel: 'silent' }), logger);
    try {
      const admin = readFileSync(cp.adminTokenFile, 'utf8').trim();
      const put = await fetch(`${cp.apiUrl}/meshes/default`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}` },
        body: JSON.stringify({ type: 'Mesh', name: 'default', mtls: { enabledBackend: 'ca-1', backends: [{ name: 'ca-1', type: 'builtin' }] } }),
      });
      expect(put.status).toBeLessThan(300);
      let secret: { data?: string } | undefined;
      for (let i = 0; i < 100 && !secret?.data; i++) {
        const r = await fetch(`${cp.apiUrl}/meshes/default/secrets/default.ca-builtin-cert-ca-1`, { headers: { authorization: `Bearer ${admin}` } });
        if (r.ok) secret = (await r.json()) as { data?: string };
        else await new Promise((res) => setTimeout(res, 100));
      }
      expect(Buffer.from(secret?.data ?? '', 'base64').toString()).toContain('BEGIN CERTIFICATE');
      const key = await fetch(`${cp.apiUrl}/meshes/default/secrets/default.ca-builtin-key-ca-1`, { headers: { authorization: `Bearer ${admin}` } });
      expect(key.status).toBe(200);
    } finally {
      await cp.close();
    }
  }, 60_000);
});
