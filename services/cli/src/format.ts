/**
 * Output helpers: kubectl-style ages, aligned tables, readable errors.
 */
import { ApiError } from '@causeway/client';
import { type AnyResource, CausewayError, descriptorOf, type Resource } from '@causeway/core';

/**
 * Age of a timestamp like kubectl prints it: `45s`, `3m`, `2h`, `4d`, `2y`; `-` when unknown.
 * A time in the future (clock skew) counts as `0s`.
 */
export function age(time: string | undefined, now: number = Date.now()): string {
  if (!time) return '-';
  const t = Date.parse(time);
  if (Number.isNaN(t)) return '-';
  const s = Math.max(0, Math.floor((now - t) / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h`;
  const d = Math.floor(h / 24);
  if (d < 365) return `${d}d`;
  return `${Math.floor(d / 365)}y`;
}

/** Left-aligned columns separated by three spaces; no trailing spaces. Empty cells stay empty. */
export function renderTable(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('   ')
      .trimEnd();
  return [line(headers), ...rows.map((r) => line(headers.map((_, i) => r[i] ?? '')))].join('\n') + '\n';
}

/** The table of resources of one type: MESH (mesh-scoped), NAME, the descriptor's columns, AGE. */
export function resourceTable(type: Resource['type'], items: AnyResource[], now: number = Date.now()): string {
  const d = descriptorOf(type);
  const headers = [...(d.scope === 'mesh' ? ['MESH'] : []), 'NAME', ...d.columns.map((c) => c.header), 'AGE'];
  const rows = items.map((r) => [
    ...(d.scope === 'mesh' ? [r.mesh ?? ''] : []),
    r.name,
    ...d.columns.map((c) => {
      try {
        return c.value(r);
      } catch {
        return '-';
      }
    }),
    age(r.creationTime, now),
  ]);
  return renderTable(headers, rows);
}

/** `ExternalService "httpbin" (mesh default)` or `Mesh "default"`. */
export function describeResource(r: { type: string; mesh?: string | undefined; name: string }): string {
  return `${r.type} "${r.name}"${r.mesh !== undefined ? ` (mesh ${r.mesh})` : ''}`;
}

const HINTS: Partial<Record<number, string>> = {
  401: 'writes and secret reads need the admin token: pass --auth-token-file FILE, or add the control plane with causeway config control-planes add --auth-token-file FILE',
};

/**
 * `Error: <details>` plus one `  <field>: <reason>` line per field error, and a hint for some
 * HTTP statuses. `context` (e.g. the resource being applied) prefixes the details.
 */
export function formatError(e: unknown, context?: string): string {
  const prefix = context ? `${context}: ` : '';
  if (e instanceof CausewayError) {
    const status = e instanceof ApiError ? ` (HTTP ${e.httpStatus})` : '';
    const lines = [`Error: ${prefix}${e.message}${status}`, ...e.fields.map((f) => `  ${f.field === '' ? '(document)' : f.field}: ${f.reason}`)];
    const hint = e instanceof ApiError ? HINTS[e.httpStatus] : undefined;
    if (hint) lines.push(`Hint: ${hint}`);
    return lines.join('\n') + '\n';
  }
  return `Error: ${prefix}${e instanceof Error ? e.message : String(e)}\n`;
}
