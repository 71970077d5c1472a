/**
 * Layout of the callers graph: per zone, the calling services (left) -> the ExternalService (right), with
 * edges weighted by request rate. Pure (coordinates only) so it is unit-tested; CallersGraph draws it.
 */
import type { CallerEdge } from './stats.js';

export interface GraphNode {
  id: string;
  label: string;
  sub?: string;
  x: number;
  y: number;
  w: number;
  h: number;
  kind: 'caller' | 'target' | 'zone';
}

export interface GraphEdge {
  from: string;
  to: string;
  /** SVG path. */
  d: string;
  width: number;
  /** Every request of the caller was denied. */
  denied: boolean;
  /** Some were. */
  someDenied: boolean;
  label: string;
  labelX: number;
  labelY: number;
}

export interface GraphLayout {
  width: number;
  height: number;
  nodes: GraphNode[];
  edges: GraphEdge[];
}

const NODE_W = 180;
const NODE_H = 40;
const ROW = 56;
const ZONE_HEAD = 30;
const ZONE_GAP = 24;
const LEFT = 16;
const RIGHT_X = 520;

function rateLabel(e: CallerEdge, fmt: { rate: (n: number | undefined) => string; percent: (n: number | undefined) => string }): string {
  const parts: string[] = [];
  if (e.rps !== undefined) parts.push(fmt.rate(e.rps));
  else if (e.requests !== undefined) parts.push(`${e.requests} req`);
  if (e.errorRate !== undefined && e.errorRate > 0) parts.push(`${fmt.percent(e.errorRate)} errors`);
  if (e.denied) parts.push(`${e.denied} denied`);
  return parts.join(' · ');
}

/** Edge width: 1.5 px for the quietest, up to 10 px for the busiest caller (by rate, else requests). */
export function edgeWidth(value: number | undefined, max: number): number {
  if (!value || value <= 0 || max <= 0) return 1.5;
  return 1.5 + 8.5 * (Math.log1p(value) / Math.log1p(max));
}

export function callersLayout(
  edges: CallerEdge[],
  target: string,
  fmt: { rate: (n: number | undefined) => string; percent: (n: number | undefined) => string },
): GraphLayout {
  const zones = [...new Set(edges.map((e) => e.zone))].sort();
  const nodes: GraphNode[] = [];
  const out: GraphEdge[] = [];
  const max = Math.max(0, ...edges.map((e) => e.rps ?? e.requests ?? 0));
  let y = 8;
  for (const zone of zones) {
    const callers = edges.filter((e) => e.zone === zone);
    const blockH = ZONE_HEAD + Math.max(1, callers.length) * ROW;
    nodes.push({ id: `zone:${zone}`, label: zone || 'zone not reported', x: 0, y, w: RIGHT_X + NODE_W + LEFT, h: blockH, kind: 'zone' });
    const targetY = y + ZONE_HEAD + (callers.length * ROW) / 2 - NODE_H / 2 - (ROW - NODE_H) / 2;
    const targetId = `target:${zone}`;
    nodes.push({ id: targetId, label: target, sub: 'ExternalService', x: RIGHT_X, y: targetY, w: NODE_W, h: NODE_H, kind: 'target' });
    callers.forEach((e, i) => {
      const cy = y + ZONE_HEAD + i * ROW;
      const id = `caller:${zone}:${e.service}`;
      nodes.push({ id, label: e.service, sub: 'calling service', x: LEFT, y: cy, w: NODE_W, h: NODE_H, kind: 'caller' });
      const x1 = LEFT + NODE_W;
      const y1 = cy + NODE_H / 2;
      const x2 = RIGHT_X;
      const y2 = targetY + NODE_H / 2;
      const mx = (x1 + x2) / 2;
      const denied = (e.denied ?? 0) > 0 && (e.requests ?? e.rps ?? 0) <= (e.denied ?? 0);
      out.push({
        from: id,
        to: targetId,
        d: `M ${x1} ${y1} C ${mx} ${y1}, ${mx} ${y2}, ${x2} ${y2}`,
        width: edgeWidth(e.rps ?? e.requests, max),
        denied,
        someDenied: (e.denied ?? 0) > 0,
        label: rateLabel(e, fmt),
        labelX: mx,
        labelY: (y1 + y2) / 2 - 8,
      });
    });
    y += blockH + ZONE_GAP;
  }
  return { width: RIGHT_X + NODE_W + LEFT, height: Math.max(y - ZONE_GAP + 8, 60), nodes, edges: out };
}
