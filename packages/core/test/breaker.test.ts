import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type BreakerState,
  DEFAULT_BREAKER_OPTIONS,
  admits,
  advance,
  closedBreaker,
  onFailure,
  onLease,
  onRelease,
  onSuccess,
} from '../src/health/breaker.js';
import { seededRandom } from '../src/testing/index.js';

const options = { ...DEFAULT_BREAKER_OPTIONS, failureThreshold: 5, jitter: 0 };
const random = seededRandom(1);

function failTimes(b: BreakerState, n: number, now: number): BreakerState {
  for (let i = 0; i < n; i++) b = onFailure(b, now, options, random, 'test');
  return b;
}

describe('circuit breaker transitions', () => {
  it('opens after failureThreshold consecutive failures, not before', () => {
    let b = failTimes(closedBreaker(0), 4, 0);
    expect(b.state).toBe('closed');
    b = onSuccess(b, 0, options, false);
    b = failTimes(b, 4, 0);
    expect(b.state).toBe('closed');
    b = failTimes(b, 1, 0);
    expect(b).toMatchObject({ state: 'open', until: 60_000 });
  });

  it('half-opens after openMs, admits one trial, closes after successThreshold successes', () => {
    let b = failTimes(closedBreaker(0), 5, 0);
    expect(advance(b, 59_999).state).toBe('open');
    b = advance(b, 60_000);
    expect(b.state).toBe('half-open');
    expect(admits(b, options)).toBe(true);
    b = onLease(b);
    expect(admits(b, options)).toBe(false);
    b = onSuccess(b, 60_100, options, true);
    expect(b).toMatchObject({ state: 'half-open', successes: 1, trials: 0 });
    b = onSuccess(onLease(b), 60_200, options, true);
    expect(b.state).toBe('closed');
  });

  it('reopens on a failure in half-open, for twice as long each time, up to the cap', () => {
    let b = failTimes(closedBreaker(0), 5, 0);
    const durations: number[] = [];
    let now = 0;
    for (let i = 0; i < 8; i++) {
      if (b.state !== 'open') throw new Error('expected open');
      durations.push(b.until - b.openedAt);
      now = b.until;
      b = onFailure(advance(b, now), now, options, random, 'again');
    }
    expect(durations).toEqual([60_000, 120_000, 240_000, 480_000, 900_000, 900_000, 900_000, 900_000]);
  });

  it('forgets past openings after staying healthy for resetStreakAfterMs', () => {
    let b = failTimes(closedBreaker(0), 5, 0); // open 60 s, streak 1
    b = onSuccess(onSuccess(advance(b, 60_000), 60_000, options, false), 60_000, options, false);
    expect(b.state).toBe('closed');
    const soon = failTimes(b, 5, 70_000);
    expect(soon.state === 'open' && soon.until - soon.openedAt).toBe(120_000);
    const later = failTimes(b, 5, 60_000 + options.resetStreakAfterMs);
    expect(later.state === 'open' && later.until - later.openedAt).toBe(60_000);
  });

  it('jitters open times within ±jitter', () => {
    const jittered = { ...DEFAULT_BREAKER_OPTIONS, jitter: 0.2 };
    const r = seededRandom(3);
    const durations = Array.from({ length: 200 }, () => {
      let b = closedBreaker(0);
      for (let i = 0; i < jittered.failureThreshold; i++) b = onFailure(b, 0, jittered, r, 'x');
      return b.state === 'open' ? b.until : Number.NaN;
    });
    expect(Math.min(...durations)).toBeGreaterThanOrEqual(48_000);
    expect(Math.max(...durations)).toBeLessThanOrEqual(72_000);
    expect(new Set(durations).size).toBeGreaterThan(50);
  });

  it('never goes from closed straight to half-open, whatever happens (property)', () => {
    const event = fc.oneof(
      fc.record({ type: fc.constant('success' as const), trial: fc.boolean() }),
      fc.record({ type: fc.constant('failure' as const) }),
      fc.record({ type: fc.constant('lease' as const) }),
      fc.record({ type: fc.constant('release' as const), trial: fc.boolean() }),
      fc.record({ type: fc.constant('time' as const), ms: fc.integer({ min: 0, max: 2_000_000 }) }),
    );
    fc.assert(
      fc.property(fc.array(event, { maxLength: 200 }), (events) => {
        let b = closedBreaker(0);
        let now = 0;
        for (const e of events) {
          const before = b;
          if (e.type === 'time') now += e.ms;
          const current = advance(b, now);
          if (e.type === 'success') b = onSuccess(current, now, options, e.trial);
          else if (e.type === 'failure') b = onFailure(current, now, options, random, 'p');
          else if (e.type === 'lease') b = admits(current, options) ? onLease(current) : current;
          else if (e.type === 'release') b = onRelease(current, e.trial);
          else b = current;
          if (before.state === 'closed' && b.state === 'half-open') return false;
          if (b.state === 'half-open' && (b.trials < 0 || b.trials > options.halfOpenMaxTrials)) return false;
        }
        return true;
      }),
    );
  });
});
