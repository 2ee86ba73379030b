/**
 * Spacing: when each member last started a lease for each target, so that two leases of one
 * member for one target start at least `minIntervalMs` apart (sites rate-limit per IP; spacing
 * prevents the bans that detecting them would cost). Keyed by target, then by the member's
 * position (a pick reads positions, not entries); Members tells it when positions move.
 *
 * A target's starts are a Map while few members have one, and a Float64Array by position once
 * many have (a busy site at 100,000 proxies holds tens of thousands of recent starts: a Map that
 * size cost half the pick-and-report rate, an array read is one load). A sparse target keeps a
 * start only as long as it can hold a lease back; a dense one is dropped whole once a sweep
 * finds it has not started a lease for `minIntervalMs`, so a site no longer crawled lets go of it.
 */
const NONE = Number.NEGATIVE_INFINITY;

/** A sparse target turns dense above this many starts, or a 16th of the members if more. */
const DENSE_ABOVE = 1_024;

export class TargetStarts {
  /** Position → the last start's time (NONE: none); set once the target is busy. */
  dense: Float64Array | undefined;
  /** Position → the last start's time, while the target is not. */
  readonly sparse = new Map<number, number>();
  /** Above this size the sparse starts are pruned (then it doubles): amortized O(1) a start. */
  pruneAbove: number;
  lastStartAt = NONE;

  constructor(pruneAbove: number) {
    this.pruneAbove = pruneAbove;
  }

  /** The last start through the member at `index` (-Infinity: none). */
  lastAt(index: number): number {
    const dense = this.dense;
    if (dense !== undefined) return index < dense.length ? dense[index]! : NONE;
    return this.sparse.get(index) ?? NONE;
  }

  set(index: number, at: number): void {
    const dense = this.dense;
    if (dense !== undefined) {
      if (index >= dense.length) this.dense = grown(dense, index + 1);
      this.dense![index] = at;
    } else this.sparse.set(index, at);
  }

  delete(index: number): void {
    const dense = this.dense;
    if (dense !== undefined) {
      if (index < dense.length) dense[index] = NONE;
    } else this.sparse.delete(index);
  }

  makeDense(members: number): void {
    let size = members;
    for (const index of this.sparse.keys()) if (index >= size) size = index + 1;
    const dense = new Float64Array(size).fill(NONE);
    for (const [index, at] of this.sparse) dense[index] = at;
    this.sparse.clear();
    this.dense = dense;
  }
}

function grown(dense: Float64Array, atLeast: number): Float64Array {
  const next = new Float64Array(Math.max(atLeast, dense.length * 2)).fill(NONE);
  next.set(dense);
  return next;
}

export class Spacing {
  readonly #intervalMs: number;
  readonly #members: () => number;
  readonly #denseAbove: number;
  readonly #starts = new Map<string, TargetStarts>();
  #startsSinceSweep = 0;

  /**
   * `members`: how many members the pool has now (a dense target is sized by it);
   * `denseAbove`: the fewest starts that make a target dense (tests lower it).
   */
  constructor(intervalMs: number, members: () => number, denseAbove = DENSE_ABOVE) {
    this.#intervalMs = intervalMs;
    this.#members = members;
    this.#denseAbove = denseAbove;
  }

  /** The starts through each member for `target` (a pick reads it once, then by position). */
  startsFor(target: string): TargetStarts | undefined {
    return this.#starts.get(target);
  }

  get intervalMs(): number {
    return this.#intervalMs;
  }

  /** The earliest time the member at `index` may start a lease for `target` (≤ now: it may). */
  nextStartAt(target: string, index: number): number {
    const starts = this.#starts.get(target);
    return starts === undefined ? NONE : starts.lastAt(index) + this.#intervalMs;
  }

  started(target: string, index: number, now: number): void {
    let starts = this.#starts.get(target);
    if (!starts) {
      starts = new TargetStarts(this.#denseAbove);
      this.#starts.set(target, starts);
    }
    starts.set(index, now);
    starts.lastStartAt = now;
    if (starts.dense === undefined && starts.sparse.size > starts.pruneAbove) {
      this.#pruneSparse(starts, now);
      const members = this.#members();
      if (starts.sparse.size > Math.max(this.#denseAbove, members >> 4)) starts.makeDense(members);
      else starts.pruneAbove = Math.max(this.#denseAbove, 2 * starts.sparse.size);
    }
    // Now and then every target, so that one no longer visited lets go of its starts too.
    if (++this.#startsSinceSweep >= 65_536) this.prune(now);
  }

  /** Every target's next allowed start for the member at `index`, where one is still ahead. */
  aheadOf(index: number, now: number): Record<string, number> {
    const ahead: Record<string, number> = {};
    for (const [target, starts] of this.#starts) {
      const next = starts.lastAt(index) + this.#intervalMs;
      if (next > now) ahead[target] = next;
    }
    return ahead;
  }

  /** The member at `to` left; the one at `from` (the last) moved into its place. */
  moved(from: number, to: number): void {
    for (const starts of this.#starts.values()) {
      const last = starts.lastAt(from);
      starts.delete(to);
      if (last !== NONE) {
        starts.delete(from);
        starts.set(to, last);
      }
    }
  }

  /** The member at `index` (the last one) left. */
  removed(index: number): void {
    for (const starts of this.#starts.values()) starts.delete(index);
  }

  /** Forgets starts that can no longer hold anything back. */
  prune(now: number): void {
    this.#startsSinceSweep = 0;
    for (const [target, starts] of this.#starts) {
      if (starts.lastStartAt + this.#intervalMs <= now) this.#starts.delete(target);
      else if (starts.dense === undefined) this.#pruneSparse(starts, now);
    }
  }

  #pruneSparse(starts: TargetStarts, now: number): void {
    for (const [index, last] of starts.sparse) if (last + this.#intervalMs <= now) starts.sparse.delete(index);
  }
}
