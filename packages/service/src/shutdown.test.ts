import pino from 'pino';
import { describe, expect, it, vi } from 'vitest';
import { closeOnSignal } from './shutdown.js';

/** A logger whose lines the test reads. */
function recordingLogger() {
  const lines: { msg: string; signal?: string }[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) });
  return { logger, lines };
}

describe('closeOnSignal', () => {
  it('closes on the signal, logs it, and resolves once close() finished', async () => {
    const { logger, lines } = recordingLogger();
    let closed = false;
    const done = closeOnSignal(
      async () => {
        await new Promise((r) => setTimeout(r, 20));
        closed = true;
      },
      logger,
      { signals: ['SIGUSR2'] },
    );
    expect(closed).toBe(false);
    process.emit('SIGUSR2', 'SIGUSR2');
    await done;
    expect(closed).toBe(true);
    expect(lines).toContainEqual(expect.objectContaining({ msg: 'shutting down', signal: 'SIGUSR2' }));
    expect(process.listenerCount('SIGUSR2')).toBe(0);
  });

  it('logs a failing close() and still resolves', async () => {
    const { logger, lines } = recordingLogger();
    const done = closeOnSignal(() => Promise.reject(new Error('store would not close')), logger, { signals: ['SIGUSR2'] });
    process.emit('SIGUSR2', 'SIGUSR2');
    await done;
    expect(lines.map((l) => l.msg)).toEqual(['shutting down', 'error while shutting down']);
  });

  it('exits with 1 when close() takes longer than forceAfterMs', async () => {
    const { logger, lines } = recordingLogger();
    const exit = vi.fn();
    void closeOnSignal(() => new Promise<void>(() => undefined), logger, { signals: ['SIGUSR2'], forceAfterMs: 30, exit });
    process.emit('SIGUSR2', 'SIGUSR2');
    await vi.waitFor(() => expect(exit).toHaveBeenCalledWith(1), { timeout: 2000 });
    expect(lines.at(-1)?.msg).toBe('shutdown took longer than 0.03 s; exiting');
  });
});
