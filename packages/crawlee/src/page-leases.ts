import { AttemptFailedError, type Classification, type Lease, NoProxyAvailableError, type Outcome, type ProxyPool } from '@proxy-pool/core';
import type { PreflightGate } from './preflight-gate.js';

/** Proxies checked for one page at most before the bridge gives up on finding one that answers. */
const MAX_CHECKS = 5;

/**
 * A Crawlee request, as the bridge keys its leases: Crawlee hands the same `Request` object to
 * `newUrl`, to the hooks and to the error handlers of one attempt (and again to its retries).
 * `handledAt` is set once Crawlee is done with it, fetched or failed for good.
 */
export type PageKey = object & { handledAt?: string | null | undefined };

export interface PageLeaseOptions {
  /** Sticky keys from Crawlee's session ids. */
  sticky: boolean;
  /** How long a page waits for a proxy (as `pool.acquire`'s `maxWaitMs`). @default the pool's */
  maxWaitMs: number | undefined;
}

/**
 * A pool lease per Crawlee page attempt, held from `newUrl` (where the proxy is chosen) until
 * the page's outcome is reported. So the pool sees what is in flight as its adapters show it:
 * `limits.maxInFlight` and a gateway session's one identity hold (a page waits in `newUrl`
 * for room, as `acquire` waits), the weighted rotation spreads concurrent pages instead of
 * piling them on one proxy, a half-open breaker gets one trial page, not one per concurrent
 * request, and gateway timeouts of pages in flight together count once.
 *
 * Every lease ends exactly once, whatever Crawlee does: with the navigation's outcome (the
 * post-navigation hook, the error handlers), or released without one when the attempt ends
 * otherwise — its page closed, a retry of the request asked for a proxy again, or Crawlee
 * marked the request handled — so that no lease outlives its page.
 */
export class PageLeases {
  readonly #pool: ProxyPool;
  readonly #gate: PreflightGate | undefined;
  readonly #options: PageLeaseOptions;
  /** The lease of each page attempt between `newUrl` and its outcome (at most one per request). */
  readonly #open = new Map<PageKey, Lease>();
  /** Attempts still waiting in `newUrl` for a proxy, to be cancelled when Crawlee gives up on them. */
  readonly #waiting = new Map<PageKey, AbortController>();
  /** Sticky keys (Crawlee session ids) that hold a member: a lease for one of them waits for it. */
  readonly #bound = new Set<string>();

  constructor(pool: ProxyPool, gate: PreflightGate | undefined, options: PageLeaseOptions) {
    this.#pool = pool;
    this.#gate = gate;
    this.#options = options;
  }

  /** Page attempts holding a lease now. */
  get open(): number {
    return this.#open.size;
  }

  /**
   * A lease for the attempt of `page` on `url`: the session's member, or the pool's pick,
   * checked first when it has not worked lately (see PreflightGate); one that fails its check
   * ends its lease with the failure, and another is leased, up to 5, without spending a page.
   * Without a `page` (Crawlee asks for a browser's own proxy at launch) the lease is the
   * caller's to end.
   */
  async take(page: PageKey | undefined, url: string | undefined, sessionId: string | undefined): Promise<Lease> {
    this.#sweep();
    if (page) {
      // A retry of the request, or an attempt nobody reported: the old lease ends here at the latest.
      this.#release(page);
      this.#waiting.get(page)?.abort();
    }
    const controller = new AbortController();
    if (page) this.#waiting.set(page, controller);
    try {
      const lease = await this.#checked(url, this.#options.sticky && sessionId ? sessionId : undefined, controller.signal);
      if (controller.signal.aborted) {
        lease.release();
        throw controller.signal.reason;
      }
      if (page) this.#open.set(page, lease);
      return lease;
    } finally {
      if (page && this.#waiting.get(page) === controller) this.#waiting.delete(page);
    }
  }

  /**
   * The page's lease: the pool's pick, checked first when it has not worked lately. While that
   * check runs, a proxy that needs none is taken instead if the pool has one now, and the check
   * goes on aside (its failure is reported, a pass vouches for the proxy's next page): a slow or
   * hanging proxy's check then costs a socket, not the page's wait (a check that times out waits
   * a second at least). A session that already has its member waits for that member's check.
   */
  async #checked(url: string | undefined, sticky: string | undefined, signal: AbortSignal): Promise<Lease> {
    const gate = this.#gate;
    const own = sticky !== undefined && this.#bound.has(sticky);
    const tried: string[] = [];
    let failure: Classification | undefined;
    for (let check = 0; check < MAX_CHECKS; check++) {
      const lease = await this.#lease(url, sticky, tried, signal);
      if (!gate || gate.trusts(lease.proxy)) return lease;
      tried.push(lease.proxy.id);
      const checking = gate.check(lease.proxy, url);
      if (!own) {
        const other = await this.#insteadOf(lease, url, sticky, tried);
        if (other) {
          void checking.then(
            (f) => this.#settleCheck(lease, f, gate),
            () => lease.release(),
          );
          return other;
        }
      }
      failure = await checking;
      if (!this.#settleCheck(lease, failure, undefined)) return lease;
      // The key's member failed before the session used it: it chooses again (and drops a gateway session).
      if (sticky) this.forget(sticky);
      if (signal.aborted) break;
    }
    throw new AttemptFailedError(failure?.kind ?? 'unknown', {
      status: failure?.status,
      message: `${tried.length} proxies failed their pre-flight check for ${url ?? 'the browser'}; last: ${failure?.evidence ?? failure?.kind}`,
    });
  }

  /**
   * A lease now on a proxy that needs no check, to use while `checked`'s check runs aside; none
   * when the pool has no such proxy free now. A new session's key moves to it (it had just
   * chosen the proxy being checked), or has no member again when there is none.
   */
  async #insteadOf(checked: Lease, url: string | undefined, sticky: string | undefined, tried: string[]): Promise<Lease | undefined> {
    const unbind = () => {
      if (sticky === undefined) return;
      this.#bound.delete(sticky);
      this.#pool.forgetSticky(sticky);
    };
    unbind();
    const now = (options: { sticky?: string }) =>
      this.#pool.acquire({ target: url, exclude: tried, wait: false, ...options }).catch((error: unknown) => {
        if (error instanceof NoProxyAvailableError) return undefined;
        throw error;
      });
    let other = sticky === undefined ? undefined : await now({ sticky });
    if (other) this.#bound.add(sticky!);
    else other = await now({});
    if (other && other.proxy.id !== checked.proxy.id && this.#gate!.trusts(other.proxy)) return other;
    other?.release();
    unbind();
    return undefined;
  }

  /** Ends a checked lease that failed (true), or vouches for a proxy that passed aside (its lease released). */
  #settleCheck(lease: Lease, failure: Classification | undefined, aside: PreflightGate | undefined): boolean {
    if (failure) {
      lease.failure({ kind: failure.kind, status: failure.status });
      return true;
    }
    if (aside) {
      aside.vouch(lease.proxy);
      lease.release();
    }
    return false;
  }

  /**
   * A lease on the key's member; a key that has none yet takes one now if the pool binds it (a
   * member no other key chose, or a fresh gateway session), else the pool's pick without a key:
   * a new Crawlee session is not held up because every member already serves another one (the
   * pool's sticky pick does not share members between keys: it waits), and the page keeps going.
   */
  async #lease(url: string | undefined, sticky: string | undefined, exclude: string[], signal: AbortSignal): Promise<Lease> {
    const wait = { target: url, exclude, signal, maxWaitMs: this.#options.maxWaitMs };
    if (sticky !== undefined) {
      if (this.#bound.has(sticky)) return this.#pool.acquire({ ...wait, sticky });
      // Not tryAcquire: acquire also takes the fleet's claim when a health store shares limits.
      const lease = await this.#pool.acquire({ ...wait, sticky, wait: false }).catch((error: unknown) => {
        if (error instanceof NoProxyAvailableError) return undefined;
        throw error;
      });
      if (lease) {
        this.#bound.add(sticky);
        return lease;
      }
    }
    return this.#pool.acquire(wait);
  }

  /** Crawlee retired the session `key` (or its member failed a check): the pool forgets the key, and retires a gateway session it had. */
  forget(key: string): void {
    this.#bound.delete(key);
    if (!this.#pool.closed) this.#pool.forgetSticky(key, { retire: true });
  }

  /** The lease `page`'s attempt holds now, if it holds one. */
  leaseOf(page: PageKey): Lease | undefined {
    return this.#open.get(page);
  }

  /**
   * Ends `page`'s lease with the navigation's outcome (undefined: released, it says nothing of
   * the proxy). False when the attempt holds no lease (already ended, or never taken).
   */
  end(page: PageKey, outcome: Outcome | undefined): boolean {
    const lease = this.#open.get(page);
    if (!lease) return false;
    this.#open.delete(page);
    if (!outcome) lease.release();
    else if (outcome.ok) lease.success({ latencyMs: outcome.latencyMs });
    else lease.failure(outcome);
    return true;
  }

  /** Crawlee gave up on `page`'s attempt (an error, its timeout): a wait for a proxy ends, a lease still open is released. */
  cancel(page: PageKey): void {
    this.#waiting.get(page)?.abort();
    this.#release(page);
  }

  /** The attempt that holds `lease` is over (its page closed): released if nothing ended it. */
  closed(page: PageKey, lease: Lease): void {
    if (this.#open.get(page) === lease) this.#open.delete(page);
    lease.release();
  }

  #release(page: PageKey): void {
    const lease = this.#open.get(page);
    if (!lease) return;
    this.#open.delete(page);
    lease.release();
  }

  /** Leases of requests Crawlee has finished with (a page that never opened, a handler nobody wired). */
  #sweep(): void {
    for (const [page, lease] of this.#open) {
      if (page.handledAt) {
        this.#open.delete(page);
        lease.release();
      }
    }
  }
}
