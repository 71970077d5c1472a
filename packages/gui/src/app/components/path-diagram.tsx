import type { Hop, Route, ZonePath } from '../lib/path.js';
import { Badge } from './ui.js';

const STATUS_TEXT: Record<Hop['status'], string> = { ok: '', missing: 'none running', offline: 'zone offline', unknown: 'not visible here' };

function HopBox(props: { hop: Hop }) {
  const h = props.hop;
  return (
    <div class={`hop hop-${h.kind} hop-${h.status}`} data-hop={h.kind}>
      <div class="hop-title">
        <span class="hop-icon" aria-hidden="true" />
        {h.label}
      </div>
      {h.zone ? <div class="hop-zone">{h.zone}</div> : null}
      <div class="hop-role">{h.role}</div>
      {h.members.length > 0 && h.kind !== 'sidecar' ? (
        <div class="hop-members" title={h.members.join('\n')}>
          {h.members.slice(0, 3).join(', ')}
          {h.members.length > 3 ? ` +${h.members.length - 3}` : ''}
        </div>
      ) : null}
      {h.status !== 'ok' ? <div class="hop-status">{STATUS_TEXT[h.status]}</div> : null}
    </div>
  );
}

function Arrow(props: { label: string; encrypted: boolean }) {
  return (
    <div class={`link ${props.encrypted ? 'link-enc' : 'link-plain'}`}>
      <div class="link-label">
        {props.encrypted ? (
          <svg class="link-lock" viewBox="0 0 10 12" role="img" aria-label="encrypted">
            <title>encrypted</title>
            <path d="M2 5V3.5a3 3 0 0 1 6 0V5h1v7H1V5zm1.5 0h3V3.5a1.5 1.5 0 0 0-3 0z" />
          </svg>
        ) : null}
        {props.label}
      </div>
      <svg class="link-arrow" viewBox="0 0 100 12" preserveAspectRatio="none" aria-hidden="true">
        <line x1="0" y1="6" x2="92" y2="6" />
        <path d="M 90 1 L 100 6 L 90 11 z" />
      </svg>
    </div>
  );
}

export function RouteDiagram(props: { route: Route }) {
  const r = props.route;
  return (
    <div class="route" role="img" aria-label={r.hops.map((h) => h.title).join(' -> ')}>
      {r.hops.map((h, i) => (
        <>
          <HopBox key={`h${i}`} hop={h} />
          {i < r.links.length ? <Arrow key={`l${i}`} label={r.links[i]?.label ?? ''} encrypted={r.links[i]?.encrypted ?? false} /> : null}
        </>
      ))}
    </div>
  );
}

export function ZonePathView(props: { path: ZonePath }) {
  const p = props.path;
  const tone = p.verdict === 'ok' ? 'ok' : p.verdict === 'broken' ? 'bad' : 'warn';
  const verdict = p.verdict === 'ok' ? 'path complete' : p.verdict === 'broken' ? 'calls fail' : 'check';
  return (
    <div class="zone-path" data-zone={p.from}>
      <div class="zone-path-head">
        <span class="zone-path-from">
          From <strong>{p.from}</strong>
        </span>
        {p.fromOnline === false ? <Badge tone="bad">zone offline</Badge> : null}
        <Badge tone={tone}>{verdict}</Badge>
      </div>
      {p.routes.map((r) => (
        <div key={r.via ?? 'direct'}>
          {p.routes.length > 1 ? <div class="route-via">through {r.via}</div> : null}
          <RouteDiagram route={r} />
        </div>
      ))}
      {p.problems.length > 0 ? (
        <ul class="path-problems">
          {p.problems.map((x) => (
            <li key={x}>{x}</li>
          ))}
        </ul>
      ) : null}
      {p.notes.length > 0 ? (
        <ul class="path-notes">
          {p.notes.map((x) => (
            <li key={x}>{x}</li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}
