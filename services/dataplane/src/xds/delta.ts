/**
 * Incremental xDS (`DeltaAggregatedResources`): a response carries only the resources that changed (each
 * with its own version) and the names of those removed. The client keeps, per type, the resources it
 * holds; it applies a response in place and hands the sink the whole set (so the proxy sees the same
 * updates as with state of the world), ACKs it with the nonce alone, or NACKs it with error_detail and
 * puts back what it had (an undo list of what the response replaced: a response of one resource costs
 * that resource, not a copy of the thousand held; the sorted list the sink gets is patched: held.ts).
 * Subscriptions: wildcard for Listener and Cluster (an empty first subscribe), names
 * for the others, changed later by subscribe/unsubscribe deltas. On a new stream it sends, per type, the
 * versions it holds (`initial_resource_versions`), so a control plane that still has them sends nothing.
 */
import type { ResourceKind } from '../proxy.js';
import { type AdsProtocol, NAMED_KINDS, ORDER, type RawAny, type StreamContext, TYPE_URL, WILDCARD } from './protocol.js';
import { type Held, HeldSet } from './held.js';
import { decodeResources, referencedNames } from './sotw.js';

interface TypeState {
  /** Resources held (applied), by name, with the sorted list the sink is handed. */
  held: HeldSet;
  /** Names subscribed (named types). */
  names: Set<string>;
  /** The sink's list `names` was last made from: the same list again changes nothing (no sets made). */
  namesFrom: readonly string[] | undefined;
  /** Whether this type was subscribed on the current stream. */
  subscribed: boolean;
  /**
   * The names a response being applied changed in `held` (not yet accepted: put back if the proxy refuses
   * it). A stream opened meanwhile does not announce their versions, so the control plane sends them again
   * whichever way the update ends.
   */
  applying: ReadonlySet<string> | undefined;
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
  private readonly types = new Map<ResourceKind, TypeState>(ORDER.map((k) => [k, { held: new HeldSet(), names: new Set(), namesFrom: undefined, subscribed: false, applying: undefined, version: '' }]));

  open(ctx: StreamContext): void {
    for (const kind of ORDER) {
      const t = this.types.get(kind) as TypeState;
      t.subscribed = false;
      if (WILDCARD.has(kind)) {
        this.subscribe(ctx, kind, [], t.held.keys());
      } else {
        t.namesFrom = referencedNames(ctx.sink, kind);
        t.names = new Set(t.namesFrom);
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
      const h = t.applying?.has(name) ? undefined : t.held.get(name);
      if (h) initial[name] = h.version;
    }
    t.subscribed = true;
    ctx.write({ type_url: TYPE_URL[kind], resource_names_subscribe: names, initial_resource_versions: initial });
  }

  resubscribe(ctx: StreamContext): void {
    for (const kind of NAMED_KINDS) {
      const t = this.types.get(kind) as TypeState;
      const list = referencedNames(ctx.sink, kind);
      if (t.subscribed && t.namesFrom !== undefined && sameList(list, t.namesFrom)) continue;
      t.namesFrom = list;
      const wanted = new Set(list);
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
    /** What this response replaced, to put back if it is rejected (undefined: the name was not held). */
    const undo: [string, Held | undefined][] = [];
    try {
      const decoded = decodeResources(
        kind,
        changed.map((r) => r.resource ?? { type_url: '', value: Buffer.alloc(0) }),
        (i) => `resources[${i}] (${changed[i]?.name ?? 'no name'})`,
      );
      t.applying = new Set([...changed.map((r) => r.name ?? ''), ...removed]);
      changed.forEach((r, i) => {
        if (!r.name) throw new Error(`resources[${i}]: no name`);
        undo.push([r.name, t.held.get(r.name)]);
        t.held.set(r.name, { version: r.version ?? '', resource: decoded[i] });
      });
      for (const name of removed) {
        if (!t.held.has(name)) continue;
        undo.push([name, t.held.get(name)]);
        t.held.delete(name);
      }
      await ctx.sink.update(kind, t.held.resources(), version);
    } catch (e) {
      for (let i = undo.length - 1; i >= 0; i--) {
        const [name, before] = undo[i] as [string, Held | undefined];
        if (before) t.held.set(name, before);
        else t.held.delete(name);
      }
      ctx.rejected(kind, version, (e as Error).message);
      ctx.write({ type_url: TYPE_URL[kind], response_nonce: nonce, error_detail: { code: 3, message: (e as Error).message } });
      return;
    } finally {
      t.applying = undefined;
    }
    t.version = version;
    ctx.accepted(kind, version, changed.length);
    ctx.write({ type_url: TYPE_URL[kind], response_nonce: nonce });
  }
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
