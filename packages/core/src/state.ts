import { StateRestoreError } from './errors.js';
import { FAILURE_KINDS, type FailureKind } from './failure-kinds.js';
import type { Ban } from './health/bans.js';
import type { BreakerState } from './health/breaker.js';
import { type HealthRecord, NO_BANS, NO_FAILURES } from './health/record.js';
import type { ScoreStats } from './health/score.js';

/** What a pool has learned, keyed by proxy id, without passwords: `pool.toJSON()`. */
export interface PoolState {
  version: 1;
  savedAt: number;
  proxies: Record<string, SavedHealth>;
}

export interface SavedHealth {
  stats: ScoreStats;
  breaker: BreakerState;
  bans: Record<string, Ban>;
  consecutiveFailures: number;
  totals: { requests: number; successes: number; failures: number; byKind: Partial<Record<FailureKind, number>> };
}

export function saveHealth(record: HealthRecord): SavedHealth {
  return {
    stats: {
      successes: record.successes,
      failures: record.failures,
      decayedAt: record.decayedAt,
      latencyMs: record.latencyMs,
      lastSuccessAt: record.lastSuccessAt,
      lastFailureAt: record.lastFailureAt,
      consecutiveSuccesses: record.consecutiveSuccesses,
    },
    breaker: { ...record.breaker },
    bans: Object.fromEntries(record.bans),
    consecutiveFailures: record.consecutiveFailures,
    totals: {
      requests: record.totalRequests,
      successes: record.totalSuccesses,
      failures: record.totalFailures,
      byKind: { ...record.failuresByKind },
    },
  };
}

/** Copies saved health into a live record (after `parseState` has checked it). */
export function applyHealth(record: HealthRecord, saved: SavedHealth): void {
  const { stats } = saved;
  record.successes = stats.successes;
  record.failures = stats.failures;
  record.decayedAt = stats.decayedAt;
  record.latencyMs = stats.latencyMs ?? undefined;
  record.lastSuccessAt = stats.lastSuccessAt ?? undefined;
  record.lastFailureAt = stats.lastFailureAt ?? undefined;
  record.consecutiveSuccesses = stats.consecutiveSuccesses;
  // In-flight work did not survive the restart: a half-open breaker starts with no trial out.
  record.breaker = saved.breaker.state === 'half-open' ? { ...saved.breaker, trials: 0 } : { ...saved.breaker };
  const bans = Object.entries(saved.bans);
  record.bans = bans.length === 0 ? NO_BANS : new Map(bans);
  record.consecutiveFailures = saved.consecutiveFailures;
  // totalRequests is successes + failures: the saved `requests` is kept for readers of the JSON.
  record.totalSuccesses = saved.totals.successes;
  record.totalFailures = saved.totals.failures;
  record.failuresByKind = Object.keys(saved.totals.byKind).length === 0 ? NO_FAILURES : { ...saved.totals.byKind };
}

class Checker {
  constructor(readonly path: string) {}
  fail(message: string): never {
    throw new StateRestoreError(`invalid saved state at ${this.path}: ${message}`);
  }
  at(key: string | number): Checker {
    return new Checker(`${this.path}.${key}`);
  }
}

function object(value: unknown, c: Checker): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    c.fail(`expected an object, got ${value === null ? 'null' : typeof value}`);
  return value as Record<string, unknown>;
}

function num(value: unknown, c: Checker, { min = 0, optional = false } = {}): number | undefined {
  if (optional && (value === undefined || value === null)) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min)
    c.fail(`expected a finite number ≥ ${min}, got ${JSON.stringify(value)}`);
  return value as number;
}

function checkStats(value: unknown, c: Checker): ScoreStats {
  const o = object(value, c);
  for (const key of ['successes', 'failures', 'decayedAt', 'consecutiveSuccesses']) num(o[key], c.at(key));
  for (const key of ['latencyMs', 'lastSuccessAt', 'lastFailureAt']) num(o[key], c.at(key), { optional: true });
  return o as unknown as ScoreStats;
}

function checkBreaker(value: unknown, c: Checker): BreakerState {
  const o = object(value, c);
  num(o.streak, c.at('streak'));
  switch (o.state) {
    case 'closed':
      num(o.failures, c.at('failures'));
      num(o.since, c.at('since'));
      break;
    case 'open':
      num(o.openedAt, c.at('openedAt'));
      num(o.until, c.at('until'));
      if (typeof o.reason !== 'string') c.at('reason').fail('expected a string');
      break;
    case 'half-open':
      num(o.since, c.at('since'));
      num(o.trials, c.at('trials'));
      num(o.successes, c.at('successes'));
      break;
    default:
      c.at('state').fail(`expected closed, open or half-open, got ${JSON.stringify(o.state)}`);
  }
  return o as unknown as BreakerState;
}

function checkSaved(value: unknown, c: Checker): SavedHealth {
  const o = object(value, c);
  checkStats(o.stats, c.at('stats'));
  checkBreaker(o.breaker, c.at('breaker'));
  const bans = object(o.bans, c.at('bans'));
  for (const [target, ban] of Object.entries(bans)) {
    const b = object(ban, c.at('bans').at(target));
    num(b.until, c.at('bans').at(target).at('until'));
    num(b.level, c.at('bans').at(target).at('level'));
    num(b.at, c.at('bans').at(target).at('at'));
    if (b.kind !== 'blocked' && b.kind !== 'rate_limited') c.at('bans').at(target).at('kind').fail('expected blocked or rate_limited');
  }
  num(o.consecutiveFailures, c.at('consecutiveFailures'));
  const totals = object(o.totals, c.at('totals'));
  for (const key of ['requests', 'successes', 'failures']) num(totals[key], c.at('totals').at(key));
  const byKind = object(totals.byKind, c.at('totals').at('byKind'));
  for (const [kind, n] of Object.entries(byKind)) {
    if (!FAILURE_KINDS.includes(kind as FailureKind))
      c.at('totals')
        .at('byKind')
        .fail(`unknown failure kind ${JSON.stringify(kind)}`);
    num(n, c.at('totals').at('byKind').at(kind));
  }
  return o as unknown as SavedHealth;
}

/** Checks a whole saved state, or throws `StateRestoreError` naming the first bad field. Accepts the object or its JSON text. */
export function parseState(input: unknown): PoolState {
  let value = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input);
    } catch (error) {
      throw new StateRestoreError(`saved state is not valid JSON: ${(error as Error).message}`);
    }
  }
  const c = new Checker('state');
  const o = object(value, c);
  if (o.version !== 1) c.at('version').fail(`expected 1, got ${JSON.stringify(o.version)}`);
  num(o.savedAt, c.at('savedAt'));
  const proxies = object(o.proxies, c.at('proxies'));
  for (const [id, saved] of Object.entries(proxies)) {
    if (hasPassword(id)) c.at('proxies').fail('a proxy id must not carry a password');
    checkSaved(saved, c.at('proxies').at(JSON.stringify(id)));
  }
  return o as unknown as PoolState;
}

function hasPassword(id: string): boolean {
  try {
    return new URL(id).password !== '';
  } catch {
    return false;
  }
}
