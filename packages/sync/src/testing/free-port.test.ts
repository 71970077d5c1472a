import { afterEach, describe, expect, it, vi } from 'vitest';
import { ephemeralStart, freePort } from './free-port.js';

describe('freePort', () => {
  afterEach(() => vi.restoreAllMocks());

  it('never hands out a port fetch refuses (10080, a "bad port" of the Fetch standard)', async () => {
    // Make the first random pick 10080, the next one anything else.
    const span = ephemeralStart() - 1 - 10_000 + 1;
    const picks = [(80 + 0.5) / span, (500 + 0.5) / span];
    vi.spyOn(Math, 'random').mockImplementation(() => picks.shift() ?? 0.3);
    await expect(fetch('http://127.0.0.1:10080/')).rejects.toThrow(); // what the harness would meet
    const port = await freePort();
    expect(port).not.toBe(10080);
    expect(port).toBeGreaterThanOrEqual(10_000);
  });
});
