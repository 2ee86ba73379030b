import { type Candidate, type PickContext, type RotationStrategy, candidateAt, drawBudget, scanIndexFrom, viewAt } from './strategy.js';

const TRIES = 64;

/**
 * Picks proxies with probability proportional to
 *
 *   max(score, floor)^exponent × min(1, typical latency / its latency)² / (1 + leases in flight)
 *
 * The score carries health; the speed factor compares a proxy with the pool's own typical
 * latency (an absolute reference cannot: under load every proxy is slow), so that a proxy
 * twice as slow as the rest gets a quarter of the work (slow proxies were a tenth of the pages,
 * and most of the lost time, in the goodput benchmark with a linear factor); dividing by the leases in flight spreads
 * concurrent work, and keeps callers from piling onto a proxy that hangs before its first
 * timeout is even known.
 *
 * Rejection sampling: draw a proxy uniformly, skip it if it is not usable, accept it with
 * probability equal to its weight (weights are in [0, 1]). Exactly proportional, O(1) expected
 * per pick, nothing to keep up to date as scores change: each draw reads the proxy's table row
 * (eligibility first, then the weight through `context.viewAt`, the same cache lines), so the
 * weight is computed from the current score with the current typical latency. A proxy not yet
 * judged weighs at most the neutral weight (½ cubed: an eighth of a healthy proxy's), so a draw
 * of one is turned down from a compact array of judged flags, without reading its numbers,
 * when the number drawn is above that: in a large pool still mostly unexplored, most draws.
 * When a pool is mostly unusable and the draws keep missing (more draws than an eighth of the
 * pool, see `drawBudget`), an exact weighted scan takes over.
 */
export class WeightedRotation implements RotationStrategy {
  readonly name = 'weighted';
  readonly #exponent: number;
  readonly #floor: number;
  /** The most a proxy not yet judged can weigh: the neutral score's health, at full speed, with nothing in flight. */
  readonly #untriedWeight: number;
  /** By candidate index, 0 for a proxy not yet judged (kept through the hooks; 1 where unknown). */
  #judged = new Uint8Array(64).fill(1);

  /**
   * @param exponent sharpens the preference for healthy proxies (3: a proxy at 0.5 gets an eighth of the traffic of one at 1). @default 3
   * @param floor the least score, so that every usable proxy keeps some traffic and can recover. @default 0.02
   */
  constructor(options: { exponent?: number; floor?: number } = {}) {
    this.#exponent = options.exponent ?? 3;
    this.#floor = options.floor ?? 0.02;
    if (!(this.#exponent > 0)) throw new RangeError('Expected `exponent` to be a positive number.');
    if (!(this.#floor > 0 && this.#floor <= 1)) throw new RangeError('Expected `floor` to be in (0, 1].');
    this.#untriedWeight = Math.max(0.5, this.#floor) ** this.#exponent;
  }

  /**
   * The pool's typical latency: a slow-moving average of every proxy's. NaN until the first
   * (not undefined: a field that has held undefined makes V8 allocate on every later write).
   */
  #typicalLatencyMs = Number.NaN;

  weight(candidate: Candidate): number {
    // A half-open breaker's trial is how a proxy that recovered gets back into use: weighed like a
    // new proxy (the neutral prior), not by the failures that opened it, or it would almost never
    // be drawn (at the floor, 0.02³) and stay out for good (measured in the goodput benchmark).
    const score = candidate.circuit === 'half-open' ? Math.max(candidate.score, 0.5) : Math.max(candidate.score, this.#floor);
    const health = this.#exponent === 3 ? score * score * score : score ** this.#exponent;
    const latency = candidate.latencyMs;
    const typical = this.#typicalLatencyMs;
    // (NaN compares false: no typical latency yet means no speed penalty.)
    const speed = latency === undefined || !(latency > typical) ? 1 : (typical / latency) ** 2;
    return (health * speed) / (1 + candidate.inFlight);
  }

  onAdded(candidate: Candidate): void {
    this.onUpdated(candidate);
  }

  /** Learns the pool's typical latency from every proxy's updates, and which proxies are judged. */
  onUpdated(candidate: Candidate): void {
    const latency = candidate.latencyMs;
    if (latency !== undefined) {
      const typical = this.#typicalLatencyMs;
      this.#typicalLatencyMs = Number.isNaN(typical) ? latency : typical + 0.02 * (latency - typical);
    }
    const i = candidate.index;
    if (i < 0) return;
    if (i >= this.#judged.length) {
      const grown = new Uint8Array(Math.max(i + 1, this.#judged.length * 2)).fill(1);
      grown.set(this.#judged);
      this.#judged = grown;
    }
    this.#judged[i] = candidate.judged === false ? 0 : 1;
  }

  pick(context: PickContext): Candidate | undefined {
    return candidateAt(context, this.pickIndex(context));
  }

  pickIndex(context: PickContext): number {
    const n = context.candidates.length;
    if (n === 0) return -1;
    const judged = this.#judged;
    const untried = this.#untriedWeight;
    const tries = drawBudget(n, TRIES);
    for (let i = 0; i < tries; i++) {
      // One draw gives both the proxy (the whole part) and the number to accept it by (the
      // fraction, uniform and independent of the whole part to ~36 bits at 100,000 proxies).
      const u = context.random() * n;
      const index = Math.floor(u);
      const r = u - index;
      if (r >= untried && index < judged.length && judged[index] === 0) continue; // above what it can weigh
      if (context.isEligibleAt(index) && r < this.weight(viewAt(context, index))) return index;
    }
    const scanned = this.#scan(context);
    return scanned >= 0 ? scanned : scanIndexFrom(context, 0);
  }

  #scan(context: PickContext): number {
    const { candidates } = context;
    let total = 0;
    for (let i = 0; i < candidates.length; i++) if (context.isEligibleAt(i)) total += this.weight(viewAt(context, i));
    if (total <= 0) return -1;
    let r = context.random() * total;
    for (let i = 0; i < candidates.length; i++) {
      if (!context.isEligibleAt(i)) continue;
      r -= this.weight(viewAt(context, i));
      if (r < 0) return i;
    }
    return -1;
  }
}
