/**
 * Incremental xDS (`DeltaAggregatedResources`). Per type the stream keeps the subscription (wildcard
 * and/or names) and the version of every resource the proxy holds, as far as the server knows: what it
 * sent, or what the proxy said it had when the stream opened (`initial_resource_versions`). A response
 * carries only the resources whose version differs from that and the names of those gone
 * (`removed_resources`); a snapshot change in which nothing differs for this proxy sends nothing. The
 * version of a resource is its content hash, so a resource shared by many proxies is encoded once and
 * its `Resource` wrapper too (cache.ts). When the stream is current with the previous snapshot, a change
 * is sent from the cache's diff (what was added, changed, removed) without looking at the rest. Each response is ACKed or NACKed by its nonce; a NACKed resource
 * is not sent again until it changes (the proxy keeps what it had).
 *
 * What a wildcard stream holds is, after every response, exactly the type snapshot it was brought up to:
 * its `Known` is that snapshot (one reference, looked up through the snapshot's blocks: no map of ~1,000
 * names per proxy and stream). Named subscriptions and `initial_resource_versions` are kept as
 * differences from that snapshot (or from nothing).
 *
 * Subscriptions follow Envoy's rules: the first request of a type with no names (or with `*`) is a
 * wildcard; later requests add and remove names (`*` included). The first request of a type is always
 * answered, also when nothing differs (an empty response), so a proxy knows it is current.
 */
import { TYPE_URLS, type XdsKind } from '@causeway/envoy';
import { deltaDiscoveryResponse, type PackedResource, PUSH_ORDER, type Snapshot, type SnapshotDiff, type TypeDiff, type TypeSnapshot } from './cache.js';
import type { StreamProtocol, StreamSession } from './stream.js';
import type { DeltaDiscoveryRequest } from './types.js';

/** Responses awaiting their ACK/NACK, per type; older ones are forgotten beyond this many. */
const MAX_PENDING = 32;

/**
 * The resource versions a proxy holds (as far as the server knows), by name: a type snapshot it holds
 * whole (`base`, when it does) and the differences from it (a version, or null: not held).
 */
class Known {
  private base: TypeSnapshot | undefined;
  private readonly diff = new Map<string, string | null>();

  get(name: string): string | undefined {
    const d = this.diff.get(name);
    if (d === null) return undefined;
    return d ?? this.base?.find(name)?.hash;
  }

  has(name: string): boolean {
    return this.get(name) !== undefined;
  }

  set(name: string, hash: string): void {
    this.diff.set(name, hash);
  }

  delete(name: string): void {
    if (this.base?.find(name)) this.diff.set(name, null);
    else this.diff.delete(name);
  }

  /** The proxy now holds exactly `ts`. */
  rebase(ts: TypeSnapshot): void {
    this.base = ts;
    this.diff.clear();
  }

  /** The names held. */
  *names(): Generator<string> {
    if (this.base) for (const r of this.base.resources) if (this.diff.get(r.name) !== null) yield r.name;
    for (const [name, hash] of this.diff) if (hash !== null && !this.base?.find(name)) yield name;
  }
}

interface TypeState {
  wildcard: boolean;
  names: Set<string>;
  /** Resource versions the proxy holds (as far as the server knows). */
  known: Known;
  /** Names the proxy subscribed to that do not exist: told once (in removed_resources). */
  toldMissing: Set<string>;
  /** Whether the next push must answer even when nothing differs (the type's first request). */
  answerDue: boolean;
  /** system_version_info of responses awaiting an ACK/NACK, by nonce. */
  pending: Map<string, string>;
  /**
   * The type version `known` was last brought up to (for the subscription): a snapshot change from this
   * version is sent from the cache's diff alone, without comparing every resource.
   */
  syncedVersion: string | undefined;
}

export class DeltaStream implements StreamProtocol<DeltaDiscoveryRequest> {
  private readonly types = new Map<XdsKind, TypeState>();

  constructor(private readonly session: StreamSession) {}

  request(req: DeltaDiscoveryRequest, kind: XdsKind): void {
    const { session } = this;
    const url = TYPE_URLS[kind];
    const subscribe = req.resource_names_subscribe ?? [];
    const unsubscribe = req.resource_names_unsubscribe ?? [];
    let t = this.types.get(kind);
    let subscriptionChanged = false;
    /** Whether the whole subscription must be looked at again (the first request, `*` added or removed). */
    let whole = false;
    const added: string[] = [];
    const dropped: string[] = [];
    // Names and versions are kept as the snapshot's own strings where it has them: a name a thousand
    // proxies subscribe to is then one string, not one decoded from each proxy's request.
    const current = session.snapshot()?.types[kind];
    if (!t) {
      t = { wildcard: subscribe.length === 0, names: new Set(), known: new Known(), toldMissing: new Set(), answerDue: true, pending: new Map(), syncedVersion: undefined };
      this.types.set(kind, t);
      for (const [name, version] of Object.entries(req.initial_resource_versions ?? {})) {
        const r = current?.find(name);
        t.known.set(r?.name ?? name, r?.hash === version ? r.hash : version);
      }
      subscriptionChanged = whole = true;
    }
    for (const requested of subscribe) {
      const name = current?.find(requested)?.name ?? requested;
      if (name === '*') {
        t.wildcard = true;
        whole = true;
      } else if (!t.names.has(name)) {
        t.names.add(name);
        added.push(name);
      } else continue;
      subscriptionChanged = true;
    }
    for (const name of unsubscribe) {
      if (name === '*') {
        t.wildcard = false;
        whole = true;
      } else if (t.names.delete(name)) {
        t.toldMissing.delete(name);
        dropped.push(name);
      } else continue;
      subscriptionChanged = true;
    }
    if (subscriptionChanged && !t.wildcard) {
      // The proxy forgets what it unsubscribed from: so does the server.
      const forget = whole ? [...t.known.names()].filter((name) => !t.names.has(name)) : dropped;
      for (const name of forget) t.known.delete(name);
    }
    if (req.response_nonce) {
      const version = t.pending.get(req.response_nonce);
      if (version !== undefined) {
        t.pending.delete(req.response_nonce);
        if (req.error_detail) session.nacked(url, version, req.error_detail.message ?? `code ${req.error_detail.code ?? '?'}`);
        else session.acked(url, version);
      }
    }
    const snap = session.snapshot();
    if (!snap || !subscriptionChanged) return;
    // A proxy re-subscribes whenever what its listeners and clusters reference changes (a new route, a
    // new EDS cluster): when the stream is current with this snapshot, only the names it added can differ
    // from what it holds; looking at its whole subscription (hundreds of names) for each of those
    // requests of every proxy was ~20 % of a zone's CPU per ExternalService change at 1,000 proxies.
    if (!whole && !t.wildcard && !t.answerDue && t.syncedVersion === snap.types[kind].version) this.pushNames(kind, snap, t, added);
    else this.push(kind, snap, t);
  }

  pushChanged(snap: Snapshot, changed: readonly XdsKind[], diff: SnapshotDiff): void {
    for (const kind of PUSH_ORDER) {
      const t = this.types.get(kind);
      if (!t) continue;
      const d = diff[kind];
      if (d && d.from === t.syncedVersion && !t.answerDue) this.pushDiff(kind, snap, t, d);
      // A type whose first request is still unanswered is answered now, changed or not.
      else if (changed.includes(kind) || t.answerDue) this.push(kind, snap, t);
    }
  }

  /** Sends the cache's diff of a type, as far as this stream subscribes to it. */
  private pushDiff(kind: XdsKind, snap: Snapshot, t: TypeState, d: TypeDiff): void {
    const wanted = (name: string) => t.wildcard || t.names.has(name);
    const send = d.changed.filter((r) => wanted(r.name) && t.known.get(r.name) !== r.hash);
    const removed = d.removed.filter((name) => t.known.has(name));
    this.respond(kind, snap, t, send, removed);
  }

  /** Sends what differs between the proxy's snapshot and what it holds, if anything (or if an answer is due). */
  private push(kind: XdsKind, snap: Snapshot, t: TypeState): void {
    const ts = snap.types[kind];
    const send: PackedResource[] = [];
    const removed: string[] = [];
    if (t.wildcard) for (const r of ts.resources) if (t.known.get(r.name) !== r.hash) send.push(r);
    // A wildcard stream already has its named resources in `send`: the names only say what is missing.
    this.named(ts, t, t.names, t.wildcard ? undefined : send, removed);
    for (const name of t.known.names()) {
      if (!ts.find(name)) removed.push(name);
    }
    this.respond(kind, snap, t, send, removed);
  }

  /** Sends the subscribed `names` that differ from what the proxy holds, or says once that they do not exist. */
  private pushNames(kind: XdsKind, snap: Snapshot, t: TypeState, names: readonly string[]): void {
    const send: PackedResource[] = [];
    const removed: string[] = [];
    this.named(snap.types[kind], t, names, send, removed);
    this.respond(kind, snap, t, send, removed);
  }

  /**
   * Of the subscribed `names`: those that exist and differ from what the proxy holds go to `send` (when
   * given), those that do not exist to `removed`, once (subscribed, does not exist: said so once).
   */
  private named(ts: TypeSnapshot, t: TypeState, names: Iterable<string>, send: PackedResource[] | undefined, removed: string[]): void {
    for (const name of names) {
      const r = ts.find(name);
      if (r) {
        t.toldMissing.delete(name);
        if (send && t.known.get(name) !== r.hash) send.push(r);
      } else if (!t.known.has(name) && !t.toldMissing.has(name)) {
        removed.push(name);
        t.toldMissing.add(name);
      }
    }
  }

  private respond(kind: XdsKind, snap: Snapshot, t: TypeState, send: readonly PackedResource[], removed: readonly string[]): void {
    const ts = snap.types[kind];
    t.syncedVersion = ts.version;
    if (t.wildcard) t.known.rebase(ts); // what a wildcard stream holds after this response: all of ts
    if (send.length === 0 && removed.length === 0 && !t.answerDue) return;
    t.answerDue = false;
    if (!t.wildcard) {
      for (const r of send) t.known.set(r.name, r.hash);
      for (const name of removed) t.known.delete(name);
    }
    const nonce = this.session.nextNonce();
    t.pending.set(nonce, ts.version);
    if (t.pending.size > MAX_PENDING) t.pending.delete(t.pending.keys().next().value as string);
    this.session.send(TYPE_URLS[kind], ts.version, deltaDiscoveryResponse(ts.version, send, removed, TYPE_URLS[kind], nonce));
  }
}
