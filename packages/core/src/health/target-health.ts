import type { FailureKind } from '../failure-kinds.js';

/**
 * Target health: is a failure the proxy's fault, or is the site down (or blocking everyone)?
 *
 * A failure that a down target could have caused (a timeout, a refused tunnel, a reset, a
 * block page…) is not charged to its proxy at once. It waits as *pending* until another
 * proxy succeeds on the same target within `windowMs`, which proves the target up and the
 * failure the proxy's; then it is charged. When `downAfterProxies` different proxies fail on
 * a target with no success in between, the target is *down*: its pending failures are
 * dropped, the proxies are held blameless, and they stay so until a success brings it back.
 * Compare Envoy's outlier detection, which stops ejecting hosts when too many look bad at once.
 */
export interface TargetHealthOptions {
  /** Turn off to charge every failure to its proxy at once. @default true */
  enabled: boolean;
  /** How long a pending failure waits for another proxy's success. @default 60_000 */
  windowMs: number;
  /** Different proxies failing with no success in between that mark a target down. @default 4 */
  downAfterProxies: number;
  /** First pause before a job retries a down target; doubles while it stays down. @default 1_000 */
  backoffMs: number;
  /** The cap on that pause: a job retries a down target at least this often, so work resumes soon after it is back. @default 5_000 */
  maxBackoffMs: number;
  /** Pending failures kept per target; the oldest are dropped (uncharged) beyond it. @default 256 */
  maxPending: number;
}

export const DEFAULT_TARGET_HEALTH_OPTIONS: TargetHealthOptions = {
  enabled: true,
  windowMs: 60_000,
  downAfterProxies: 4,
  backoffMs: 1_000,
  maxBackoffMs: 5_000,
  maxPending: 256,
};

export interface PendingFailure<T> {
  readonly proxyId: string;
  readonly at: number;
  readonly kind: FailureKind;
  /** Whatever the pool needs to charge it later. */
  readonly payload: T;
}

interface TargetRecord<T> {
  lastSuccessAt: number | undefined;
  /** Proxies that failed since the last success, with when. */
  failing: Map<string, number>;
  downSince: number | undefined;
  pending: PendingFailure<T>[];
}

export type FailureVerdict = 'pending' | 'blameless';

export interface SuccessResult<T> {
  /** The target was down and is up again. */
  cameUp: boolean;
  /** Pending failures of other proxies, now proven to be theirs. */
  charge: PendingFailure<T>[];
}

// The common results, shared (their `charge` lists are empty and frozen): no allocation per success.
const NOTHING_TO_CHARGE: SuccessResult<never> = Object.freeze({ cameUp: false, charge: Object.freeze([]) as unknown as never[] });
const CAME_UP: SuccessResult<never> = Object.freeze({ cameUp: true, charge: Object.freeze([]) as unknown as never[] });

export class TargetHealth<T> {
  readonly #options: TargetHealthOptions;
  readonly #targets = new Map<string, TargetRecord<T>>();

  constructor(options: TargetHealthOptions) {
    this.#options = options;
  }

  #record(target: string): TargetRecord<T> {
    let record = this.#targets.get(target);
    if (!record) {
      record = { lastSuccessAt: undefined, failing: new Map(), downSince: undefined, pending: [] };
      this.#targets.set(target, record);
    }
    return record;
  }

  /**
   * A target-sensitive failure. Returns `blameless` when the target is (or just became) down,
   * and `pending` when the failure waits for proof. `wentDown` tells the caller to announce it.
   */
  onFailure(target: string, failure: PendingFailure<T>, now: number): { verdict: FailureVerdict; wentDown: boolean } {
    const record = this.#record(target);
    if (record.downSince !== undefined) return { verdict: 'blameless', wentDown: false };
    const { windowMs, downAfterProxies, maxPending } = this.#options;
    for (const [proxyId, at] of record.failing) if (now - at > windowMs) record.failing.delete(proxyId);
    record.failing.set(failure.proxyId, now);
    if (record.failing.size >= downAfterProxies) {
      record.downSince = now;
      record.pending = [];
      return { verdict: 'blameless', wentDown: true };
    }
    record.pending.push(failure);
    if (record.pending.length > maxPending) record.pending.shift();
    return { verdict: 'pending', wentDown: false };
  }

  /** `proxy` is only read when failures are pending (its id tells its own from the others'). */
  onSuccess(target: string, proxy: { readonly id: string }, now: number): SuccessResult<T> {
    const record = this.#record(target);
    const cameUp = record.downSince !== undefined;
    record.downSince = undefined;
    record.lastSuccessAt = now;
    // Checked first: clearing a Map allocates a new table even when it is empty, and this runs on every success.
    if (record.failing.size > 0) record.failing.clear();
    if (record.pending.length === 0) return cameUp ? CAME_UP : NOTHING_TO_CHARGE;
    const proxyId = proxy.id;
    const charge: PendingFailure<T>[] = [];
    const keep: PendingFailure<T>[] = [];
    for (const p of record.pending) {
      if (now - p.at > this.#options.windowMs) continue;
      (p.proxyId === proxyId ? keep : charge).push(p);
    }
    record.pending = keep;
    return { cameUp, charge };
  }

  /** Another worker found the target down (`down`) or up: returns whether that changed anything here. */
  setDown(target: string, down: boolean, now: number): boolean {
    const record = this.#record(target);
    if ((record.downSince !== undefined) === down) return false;
    record.downSince = down ? now : undefined;
    record.failing.clear();
    if (!down) record.lastSuccessAt = now;
    return true;
  }

  isDown(target: string): boolean {
    return this.#targets.get(target)?.downSince !== undefined;
  }

  /** How long a job should pause before retrying this target; 0 when it is not down. */
  backoffMs(target: string, now: number): number {
    const since = this.#targets.get(target)?.downSince;
    if (since === undefined) return 0;
    const { backoffMs, maxBackoffMs } = this.#options;
    // Doubles with each backoffMs-long stretch the target has been down.
    const doublings = Math.floor(Math.log2(1 + Math.max(0, now - since) / backoffMs));
    return Math.min(maxBackoffMs, backoffMs * 2 ** doublings);
  }

  /** Forget a proxy (it was removed): its pending failures are dropped. */
  forgetProxy(proxyId: string): void {
    for (const record of this.#targets.values()) {
      record.failing.delete(proxyId);
      if (record.pending.some((p) => p.proxyId === proxyId)) record.pending = record.pending.filter((p) => p.proxyId !== proxyId);
    }
  }

  downTargets(): string[] {
    return [...this.#targets].filter(([, r]) => r.downSince !== undefined).map(([t]) => t);
  }

  /** Drops records with nothing to remember, so that a crawl over many sites does not grow forever. */
  prune(now: number): void {
    for (const [target, r] of this.#targets) {
      if (
        r.downSince === undefined &&
        r.pending.length === 0 &&
        (r.lastSuccessAt === undefined || now - r.lastSuccessAt > this.#options.windowMs)
      ) {
        if ([...r.failing.values()].every((at) => now - at > this.#options.windowMs)) this.#targets.delete(target);
      }
    }
  }
}
