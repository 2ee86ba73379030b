/**
 * A timeout that learns from how long the answers it waited for took, the way TCP sets its
 * retransmission timeout (RFC 6298): a smoothed duration plus four times its mean deviation,
 * kept between a floor and a ceiling. Before the first answer it is the ceiling.
 *
 * Why: the pre-flight check waits for a proxy to accept a connection (and a tunnel). A fixed
 * timeout has to be long enough for the slowest good proxy anywhere, and every hanging proxy
 * then costs that long. Measured on the answers the pool's own proxies give, it costs a hanging
 * proxy a small multiple of what a good one takes (in the goodput benchmark 0.5 s instead of
 * 2.5 s, each time a hanging proxy is checked) and still waits for a far-away pool's proxies.
 *
 * Only answers are samples: a timeout says the true duration is longer, not how long (Karn).
 * Pure: durations come from the caller.
 */
export class AdaptiveTimeout {
  readonly minMs: number;
  readonly maxMs: number;
  #smoothed: number | undefined;
  #deviation = 0;

  constructor(minMs: number, maxMs: number) {
    if (!(minMs > 0) || !(maxMs >= minMs)) {
      throw new RangeError(`Expected 0 < minMs <= maxMs for an adaptive timeout, got ${minMs} and ${maxMs}.`);
    }
    this.minMs = minMs;
    this.maxMs = maxMs;
  }

  /** How long something that answered took. */
  observe(durationMs: number): void {
    if (!(durationMs >= 0) || !Number.isFinite(durationMs)) return;
    if (this.#smoothed === undefined) {
      this.#smoothed = durationMs;
      this.#deviation = durationMs / 2;
      return;
    }
    this.#deviation = 0.75 * this.#deviation + 0.25 * Math.abs(this.#smoothed - durationMs);
    this.#smoothed = 0.875 * this.#smoothed + 0.125 * durationMs;
  }

  /**
   * Whether an answer that took `durationMs` came in time by what is known now, and if it did,
   * a sample. A wait that started before the first answers brought the timeout down used a
   * longer one (the ceiling): judged now, a slow answer fails as a timeout, as it would have
   * a moment later, instead of passing for having been asked early.
   */
  accept(durationMs: number): boolean {
    if (durationMs > this.ms) return false;
    this.observe(durationMs);
    return true;
  }

  /** The timeout to use now. */
  get ms(): number {
    if (this.#smoothed === undefined) return this.maxMs;
    return Math.min(this.maxMs, Math.max(this.minMs, Math.ceil(this.#smoothed + 4 * this.#deviation)));
  }
}
