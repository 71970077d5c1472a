/**
 * Inspection of a proxy: which traffic policies apply to a Dataplane and why, and a proxy's config in
 * Envoy's /config_dump shape (what it is served, or what it would get now).
 */
import { inboundTargets, outboundTarget, type PolicyExplanation } from '@causeway/core';
import { TYPE_URLS, XDS_KINDS } from '@causeway/envoy';
import type { ResourceStore } from '@causeway/store';
import { reachableServices } from '../generate/sidecar.js';
import { explainSidecarPolicies } from '../policies/index.js';
import { buildSnapshot, type Snapshot, type SnapshotCache } from '../server/cache.js';
import type { Certificates } from './certificates.js';
import { proxyInputs } from './inputs.js';
import type { StoreMirror } from './mirror.js';
import { newProxyState, type Proxies, proxyKey, type ProxyType } from './proxies.js';
import type { Regenerator } from './regenerator.js';
import type { Logger } from 'pino';

export interface ConfigDump {
  proxy: { type: ProxyType; mesh?: string; name: string };
  connected: boolean;
  generatedAt?: string;
  versions: Record<string, string>;
  /** Envoy's /config_dump shape. */
  configs: Record<string, unknown>[];
}

export interface DataplanePolicies {
  dataplane: { mesh: string; name: string };
  mtls: boolean;
  zoneEgress: boolean;
  /** How entries are ordered (see policies/match.ts). */
  precedence: string;
  policies: PolicyExplanation[];
}

export interface InspectorOptions {
  store: ResourceStore;
  mirror: StoreMirror;
  proxies: Proxies;
  regenerator: Regenerator;
  certificates: Certificates;
  cache: SnapshotCache;
  logger: Logger;
  now: () => Date;
}

const PRECEDENCE =
  'ascending: top-level targetRef kind (Mesh < MeshSubset < MeshService < MeshServiceSubset), then the entry targetRef kind, then the policy name (the lexicographically smaller name wins), then the position in to[]/from[]; the highest precedence wins each field it sets';

export class Inspector {
  constructor(private readonly opts: InspectorOptions) {}

  /**
   * Which traffic policies apply to a Dataplane and why: per policy type, the policies whose top-level
   * targetRef selects it, and per outbound / inbound the entries that apply (with their precedence) and
   * the merged result. Undefined when the Dataplane or its mesh is unknown.
   */
  async policies(mesh: string, name: string): Promise<DataplanePolicies | undefined> {
    const dp = this.opts.mirror.get('Dataplane', mesh, name) ?? (await this.opts.store.get('Dataplane', mesh, name));
    const ctx = this.opts.regenerator.meshContexts().get(mesh);
    if (!dp || !ctx) return undefined;
    const proxyless = this.opts.proxies.get(proxyKey('Dataplane', mesh, name))?.proxyless === true;
    const services = new Set(reachableServices(ctx, dp.spec));
    if (!proxyless) for (const ob of dp.spec.networking.outbound ?? []) if (ob.tags['kuma.io/service']) services.add(ob.tags['kuma.io/service']);
    const policies = explainSidecarPolicies({
      ctx,
      dataplane: dp,
      outbounds: [...services].sort().map((s) => outboundTarget(ctx, s)),
      inbounds: proxyless ? [] : inboundTargets(dp),
      proxyless,
    });
    return { dataplane: { mesh, name }, mtls: ctx.mtls, zoneEgress: ctx.zoneEgress, precedence: PRECEDENCE, policies };
  }

  /**
   * The config of a proxy in Envoy's /config_dump shape: the snapshot it is being served, or (not
   * connected) what it would get now. Private keys are redacted unless `secrets` is true.
   */
  async configDump(type: ProxyType, mesh: string | undefined, name: string, opts: { secrets?: boolean } = {}): Promise<ConfigDump | undefined> {
    const key = proxyKey(type, mesh, name);
    const proxy = { type, ...(mesh ? { mesh } : {}), name };
    let snap: Snapshot | undefined = this.opts.cache.get(key);
    const connected = this.opts.proxies.isConnected(key);
    let generatedAt = this.opts.proxies.get(key)?.generatedAt;
    if (!snap) {
      const r = this.opts.mirror.get(type, mesh, name) ?? (await this.opts.store.get(type, mesh, name));
      if (!r) return undefined;
      const out = await proxyInputs(newProxyState(r, false), this.opts.regenerator.meshContexts(), this.opts.certificates, this.opts.logger);
      if (!out) return { proxy, connected: false, versions: {}, configs: [] };
      snap = buildSnapshot(out.make(), this.opts.now());
      generatedAt = snap.createdAt;
      if (!connected) this.opts.certificates.forget(key);
    }
    return { proxy, connected, ...(generatedAt ? { generatedAt: generatedAt.toISOString() } : {}), ...configDumpOf(snap, opts.secrets === true) };
  }
}

/** A snapshot as Envoy's /config_dump: versions by type URL and the five dump sections. */
function configDumpOf(snap: Snapshot, secrets: boolean): Pick<ConfigDump, 'versions' | 'configs'> {
  const redact = (v: unknown): unknown => {
    if (secrets) return v;
    return JSON.parse(JSON.stringify(v), (k, val) => (k === 'private_key' ? { inline_bytes: Buffer.from('[redacted]').toString('base64') } : val));
  };
  const t = snap.types;
  return {
    versions: Object.fromEntries(XDS_KINDS.map((k) => [TYPE_URLS[k], t[k].version])),
    configs: [
      {
        '@type': 'type.googleapis.com/envoy.admin.v3.ClustersConfigDump',
        version_info: t.Cluster.version,
        dynamic_active_clusters: t.Cluster.resources.map((r) => ({ version_info: t.Cluster.version, cluster: r.json })),
      },
      {
        '@type': 'type.googleapis.com/envoy.admin.v3.EndpointsConfigDump',
        dynamic_endpoint_configs: t.ClusterLoadAssignment.resources.map((r) => ({ version_info: t.ClusterLoadAssignment.version, endpoint_config: r.json })),
      },
      {
        '@type': 'type.googleapis.com/envoy.admin.v3.ListenersConfigDump',
        version_info: t.Listener.version,
        dynamic_listeners: t.Listener.resources.map((r) => ({ name: r.name, active_state: { version_info: t.Listener.version, listener: r.json } })),
      },
      {
        '@type': 'type.googleapis.com/envoy.admin.v3.RoutesConfigDump',
        dynamic_route_configs: t.RouteConfiguration.resources.map((r) => ({ version_info: t.RouteConfiguration.version, route_config: r.json })),
      },
      {
        '@type': 'type.googleapis.com/envoy.admin.v3.SecretsConfigDump',
        dynamic_active_secrets: t.Secret.resources.map((r) => ({ name: r.name, version_info: t.Secret.version, secret: redact(r.json) })),
      },
    ],
  };
}
