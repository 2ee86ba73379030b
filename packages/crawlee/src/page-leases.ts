import { AttemptFailedError, type Classification, type Lease, type Outcome, PoolClosedError, type ProxyPool } from '@proxy-pool/core';
import { needsPreflight } from '@proxy-pool/browser';
import type { PreflightGate } from './preflight-gate.js';

/** Proxies checked for one page at most before the bridge gives up on finding one that answers. */
const MAX_CHECKS = 5;
/** Checks one page waits on at once: the pool's pick, and the next free proxy beside it. */
const MAX_PARALLEL = 2;

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
   * The page's lease: the pool's pick, checked first when it has not worked lately. While a
   * check runs, the pool's next free proxy is taken too: one that needs no check gets the page
   * at once, one that does is checked beside the first, and the first to pass gets the page.
   * Checks still running then go on aside (a failure is reported, a pass vouches for the
   * proxy's next page): a slow or hanging proxy's check costs a socket, not the page's wait (a
   * check that times out waits a second at least, five before the first answer). A session
   * that already has its member waits for that member's check alone.
   */
  async #checked(url: string | undefined, sticky: string | undefined, signal: AbortSignal): Promise<Lease> {
    const gate = this.#gate;
    const own = sticky !== undefined && this.#bound.has(sticky);
    const tried: string[] = [];
    const running = new Map<Lease, Promise<[Lease, Classification | undefined]>>();
    /** The lease a new session's key chose (the pool bound the key to its proxy). */
    let keyLease: Lease | undefined;
    let failure: Classification | undefined;
    let checks = 0;
    const decide = (winner: Lease) => {
      for (const [lease, check] of running)
        void check.then(
          ([, f]) => this.#aside(lease, f),
          () => lease.release(),
        );
      running.clear();
      // A new session's key stays with the proxy it chose only if that proxy got the page.
      if (sticky !== undefined && !own && keyLease && winner !== keyLease) this.#unbind(sticky);
      return winner;
    };
    try {
      while (!signal.aborted) {
        // Another candidate: one to wait for when none is being checked, else one the pool has free now.
        let lease: Lease | undefined;
        if (running.size === 0 && checks < MAX_CHECKS) {
          const bound = sticky !== undefined && this.#bound.has(sticky);
          lease = await this.#lease(url, sticky, tried, signal);
          if (sticky !== undefined && !bound && this.#bound.has(sticky)) keyLease = lease;
        } else if (!own && running.size < MAX_PARALLEL && checks < MAX_CHECKS) {
          lease = await this.#leaseNow(url, tried);
          // Two sessions of one gateway would both ask the gateway: its check is already running.
          const gateway = lease && this.#gatewayOf(lease);
          if (gateway !== undefined && [...running.keys()].some((r) => this.#gatewayOf(r) === gateway)) {
            lease!.release();
            lease = undefined;
          }
        }
        if (lease) {
          tried.push(lease.proxy.id);
          if (!gate || gate.trusts(lease.proxy)) return decide(lease);
          checks++;
          const checked = lease;
          running.set(
            checked,
            gate.check(checked.proxy, url).then((f) => [checked, f]),
          );
          if (!own && running.size < MAX_PARALLEL && checks < MAX_CHECKS) continue;
        }
        if (running.size === 0) break;
        const [done, f] = await Promise.race(running.values());
        running.delete(done);
        if (!f) return decide(done);
        failure = f;
        done.failure({ kind: f.kind, status: f.status });
        // The key's member failed before the session used it: it chooses again (and drops a gateway session).
        if (sticky !== undefined && (own || done === keyLease)) {
          this.forget(sticky);
          keyLease = undefined;
        }
      }
    } catch (error) {
      for (const [lease, check] of running)
        void check.then(
          ([, f]) => this.#aside(lease, f),
          () => lease.release(),
        );
      throw error;
    }
    for (const [lease, check] of running)
      void check.then(
        ([, f]) => this.#aside(lease, f),
        () => lease.release(),
      );
    if (signal.aborted) throw signal.reason;
    throw new AttemptFailedError(failure?.kind ?? 'unknown', {
      status: failure?.status,
      message: `${tried.length} proxies failed their pre-flight check for ${url ?? 'the browser'}; last: ${failure?.evidence ?? failure?.kind}`,
    });
  }

  #gatewayOf(lease: Lease): string | undefined {
    return this.#pool.getMetrics(lease.proxy.id)?.gateway;
  }

  /** A lease now on the pool's pick for `url`, no key, none of `tried` and none on probation; undefined when none is free now. */
  #leaseNow(url: string | undefined, tried: string[]): Promise<Lease | undefined> {
    return this.#now(url, [...tried, ...this.#onProbation(tried)], undefined);
  }

  /** A check that ended after another proxy got the page: a failure is reported, a pass vouches for the proxy (its lease released). */
  #aside(lease: Lease, failure: Classification | undefined): void {
    if (failure) lease.failure({ kind: failure.kind, status: failure.status });
    else {
      this.#gate?.vouch(lease.proxy);
      lease.release();
    }
  }

  /** A new session's key lets go of the proxy it had just chosen (another got the page): its next page chooses afresh. */
  #unbind(key: string): void {
    this.#bound.delete(key);
    this.#pool.forgetSticky(key);
  }

  /**
   * A lease on the key's member; a key that has none yet takes one now if the pool binds it (a
   * member no other key chose, or a fresh gateway session), else the pool's pick without a key:
   * a new Crawlee session is not held up because every member already serves another one (the
   * pool's sticky pick does not share members between keys: it waits), and the page keeps going.
   * Either way a proxy on probation (see `#onProbation`) is passed over while another is free.
   */
  async #lease(url: string | undefined, sticky: string | undefined, exclude: string[], signal: AbortSignal): Promise<Lease> {
    if (sticky !== undefined && this.#bound.has(sticky)) {
      return this.#pool.acquire({ target: url, exclude, signal, maxWaitMs: this.#options.maxWaitMs, sticky });
    }
    const probation = this.#onProbation(exclude);
    for (const ex of probation.length > 0 ? [[...exclude, ...probation], exclude] : [exclude]) {
      // Not tryAcquire: acquire also takes the fleet's claim when a health store shares limits.
      const lease = sticky === undefined ? undefined : await this.#now(url, ex, sticky);
      if (lease) {
        this.#bound.add(sticky!);
        return lease;
      }
      if (ex !== exclude) {
        const other = await this.#now(url, ex, undefined);
        if (other) return other;
      }
    }
    return this.#pool.acquire({ target: url, exclude, signal, maxWaitMs: this.#options.maxWaitMs });
  }

  /**
   * A lease now (sticky or not), or undefined when none is free now. Through the pool's
   * `leaseNow`: it takes the fleet's claim when a health store shares limits (as `acquire`
   * does), and a look that finds nothing free is not the pool running out (`acquire` with
   * `wait: false` would say `exhausted` each time a new Crawlee session found every member taken).
   */
  async #now(url: string | undefined, exclude: string[], sticky: string | undefined): Promise<Lease | undefined> {
    if (this.#pool.closed) throw new PoolClosedError('the pool is closed');
    return this.#pool.leaseNow({ target: url, exclude, sticky });
  }

  /**
   * Proxies on probation: a page of theirs is in flight and they have not worked lately (never
   * used, failing since their last success: the pre-flight rule, `needsPreflight`). They get no
   * second page at once while another proxy is free: in bench:crawlee a proxy the site bans
   * drew a second page before its first 403 came back, and a flaky one a second reset.
   */
  #onProbation(exclude: readonly string[]): string[] {
    const ids: string[] = [];
    for (const lease of this.#open.values()) {
      const id = lease.proxy.id;
      if (!exclude.includes(id) && !ids.includes(id) && needsPreflight(this.#pool, lease.proxy)) ids.push(id);
    }
    return ids;
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
