/** Tag selectors as Kuma uses them: every selector tag must match; value `*` matches any value. */
export type Tags = Record<string, string>;

export function matchesTags(selector: Tags, tags: Tags): boolean {
  return Object.entries(selector).every(([k, v]) => (v === '*' ? k in tags : tags[k] === v));
}

/** Parses `k:v` filters (REST `tag=k:v`, CLI `--tag k:v`); the value may contain `:`. */
export function parseTagFilter(filter: string): [string, string] | undefined {
  const idx = filter.indexOf(':');
  if (idx <= 0) return undefined;
  return [filter.slice(0, idx), filter.slice(idx + 1)];
}

/** Tags as a stable `k=v,k=v` string, keys sorted (SNI and log friendly). */
export function tagsToString(tags: Tags): string {
  return Object.keys(tags)
    .sort()
    .map((k) => `${k}=${tags[k]}`)
    .join(',');
}
