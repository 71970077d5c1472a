/**
 * HeldSet against a plain map sorted on every read: random sets and deletes (few and many new names
 * between two reads, replacements, deletes of names not held), and a list handed out stays as it was.
 */
import { describe, expect, it } from 'vitest';
import { HeldSet } from './held.js';

/** A small deterministic generator (the test repeats exactly). */
function rng(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
}

describe('HeldSet', () => {
  it('hands out every resource sorted by name, patched change by change, as a sort of the map would', () => {
    const random = rng(7);
    const held = new HeldSet();
    const model = new Map<string, string>();
    const handedOut: { list: unknown[]; copy: unknown[] }[] = [];
    for (let round = 0; round < 200; round++) {
      // Mostly a few changes between two reads; now and then a burst of new names (the list made again).
      const ops = round % 25 === 0 ? 80 : 1 + Math.floor(random() * 4);
      for (let k = 0; k < ops; k++) {
        const name = `r-${Math.floor(random() * 300)}`;
        if (random() < 0.3) {
          expect(held.delete(name)).toBe(model.delete(name));
        } else {
          const resource = `${name}@${round}.${k}`;
          held.set(name, { version: String(round), resource });
          model.set(name, resource);
        }
      }
      const list = held.resources();
      expect(list).toEqual([...model.keys()].sort().map((n) => model.get(n)));
      expect(held.size).toBe(model.size);
      handedOut.push({ list, copy: [...list] });
    }
    for (const h of handedOut) expect(h.list).toEqual(h.copy);
  });
});
