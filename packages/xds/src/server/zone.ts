/**
 * The zone side of xDS: keeps an in-memory view of the zone's store (fed by its change feed), builds a
 * MeshContext per mesh, and keeps a snapshot for every connected proxy. Changes are coalesced (short
 * debounce); a proxy is regenerated only when the hash of its inputs (its mesh context, its own
 * resource, its certificate) changed.
 *
 * It is also the ADS server's registry: it authenticates a proxy's token (before it parses anything the
 * proxy sent), checks that the token allows the proxy's mesh, name and services, stores the Dataplane /
 * ZoneIngress / ZoneEgress the proxy sends in its node metadata, records ACK/NACK on the
 * DataplaneInsight, and deletes the proxy's resource a grace period after its last stream closed.
 */
import { createHash } from 'node:crypto';
import {
  type DataplaneSpec,
  CausewayError,
  fromUniversal,
  parseSingleDocument,
  PROXY_METADATA_LIMITS,
  shapeError,
  formatBytes,
  jsonEqual,
  type DataplaneInsightSpec,
  type MeshSpec,
  type Resource,
  type ResourceType,
  resourceKey,
  ZONE_LABEL,
  type ZoneEgressSpec,
  type ZoneIngressSpec,
} from '@causeway/core';
import {
  dataplaneTagSources,
  dpCertLifetimeMs,
  type TokenClaims,
  tokenAllows,
  verifyToken,
  WorkloadCertificates,
} from '@causeway/pki';
import { listAll, type ResourceStore, type Subscription } from '@causeway/store';
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { buildMeshContexts, computeAvailableServices, type MeshContext, proxyZone, type ZoneView } from '../context.js';
import type { ResourceSet } from '../generate/common.js';
import { generateEgress } from '../generate/egress.js';
import { generateIngress } from '../generate/ingress.js';
import { generateSidecar, type Identity } from '../generate/sidecar.js';
import { dataplaneIdentityUris, nodeId, zoneEgressSpiffeId } from '../names.js';
import { egressPolicyHash, explainSidecarPolicies, type PolicyExplanation, sidecarPolicyHash } from '../policies/index.js';
import { inboundTargets, outboundTarget } from '../policies/plugin.js';
import { reachableServices } from '../generate/sidecar.js';
import { TYPE_URLS, XDS_KINDS } from '../protos.js';
import { AdsError, type ConnectInfo, type ProxyRegistry } from './ads.js';
import { buildSnapshot, type Snapshot, SnapshotCache } from './cache.js';
import { meshCaOf, ZONE_VIEW_TYPES, zoneViewOf } from '../zone/view.js';

export type ProxyType = 'Dataplane' | 'ZoneIngress' | 'ZoneEgress';

/** Label on resources a proxy registered over ADS (only those are deleted when the proxy goes away). */
export const REGISTERED_LABEL = 'causeway.io/registered-by';

const WATCHED = ZONE_VIEW_TYPES;

export interface XdsZoneOptions {
  store: ResourceStore;
  zone: string;
  logger: Logger;
  /** The zone's token signing key (PEM): dataplane and zone tokens are verified against it. */
  signingKeyPem: string;
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
  now?: () => Date;
}

interface ProxyState {
  key: string;
  type: ProxyType;
  mesh: string | undefined;
  name: string;
  resource: Resource;
  proxyless: boolean;
  streams: Set<string>;
  inputHash?: string;
  generatedAt?: Date;
  insight: DataplaneInsightSpec;
  certExpiry?: Date;
  certRegenerations: number;
}

export function proxyKey(type: ProxyType, mesh: string | undefined, name: string): string {
  return `${type}/${mesh ?? '_'}/${name}`;
}

function hash(parts: unknown[]): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 16);
}

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

export class XdsZone implements ProxyRegistry {
  readonly cache = new SnapshotCache();
  private readonly log: Logger;
  private readonly store: ResourceStore;
  private readonly resources = new Map<string, Resource>();
  private contexts = new Map<string, MeshContext>();
  private readonly proxies = new Map<string, ProxyState>();
  private readonly deletions = new Map<string, NodeJS.Timeout>();
  private readonly certs: WorkloadCertificates;
  private readonly now: () => Date;
  private sub: Subscription | undefined;
  private pending = new Set<string>();
  private flushTimer: NodeJS.Timeout | undefined;
  private rotationTimer: NodeJS.Timeout | undefined;
  /** When the last renewal pass that had certificates due ran (ms, this.now()): see scheduleRotation. */
  private lastRenewalPassAt: number | undefined;
  private insightTimers = new Map<string, NodeJS.Timeout>();
  private work: Promise<void> = Promise.resolve();
  private closed = false;
  /** Incremented on every regeneration pass (tests and metrics). */
  generations = 0;

  constructor(private readonly opts: XdsZoneOptions) {
    this.log = opts.logger;
    this.store = opts.store;
    this.now = opts.now ?? (() => new Date());
    this.certs = new WorkloadCertificates({ now: this.now });
  }

  /** Loads the store, starts following its change feed, and schedules cleanup of proxies that left while we were down. */
  async start(): Promise<void> {
    const rev = await this.store.revision();
    for (const type of WATCHED) for (const r of await listAll(this.store, type)) this.resources.set(resourceKey(r), r);
    this.rebuildContexts();
    await this.syncAvailableServices();
    this.sub = this.store.watch(rev, (e) => {
      if (!WATCHED.has(e.type)) return;
      this.pending.add(resourceKey(e));
      this.scheduleFlush();
    });
    // Registered proxies from before a restart: deleted unless they reconnect within the grace period.
    for (const r of this.resources.values())
      if ((r.type === 'Dataplane' || r.type === 'ZoneIngress' || r.type === 'ZoneEgress') && r.labels[REGISTERED_LABEL] === 'ads')
        this.scheduleDeletion(proxyKey(r.type, r.mesh, r.name), r.type, r.mesh, r.name);
    this.scheduleRotation();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.sub?.close();
    clearTimeout(this.flushTimer);
    clearTimeout(this.rotationTimer);
    for (const t of this.deletions.values()) clearTimeout(t);
    for (const t of this.insightTimers.values()) clearTimeout(t);
    await this.work.catch(() => undefined);
  }

  /** Current mesh contexts (read-only; for diagnostics and tests). */
  meshContexts(): ReadonlyMap<string, MeshContext> {
    return this.contexts;
  }

  connectedProxies(): number {
    let n = 0;
    for (const p of this.proxies.values()) if (p.streams.size > 0) n++;
    return n;
  }

  // ---------------------------------------------------------------------------------------------
  // View and contexts

  private list<S>(type: ResourceType): Resource<S>[] {
    const out: Resource<S>[] = [];
    for (const r of this.resources.values()) if (r.type === type) out.push(r as Resource<S>);
    return out;
  }

  private meshCa(mesh: string): { certPem: string; keyPem: string } | undefined {
    const m = this.resources.get(resourceKey({ type: 'Mesh', name: mesh })) as Resource<MeshSpec> | undefined;
    return m ? meshCaOf(m, (k) => this.resources.get(k)) : undefined;
  }

  view(): ZoneView {
    return zoneViewOf(this.resources.values(), { zone: this.opts.zone, vipCidr: this.opts.vipCidr });
  }

  private rebuildContexts(): void {
    this.contexts = buildMeshContexts(this.view(), this.contexts);
  }

  private scheduleFlush(): void {
    if (this.flushTimer || this.closed) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = undefined;
      this.enqueue(() => this.flush());
    }, this.opts.debounceMs ?? 100);
  }

  private enqueue(job: () => Promise<void>): Promise<void> {
    const run = this.work.then(job).catch((e: unknown) => this.log.error({ err: (e as Error).message }, 'xDS regeneration failed'));
    this.work = run;
    return run;
  }

  private async flush(): Promise<void> {
    const keys = [...this.pending];
    this.pending.clear();
    for (const k of keys) {
      const [type, mesh, ...rest] = k.split('/');
      const name = rest.join('/');
      const r = await this.store.get(type as ResourceType, mesh === '_' ? undefined : mesh, name);
      if (r) this.resources.set(k, r);
      else this.resources.delete(k);
    }
    this.rebuildContexts();
    await this.syncAvailableServices();
    await this.regenerateAll();
    // Certificates issued during the pass may be due before the current rotation timer fires.
    this.scheduleRotation();
  }

  /** Publishes what this zone's ZoneIngresses offer (global relays it to the other zones). */
  private async syncAvailableServices(): Promise<void> {
    const view = this.view();
    const available = computeAvailableServices(view);
    for (const zi of view.zoneIngresses) {
      if (zi.labels[ZONE_LABEL] !== undefined || proxyZone(zi, this.opts.zone) !== this.opts.zone) continue;
      if (jsonEqual(zi.spec.availableServices ?? [], available)) continue;
      try {
        const { resource } = await this.store.upsert({ ...zi, spec: { ...zi.spec, zone: this.opts.zone, availableServices: available } });
        this.resources.set(resourceKey(resource), resource);
      } catch (e) {
        this.log.warn({ ingress: zi.name, err: (e as Error).message }, 'could not update the ZoneIngress available services');
      }
    }
  }

  private async regenerateAll(): Promise<void> {
    this.generations++;
    for (const p of this.proxies.values()) if (p.streams.size > 0) await this.regenerate(p);
  }

  // ---------------------------------------------------------------------------------------------
  // Generation

  private async identity(p: ProxyState, mesh: string, uris: string[], certKey: string): Promise<Identity | undefined> {
    const m = this.resources.get(resourceKey({ type: 'Mesh', name: mesh })) as Resource<MeshSpec> | undefined;
    if (!m) return undefined;
    const ca = this.meshCa(mesh);
    if (!ca) return undefined;
    const before = this.certs.needsRenewal(certKey);
    const cert = await this.certs.get(certKey, ca, { uris, lifetimeMs: dpCertLifetimeMs(m.spec) });
    if (before) p.certRegenerations = cert.generation;
    p.certExpiry = cert.notAfter;
    return { certPem: cert.certPem, keyPem: cert.keyPem };
  }

  /** Generates a proxy's resources from the current contexts (undefined when it cannot be generated yet). */
  private async generate(p: ProxyState): Promise<{ make: () => ResourceSet; inputHash: string } | undefined> {
    if (p.type === 'Dataplane') {
      const ctx = this.contexts.get(p.mesh as string);
      if (!ctx) {
        this.log.warn({ proxy: p.key }, `mesh "${p.mesh}" does not exist in this zone (yet): no config`);
        return undefined;
      }
      const dp = p.resource as Resource<DataplaneSpec>;
      let identity: Identity | undefined;
      if (ctx.mtls) {
        const uris = dataplaneIdentityUris(ctx.mesh, dp.spec);
        identity = await this.identity(p, ctx.mesh, uris, p.key);
        if (!identity || !ctx.caPem) {
          this.log.warn({ proxy: p.key }, `mesh "${ctx.mesh}" has mTLS but its CA has not reached this zone yet: waiting`);
          return undefined;
        }
      }
      return {
        // The mesh without its policies, plus the policies that can change this proxy: a policy change
        // regenerates only the proxies it selects.
        inputHash: hash([ctx.baseHash, sidecarPolicyHash(ctx, dp), dp.spec, identity?.certPem ?? '', p.proxyless]),
        make: () => generateSidecar({ ctx, dataplane: dp, ...(identity ? { identity } : {}), proxyless: p.proxyless }),
      };
    }
    const ctxHashes = [...this.contexts.values()].map((c) => c.baseHash);
    if (p.type === 'ZoneIngress') {
      const contexts = this.contexts;
      return { inputHash: hash([ctxHashes, p.resource.spec]), make: () => generateIngress({ contexts, ingress: p.resource as Resource<ZoneIngressSpec> }) };
    }
    const identities = new Map<string, Identity>();
    for (const ctx of this.contexts.values()) {
      if (!ctx.mtls) continue;
      const id = await this.identity(p, ctx.mesh, [zoneEgressSpiffeId(ctx.mesh)], `${p.key}/${ctx.mesh}`);
      if (id) identities.set(ctx.mesh, id);
    }
    const contexts = this.contexts;
    return {
      inputHash: hash([ctxHashes, egressPolicyHash(this.contexts), p.resource.spec, [...identities.values()].map((i) => i.certPem)]),
      make: () => generateEgress({ contexts, egress: p.resource as Resource<ZoneEgressSpec>, identities }),
    };
  }

  private async regenerate(p: ProxyState): Promise<void> {
    try {
      const out = await this.generate(p);
      if (!out || out.inputHash === p.inputHash) return;
      const set = out.make();
      p.inputHash = out.inputHash;
      p.generatedAt = this.now();
      this.cache.set(p.key, set);
    } catch (e) {
      this.log.error({ proxy: p.key, err: (e as Error).message }, 'could not generate config: the proxy keeps its previous config');
    }
  }

  /**
   * Arms the rotation timer. It fires at the due time of the next certificate (at most a minute ahead,
   * at least 10 ms from now); but if a renewal pass ran with certificates due within the last second, no
   * earlier than one second after that pass, whichever caller re-arms the timer (the pass itself, a
   * flush, a connect). So a certificate that stays due because its renewal keeps failing (e.g. the mesh
   * CA is missing) is retried at most once a second; and a timer that fired a little before the due time
   * (nothing due yet, so no pass ran) is re-armed for the due time, not a second later, so that a
   * short-lived certificate is not renewed after it expired.
   */
  private scheduleRotation(): void {
    if (this.closed) return;
    clearTimeout(this.rotationTimer);
    const now = this.now().getTime();
    const next = this.certs.nextRenewal();
    let at = next ? Math.min(next.getTime(), now + 60_000) : now + 60_000;
    if (this.lastRenewalPassAt !== undefined) at = Math.max(at, this.lastRenewalPassAt + 1000);
    this.rotationTimer = setTimeout(() => {
      this.enqueue(async () => {
        const due = new Set(this.certs.due());
        if (due.size > 0) {
          this.lastRenewalPassAt = this.now().getTime();
          this.log.info({ certificates: due.size }, 'rotating workload certificates');
          for (const p of this.proxies.values())
            if (p.streams.size > 0 && [...due].some((k) => k === p.key || k.startsWith(`${p.key}/`))) await this.regenerate(p);
        }
      }).finally(() => this.scheduleRotation());
    }, Math.max(at - now, 10));
    this.rotationTimer.unref();
  }

  // ---------------------------------------------------------------------------------------------
  // Registry (ADS)

  private parseProxy(info: ConnectInfo): { resource: Resource; proxyless: boolean } {
    const md = info.node.metadata ?? {};
    const raw = md['dataplane.resource'];
    let doc: unknown;
    if (typeof raw === 'string') {
      if (raw.length > PROXY_METADATA_LIMITS.maxTextBytes)
        throw new AdsError(
          grpc.status.INVALID_ARGUMENT,
          `node metadata "dataplane.resource" is ${formatBytes(raw.length)}; the limit is ${formatBytes(PROXY_METADATA_LIMITS.maxTextBytes)}`,
        );
      try {
        doc = parseSingleDocument(raw, { source: 'node metadata "dataplane.resource"', limits: PROXY_METADATA_LIMITS });
      } catch (e) {
        // The message names the document line and, for a limit, the limit (depth, values, aliases, size).
        const fields = e instanceof CausewayError ? e.fields.map((f) => `${f.field}: ${f.reason}`).join('; ') : '';
        throw new AdsError(grpc.status.INVALID_ARGUMENT, `${(e as Error).message.split('\n')[0]}${fields ? ` (${fields})` : ''}`);
      }
    } else if (raw && typeof raw === 'object') {
      const shape = shapeError(raw, PROXY_METADATA_LIMITS, 'dataplane.resource');
      if (shape) throw new AdsError(grpc.status.INVALID_ARGUMENT, `node metadata: ${shape.fields.map((f) => `${f.field}: ${f.reason}`).join('; ')}`);
      doc = raw;
    }
    else {
      // No resource sent: a Dataplane applied beforehand, found by the node id `<mesh>.<name>`.
      const id = info.node.id ?? '';
      const found = this.list<DataplaneSpec>('Dataplane').find((d) => `${d.mesh}.${d.name}` === id);
      if (!found) throw new AdsError(grpc.status.INVALID_ARGUMENT, `node "${id}" sent no "dataplane.resource" metadata and no Dataplane "${id}" (<mesh>.<name>) exists`);
      doc = { type: 'Dataplane', mesh: found.mesh, name: found.name, ...(found.spec as object) };
    }
    const { resource, errors } = fromUniversal(doc);
    if (!resource)
      throw new AdsError(grpc.status.INVALID_ARGUMENT, `invalid "dataplane.resource": ${errors.map((e) => `${e.field || 'resource'}: ${e.reason}`).join('; ')}`);
    if (resource.type !== 'Dataplane' && resource.type !== 'ZoneIngress' && resource.type !== 'ZoneEgress')
      throw new AdsError(grpc.status.INVALID_ARGUMENT, `"dataplane.resource" must be a Dataplane, ZoneIngress or ZoneEgress, not ${resource.type}`);
    const expectedId = nodeId(resource.type, resource.name, resource.mesh);
    if (info.node.id && info.node.id !== expectedId) throw new AdsError(grpc.status.INVALID_ARGUMENT, `node id "${info.node.id}" does not match the resource (expected "${expectedId}")`);
    return { resource, proxyless: md['causeway.proxyless'] === true || md['causeway.proxyless'] === 'true' };
  }

  async connect(info: ConnectInfo): Promise<string> {
    const zone = this.opts.zone;
    // Authentication comes first: nothing the proxy sent in its node metadata is parsed for a request
    // without a valid token (signature, expiry).
    let claims: TokenClaims | undefined;
    if (info.token === undefined) {
      if (this.opts.requireToken !== false)
        throw new AdsError(grpc.status.UNAUTHENTICATED, 'a token is required: send "authorization: Bearer <token>" (causeway generate dataplane-token / zone-token)');
    } else {
      try {
        claims = verifyToken(this.opts.signingKeyPem, info.token, this.now());
      } catch (e) {
        throw new AdsError(grpc.status.UNAUTHENTICATED, (e as Error).message);
      }
    }
    const { resource, proxyless } = this.parseProxy(info);
    const type = resource.type as ProxyType;
    if (claims) {
      // Authorization needs the resource: mesh, name, and the services its inbounds claim.
      const why = tokenAllows(
        claims,
        { type, name: resource.name, ...(resource.mesh ? { mesh: resource.mesh } : {}), zone, ...(type === 'Dataplane' ? { tags: dataplaneTagSources(resource.spec) } : {}) },
        { allowUntaggedDataplaneTokens: this.opts.allowUntaggedDataplaneTokens === true },
      );
      if (why) throw new AdsError(grpc.status.PERMISSION_DENIED, why);
    }
    if (type === 'Dataplane' && !this.resources.has(resourceKey({ type: 'Mesh', name: resource.mesh as string })))
      throw new AdsError(grpc.status.FAILED_PRECONDITION, `mesh "${resource.mesh}" does not exist in zone "${zone}"`);

    const key = proxyKey(type, resource.mesh, resource.name);
    const timer = this.deletions.get(key);
    if (timer) {
      clearTimeout(timer);
      this.deletions.delete(key);
    }
    let spec = resource.spec as Record<string, unknown>;
    if (type !== 'Dataplane') spec = { ...spec, zone };
    if (type === 'ZoneIngress') spec = { ...spec, availableServices: computeAvailableServices(this.view()) };
    const toStore: Resource = { ...resource, labels: { ...resource.labels, [REGISTERED_LABEL]: 'ads' }, spec };
    let stored: Resource;
    try {
      stored = (await this.store.upsert(toStore)).resource;
    } catch (e) {
      throw new AdsError(grpc.status.INVALID_ARGUMENT, `the zone refused the ${type}: ${(e as Error).message}`);
    }
    const changed = !jsonEqual(this.resources.get(resourceKey(stored))?.spec, stored.spec);
    this.resources.set(resourceKey(stored), stored);
    let p = this.proxies.get(key);
    if (!p) {
      p = { key, type, mesh: stored.mesh, name: stored.name, resource: stored, proxyless, streams: new Set(), insight: {}, certRegenerations: 0 };
      this.proxies.set(key, p);
    } else {
      if (!jsonEqual(p.resource.spec, stored.spec)) p.inputHash = undefined;
      p.resource = stored;
      p.proxyless = proxyless;
    }
    p.streams.add(info.streamId);
    const subs = (p.insight.subscriptions ?? []).filter((s) => s.disconnectTime !== undefined).slice(-4);
    subs.push({ id: info.streamId, ...(this.opts.instanceId ? { controlPlaneInstanceId: this.opts.instanceId } : {}), connectTime: this.now().toISOString(), status: {} });
    p.insight.subscriptions = subs;
    this.writeInsight(p);
    if (changed) {
      // A new or changed proxy changes its mesh (endpoints, VIPs): its first config comes with the next
      // coalesced rebuild, so a storm of connecting proxies rebuilds the contexts once, not once each.
      this.pending.add(resourceKey(stored));
      this.scheduleFlush();
    } else {
      const proxy = p;
      await this.enqueue(() => this.regenerate(proxy));
    }
    this.scheduleRotation();
    return key;
  }

  disconnect(key: string, streamId: string): void {
    const p = this.proxies.get(key);
    if (!p) return;
    p.streams.delete(streamId);
    const sub = p.insight.subscriptions?.find((s) => s.id === streamId);
    if (sub) sub.disconnectTime = this.now().toISOString();
    this.writeInsight(p);
    if (p.streams.size === 0) this.scheduleDeletion(key, p.type, p.mesh, p.name);
  }

  private scheduleDeletion(key: string, type: ProxyType, mesh: string | undefined, name: string): void {
    if (this.closed || this.deletions.has(key)) return;
    const t = setTimeout(() => {
      this.deletions.delete(key);
      const p = this.proxies.get(key);
      if (p && p.streams.size > 0) return;
      this.enqueue(async () => {
        this.proxies.delete(key);
        this.cache.delete(key);
        this.certs.forget(key);
        for (const m of this.contexts.keys()) this.certs.forget(`${key}/${m}`);
        try {
          await this.store.delete(type, mesh, name);
          this.log.info({ proxy: key }, 'proxy gone for good: its resource was deleted');
        } catch (e) {
          this.log.debug({ proxy: key, err: (e as Error).message }, 'proxy resource already gone');
        }
        if (type === 'Dataplane') await this.store.delete('DataplaneInsight', mesh, name).catch(() => undefined);
      });
    }, this.opts.proxyGraceMs ?? 30_000);
    t.unref();
    this.deletions.set(key, t);
  }

  private subscription(key: string, streamId: string) {
    return this.proxies.get(key)?.insight.subscriptions?.find((s) => s.id === streamId);
  }

  onResponse(key: string, streamId: string): void {
    const s = this.subscription(key, streamId);
    if (!s) return;
    s.status = { ...s.status, lastUpdateTime: this.now().toISOString(), responsesSent: (s.status?.responsesSent ?? 0) + 1 };
    this.writeInsight(this.proxies.get(key) as ProxyState);
  }

  onAck(key: string, streamId: string): void {
    const s = this.subscription(key, streamId);
    if (!s) return;
    s.status = { ...s.status, responsesAcknowledged: (s.status?.responsesAcknowledged ?? 0) + 1 };
    this.writeInsight(this.proxies.get(key) as ProxyState);
  }

  onNack(key: string, streamId: string, typeUrl: string, _version: string, error: string): void {
    const p = this.proxies.get(key);
    const s = this.subscription(key, streamId);
    if (!p || !s) return;
    s.status = { ...s.status, responsesRejected: (s.status?.responsesRejected ?? 0) + 1 };
    s.lastNack = { typeUrl, error: error.slice(0, 2000), time: this.now().toISOString() };
    this.writeInsight(p, true);
  }

  /** Writes the DataplaneInsight of a Dataplane (coalesced; at once for a NACK). */
  private writeInsight(p: ProxyState, now = false): void {
    if (p.type !== 'Dataplane' || this.closed) return;
    const write = () => {
      this.insightTimers.delete(p.key);
      const spec: DataplaneInsightSpec = {
        ...p.insight,
        ...(p.certExpiry
          ? { mTLS: { certificateExpirationTime: p.certExpiry.toISOString(), certificateRegenerations: Math.max(0, p.certRegenerations - 1), lastCertificateRegeneration: p.generatedAt?.toISOString() } }
          : {}),
      };
      this.store
        .upsert({ type: 'DataplaneInsight', mesh: p.mesh as string, name: p.name, labels: {}, spec, version: 0 })
        .catch((e: unknown) => this.log.debug({ proxy: p.key, err: (e as Error).message }, 'could not write the DataplaneInsight'));
    };
    const pending = this.insightTimers.get(p.key);
    if (now) {
      clearTimeout(pending);
      write();
      return;
    }
    if (pending) return;
    const t = setTimeout(write, 500);
    t.unref();
    this.insightTimers.set(p.key, t);
  }

  // ---------------------------------------------------------------------------------------------
  // Policies of a proxy

  /**
   * Which traffic policies apply to a Dataplane and why: per policy type, the policies whose top-level
   * targetRef selects it, and per outbound / inbound the entries that apply (with their precedence) and
   * the merged result. Undefined when the Dataplane or its mesh is unknown.
   */
  async policies(mesh: string, name: string): Promise<DataplanePolicies | undefined> {
    const dp = (this.resources.get(resourceKey({ type: 'Dataplane', mesh, name })) ?? (await this.store.get('Dataplane', mesh, name))) as Resource<DataplaneSpec> | undefined;
    const ctx = this.contexts.get(mesh);
    if (!dp || !ctx) return undefined;
    const proxyless = this.proxies.get(proxyKey('Dataplane', mesh, name))?.proxyless === true;
    const services = new Set(reachableServices(ctx, dp.spec));
    if (!proxyless) for (const ob of dp.spec.networking.outbound ?? []) if (ob.tags['kuma.io/service']) services.add(ob.tags['kuma.io/service']);
    const policies = explainSidecarPolicies({
      ctx,
      dataplane: dp,
      outbounds: [...services].sort().map((s) => outboundTarget(ctx, s)),
      inbounds: proxyless ? [] : inboundTargets(dp),
      proxyless,
    });
    return {
      dataplane: { mesh, name },
      mtls: ctx.mtls,
      zoneEgress: ctx.zoneEgress,
      precedence:
        'ascending: top-level targetRef kind (Mesh < MeshSubset < MeshService < MeshServiceSubset), then the entry targetRef kind, then the policy name (the lexicographically smaller name wins), then the position in to[]/from[]; the highest precedence wins each field it sets',
      policies,
    };
  }

  // ---------------------------------------------------------------------------------------------
  // Config dump

  /**
   * The config of a proxy in Envoy's /config_dump shape: the snapshot it is being served, or (not
   * connected) what it would get now. Private keys are redacted unless `secrets` is true.
   */
  async configDump(type: ProxyType, mesh: string | undefined, name: string, opts: { secrets?: boolean } = {}): Promise<ConfigDump | undefined> {
    const key = proxyKey(type, mesh, name);
    let snap: Snapshot | undefined = this.cache.get(key);
    const connected = (this.proxies.get(key)?.streams.size ?? 0) > 0;
    let generatedAt = this.proxies.get(key)?.generatedAt;
    if (!snap) {
      const r = this.resources.get(resourceKey({ type, ...(mesh ? { mesh } : {}), name })) ?? (await this.store.get(type, mesh, name));
      if (!r) return undefined;
      const tmp: ProxyState = { key, type, mesh, name, resource: r, proxyless: false, streams: new Set(), insight: {}, certRegenerations: 0 };
      const out = await this.generate(tmp);
      if (!out) return { proxy: { type, ...(mesh ? { mesh } : {}), name }, connected: false, versions: {}, configs: [] };
      snap = buildSnapshot(out.make(), this.now());
      generatedAt = snap.createdAt;
      if (!connected) this.certs.forget(key);
    }
    const redact = (v: unknown): unknown => {
      if (opts.secrets) return v;
      return JSON.parse(JSON.stringify(v), (k, val) => (k === 'private_key' ? { inline_bytes: Buffer.from('[redacted]').toString('base64') } : val));
    };
    const t = snap.types;
    const versions = Object.fromEntries(XDS_KINDS.map((k) => [TYPE_URLS[k], t[k].version]));
    return {
      proxy: { type, ...(mesh ? { mesh } : {}), name },
      connected,
      ...(generatedAt ? { generatedAt: generatedAt.toISOString() } : {}),
      versions,
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
}
