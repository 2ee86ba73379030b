import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SCORE_OPTIONS, emptyScoreStats, healthScore, recordOutcome, scoreFactors } from '../src/health/score.js';

const opts = DEFAULT_SCORE_OPTIONS;

describe('health score', () => {
  it('starts a proxy with no history at a neutral 0.5', () => {
    expect(healthScore(emptyScoreStats(0), 0, opts)).toBeCloseTo(0.5, 10);
  });

  it('weighs success rate, response time, recency and consistency as the seed did', () => {
    const stats = emptyScoreStats(0);
    for (let i = 0; i < 8; i++) recordOutcome(stats, true, 1_000, 0, opts);
    const f = scoreFactors(stats, 0, opts);
    expect(f).toEqual({ successRate: 0.9, responseTime: 0.5, recency: 1, consistency: 1 });
    expect(healthScore(stats, 0, opts)).toBeCloseTo(0.5 * 0.9 + 0.25 * 0.5 + 0.15 * 1 + 0.1 * 1, 10);
  });

  it('lets a proxy that failed an hour ago and has worked since be healthy again', () => {
    const stats = emptyScoreStats(0);
    for (let i = 0; i < 50; i++) recordOutcome(stats, false, undefined, 0, opts);
    const bad = healthScore(stats, 0, opts);
    expect(bad).toBeLessThan(0.3);
    for (let i = 0; i < 10; i++) recordOutcome(stats, true, 200, 3_600_000 + i * 1_000, opts);
    const now = 3_600_000 + 10_000;
    expect(healthScore(stats, now, opts)).toBeGreaterThan(0.85);
    // Without decay, 50 old failures would still drag the success rate under 0.2.
    expect(scoreFactors(stats, now, opts).successRate).toBeGreaterThan(0.8);
  });

  it('ranks fast over slow and steady over flaky', () => {
    const fast = emptyScoreStats(0);
    const slow = emptyScoreStats(0);
    const flaky = emptyScoreStats(0);
    for (let i = 0; i < 10; i++) {
      recordOutcome(fast, true, 150, i, opts);
      recordOutcome(slow, true, 4_000, i, opts);
      recordOutcome(flaky, i % 2 === 0, 150, i, opts);
    }
    expect(healthScore(fast, 10, opts)).toBeGreaterThan(healthScore(slow, 10, opts));
    expect(healthScore(fast, 10, opts)).toBeGreaterThan(healthScore(flaky, 10, opts));
  });

  it('stays within [0, 1] for any history and any weights (property)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            ok: fc.boolean(),
            latency: fc.option(fc.double({ min: 0, max: 1e7, noNaN: true })),
            dt: fc.integer({ min: 0, max: 1e8 }),
          }),
          { maxLength: 100 },
        ),
        fc.record({
          successRate: fc.double({ min: 0, max: 10, noNaN: true }),
          responseTime: fc.double({ min: 0, max: 10, noNaN: true }),
          recency: fc.double({ min: 0, max: 10, noNaN: true }),
          consistency: fc.double({ min: 0.01, max: 10, noNaN: true }),
        }),
        fc.integer({ min: 0, max: 1e9 }),
        (events, weights, later) => {
          const o = { ...opts, weights };
          const stats = emptyScoreStats(0);
          let now = 0;
          for (const e of events) {
            now += e.dt;
            recordOutcome(stats, e.ok, e.latency ?? undefined, now, o);
            const s = healthScore(stats, now, o);
            if (!(s >= 0 && s <= 1)) return false;
          }
          const s = healthScore(stats, now + later, o);
          return s >= 0 && s <= 1;
        },
      ),
    );
  });
});
