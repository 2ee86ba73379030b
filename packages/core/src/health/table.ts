import type { FailureKind } from '../failure-kinds.js';
import type { Ban } from './bans.js';
import { type BreakerState, closedBreaker } from './breaker.js';
import { type HealthRecord, NO_BANS, NO_FAILURES } from './record.js';
import type { ScoreStats } from './score.js';

/**
 * Rows of numbers, one row per proxy, in one growable Float64Array.
 *
 * Why not plain object fields: V8 stores a double-valued field of an object in a separate
 * heap box (or allocates a new one on every write when the field has ever held `undefined`).
 * At 100,000 proxies picked at random, each box is a cache miss and every write is garbage:
 * the pick-and-report benchmark spent more time in those misses and in the garbage collector
 * than in the pool's own logic. A row keeps a proxy's numbers side by side in two cache lines.
 */
export class HealthTable {
  /** Replaced (and copied) when the table grows: read it through the table, never keep it. */
  data: Float64Array;
  #rows = 0;

  constructor(initialRows = 16) {
    this.data = new Float64Array(Math.max(1, initialRows) * ROW_STRIDE);
  }

  /** A fresh row (every number 0) after the last; returns its offset into `data`. */
  append(): number {
    const offset = this.#rows * ROW_STRIDE;
    if (offset + ROW_STRIDE > this.data.length) {
      const grown = new Float64Array(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    this.#rows++;
    return offset;
  }

  /** Copies the row at offset `from` over the row at offset `to`. */
  copyRow(from: number, to: number): void {
    if (from !== to) this.data.copyWithin(to, from, from + ROW_STRIDE);
  }

  /** Drops the last row (its numbers are zeroed for whoever appends next). */
  truncate(): void {
    if (this.#rows === 0) return;
    this.#rows--;
    this.data.fill(0, this.#rows * ROW_STRIDE, this.#rows * ROW_STRIDE + ROW_STRIDE);
  }
}

/** 16 doubles: 128 bytes, two cache lines, room for every number a proxy's health needs. */
export const ROW_STRIDE = 16;

// Where each number sits in a row. Module constants (not an enum): they fold into the accessors.
const SUCCESSES = 0;
const FAILURES = 1;
const DECAYED_AT = 2;
const LATENCY_MS = 3;
const LAST_SUCCESS_AT = 4;
const LAST_FAILURE_AT = 5;
const CONSECUTIVE_SUCCESSES = 6;
export const CONSECUTIVE_FAILURES = 7;
/** Leases handed out (the pool's, not part of what is saved). */
export const USES = 8;
const TOTAL_SUCCESSES = 9;
const TOTAL_FAILURES = 10;
export const LAST_USED_AT = 11;
export const SCORE = 12;
export const SCORED_AT = 13;
/**
 * Why a pick must look past the row (0: it need not): NEEDS_CHECK_* bits, kept by PoolEntry
 * from the breaker's state and the bans.
 */
export const NEEDS_CHECK = 14;
/** Leases not yet ended (the pool's). */
export const IN_FLIGHT = 15;

/** NEEDS_CHECK bits: the proxy has bans; its breaker is open; its breaker is half-open. */
export const NEEDS_CHECK_BANS = 1;
export const NEEDS_CHECK_OPEN = 2;
export const NEEDS_CHECK_HALF_OPEN = 4;
/** NEEDS_CHECK bit: a failure of the proxy waits for proof (target health); picks take it after the others. */
export const NEEDS_CHECK_SUSPECT = 8;
/** NEEDS_CHECK bit: the proxy has limits of its own (a gateway session's one lease at a time): the pick reads them. */
export const NEEDS_CHECK_OWN_LIMITS = 16;
/** NEEDS_CHECK bit: a sticky key chose the proxy; picks for others take it after the rest (see pool/sticky.ts). */
export const NEEDS_CHECK_STICKY = 32;
/** Either breaker bit: the breaker is not closed. */
export const NEEDS_CHECK_BREAKER = NEEDS_CHECK_OPEN | NEEDS_CHECK_HALF_OPEN;

/** NaN in a row stands for `undefined` (never, or not known yet). */
const orUndefined = (value: number): number | undefined => (Number.isNaN(value) ? undefined : value);

/**
 * The numbers of one row, by name. The pool keeps one of these as a cursor that it points at
 * whichever row it is updating, so that recording an outcome reads and writes the row and no
 * per-proxy object (at 100,000 proxies, each object read is a likely cache miss).
 */
export class HealthRow implements ScoreStats {
  /** @internal */
  table: HealthTable;
  /** @internal — the row's offset into `table.data`. The pool keeps a proxy's at index × ROW_STRIDE. */
  row: number;

  constructor(table: HealthTable, row: number) {
    this.table = table;
    this.row = row;
  }

  /** @internal — a number of the row that has no accessor of its own. */
  setNumber(at: number, value: number): void {
    this.table.data[at + this.row] = value;
  }

  /** @internal — the row's NEEDS_CHECK bits. */
  get flags(): number {
    return this.table.data[NEEDS_CHECK + this.row]!;
  }

  /** The breaker's state as summed up in the row (kept by PoolEntry whenever the breaker is replaced). */
  get circuit(): 'closed' | 'open' | 'half-open' {
    const flags = this.flags;
    return (flags & NEEDS_CHECK_OPEN) !== 0 ? 'open' : (flags & NEEDS_CHECK_HALF_OPEN) !== 0 ? 'half-open' : 'closed';
  }

  get successes(): number {
    return this.table.data[SUCCESSES + this.row]!;
  }
  set successes(value: number) {
    this.table.data[SUCCESSES + this.row] = value;
  }
  get failures(): number {
    return this.table.data[FAILURES + this.row]!;
  }
  set failures(value: number) {
    this.table.data[FAILURES + this.row] = value;
  }
  get decayedAt(): number {
    return this.table.data[DECAYED_AT + this.row]!;
  }
  set decayedAt(value: number) {
    this.table.data[DECAYED_AT + this.row] = value;
  }
  get latencyMs(): number | undefined {
    return orUndefined(this.table.data[LATENCY_MS + this.row]!);
  }
  set latencyMs(value: number | undefined) {
    this.table.data[LATENCY_MS + this.row] = value ?? Number.NaN;
  }
  get lastSuccessAt(): number | undefined {
    return orUndefined(this.table.data[LAST_SUCCESS_AT + this.row]!);
  }
  set lastSuccessAt(value: number | undefined) {
    this.table.data[LAST_SUCCESS_AT + this.row] = value ?? Number.NaN;
  }
  get lastFailureAt(): number | undefined {
    return orUndefined(this.table.data[LAST_FAILURE_AT + this.row]!);
  }
  set lastFailureAt(value: number | undefined) {
    this.table.data[LAST_FAILURE_AT + this.row] = value ?? Number.NaN;
  }
  get consecutiveSuccesses(): number {
    return this.table.data[CONSECUTIVE_SUCCESSES + this.row]!;
  }
  set consecutiveSuccesses(value: number) {
    this.table.data[CONSECUTIVE_SUCCESSES + this.row] = value;
  }
  get consecutiveFailures(): number {
    return this.table.data[CONSECUTIVE_FAILURES + this.row]!;
  }
  set consecutiveFailures(value: number) {
    this.table.data[CONSECUTIVE_FAILURES + this.row] = value;
  }
  /** Every reported outcome: successes plus failures (one number less to keep in the row). */
  get totalRequests(): number {
    return this.totalSuccesses + this.totalFailures;
  }
  get totalSuccesses(): number {
    return this.table.data[TOTAL_SUCCESSES + this.row]!;
  }
  set totalSuccesses(value: number) {
    this.table.data[TOTAL_SUCCESSES + this.row] = value;
  }
  get totalFailures(): number {
    return this.table.data[TOTAL_FAILURES + this.row]!;
  }
  set totalFailures(value: number) {
    this.table.data[TOTAL_FAILURES + this.row] = value;
  }
  get lastUsedAt(): number | undefined {
    return orUndefined(this.table.data[LAST_USED_AT + this.row]!);
  }
  set lastUsedAt(value: number | undefined) {
    this.table.data[LAST_USED_AT + this.row] = value ?? Number.NaN;
  }
  get inFlight(): number {
    return this.table.data[IN_FLIGHT + this.row]!;
  }
  set inFlight(value: number) {
    this.table.data[IN_FLIGHT + this.row] = value;
  }
  get uses(): number {
    return this.table.data[USES + this.row]!;
  }
  set uses(value: number) {
    this.table.data[USES + this.row] = value;
  }
  /** Whether any outcome has been charged: a proxy not yet judged keeps the neutral score. */
  get judged(): boolean {
    const d = this.table.data;
    return !Number.isNaN(d[LAST_SUCCESS_AT + this.row]!) || !Number.isNaN(d[LAST_FAILURE_AT + this.row]!);
  }
  /** The health score as last computed (the pool's, not part of what is saved). */
  get score(): number {
    return this.table.data[SCORE + this.row]!;
  }
  set score(value: number) {
    this.table.data[SCORE + this.row] = value;
  }
  /** When `score` was computed; NaN before the first time. */
  get scoredAt(): number {
    return this.table.data[SCORED_AT + this.row]!;
  }
  set scoredAt(value: number) {
    this.table.data[SCORED_AT + this.row] = value;
  }
}

/**
 * A `HealthRecord` whose numbers live in a `HealthTable` row. The rest (breaker, bans,
 * failures by kind) are objects that most proxies share or rarely change.
 */
export class TableHealthRecord extends HealthRow implements HealthRecord {
  #breaker: BreakerState;
  #bans: Map<string, Ban> = NO_BANS;
  failuresByKind: Partial<Record<FailureKind, number>> = NO_FAILURES;

  constructor(table: HealthTable, now: number) {
    super(table, table.append());
    const d = table.data;
    const o = this.row;
    d[DECAYED_AT + o] = now;
    d[LATENCY_MS + o] = Number.NaN;
    d[LAST_SUCCESS_AT + o] = Number.NaN;
    d[LAST_FAILURE_AT + o] = Number.NaN;
    d[LAST_USED_AT + o] = Number.NaN;
    d[SCORED_AT + o] = Number.NaN;
    this.#breaker = closedBreaker(now);
  }

  /**
   * The breaker and the bans are replaced whole by the pool, by a restore, or by a store merging
   * what other machines learned: each replacement is announced through `healthChanged`, so that
   * a pick's summary of them in the row stays true. (The pool also adds and prunes bans in
   * place, and then sets `hasBans` itself.)
   */
  get breaker(): BreakerState {
    return this.#breaker;
  }
  set breaker(value: BreakerState) {
    this.#breaker = value;
    this.healthChanged();
  }
  get bans(): Map<string, Ban> {
    return this.#bans;
  }
  set bans(value: Map<string, Ban>) {
    this.#bans = value;
    this.healthChanged();
  }

  /** The breaker or the bans were replaced (see PoolEntry). */
  protected healthChanged(): void {}

  /**
   * Moves the numbers out of the shared table into a row of their own: the pool can then give
   * the row to another proxy, and whoever still holds this record (a store, a lease that ends
   * late) reads this proxy's numbers, never the next one's.
   */
  detachRow(): void {
    const own = new HealthTable(1);
    own.data.set(this.table.data.subarray(this.row, this.row + ROW_STRIDE));
    own.append();
    this.table = own;
    this.row = 0;
  }
}
