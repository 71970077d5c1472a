import { createSigningKey, generateDataplaneToken, generateZoneToken } from '@causeway/pki';
import { openStore, type ResourceStore } from '@causeway/store';
import * as grpc from '@grpc/grpc-js';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { TYPE_URLS } from '@causeway/envoy';
import { AdsServer, adsCredentials, type DiscoveryRequest } from './ads.js';
import { dpDoc, dpToken as issueToken, node, startAdsZone, TestAdsStream } from '../testing/ads.js';
import { res, storeMeshCa, until } from '../testing/index.js';
import type { Admission } from '../zone/admission.js';
import { REGISTERED_LABEL, type XdsZone } from '../zone/index.js';

const key = createSigningKey();
/** A dataplane token issued for the Dataplane's services (`--tag kuma.io/service=...`). */
const dpToken = (mesh: string, name: string, service: string, signingKeyPem = key) => issueToken(signingKeyPem, mesh, name, service);
interface Response {
  version_info: string;
  resources?: ({ '@type': string; name?: string; cluster_name?: string } & Record<string, unknown>)[];
  type_url: string;
  nonce: string;
}

/** A state-of-the-world test client. */
class TestProxy extends TestAdsStream<DiscoveryRequest, Response> {
  constructor(port: number, token: string | undefined) {
    super(port, token, 'StreamAggregatedResources');
  }
}

describe('ADS server', () => {
  let store: ResourceStore;
  let zone: XdsZone;
  let port: number;
  let stopZone: () => Promise<void>;

  beforeAll(async () => {
    store = await openStore({ pollIntervalMs: 50 });
    await store.create(res('Mesh', 'default', {}));
    await store.create(res('Mesh', 'secure', { mtls: { enabledBackend: 'ca-1', backends: [{ name: 'ca-1', type: 'builtin' }] } }));
    await storeMeshCa(store, 'secure');
    ({ zone, port, close: stopZone } = await startAdsZone(store, key));
  });

  afterAll(async () => {
    await stopZone();
    await store.close();
  });

  it('refuses a proxy without a token, with a foreign token, or with a token for another dataplane', async () => {
    const none = new TestProxy(port, undefined);
    none.send({ node: node('default', 'web-1', dpDoc('web-1', 'default', 'web', '127.0.0.10')), type_url: TYPE_URLS.Cluster });
    expect((await none.status).code).toBe(grpc.status.UNAUTHENTICATED);

    const foreign = new TestProxy(port, dpToken('default', 'web-1', 'web', createSigningKey()));
    foreign.send({ node: node('default', 'web-1', dpDoc('web-1', 'default', 'web', '127.0.0.10')), type_url: TYPE_URLS.Cluster });
    const fs = await foreign.status;
    expect(fs.code).toBe(grpc.status.UNAUTHENTICATED);
    expect(fs.details).toMatch(/signature/);

    const other = new TestProxy(port, dpToken('default', 'web-2', 'web'));
    other.send({ node: node('default', 'web-1', dpDoc('web-1', 'default', 'web', '127.0.0.10')), type_url: TYPE_URLS.Cluster });
    const os = await other.status;
    expect(os.code).toBe(grpc.status.PERMISSION_DENIED);
    expect(os.details).toMatch(/not "web-1"/);

    const bad = new TestProxy(port, dpToken('default', 'web-1', 'web'));
    bad.send({ node: node('default', 'web-1', '{"type":"Dataplane","mesh":"default","name":"web-1","networking":{}}'), type_url: TYPE_URLS.Cluster });
    const bs = await bad.status;
    expect(bs.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(bs.details).toMatch(/networking.address/);
    expect(await store.get('Dataplane', 'default', 'web-1')).toBeUndefined();
  });

  it('verifies the token before it parses the node metadata: invalid metadata without a valid token is UNAUTHENTICATED', async () => {
    const parse = vi.spyOn((zone as unknown as { admission: Admission }).admission, 'parse');
    try {
      const invalid = { id: 'default.web-1', metadata: { 'dataplane.resource': 'type: Dataplane\nname: [unclosed' } };
      const statusOf = async (token: string | undefined) => {
        const p = new TestProxy(port, token);
        p.send({ node: invalid, type_url: TYPE_URLS.Cluster });
        return p.status;
      };
      const none = await statusOf(undefined);
      expect(none.code).toBe(grpc.status.UNAUTHENTICATED);
      expect(none.details).toMatch(/a token is required/);
      const foreign = await statusOf(dpToken('default', 'web-1', 'web', createSigningKey()));
      expect(foreign.code).toBe(grpc.status.UNAUTHENTICATED);
      expect(foreign.details).toMatch(/signature/);
      const garbage = await statusOf('not-a-token');
      expect(garbage.code).toBe(grpc.status.UNAUTHENTICATED);
      const expired = await statusOf(generateDataplaneToken({ signingKeyPem: key, mesh: 'default', name: 'web-1', tags: { 'kuma.io/service': ['web'] }, validFor: '1h', now: new Date('2020-01-01') }));
      expect(expired.code).toBe(grpc.status.UNAUTHENTICATED);
      expect(expired.details).toMatch(/expired/);
      // No resource and a node id that names nothing: still refused for the token, before the lookup.
      const p = new TestProxy(port, undefined);
      p.send({ node: { id: 'default.nobody' }, type_url: TYPE_URLS.Cluster });
      expect((await p.status).code).toBe(grpc.status.UNAUTHENTICATED);
      expect(parse).not.toHaveBeenCalled();
      // With a valid token the same metadata is parsed, and refused as invalid.
      const valid = await statusOf(dpToken('default', 'web-1', 'web'));
      expect(valid.code).toBe(grpc.status.INVALID_ARGUMENT);
      expect(valid.details).toMatch(/node metadata "dataplane.resource": document 1, line 2: YAML syntax error/);
      expect(parse).toHaveBeenCalledTimes(1);
    } finally {
      parse.mockRestore();
    }
  });

  it("binds the token's services: web-b's token claiming payments is PERMISSION_DENIED naming the tag, the right token gets config", async () => {
    // mTLS mesh: an accepted claim would be a certificate for spiffe://secure/payments.
    const claimsPayments = dpDoc('web-b', 'secure', 'payments', '127.0.0.60');
    const stolen = new TestProxy(port, dpToken('secure', 'web-b', 'web'));
    stolen.send({ node: node('secure', 'web-b', claimsPayments), type_url: TYPE_URLS.Secret, resource_names: ['identity_cert:secret:secure'] });
    const st = await stolen.status;
    expect(st.code).toBe(grpc.status.PERMISSION_DENIED);
    expect(st.details).toBe('inbound[0].tags["kuma.io/service"]: "payments" is not allowed by the token (issued for: web)');
    expect(stolen.responses).toEqual([]);
    expect(await store.get('Dataplane', 'secure', 'web-b')).toBeUndefined();

    // A token issued by mesh and name only is refused by default, with how to issue the right one.
    const untagged = new TestProxy(port, generateDataplaneToken({ signingKeyPem: key, mesh: 'secure', name: 'web-b' }));
    untagged.send({ node: node('secure', 'web-b', claimsPayments), type_url: TYPE_URLS.Cluster });
    const us = await untagged.status;
    expect(us.code).toBe(grpc.status.PERMISSION_DENIED);
    expect(us.details).toMatch(/^the token has no "kuma\.io\/service" tags/);
    expect(us.details).toContain('causeway generate dataplane-token --mesh secure --name web-b --tag kuma.io/service=payments');

    // web-b with its own token and its own service: registered, with the identity of web.
    const p = new TestProxy(port, dpToken('secure', 'web-b', 'web'));
    p.send({ node: node('secure', 'web-b', dpDoc('web-b', 'secure', 'web', '127.0.0.60')), type_url: TYPE_URLS.Secret, resource_names: ['identity_cert:secret:secure'] });
    const secrets = await p.next((r) => r.type_url === TYPE_URLS.Secret && (r.resources?.length ?? 0) === 1);
    const identity = secrets.resources?.[0] as unknown as { tls_certificate: { certificate_chain: { inline_bytes: string } } };
    const { X509Certificate } = await import('node:crypto');
    expect(new X509Certificate(Buffer.from(identity.tls_certificate.certificate_chain.inline_bytes, 'base64')).subjectAltName).toContain('URI:spiffe://secure/web');
    expect((await store.get('Dataplane', 'secure', 'web-b'))?.labels[REGISTERED_LABEL]).toBe('ads');
    p.close();
  });

  it('registers the proxy, serves config, handles ACK, pushes changes, records a NACK and keeps the last good config', async () => {
    const p = new TestProxy(port, dpToken('default', 'web-1', 'web'));
    p.send({ node: node('default', 'web-1', dpDoc('web-1', 'default', 'web', '127.0.0.10')), type_url: TYPE_URLS.Cluster });
    p.send({ type_url: TYPE_URLS.Listener });
    const cds = await p.next((r) => r.type_url === TYPE_URLS.Cluster);
    expect(cds.resources?.map((r) => r.name)).toContain('web');
    expect(cds.resources?.every((r) => r['@type'] === TYPE_URLS.Cluster)).toBe(true);
    const lds = await p.next((r) => r.type_url === TYPE_URLS.Listener);
    expect(lds.resources?.map((r) => r.name)).toContain('inbound:127.0.0.10:8080');
    const stored = await store.get('Dataplane', 'default', 'web-1');
    expect(stored?.labels[REGISTERED_LABEL]).toBe('ads');

    // The inbound listener carries its route (a sidecar's routes are inline, no RDS).
    expect(JSON.stringify(lds.resources?.find((r) => r.name === 'inbound:127.0.0.10:8080'))).toContain('"route_config":{"name":"inbound:127.0.0.10:8080"');

    // ACK both; ask for web's endpoints by name.
    p.send({ type_url: TYPE_URLS.Cluster, version_info: cds.version_info, response_nonce: cds.nonce });
    p.send({ type_url: TYPE_URLS.Listener, version_info: lds.version_info, response_nonce: lds.nonce });
    p.send({ type_url: TYPE_URLS.ClusterLoadAssignment, resource_names: ['web'] });
    const eds = await p.next((r) => r.type_url === TYPE_URLS.ClusterLoadAssignment);
    expect(eds.resources?.map((r) => r.cluster_name)).toEqual(['web']);

    // An ExternalService applied: one coalesced push with the new cluster.
    const before = p.responses.filter((r) => r.type_url === TYPE_URLS.Cluster).length;
    await store.create(res('ExternalService', 'httpbin', { tags: { 'kuma.io/service': 'httpbin', 'kuma.io/protocol': 'http' }, networking: { address: 'httpbin.org:80' } }, 'default'));
    await store.create(res('ExternalService', 'example', { tags: { 'kuma.io/service': 'example' }, networking: { address: 'example.com:443' } }, 'default'));
    const cds2 = await p.next((r) => r.type_url === TYPE_URLS.Cluster && (r.resources ?? []).some((c) => c.name === 'example'));
    expect(cds2.version_info).not.toBe(cds.version_info);
    expect(cds2.resources?.map((r) => r.name)).toEqual(expect.arrayContaining(['httpbin', 'example']));

    // NACK it: recorded on the DataplaneInsight, not sent again.
    p.send({ type_url: TYPE_URLS.Cluster, version_info: cds.version_info, response_nonce: cds2.nonce, error_detail: { code: 3, message: 'cluster example: boom' } });
    const insight = await until(async () => {
      const i = await store.get('DataplaneInsight', 'default', 'web-1');
      const subs = (i?.spec as { subscriptions?: { lastNack?: { error: string; typeUrl: string } }[] })?.subscriptions;
      return subs?.find((s) => s.lastNack)?.lastNack;
    });
    expect(insight).toMatchObject({ typeUrl: TYPE_URLS.Cluster, error: 'cluster example: boom' });
    const sentAfterNack = p.responses.filter((r) => r.type_url === TYPE_URLS.Cluster).length;
    await new Promise((r) => setTimeout(r, 200));
    expect(p.responses.filter((r) => r.type_url === TYPE_URLS.Cluster).length).toBe(sentAfterNack);
    expect(sentAfterNack).toBeGreaterThan(before);

    // Disconnect for good: the Dataplane is deleted after the grace period.
    p.close();
    await until(async () => ((await store.get('Dataplane', 'default', 'web-1')) === undefined ? true : undefined), 5000);
  });

  it('only pushes to proxies whose inputs changed, and issues workload certificates on mTLS meshes', async () => {
    const a = new TestProxy(port, dpToken('default', 'a-1', 'a'));
    a.send({ node: node('default', 'a-1', dpDoc('a-1', 'default', 'a', '127.0.0.20')), type_url: TYPE_URLS.Cluster });
    const s = new TestProxy(port, dpToken('secure', 's-1', 'backend'));
    s.send({ node: node('secure', 's-1', dpDoc('s-1', 'secure', 'backend', '127.0.0.21')), type_url: TYPE_URLS.Cluster });
    s.send({ type_url: TYPE_URLS.Secret, resource_names: ['identity_cert:secret:secure', 'mesh_ca:secret:secure'] });
    const secrets = await s.next((r) => r.type_url === TYPE_URLS.Secret && (r.resources?.length ?? 0) === 2);
    const identity = secrets.resources?.find((r) => r.name === 'identity_cert:secret:secure') as unknown as { tls_certificate: { certificate_chain: { inline_bytes: string } } };
    const pem = Buffer.from(identity.tls_certificate.certificate_chain.inline_bytes, 'base64').toString();
    const { X509Certificate } = await import('node:crypto');
    // The SPIFFE ID of the service, and the other inbound tags as kuma:// URIs (the zone added kuma.io/zone).
    expect(new X509Certificate(pem).subjectAltName).toBe('URI:kuma://kuma.io/protocol/http, URI:kuma://kuma.io/zone/zone-1, URI:spiffe://secure/backend');
    await a.next((r) => r.type_url === TYPE_URLS.Cluster);
    await s.next((r) => r.type_url === TYPE_URLS.Cluster);
    await new Promise((r) => setTimeout(r, 200));
    const aCount = a.responses.length;
    const sCount = s.responses.length;
    // A change in mesh "secure" only: the proxy of mesh "default" gets nothing. (mTLS without zone egress:
    // the sidecar gets the ExternalService only with a permission.)
    const allowVault = { targetRef: { kind: 'MeshService', name: 'vault' }, from: [{ targetRef: { kind: 'Mesh' }, default: { action: 'Allow' } }] };
    await store.create(res('MeshTrafficPermission', 'allow-vault', allowVault, 'secure'));
    await store.create(res('ExternalService', 'vault', { tags: { 'kuma.io/service': 'vault' }, networking: { address: 'vault.example.com:8200' } }, 'secure'));
    await s.next((r) => r.type_url === TYPE_URLS.Cluster && (r.resources ?? []).some((c) => c.name === 'vault'));
    await new Promise((r) => setTimeout(r, 200));
    expect(a.responses.length).toBe(aCount);
    expect(s.responses.length).toBeGreaterThan(sCount);

    // A policy that selects no proxy of the mesh changes nobody's config: nothing is pushed.
    const sBefore = s.responses.length;
    const timeout = (service: string) => ({ targetRef: { kind: 'MeshService', name: service }, to: [{ targetRef: { kind: 'Mesh' }, default: { connectionTimeout: '2s' } }] });
    await store.create(res('MeshTimeout', 'for-nobody', timeout('no-such-service'), 'secure'));
    await new Promise((r) => setTimeout(r, 400));
    expect(s.responses.length).toBe(sBefore);
    // One that selects s-1 (service backend): its clusters get the connect timeout.
    await store.create(res('MeshTimeout', 'for-backend', timeout('backend'), 'secure'));
    const withTimeout = await s.next((r) => r.type_url === TYPE_URLS.Cluster && (r.resources ?? []).some((c) => c.name === 'vault' && c.connect_timeout === '2s'));
    expect(withTimeout.resources?.find((c) => c.name === 'vault')).toMatchObject({ connect_timeout: '2s' });
    expect(a.responses.length).toBe(aCount);

    const dump = await zone.configDump('Dataplane', 'secure', 's-1');
    expect(dump?.connected).toBe(true);
    const secretsDump = dump?.configs.find((c) => String(c['@type']).endsWith('SecretsConfigDump')) as { dynamic_active_secrets: { secret: { tls_certificate?: { private_key: { inline_bytes: string } } } }[] };
    const redacted = secretsDump.dynamic_active_secrets.find((x) => x.secret.tls_certificate)?.secret.tls_certificate?.private_key.inline_bytes;
    expect(Buffer.from(redacted ?? '', 'base64').toString()).toBe('[redacted]');
    a.close();
    s.close();
  });

  it('counts how streams end: refused, ended by the proxy, dropped under a connected proxy (logged at warn with its name)', async () => {
    const lines: { level: number; msg: string; proxy?: string }[] = [];
    const recording = pino({ level: 'info' }, { write: (l: string) => void lines.push(JSON.parse(l)) });
    const own = new AdsServer({ cache: zone.cache, registry: zone, logger: recording });
    const ownPort = await own.listen('127.0.0.1', 0, adsCredentials(undefined));
    try {
      const refused = new TestProxy(ownPort, undefined);
      refused.send({ node: node('default', 'ends-1', dpDoc('ends-1', 'default', 'ends', '127.0.0.41')), type_url: TYPE_URLS.Cluster });
      expect((await refused.status).code).toBe(grpc.status.UNAUTHENTICATED);

      const polite = new TestProxy(ownPort, dpToken('default', 'ends-1', 'ends'));
      polite.send({ node: node('default', 'ends-1', dpDoc('ends-1', 'default', 'ends', '127.0.0.41')), type_url: TYPE_URLS.Cluster });
      await polite.next((r) => r.type_url === TYPE_URLS.Cluster);
      polite.close();
      await until(() => own.stats().streamsEnded.ended === 1 || undefined);

      const rude = new TestProxy(ownPort, dpToken('default', 'ends-2', 'ends'));
      rude.send({ node: node('default', 'ends-2', dpDoc('ends-2', 'default', 'ends', '127.0.0.42')), type_url: TYPE_URLS.Cluster });
      await rude.next((r) => r.type_url === TYPE_URLS.Cluster);
      rude.stream.cancel();
      await until(() => own.stats().streamsEnded.dropped === 1 || undefined);

      expect(own.stats()).toMatchObject({ streams: 0, streamsEnded: { ended: 1, dropped: 1, refused: 1, failed: 0 } });
      const warn = lines.find((l) => l.level === 40 && /dropped/.test(l.msg));
      expect(warn).toMatchObject({ proxy: 'Dataplane/default/ends-2' });
      expect(warn?.msg).toContain('Dataplane/default/ends-2');
    } finally {
      await own.close(200);
    }
  });

  it('registers a ZoneIngress with a zone token and publishes its available services', async () => {
    const token = generateZoneToken({ signingKeyPem: key, zone: 'zone-1', scope: ['ingress'] });
    const ing = new TestProxy(port, token);
    const doc = JSON.stringify({ type: 'ZoneIngress', name: 'ingress-1', networking: { address: '127.0.0.30', port: 10001 } });
    const d = new TestProxy(port, dpToken('secure', 'b-1', 'billing'));
    d.send({ node: node('secure', 'b-1', dpDoc('b-1', 'secure', 'billing', '127.0.0.31')), type_url: TYPE_URLS.Listener });
    await d.next((r) => r.type_url === TYPE_URLS.Listener);
    ing.send({ node: { id: 'ingress-1', metadata: { 'dataplane.resource': doc } }, type_url: TYPE_URLS.Listener });
    const lds = await ing.next((r) => r.type_url === TYPE_URLS.Listener && JSON.stringify(r.resources).includes('billing{mesh=secure}'));
    expect(lds.resources?.[0]?.name).toBe('inbound:127.0.0.30:10001');
    const stored = await until(async () => {
      const r = await store.get('ZoneIngress', undefined, 'ingress-1');
      const av = (r?.spec as { availableServices?: { tags: Record<string, string>; mesh: string }[] } | undefined)?.availableServices;
      return av?.some((x) => x.tags['kuma.io/service'] === 'billing' && x.mesh === 'secure') ? r : undefined;
    });
    expect((stored.spec as { zone: string }).zone).toBe('zone-1');
    // A dataplane token cannot register an ingress.
    const wrong = new TestProxy(port, dpToken('secure', 'ingress-2', 'web'));
    wrong.send({ node: { id: 'ingress-2', metadata: { 'dataplane.resource': doc.replace('ingress-1', 'ingress-2') } }, type_url: TYPE_URLS.Listener });
    expect((await wrong.status).code).toBe(grpc.status.PERMISSION_DENIED);
    // A zone token binds its zone: one of zone-2 cannot register a proxy in zone-1.
    const otherZone = new TestProxy(port, generateZoneToken({ signingKeyPem: key, zone: 'zone-2' }));
    otherZone.send({ node: { id: 'ingress-3', metadata: { 'dataplane.resource': doc.replace('ingress-1', 'ingress-3') } }, type_url: TYPE_URLS.Listener });
    const oz = await otherZone.status;
    expect(oz.code).toBe(grpc.status.PERMISSION_DENIED);
    expect(oz.details).toBe('the token is for zone "zone-2", not "zone-1"');
    expect(await store.get('ZoneIngress', undefined, 'ingress-3')).toBeUndefined();
    ing.close();
    d.close();
  });

  it('rotates a workload certificate before it expires and pushes the new one', async () => {
    // 5 s certificates: renewed once less than a fifth of the lifetime remains, i.e. from 1 s before expiry.
    await store.create(
      res('Mesh', 'rotating', { mtls: { enabledBackend: 'ca-1', backends: [{ name: 'ca-1', type: 'builtin', dpCert: { rotation: { expiration: '5s' } } }] } }),
    );
    await storeMeshCa(store, 'rotating');
    // The mesh and its CA reach the zone through the change feed.
    await until(() => (zone.meshContexts().get('rotating')?.caPem ? true : undefined));
    const p = new TestProxy(port, dpToken('rotating', 'r-1', 'svc'));
    const resource = dpDoc('r-1', 'rotating', 'svc', '127.0.0.40');
    p.send({ node: node('rotating', 'r-1', resource), type_url: TYPE_URLS.Secret, resource_names: ['identity_cert:secret:rotating'] });
    const { X509Certificate } = await import('node:crypto');
    const certOf = (r: Response) => {
      const secret = r.resources?.[0] as unknown as { tls_certificate: { certificate_chain: { inline_bytes: string } } } | undefined;
      if (!secret) throw new Error('no secret in the response');
      return new X509Certificate(Buffer.from(secret.tls_certificate.certificate_chain.inline_bytes, 'base64'));
    };
    // A certificate's times are whole seconds; the DataplaneInsight has its notAfter to the millisecond.
    const insightNotAfter = async () => {
      const i = await store.get('DataplaneInsight', 'rotating', 'r-1');
      const t = (i?.spec as { mTLS?: { certificateExpirationTime?: string } } | undefined)?.mTLS?.certificateExpirationTime;
      return t === undefined ? undefined : Date.parse(t);
    };
    const wholeSecond = (ms: number) => Math.floor(ms / 1000) * 1000;

    const first = await p.next((r) => r.type_url === TYPE_URLS.Secret && (r.resources?.length ?? 0) === 1, 8000);
    p.send({ type_url: TYPE_URLS.Secret, resource_names: ['identity_cert:secret:rotating'], version_info: first.version_info, response_nonce: first.nonce });
    const a = certOf(first);
    expect(Date.parse(a.validTo) - Date.parse(a.validFrom)).toBe(65_000); // 5 s + the minute it is backdated
    const aNotAfter = await until(insightNotAfter);
    expect(wholeSecond(aNotAfter)).toBe(Date.parse(a.validTo));

    const second = await p.next((r) => r.type_url === TYPE_URLS.Secret && r.nonce !== first.nonce, 10_000);
    const b = certOf(second);
    expect(b.serialNumber).not.toBe(a.serialNumber);
    expect(Date.parse(b.validTo) - Date.parse(b.validFrom)).toBe(65_000);
    const bNotAfter = await until(async () => {
      const t = await insightNotAfter();
      return t !== undefined && t !== aNotAfter ? t : undefined;
    });
    expect(wholeSecond(bNotAfter)).toBe(Date.parse(b.validTo));
    // Renewed before the old one expired: b was issued (its notAfter minus its 5 s lifetime) before a's
    // notAfter, to the millisecond. Compared on the certificates' times, not with the clock when the test
    // sees the push, which a loaded machine delays.
    expect(bNotAfter - 5000).toBeLessThan(aNotAfter);
    p.close();
  }, 20_000);
});
