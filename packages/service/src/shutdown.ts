/**
 * How a long-running binary ends: on SIGTERM or SIGINT it closes what it started, and a close that hangs
 * does not keep the process alive. The exit code of main() becomes the process's.
 */
import type { Logger } from 'pino';

export interface ShutdownOptions {
  /** After this long the process exits with 1 even if close() has not finished (default 10 s). */
  forceAfterMs?: number;
  /** The signals that start the shutdown (default SIGTERM and SIGINT). */
  signals?: NodeJS.Signals[];
  /** For tests: what ends the process when close() hangs (default process.exit). */
  exit?: (code: number) => void;
}

/**
 * Resolves after the first of `signals` arrived and `close()` finished. A failing close is logged and
 * still resolves; one that takes longer than `forceAfterMs` exits the process with 1.
 */
export function closeOnSignal(close: () => Promise<void>, logger: Logger, opts: ShutdownOptions = {}): Promise<void> {
  const { forceAfterMs = 10_000, signals = ['SIGTERM', 'SIGINT'], exit = (code: number) => process.exit(code) } = opts;
  return new Promise<void>((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      logger.info({ signal }, 'shutting down');
      const force = setTimeout(() => {
        logger.error(`shutdown took longer than ${forceAfterMs / 1000} s; exiting`);
        exit(1);
      }, forceAfterMs);
      force.unref();
      close().then(
        () => {
          clearTimeout(force);
          resolve();
        },
        (err: unknown) => {
          clearTimeout(force);
          logger.error({ err }, 'error while shutting down');
          resolve();
        },
      );
    };
    for (const s of signals) process.once(s, () => stop(s));
  });
}

/**
 * Runs a binary's main: its exit code becomes the process's, and the process exits `graceMs` later even
 * if a library left a handle open (the logger gets to flush first). A rejected main is printed, exit 1.
 */
export function runMain(main: () => Promise<number>, graceMs = 200): void {
  main().then(
    (code) => {
      process.exitCode = code;
      setTimeout(() => process.exit(code), graceMs).unref();
    },
    (err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    },
  );
}
