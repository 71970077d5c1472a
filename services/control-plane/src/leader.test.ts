import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { LeaderJobs, replicaInstanceId } from './leader.js';

/** A job that records what happens to it; `startDelay` keeps its start pending until released. */
function job(name: string, events: string[], startDelay?: Promise<void>) {
  return {
    name,
    start: async () => {
      events.push(`start ${name}`);
      await startDelay;
      events.push(`started ${name}`);
      let acting = true;
      return {
        close: async () => {
          acting = false;
          events.push(`stop ${name}`);
          await new Promise((r) => setTimeout(r, 20));
          events.push(`stopped ${name} (acting: ${acting})`);
        },
      };
    },
  };
}

const metric = (jobs: LeaderJobs) => jobs.metrics()[0]!.read();

describe('LeaderJobs', () => {
  it('starts the jobs in order when leading, stops them all at once when not, and reports causeway_leader per job', async () => {
    const events: string[] = [];
    const jobs = new LeaderJobs([job('sync', events), job('ca', events)], pino({ level: 'silent' }));
    expect(metric(jobs)).toEqual([
      [{ job: 'sync' }, 0],
      [{ job: 'ca' }, 0],
    ]);
    jobs.lead(true);
    await new Promise((r) => setTimeout(r, 10));
    expect(events).toEqual(['start sync', 'started sync', 'start ca', 'started ca']);
    expect(metric(jobs)).toEqual([
      [{ job: 'sync' }, 1],
      [{ job: 'ca' }, 1],
    ]);
    events.length = 0;
    jobs.lead(false);
    // Both were told to stop synchronously, before either finished stopping.
    expect(events).toEqual(['stop ca', 'stop sync']);
    expect(jobs.active('sync')).toBe(false);
    await jobs.close();
    expect(events.slice(2).sort()).toEqual(['stopped ca (acting: false)', 'stopped sync (acting: false)']);
    jobs.lead(true);
    await new Promise((r) => setTimeout(r, 10));
    expect(jobs.active('sync')).toBe(false);
  });

  it('stops a job that was still starting when leadership ended, and starts nothing after it', async () => {
    const events: string[] = [];
    let release = () => {};
    const slow = new Promise<void>((r) => {
      release = r;
    });
    const jobs = new LeaderJobs([job('sync', events, slow), job('ca', events)], pino({ level: 'silent' }));
    jobs.lead(true);
    await new Promise((r) => setTimeout(r, 5));
    jobs.lead(false);
    release();
    await jobs.close();
    expect(events).toEqual(['start sync', 'started sync', 'stop sync', 'stopped sync (acting: false)']);
    expect(jobs.active('sync')).toBe(false);
  });
});

describe('replicaInstanceId', () => {
  it('names the host, differs per start, and fits a label value', () => {
    const a = replicaInstanceId('zone-1-cp-2');
    const b = replicaInstanceId('zone-1-cp-2');
    expect(a).toMatch(/^zone-1-cp-2-[0-9a-f]{8}$/);
    expect(b).not.toBe(a);
    const long = replicaInstanceId(`${'h'.repeat(80)}.example_internal`);
    expect(long.length).toBeLessThanOrEqual(49);
    expect(long).toMatch(/^[A-Za-z0-9.-]+$/);
    expect(replicaInstanceId('')).toMatch(/^causeway-cp-[0-9a-f]{8}$/);
  });
});
