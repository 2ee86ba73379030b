import type { FailureKind } from '../failure-kinds.js';
import type { Ban } from './bans.js';
import type { BreakerState } from './breaker.js';
import type { ScoreStats } from './score.js';

/**
 * Everything the pool has learned about one proxy. Keyed by proxy id; holds no password.
 * The score's statistics sit in the record itself (it is a `ScoreStats`). The pool's records
 * keep their numbers in a table row (`TableHealthRecord`): see health/table.ts for why.
 */
export interface HealthRecord extends ScoreStats {
  breaker: BreakerState;
  /** Per-target bans, by target key. */
  bans: Map<string, Ban>;
  /** Charged failures in a row (successes reset it). */
  consecutiveFailures: number;
  /** Every reported outcome, charged or not: totalSuccesses + totalFailures. */
  readonly totalRequests: number;
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
export const NO_BANS: Map<string, Ban> = new Map();
export const NO_FAILURES: Partial<Record<FailureKind, number>> = Object.freeze({});

export function ownBans(record: HealthRecord): Map<string, Ban> {
  if (record.bans === NO_BANS) record.bans = new Map();
  return record.bans;
}

export function ownFailuresByKind(record: HealthRecord): Partial<Record<FailureKind, number>> {
  if (record.failuresByKind === NO_FAILURES) record.failuresByKind = {};
  return record.failuresByKind;
}

/**
 * Where per-proxy health is kept beyond the pool's own memory. The pool owns each proxy's live
 * record (it updates it on every outcome, so it lives next to the pool's other numbers); a
 * store is told when a record starts and stops being live. It may fill a new record from what
 * it knows, and read or write live records at any time between two calls into the pool (a
 * store shared by several machines — Redis, say — would merge them in the background). It
 * replaces `breaker` and `bans` whole, never changing them in place: the pool's picks see a
 * replacement at once (an opened breaker, a new ban), and a score on its next refresh (≤ 5 s).
 */
export interface HealthStore {
  /** A proxy joined the pool: `record` is fresh; fill it in if the store knows this proxy. */
  attach(proxyId: string, record: HealthRecord): void;
  /** The proxy left the pool (or the pool closed): `record` is no longer live after this call. */
  detach(proxyId: string, record: HealthRecord): void;
  /**
   * Optional: the pool changed the record's breaker state (opened, half-open, closed) or set a ban
   * (`target` names it), so that a shared store can pass it on. Never called for a success on a
   * closed breaker (the hot path).
   */
  changed?(proxyId: string, record: HealthRecord, what: 'breaker' | 'bans', target?: string): void;
}
