import { type Candidate, type PickContext, type RotationStrategy, candidateAt, sampleEligibleIndex, scanIndexFrom } from './strategy.js';

const TRIES = 16;

/**
 * The power of two choices: draw two proxies at random, use the better one (the other if the
 * better one is not usable), where better is `score / (1 + inFlight)`. Nearly as good as
 * always taking the best, without the herd effect of every caller piling onto the same top
 * proxy (Mitzenmacher, 2001).
 *
 * The values are kept by candidate index in a Float32Array through the pool's hooks, so that
 * comparing the two draws reads one compact array instead of two scattered proxies (at 100,000
 * proxies each is a cache miss); only the chosen one is checked for eligibility.
 */
export class PowerOfTwo implements RotationStrategy {
  readonly name = 'power-of-two';
  #values = new Float32Array(64);
  #indexed = false;

  onAdded(candidate: Candidate): void {
    this.#indexed = true;
    this.onUpdated(candidate);
  }

  onUpdated(candidate: Candidate): void {
    const i = candidate.index;
    if (i < 0) return;
    if (i >= this.#values.length) {
      const grown = new Float32Array(Math.max(i + 1, this.#values.length * 2));
      grown.set(this.#values);
      this.#values = grown;
    }
    this.#values[i] = value(candidate);
  }

  pick(context: PickContext): Candidate | undefined {
    return candidateAt(context, this.pickIndex(context));
  }

  pickIndex(context: PickContext): number {
    const n = context.candidates.length;
    if (n === 0) return -1;
    if (!this.#indexed) return this.#pickUnindexed(context);
    const values = this.#values;
    for (let i = 0; i < TRIES; i++) {
      const a = Math.floor(context.random() * n);
      const b = Math.floor(context.random() * n);
      const better = values[b]! > values[a]! ? b : a;
      const worse = better === a ? b : a;
      if (context.isEligibleAt(better)) return better;
      if (worse !== better && context.isEligibleAt(worse)) return worse;
    }
    // Mostly-unusable pools: a scan from a random place.
    return scanIndexFrom(context, Math.floor(context.random() * n));
  }

  /** Without the pool's hooks (wrapped by a custom strategy, say): read the candidates themselves. */
  #pickUnindexed(context: PickContext): number {
    const { candidates } = context;
    const sampled = sampleEligibleIndex(context, TRIES);
    const first = sampled >= 0 ? sampled : scanIndexFrom(context, Math.floor(context.random() * candidates.length));
    if (first < 0) return -1;
    const second = sampleEligibleIndex(context, TRIES);
    if (second < 0 || second === first) return first;
    return value(candidates[second]!) > value(candidates[first]!) ? second : first;
  }
}

function value(candidate: Candidate): number {
  return candidate.score / (1 + candidate.inFlight);
}
