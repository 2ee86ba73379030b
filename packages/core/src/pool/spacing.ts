/**
 * Spacing: when each member last started a lease for each target, so that two leases of one
 * member for one target start at least `minIntervalMs` apart (sites rate-limit per IP; spacing
 * prevents the bans that detecting them would cost). Keyed by target, then by the member's
 * position (a pick reads positions, not entries); Members tells it when positions move. It
 * remembers a start only as long as it can hold a lease back, so it stays as small as the
 * leases of the last `minIntervalMs`.
 */
interface TargetStarts {
  /** Member index → the last start's time. */
  readonly byIndex: Map<number, number>;
  /** Above this size the target's starts are pruned (then it doubles): amortized O(1) a start. */
  pruneAbove: number;
}

export class Spacing {
  readonly #intervalMs: number;
  readonly #starts = new Map<string, TargetStarts>();
  #startsSinceSweep = 0;

  constructor(intervalMs: number) {
    this.#intervalMs = intervalMs;
  }

  /** The latest start through each member for `target` (a pick reads it once, then by index). */
  startsFor(target: string): ReadonlyMap<number, number> | undefined {
    return this.#starts.get(target)?.byIndex;
  }

  get intervalMs(): number {
    return this.#intervalMs;
  }

  /** The earliest time the member at `index` may start a lease for `target` (≤ now: it may). */
  nextStartAt(target: string, index: number): number {
    const last = this.#starts.get(target)?.byIndex.get(index);
    return last === undefined ? Number.NEGATIVE_INFINITY : last + this.#intervalMs;
  }

  started(target: string, index: number, now: number): void {
    let starts = this.#starts.get(target);
    if (!starts) {
      starts = { byIndex: new Map(), pruneAbove: 1_024 };
      this.#starts.set(target, starts);
    }
    starts.byIndex.set(index, now);
    if (starts.byIndex.size > starts.pruneAbove) {
      this.#pruneTarget(starts, now);
      starts.pruneAbove = Math.max(1_024, 2 * starts.byIndex.size);
    }
    // Now and then every target, so that one no longer visited lets go of its starts too.
    if (++this.#startsSinceSweep >= 65_536) this.prune(now);
  }

  /** Every target's next allowed start for the member at `index`, where one is still ahead. */
  aheadOf(index: number, now: number): Record<string, number> {
    const ahead: Record<string, number> = {};
    for (const [target, { byIndex }] of this.#starts) {
      const last = byIndex.get(index);
      if (last !== undefined && last + this.#intervalMs > now) ahead[target] = last + this.#intervalMs;
    }
    return ahead;
  }

  /** The member at `to` left; the one at `from` (the last) moved into its place. */
  moved(from: number, to: number): void {
    for (const { byIndex } of this.#starts.values()) {
      const last = byIndex.get(from);
      byIndex.delete(to);
      if (last !== undefined) {
        byIndex.delete(from);
        byIndex.set(to, last);
      }
    }
  }

  /** The member at `index` (the last one) left. */
  removed(index: number): void {
    for (const { byIndex } of this.#starts.values()) byIndex.delete(index);
  }

  /** Forgets starts that can no longer hold anything back. */
  prune(now: number): void {
    this.#startsSinceSweep = 0;
    for (const [target, starts] of this.#starts) {
      this.#pruneTarget(starts, now);
      if (starts.byIndex.size === 0) this.#starts.delete(target);
    }
  }

  #pruneTarget(starts: TargetStarts, now: number): void {
    for (const [index, last] of starts.byIndex) if (last + this.#intervalMs <= now) starts.byIndex.delete(index);
  }
}
