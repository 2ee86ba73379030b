import type { Candidate, PickContext, RotationStrategy } from './strategy.js';

/** Each proxy in turn, skipping the ineligible. O(1) per pick while most proxies are usable. */
export class RoundRobin implements RotationStrategy {
  readonly name = 'round-robin';
  #cursor = 0;

  pick(context: PickContext): Candidate | undefined {
    const { candidates } = context;
    const n = candidates.length;
    for (let i = 0; i < n; i++) {
      const index = (this.#cursor + i) % n;
      if (context.isEligibleAt(index)) {
        this.#cursor = index + 1;
        return candidates[index];
      }
    }
    return undefined;
  }
}
