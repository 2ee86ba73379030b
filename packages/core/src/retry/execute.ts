import pRetry, { AbortError } from 'p-retry';
import { type AttemptRecord, NoProxyAvailableError, RetriesExhaustedError } from '../errors.js';
import { isRetryable } from '../failure-kinds.js';
import { type Classification, type Classifier, normalizeClassification } from '../classify/classification.js';
import { classifyError } from '../classify/node-errors.js';
import type { Clock, Random } from '../clock.js';
import type { Lease } from '../lease.js';
import type { PoolEvents } from '../pool/events.js';
import type { Proxy } from '../proxy.js';
import { targetKey } from '../target.js';
import { backoffDelay } from './backoff.js';

export interface AttemptContext {
  /** 1 for the first attempt. */
  attempt: number;
  /** Aborted when the caller aborts or the deadline passes: pass it to whatever the task awaits. */
  signal: AbortSignal;
  /** The attempt's lease. End it yourself to report a more precise outcome; otherwise the pool does. */
  lease: Lease;
}

export type Task<T> = (proxy: Proxy, context: AttemptContext) => Promise<T>;

export interface ExecuteOptions {
  /** The URL (or host) the job is for. */
  target?: string | URL | undefined;
  /** Attempts after the first. @default the pool's `retry.retries` */
  retries?: number | undefined;
  signal?: AbortSignal | undefined;
  /** A bound on the whole job, retries and waits included, in ms. */
  deadlineMs?: number | undefined;
  /** Turns a thrown error into a failure kind; falls back to core's classifier when it returns undefined. */
  classify?: Classifier | undefined;
  /** Retry even kinds not worth another proxy (`target_error`), e.g. for a flaky site. @default false */
  retryTargetErrors?: boolean | undefined;
  /**
   * `'release'` when the task reports outcomes itself (an adapter that reports every
   * navigation): the attempt's lease is then released, not settled, so nothing counts twice.
   * @default 'outcome'
   */
  leaseEnd?: 'outcome' | 'release' | undefined;
  /** Called after each failed attempt (for logs and progress displays). */
  onFailedAttempt?: ((record: AttemptRecord) => void) | undefined;
}

/**
 * What the retry loop needs of a pool: to lease (now, or waiting), to know how many proxies
 * there are, how long to pause for a down target, and when that target comes back. The retry
 * loop sits on top of the pool through this; `ProxyPool` satisfies it and never imports back.
 */
export interface RetryHost {
  readonly options: {
    readonly clock: Clock;
    readonly random: Random;
    readonly retry: { retries: number; minDelayMs: number; maxDelayMs: number; factor: number; jitter: boolean };
    readonly maxWaitMs: number;
  };
  readonly size: number;
  /** A lease now, or undefined (a promise when the pool asks a fleet store about limits first). */
  tryAcquire(options: {
    target?: string | URL | undefined;
    exclude?: Iterable<string> | undefined;
  }): Lease | undefined | Promise<Lease | undefined>;
  acquire(options: { target?: string | URL | undefined; signal?: AbortSignal | undefined; maxWaitMs?: number | undefined }): Promise<Lease>;
  targetBackoffMs(target: string | URL | undefined): number;
  on(event: 'targetUp', listener: PoolEvents['targetUp']): () => void;
  /** A lease's member as a rotating gateway's session (undefined: not one). See `freeDraws` below. */
  sessionState?(lease: Lease): SessionState | undefined;
}

/** A gateway session: never used before (`fresh`), used (`proven`), or retired by what happened to it. */
export type SessionState = 'fresh' | 'proven' | 'retiring';

class DeadlineError extends Error {
  override name = 'TimeoutError';
}

/**
 * Runs `task` on a leased proxy, retrying on another proxy with backoff. The loop itself
 * is p-retry's; what this adds is the choice of proxy, the classification of failures, and
 * waits on the pool's clock (so that they run on fake time in tests and end on abort).
 */
export async function executeWithRetry<T>(pool: RetryHost, task: Task<T>, options: ExecuteOptions = {}): Promise<T> {
  const { clock, random, retry } = pool.options;
  const retries = options.retries ?? retry.retries;
  if (!(Number.isInteger(retries) && retries >= 0))
    throw new RangeError(`Expected \`retries\` to be a non-negative integer, got ${retries}.`);
  const start = clock.now();
  const deadline = options.deadlineMs === undefined ? Number.POSITIVE_INFINITY : start + options.deadlineMs;

  // One signal for the whole job: the caller's, or the deadline.
  const job = new AbortController();
  const onCallerAbort = () => job.abort(options.signal?.reason);
  if (options.signal?.aborted) throw options.signal.reason;
  options.signal?.addEventListener('abort', onCallerAbort, { once: true });
  const deadlineTimer = new AbortController();
  if (Number.isFinite(deadline)) {
    clock.sleep(deadline - start, deadlineTimer.signal).then(
      () => job.abort(new DeadlineError(`the job's deadline of ${options.deadlineMs} ms passed`)),
      () => undefined,
    );
  }

  const tried = new Set<string>();
  const attempts: AttemptRecord[] = [];
  let last: Classification | undefined;
  let freeFailures = 0;
  // A fresh gateway session that fails for its exit's sake (banned, dead behind the gateway) is
  // retired: it was one draw of an exit from millions, and the next draw is a new session, not
  // another try of this page's luck. Such draws keep the job's retries, up to `retries` of them
  // (with a third of exits bad, four bad draws in a row lost a page in every few 300-page crawls).
  let freeDraws = 0;
  let lastWasFreeDraw = false;
  let stoppedEarly = false;

  const classify = (error: unknown): Classification => normalizeClassification(options.classify?.(error)) ?? classifyError(error);

  // Why the job could not get a proxy at the end, when it could not: the error says it.
  let unavailable: NoProxyAvailableError | undefined;
  const runAttempt = async (attempt: number): Promise<T> => {
    let lease: Lease;
    try {
      lease = await acquireUntried(pool, options.target, tried, options.signal, deadline);
    } catch (error) {
      // No proxy became usable within the wait (the pool's maxWaitMs or what is left of the
      // deadline): another attempt would wait again for the same thing.
      if (!(error instanceof NoProxyAvailableError)) throw error;
      unavailable = error;
      stoppedEarly = true;
      throw new AbortError(error);
    }
    tried.add(lease.proxy.id);
    const fresh = pool.sessionState?.(lease) === 'fresh';
    const attemptStart = clock.now();
    try {
      const result = await raceAbort(task(lease.proxy, { attempt, signal: job.signal, lease }), job.signal);
      if (options.leaseEnd === 'release') lease.release();
      else lease.success({ latencyMs: clock.now() - attemptStart });
      return result;
    } catch (error) {
      if (job.signal.aborted) {
        lease.release();
        stoppedEarly = true;
        throw new AbortError(asError(job.signal.reason));
      }
      const c = classify(error);
      last = c;
      if (options.leaseEnd === 'release') lease.release();
      else lease.failure({ kind: c.kind, status: c.status, retryAfterMs: c.retryAfterMs, latencyMs: clock.now() - attemptStart });
      // (With leaseEnd 'release' the caller reported the failure itself, during the attempt.)
      lastWasFreeDraw = fresh && pool.sessionState?.(lease) === 'retiring' && freeDraws < retries;
      const record: AttemptRecord = { attempt, proxyId: lease.proxy.id, kind: c.kind, cause: error, latencyMs: clock.now() - attemptStart };
      attempts.push(record);
      options.onFailedAttempt?.(record);
      const retryable = c.retry ?? (isRetryable(c.kind) || (options.retryTargetErrors === true && c.kind === 'target_error'));
      if (!retryable) {
        stoppedEarly = true;
        throw new AbortError(asError(error));
      }
      throw asError(error);
    }
  };

  try {
    return await pRetry(runAttempt, {
      retries,
      minTimeout: 0, // the pause is ours (below), on the pool's clock
      signal: job.signal,
      // A failure that cost next to nothing (consumesRetry: false) keeps the job's retries, up to
      // once per proxy in the pool: the attempts are bounded whatever the proxies do.
      // (p-retry still stops when no retry is left: a job with `retries: 0` gets one attempt.)
      shouldConsumeRetry: () => {
        if (lastWasFreeDraw) {
          freeDraws++;
          return false;
        }
        return last?.consumesRetry !== false || ++freeFailures > pool.size;
      },
      shouldRetry: async ({ retriesConsumed }) => {
        let delay = backoffDelay(retriesConsumed, retry, random);
        if (last?.retryAfterMs !== undefined) delay = Math.max(delay, last.retryAfterMs);
        const targetPause = pool.targetBackoffMs(options.target);
        delay = Math.max(delay, targetPause);
        if (clock.now() + delay >= deadline) return false;
        await pauseUnlessTargetComesBack(pool, options.target, delay, job.signal, targetPause > 0);
        return true;
      },
    });
  } catch (error) {
    if (options.signal?.aborted) throw options.signal.reason;
    if (unavailable) throw explainUnavailable(unavailable, attempts, options, clock.now() >= deadline);
    if (stoppedEarly && !job.signal.aborted) throw error;
    if (job.signal.aborted && attempts.length === 0) throw job.signal.reason;
    if (attempts.length === 0) throw error; // no proxy could be leased: NoProxyAvailableError
    const summary = attempts.map((a) => `${a.proxyId ?? '-'}: ${a.kind}`).join('; ');
    const why = job.signal.aborted ? 'the deadline passed' : `${attempts.length} attempt${attempts.length === 1 ? '' : 's'} failed`;
    throw new RetriesExhaustedError(`${why}${options.target ? ` for ${options.target}` : ''} (${summary})`, attempts);
  } finally {
    options.signal?.removeEventListener('abort', onCallerAbort);
    deadlineTimer.abort();
  }
}

/**
 * The job ends because no proxy became usable: with no attempt made, the pool's own
 * `NoProxyAvailableError` (what it waited for: open breakers and why, bans, trials in flight),
 * after the deadline said first; with attempts, `RetriesExhaustedError` listing them, then that.
 */
function explainUnavailable(
  error: NoProxyAvailableError,
  attempts: readonly AttemptRecord[],
  options: ExecuteOptions,
  deadlinePassed: boolean,
): Error {
  const why = deadlinePassed ? `the job's deadline of ${options.deadlineMs} ms passed while waiting for a proxy` : 'no proxy became usable';
  if (attempts.length === 0)
    return new NoProxyAvailableError(`${why}: ${error.message}`, { nextAvailableAt: error.nextAvailableAt, target: error.target });
  const summary = attempts.map((a) => `${a.proxyId ?? '-'}: ${a.kind}`).join('; ');
  return new RetriesExhaustedError(
    `${why} after ${attempts.length} attempt${attempts.length === 1 ? '' : 's'}${options.target ? ` for ${options.target}` : ''} (${summary}): ${error.message}`,
    attempts,
  );
}

/**
 * A proxy not yet tried in this job while one is usable; else any usable one; else wait for
 * one, at most until the deadline: the pool's own wait ends then, with an error that says
 * what it waited for (the job's abort would say only that time ran out).
 */
async function acquireUntried(
  pool: RetryHost,
  target: string | URL | undefined,
  tried: Set<string>,
  signal: AbortSignal | undefined,
  deadline: number,
): Promise<Lease> {
  const fresh = await pool.tryAcquire({ target, exclude: tried });
  if (fresh) return fresh;
  const any = await pool.tryAcquire({ target });
  if (any) return any;
  const maxWaitMs = Math.min(pool.options.maxWaitMs, deadline - pool.options.clock.now());
  return pool.acquire({ target, signal, maxWaitMs: Math.max(0, maxWaitMs) });
}

/** Sleeps on the pool's clock; a down target coming back ends the pause at once. */
async function pauseUnlessTargetComesBack(
  pool: RetryHost,
  target: string | URL | undefined,
  ms: number,
  signal: AbortSignal,
  watchTarget: boolean,
): Promise<void> {
  if (ms <= 0) return;
  if (!watchTarget || target === undefined) return pool.options.clock.sleep(ms, signal);
  const key = targetKey(target);
  const woken = new AbortController();
  const off = pool.on('targetUp', (event) => {
    if (event.target === key) woken.abort();
  });
  try {
    await pool.options.clock.sleep(ms, AbortSignal.any([signal, woken.signal]));
  } catch (error) {
    if (signal.aborted) throw error;
  } finally {
    off();
  }
}

function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

function asError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}
