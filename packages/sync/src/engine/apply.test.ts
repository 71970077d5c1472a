import type { BatchOp, BatchResult, ResourceStore } from '@causeway/store';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { GLOBAL_KEYS, type KeySpace } from '../keys.js';
import { WarnOnce } from '../util.js';
import type { BucketWatch, KvChange } from '../watch.js';
import { Applier, type ApplyItem, type ApplySide } from './apply.js';
import type { Session } from './session.js';

const log = pino({ level: 'silent' });
const key = (i: number) => `ExternalService.default.es-${i}`;
let revision = 0;
const put = (k: string): KvChange => ({ key: k, op: 'PUT', value: new TextEncoder().encode('{}'), revision: ++revision });
const del = (k: string): KvChange => ({ key: k, op: 'DEL', value: new Uint8Array(0), revision: ++revision });
const replayed = { replayed: Promise.resolve(true) } as unknown as BucketWatch;

/** An applier whose side turns every entry into a write (or asks `prepare`), and whose store records the writes' ops. */
function applier(prepare?: (change: KvChange) => Promise<ApplyItem | 'in-sync' | undefined>) {
  const writes: string[] = [];
  const side: ApplySide<NonNullable<ReturnType<KeySpace['parse']>>, ApplyItem> = {
    keys: GLOBAL_KEYS,
    prepare: async (_ref, k, change) => (prepare ? prepare(change) : write(k, change)),
    refused: () => {},
  };
  const store = {
    applyBatch: async (ops: BatchOp[]) =>
      ops.map((op) => {
        writes.push(op.op);
        return { op: op.op, outcome: op.op === 'delete' ? 'deleted' : 'created' } as unknown as BatchResult;
      }),
  } as unknown as ResourceStore;
  const a = new Applier({ side, store, log, warnOnce: new WarnOnce(log), batchSize: 100 });
  const s = { aborted: false, later: () => {} } as unknown as Session;
  a.begin(s);
  return { a, s, writes };
}

/** The store write of an entry (the fake store looks at `op.op` only). */
const write = (k: string, change: KvChange): ApplyItem => ({ key: k, op: { op: change.op === 'PUT' ? 'upsert' : 'delete' } as unknown as BatchOp });

describe('Applier', () => {
  it('forgets a deleted key once its delete is done: what it holds does not grow with every key ever deleted (issue #20)', async () => {
    const { a, s, writes } = applier();
    for (let i = 0; i < 3; i++) a.receive(s, put(key(i)));
    a.receive(s, del(key(99))); // a delete marker in the replay
    expect(await a.converge(s, replayed, () => [])).toEqual({ entries: 3, stale: 0 });
    // Live: 1,000 resources created and deleted again.
    for (let i = 100; i < 1100; i++) {
      a.receive(s, put(key(i)));
      await a.idle();
      a.receive(s, del(key(i)));
      await a.idle();
    }
    expect(a.held).toBe(3);
    expect(writes.filter((op) => op === 'delete')).toHaveLength(1001);
  });

  it('keeps a deleted key that is stale in the store until its delete is written (converge)', async () => {
    const { a, s, writes } = applier();
    a.receive(s, put(key(1)));
    expect(await a.converge(s, replayed, () => [key(1), key(2)])).toEqual({ entries: 1, stale: 1 });
    expect(writes).toEqual(['upsert', 'delete']);
    expect(a.held).toBe(1);
  });

  it('a delete that is already so, or that the side skips, is forgotten too', async () => {
    const { a, s } = applier(async (change) => (change.key === key(1) ? 'in-sync' : undefined));
    a.receive(s, put(key(0)));
    a.receive(s, del(key(1)));
    a.receive(s, del(key(2)));
    await a.converge(s, replayed, () => []);
    // The skipped PUT stays (a zone enabled again applies it), the deletes go.
    expect(a.held).toBe(1);
  });

  it('keeps a newer entry of a key that arrived while its delete was being written', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const seen: string[] = [];
    const { a, s } = applier(async (change) => {
      seen.push(change.op);
      if (change.op === 'DEL') await gate;
      return write(change.key, change);
    });
    await a.converge(s, replayed, () => []);
    a.receive(s, del(key(5)));
    await new Promise((r) => setTimeout(r, 5));
    a.receive(s, put(key(5))); // while the delete is prepared
    release();
    await a.idle();
    expect(seen).toEqual(['DEL', 'PUT']);
    expect(a.held).toBe(1);
  });
});
