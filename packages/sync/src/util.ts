import { isCausewayError, jsonEqual } from '@causeway/core';
import type { Logger } from 'pino';

export function errorText(e: unknown): string {
  if (isCausewayError(e)) return e.describe();
  if (!(e instanceof Error)) return String(e);
  const cause = (e as { cause?: unknown }).cause;
  return cause instanceof Error && cause.message !== e.message ? `${e.message}: ${cause.message}` : e.message;
}

/** A store error that retrying cannot fix (the resource itself is refused). */
export function isPermanentStoreError(e: unknown): boolean {
  return isCausewayError(e, 'INVALID') || isCausewayError(e, 'CONFLICT') || isCausewayError(e, 'ALREADY_EXISTS') || isCausewayError(e, 'READ_ONLY');
}

export function parseJson(value: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(value));
  } catch {
    return undefined;
  }
}

/** A promise with its resolve function, re-armable. */
export class Signal {
  private resolveFn: () => void = () => {};
  private current: Promise<void>;
  private done = false;

  constructor() {
    this.current = new Promise((r) => {
      this.resolveFn = r;
    });
  }

  get fired(): boolean {
    return this.done;
  }

  wait(): Promise<void> {
    return this.current;
  }

  fire(): void {
    this.done = true;
    this.resolveFn();
  }

  /** Arms again (a no-op when not fired yet). */
  reset(): void {
    if (!this.done) return;
    this.done = false;
    this.current = new Promise((r) => {
      this.resolveFn = r;
    });
  }
}

/** `5000` -> `5s`, `1500` -> `1500ms` (Go duration syntax, as Kuma writes intervals). */
export function formatDuration(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/** The subject of a NATS permissions violation somewhere in an error's cause chain. */
export function permissionViolation(e: unknown): string | undefined {
  for (let cur = e, i = 0; cur && i < 5; cur = (cur as { cause?: unknown }).cause, i++) {
    if ((cur as Error).name === 'PermissionViolationError') return String((cur as { subject?: unknown }).subject ?? '');
  }
  return undefined;
}

/**
 * Marks what a bucket must change to hold `wanted`: keys whose published value differs or is missing
 * (`changed`), and published keys not wanted any more (`stale`, to delete).
 */
export function markDifferences(published: ReadonlyMap<string, unknown>, wanted: ReadonlyMap<string, unknown>, mark: (key: string) => void): { changed: number; stale: number } {
  let changed = 0;
  for (const [key, value] of wanted) {
    if (!jsonEqual(published.get(key), value)) {
      changed++;
      mark(key);
    }
  }
  let stale = 0;
  for (const key of published.keys()) {
    if (!wanted.has(key)) {
      stale++;
      mark(key);
    }
  }
  return { changed, stale };
}

/**
 * Warns once per key and message: what comes back on every replay or retry (an invalid entry, a
 * misconfigured permission) is said once, not every time. Forgets everything past 10,000.
 */
export class WarnOnce {
  private readonly seen = new Set<string>();

  constructor(private readonly log: Logger) {}

  warn(key: string, msg: string, extra: Record<string, unknown> = {}): void {
    const id = `${key}\u0000${msg}`;
    if (this.seen.has(id)) return;
    if (this.seen.size > 10_000) this.seen.clear();
    this.seen.add(id);
    this.log.warn({ key, ...extra }, msg);
  }
}
