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

  /**
   * Optional: the pool hands the store a link once, when it starts: how the store tells the pool
   * of what it changed from elsewhere (another worker's opening, a target down fleet-wide).
   */
  link?(link: HealthStoreLink): void;
  /** Optional: a target went down here (`down`), or came back, so that a shared store can pass it on. */
  targetChanged?(target: string, down: boolean): void;
  /** Optional: a gateway's own breaker changed here (ids only: a gateway's id holds no password). */
  gatewayChanged?(gatewayId: string, breaker: BreakerState): void;
  /**
   * Optional: fleet-wide limits. `acquire` asks once a lease passed the limits here, and only
   * when limits apply to the member (`limits`, or a fixed proxy's own `maxInFlight`): one round
   * trip. A refusal hands the lease back unused and the pool looks again; a store that cannot
   * answer (Redis down) must say `ok`, so that the limits here still hold.
   */
  claim?(claim: LimitClaim): Promise<LimitAnswer>;
  /** Optional: a claimed lease ended (exactly once per `ok` claim). */
  release?(claim: LimitClaim): void;
  /** Optional: the pool is closing: stop the store's own timers and connections (not the client it was given). */
  close?(): void | Promise<void>;
}

/** What the pool lets a store do to it. */
export interface HealthStoreLink {
  /** The store replaced live records' breakers or bans: waiting `acquire` calls look again. */
  changed(): void;
  /** A target is down (or back) elsewhere in the fleet: failures on it here are held blameless (or charged again). */
  setTargetDown(target: string, down: boolean): void;
  /** A gateway's own breaker changed elsewhere (unknown ids are ignored). */
  setGatewayBreaker(gatewayId: string, breaker: BreakerState): void;
}

/** One lease's claim on a member's fleet-wide limits. */
export interface LimitClaim {
  proxyId: string;
  /** The target's key (`*` when none was named). */
  target: string;
  /** Unique within the pool; with the store's worker id, unique fleet-wide. */
  leaseId: number;
  /** Leases at once fleet-wide; undefined: no limit. */
  maxInFlight: number | undefined;
  /** Spacing of starts for one target fleet-wide; 0: none. */
  minIntervalMs: number;
}

export type LimitAnswer =
  | { ok: true }
  | {
      ok: false;
      /** The limit that refused. */
      limit: 'maxInFlight' | 'minIntervalMs';
      /** How long the fleet holds the member back (for `maxInFlight`, a guess: leases elsewhere end when they end). */
      retryInMs: number;
    };
