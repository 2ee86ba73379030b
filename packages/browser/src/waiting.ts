import { type AcquireOptions, type ExecuteOptions, type ProxyPool, type RetryHost, type Task, executeWithRetry } from '@proxy-pool/core';

/**
 * How a lease waits for a proxy, as `pool.acquire` takes it: `newContext` passes these to its
 * acquire, `run` to every attempt's.
 */
export interface WaitOptions {
  /** Wait for a proxy to become usable (default), or throw `NoProxyAvailableError` at once. @default true */
  wait?: boolean | undefined;
  /** The longest wait for a proxy, per acquire. @default the pool's `maxWaitMs` */
  maxWaitMs?: number | undefined;
  /**
   * Lease the same pool member for the same key while it is usable (the pool's `acquire({ sticky })`):
   * passed through untouched.
   */
  sticky?: string | undefined;
}

/** What `pool.acquire` is given: its own options plus the waiting ones (`sticky` forwarded as it is). */
export type AcquireRequest = AcquireOptions & WaitOptions;

/** Checks the waiting options at the call that received them: a bad value is named, not silently ignored. */
export function checkWaitOptions(options: WaitOptions, where: string): void {
  const { wait, maxWaitMs, sticky } = options;
  if (wait !== undefined && typeof wait !== 'boolean')
    throw new TypeError(`Expected \`wait\` of ${where} to be a boolean, got ${String(wait)}.`);
  if (maxWaitMs !== undefined && !(typeof maxWaitMs === 'number' && maxWaitMs >= 0)) {
    throw new RangeError(`Expected \`maxWaitMs\` of ${where} to be a number >= 0, got ${String(maxWaitMs)}.`);
  }
  if (sticky !== undefined && typeof sticky !== 'string') throw new TypeError(`Expected \`sticky\` of ${where} to be a string.`);
}

/** `acquire`'s options with the waiting ones laid over them (the shorter of two waits wins). */
export function withWaiting(request: AcquireRequest, waiting: WaitOptions): AcquireRequest {
  const out: AcquireRequest = { ...request };
  if (waiting.wait !== undefined) out.wait = waiting.wait;
  if (waiting.maxWaitMs !== undefined) out.maxWaitMs = Math.min(waiting.maxWaitMs, request.maxWaitMs ?? Number.POSITIVE_INFINITY);
  if (waiting.sticky !== undefined) out.sticky = waiting.sticky;
  return out;
}

function hasWaiting(waiting: WaitOptions): boolean {
  return waiting.wait !== undefined || waiting.maxWaitMs !== undefined || waiting.sticky !== undefined;
}

/**
 * The pool as core's retry loop sees it (its `RetryHost`), with every attempt's acquire
 * given the job's waiting options. With `sticky`, the loop's own non-waiting pick
 * (`tryAcquire`, which knows nothing of keys) is skipped, so that each attempt goes through
 * `acquire({ sticky })` and lands on the key's member.
 */
function waitingHost(pool: ProxyPool, waiting: WaitOptions): RetryHost {
  return {
    get options() {
      return pool.options;
    },
    get size() {
      return pool.size;
    },
    tryAcquire: (options) => (waiting.sticky === undefined ? pool.leaseNow(options) : undefined),
    acquire: (options) => pool.acquire(withWaiting(options, waiting)),
    targetBackoffMs: (target) => pool.targetBackoffMs(target),
    on: (event, listener) => pool.on(event, listener),
    sessionState: (lease) => pool.sessionStateOf(lease),
  };
}

/** `pool.executeWithRetry`, with every attempt's acquire given `waiting`. */
export function executeWaiting<T>(pool: ProxyPool, waiting: WaitOptions, task: Task<T>, options: ExecuteOptions): Promise<T> {
  // Without waiting options, or on a closed pool (its own PoolClosedError), the pool's own method.
  if (!hasWaiting(waiting) || pool.closed) return pool.executeWithRetry(task, options);
  return executeWithRetry(waitingHost(pool, waiting), task, options);
}
