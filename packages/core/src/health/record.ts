import type { FailureKind } from '../failure-kinds.js';
import type { Ban } from './bans.js';
import { type BreakerState, closedBreaker } from './breaker.js';
import type { ScoreStats } from './score.js';

/**
 * Everything the pool has learned about one proxy. Keyed by proxy id; holds no password.
 * The score's statistics sit in the record itself (it is a `ScoreStats`) rather than in
 * objects of their own: every outcome updates them, and at 100,000 proxies each extra
 * object touched per outcome is a cache miss.
 */
export interface HealthRecord extends ScoreStats {
  breaker: BreakerState;
  /** Per-target bans, by target key. */
  bans: Map<string, Ban>;
  /** Charged failures in a row (successes reset it). */
  consecutiveFailures: number;
  /** Every reported outcome, charged or not. */
  totalRequests: number;
  totalSuccesses: number;
  totalFailures: number;
  failuresByKind: Partial<Record<FailureKind, number>>;
  lastUsedAt: number | undefined;
}

/**
 * Most proxies are never banned and never fail in some kinds: they share these empty
 * containers until their first ban or failure (an empty Map alone costs ~200 bytes a proxy).
 * Never mutate them: replace them first (`ownBans`, `ownFailuresByKind`).
 */
const NO_BANS: Map<string, Ban> = new Map();
const NO_FAILURES: Partial<Record<FailureKind, number>> = Object.freeze({});

export function ownBans(record: HealthRecord): Map<string, Ban> {
  if (record.bans === NO_BANS) record.bans = new Map();
  return record.bans;
}

export function ownFailuresByKind(record: HealthRecord): Partial<Record<FailureKind, number>> {
  if (record.failuresByKind === NO_FAILURES) record.failuresByKind = {};
  return record.failuresByKind;
}

export function newHealthRecord(now: number): HealthRecord {
  // Every field written out, in one literal: a spread here gives V8 a slower object shape, and
  // the pick-and-report benchmark drops fourfold at 100,000 proxies (measured).
  return {
    successes: 0,
    failures: 0,
    decayedAt: now,
    latencyMs: undefined,
    lastSuccessAt: undefined,
    lastFailureAt: undefined,
    consecutiveSuccesses: 0,
    breaker: closedBreaker(now),
    bans: NO_BANS,
    consecutiveFailures: 0,
    totalRequests: 0,
    totalSuccesses: 0,
    totalFailures: 0,
    failuresByKind: NO_FAILURES,
    lastUsedAt: undefined,
  };
}

/**
 * Where per-proxy health lives. The pool asks for a proxy's live record once, when the proxy
 * joins, and updates it in place. The default keeps records in memory; a store shared by
 * several machines (Redis, say) would implement the same three methods and sync the records
 * it hands out in the background.
 */
export interface HealthStore {
  /** The live record for a proxy, created when missing. */
  open(proxyId: string, now: number): HealthRecord;
  delete(proxyId: string): void;
  entries(): Iterable<[string, HealthRecord]>;
}

export class MemoryHealthStore implements HealthStore {
  readonly #records = new Map<string, HealthRecord>();

  open(proxyId: string, now: number): HealthRecord {
    let record = this.#records.get(proxyId);
    if (!record) {
      record = newHealthRecord(now);
      this.#records.set(proxyId, record);
    }
    return record;
  }

  delete(proxyId: string): void {
    this.#records.delete(proxyId);
  }

  entries(): Iterable<[string, HealthRecord]> {
    return this.#records.entries();
  }
}
