import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AdaptiveTimeout } from '../src/adaptive-timeout.js';

describe('AdaptiveTimeout (the pre-flight timeout)', () => {
  it('is the ceiling until something answers', () => {
    expect(new AdaptiveTimeout(1_000, 7_500).ms).toBe(7_500);
  });

  it('comes down to the floor when answers are fast and steady', () => {
    const t = new AdaptiveTimeout(1_000, 7_500);
    for (let i = 0; i < 20; i++) t.observe(3);
    expect(t.ms).toBe(1_000);
  });

  it('waits for a pool whose proxies are far away: the smoothed duration plus four deviations', () => {
    const t = new AdaptiveTimeout(1_000, 7_500);
    t.observe(800); // first sample: smoothed 800, deviation 400 → 2,400
    expect(t.ms).toBe(2_400);
    for (let i = 0; i < 50; i++) t.observe(i % 2 === 0 ? 400 : 1_600); // spread answers: a wide margin
    expect(t.ms).toBeGreaterThan(3_000);
    expect(t.ms).toBeLessThanOrEqual(7_500);
  });

  it('judges an answer by the timeout known when it arrives, and only answers in time are samples', () => {
    const t = new AdaptiveTimeout(1_000, 5_000);
    expect(t.accept(1_500)).toBe(true); // the first answer: the ceiling was the timeout
    const fresh = new AdaptiveTimeout(1_000, 5_000);
    expect(fresh.accept(3)).toBe(true);
    expect(fresh.ms).toBe(1_000);
    expect(fresh.accept(1_500)).toBe(false); // asked before the first answer, judged after it
    expect(fresh.ms).toBe(1_000); // and not a sample
    expect(fresh.accept(900)).toBe(true);
  });

  it('ignores what is not a duration', () => {
    const t = new AdaptiveTimeout(1_000, 5_000);
    t.observe(Number.NaN);
    t.observe(-5);
    t.observe(Number.POSITIVE_INFINITY);
    expect(t.ms).toBe(5_000);
  });

  it('rejects bounds that make no sense', () => {
    expect(() => new AdaptiveTimeout(0, 100)).toThrow(/0 < minMs <= maxMs/);
    expect(() => new AdaptiveTimeout(200, 100)).toThrow(/got 200 and 100/);
  });

  it('stays within its bounds and above the typical answer (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0, max: 20_000, noNaN: true }), { minLength: 1, maxLength: 200 }), (samples) => {
        const t = new AdaptiveTimeout(500, 10_000);
        for (const s of samples) t.observe(s);
        expect(t.ms).toBeGreaterThanOrEqual(500);
        expect(t.ms).toBeLessThanOrEqual(10_000);
        // Never shorter than the last answer when that is within bounds: the smoothed value
        // moves an eighth of the way, the deviation a quarter, and 4 × a quarter covers the rest.
        const last = samples[samples.length - 1]!;
        expect(t.ms).toBeGreaterThanOrEqual(Math.min(10_000, last));
      }),
    );
  });
});
