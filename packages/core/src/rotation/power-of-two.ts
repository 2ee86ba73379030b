import { type Candidate, type PickContext, type RotationStrategy, sampleEligible, scanFrom } from './strategy.js';

const TRIES = 16;

/**
 * The power of two choices: draw two eligible proxies at random, use the better one, where
 * better is `score / (1 + inFlight)`. Nearly as good as always taking the best, without
 * the herd effect of every caller piling onto the same top proxy (Mitzenmacher, 2001).
 */
export class PowerOfTwo implements RotationStrategy {
  readonly name = 'power-of-two';

  pick(context: PickContext): Candidate | undefined {
    const n = context.candidates.length;
    if (n === 0) return undefined;
    const first = sampleEligible(context, TRIES) ?? scanFrom(context, Math.floor(context.random() * n));
    if (!first) return undefined;
    const second = sampleEligible(context, TRIES);
    if (!second || second === first) return first;
    return value(second) > value(first) ? second : first;
  }
}

function value(candidate: Candidate): number {
  return candidate.score / (1 + candidate.inFlight);
}
