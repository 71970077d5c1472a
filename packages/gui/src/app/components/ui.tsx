import type { ComponentChildren, JSX } from 'preact';
import { useState } from 'preact/hooks';
import { type DataState, navigate } from '../hooks.js';
import { describeError } from '../lib/api.js';
import { tagPairs } from '../lib/format.js';
import { toYaml } from '../lib/yaml.js';

/** A link inside the GUI: navigates without reloading (a modified click opens a tab as usual). */
export function Link(props: { href: string; children: ComponentChildren; class?: string; title?: string }) {
  const onClick = (e: MouseEvent) => {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(props.href);
  };
  return (
    <a href={props.href} class={props.class} title={props.title} onClick={onClick}>
      {props.children}
    </a>
  );
}

/** A loading placeholder shaped like what is coming (rows of a table, or a block). */
export function Loading(props: { label?: string; rows?: number }) {
  const rows = props.rows ?? 4;
  return (
    <div class="loading" role="status" aria-live="polite">
      <div class="loading-label">
        <span class="spinner" aria-hidden="true" />
        {props.label ?? 'Loading'}…
      </div>
      {Array.from({ length: rows }, (_, i) => (
        <div key={i} class="skeleton" style={{ width: `${92 - ((i * 17) % 35)}%` }} />
      ))}
    </div>
  );
}

/** Nothing to show, said plainly, with what would make something appear. */
export function Empty(props: { title: string; children?: ComponentChildren; tone?: 'neutral' | 'info' }) {
  return (
    <div class={`empty ${props.tone === 'info' ? 'empty-info' : ''}`}>
      <svg class="empty-icon" viewBox="0 0 24 24" aria-hidden="true">
        {props.tone === 'info' ? (
          <>
            <circle cx="12" cy="12" r="10" fill="none" stroke="currentColor" stroke-width="1.6" />
            <path d="M12 10.5v6M12 7.2v.1" stroke="currentColor" stroke-width="2" stroke-linecap="round" />
          </>
        ) : (
          <circle cx="12" cy="12" r="9.5" fill="none" stroke="currentColor" stroke-width="1.6" stroke-dasharray="3 3" />
        )}
      </svg>
      <div class="empty-title">{props.title}</div>
      {props.children ? <div class="empty-text">{props.children}</div> : null}
    </div>
  );
}

export function ErrorBox(props: { error: unknown; onRetry?: () => void; compact?: boolean }) {
  const d = describeError(props.error);
  return (
    <div class={`error-box ${props.compact ? 'compact' : ''}`} role="alert">
      <div class="error-title">
        <span aria-hidden="true">⚠</span> {d.title}
      </div>
      <div class="error-message">{d.message}</div>
      {d.fields.length > 0 ? (
        <ul class="error-fields">
          {d.fields.map((f) => (
            <li key={f.field}>
              <code>{f.field || '(body)'}</code>: {f.reason}
            </li>
          ))}
        </ul>
      ) : null}
      {d.hint ? <div class="error-hint">{d.hint}</div> : null}
      {props.onRetry ? (
        <button type="button" class="button" onClick={props.onRetry}>
          Retry
        </button>
      ) : null}
    </div>
  );
}

/** Renders a DataState: loading placeholder, error with retry, or the data (with a note when a refresh failed). */
export function Async<T>(props: { state: DataState<T>; label?: string; rows?: number; children: (data: T) => ComponentChildren }) {
  const s = props.state;
  if (s.status === 'loading') return <Loading label={props.label} rows={props.rows} />;
  if (s.status === 'error') return <ErrorBox error={s.error} onRetry={s.reload} />;
  return (
    <>
      {s.refreshError ? (
        <div class="stale-note" role="status">
          Showing data from {new Date(s.updatedAt).toLocaleTimeString()}: the last refresh failed ({describeError(s.refreshError).message}).
        </div>
      ) : null}
      {props.children(s.data)}
    </>
  );
}

export function Badge(props: { tone: 'ok' | 'bad' | 'warn' | 'neutral' | 'info'; children: ComponentChildren; title?: string }) {
  return (
    <span class={`badge badge-${props.tone}`} title={props.title}>
      {props.children}
    </span>
  );
}

export function StatusBadge(props: { status: string | undefined }) {
  const s = props.status ?? 'Unknown';
  const tone = s === 'Online' ? 'ok' : s === 'Offline' ? 'bad' : 'neutral';
  return (
    <Badge tone={tone}>
      <span class="dot" aria-hidden="true" />
      {s}
    </Badge>
  );
}

export function Tags(props: { tags: Record<string, string> | undefined }) {
  const pairs = tagPairs(props.tags);
  if (pairs.length === 0) return <span class="muted">none</span>;
  return (
    <span class="tags">
      {pairs.map((p) => (
        <span key={p} class="tag">
          {p}
        </span>
      ))}
    </span>
  );
}

export function Section(props: { title: string; id?: string; children: ComponentChildren; actions?: ComponentChildren; subtitle?: ComponentChildren }) {
  return (
    <section class="section" id={props.id}>
      <div class="section-head">
        <h2>{props.title}</h2>
        {props.actions ? <div class="section-actions">{props.actions}</div> : null}
      </div>
      {props.subtitle ? <p class="section-sub">{props.subtitle}</p> : null}
      {props.children}
    </section>
  );
}

export function KeyValues(props: { rows: [string, ComponentChildren][] }) {
  return (
    <dl class="kv">
      {props.rows.map(([k, v]) => (
        <div key={k} class="kv-row">
          <dt>{k}</dt>
          <dd>{v}</dd>
        </div>
      ))}
    </dl>
  );
}

/** A resource or JSON value as YAML (the universal format) or JSON, with a copy button. */
export function Code(props: { value: unknown; format?: 'yaml' | 'json'; maxHeight?: number; filename?: string }) {
  const [format, setFormat] = useState<'yaml' | 'json'>(props.format ?? 'yaml');
  const [copied, setCopied] = useState(false);
  const text = format === 'yaml' ? toYaml(props.value) : `${JSON.stringify(props.value, null, 2)}\n`;
  const copy = () => {
    navigator.clipboard?.writeText(text).then(
      () => {
        setCopied(true);
        setTimeout(() => setCopied(false), 1500);
      },
      () => undefined,
    );
  };
  return (
    <div class="code">
      <div class="code-bar">
        <div class="seg">
          <button type="button" class={format === 'yaml' ? 'on' : ''} onClick={() => setFormat('yaml')}>
            YAML
          </button>
          <button type="button" class={format === 'json' ? 'on' : ''} onClick={() => setFormat('json')}>
            JSON
          </button>
        </div>
        <button type="button" class="button small" onClick={copy}>
          {copied ? 'Copied' : 'Copy'}
        </button>
      </div>
      <pre style={props.maxHeight ? { maxHeight: `${props.maxHeight}px` } : undefined}>{text}</pre>
    </div>
  );
}

export interface Column<T> {
  header: string;
  cell: (row: T) => ComponentChildren;
  class?: string;
}

export function Table<T>(props: { rows: T[]; columns: Column<T>[]; rowKey: (row: T) => string; empty?: ComponentChildren; caption?: string }) {
  if (props.rows.length === 0) return <>{props.empty ?? <Empty title="Nothing here yet" />}</>;
  return (
    <div class="table-wrap">
      <table class="table">
        {props.caption ? <caption>{props.caption}</caption> : null}
        <thead>
          <tr>
            {props.columns.map((c) => (
              <th key={c.header} class={c.class}>
                {c.header}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {props.rows.map((r) => (
            <tr key={props.rowKey(r)}>
              {props.columns.map((c) => (
                <td key={c.header} class={c.class}>
                  {c.cell(r)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function PageHeader(props: { title: ComponentChildren; kind?: string; subtitle?: ComponentChildren; crumbs?: { href: string; label: string }[]; right?: ComponentChildren }) {
  return (
    <header class="page-head">
      {props.crumbs && props.crumbs.length > 0 ? (
        <nav class="crumbs" aria-label="Breadcrumb">
          {props.crumbs.map((c) => (
            <span key={c.href}>
              <Link href={c.href}>{c.label}</Link>
              <span class="crumb-sep">/</span>
            </span>
          ))}
        </nav>
      ) : null}
      <div class="page-title-row">
        <div>
          {props.kind ? <div class="page-kind">{props.kind}</div> : null}
          <h1>{props.title}</h1>
          {props.subtitle ? <div class="page-sub">{props.subtitle}</div> : null}
        </div>
        {props.right ? <div class="page-right">{props.right}</div> : null}
      </div>
    </header>
  );
}

export function Stat(props: { label: string; value: ComponentChildren; sub?: ComponentChildren; href?: string; tone?: 'ok' | 'bad' | 'warn' }) {
  const body = (
    <>
      <div class="stat-label">{props.label}</div>
      <div class={`stat-value ${props.tone ? `tone-${props.tone}` : ''}`}>{props.value}</div>
      {props.sub ? <div class="stat-sub">{props.sub}</div> : null}
    </>
  );
  return props.href ? (
    <Link href={props.href} class="stat stat-link">
      {body}
    </Link>
  ) : (
    <div class="stat">{body}</div>
  );
}

export function Tabs<K extends string>(props: { tabs: { key: K; label: string }[]; active: K; onChange: (k: K) => void }) {
  return (
    <div class="tabs" role="tablist">
      {props.tabs.map((t) => (
        <button type="button" role="tab" aria-selected={t.key === props.active} key={t.key} class={t.key === props.active ? 'tab on' : 'tab'} onClick={() => props.onChange(t.key)}>
          {t.label}
        </button>
      ))}
    </div>
  );
}

export type Children = ComponentChildren;
export type Html = JSX.Element;
