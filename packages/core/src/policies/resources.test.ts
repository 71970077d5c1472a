import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { derive } from './resources.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
/** A full collection after the current job (WeakRefs created in a job are kept until it ends). */
async function collect(): Promise<void> {
  for (let i = 0; i < 3; i++) {
    await new Promise((r) => setTimeout(r, 0));
    gc();
  }
}

describe('derive', () => {
  it('gives the same derived object for the same original and key', () => {
    const original = { name: 'l' };
    const a = derive(original, 'k', (o) => ({ ...o, x: 1 }));
    expect(derive(original, 'k', () => ({ name: 'other', x: 2 }))).toBe(a);
    expect(derive(original, 'k2', (o) => ({ ...o, x: 2 }))).not.toBe(a);
  });

  it('does not keep derivations nothing holds any more (one original, a new key per change)', async () => {
    const original = { name: 'inbound' };
    const refs: WeakRef<object>[] = [];
    for (let i = 0; i < 100; i++) refs.push(new WeakRef(derive(original, `rules-${i}`, () => ({ payload: 'x'.repeat(10_000), i }))));
    await collect();
    const alive = refs.filter((r) => r.deref() !== undefined).length;
    // The last few stay (kept for a next proxy asking the same), the rest are freed.
    expect(alive).toBeLessThanOrEqual(4);
    expect(refs.at(-1)?.deref()).toBeDefined();
  });

  it('keeps a derivation something holds, and finds it again as the same object', async () => {
    const original = { name: 'shared' };
    const held = derive(original, 'held', () => ({ v: 'held' }));
    for (let i = 0; i < 20; i++) derive(original, `other-${i}`, () => ({ v: i }));
    await collect();
    expect(derive(original, 'held', () => ({ v: 'new' }))).toBe(held);
  });
});
