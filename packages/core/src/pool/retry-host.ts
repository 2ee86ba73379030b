/**
 * The pool as the retry loop (retry/execute.ts) sees it: the loop defines what it needs
 * (`RetryHost`) and imports nothing of the pool; the pool hands it this view of itself, whose
 * non-waiting picks also claim fleet-wide limits when the health store shares them.
 */
import { LEASE_ENTRY, type Lease } from '../lease.js';
import type { RetryHost, SessionState } from '../retry/execute.js';
import type { PoolEntry } from './entry.js';

/** The pool's side: its own methods, with `leaseNow` for the loop's non-waiting picks. */
type RetryablePool = Omit<RetryHost, 'tryAcquire' | 'sessionState'> & { leaseNow: RetryHost['tryAcquire'] };

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
    sessionState: leaseSessionState,
  };
}

/** What a lease's member is as a gateway session: never used before, proven, or being retired; undefined for a fixed proxy. */
export function leaseSessionState(lease: Lease): SessionState | undefined {
  const entry = lease[LEASE_ENTRY] as PoolEntry | undefined;
  const session = entry?.session;
  if (entry === undefined || session === undefined) return undefined;
  if (entry.removed || session.retiring !== undefined) return 'retiring';
  return entry.totalSuccesses === 0 && entry.totalFailures === 0 ? 'fresh' : 'proven';
}
