import type { Logger } from 'pino';
import type { OwnEvidence } from './score-share.js';

export interface LocalFaultGuardOptions {
  /**
   * This worker is suspect when proxies that failed here since its last success through any
   * proxy number at least this share of its live proxies… @default 0.25
   */
  fraction?: number;
  /** …and at least this many. @default 3 */
  minProxies?: number;
}

/** Another worker's outcomes in its last push period, as the fleet last told. */
export interface WorkerReport {
  ok: number;
  fail: number;
}

/**
 * One bad worker must not poison the fleet (Polly #215/#259: one node's fault opened a shared
 * breaker for everyone). A worker whose own network is broken fails through every proxy it
 * tries, and nothing succeeds here in between; a healthy worker that meets dead proxies still
 * succeeds through the others. So, like target health in the pool (most proxies failing at once
 * for one target: the target's fault), the guard blames the worker when
 *
 *   - proxies that failed here since this worker's last success through any proxy cover
 *     `fraction` of its proxies (and `minProxies`), and
 *   - another worker reported successes in its last push period (a tenth of its outcomes or more).
 *
 * Then this worker's breaker openings stay local: not written, not published. Everything else
 * (closings, bans, what it hears) goes on. Failures are counted, not openings: openings lag
 * failures by the breaker's threshold, and the first ones would be shared before openings ever
 * covered most proxies. Everyone failing (the proxies really are dead) is not a local fault: a
 * worker shares then. A false alarm (a fresh worker that met three dead proxies in a row) costs
 * a delay: its held openings are shared when it next succeeds, unless the fleet succeeded
 * through the proxy since.
 */
export class LocalFaultGuard {
  readonly #fraction: number;
  readonly #minProxies: number;
  readonly #log: Logger;
  #others: WorkerReport[] = [];
  #local = false;
  /** When the last suspect stretch ended (local time): failures until then are never shared. */
  endedAt = Number.NEGATIVE_INFINITY;

  constructor(options: LocalFaultGuardOptions, log: Logger) {
    this.#fraction = options.fraction ?? 0.25;
    this.#minProxies = options.minProxies ?? 3;
    if (!(this.#fraction > 0 && this.#fraction <= 1)) throw new RangeError('Expected `localFaultGuard.fraction` to be in (0, 1].');
    if (!(Number.isInteger(this.#minProxies) && this.#minProxies >= 1))
      throw new RangeError('Expected `localFaultGuard.minProxies` to be a positive integer.');
    this.#log = log;
  }

  /** Whether this worker's openings stay local now. */
  get local(): boolean {
    return this.#local;
  }

  /** The other workers' latest reports (the store reads them on every push). */
  heard(others: WorkerReport[]): void {
    this.#others = others;
  }

  /** Whether another worker reported successes (a tenth of its outcomes or more). */
  get othersSucceed(): boolean {
    return this.#others.some((w) => w.ok > 0 && w.ok >= 0.1 * (w.ok + w.fail));
  }

  /** Judges again; returns 'held' or 'shared' when the verdict changed, undefined when not. */
  update(evidence: OwnEvidence, now: number): 'held' | 'shared' | undefined {
    const needed = Math.max(this.#minProxies, Math.ceil(this.#fraction * evidence.live));
    const suspect = evidence.failingSinceLastSuccess >= needed && this.othersSucceed;
    if (suspect === this.#local) return undefined;
    this.#local = suspect;
    if (suspect) {
      this.#log.warn(
        { failingProxies: evidence.failingSinceLastSuccess, proxies: evidence.live },
        'this worker fails through most of its proxies while other workers succeed: its breaker openings stay local (its own network?)',
      );
      return 'held';
    }
    this.endedAt = now;
    this.#log.info('this worker succeeds again (or the whole fleet fails): sharing its breaker openings again');
    return 'shared';
  }
}
