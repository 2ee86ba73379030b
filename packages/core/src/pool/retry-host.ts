/**
 * The pool as the retry loop (retry/execute.ts) sees it: the loop defines what it needs
 * (`RetryHost`) and imports nothing of the pool; the pool hands it this view of itself, whose
 * non-waiting picks also claim fleet-wide limits when the health store shares them.
 */
import type { RetryHost } from '../retry/execute.js';

/** The pool's side: its own methods, with `leaseNow` for the loop's non-waiting picks. */
type RetryablePool = Omit<RetryHost, 'tryAcquire'> & { leaseNow: RetryHost['tryAcquire'] };

export function retryHostOf(pool: RetryablePool): RetryHost {
  return {
    get options() {
      return pool.options;
    },
    get size() {
      return pool.size;
    },
    tryAcquire: (options) => pool.leaseNow(options),
    acquire: (options) => pool.acquire(options),
    targetBackoffMs: (target) => pool.targetBackoffMs(target),
    on: (event, listener) => pool.on(event, listener),
  };
}
