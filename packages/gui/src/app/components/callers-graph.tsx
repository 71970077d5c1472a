import { callersLayout } from '../lib/graph.js';
import { type CallerEdge, formatPercent, formatRate } from '../lib/stats.js';

/** Calling services -> the ExternalService, one block per zone; edge width by request rate, denied callers red. */
export function CallersGraph(props: { edges: CallerEdge[]; target: string }) {
  const g = callersLayout(props.edges, props.target, { rate: formatRate, percent: formatPercent });
  return (
    <div class="graph-wrap">
      <svg class="graph" viewBox={`0 0 ${g.width} ${g.height}`} width={g.width} height={g.height} role="img" aria-label={`services calling ${props.target}, per zone`}>
        {g.nodes
          .filter((n) => n.kind === 'zone')
          .map((n) => (
            <g key={n.id}>
              <rect class="g-zone" x={n.x} y={n.y} width={n.w} height={n.h} rx="8" />
              <text class="g-zone-label" x={n.x + 12} y={n.y + 19}>
                {n.label}
              </text>
            </g>
          ))}
        {g.edges.map((e) => (
          <g key={`${e.from}->${e.to}`} class={e.denied ? 'g-edge denied' : e.someDenied ? 'g-edge some-denied' : 'g-edge'}>
            <path class="g-edge-path" d={e.d} stroke-width={e.width} fill="none" />
            {e.label ? (
              <text class="g-edge-text" x={e.labelX} y={e.labelY} text-anchor="middle">
                {e.label}
              </text>
            ) : null}
          </g>
        ))}
        {g.nodes
          .filter((n) => n.kind !== 'zone')
          .map((n) => (
            <g key={n.id} class={`g-node g-${n.kind}`}>
              <rect x={n.x} y={n.y} width={n.w} height={n.h} rx="6" />
              <text x={n.x + 10} y={n.y + 17} class="g-label">
                {n.label.length > 24 ? `${n.label.slice(0, 23)}…` : n.label}
              </text>
              <text x={n.x + 10} y={n.y + 32} class="g-sub">
                {n.sub}
              </text>
            </g>
          ))}
      </svg>
    </div>
  );
}
