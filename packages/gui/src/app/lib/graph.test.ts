import { describe, expect, it } from 'vitest';
import { callersLayout, edgeWidth } from './graph.js';
import { formatPercent, formatRate } from './stats.js';

const fmt = { rate: formatRate, percent: formatPercent };

describe('callers graph layout', () => {
  it('one block per zone, one edge per caller to the ExternalService of its zone, denied callers marked', () => {
    const g = callersLayout(
      [
        { zone: 'zone-1', service: 'web', rps: 2, requests: 7200, errorRate: 0.01, denied: 0 },
        { zone: 'zone-1', service: 'batch', rps: 0.01, requests: 20, denied: 20 },
        { zone: 'zone-2', service: 'reports', rps: 0.5, requests: 1800 },
      ],
      'httpbin',
      fmt,
    );
    expect(g.nodes.filter((n) => n.kind === 'zone').map((n) => n.label)).toEqual(['zone-1', 'zone-2']);
    expect(g.nodes.filter((n) => n.kind === 'target').map((n) => n.id)).toEqual(['target:zone-1', 'target:zone-2']);
    expect(g.edges.map((e) => [e.from, e.to, e.denied, e.label])).toEqual([
      ['caller:zone-1:web', 'target:zone-1', false, '2/s · 1 % errors'],
      ['caller:zone-1:batch', 'target:zone-1', true, '0.01/s · 20 denied'],
      ['caller:zone-2:reports', 'target:zone-2', false, '0.5/s'],
    ]);
    expect(g.edges.map((e) => e.someDenied)).toEqual([false, true, false]);
    // Busier callers draw thicker edges; nodes of a zone stay inside its block.
    expect(g.edges[0]?.width).toBeGreaterThan(g.edges[2]?.width ?? 0);
    for (const n of g.nodes.filter((x) => x.kind !== 'zone')) {
      const block = g.nodes.find((b) => b.kind === 'zone' && n.id.includes(`:${b.label}`));
      expect(n.y).toBeGreaterThanOrEqual(block?.y ?? 0);
      expect(n.y + n.h).toBeLessThanOrEqual((block?.y ?? 0) + (block?.h ?? 0));
    }
    expect(g.height).toBeGreaterThan(0);
  });

  it('edge widths stay between 1.5 and 10 px', () => {
    expect(edgeWidth(undefined, 10)).toBe(1.5);
    expect(edgeWidth(10, 10)).toBeCloseTo(10);
    expect(edgeWidth(1, 1000)).toBeGreaterThan(1.5);
  });
});
