/**
 * Issue 14's regression suite against real control plane processes (global and one zone on NATS with the
 * generated authorization): hostile input without a token must neither crash nor freeze a control plane
 * (`/ready` answers within 1 s throughout), bad input gets a 4xx naming the field, names of 253
 * characters work end to end, and a resource the API accepts always reaches the zone.
 */
import { readFileSync } from 'node:fs';
import { INPUT_LIMITS, PROXY_METADATA_LIMITS } from '@causeway/core';
import { generateNatsConfig } from '@causeway/sync';
import { type NatsServer, startNatsServer } from '@causeway/sync/testing';
import { adsServiceDefinition } from '@causeway/xds';
import * as grpc from '@grpc/grpc-js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type ControlPlaneProcess, eventually, TestEnv } from './harness.js';

/** Polls `/ready` of each control plane every 100 ms and records the slowest answer and any failure. */
class ReadyWatch {
  readonly slowest = new Map<string, number>();
  readonly failures: string[] = [];
  private running = true;
  private readonly loops: Promise<void>[];

  constructor(cps: ControlPlaneProcess[]) {
    this.loops = cps.map((cp) => this.loop(cp));
  }

  private async loop(cp: ControlPlaneProcess): Promise<void> {
    while (this.running) {
      const t0 = performance.now();
      try {
        const res = await fetch(`${cp.url}/ready`, { signal: AbortSignal.timeout(1500) });
        if (!res.ok) this.failures.push(`${cp.name}: /ready answered ${res.status}`);
      } catch (e) {
        this.failures.push(`${cp.name}: /ready failed: ${(e as Error).message}`);
      }
      const ms = performance.now() - t0;
      this.slowest.set(cp.name, Math.max(this.slowest.get(cp.name) ?? 0, ms));
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }
}

const esYaml = (name: string, body = '') => `type: ExternalService
mesh: default
name: ${name}
tags:
  kuma.io/service: ${name.slice(0, 60)}
${body}networking:
  address: ${name.slice(0, 60)}.example.com:443
`;
const deepFlow = (levels: number) => esYaml('deep', `  x: ${'['.repeat(levels)}${']'.repeat(levels)}\n`);
const manyKeys = (n: number) => esYaml('many', `${Array.from({ length: n }, (_, i) => `  k${i}: v`).join('\n')}\n`);
const aliasBomb = () => `${esYaml('bomb')}a: &a [${Array.from({ length: 2000 }, () => '"xxxxxxxxxx"').join(',')}]\nb: [${Array(90).fill('*a').join(',')}]\n`;

const Client = grpc.makeGenericClientConstructor(adsServiceDefinition, 'AggregatedDiscoveryService');

/** Opens an ADS stream with the given node and token and returns the status the zone ends it with. */
async function adsStatus(address: string, caPem: string, token: string | undefined, node: Record<string, unknown>, timeoutMs = 10_000): Promise<grpc.StatusObject> {
  const c = new Client(address, grpc.credentials.createSsl(Buffer.from(caPem))) as unknown as {
    StreamAggregatedResources(md: grpc.Metadata): grpc.ClientDuplexStream<Record<string, unknown>, unknown>;
    close(): void;
  };
  const md = new grpc.Metadata();
  if (token) md.set('authorization', `Bearer ${token}`);
  const stream = c.StreamAggregatedResources(md);
  try {
    return await new Promise<grpc.StatusObject>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('the zone did not end the stream')), timeoutMs);
      stream.on('status', (s: grpc.StatusObject) => {
        clearTimeout(t);
        resolve(s);
      });
      stream.on('error', () => undefined);
      stream.on('data', () => undefined);
      stream.write({ node, type_url: 'type.googleapis.com/envoy.config.cluster.v3.Cluster' });
    });
  } finally {
    stream.cancel();
    c.close();
  }
}

describe('hardening: hostile input against real control planes', () => {
  const env = new TestEnv();
  let nats: NatsServer;
  let global: ControlPlaneProcess;
  let zone: ControlPlaneProcess;
  let zoneCa: string;
  let globalToken: string;
  let watch: ReadyWatch;

  beforeAll(async () => {
    const gen = generateNatsConfig({ zones: ['zone-1'] });
    nats = await startNatsServer({ config: gen.config });
    env.onTeardown(() => nats.dispose());
    global = env.controlPlane('hard-global', ['--mode', 'global', '--data-dir', env.tempDir('causeway-it-hard-global-')], { nats: { url: nats.url, ...gen.global } });
    const zoneDir = env.tempDir('causeway-it-hard-zone-');
    zone = env.controlPlane('hard-zone-1', ['--mode', 'zone', '--zone', 'zone-1', '--data-dir', zoneDir], { nats: { url: nats.url, ...(gen.zones['zone-1'] as { user: string; password: string }) } });
    await Promise.all([global.start(), zone.start()]);
    zoneCa = readFileSync(zone.xdsCaFile, 'utf8');
    globalToken = readFileSync(global.tokenFile, 'utf8').trim();
    const mesh = await fetch(`${global.url}/meshes/default`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${globalToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'Mesh', name: 'default' }),
    });
    expect(mesh.status).toBe(201);
    // eventually() retries while its function throws: the client's get throws until the mesh is there.
    await eventually(() => zone.client().get('Mesh', undefined, 'default'), 'the mesh in zone-1', 30_000);
    watch = new ReadyWatch([global, zone]);
  });

  afterEach((ctx) => {
    if (ctx.task.result?.state === 'fail') console.error(`${ctx.task.name} failed; process logs:\n${env.dumpLogs()}`);
  });

  afterAll(async () => {
    await watch?.stop();
    await env.teardown();
  });

  const put = (cp: ControlPlaneProcess, path: string, body: string, headers: Record<string, string>) =>
    fetch(`${cp.url}${path}`, { method: 'PUT', headers, body, signal: AbortSignal.timeout(20_000) });
  const yaml = { 'content-type': 'application/yaml' };
  const admin = () => ({ authorization: `Bearer ${globalToken}` });

  it('REST: deeply nested and huge YAML bodies without a token get 401 at once, 20 times over, on global and the zone', async () => {
    for (const cp of [global, zone]) {
      const bodies = [...Array.from({ length: 20 }, (_, i) => deepFlow(20_000 + i * 5_000)), manyKeys(32_000), manyKeys(32_000), aliasBomb()];
      const answers = await Promise.all(bodies.map((b) => put(cp, '/meshes/default/external-services/x', b, yaml)));
      expect(answers.map((r) => r.status)).toEqual(bodies.map(() => 401));
    }
    expect(global.running && zone.running).toBe(true);
  });

  it('REST: the same bodies with the admin token are refused with the limit named, and nothing is stored', async () => {
    const deep = await put(global, '/meshes/default/external-services/deep', deepFlow(120_000), { ...yaml, ...admin() });
    expect(deep.status).toBe(400);
    expect(JSON.stringify(await deep.json())).toContain(`limit of ${INPUT_LIMITS.maxDepth} levels`);
    const many = await put(global, '/meshes/default/external-services/many', manyKeys(32_000), { ...yaml, ...admin() });
    expect(many.status).toBe(413);
    expect(JSON.stringify(await many.json())).toContain(`limit of ${INPUT_LIMITS.maxNodes} values`);
    const bomb = await put(global, '/meshes/default/external-services/bomb', aliasBomb(), { ...yaml, ...admin() });
    expect(bomb.status).toBe(413);
    for (const name of ['deep', 'many', 'bomb']) expect((await fetch(`${global.url}/meshes/default/external-services/${name}`)).status).toBe(404);
  });

  it('REST: wrong JSON types are a 400 naming the field, never a 500', async () => {
    const cases: [string, unknown][] = [
      ['networking.tls.caCert.inline', { caCert: { inline: 5 } }],
      ['networking.tls.clientCert.inline', { clientCert: { inline: 7 }, clientKey: { inline: 'eA==' } }],
      ['networking.tls.clientKey.inlineString', { clientCert: { inlineString: 'x' }, clientKey: { inlineString: null } }],
    ];
    for (const [field, tls] of cases) {
      const body = { type: 'ExternalService', mesh: 'default', name: 'typed', tags: { 'kuma.io/service': 'typed' }, networking: { address: 'typed.example.com:443', tls: { enabled: true, ...(tls as object) } } };
      const r = await put(global, '/meshes/default/external-services/typed', JSON.stringify(body), { 'content-type': 'application/json', ...admin() });
      expect(r.status, field).toBe(400);
      const err = (await r.json()) as { invalid_parameters: { field: string }[] };
      expect(err.invalid_parameters.map((p) => p.field)).toContain(field);
    }
    const mtp = { type: 'MeshTrafficPermission', mesh: 'default', name: 'null-tags', spec: { targetRef: { kind: 'MeshService', tags: null }, from: [] } };
    const r = await put(global, '/meshes/default/meshtrafficpermissions/null-tags', JSON.stringify(mtp), { 'content-type': 'application/json', ...admin() });
    expect(r.status).toBe(400);
  });

  it('names: a 253-character ExternalService reaches the zone; 254 characters is a 400 naming name', async () => {
    const long = `a${'b'.repeat(251)}c`;
    const created = await put(global, `/meshes/default/external-services/${long}`, esYaml(long), { ...yaml, ...admin() });
    expect(created.status).toBe(201);
    await eventually(() => zone.client().get('ExternalService', 'default', long), 'the long name in zone-1', 30_000);
    const refused = await put(global, `/meshes/default/external-services/${long}d`, esYaml(`${long}d`), { ...yaml, ...admin() });
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { invalid_parameters: { field: string }[] }).invalid_parameters.map((p) => p.field)).toContain('name');
  });

  it('payload: a resource just under the size limit reaches the zone; one over it is refused naming the limit', async () => {
    const data = (kib: number) => Buffer.alloc(kib * 1024 * 0.74, 'z').toString('base64'); // base64 grows by 4/3
    const ok = await put(global, '/meshes/default/secrets/big-ok', JSON.stringify({ type: 'Secret', mesh: 'default', name: 'big-ok', data: data(240) }), {
      'content-type': 'application/json',
      ...admin(),
    });
    expect(ok.status).toBe(201);
    const zoneApi = zone.client();
    await eventually(() => zoneApi.get('Secret', 'default', 'big-ok'), 'the 240 KiB Secret in zone-1', 30_000);
    const tooBig = await put(global, '/meshes/default/secrets/big-no', JSON.stringify({ type: 'Secret', mesh: 'default', name: 'big-no', data: data(400) }), {
      'content-type': 'application/json',
      ...admin(),
    });
    expect(tooBig.status).toBe(400);
    expect(JSON.stringify(await tooBig.json())).toContain('limit is 256 KiB');
  });

  it('ADS: hostile node metadata without a valid token is UNAUTHENTICATED; with a token it is INVALID_ARGUMENT naming the limit', async () => {
    const metadata = (text: string) => ({ id: 'default.dp-1', metadata: { 'dataplane.resource': text } });
    const dp = (extra: string) => `type: Dataplane\nmesh: default\nname: dp-1\nnetworking:\n  address: 127.0.0.1\n${extra}  inbound:\n  - port: 8080\n    tags:\n      kuma.io/service: web\n`;
    const deep = dp(`  x: ${'['.repeat(50_000)}${']'.repeat(50_000)}\n`); // 100 KB: under the text limit
    const many = dp(`${Array.from({ length: 32_000 }, (_, i) => `  k${i}: v`).join('\n')}\n`);
    for (const text of [deep, many]) {
      expect((await adsStatus(zone.xdsAddress, zoneCa, undefined, metadata(text))).code).toBe(grpc.status.UNAUTHENTICATED);
      expect((await adsStatus(zone.xdsAddress, zoneCa, 'not.a.token', metadata(text))).code).toBe(grpc.status.UNAUTHENTICATED);
    }
    const token = await zone.dataplaneToken('default', 'dp-1', { 'kuma.io/service': ['web'] });
    const deepStatus = await adsStatus(zone.xdsAddress, zoneCa, token, metadata(deep));
    expect(deepStatus.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(deepStatus.details).toContain(`limit of ${INPUT_LIMITS.maxDepth} levels`);
    const manyStatus = await adsStatus(zone.xdsAddress, zoneCa, token, metadata(many));
    expect(manyStatus.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(manyStatus.details).toContain(`the limit is ${PROXY_METADATA_LIMITS.maxTextBytes / 1024} KiB`);
    const fewerKeys = dp(`${Array.from({ length: 6_000 }, (_, i) => `  k${i}: v`).join('\n')}\n`);
    const valuesStatus = await adsStatus(zone.xdsAddress, zoneCa, token, metadata(fewerKeys));
    expect(valuesStatus.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(valuesStatus.details).toContain(`limit of ${PROXY_METADATA_LIMITS.maxNodes} values`);
    // The same as a protobuf Struct nested far deeper than the limit.
    let nested: unknown = 'x';
    for (let i = 0; i < 2_000; i++) nested = [nested];
    const structStatus = await adsStatus(zone.xdsAddress, zoneCa, token, { id: 'default.dp-1', metadata: { 'dataplane.resource': { type: 'Dataplane', mesh: 'default', name: 'dp-1', x: nested } } });
    expect([grpc.status.INVALID_ARGUMENT, grpc.status.INTERNAL]).toContain(structStatus.code);
    // A token for web cannot claim another service.
    const claim = await adsStatus(zone.xdsAddress, zoneCa, token, { id: 'default.dp-1', metadata: { 'dataplane.resource': dp('').replace('kuma.io/service: web', 'kuma.io/service: payments') } });
    expect(claim.code).toBe(grpc.status.PERMISSION_DENIED);
    expect(claim.details).toContain('kuma.io/service');
  });

  it('throughout: both control planes stayed up and answered /ready within 1 s', async () => {
    await watch.stop();
    expect(global.running && zone.running).toBe(true);
    expect(watch.failures).toEqual([]);
    expect(watch.slowest.size).toBe(2);
    for (const [name, ms] of watch.slowest) expect(ms, `${name}'s slowest /ready`).toBeLessThan(1000);
  });
});
