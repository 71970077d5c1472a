/**
 * The zone's store, mirrored in memory: every resource of a ZoneView type, kept current from the store's
 * change feed, and the ZoneView made of them.
 *
 * The feed only marks keys (`onChange` is called so the regenerator can schedule a pass); `refresh()`
 * reads the marked keys back and says whether anything changed since the last refresh. A write the zone
 * made itself is `record`ed at once, so its echo in the feed (same key, same version) is not a change and
 * does not start another pass.
 */
import { isOfType, jsonEqual, type Resource, type ResourceType, resourceKey } from '@causeway/core';
import { listAll, type ResourceStore, type Subscription } from '@causeway/store';
import type { ZoneView } from '../context.js';
import { meshCaOf, ZONE_VIEW_TYPES, zoneViewOf } from './view.js';

export interface StoreMirrorOptions {
  store: ResourceStore;
  zone: string;
  vipCidr?: string | undefined;
  /** Called when the feed reports a change the mirror does not hold yet. */
  onChange: () => void;
}

function sameResource(a: Resource | undefined, b: Resource): boolean {
  return a !== undefined && a.version === b.version && a.creationTime === b.creationTime && jsonEqual(a.labels, b.labels) && jsonEqual(a.spec, b.spec);
}

export class StoreMirror {
  private readonly store: ResourceStore;
  private readonly resources = new Map<string, Resource>();
  private readonly pending = new Set<string>();
  private sub: Subscription | undefined;
  private changed = false;
  private cachedView: ZoneView | undefined;
  /** meshCa's last answer per Mesh object, with the keys it read and what they held. */
  private readonly caCache = new WeakMap<Resource<'Mesh'>, { keys: string[]; read: (Resource | undefined)[]; ca: { certPem: string; keyPem: string } | undefined }>();

  constructor(private readonly opts: StoreMirrorOptions) {
    this.store = opts.store;
  }

  /** Reads every resource of the view's types; returns the store revision they were read at. */
  async load(): Promise<number> {
    const rev = await this.store.revision();
    for (const type of ZONE_VIEW_TYPES) for (const r of await listAll(this.store, type)) this.resources.set(resourceKey(r), r);
    this.invalidate(true);
    return rev;
  }

  /** Follows the store's change feed from `revision` (the one `load` returned). */
  follow(revision: number): void {
    this.sub = this.store.watch(revision, (e) => {
      if (!ZONE_VIEW_TYPES.has(e.type)) return;
      const key = resourceKey(e);
      const held = this.resources.get(key);
      // The echo of a write this mirror already holds (or of a delete it already applied).
      if (e.op === 'delete' ? held === undefined : held?.version === e.version) return;
      this.pending.add(key);
      this.opts.onChange();
    });
  }

  close(): void {
    this.sub?.close();
  }

  /**
   * Reads the keys the feed marked and applies them. True when anything the mirror holds changed since
   * the last refresh (read here, or recorded by the zone in between).
   */
  async refresh(): Promise<boolean> {
    const keys = [...this.pending];
    this.pending.clear();
    for (const k of keys) {
      const [type, mesh, ...rest] = k.split('/');
      const r = await this.store.get(type as ResourceType, mesh === '_' ? undefined : mesh, rest.join('/'));
      if (r) {
        if (!sameResource(this.resources.get(k), r)) {
          this.resources.set(k, r);
          this.invalidate(true);
        }
      } else if (this.resources.delete(k)) this.invalidate(true);
    }
    const changed = this.changed;
    this.changed = false;
    return changed;
  }

  /**
   * Holds a resource the zone has just written. `derived`: what changed is the zone's own output (the
   * available services of its ZoneIngress), which no mesh context reads: it does not count as a change
   * for the next refresh.
   */
  record(r: Resource, opts: { derived?: boolean } = {}): void {
    const key = resourceKey(r);
    if (sameResource(this.resources.get(key), r)) return;
    this.resources.set(key, r);
    this.invalidate(opts.derived !== true);
  }

  get<T extends ResourceType>(type: T, mesh: string | undefined, name: string): Resource<T> | undefined {
    const r = this.resources.get(resourceKey({ type, mesh, name }));
    return r && isOfType(r, type) ? r : undefined;
  }

  list<T extends ResourceType>(type: T): Resource<T>[] {
    const out: Resource<T>[] = [];
    for (const r of this.resources.values()) if (isOfType(r, type)) out.push(r);
    return out;
  }

  /** The ZoneView of what the mirror holds (rebuilt after a change, shared until the next one). */
  view(): ZoneView {
    this.cachedView ??= zoneViewOf(this.resources.values(), { zone: this.opts.zone, vipCidr: this.opts.vipCidr });
    return this.cachedView;
  }

  /** The CA (certificate and key) of a mesh, when its CA Secrets are here. */
  meshCa(mesh: Resource<'Mesh'>): { certPem: string; keyPem: string } | undefined {
    // Asked once per proxy and pass: the same object while the Mesh and the Secrets it was read from are
    // (no base64 decoding per proxy, and the certificates can tell an unchanged CA by identity).
    const cached = this.caCache.get(mesh);
    if (cached?.keys.every((k, i) => this.resources.get(k) === cached.read[i])) return cached.ca;
    const keys: string[] = [];
    const read: (Resource | undefined)[] = [];
    const ca = meshCaOf(mesh, (k) => {
      const r = this.resources.get(k);
      keys.push(k);
      read.push(r);
      return r;
    });
    this.caCache.set(mesh, { keys, read, ca });
    return ca;
  }

  private invalidate(changed: boolean): void {
    this.cachedView = undefined;
    if (changed) this.changed = true;
  }
}
