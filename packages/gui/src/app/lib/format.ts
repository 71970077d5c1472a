/** Small formatting helpers shared by the views. */

/** `just now`, `42 s ago`, `3 min ago`, `5 h ago`, `2 d ago`; `never` without a time. */
export function timeAgo(iso: string | undefined, now: number = Date.now()): string {
  if (!iso) return 'never';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return 'unknown';
  const s = Math.round((now - t) / 1000);
  if (s < 0) return 'just now';
  if (s < 5) return 'just now';
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86400)} d ago`;
}

/** Tags as `k=v` pairs, sorted by key. */
export function tagPairs(tags: Record<string, string> | undefined): string[] {
  return Object.entries(tags ?? {})
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`);
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** A zone-owned resource's zone: the spec's `zone`, else the label sync sets. */
export function zoneOf(r: { labels?: Record<string, string> | undefined; zone?: string | null | undefined }): string | undefined {
  return r.zone ?? r.labels?.['causeway.io/zone'] ?? undefined;
}
