/**
 * Waiting for a lease: `acquire` calls that found nothing usable sleep until the earliest
 * member is due (a breaker half-opens, a ban or a spacing ends) or until something changes
 * (a lease ends, a proxy is added, a store applies another worker's news), then look again,
 * up to their `maxWaitMs`. Owns the set of sleepers and nothing else; what is usable, and
 * when, it asks of leasing.
 */
import type { NoProxyAvailableError } from '../errors.js';
import { PoolClosedError } from '../errors.js';
import type { Clock } from '../clock.js';
import type { Lease } from '../lease.js';
import { type AcquireOptions, MAX_TIMER_MS } from './shared.js';

/** What a wait asks of leasing. */
export interface WaitHost {
  readonly clock: Clock;
  readonly maxWaitMs: number;
  isClosed(): boolean;
  tryLease(target: string | undefined, exclude: ReadonlySet<string> | undefined, sticky: string | undefined): Lease | undefined;
  /** When the earliest member not excluded becomes usable by itself (undefined: only a change will tell). */
  nextAvailableAt(target: string | undefined, exclude: ReadonlySet<string> | undefined, now: number): number | undefined;
  noProxyError(target: string | undefined, exclude: ReadonlySet<string> | undefined, prefix: string): NoProxyAvailableError;
}

export class Waiting {
  readonly #host: WaitHost;
  readonly #sleepers = new Set<() => void>();

  constructor(host: WaitHost) {
    this.#host = host;
  }

  get size(): number {
    return this.#sleepers.size;
  }

  /** Something changed that may let a waiting `acquire` through: they all look again. */
  wake(): void {
    if (this.#sleepers.size === 0) return;
    for (const wake of [...this.#sleepers]) wake();
  }

  async forLease(target: string | undefined, exclude: ReadonlySet<string> | undefined, options: AcquireOptions): Promise<Lease> {
    const host = this.#host;
    const maxWaitMs = options.maxWaitMs ?? host.maxWaitMs;
    const deadline = host.clock.now() + maxWaitMs;
    for (;;) {
      const now = host.clock.now();
      const next = host.nextAvailableAt(target, exclude, now);
      if (now >= deadline) throw host.noProxyError(target, exclude, `waited ${Math.round(maxWaitMs)} ms; `);
      // Sleep until the earliest member is due (at least 1 ms: never spin), or until something changes.
      const until = Math.min(deadline, next ?? Number.POSITIVE_INFINITY);
      await this.forChange(until - now, options.signal);
      if (host.isClosed()) throw new PoolClosedError('the pool is closed');
      const lease = host.tryLease(target, exclude, options.sticky);
      if (lease) return lease;
    }
  }

  /** Sleeps `ms` (1 ms at least, a timer's longest at most), or until woken or aborted. */
  async forChange(ms: number, signal: AbortSignal | undefined): Promise<void> {
    signal?.throwIfAborted();
    const woken = new AbortController();
    const wake = () => woken.abort();
    this.#sleepers.add(wake);
    try {
      const sleep = Math.min(MAX_TIMER_MS, Math.max(1, ms));
      await this.#host.clock.sleep(sleep, signal ? AbortSignal.any([signal, woken.signal]) : woken.signal);
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      if (!woken.signal.aborted) throw error;
    } finally {
      this.#sleepers.delete(wake);
    }
  }
}
