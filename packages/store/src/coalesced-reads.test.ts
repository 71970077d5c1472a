import { describe, expect, it } from 'vitest';
import { CoalescedReads } from './coalesced-reads.js';

describe('CoalescedReads', () => {
  it('reads what was asked for in one turn of the event loop with one call, and later asks with the next', async () => {
    const calls: string[][] = [];
    const reads = new CoalescedReads<string, string>(
      async (keys) => {
        calls.push(keys);
        return new Map(keys.filter((k) => k !== 'missing').map((k) => [k, k.toUpperCase()]));
      },
      (k) => k,
    );
    const first = await Promise.all([reads.get('a'), reads.get('b'), reads.get('a'), reads.get('missing')]);
    expect(first).toEqual(['A', 'B', 'A', undefined]);
    expect(calls).toEqual([['a', 'b', 'missing']]);
    expect(await reads.get('c')).toBe('C');
    expect(calls).toHaveLength(2);
  });

  it('fails every read of a batch whose query failed, and the next batch reads again', async () => {
    let fail = true;
    const reads = new CoalescedReads<string, string>(
      async (keys) => {
        if (fail) throw new Error('database gone');
        return new Map(keys.map((k) => [k, k]));
      },
      (k) => k,
    );
    const results = await Promise.allSettled([reads.get('a'), reads.get('b')]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    fail = false;
    expect(await reads.get('a')).toBe('a');
  });
});
