import { type Candidate, type PickContext, type RotationStrategy, candidateAt, sampleEligibleIndex, scanIndexFrom } from './strategy.js';

const TRIES = 32;

/** A uniformly random eligible proxy. */
export class RandomRotation implements RotationStrategy {
  readonly name = 'random';

  pick(context: PickContext): Candidate | undefined {
    return candidateAt(context, this.pickIndex(context));
  }

  pickIndex(context: PickContext): number {
    const n = context.candidates.length;
    if (n === 0) return -1;
    // Mostly-dead pools fall through to a scan from a random place.
    const index = sampleEligibleIndex(context, TRIES);
    return index >= 0 ? index : scanIndexFrom(context, Math.floor(context.random() * n));
  }
}
