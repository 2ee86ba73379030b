import { type FailureReport, type Outcome, type SuccessReport, checkOutcome } from './outcome.js';
import type { Proxy } from './proxy.js';

/** @internal — where the pool keeps its own record of the leased proxy, so that ending a lease needs no lookup. */
export const LEASE_ENTRY: unique symbol = Symbol('proxy-pool.lease-entry');
/** @internal — where that record sat in the pool when the lease began (it moves only when another proxy is removed). */
export const LEASE_INDEX: unique symbol = Symbol('proxy-pool.lease-index');
/** @internal — how many proxies the pool had removed when the lease began: while that is unchanged, the index holds. */
export const LEASE_REMOVALS: unique symbol = Symbol('proxy-pool.lease-removals');

/** The pool's side of a lease: how the lease hands back its one outcome. */
export interface LeaseOwner {
  settle(lease: Lease, outcome: Outcome | undefined): boolean;
}

/**
 * One use of a proxy. It ends exactly once: with `success()`, `failure()`, or `release()`
 * when the work was cancelled and says nothing about the proxy. Later calls do nothing and
 * return false. `using lease = await pool.acquire()` releases it if nothing else ended it.
 */
export class Lease {
  readonly id: number;
  readonly proxy: Proxy;
  /** The target's key (registrable domain), when one was named. */
  readonly target: string | undefined;
  readonly acquiredAt: number;
  /** Whether this lease is a half-open breaker's trial. */
  readonly trial: boolean;
  readonly #owner: LeaseOwner;
  #ended = false;
  /** @internal */
  [LEASE_ENTRY]: unknown;
  /** @internal */
  [LEASE_INDEX] = -1;
  /** @internal */
  [LEASE_REMOVALS] = 0;

  constructor(owner: LeaseOwner, id: number, proxy: Proxy, target: string | undefined, acquiredAt: number, trial: boolean) {
    this.#owner = owner;
    this.id = id;
    this.proxy = proxy;
    this.target = target;
    this.acquiredAt = acquiredAt;
    this.trial = trial;
  }

  get ended(): boolean {
    return this.#ended;
  }

  success(report?: SuccessReport): boolean {
    return this.#end({ ok: true, latencyMs: report?.latencyMs });
  }

  failure(report: FailureReport): boolean {
    return this.#end({ ok: false, ...report });
  }

  /** Ends the lease without an outcome: the work was cancelled, the proxy is neither praised nor blamed. */
  release(): boolean {
    return this.#end(undefined);
  }

  #end(outcome: Outcome | undefined): boolean {
    if (this.#ended) return false;
    if (outcome) checkOutcome(outcome);
    this.#ended = true;
    return this.#owner.settle(this, outcome);
  }

  [Symbol.dispose](): void {
    this.release();
  }
}
