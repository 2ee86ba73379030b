import {
  AttemptFailedError,
  type Classification,
  type ExecuteOptions,
  type Lease,
  type Proxy,
  type ProxyPool,
  isRetryable,
} from '@proxy-pool/core';
import type { NavigationTracker } from './navigation-tracker.js';
import { type WaitOptions, checkWaitOptions, executeWaiting } from './waiting.js';

/** One attempt's browser context, opened by an adapter on a leased proxy. */
export interface BrowserSession<C, P> {
  context: C;
  page: P;
  tracker: NavigationTracker<object, object, object>;
  /**
   * Ends the session; never throws. `reusable` says the attempt went well, so an adapter that
   * keeps contexts per proxy may park it for the next job on the same proxy instead of closing it.
   */
  close(reusable?: boolean): Promise<void>;
}

export interface SessionTaskContext<C, P> {
  context: C;
  page: P;
  proxy: Proxy;
  attempt: number;
  signal: AbortSignal;
}

/** The job's target, retries, signal and deadline (as `executeWithRetry`), and how each attempt's acquire waits. */
export interface RunInSessionsOptions extends Pick<ExecuteOptions, 'target' | 'retries' | 'signal' | 'deadlineMs'>, WaitOptions {}

/**
 * The library-independent half of an adapter's `run()`: each attempt gets a fresh session
 * (context and page) on a leased proxy, through core's `executeWithRetry`; navigations are
 * reported by the session's tracker, so the lease itself is only released; a task that
 * returns after a navigation that was blocked or answered by the proxy fails the attempt;
 * and the session is always closed.
 */
export function runInSessions<T, C, P>(
  pool: ProxyPool,
  adapter: {
    open(lease: Lease): Promise<BrowserSession<C, P>>;
    classify(error: unknown): Classification;
    /** The attempt's last main-frame navigation went to `url` (whatever became of it). */
    navigated?(url: string): void;
  },
  task: (context: SessionTaskContext<C, P>) => Promise<T>,
  options: RunInSessionsOptions,
): Promise<T> {
  try {
    checkWaitOptions(options, 'run()');
  } catch (error) {
    return Promise.reject(error);
  }
  const { target, retries, signal, deadlineMs, wait, maxWaitMs, sticky } = options;
  return executeWaiting(
    pool,
    { wait, maxWaitMs, sticky },
    async (proxy, attempt) => {
      let session: BrowserSession<C, P>;
      try {
        session = await adapter.open(attempt.lease);
      } catch (error) {
        const c = adapter.classify(error);
        // No navigation will report this one: the proxy could not even be set up.
        if (c.kind !== 'client') pool.report(proxy, { ok: false, kind: c.kind }, { target: options.target });
        throw asAttemptError(c, error);
      }
      const { tracker } = session;
      let ok = false;
      tracker.forgetLast(); // a reused session remembers its previous job's navigations
      try {
        const result = await task({
          context: session.context,
          page: session.page,
          proxy,
          attempt: attempt.attempt,
          signal: attempt.signal,
        });
        await tracker.idle();
        const last = tracker.last;
        if (last && !last.outcome.ok && isRetryable(last.outcome.kind)) {
          throw new AttemptFailedError(last.outcome.kind, {
            status: last.outcome.status,
            retryAfterMs: last.outcome.retryAfterMs,
            message: `the page at ${last.url} was not the target's (${last.outcome.kind}${last.outcome.status ? `, HTTP ${last.outcome.status}` : ''})`,
          });
        }
        ok = true;
        return result;
      } catch (error) {
        const c = adapter.classify(error);
        // The caller's own navigation timeout fired first: the navigation still in flight timed out.
        tracker.settlePending(c.kind === 'timeout' ? c : undefined);
        throw asAttemptError(c, error);
      } finally {
        if (tracker.last) adapter.navigated?.(tracker.last.url);
        await session.close(ok);
      }
    },
    { target, retries, signal, deadlineMs, classify: (error) => adapter.classify(error), leaseEnd: 'release' },
  );
}

function asAttemptError(c: Classification, cause: unknown): Error {
  if (cause instanceof AttemptFailedError) return cause;
  return new AttemptFailedError(c.kind, {
    status: c.status,
    retryAfterMs: c.retryAfterMs,
    retry: c.retry,
    consumesRetry: c.consumesRetry,
    message: cause instanceof Error ? cause.message : String(cause),
    cause,
  });
}
