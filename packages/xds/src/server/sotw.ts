/**
 * State of the world (`StreamAggregatedResources`). Per type the stream keeps the subscribed names, the
 * last version and nonce sent, and the last ACKed version. Every response holds the whole set of its type
 * (or of the names subscribed). A NACK is reported and the rejected version is not sent again: the proxy
 * keeps its last good config until a newer snapshot arrives.
 */
import { TYPE_URLS, type XdsKind } from '@causeway/envoy';
import { discoveryResponse, PUSH_ORDER, type Snapshot } from './cache.js';
import type { StreamProtocol, StreamSession } from './stream.js';
import type { DiscoveryRequest } from './types.js';

interface TypeState {
  /** Subscribed names; undefined = wildcard (everything). */
  names: string[] | undefined;
  sentVersion?: string;
  sentNonce?: string;
  ackedVersion?: string;
  /** A version the proxy rejected: not sent again. */
  nackedVersion?: string;
}

export class SotwStream implements StreamProtocol<DiscoveryRequest> {
  private readonly types = new Map<string, TypeState>();

  constructor(private readonly session: StreamSession) {}

  private send(kind: XdsKind, snap: Snapshot, t: TypeState, force: boolean): void {
    const ts = snap.types[kind];
    const resources = t.names === undefined ? ts.resources : t.names.flatMap((n) => ts.find(n) ?? []);
    const version = t.names === undefined ? ts.version : `${ts.version}-${resources.length}`;
    if (!force && version === t.sentVersion) return;
    if (version === t.nackedVersion) return;
    const nonce = this.session.nextNonce();
    t.sentVersion = version;
    t.sentNonce = nonce;
    this.session.send(TYPE_URLS[kind], version, discoveryResponse(version, resources, TYPE_URLS[kind], nonce));
  }

  pushChanged(snap: Snapshot, changed: readonly XdsKind[]): void {
    for (const kind of PUSH_ORDER) {
      if (!changed.includes(kind)) continue;
      const t = this.types.get(TYPE_URLS[kind]);
      if (t) this.send(kind, snap, t, false);
    }
  }

  request(req: DiscoveryRequest, kind: XdsKind): void {
    const { session } = this;
    const url = TYPE_URLS[kind];
    let t = this.types.get(url);
    const names = req.resource_names && req.resource_names.length > 0 ? [...req.resource_names].sort() : undefined;
    if (!t) {
      t = { names };
      this.types.set(url, t);
    }
    if (req.response_nonce) {
      if (req.response_nonce !== t.sentNonce) return; // a reply to an older response: superseded
      if (req.error_detail) {
        t.nackedVersion = t.sentVersion;
        session.nacked(url, t.sentVersion ?? '', req.error_detail.message ?? `code ${req.error_detail.code ?? '?'}`);
      } else {
        t.ackedVersion = req.version_info ?? t.sentVersion;
        session.acked(url, t.ackedVersion ?? '');
      }
    }
    const namesChanged = (names ?? []).join('\0') !== (t.names ?? []).join('\0') || (names === undefined) !== (t.names === undefined);
    t.names = names;
    const snap = session.snapshot();
    if (!snap) return; // sent when the first snapshot lands
    if (t.sentNonce === undefined || namesChanged) this.send(kind, snap, t, namesChanged);
  }
}
