import { CausewayError } from '@causeway/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LeaderLease, type LeaderLeaseOptions, startLeaderLease } from './leader-lease.js';
import type { LeaseAttempt, Leases } from './leases.js';
import { openStore } from './open.js';
import type { ResourceStore } from './store.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(what: string, cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** Wraps real leases; `cut` makes every call fail (as a lost database would) or hang. */
class CuttableLeases implements Leases {
  mode: 'ok' | 'fail' | 'hang' = 'ok';
  calls = 0;
  constructor(private readonly inner: Leases) {}
  private gate<T>(fn: () => Promise<T>): Promise<T> {
    this.calls++;
    if (this.mode === 'fail') return Promise.reject(new Error('connection refused'));
    if (this.mode === 'hang') return new Promise<T>(() => {});
    return fn();
  }
  acquire(name: string, holder: string, ttlMs: number): Promise<LeaseAttempt> {
    return this.gate(() => this.inner.acquire(name, holder, ttlMs));
  }
  release(name: string, holder: string): Promise<boolean> {
    return this.gate(() => this.inner.release(name, holder));
  }
  get(name: string) {
    return this.gate(() => this.inner.get(name));
  }
}

/** A leader lease that records its changes with their times. */
function holder(leases: Leases, name: string, id: string, extra: Partial<LeaderLeaseOptions> = {}) {
  const changes: { leading: boolean; at: number }[] = [];
  const lease = startLeaderLease({ leases, name, holder: id, ttlMs: 900, onChange: (leading) => changes.push({ leading, at: performance.now() }), ...extra });
  return { lease, changes };
}

describe('LeaderLease', () => {
  let store: ResourceStore;
  const leases: LeaderLease[] = [];
  beforeAll(async () => {
    store = await openStore();
  });
  afterAll(async () => {
    await Promise.all(leases.map((l) => l.close()));
    await store.close();
  });
  let n = 0;
  const leaseName = () => `test-${++n}`;

  it('refuses a bad ttl or margin naming the field', () => {
    const base = { leases: store.leases, name: 'x', holder: 'a', onChange: () => {} };
    expect(() => new LeaderLease({ ...base, ttlMs: 10 })).toThrow(CausewayError);
    expect(() => new LeaderLease({ ...base, ttlMs: 10 })).toThrow(/ttlMs/);
    expect(() => new LeaderLease({ ...base, ttlMs: 3000, marginMs: 2500 })).toThrow(/marginMs/);
  });

  it('makes exactly one of two holders the leader, hands over on close, and shows who leads', async () => {
    const name = leaseName();
    const a = holder(store.leases, name, 'a');
    leases.push(a.lease);
    await waitFor('a leads', () => a.lease.leading);
    const b = holder(store.leases, name, 'b');
    leases.push(b.lease);
    await sleep(1000); // three renewal intervals
    expect(a.lease.leading).toBe(true);
    expect(b.lease.leading).toBe(false);
    expect(b.changes).toEqual([]);
    const st = b.lease.status();
    expect(st).toMatchObject({ leader: false, holder: 'a' });
    expect(Date.parse(st.expires as string)).toBeGreaterThan(Date.parse(st.since as string));
    expect(a.lease.status()).toMatchObject({ leader: true, holder: 'a', since: st.since });

    const closedAt = performance.now();
    await a.lease.close();
    expect(a.lease.leading).toBe(false);
    expect(a.changes.map((c) => c.leading)).toEqual([true, false]);
    // Released, so b takes it at its next attempt (every ttl/3 = 300 ms), not after the ttl.
    await waitFor('b leads', () => b.lease.leading, 5000);
    expect(b.changes[0]!.at - closedAt).toBeLessThan(900);
    expect(b.lease.status().holder).toBe('b');
  });

  it('steps down before its lease can expire when the database fails, and the other takes over only after expiry', async () => {
    const name = leaseName();
    const cut = new CuttableLeases(store.leases);
    const a = holder(cut, name, 'a');
    leases.push(a.lease);
    await waitFor('a leads', () => a.lease.leading);
    const b = holder(store.leases, name, 'b');
    leases.push(b.lease);
    await sleep(400);
    const callsBefore = cut.calls;
    await waitFor('a renews again', () => cut.calls > callsBefore);
    cut.mode = 'fail';
    const cutAt = performance.now();
    await waitFor('a steps down', () => !a.lease.leading, 5000);
    const stepDown = a.changes.at(-1)!;
    expect(stepDown.leading).toBe(false);
    await waitFor('b leads', () => b.lease.leading, 5000);
    const takeOver = b.changes[0]!;
    // a stopped acting before b could start: never two leaders at once.
    expect(stepDown.at).toBeLessThan(takeOver.at);
    // a stopped within the ttl (900 ms) of its last renewal, which was sent before the cut.
    expect(stepDown.at - cutAt).toBeLessThan(900 + 300);
    // The database is back: a sees b's lease and stays a follower.
    cut.mode = 'ok';
    await sleep(700);
    expect(a.lease.leading).toBe(false);
    expect(a.lease.status()).toMatchObject({ leader: false, holder: 'b' });
  });

  it('steps down by its own timer when a renewal hangs', async () => {
    const name = leaseName();
    const cut = new CuttableLeases(store.leases);
    const a = holder(cut, name, 'a');
    leases.push(a.lease);
    await waitFor('a leads', () => a.lease.leading);
    cut.mode = 'hang';
    const hungAt = performance.now();
    await waitFor('a steps down', () => !a.lease.leading, 5000);
    expect(a.changes.at(-1)!.at - hungAt).toBeLessThan(900 + 300);
    cut.mode = 'ok';
    // Its own lease is still in the table (or expired, nobody else wants it): it leads again.
    await waitFor('a leads again', () => a.lease.leading, 5000);
  });

  it('does not lead while its blocker says why, and releases the lease when it becomes blocked', async () => {
    const name = leaseName();
    let natsDown: string | undefined;
    const a = holder(store.leases, name, 'a', { blocker: () => natsDown });
    leases.push(a.lease);
    await waitFor('a leads', () => a.lease.leading);
    const b = holder(store.leases, name, 'b');
    leases.push(b.lease);
    natsDown = 'the NATS connection is down';
    await waitFor('a steps down', () => !a.lease.leading, 5000);
    await waitFor('b leads', () => b.lease.leading, 5000);
    expect(a.changes.map((c) => c.leading)).toEqual([true, false]);
    expect((await store.leases.get(name))?.holder).toBe('b');
  });
});
