/**
 * Paging of lists the API computes itself (service insights, the dataplanes a policy selects, lists
 * filtered by Kuma's `tag=` matching), the way the store pages its lists: items in (mesh, name) order,
 * `size` items per page, and an opaque `offset` naming the last item of the previous page (the store's own
 * encodeOffset/decodeOffset, so an offset means the same thing wherever it came from).
 */
import { DEFAULT_PAGE_SIZE, decodeOffset, encodeOffset } from '@causeway/store';

export interface Keyed {
  mesh?: string | undefined;
  name: string;
}

export interface Page<T> {
  total: number;
  items: T[];
  /** Offset of the next page; undefined on the last page. */
  next?: string;
}

/** Byte order of (mesh, name), as the store sorts (Postgres "C" collation of the key columns). */
export function compareKeys(a: Keyed, b: Keyed): number {
  const am = a.mesh ?? '';
  const bm = b.mesh ?? '';
  if (am !== bm) return Buffer.compare(Buffer.from(am), Buffer.from(bm));
  return Buffer.compare(Buffer.from(a.name), Buffer.from(b.name));
}

/** One page of `all` (any order: it is sorted here) after `offset`, `size` items long (default 100). */
export function pageOf<T extends Keyed>(all: readonly T[], opts: { size?: number | undefined; offset?: string | undefined }): Page<T> {
  const size = opts.size ?? DEFAULT_PAGE_SIZE;
  const sorted = [...all].sort(compareKeys);
  let start = 0;
  if (opts.offset !== undefined && opts.offset !== '') {
    const [mesh, name] = decodeOffset(opts.offset);
    const after = { mesh, name };
    start = sorted.findIndex((x) => compareKeys(x, after) > 0);
    if (start < 0) start = sorted.length;
  }
  const items = sorted.slice(start, start + size);
  const last = items[items.length - 1];
  return { total: sorted.length, items, ...(start + size < sorted.length && last ? { next: encodeOffset(last.mesh ?? '', last.name) } : {}) };
}

/** The paging query parameters of a list route's schema (`size`, the opaque `offset`), for its `properties`. */
export const PAGE_QUERY_PROPERTIES = {
  size: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
  offset: { type: 'string', description: 'opaque offset from a previous page' },
} as const;
