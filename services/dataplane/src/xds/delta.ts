/**
 * Incremental xDS (`DeltaAggregatedResources`): a response carries only the resources that changed (each
 * with its own version) and the names of those removed. The client keeps, per type, the resources it
 * holds; it applies a response to a copy and hands the sink the whole set (so the proxy sees the same
 * updates as with state of the world), ACKs it with the nonce alone, or NACKs it with error_detail and
 * keeps what it had. Subscriptions: wildcard for Listener and Cluster (an empty first subscribe), names
 * for the others, changed later by subscribe/unsubscribe deltas. On a new stream it sends, per type, the
 * versions it holds (`initial_resource_versions`), so a control plane that still has them sends nothing.
 */
import type { ResourceKind } from '../proxy.js';
import { type AdsProtocol, NAMED_KINDS, ORDER, type RawAny, type StreamContext, TYPE_URL, WILDCARD } from './protocol.js';
import { decodeResources, referencedNames } from './sotw.js';

interface Held {
  version: string;
  resource: unknown;
}

interface TypeState {
  /** Resources held (applied), by name. */
  held: Map<string, Held>;
  /** Names subscribed (named types). */
  names: Set<string>;
  /** Whether this type was subscribed on the current stream. */
  subscribed: boolean;
  /** system_version_info of the last applied response. */
  version: string;
}

interface DeltaResource {
  name?: string;
  version?: string;
  resource?: RawAny;
}

export class DeltaProtocol implements AdsProtocol {
  readonly method = 'DeltaAggregatedResources';
  readonly requestType = 'envoy.service.discovery.v3.DeltaDiscoveryRequest';
  private readonly types = new Map<ResourceKind, TypeState>(ORDER.map((k) => [k, { held: new Map(), names: new Set(), subscribed: false, version: '' }]));

  open(ctx: StreamContext): void {
    for (const kind of ORDER) {
      const t = this.types.get(kind) as TypeState;
      t.subscribed = false;
      if (WILDCARD.has(kind)) {
        this.subscribe(ctx, kind, [], t.held.keys());
      } else {
        t.names = new Set(referencedNames(ctx.sink, kind));
        // Resources no longer referenced are forgotten (the control plane is not told about them).
        for (const name of [...t.held.keys()]) if (!t.names.has(name)) t.held.delete(name);
        if (t.names.size > 0) this.subscribe(ctx, kind, [...t.names], t.names);
      }
    }
  }

  /** The first request of a type on a stream: what it subscribes to and the versions it already holds. */
  private subscribe(ctx: StreamContext, kind: ResourceKind, names: string[], initialFor: Iterable<string>): void {
    const t = this.types.get(kind) as TypeState;
    const initial: Record<string, string> = {};
    for (const name of initialFor) {
      const h = t.held.get(name);
      if (h) initial[name] = h.version;
    }
    t.subscribed = true;
    ctx.write({ type_url: TYPE_URL[kind], resource_names_subscribe: names, initial_resource_versions: initial });
  }

  resubscribe(ctx: StreamContext): void {
    for (const kind of NAMED_KINDS) {
      const t = this.types.get(kind) as TypeState;
      const wanted = new Set(referencedNames(ctx.sink, kind));
      if (!t.subscribed) {
        if (wanted.size > 0) {
          t.names = wanted;
          this.subscribe(ctx, kind, [...wanted], wanted);
        }
        continue;
      }
      const add = [...wanted].filter((n) => !t.names.has(n));
      const drop = [...t.names].filter((n) => !wanted.has(n));
      if (add.length === 0 && drop.length === 0) continue;
      t.names = wanted;
      for (const n of drop) t.held.delete(n);
      ctx.write({ type_url: TYPE_URL[kind], resource_names_subscribe: add, resource_names_unsubscribe: drop });
    }
  }

  async onResponse(ctx: StreamContext, res: Record<string, unknown>, kind: ResourceKind): Promise<void> {
    const t = this.types.get(kind) as TypeState;
    const nonce = String(res.nonce ?? '');
    const version = String(res.system_version_info ?? '');
    const changed = (res.resources ?? []) as DeltaResource[];
    const removed = (res.removed_resources ?? []) as string[];
    const next = new Map(t.held);
    try {
      const decoded = decodeResources(
        kind,
        changed.map((r) => r.resource ?? { type_url: '', value: Buffer.alloc(0) }),
        (i) => `resources[${i}] (${changed[i]?.name ?? 'no name'})`,
      );
      changed.forEach((r, i) => {
        if (!r.name) throw new Error(`resources[${i}]: no name`);
        next.set(r.name, { version: r.version ?? '', resource: decoded[i] });
      });
      for (const name of removed) next.delete(name);
      const names = [...next.keys()].sort();
      await ctx.sink.update(
        kind,
        names.map((n) => (next.get(n) as Held).resource),
        version,
      );
    } catch (e) {
      ctx.rejected(kind, version, (e as Error).message);
      ctx.write({ type_url: TYPE_URL[kind], response_nonce: nonce, error_detail: { code: 3, message: (e as Error).message } });
      return;
    }
    t.held = next;
    t.version = version;
    ctx.accepted(kind, version, changed.length);
    ctx.write({ type_url: TYPE_URL[kind], response_nonce: nonce });
  }
}
