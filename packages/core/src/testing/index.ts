/** Helpers for testing code that uses a pool: fake time and seeded randomness. */
export { FakeClock, settle } from './fake-clock.js';
export { seededRandom } from './seeded-random.js';
