/**
 * What generation keeps between proxies and between passes (memo, perContext, derive, proxyMemo) must
 * never change the output: after each change, a sidecar generated the way the zone does it (contexts
 * rebuilt from the previous ones, every piece that can be reused reused) equals one generated from
 * scratch, the proxies the change concerns get new input hashes and new objects for what changed, and
 * the others keep theirs.
 */
import { decodeResource, type Resource } from '@causeway/core';
import { describe, expect, it } from 'vitest';
import { buildMeshContexts, type MeshContext, type ZoneView } from '../context.js';
import { sidecarInputHash } from '../zone/inputs.js';
import { zoneViewOf } from '../zone/view.js';
import { routeOf } from '../testing/index.js';
import { blocksOf, type ResourceSet } from './common.js';
import { generateEgress } from './egress.js';
import { generateIngress } from './ingress.js';
import { generateSidecar, type Identity } from './sidecar.js';

type Doc = Record<string, unknown>;

const mesh: Doc = { type: 'Mesh', name: 'default', mtls: { enabledBackend: 'ca-1', backends: [{ name: 'ca-1', type: 'builtin' }] } };
const dataplane = (name: string, service: string, address: string, protocol = 'http'): Doc => ({
  type: 'Dataplane',
  mesh: 'default',
  name,
  networking: { address, inbound: [{ port: 8080, tags: { 'kuma.io/service': service, 'kuma.io/protocol': protocol } }] },
});
const externalService = (name: string, address: string): Doc => ({
  type: 'ExternalService',
  mesh: 'default',
  name,
  tags: { 'kuma.io/service': name, 'kuma.io/protocol': 'http' },
  networking: { address, tls: { enabled: true } },
});
const permission = (name: string, from: Doc[]): Doc => ({ type: 'MeshTrafficPermission', mesh: 'default', name, spec: { targetRef: { kind: 'Mesh' }, from } });
const allowAll = permission('allow-all', [{ targetRef: { kind: 'Mesh' }, default: { action: 'Allow' } }]);
const allowAllButWeb = permission('allow-all', [
  { targetRef: { kind: 'Mesh' }, default: { action: 'Allow' } },
  { targetRef: { kind: 'MeshService', name: 'web' }, default: { action: 'Deny' } },
]);
const webTimeout: Doc = {
  type: 'MeshTimeout',
  mesh: 'default',
  name: 'web-to-httpbin',
  spec: { targetRef: { kind: 'MeshService', name: 'web' }, to: [{ targetRef: { kind: 'MeshService', name: 'httpbin' }, default: { http: { requestTimeout: '3s' } } }] },
};

const base = [
  mesh,
  dataplane('web-1', 'web', '127.0.1.1'),
  dataplane('web-2', 'web', '127.0.1.2'),
  dataplane('api-1', 'api', '127.0.1.3', 'tcp'),
  externalService('httpbin', 'httpbin.org:443'),
  externalService('payments', 'payments.example.com:443'),
  allowAll,
];

const PROXIES = ['web-1', 'web-2', 'api-1'];

function zoneView(docs: Doc[]): ZoneView {
  return { ...zoneViewOf(docs.map((d) => decodeResource(d)), { zone: 'zone-1' }), meshCaPem: { default: 'mesh ca' } };
}

const identities = new Map<string, Identity>(PROXIES.map((p) => [p, { certPem: `cert of ${p}`, keyPem: `key of ${p}` }]));

/** The zone's way: one chain of contexts, each built from the previous one; the Dataplane objects kept while unchanged. */
class Zone {
  private contexts = new Map<string, MeshContext>();
  private readonly dataplanes = new Map<string, { doc: string; resource: Resource<'Dataplane'> }>();
  hashes = new Map<string, string>();
  sets = new Map<string, ResourceSet>();

  /** Applies a view; returns the proxies whose input hash changed (regenerated, as the regenerator does). */
  pass(docs: Doc[]): string[] {
    const view = zoneView(docs);
    this.contexts = buildMeshContexts(view, this.contexts);
    const ctx = this.contexts.get('default') as MeshContext;
    const changed: string[] = [];
    for (const name of PROXIES) {
      const dp = this.dataplane(view, name);
      const hash = sidecarInputHash(ctx, dp, identities.get(name), false);
      if (hash === this.hashes.get(name)) continue;
      this.hashes.set(name, hash);
      this.sets.set(name, generateSidecar({ ctx, dataplane: dp, identity: identities.get(name) as Identity }));
      changed.push(name);
    }
    return changed;
  }

  private dataplane(view: ZoneView, name: string): Resource<'Dataplane'> {
    const fresh = view.dataplanes.find((d) => d.name === name) as Resource<'Dataplane'>;
    const doc = JSON.stringify(fresh.spec);
    const kept = this.dataplanes.get(name);
    if (kept?.doc === doc) return kept.resource;
    this.dataplanes.set(name, { doc, resource: fresh });
    return fresh;
  }
}

/** Every proxy generated from scratch (new contexts, nothing reused). */
function fromScratch(docs: Doc[]): Map<string, ResourceSet> {
  const view = zoneView(docs);
  const ctx = buildMeshContexts(view).get('default') as MeshContext;
  return new Map(PROXIES.map((name) => [name, generateSidecar({ ctx, dataplane: view.dataplanes.find((d) => d.name === name) as Resource<'Dataplane'>, identity: identities.get(name) as Identity })]));
}

const named = (set: ResourceSet | undefined, kind: keyof ResourceSet, name: string) => set?.[kind].find((r) => (r.name ?? r.cluster_name) === name);

/** Runs `steps` through one Zone; after each, the zone's output must equal a generation from scratch. */
function run(steps: Doc[][]): { zone: Zone; changed: string[][]; before: Map<string, ResourceSet>[] } {
  const zone = new Zone();
  const changed: string[][] = [];
  const before: Map<string, ResourceSet>[] = [];
  for (const docs of steps) {
    before.push(new Map(zone.sets));
    changed.push(zone.pass(docs));
    const fresh = fromScratch(docs);
    for (const name of PROXIES) expect(zone.sets.get(name), `${name} after step ${changed.length}`).toEqual(fresh.get(name));
  }
  return { zone, changed, before };
}

describe('generation reuses what did not change, and only that', () => {
  it('an ExternalService added, modified and deleted: every proxy gets it, the pieces of the others stay the same objects', () => {
    const moved = base.map((d) => (d.name === 'httpbin' ? externalService('httpbin', 'httpbin.example.net:443') : d));
    const { zone, changed, before } = run([base, [...base, externalService('stripe', 'api.stripe.com:443')], moved, moved.filter((d) => d.name !== 'payments')]);
    expect(changed).toEqual([PROXIES, PROXIES, PROXIES, PROXIES]);
    // web-1's set before step `step` (0-based; the last one: after all steps)
    const web = (step: number) => (before[step] ?? zone.sets).get('web-1');
    // added: its cluster appears; the other ExternalServices' clusters, the inbound listener, the identity Secret stay the same objects
    expect(named(web(1), 'Cluster', 'stripe')).toBeUndefined();
    expect(named(web(2), 'Cluster', 'stripe')).toBeDefined();
    for (const [kind, name] of [['Cluster', 'httpbin'], ['Listener', 'inbound:127.0.1.1:8080'], ['Secret', 'identity_cert:secret:default']] as const)
      expect(named(web(2), kind, name), `${kind} ${name}`).toBe(named(web(1), kind, name));
    // modified: a new httpbin cluster (new host), payments' is kept
    expect(JSON.stringify(named(web(3), 'Cluster', 'httpbin'))).toContain('httpbin.example.net');
    expect(named(web(3), 'Cluster', 'payments')).toBe(named(web(2), 'Cluster', 'payments'));
    // deleted: nothing names it any more
    expect(JSON.stringify(zone.sets.get('web-1'))).not.toContain('payments');
    // proxies of the same service share the outbound part
    expect(named(zone.sets.get('web-2'), 'Cluster', 'httpbin')).toBe(named(zone.sets.get('web-1'), 'Cluster', 'httpbin'));
    // each proxy's own part (inbound, Secrets, passthrough, with its policies) is the same object throughout
    for (let step = 2; step <= 4; step++) expect(blocksOf(web(step) as ResourceSet)?.own).toBe(blocksOf(web(1) as ResourceSet)?.own);
  });

  it('a MeshTrafficPermission changed: the denied service loses the ExternalServices (veto), every inbound its RBAC; back again', () => {
    const denied = base.map((d) => (d === allowAll ? allowAllButWeb : d));
    const { zone, changed, before } = run([base, denied, base]);
    expect(changed[1]).toEqual(PROXIES);
    const afterDeny = before[2] as Map<string, ResourceSet>;
    expect(named(afterDeny.get('web-1'), 'Cluster', 'httpbin')).toBeUndefined();
    expect(named(afterDeny.get('api-1'), 'Cluster', 'httpbin')).toBeDefined();
    // api's DNS table did not change: the same listener object; web's lost the ExternalServices' names
    expect(named(afterDeny.get('api-1'), 'Listener', 'dns:127.0.0.1:15053')).toBe(named(before[1]?.get('api-1'), 'Listener', 'dns:127.0.0.1:15053'));
    expect(JSON.stringify(named(before[1]?.get('web-1'), 'Listener', 'dns:127.0.0.1:15053'))).toContain('httpbin.org');
    expect(JSON.stringify(named(afterDeny.get('web-1'), 'Listener', 'dns:127.0.0.1:15053'))).not.toContain('httpbin.org');
    expect(named(afterDeny.get('api-1'), 'Listener', 'inbound:127.0.1.3:8080')).not.toBe(named(before[1]?.get('api-1'), 'Listener', 'inbound:127.0.1.3:8080'));
    expect(blocksOf(afterDeny.get('api-1') as ResourceSet)?.own).not.toBe(blocksOf(before[1]?.get('api-1') as ResourceSet)?.own);
    expect(named(zone.sets.get('web-1'), 'Cluster', 'httpbin')).toBeDefined();
  });

  it("a pass that reused a proxy's whole outbound part keeps its pieces: the next change to the part reuses them", () => {
    // api's destinations do not change with the permission (the veto is web's): its shared part is reused
    // whole in step 2, so its pieces are not looked up then; step 3 (an ExternalService added) makes a new
    // part, and the other services' pieces must be the objects of step 1, not made (and encoded) again.
    const denied = base.map((d) => (d === allowAll ? allowAllButWeb : d));
    const { zone, before } = run([base, denied, [...denied, externalService('stripe', 'api.stripe.com:443')]]);
    const first = before[1]?.get('api-1');
    const last = zone.sets.get('api-1');
    expect(named(last, 'Cluster', 'stripe')).toBeDefined();
    for (const [kind, name] of [['Cluster', 'httpbin'], ['RouteConfiguration', 'outbound:payments'], ['ClusterLoadAssignment', 'web']] as const)
      expect(named(last, kind, name), `${kind} ${name}`).toBe(named(first, kind, name));
  });

  it('the proxies of one service share their inbound RBAC filter (encoded once for all of them)', () => {
    const { zone } = run([base]);
    const rbacOf = (proxy: string, listener: string) => {
      const chains = named(zone.sets.get(proxy), 'Listener', listener)?.filter_chains as { filters: { typed_config: { http_filters?: { name: string }[] } }[] }[];
      return chains[0]?.filters[0]?.typed_config.http_filters?.find((f) => f.name === 'envoy.filters.http.rbac');
    };
    expect(rbacOf('web-1', 'inbound:127.0.1.1:8080')).toBeDefined();
    expect(rbacOf('web-1', 'inbound:127.0.1.1:8080')).toBe(rbacOf('web-2', 'inbound:127.0.1.2:8080'));
  });

  it('a MeshTimeout added and removed: only the proxies it selects are regenerated, and get their own outbound part', () => {
    const { zone, changed, before } = run([base, [...base, webTimeout], base]);
    expect(changed[1]).toEqual(['web-1', 'web-2']);
    expect(changed[2]).toEqual(['web-1', 'web-2']);
    const withTimeout = before[2] as Map<string, ResourceSet>;
    const route = (set: ResourceSet | undefined) => JSON.stringify(routeOf(set, 'outbound:httpbin'));
    expect(route(withTimeout.get('web-1'))).toContain('"timeout":"3s"');
    expect(routeOf(withTimeout.get('web-2'), 'outbound:httpbin')).toBe(routeOf(withTimeout.get('web-1'), 'outbound:httpbin'));
    expect(route(withTimeout.get('api-1'))).toContain('"timeout":"15s"');
    expect(route(zone.sets.get('web-1'))).toContain('"timeout":"15s"');
  });

  it("a Dataplane's tags changed: its proxy gets its new service's inbound, policies and veto; the others keep their untouched pieces", () => {
    const webTwoIsApi = (docs: Doc[]) => docs.map((d) => (d.name === 'web-2' ? dataplane('web-2', 'api', '127.0.1.2') : d));
    const denied = base.map((d) => (d === allowAll ? allowAllButWeb : d));
    const { zone, changed, before } = run([[...denied, webTimeout], webTwoIsApi([...denied, webTimeout])]);
    // The endpoints of web and api changed: everyone is regenerated, the untouched pieces are kept.
    expect(changed[1]).toEqual(PROXIES);
    const web1Before = before[1]?.get('web-1');
    expect(named(zone.sets.get('web-1'), 'Listener', 'inbound:127.0.1.1:8080')).toBe(named(web1Before, 'Listener', 'inbound:127.0.1.1:8080'));
    expect(named(zone.sets.get('web-1'), 'ClusterLoadAssignment', 'api')).not.toBe(named(web1Before, 'ClusterLoadAssignment', 'api'));
    const web2 = zone.sets.get('web-2');
    expect(JSON.stringify(named(web2, 'Listener', 'inbound:127.0.1.2:8080'))).toContain('inbound_api_8080');
    expect(named(web2, 'Cluster', 'httpbin')).toBeDefined(); // no longer denied
    expect(JSON.stringify(routeOf(web2, 'outbound:httpbin'))).toContain('"timeout":"15s"'); // no longer selected
    expect(named(zone.sets.get('web-1'), 'Cluster', 'httpbin')).toBeUndefined();
  });
});

describe('the ZoneEgress across passes', () => {
  const routed: Doc = { ...mesh, routing: { zoneEgress: true } };
  const egressDoc: Doc = { type: 'ZoneEgress', name: 'egress-1', networking: { address: '127.0.0.20', port: 10002 } };
  const egressBase = [routed, egressDoc, dataplane('web-1', 'web', '127.0.1.1'), externalService('httpbin', 'httpbin.org:443'), externalService('payments', 'payments.example.com:443'), allowAll];
  const egressIdentity = new Map([['default', { certPem: 'egress cert', keyPem: 'egress key' }]]);

  /** Each step's egress set generated the zone's way (contexts built from the previous ones, the same ZoneEgress object). */
  function passes(steps: Doc[][]): ResourceSet[] {
    let contexts = new Map<string, MeshContext>();
    let egress: Resource<'ZoneEgress'> | undefined;
    return steps.map((docs, i) => {
      const view = zoneView(docs);
      contexts = buildMeshContexts(view, contexts);
      egress ??= view.zoneEgresses[0] as Resource<'ZoneEgress'>;
      const set = generateEgress({ contexts, egress, identities: egressIdentity });
      const scratch = zoneView(docs); // its own objects: nothing the zone's way kept is found through them
      const fresh = generateEgress({ contexts: buildMeshContexts(scratch), egress: scratch.zoneEgresses[0] as Resource<'ZoneEgress'>, identities: egressIdentity });
      expect(set, `step ${i}`).toEqual(fresh);
      return set;
    });
  }

  it('hands the same objects for what did not change: every resource on a pass that changed nothing it holds, the other services on a change', () => {
    const [first, same, added, denied] = passes([egressBase, egressBase, [...egressBase, externalService('stripe', 'api.stripe.com:443')], [...egressBase.map((d) => (d === allowAll ? allowAllButWeb : d)), externalService('stripe', 'api.stripe.com:443')]]) as [ResourceSet, ResourceSet, ResourceSet, ResourceSet];
    const egressListener = 'inbound:127.0.0.20:10002';
    // Nothing the egress holds changed: every object is the one before (nothing to encode and hash again).
    for (const kind of ['Listener', 'Cluster', 'RouteConfiguration', 'Secret'] as const)
      for (const r of first[kind]) expect(named(same, kind, String(r.name)), `${kind} ${r.name}`).toBe(r);
    // An ExternalService added: its cluster and a new listener (one chain more); the others' pieces kept.
    expect(named(added, 'Cluster', 'default:stripe')).toBeDefined();
    expect(named(added, 'Listener', egressListener)).not.toBe(named(same, 'Listener', egressListener));
    for (const [kind, name] of [['Cluster', 'default:httpbin'], ['RouteConfiguration', 'outbound:default:payments'], ['Secret', 'identity_cert:secret:default']] as const)
      expect(named(added, kind, name), `${kind} ${name}`).toBe(named(same, kind, name));
    // ... and in the new listener the other services' guarded chains are the ones before (encoded once).
    const chainOf = (set: ResourceSet, sni: string) => ((named(set, 'Listener', egressListener)?.filter_chains ?? []) as { name: string }[]).find((c) => c.name === sni);
    expect(chainOf(added, 'httpbin{mesh=default}')).toBeDefined();
    expect(chainOf(added, 'httpbin{mesh=default}')).toBe(chainOf(same, 'httpbin{mesh=default}'));
    // A permission changed: the guarded listener is new (its RBAC), the clusters stay.
    expect(named(denied, 'Listener', egressListener)).not.toBe(named(added, 'Listener', egressListener));
    expect(named(denied, 'Cluster', 'default:stripe')).toBe(named(added, 'Cluster', 'default:stripe'));
  });

  it('the ZoneIngress too: the same listener and clusters while its services are, new ones for a service added', () => {
    const ingressDoc: Doc = { type: 'ZoneIngress', name: 'ingress-1', networking: { address: '127.0.0.30', port: 10001 } };
    const steps = [[...egressBase, ingressDoc], [...egressBase, ingressDoc], [...egressBase, ingressDoc, dataplane('api-1', 'api', '127.0.1.3')]];
    let contexts = new Map<string, MeshContext>();
    let ingress: Resource<'ZoneIngress'> | undefined;
    const [first, same, added] = steps.map((docs) => {
      const view = zoneView(docs);
      contexts = buildMeshContexts(view, contexts);
      ingress ??= view.zoneIngresses[0] as Resource<'ZoneIngress'>;
      const set = generateIngress({ contexts, ingress });
      const scratch = zoneView(docs);
      expect(set).toEqual(generateIngress({ contexts: buildMeshContexts(scratch), ingress: scratch.zoneIngresses[0] as Resource<'ZoneIngress'> }));
      return set;
    }) as [ResourceSet, ResourceSet, ResourceSet];
    const listener = 'inbound:127.0.0.30:10001';
    expect(named(same, 'Listener', listener)).toBe(named(first, 'Listener', listener));
    expect(named(same, 'Cluster', 'default:web')).toBe(named(first, 'Cluster', 'default:web'));
    expect(named(added, 'Listener', listener)).not.toBe(named(same, 'Listener', listener));
    expect(named(added, 'Cluster', 'default:api')).toBeDefined();
    expect(named(added, 'ClusterLoadAssignment', 'default:web')).toBe(named(same, 'ClusterLoadAssignment', 'default:web'));
  });
});
