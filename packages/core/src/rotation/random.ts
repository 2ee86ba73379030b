import { type Candidate, type PickContext, type RotationStrategy, sampleEligible, scanFrom } from './strategy.js';

const TRIES = 32;

/** A uniformly random eligible proxy. */
export class RandomRotation implements RotationStrategy {
  readonly name = 'random';

  pick(context: PickContext): Candidate | undefined {
    const n = context.candidates.length;
    if (n === 0) return undefined;
    // Mostly-dead pools fall through to a scan from a random place.
    return sampleEligible(context, TRIES) ?? scanFrom(context, Math.floor(context.random() * n));
  }
}
