/** The retry schedule of a session start and of following a bucket again (session.ts). */
import { describe, expect, it } from 'vitest';
import { retryDelayMs } from './session.js';

describe('retryDelayMs', () => {
  it('waits 250 ms, then 500 ms, then 1 s for every later retry', () => {
    expect([1, 2, 3, 4, 5, 10, 100].map(retryDelayMs)).toEqual([250, 500, 1000, 1000, 1000, 1000, 1000]);
  });
});
