/**
 * The ADS server's send window: how many bytes of responses all of a server's streams may have handed to
 * gRPC and not yet seen written out. gRPC serializes a response into a frame of its own when it is handed
 * over, and that frame lives until the proxy has read it (HTTP/2 flow control holds the rest back). A
 * connect wave or a restarted zone answers every proxy with its whole config at once (~700 KB each with
 * 300 services): with proxies slow to read, a thousand such frames sat in memory together (a zone's RSS
 * ~780 MB at the peak of `bench:pipeline`'s connect wave at 1,000 proxies per zone).
 *
 * Past the window a stream's responses wait in the stream's own queue, in order and not serialized yet
 * (a response is a list of the shared, already-encoded resources: cache.ts MessageWriter); streams get
 * their turn first come, first served as written responses free the window. A stream may send while the
 * window is not full, whatever the size of its response, so the bytes in flight stay under the limit plus
 * one response, and a response larger than the window still goes. A small response (at most
 * `SMALL_RESPONSE_BYTES`: a change is a few KB per proxy) is never held, only counted: a change reaches the
 * proxies already connected at once, also while a connect wave fills the window. A stream that ends gives
 * back what it had in flight (gRPC does not call back the writes of a cancelled stream).
 */

/** A stream with responses waiting for room in the window. */
export interface WindowWaiter {
  /** Hands over what it can; calls `wait` again when the window fills before its queue is empty. */
  resume(): void;
}

/** The default window: 16 MiB (a few dozen proxies' whole configs at 1,000 proxies and 300 services). */
export const DEFAULT_SEND_WINDOW_BYTES = 16 * 1024 * 1024;
/** Responses up to this size go whether the window is full or not (they are counted in it). */
export const SMALL_RESPONSE_BYTES = 64 * 1024;

export class SendWindow {
  private bytes = 0;
  private readonly waiters = new Set<WindowWaiter>();

  constructor(readonly limitBytes: number = DEFAULT_SEND_WINDOW_BYTES) {
    if (!Number.isInteger(limitBytes) || limitBytes < 1) throw new Error(`send window: limitBytes must be a positive integer, got ${limitBytes}`);
  }

  /** Bytes handed to gRPC and not written out yet. */
  get inFlight(): number {
    return this.bytes;
  }

  /** Streams waiting for room. */
  get waiting(): number {
    return this.waiters.size;
  }

  /** Takes room for `size` bytes when the window is not full or the response is small (the caller then writes); false otherwise. */
  take(size: number): boolean {
    if (this.bytes >= this.limitBytes && size > SMALL_RESPONSE_BYTES) return false;
    this.bytes += size;
    return true;
  }

  /** `w` resumes once there is room, after the streams that waited before it. */
  wait(w: WindowWaiter): void {
    this.waiters.add(w);
  }

  /** A stream ended: it waits no more. */
  forget(w: WindowWaiter): void {
    this.waiters.delete(w);
  }

  /** `size` bytes were written out (or their stream ended): the waiting streams go on while there is room. */
  release(size: number): void {
    this.bytes = Math.max(0, this.bytes - size);
    // Each resume either takes room or empties a queue (a waiter that takes room and fills the window
    // waits again, at the end), so this ends.
    while (this.bytes < this.limitBytes && this.waiters.size > 0) {
      const next = this.waiters.values().next().value as WindowWaiter;
      this.waiters.delete(next);
      next.resume();
    }
  }
}
