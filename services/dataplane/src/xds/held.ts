/**
 * The resources of one type an incremental client holds, by name, with the list it hands the sink (every
 * resource, sorted by name) kept in step: a response that replaces, adds or removes a few resources patches
 * the list (a binary search each) instead of sorting the thousand names held again and looking each one
 * up. A list once handed out is never changed (the next change copies it first): a sink may keep it.
 */
export interface Held {
  version: string;
  resource: unknown;
}

/** More new names than this between two lists: the list is made again by sorting, not patched name by name. */
const MAX_INSERTS = 32;

export class HeldSet {
  private readonly byName = new Map<string, Held>();
  /** The names, sorted, and their resources in that order; undefined until asked for (or after many new names). */
  private order: string[] | undefined;
  private list: unknown[] | undefined;
  /** `list` was handed out: copy it before changing it. */
  private handedOut = false;
  private inserts = 0;

  get size(): number {
    return this.byName.size;
  }

  get(name: string): Held | undefined {
    return this.byName.get(name);
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  keys(): IterableIterator<string> {
    return this.byName.keys();
  }

  set(name: string, held: Held): void {
    const had = this.byName.has(name);
    this.byName.set(name, held);
    if (!had && ++this.inserts > MAX_INSERTS) this.drop();
    const list = this.writable();
    if (!list || !this.order) return;
    const i = lowerBound(this.order, name);
    if (had) list[i] = held.resource;
    else {
      this.order.splice(i, 0, name);
      list.splice(i, 0, held.resource);
    }
  }

  delete(name: string): boolean {
    if (!this.byName.delete(name)) return false;
    const list = this.writable();
    if (list && this.order) {
      const i = lowerBound(this.order, name);
      this.order.splice(i, 1);
      list.splice(i, 1);
    }
    return true;
  }

  /** Every resource held, sorted by name (do not change it: see the file's comment). */
  resources(): unknown[] {
    if (!this.order || !this.list) {
      this.order = [...this.byName.keys()].sort();
      this.list = this.order.map((n) => (this.byName.get(n) as Held).resource);
    }
    this.handedOut = true;
    this.inserts = 0;
    return this.list;
  }

  private drop(): void {
    this.order = undefined;
    this.list = undefined;
  }

  /** The list, copied first if it was handed out; undefined when it is not kept. */
  private writable(): unknown[] | undefined {
    if (this.list && this.handedOut) {
      this.list = this.list.slice();
      this.handedOut = false;
    }
    return this.list;
  }
}

/** The first index of `sorted` whose name is not below `name`. */
function lowerBound(sorted: readonly string[], name: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] as string) < name) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
