import { LeastUsed } from './least-used.js';
import { PowerOfTwo } from './power-of-two.js';
import { RandomRotation } from './random.js';
import { RoundRobin } from './round-robin.js';
import type { RotationStrategy } from './strategy.js';
import { WeightedRotation } from './weighted.js';

export type RotationName = 'round-robin' | 'weighted' | 'random' | 'least-used' | 'power-of-two';

export const ROTATION_NAMES: readonly RotationName[] = ['round-robin', 'weighted', 'random', 'least-used', 'power-of-two'];

/** The strategies this package made (their picks are proven eligible by tests; a custom one's are checked). */
const BUILT_IN = new WeakSet<RotationStrategy>();

export function isBuiltInRotation(strategy: RotationStrategy): boolean {
  return BUILT_IN.has(strategy);
}

/** A fresh strategy instance (strategies keep state: one per pool). */
export function createRotation(rotation: RotationName | RotationStrategy): RotationStrategy {
  if (typeof rotation === 'object' && rotation !== null) {
    if (typeof rotation.pick !== 'function') throw new TypeError('Expected `rotation` to have a `pick(context)` method.');
    return rotation;
  }
  const strategy = builtIn(rotation);
  BUILT_IN.add(strategy);
  return strategy;
}

function builtIn(rotation: RotationName): RotationStrategy {
  switch (rotation) {
    case 'round-robin':
      return new RoundRobin();
    case 'weighted':
      return new WeightedRotation();
    case 'random':
      return new RandomRotation();
    case 'least-used':
      return new LeastUsed();
    case 'power-of-two':
      return new PowerOfTwo();
    default:
      throw new TypeError(
        `Expected \`rotation\` to be one of ${ROTATION_NAMES.join(', ')} or a strategy object, got ${JSON.stringify(rotation)}.`,
      );
  }
}
