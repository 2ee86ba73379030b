import { FAILURE_KINDS, type FailureKind, isFailureKind } from './failure-kinds.js';

export interface SuccessOutcome {
  readonly ok: true;
  /** Time the work took through the proxy; defaults to the lease's age. */
  readonly latencyMs?: number | undefined;
}

export interface FailureOutcome {
  readonly ok: false;
  readonly kind: FailureKind;
  readonly latencyMs?: number | undefined;
  /** The HTTP status, when there was a response. */
  readonly status?: number | undefined;
  /** How long the target asked us to wait (its Retry-After). */
  readonly retryAfterMs?: number | undefined;
}

export type Outcome = SuccessOutcome | FailureOutcome;

/** What `lease.failure()` and `pool.report()` take for a failure. */
export type FailureReport = Omit<FailureOutcome, 'ok'>;
export type SuccessReport = Omit<SuccessOutcome, 'ok'>;

function checkNonNegative(value: unknown, field: string): void {
  if (typeof value !== 'number' || !(value >= 0)) {
    throw new TypeError(`Expected \`${field}\` to be a non-negative number, got ${JSON.stringify(value)}.`);
  }
}

/** Throws a TypeError that says what is wrong with an outcome a caller handed us. */
export function checkOutcome<T extends Outcome>(outcome: T): T {
  if (typeof outcome !== 'object' || outcome === null || typeof outcome.ok !== 'boolean') {
    throw new TypeError('Expected an outcome `{ ok: true, latencyMs? }` or `{ ok: false, kind, … }`.');
  }
  if (!outcome.ok && !isFailureKind(outcome.kind)) {
    throw new TypeError(`Expected \`kind\` to be one of ${FAILURE_KINDS.join(', ')}, got ${JSON.stringify(outcome.kind)}.`);
  }
  // Field by field rather than a loop over names: this runs on every reported outcome.
  const o = outcome as { latencyMs?: unknown; status?: unknown; retryAfterMs?: unknown };
  if (o.latencyMs !== undefined) checkNonNegative(o.latencyMs, 'latencyMs');
  if (o.status !== undefined) checkNonNegative(o.status, 'status');
  if (o.retryAfterMs !== undefined) checkNonNegative(o.retryAfterMs, 'retryAfterMs');
  return outcome;
}
