/**
 * Slicing the zone's long work so that the event loop is never held long: one budget per turn of the
 * event loop (`TurnBudget`), shared by everything the zone slices — a regeneration pass (`TimeSlicer`),
 * the admissions of new streams and the registrations written to the store (`Slices`). Each used to keep
 * its own slice and yield with setImmediate; but an immediate queued from the poll phase (where I/O
 * callbacks, i.e. new streams and ACKs, run) runs in the check phase of the same turn, and the immediates
 * of several slicers run back to back there: slices of 10-20 ms each added up to blocks of 100-200 ms in a
 * connect wave. A budget opens with the first sliced work of a turn and closes at the next timers phase
 * (a 0 ms timer): whatever runs sliced in between shares it, and a slicer that finds it spent waits for
 * a turn that opens a new one.
 */

/** One budget of sliced work per turn of the event loop (see the file's comment). */
export class TurnBudget {
  private openedAt: number | undefined;

  constructor(
    readonly sliceMs: number,
    private readonly clock: () => number = () => performance.now(),
  ) {}

  /** Whether this turn's budget is spent (the first call of a turn opens it). */
  exhausted(): boolean {
    if (this.openedAt === undefined) {
      this.openedAt = this.clock();
      // Closed in the next timers phase: the next turn of the event loop (at the earliest ~1 ms on).
      setTimeout(() => {
        this.openedAt = undefined;
      }, 0).unref();
    }
    return this.clock() - this.openedAt >= this.sliceMs;
  }

  /** Resolves (after pending I/O callbacks) in a turn whose budget has time left; at once when this one has. */
  async slice(): Promise<void> {
    while (this.exhausted()) await new Promise<void>((r) => setImmediate(r));
  }
}

/** A regeneration pass's slicer: yields when the turn's budget is spent. */
export class TimeSlicer {
  private readonly budget: TurnBudget;
  /** Yields so far (tests and metrics). */
  yields = 0;

  /** `budget`: the zone's (shared with its other sliced work), or the length of a slice of a budget of its own. */
  constructor(budget: TurnBudget | number, clock?: () => number) {
    this.budget = typeof budget === 'number' ? new TurnBudget(budget, clock) : budget;
    this.budget.exhausted(); // the pass's work starts now: so does the turn's budget, if not open yet
  }

  async maybeYield(): Promise<void> {
    if (!this.budget.exhausted()) return;
    this.yields++;
    await this.budget.slice();
  }
}

const noop = () => undefined;

/**
 * Runs jobs within the turn's budget: at once while it has time left, else queued, in order, for the
 * next turns. A queued job is awaited until it settles or until the next turn, whichever comes first: a
 * job that waits for I/O (a token verifier that reads the store) holds up nothing behind it.
 */
export class Slices {
  private readonly queue: (() => Promise<void>)[] = [];
  private draining = false;
  private turn: Promise<void> | undefined;

  constructor(private readonly budget: TurnBudget) {}

  run<T>(job: () => Promise<T>): Promise<T> {
    if (!this.draining && !this.budget.exhausted()) return job();
    return new Promise<T>((resolve, reject) => {
      this.queue.push(async () => {
        const p = job();
        p.then(resolve, reject);
        await Promise.race([p.then(noop, noop), this.nextTurn()]);
      });
      if (!this.draining) void this.drain();
    });
  }

  private nextTurn(): Promise<void> {
    this.turn ??= new Promise<void>((r) =>
      setImmediate(() => {
        this.turn = undefined;
        r();
      }),
    );
    return this.turn;
  }

  private async drain(): Promise<void> {
    this.draining = true;
    try {
      while (this.queue.length > 0) {
        await this.budget.slice();
        await (this.queue.shift() as () => Promise<void>)();
      }
    } finally {
      this.draining = false;
    }
  }
}
