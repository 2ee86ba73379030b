import type { FailureKind } from '../failure-kinds.js';
import type { Ban } from './bans.js';
import { type BreakerState, closedBreaker } from './breaker.js';
import { type ScoreStats, emptyScoreStats } from './score.js';

/** Everything the pool has learned about one proxy. Keyed by proxy id; holds no password. */
export interface HealthRecord {
  stats: ScoreStats;
  breaker: BreakerState;
  /** Per-target bans, by target key. */
  bans: Map<string, Ban>;
  /** Charged failures in a row (successes reset it). */
  consecutiveFailures: number;
  /** Every reported outcome, charged or not. */
  totals: { requests: number; successes: number; failures: number; byKind: Partial<Record<FailureKind, number>> };
  lastUsedAt: number | undefined;
}

export function newHealthRecord(now: number): HealthRecord {
  return {
    stats: emptyScoreStats(now),
    breaker: closedBreaker(now),
    bans: new Map(),
    consecutiveFailures: 0,
    totals: { requests: 0, successes: 0, failures: 0, byKind: {} },
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
