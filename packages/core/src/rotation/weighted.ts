import { type Candidate, type PickContext, type RotationStrategy, candidateAt, scanIndexFrom } from './strategy.js';

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
 * Rejection sampling: draw a proxy uniformly and a number r in [0, 1); accept the proxy when it
 * is usable and r is below its weight (weights are in [0, 1]). Exactly proportional, O(1)
 * expected per pick, with the weight computed from the proxy's numbers as they are now (read
 * through `context.viewAt`, after `isEligibleAt` has refreshed a stale score). Most draws are
 * turned down before reading the proxy's numbers at all: a compact array by index holds an
 * upper bound of each weight, exact for a proxy not yet judged (its weight cannot change
 * without an outcome or a lease, and the hooks report both) and 1 / (1 + in flight) for the
 * others, and r at or above the bound is a rejection. In a large pool still mostly unexplored
 * (a new proxy weighs an eighth of a healthy one) that spares a cache miss per rejected draw:
 * at 100,000 proxies, picks went from 1.2–1.4 to ~1.8 M/s in the benchmark. When a pool is
 * mostly unusable and the draws keep missing, an exact weighted scan takes over.
 */
export class WeightedRotation implements RotationStrategy {
  readonly name = 'weighted';
  readonly #exponent: number;
  readonly #floor: number;
  /** An upper bound of each candidate's weight, by index (see above); past its end, 1. */
  #bounds = new Float32Array(64).fill(1);

  /**
   * @param exponent sharpens the preference for healthy proxies (3: a proxy at 0.5 gets an eighth of the traffic of one at 1). @default 3
   * @param floor the least score, so that every usable proxy keeps some traffic and can recover. @default 0.02
   */
  constructor(options: { exponent?: number; floor?: number } = {}) {
    this.#exponent = options.exponent ?? 3;
    this.#floor = options.floor ?? 0.02;
    if (!(this.#exponent > 0)) throw new RangeError('Expected `exponent` to be a positive number.');
    if (!(this.#floor > 0 && this.#floor <= 1)) throw new RangeError('Expected `floor` to be in (0, 1].');
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

  /** Learns the pool's typical latency from every proxy's updates, and bounds the proxy's weight. */
  onUpdated(candidate: Candidate): void {
    const latency = candidate.latencyMs;
    if (latency !== undefined) {
      const typical = this.#typicalLatencyMs;
      this.#typicalLatencyMs = Number.isNaN(typical) ? latency : typical + 0.02 * (latency - typical);
    }
    const i = candidate.index;
    if (i < 0) return;
    if (i >= this.#bounds.length) {
      const grown = new Float32Array(Math.max(i + 1, this.#bounds.length * 2)).fill(1);
      grown.set(this.#bounds);
      this.#bounds = grown;
    }
    const judged = candidate.lastSuccessAt !== undefined || candidate.lastFailureAt !== undefined || latency !== undefined;
    // Rounded up to the next float32, so that the bound is never below the weight.
    this.#bounds[i] = judged ? 1 / (1 + candidate.inFlight) : nextFloat32Up(this.weight(candidate));
  }

  pick(context: PickContext): Candidate | undefined {
    return candidateAt(context, this.pickIndex(context));
  }

  pickIndex(context: PickContext): number {
    const n = context.candidates.length;
    if (n === 0) return -1;
    const bounds = this.#bounds;
    for (let i = 0; i < TRIES; i++) {
      const index = Math.floor(context.random() * n);
      const r = context.random();
      if (index < bounds.length && r >= bounds[index]!) continue; // above the bound: above the weight
      if (context.isEligibleAt(index) && r < this.weight(context.viewAt(index))) return index;
    }
    const scanned = this.#scan(context);
    return scanned >= 0 ? scanned : scanIndexFrom(context, 0);
  }

  #scan(context: PickContext): number {
    const { candidates } = context;
    let total = 0;
    for (let i = 0; i < candidates.length; i++) if (context.isEligibleAt(i)) total += this.weight(context.viewAt(i));
    if (total <= 0) return -1;
    let r = context.random() * total;
    for (let i = 0; i < candidates.length; i++) {
      if (!context.isEligibleAt(i)) continue;
      r -= this.weight(context.viewAt(i));
      if (r < 0) return i;
    }
    return -1;
  }
}

const float32 = new Float32Array(1);
const bits = new Uint32Array(float32.buffer);

/** The least float32 at or above `x` (x ≥ 0). */
function nextFloat32Up(x: number): number {
  float32[0] = x;
  if (float32[0]! < x) bits[0]! += 1;
  return float32[0]!;
}
