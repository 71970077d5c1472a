import { describe, expect, it } from 'vitest';
import { markDifferences } from './util.js';

describe('markDifferences', () => {
  it('marks new and changed keys, and published keys that are not wanted any more', () => {
    const published = new Map<string, unknown>([
      ['same', { spec: { a: 1 }, labels: {} }],
      ['changed', { spec: { a: 1 } }],
      ['gone', { spec: {} }],
    ]);
    const wanted = new Map<string, unknown>([
      ['same', { labels: {}, spec: { a: 1 } }], // key order does not matter
      ['changed', { spec: { a: 2 } }],
      ['new', { spec: {} }],
    ]);
    const marked: string[] = [];
    expect(markDifferences(published, wanted, (k) => marked.push(k))).toEqual({ changed: 2, stale: 1 });
    expect(marked).toEqual(['changed', 'new', 'gone']);
  });

  it('marks nothing when the bucket already holds what is wanted', () => {
    const m = new Map<string, unknown>([['k', { spec: { x: [1, 2] } }]]);
    const marked: string[] = [];
    expect(markDifferences(m, new Map(m), (k) => marked.push(k))).toEqual({ changed: 0, stale: 0 });
    expect(marked).toEqual([]);
  });
});
