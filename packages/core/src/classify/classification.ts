import { ERROR_CODES, ProxyPoolError } from '../errors.js';
import type { FailureKind } from '../failure-kinds.js';

/** A failure kind with the evidence that goes with it. */
export interface Classification {
  kind: FailureKind;
  status?: number | undefined;
  retryAfterMs?: number | undefined;
  /** Why this kind: the error code or rule that decided it (for logs and the guide's troubleshooting). */
  evidence?: string | undefined;
  /**
   * Overrides whether the job is retried (on another proxy). For failures that are nobody's
   * proxy's fault but worth another attempt, such as a browser that crashed: `{ kind: 'client', retry: true }`.
   */
  retry?: boolean | undefined;
  /**
   * False when the attempt cost next to nothing (a proxy that failed a pre-flight check before
   * any browser work): it does not use up one of the job's retries. At most once per proxy in
   * the pool, so that a job cannot loop on free failures.
   */
  consumesRetry?: boolean | undefined;
}

/**
 * Thrown (by adapters, or by your own task) to fail an attempt with a known kind, e.g.
 * `throw new AttemptFailedError('blocked', { status: 403 })` when a page turns out to be a captcha.
 */
export class AttemptFailedError extends ProxyPoolError {
  override readonly code = ERROR_CODES.AttemptFailedError;
  override name = 'AttemptFailedError';
  readonly kind: FailureKind;
  readonly status: number | undefined;
  readonly retryAfterMs: number | undefined;
  /** Overrides whether the job is retried (see `Classification.retry`). */
  readonly retry: boolean | undefined;
  /** See `Classification.consumesRetry`. */
  readonly consumesRetry: boolean | undefined;

  constructor(
    kind: FailureKind,
    options: {
      status?: number | undefined;
      retryAfterMs?: number | undefined;
      retry?: boolean | undefined;
      consumesRetry?: boolean | undefined;
      message?: string;
      cause?: unknown;
    } = {},
  ) {
    super(options.message ?? `attempt failed: ${kind}${options.status ? ` (HTTP ${options.status})` : ''}`, { cause: options.cause });
    this.kind = kind;
    this.status = options.status;
    this.retryAfterMs = options.retryAfterMs;
    this.retry = options.retry;
    this.consumesRetry = options.consumesRetry;
  }
}

/** A classifier turns whatever a task threw into a failure kind; undefined means "ask the next one". */
export type Classifier = (error: unknown) => Classification | FailureKind | undefined;

export function normalizeClassification(result: Classification | FailureKind | undefined): Classification | undefined {
  if (result === undefined) return undefined;
  return typeof result === 'string' ? { kind: result } : result;
}
