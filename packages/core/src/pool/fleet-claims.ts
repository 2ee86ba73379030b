/**
 * Fleet-wide limits: after a lease passed the limits here, `acquire` asks the health store
 * (Redis, say) whether the fleet's other workers leave room for it — one round trip, only when
 * limits apply to the member. A refusal hands the lease back unused and looks for another
 * member; when every usable member here is held by the fleet, it waits until the fleet's
 * earliest hold ends, or something here changes. A store that cannot answer says `ok`
 * (the limits here still hold), so a Redis outage never blocks or fails an acquire.
 * Synchronous picks (`tryAcquire`, `getNextProxy`) cannot wait for a round trip: they hold
 * the limits of this process only.
 */
import { NoProxyAvailableError, PoolClosedError } from '../errors.js';
import type { HealthStore, LimitAnswer, LimitClaim } from '../health/record.js';
import { NEEDS_CHECK_OWN_LIMITS, ROW_STRIDE, USES } from '../health/table.js';
import { LEASE_ENTRY, type Lease } from '../lease.js';
import type { PoolEntry } from './entry.js';
import { type AcquireOptions, NO_TARGET } from './shared.js';
import type { Spacing } from './spacing.js';

type Refusal = Extract<LimitAnswer, { ok: false }>;

/** What the claims need of leasing. */
export interface ClaimHost {
  now(): number;
  readonly maxWaitMs: number;
  isClosed(): boolean;
  tryLease(target: string | undefined, exclude: ReadonlySet<string> | undefined, sticky: string | undefined): Lease | undefined;
  /** A lease as `acquire`'s own wait would return it (waits from the start, up to maxWaitMs). */
  waitForLease(target: string | undefined, exclude: ReadonlySet<string> | undefined, options: AcquireOptions): Promise<Lease>;
  waitForChange(ms: number, signal: AbortSignal | undefined): Promise<void>;
  /** The limits here: the pool's `maxInFlight` (Infinity: none), the spacing, the rows (a refused lease is not a use). */
  readonly limits: { readonly table: { readonly data: Float64Array }; readonly maxInFlight: number; readonly spacing: Spacing | undefined };
}

export type ClaimingStore = HealthStore & Required<Pick<HealthStore, 'claim'>>;

export class FleetClaims {
  readonly #store: ClaimingStore;
  readonly #host: ClaimHost;
  /** Granted claims by lease, released when the lease ends (kept here, not on every Lease: the hot path's leases stay as small as they were). */
  readonly #granted = new WeakMap<Lease, LimitClaim>();

  constructor(store: ClaimingStore, host: ClaimHost) {
    this.#store = store;
    this.#host = host;
  }

  /** `first`, or another lease, once the fleet granted its claim. */
  async claimed(
    first: Lease,
    target: string | undefined,
    exclude: ReadonlySet<string> | undefined,
    options: AcquireOptions,
  ): Promise<Lease> {
    const host = this.#host;
    const deadline = host.now() + (options.maxWaitMs ?? host.maxWaitMs);
    let lease = first;
    // Members the fleet refused in this round, and when the earliest of them is free again.
    let refused: Set<string> | undefined;
    let retryAt = Number.POSITIVE_INFINITY;
    let limit: 'maxInFlight' | 'minIntervalMs' = 'maxInFlight';
    for (;;) {
      const claim = this.#claimOf(lease);
      if (claim === undefined) return lease;
      const answer = await this.#ask(claim);
      if (host.isClosed()) {
        lease.release();
        throw new PoolClosedError('the pool is closed');
      }
      if (answer.ok) {
        this.#granted.set(lease, claim);
        return lease;
      }
      this.#handBack(lease, answer);
      limit = answer.limit;
      retryAt = Math.min(retryAt, host.now() + Math.max(1, answer.retryInMs));
      // Another member while there is one (each is asked once a round); a sticky key waits for its own.
      let next: Lease | undefined;
      if (options.sticky === undefined) {
        refused ??= new Set(exclude);
        refused.add(lease.proxy.id);
        next = host.tryLease(target, refused, undefined);
      }
      if (next === undefined) {
        const now = host.now();
        if (options.wait === false || now >= deadline) throw fleetHeld(target, limit, retryAt, options.wait === false ? '' : 'waited; ');
        await host.waitForChange(Math.min(retryAt, deadline) - now, options.signal);
        if (host.isClosed()) throw new PoolClosedError('the pool is closed');
        refused = undefined;
        retryAt = Number.POSITIVE_INFINITY;
        next =
          host.tryLease(target, exclude, options.sticky) ??
          (await host.waitForLease(target, exclude, { ...options, maxWaitMs: Math.max(0, deadline - host.now()) }));
      }
      lease = next;
    }
  }

  /** `claimed` without waiting (the retry loop's picks): undefined when the fleet holds every member. */
  claimedNow(lease: Lease, target: string | undefined, exclude: ReadonlySet<string> | undefined, sticky: string | undefined) {
    return this.claimed(lease, target, exclude, { sticky, wait: false }).catch((error: unknown) => {
      if (error instanceof NoProxyAvailableError) return undefined;
      throw error;
    });
  }

  /** A lease's claim, when fleet-wide limits apply to its member (a gateway's sessions are this worker's own). */
  #claimOf(lease: Lease): LimitClaim | undefined {
    const entry = lease[LEASE_ENTRY] as PoolEntry;
    if (entry.session !== undefined || entry.removed) return undefined;
    const limits = this.#host.limits;
    const max = (entry.flags & NEEDS_CHECK_OWN_LIMITS) !== 0 ? entry.maxInFlight : limits.maxInFlight;
    const minIntervalMs = limits.spacing?.intervalMs ?? 0;
    if (!Number.isFinite(max) && minIntervalMs <= 0) return undefined;
    const maxInFlight = Number.isFinite(max) ? max : undefined;
    return { proxyId: entry.id, target: lease.target ?? NO_TARGET, leaseId: lease.id, maxInFlight, minIntervalMs };
  }

  /** The fleet refused the lease: it ends unused (not a use), and spacing holds the member as long as the fleet does. */
  #handBack(lease: Lease, answer: Refusal): void {
    const entry = lease[LEASE_ENTRY] as PoolEntry;
    const { table, spacing } = this.#host.limits;
    if (!entry.removed) {
      const row = entry.index * ROW_STRIDE;
      table.data[row + USES] = Math.max(0, table.data[row + USES]! - 1);
      // The lease's start was noted here; what the fleet says replaces it (a refusal for leases
      // at once is no spacing: the start this member had before was at least an interval ago).
      if (spacing) {
        const now = this.#host.now();
        const at = answer.limit === 'minIntervalMs' ? now + answer.retryInMs - spacing.intervalMs : now - spacing.intervalMs;
        spacing.started(lease.target ?? NO_TARGET, entry.index, at);
      }
    }
    lease.release();
  }

  /** The lease ended: its claim, if the fleet granted one, is released (once). */
  ended(lease: Lease): void {
    const claim = this.#granted.get(lease);
    if (claim === undefined) return;
    this.#granted.delete(lease);
    try {
      this.#store.release?.(claim);
    } catch {
      // A store's failure is its own to log; the lease has ended here whatever it says.
    }
  }

  async #ask(claim: LimitClaim): Promise<LimitAnswer> {
    try {
      return await this.#store.claim(claim);
    } catch {
      return { ok: true }; // the contract says a store answers ok when it cannot answer; one that throws is taken so
    }
  }
}

function fleetHeld(
  target: string | undefined,
  limit: 'maxInFlight' | 'minIntervalMs',
  retryAt: number,
  prefix: string,
): NoProxyAvailableError {
  const what = limit === 'maxInFlight' ? 'at their limit of leases at once' : `spaced out for ${target ?? 'any target'}`;
  return new NoProxyAvailableError(
    `${prefix}no proxy is usable${target ? ` for ${target}` : ''} (the usable ones are ${what} across the fleet: limits.${limit} holds in every worker sharing the store).`,
    { nextAvailableAt: Number.isFinite(retryAt) ? retryAt : undefined, target, limit },
  );
}
