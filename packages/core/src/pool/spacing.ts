/**
 * Spacing: when each member last started a lease for each target, so that two leases of one
 * member for one target start at least `minIntervalMs` apart (sites rate-limit per IP; spacing
 * prevents the bans that detecting them would cost). Keyed by target, then by the member's
 * position (a pick reads positions, not entries); Members tells it when positions move. It
 * remembers a start only as long as it can hold a lease back, so it stays as small as the
 * leases of the last `minIntervalMs`.
 */
export class Spacing {
  readonly #intervalMs: number;
  /** target → member index → the last start's time. */
  readonly #starts = new Map<string, Map<number, number>>();
  #startsSincePrune = 0;

  constructor(intervalMs: number) {
    this.#intervalMs = intervalMs;
  }

  /** The earliest time the member at `index` may start a lease for `target` (≤ now: it may). */
  nextStartAt(target: string, index: number): number {
    const last = this.#starts.get(target)?.get(index);
    return last === undefined ? Number.NEGATIVE_INFINITY : last + this.#intervalMs;
  }

  started(target: string, index: number, now: number): void {
    let byIndex = this.#starts.get(target);
    if (!byIndex) {
      byIndex = new Map();
      this.#starts.set(target, byIndex);
    }
    byIndex.set(index, now);
    if (++this.#startsSincePrune >= 4_096) this.prune(now);
  }

  /** Every target's next allowed start for the member at `index`, where one is still ahead. */
  aheadOf(index: number, now: number): Record<string, number> {
    const ahead: Record<string, number> = {};
    for (const [target, byIndex] of this.#starts) {
      const last = byIndex.get(index);
      if (last !== undefined && last + this.#intervalMs > now) ahead[target] = last + this.#intervalMs;
    }
    return ahead;
  }

  /** The member at `index` left; the one at `from` moved into its place. */
  moved(from: number, to: number): void {
    for (const byIndex of this.#starts.values()) {
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
    for (const byIndex of this.#starts.values()) byIndex.delete(index);
  }

  /** Forgets starts that can no longer hold anything back. */
  prune(now: number): void {
    this.#startsSincePrune = 0;
    for (const [target, byIndex] of this.#starts) {
      for (const [index, last] of byIndex) if (last + this.#intervalMs <= now) byIndex.delete(index);
      if (byIndex.size === 0) this.#starts.delete(target);
    }
  }
}
