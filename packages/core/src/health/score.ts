/**
 * The health score: a number in [0, 1] computed from a proxy's charged outcomes.
 * Pure: a function of the record and the time, nothing else.
 *
 *   score = (wS·successRate + wT·responseTime + wR·recency + wC·consistency) / (wS + wT + wR + wC)
 *
 * - successRate = (s + 1) / (s + f + 2), where s and f are success and failure counts that
 *   halve every `halfLifeMs`: old evidence fades and the rate drifts back to the neutral prior
 *   1/2, so a proxy that failed an hour ago and has worked since is healthy again.
 * - responseTime = R / (R + latency), latency being an exponentially weighted average and R
 *   `referenceLatencyMs` (a proxy as slow as R scores 1/2 here).
 * - recency = 1 when the last charged outcome was a success; after a failure it is 0 and
 *   climbs back, 1 - 2^(-age / recencyHalfLifeMs), as the failure ages.
 * - consistency = min(consecutive successes, consistencyTarget) / consistencyTarget.
 * A proxy with no history gets 1/2 for every factor: tried, not trusted blindly.
 */
export interface ScoreWeights {
  successRate: number;
  responseTime: number;
  recency: number;
  consistency: number;
}

export interface ScoreOptions {
  /** @default { successRate: 0.5, responseTime: 0.25, recency: 0.15, consistency: 0.1 } (the seed's) */
  weights: ScoreWeights;
  /** Half-life of success and failure counts. @default 600_000 (10 minutes) */
  halfLifeMs: number;
  /** The latency that scores 1/2 on the response-time factor. @default 1_000 */
  referenceLatencyMs: number;
  /** How fast a failure's penalty on the recency factor fades. @default 300_000 (5 minutes) */
  recencyHalfLifeMs: number;
  /** Consecutive successes that make a proxy fully consistent. @default 5 */
  consistencyTarget: number;
}

export const DEFAULT_SCORE_OPTIONS: ScoreOptions = {
  weights: { successRate: 0.5, responseTime: 0.25, recency: 0.15, consistency: 0.1 },
  halfLifeMs: 600_000,
  referenceLatencyMs: 1_000,
  recencyHalfLifeMs: 300_000,
  consistencyTarget: 5,
};

/** The statistics the score is computed from. Counts are as of `decayedAt`. */
export interface ScoreStats {
  successes: number;
  failures: number;
  decayedAt: number;
  latencyMs: number | undefined;
  lastSuccessAt: number | undefined;
  lastFailureAt: number | undefined;
  consecutiveSuccesses: number;
}

export function emptyScoreStats(now: number): ScoreStats {
  return {
    successes: 0,
    failures: 0,
    decayedAt: now,
    latencyMs: undefined,
    lastSuccessAt: undefined,
    lastFailureAt: undefined,
    consecutiveSuccesses: 0,
  };
}

const LATENCY_SMOOTHING = 0.3;

function decayFactor(stats: ScoreStats, now: number, halfLifeMs: number): number {
  const age = now - stats.decayedAt;
  // 2^(-age/halfLife), as e^(-age·ln2/halfLife): V8's Math.exp is several times faster than a
  // fractional power, and this runs on every outcome.
  return age <= 0 ? 1 : Math.exp((-age * Math.LN2) / halfLifeMs);
}

/** Records a charged outcome into the stats, in place (the stats are owned by one record). */
export function recordOutcome(stats: ScoreStats, ok: boolean, latencyMs: number | undefined, now: number, options: ScoreOptions): void {
  const factor = decayFactor(stats, now, options.halfLifeMs);
  stats.successes *= factor;
  stats.failures *= factor;
  stats.decayedAt = Math.max(now, stats.decayedAt);
  if (ok) {
    stats.successes += 1;
    stats.lastSuccessAt = now;
    stats.consecutiveSuccesses += 1;
  } else {
    stats.failures += 1;
    stats.lastFailureAt = now;
    stats.consecutiveSuccesses = 0;
  }
  if (latencyMs !== undefined && Number.isFinite(latencyMs) && latencyMs >= 0) {
    stats.latencyMs = stats.latencyMs === undefined ? latencyMs : stats.latencyMs + LATENCY_SMOOTHING * (latencyMs - stats.latencyMs);
  }
}

export interface ScoreFactors {
  successRate: number;
  responseTime: number;
  recency: number;
  consistency: number;
}

// Reused by healthScore, which runs on every outcome: no allocation on the hot path.
const scratch: ScoreFactors = { successRate: 0, responseTime: 0, recency: 0, consistency: 0 };

export function scoreFactors(stats: ScoreStats, now: number, options: ScoreOptions, into?: ScoreFactors): ScoreFactors {
  const factor = decayFactor(stats, now, options.halfLifeMs);
  const s = stats.successes * factor;
  const f = stats.failures * factor;
  const successRate = (s + 1) / (s + f + 2);
  const responseTime = stats.latencyMs === undefined ? 0.5 : options.referenceLatencyMs / (options.referenceLatencyMs + stats.latencyMs);
  let recency = 0.5;
  const lastFailure = stats.lastFailureAt;
  if (stats.lastSuccessAt !== undefined && (lastFailure === undefined || stats.lastSuccessAt >= lastFailure)) {
    recency = 1;
  } else if (lastFailure !== undefined) {
    recency = 1 - Math.exp((-Math.max(0, now - lastFailure) * Math.LN2) / options.recencyHalfLifeMs);
  }
  const consistency =
    stats.lastSuccessAt === undefined && stats.lastFailureAt === undefined
      ? 0.5
      : Math.min(stats.consecutiveSuccesses, options.consistencyTarget) / options.consistencyTarget;
  if (!into) return { successRate, responseTime, recency, consistency };
  into.successRate = successRate;
  into.responseTime = responseTime;
  into.recency = recency;
  into.consistency = consistency;
  return into;
}

export function healthScore(stats: ScoreStats, now: number, options: ScoreOptions): number {
  const f = scoreFactors(stats, now, options, scratch);
  const w = options.weights;
  const total = w.successRate + w.responseTime + w.recency + w.consistency;
  const score =
    (w.successRate * f.successRate + w.responseTime * f.responseTime + w.recency * f.recency + w.consistency * f.consistency) / total;
  return Math.min(1, Math.max(0, score));
}
