/**
 * Test helper (not built into dist): a CliIo that records what a command prints, for running commands
 * in-process in the CLI's unit tests.
 */
import type { CliIo } from '../io.js';

export type RecordingIo = CliIo & { out: string; err: string };

export interface RecordingIoOptions {
  /** cwd and home (default `/` and `/nonexistent`). */
  dir?: string;
  home?: string;
  stdin?: string;
  env?: Record<string, string>;
  /** The clock (default a fixed 2026-01-10T12:00:00Z). */
  now?: () => number;
}

export const FIXED_NOW = Date.parse('2026-01-10T12:00:00Z');

export function recordingIo(opts: RecordingIoOptions = {}): RecordingIo {
  const io: RecordingIo = {
    out: '',
    err: '',
    stdout(t: string) {
      io.out += t;
    },
    stderr(t: string) {
      io.err += t;
    },
    readStdin: async () => opts.stdin ?? '',
    env: opts.env ?? {},
    cwd: opts.dir ?? '/',
    home: opts.home ?? opts.dir ?? '/nonexistent',
    now: opts.now ?? (() => FIXED_NOW),
  };
  return io;
}
