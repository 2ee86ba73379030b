import { type Candidate, type PickContext, type RotationStrategy, candidateAt } from './strategy.js';

/** Each proxy in turn, skipping the ineligible. O(1) per pick while most proxies are usable. */
export class RoundRobin implements RotationStrategy {
  readonly name = 'round-robin';
  #cursor = 0;

  pick(context: PickContext): Candidate | undefined {
    return candidateAt(context, this.pickIndex(context));
  }

  pickIndex(context: PickContext): number {
    const n = context.candidates.length;
    for (let i = 0; i < n; i++) {
      const index = (this.#cursor + i) % n;
      if (context.isEligibleAt(index)) {
        this.#cursor = index + 1;
        return index;
      }
    }
    return -1;
  }
}
