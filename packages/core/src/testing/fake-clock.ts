import type { Clock } from '../clock.js';

interface Timer {
  at: number;
  seq: number;
  resolve: () => void;
}

/**
 * A clock for tests: time stands still until `advance` moves it, running due sleeps in
 * order and letting the code they wake run before moving on. No real time passes.
 */
export class FakeClock implements Clock {
  #now: number;
  #seq = 0;
  readonly #timers = new Set<Timer>();

  constructor(start = 1_700_000_000_000) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      const timer: Timer = {
        at: this.#now + Math.max(0, ms),
        seq: this.#seq++,
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      const onAbort = () => {
        this.#timers.delete(timer);
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#timers.add(timer);
    });
  }

  /** Sleeps not yet due. */
  get pending(): number {
    return this.#timers.size;
  }

  /** Moves time forward by `ms`, firing due sleeps in order and settling what they wake. */
  async advance(ms: number): Promise<void> {
    const end = this.#now + ms;
    await settle();
    for (;;) {
      let next: Timer | undefined;
      for (const timer of this.#timers) {
        if (timer.at <= end && (!next || timer.at < next.at || (timer.at === next.at && timer.seq < next.seq))) next = timer;
      }
      if (!next) break;
      this.#timers.delete(next);
      this.#now = Math.max(this.#now, next.at);
      next.resolve();
      await settle();
    }
    this.#now = end;
    await settle();
  }

  /** Advances in steps until `predicate` holds or `maxMs` has passed; returns whether it holds. */
  async advanceUntil(predicate: () => boolean, { stepMs = 100, maxMs = 600_000 } = {}): Promise<boolean> {
    for (let waited = 0; waited <= maxMs; waited += stepMs) {
      if (predicate()) return true;
      await this.advance(stepMs);
    }
    return predicate();
  }
}

/** Lets every promise chain that can run now run. */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
