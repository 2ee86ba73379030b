import type { FailureKind } from './failure-kinds.js';

/** Every error code this project throws. The guide documents each one; a test checks that. */
export const ERROR_CODES = {
  ProxyPoolError: 'ERR_PROXY_POOL',
  ProxyParseError: 'ERR_PROXY_PARSE',
  NoProxyAvailableError: 'ERR_NO_PROXY_AVAILABLE',
  RetriesExhaustedError: 'ERR_RETRIES_EXHAUSTED',
  PoolClosedError: 'ERR_POOL_CLOSED',
  StateRestoreError: 'ERR_STATE_RESTORE',
  UnsupportedProxyError: 'ERR_UNSUPPORTED_PROXY',
  AttemptFailedError: 'ERR_ATTEMPT_FAILED',
  InvalidOptionError: 'ERR_INVALID_OPTION',
} as const;

export type ErrorCode = (typeof ERROR_CODES)[keyof typeof ERROR_CODES];

const brand = Symbol.for('proxy-pool.error');

/** The base of every error this project throws. `code` is stable across versions. */
export class ProxyPoolError extends Error {
  readonly code: ErrorCode = ERROR_CODES.ProxyPoolError;
  readonly [brand] = true;
  override name = 'ProxyPoolError';

  /**
   * True for errors thrown by any copy of proxy-pool: `instanceof` fails when two
   * copies of the package are installed, the brand does not.
   */
  static is(error: unknown): error is ProxyPoolError {
    return typeof error === 'object' && error !== null && (error as { [brand]?: unknown })[brand] === true;
  }
}

/** A proxy string or list could not be parsed. Never contains the password. */
export class ProxyParseError extends ProxyPoolError {
  override readonly code = ERROR_CODES.ProxyParseError;
  override name = 'ProxyParseError';
  /** 1-based line of the list, when the input was a list. */
  readonly line: number | undefined;
  /** What was wrong, without the input. */
  readonly reason: string;

  constructor(reason: string, options: { line?: number; input?: string; source?: string } = {}) {
    const where = options.line === undefined ? '' : `line ${options.line}${options.source ? ` of ${options.source}` : ''}: `;
    const shown = options.input === undefined ? '' : ` (in "${options.input}")`;
    super(`${where}${reason}${shown}`);
    this.line = options.line;
    this.reason = reason;
  }
}

/** No proxy can be used now. `nextAvailableAt` is when the earliest one will be, if known. */
export class NoProxyAvailableError extends ProxyPoolError {
  override readonly code = ERROR_CODES.NoProxyAvailableError;
  override name = 'NoProxyAvailableError';
  readonly nextAvailableAt: number | undefined;
  readonly target: string | undefined;
  /** The per-proxy limit (`limits`) that held most of the otherwise usable proxies back, if one did. */
  readonly limit: 'maxInFlight' | 'minIntervalMs' | undefined;

  constructor(
    message: string,
    options: {
      nextAvailableAt?: number | undefined;
      target?: string | undefined;
      limit?: 'maxInFlight' | 'minIntervalMs' | undefined;
    } = {},
  ) {
    super(message);
    this.nextAvailableAt = options.nextAvailableAt;
    this.target = options.target;
    this.limit = options.limit;
  }
}

export interface AttemptRecord {
  readonly attempt: number;
  /** The proxy's id (never its password); undefined when no proxy could be leased. */
  readonly proxyId: string | undefined;
  readonly kind: FailureKind;
  readonly cause: unknown;
  readonly latencyMs: number | undefined;
}

/** Every attempt of a job failed. `attempts` lists each one; `cause` is the last error. */
export class RetriesExhaustedError extends ProxyPoolError {
  override readonly code = ERROR_CODES.RetriesExhaustedError;
  override name = 'RetriesExhaustedError';
  readonly attempts: readonly AttemptRecord[];

  constructor(message: string, attempts: readonly AttemptRecord[]) {
    const last = attempts.at(-1);
    super(message, { cause: last?.cause });
    this.attempts = attempts;
  }
}

/** The pool was closed; nothing more can be leased from it. */
export class PoolClosedError extends ProxyPoolError {
  override readonly code = ERROR_CODES.PoolClosedError;
  override name = 'PoolClosedError';
}

/** A saved state could not be restored; nothing of it was applied. */
export class StateRestoreError extends ProxyPoolError {
  override readonly code = ERROR_CODES.StateRestoreError;
  override name = 'StateRestoreError';
}

/** The proxy cannot be used the way it was asked for (e.g. SOCKS5 with a password in Chromium). */
export class UnsupportedProxyError extends ProxyPoolError {
  override readonly code = ERROR_CODES.UnsupportedProxyError;
  override name = 'UnsupportedProxyError';
}

/**
 * An option of the pool (or of a proxy's object form) is misspelt, of the wrong type or out of
 * range. `option` names it as written (`limits.maxInFlight`); the message says what was expected
 * and, for an unknown name, the closest known one.
 */
export class InvalidOptionError extends ProxyPoolError {
  override readonly code = ERROR_CODES.InvalidOptionError;
  override name = 'InvalidOptionError';
  readonly option: string;

  constructor(message: string, option: string) {
    super(message);
    this.option = option;
  }
}
