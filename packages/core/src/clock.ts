/**
 * Time through one door, so that decisions can be tested on fake time.
 * `sleep` rejects with the signal's reason when the signal aborts. A sleep that a caller
 * awaits keeps the process alive (a backoff in the middle of a job must not let Node
 * exit); background waits pass `unref: true` so that they never do.
 */
export interface Clock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal, options?: { unref?: boolean }): Promise<void>;
}

/** A source of uniform numbers in [0, 1), injected so that tests can seed it. */
export type Random = () => number;

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep(ms, signal, options) {
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal?.reason);
      };
      const timer = setTimeout(
        () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        Math.max(0, ms),
      );
      if (options?.unref) timer.unref?.();
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  },
};
