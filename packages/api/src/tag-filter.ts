/**
 * `tag=k:v` on list endpoints, matched as Kuma's API matches it (its `TagSelector.MatchesFuzzy`, applied
 * by `filters.Resource` to Dataplane and ExternalService lists):
 * - one tag set of the resource (a Dataplane inbound, an ExternalService's `tags`) must carry every
 *   filter tag: several `tag=` are ANDed within one inbound;
 * - a value matches when the resource's value **contains** it (`tag=kuma.io/service:we` finds `web`);
 *   `*` matches any value of a present tag; an empty value matches any value too (every string contains
 *   the empty string);
 * - a key appears at most once: a repeated key keeps its last value (Kuma reads them into a map).
 * Unlike Kuma, a filter without `:` is a 400 naming `tag` (Kuma ignores it silently): see parseListQuery.
 *
 * The store matches tags exactly (a JSONB containment), so a list with tag filters is read whole (with
 * the store's other filters: mesh, name, labels) and matched and paged here, with the store's offsets.
 */
import { descriptorOf, type Resource, type ResourceType } from '@causeway/core';
import { listAll, type ListOptions, type ListResult, type ResourceStore } from '@causeway/store';
import { pageOf } from './paging.js';

type Tags = Record<string, string>;

/** Kuma's fuzzy match of one tag set: every selector tag present, its value containing the selector's. */
export function tagsMatchFuzzy(selector: Tags, tags: Tags): boolean {
  return Object.entries(selector).every(([k, v]) => {
    const actual = tags[k];
    if (actual === undefined) return false;
    return v === '*' || actual.includes(v);
  });
}

/** Whether one of a resource's tag sets (descriptor `tagSets`) matches every filter tag. */
export function resourceMatchesTags(r: Resource, selector: Tags): boolean {
  if (Object.keys(selector).length === 0) return true;
  const d = descriptorOf(r.type);
  return d.tagSets(r.spec as never).some((set) => tagsMatchFuzzy(selector, set));
}

/**
 * `store.list` with Kuma's tag matching: without tag filters it is `store.list` itself; with them, the
 * resources the store's other filters select, matched here and paged as the store pages.
 */
export async function listWithTags<T extends ResourceType>(store: ResourceStore, type: T, opts: ListOptions): Promise<ListResult<T>> {
  const { tags, size, offset, ...rest } = opts;
  if (!tags || Object.keys(tags).length === 0) return store.list(type, opts);
  const all = (await listAll(store, type, rest)).filter((r) => resourceMatchesTags(r, tags));
  const page = pageOf(all, { size, offset });
  return { total: page.total, items: page.items, ...(page.next ? { next: page.next } : {}) };
}
