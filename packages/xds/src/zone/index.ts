/**
 * The zone side of xDS, `XdsZone`: a thin facade over the rooms of the zone controller.
 * - mirror.ts: the zone's store in memory (change feed) and the ZoneView of it (view.ts: `zoneViewOf`);
 * - regenerator.ts: debounced passes (mesh contexts, per-proxy input hashes from inputs.ts), certificate
 *   rotation (certificates.ts);
 * - registry.ts: the ADS server's registry (admission.ts: token and node-metadata.ts; insights.ts;
 *   admin-endpoint.ts: where the proxy's admin port / metrics listen; the grace-period deletion of
 *   proxies that left);
 * - ingress-services.ts: the available services of this zone's ZoneIngresses (published by sync);
 * - inspect.ts: policies of a Dataplane, config dumps.
 */
import type { ResourceStore } from '@causeway/store';
import type { Logger } from 'pino';
import type { MeshContext, ZoneView } from '../context.js';
import type { ConnectInfo, ProxyRegistry } from '../server/ads.js';
import { SnapshotCache } from '../server/cache.js';
import { Admission, type AdmissionOptions } from './admission.js';
import { Certificates } from './certificates.js';
import { IngressServices } from './ingress-services.js';
import { Insights } from './insights.js';
import { type ConfigDump, type DataplanePolicies, Inspector } from './inspect.js';
import { StoreMirror } from './mirror.js';
import { Proxies, type ProxyType } from './proxies.js';
import { Regenerator } from './regenerator.js';
import { Registry } from './registry.js';
import { TurnBudget } from './slices.js';

export { ADMIN_ADDRESS_LABEL, ADMIN_ADDRESS_METADATA, ADMIN_PORT_METADATA, type AdminEndpoint, adminEndpointOf, metricsTarget, withAdminEndpoint } from './admin-endpoint.js';
export type { ConfigDump, DataplanePolicies } from './inspect.js';
export { type ProxyType, REGISTERED_LABEL } from './proxies.js';
export { ZONE_VIEW_TYPES, zoneViewOf } from './view.js';

export interface XdsZoneOptions {
  store: ResourceStore;
  zone: string;
  logger: Logger;
  /** The zone's token signing key (PEM): dataplane and zone tokens are verified against it. */
  signingKeyPem: string;
  /** Verifies a token instead of checking it against `signingKeyPem` alone (see AdmissionOptions.verifyToken). */
  verifyToken?: AdmissionOptions['verifyToken'];
  /** Refuse proxies without a token (default true). A token that is sent is always verified and checked. */
  requireToken?: boolean;
  /**
   * Accept dataplane tokens issued without `kuma.io/service` tags (default false: such a token would let a
   * proxy claim any service's identity, so it is refused with PERMISSION_DENIED). The zone's
   * `--allow-untagged-dataplane-tokens`.
   */
  allowUntaggedDataplaneTokens?: boolean;
  /** Coalescing window for store changes, ms (default 100). */
  debounceMs?: number;
  /** How long a proxy's resource stays after its last stream closed, ms (default 30 s). */
  proxyGraceMs?: number;
  vipCidr?: string;
  instanceId?: string;
  /** Longest delay of a DataplaneInsight write that only updates response/ACK counters, ms (default 10 s). */
  insightFlushMs?: number;
  now?: () => Date;
}

export class XdsZone implements ProxyRegistry {
  readonly cache = new SnapshotCache();
  private readonly mirror: StoreMirror;
  private readonly proxies = new Proxies();
  private readonly regenerator: Regenerator;
  private readonly ingressServices: IngressServices;
  private readonly insights: Insights;
  private readonly admission: Admission;
  private readonly registry: Registry;
  private readonly inspector: Inspector;

  constructor(opts: XdsZoneOptions) {
    const { store, zone, logger } = opts;
    const now = opts.now ?? (() => new Date());
    this.mirror = new StoreMirror({ store, zone, vipCidr: opts.vipCidr, onChange: () => this.regenerator.schedule() });
    const certificates = new Certificates(this.mirror, now);
    this.ingressServices = new IngressServices({ store, mirror: this.mirror, zone, logger });
    // One budget of sliced work per turn of the event loop for passes, admissions and registrations (slices.ts).
    const budget = new TurnBudget(20);
    const common = { mirror: this.mirror, proxies: this.proxies, certificates, cache: this.cache, logger, now, budget };
    this.regenerator = new Regenerator({ ...common, debounceMs: opts.debounceMs, afterPass: () => this.ingressServices.publish() });
    this.insights = new Insights({ store, logger, now, instanceId: opts.instanceId, statusFlushMs: opts.insightFlushMs, budget });
    this.admission = new Admission({ ...opts, now, dataplanes: () => this.mirror.list('Dataplane') });
    this.registry = new Registry({ ...common, zone, store, admission: this.admission, insights: this.insights, regenerator: this.regenerator, ingressServices: this.ingressServices, proxyGraceMs: opts.proxyGraceMs, instanceId: opts.instanceId });
    this.inspector = new Inspector({ ...common, store, regenerator: this.regenerator });
  }

  /** Loads the store, starts following its change feed, and schedules cleanup of proxies that left while we were down. */
  async start(): Promise<void> {
    const revision = await this.mirror.load();
    this.regenerator.rebuild();
    await this.ingressServices.publish();
    this.mirror.follow(revision);
    this.registry.expireLeftovers();
    this.regenerator.scheduleRotation();
  }

  async close(): Promise<void> {
    this.mirror.close();
    this.registry.close();
    this.insights.close();
    await this.regenerator.close();
  }

  /** Current mesh contexts (read-only; for diagnostics and tests). */
  meshContexts(): ReadonlyMap<string, MeshContext> {
    return this.regenerator.meshContexts();
  }

  /** The zone's view of its store. */
  view(): ZoneView {
    return this.mirror.view();
  }

  connectedProxies(): number {
    return this.proxies.connectedCount();
  }

  /** Regeneration passes so far (tests and metrics). */
  get generations(): number {
    return this.regenerator.generations;
  }

  connect(info: ConnectInfo): Promise<string> {
    return this.registry.connect(info);
  }

  disconnect(key: string, streamId: string): void {
    this.registry.disconnect(key, streamId);
  }

  onResponse(key: string, streamId: string): void {
    this.registry.onResponse(key, streamId);
  }

  onAck(key: string, streamId: string): void {
    this.registry.onAck(key, streamId);
  }

  onNack(key: string, streamId: string, typeUrl: string, version: string, error: string): void {
    this.registry.onNack(key, streamId, typeUrl, version, error);
  }

  /** Which traffic policies apply to a Dataplane and why (undefined when it or its mesh is unknown). */
  policies(mesh: string, name: string): Promise<DataplanePolicies | undefined> {
    return this.inspector.policies(mesh, name);
  }

  /** A proxy's config in Envoy's /config_dump shape (private keys redacted unless `secrets`). */
  configDump(type: ProxyType, mesh: string | undefined, name: string, opts: { secrets?: boolean } = {}): Promise<ConfigDump | undefined> {
    return this.inspector.configDump(type, mesh, name, opts);
  }
}
