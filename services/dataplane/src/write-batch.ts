/**
 * Writes of one event-loop turn go out together once the turn's I/O callbacks have run, as Envoy defers
 * a connection's writes to its write event: a socket written to is corked and uncorked in a
 * setImmediate, so the peers are woken after the turn's reads rather than in between them (on a busy
 * machine each wake-up can preempt the proxy, and a context switch costs more than the write).
 * Nothing waits past the current turn, and a write that would reach the socket's high-water mark goes
 * out at once, so holding never keeps back more than that nor signals backpressure by itself.
 */
import type { Writable } from 'node:stream';

/** sockets whose writes are held until the end of this turn (a set rather than a mark on the socket: no shape change) */
let held = new Set<Writable>();
let tasks: (() => void)[] = [];
let scheduled = false;

function flush(): void {
  scheduled = false;
  const run = tasks;
  tasks = [];
  for (const t of run) t();
  const list = held;
  held = new Set();
  for (const s of list) s.uncork();
}

function schedule(): void {
  if (scheduled) return;
  scheduled = true;
  setImmediate(flush);
}

/** Holds what is written to `s` from now until the end of this event-loop turn. */
export function holdWrites(s: Writable): void {
  if (held.has(s)) return;
  held.add(s);
  s.cork();
  schedule();
}

/** Whether writes to `s` are held until the end of this turn. */
export function isHeld(s: Writable): boolean {
  return held.has(s);
}

/** Sends what `s` holds now. */
export function releaseWrites(s: Writable): void {
  if (held.delete(s)) s.uncork();
}

/** Runs `fn` at the end of this event-loop turn, before the held sockets are released. */
export function atEndOfTurn(fn: () => void): void {
  tasks.push(fn);
  schedule();
}

/**
 * Writes `chunk` to `s`, held until the end of the turn unless it would reach the high-water mark
 * (then it goes out now, after what was held). Returns what `write` returns.
 */
export function writeBatched(s: Writable, chunk: Buffer): boolean {
  if (s.writableLength + chunk.length >= s.writableHighWaterMark) releaseWrites(s);
  else holdWrites(s);
  return s.write(chunk);
}
