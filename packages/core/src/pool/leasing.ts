/**
 * Leasing: who gets which member. It owns the pick (the strategy asked through one reused
 * context, eligibility answered from the rows), the lease's start and end (in flight, uses,
 * half-open trial slots), the limits and sticky keys; `acquire`'s wait is waiting.ts', the
 * fleet's claims fleet-claims.ts'. What an outcome does to health is Outcomes' job: a lease's
 * end hands its outcome there.
 */
import { type NoProxyAvailableError, ProxyPoolError } from '../errors.js';
import { isBanned } from '../health/bans.js';
import { type BreakerState, admits, onLease } from '../health/breaker.js';
import {
  IN_FLIGHT,
  LAST_USED_AT,
  NEEDS_CHECK,
  NEEDS_CHECK_BREAKER,
  NEEDS_CHECK_OWN_LIMITS,
  NEEDS_CHECK_STICKY,
  NEEDS_CHECK_SUSPECT,
  ROW_STRIDE,
  SCORED_AT,
  USES,
} from '../health/table.js';
import { LEASE_ENTRY, LEASE_INDEX, LEASE_REMOVALS, Lease, type LeaseOwner } from '../lease.js';
import { type ClaimHost, type ClaimingStore, FleetClaims } from './fleet-claims.js';
import type { ResolvedOptions } from '../options.js';
import type { Outcome } from '../outcome.js';
import type { Proxy } from '../proxy.js';
import type { Candidate, PickContext, RotationStrategy } from '../rotation/strategy.js';
import { CandidateView } from './candidate-view.js';
import type { PoolEntry } from './entry.js';
import type { Members } from './members.js';
import type { Gateways } from './gateways.js';
import { Limits } from './limits.js';
import type { Spacing, TargetStarts } from './spacing.js';
import { type AvailabilityView, nextAvailableAt, noProxyError } from './unavailable.js';
import { Waiting } from './waiting.js';
import { STICKY_OK, STICKY_WAIT, StickyKeys, type StickyView, stickyState } from './sticky.js';
import { type AcquireOptions, NO_TARGET, SCORE_TTL_MS } from './shared.js';

/** What leasing needs of Outcomes: breakers with time applied, and where a lease's outcome goes. */
export interface LeaseHealth {
  advance(entry: PoolEntry, now: number): BreakerState;
  setBreaker(entry: PoolEntry, next: BreakerState, reason: string): void;
  apply(entry: PoolEntry, row: number, outcome: Outcome, target: string | undefined, trial: boolean, acquiredAt?: number): void;
  release(entry: PoolEntry, trial: boolean): void;
}

type LeasingOptions = Pick<ResolvedOptions, 'clock' | 'random' | 'breaker' | 'maxWaitMs' | 'limits' | 'healthStore'>;

export class Leasing implements LeaseOwner {
  readonly #members: Members;
  readonly #strategy: RotationStrategy;
  /** A built-in strategy's pick needs no second eligibility check (a custom one's gets it). */
  readonly #trustPicks: boolean;
  readonly #options: LeasingOptions;
  readonly #isClosed: () => boolean;
  #health!: LeaseHealth;
  #gateways!: Gateways;
  readonly #sticky = new StickyKeys();
  /**
   * During a pick: look at members a sticky key chose only after the rest (0: no; 1: sessions;
   * 2: all), or never (3: sessions, a new key's second look: a session is one identity).
   */
  #avoidChosen: 0 | 1 | 2 | 3 = 0;
  /** What a built-in strategy's onUpdated is given on the hot path (see CandidateView). */
  readonly #view: CandidateView;
  /** What `PickContext.viewAt` points (apart from #view, so that a hook never moves a pick's view). */
  readonly #pickView: CandidateView;
  readonly #waiting: Waiting;
  #nextLeaseId = 1;
  readonly #limits: Limits;
  // The limits' fields the hot path reads, copied (see pool/limits.ts).
  readonly #maxInFlight: number;
  readonly #spacing: Spacing | undefined;
  readonly #limited: boolean;
  readonly #spacingMs: number;
  /** The current pick's target's starts (spacing), read once a pick. */
  #pickStarts: TargetStarts | undefined;
  /** What judging a sticky key's member reads (pool/sticky.ts). */
  readonly #stickyView: StickyView;
  /** What explaining unavailability reads of the rooms (pool/unavailable.ts). */
  readonly #availability: AvailabilityView;
  /** Fleet-wide limits, when the health store shares them (see fleet-claims.ts). */
  readonly #fleet: FleetClaims | undefined;

  // The pick context is reused across picks: picking must not allocate per member.
  #pickNow = 0;
  #pickExclude: ReadonlySet<string> | undefined;
  /** The first pass of a pick while members are suspect: they count as unusable (see PoolEntry.suspectUntil). */
  #avoidSuspects = false;
  readonly #pick: PickContext & { target: string | undefined };

  constructor(members: Members, strategy: RotationStrategy, trustPicks: boolean, options: LeasingOptions, isClosed: () => boolean) {
    this.#members = members;
    this.#strategy = strategy;
    this.#trustPicks = trustPicks;
    this.#options = options;
    this.#isClosed = isClosed;
    const limits = new Limits(options.limits, members);
    this.#limits = limits;
    this.#maxInFlight = limits.maxInFlight;
    this.#spacing = limits.spacing;
    this.#limited = limits.limited;
    this.#spacingMs = limits.spacingMs;
    this.#availability = {
      entries: members.entries,
      breaker: options.breaker,
      advance: (entry, now) => this.#health.advance(entry, now),
      heldBy: (entry, target, now) => limits.heldBy(entry, target, now),
      nextStartAt: (key, index) => limits.nextStartAt(key, index),
      gatewayHold: (entry, now) => (entry.session ? this.#gateways.hold(entry.session, now) : undefined),
    };
    const leasing = this;
    this.#stickyView = {
      breaker: options.breaker,
      advance: (entry, now) => this.#health.advance(entry, now),
      get gateways() {
        return leasing.#gateways;
      },
      limits,
    };
    this.#waiting = new Waiting({
      clock: options.clock,
      maxWaitMs: options.maxWaitMs,
      isClosed,
      tryLease: (target, exclude, sticky) => this.tryLease(target, exclude, sticky),
      nextAvailableAt: (target, exclude, now) => nextAvailableAt(this.#availability, target, exclude, now),
      noProxyError: (target, exclude, prefix) => this.noProxyError(target, exclude, prefix),
    });
    const store = options.healthStore;
    this.#fleet = store?.claim ? new FleetClaims(store as ClaimingStore, this.#claimHost()) : undefined;
    this.#view = new CandidateView(members.table, members.proxies);
    this.#pickView = new CandidateView(members.table, members.proxies);
    this.#pick = {
      candidates: members.entries,
      target: undefined,
      isEligible: (candidate: Candidate) => this.isEligible(candidate as PoolEntry),
      isEligibleAt: (index: number) => this.#isEligibleAt(index),
      viewAt: (index: number) => this.#pickView.at(index),
      random: options.random,
    };
  }

  /** Outcomes is built after leasing (it wakes leasing's waiters): handed over once, by the pool. */
  connect(health: LeaseHealth, gateways: Gateways): void {
    this.#health = health;
    this.#gateways = gateways;
  }

  /** Forgets a sticky key (see ProxyPool.forgetSticky); returns the member it had chosen. */
  forgetSticky(key: string): PoolEntry | undefined {
    return this.#sticky.forget(key);
  }

  /** A member left the pool: a sticky key that chose it moves on its next lease. */
  left(entry: PoolEntry): void {
    this.#sticky.left(entry);
  }

  /** `acquire`: a lease now, or a wait for one (see ProxyPool.acquire). */
  acquire(
    target: string | undefined,
    exclude: ReadonlySet<string> | undefined,
    options: AcquireOptions,
    onExhausted: (error: NoProxyAvailableError) => void,
  ): Promise<Lease> {
    // The common case stays off the async machinery: one resolved promise, no await.
    const sticky = options.sticky;
    const lease = this.tryLease(target, exclude, sticky);
    if (lease) return this.#fleet === undefined ? Promise.resolve(lease) : this.#fleet.claimed(lease, target, exclude, options);
    const error = this.noProxyError(target, exclude);
    onExhausted(error);
    if (options.wait === false) return Promise.reject(error);
    const waited = this.#waiting.forLease(target, exclude, options);
    return this.#fleet === undefined ? waited : waited.then((next) => this.#fleet!.claimed(next, target, exclude, options));
  }

  /**
   * `tryLease`, with the fleet's claim when the store shares limits (then a promise: one
   * round trip): what the retry loop's non-waiting picks use.
   */
  leaseNow(
    target: string | undefined,
    exclude: ReadonlySet<string> | undefined,
    sticky?: string,
  ): Lease | undefined | Promise<Lease | undefined> {
    const lease = this.tryLease(target, exclude, sticky);
    return lease === undefined || this.#fleet === undefined ? lease : this.#fleet.claimedNow(lease, target, exclude, sticky);
  }

  /** What the fleet's claims need of leasing (see fleet-claims.ts). */
  #claimHost(): ClaimHost {
    return {
      now: () => this.#options.clock.now(),
      maxWaitMs: this.#options.maxWaitMs,
      isClosed: this.#isClosed,
      tryLease: (target, exclude, sticky) => this.tryLease(target, exclude, sticky),
      waitForLease: (target, exclude, options) => this.#waiting.forLease(target, exclude, options),
      waitForChange: (ms, signal) => this.#waiting.forChange(ms, signal),
      limits: { table: this.#members.table, maxInFlight: this.#maxInFlight, spacing: this.#spacing },
    };
  }

  /** The seed's synchronous pick: counts a use, takes no lease. */
  pickProxy(target: string | undefined, exclude: ReadonlySet<string> | undefined): Proxy | undefined {
    const index = this.#selectIndex(target, exclude);
    if (index < 0) return undefined;
    const entry = this.#members.entries[index]!;
    if (!this.#trustPicks && !this.isEligible(entry)) throw this.#notEligible(entry);
    entry.uses++;
    entry.lastUsedAt = this.#pickNow;
    this.#strategy.onUpdated?.(entry);
    return entry.proxy;
  }

  /**
   * The hot path. Everything but a half-open trial is read and written in the member's row, by
   * index, and the lease gets its proxy from `members.proxies`: the entry object is not read at
   * all (at 100,000 proxies picked at random it would be one more cache miss per pick).
   */
  tryLease(target: string | undefined, exclude: ReadonlySet<string> | undefined, sticky?: string): Lease | undefined {
    if (this.#gateways.size > 0) this.#gateways.sweep(this.#options.clock.now());
    if (sticky !== undefined) return this.#tryStickyLease(target, exclude, sticky);
    const index = this.#selectIndex(target, exclude);
    if (index < 0) return undefined;
    const entry = this.#members.entries[index]!;
    if (!this.#trustPicks && !this.isEligible(entry)) throw this.#notEligible(entry);
    return this.#leaseAt(index, entry, target, this.#pickNow);
  }

  /** The lease's bookkeeping, on a member already judged usable. */
  #leaseAt(index: number, entry: PoolEntry, target: string | undefined, now: number): Lease {
    const members = this.#members;
    const data = members.table.data;
    const row = index * ROW_STRIDE;
    let trial = false;
    if ((data[row + NEEDS_CHECK]! & NEEDS_CHECK_BREAKER) !== 0 && entry.circuit === 'half-open') {
      trial = true;
      entry.breaker = onLease(entry.breaker);
    }
    data[row + IN_FLIGHT]! += 1;
    data[row + USES]! += 1;
    data[row + LAST_USED_AT] = now;
    this.#spacing?.started(target ?? NO_TARGET, index, now);
    this.#updatedAt(index, entry);
    const lease = new Lease(this, this.#nextLeaseId++, members.proxies[index]!, target, now, trial);
    lease[LEASE_ENTRY] = entry;
    lease[LEASE_INDEX] = index;
    lease[LEASE_REMOVALS] = members.removals;
    // A gateway keeps a session ready for the next lease (read only for members with limits of their own).
    if ((data[row + NEEDS_CHECK]! & NEEDS_CHECK_OWN_LIMITS) !== 0 && entry.session) this.#gateways.leased(entry.session, now);
    return lease;
  }

  /** A lease for a sticky key: its member while usable, else a member no other key chose, which it keeps. */
  #tryStickyLease(target: string | undefined, exclude: ReadonlySet<string> | undefined, key: string): Lease | undefined {
    const now = this.#options.clock.now();
    this.#pickNow = now;
    this.#pick.target = target;
    this.#pickExclude = undefined; // a key's member is not excluded by the job's tried list: it is the job's
    const chosen = this.#sticky.memberOf(key);
    let reason = chosen?.session?.retiring !== undefined ? `its session was retired (${chosen.session.retiring})` : 'it left the pool';
    if (chosen && !chosen.removed) {
      const state = stickyState(this.#stickyView, chosen, key, target, now);
      if (state === STICKY_OK) return this.#leaseAt(chosen.index, chosen, target, now);
      if (state === STICKY_WAIT) return undefined;
      reason = (state as { reason: string }).reason;
    }
    this.#avoidChosen = 2;
    let index: number;
    try {
      index = this.#selectIndex(target, exclude);
      // More keys than members: a new key shares a fixed proxy with another key rather than wait
      // for ever; never a gateway session another key chose (a fresh session, or a wait).
      if (index < 0) {
        this.#avoidChosen = 3;
        index = this.#selectIndex(target, exclude);
      }
    } finally {
      this.#avoidChosen = 0;
    }
    if (index < 0) return undefined;
    const entry = this.#members.entries[index]!;
    this.#sticky.bind(key, entry, chosen);
    if (chosen !== undefined) this.#onStickyMoved?.(key, chosen, entry, reason);
    return this.#leaseAt(index, entry, target, this.#pickNow);
  }

  /** Told when a sticky key moves (the pool logs it and emits `stickyMoved`). */
  #onStickyMoved: ((key: string, from: PoolEntry | undefined, to: PoolEntry, reason: string) => void) | undefined;

  onStickyMoved(listener: (key: string, from: PoolEntry | undefined, to: PoolEntry, reason: string) => void): void {
    this.#onStickyMoved = listener;
  }

  /** @internal — a lease ends here, exactly once. */
  settle(lease: Lease, outcome: Outcome | undefined): boolean {
    const settled = this.#settle(lease, outcome);
    if (this.#gateways.pending) this.#gateways.sweep(this.#options.clock.now());
    return settled;
  }

  #settle(lease: Lease, outcome: Outcome | undefined): boolean {
    const entry = lease[LEASE_ENTRY] as PoolEntry;
    const members = this.#members;
    let index = lease[LEASE_INDEX];
    // The fleet's count ends with the lease, whatever happened to the member meanwhile.
    if (this.#fleet !== undefined) this.#fleet.ended(lease);
    // No member removed since the lease began (the usual case): its member is still at that
    // index, known without reading per-member memory (checking entries[index] instead cost a
    // fifth of the pick-and-report benchmark's time at 100,000 proxies). Otherwise it may have
    // moved into a removed member's place, or been removed: then its lease finishes quietly.
    if (lease[LEASE_REMOVALS] !== members.removals) {
      if (entry.removed) return true;
      index = entry.index;
    }
    const data = members.table.data;
    const row = index * ROW_STRIDE;
    data[row + IN_FLIGHT] = Math.max(0, data[row + IN_FLIGHT]! - 1);
    const removals = members.removals;
    if (!this.#isClosed()) {
      if (outcome) this.#health.apply(entry, row, outcome, lease.target, lease.trial, lease.acquiredAt);
      // A release changes nothing unless it hands back a half-open trial slot (or sees a breaker's time run out).
      else if (lease.trial || (data[row + NEEDS_CHECK]! & NEEDS_CHECK_BREAKER) !== 0) this.#health.release(entry, lease.trial);
    }
    // After the outcome: a strategy that indexes scores sees the new one. (An event listener
    // may have removed members meanwhile: then the index is found again, or the member is gone.)
    if (members.removals === removals) this.#updatedAt(index, entry);
    else if (!entry.removed) this.#strategy.onUpdated?.(entry);
    if (this.#waiting.size > 0) this.#waiting.wake();
    return true;
  }

  /** Something changed that may let a waiting `acquire` through: they all look again. */
  wake(): void {
    this.#waiting.wake();
  }

  /** Whether a member can be leased now, for the current pick's target. */
  isEligible(entry: PoolEntry): boolean {
    if (entry.removed) return false;
    if (this.#pickExclude?.has(entry.id)) return false;
    const now = this.#pickNow;
    if (entry.circuit !== 'closed') {
      // Still open: no need to ask Outcomes (a mostly dead pool's picks step over many of these).
      const breaker = entry.breaker;
      if (breaker.state === 'open' && now < breaker.until) return false;
      if (!admits(this.#health.advance(entry, now), this.#options.breaker)) return false;
    }
    if (entry.hasBans && isBanned(entry.bans.get(this.#pick.target ?? NO_TARGET), now)) return false;
    const flags = entry.flags;
    if ((flags & NEEDS_CHECK_SUSPECT) !== 0) {
      if (entry.suspectUntil <= now) this.#members.unsuspect(entry);
      else if (this.#avoidSuspects) return false;
    }
    if ((flags & NEEDS_CHECK_STICKY) !== 0 && this.#avoidChosen !== 0 && (this.#avoidChosen === 2 || entry.session)) return false;
    if (entry.session && !this.#gateways.admits(entry, entry.session, now)) return false;
    if (this.#limits.apply(entry) && this.#limits.heldBy(entry, this.#pick.target, now) !== undefined) return false;
    if (now - entry.scoredAt > SCORE_TTL_MS) this.#members.rescore(entry, now);
    return true;
  }

  /** The strategy's onUpdated on the hot path: a built-in one reads the row through the view, a custom one gets the entry. */
  #updatedAt(index: number, entry: PoolEntry): void {
    const strategy = this.#strategy;
    if (strategy.onUpdated) strategy.onUpdated(this.#trustPicks ? this.#view.at(index) : entry);
  }

  /**
   * The strategy's pick as a position in the entries, -1 for none. A pick can announce a
   * breaker going half-open, and a listener can remove members then, moving others: a
   * position picked across such a change is picked again.
   */
  #selectIndex(target: string | undefined, exclude: ReadonlySet<string> | undefined): number {
    const members = this.#members;
    for (let attempt = 0; ; attempt++) {
      const removals = members.removals;
      let index: number;
      const avoidChosen = this.#avoidChosen;
      if (members.suspects === 0 && (this.#sticky.bound === 0 || avoidChosen >= 2)) index = this.#pickIndex(target, exclude);
      else {
        // Suspects, and sessions a sticky key chose, only when nobody else is usable (a new key's
        // pick looks at every chosen member last: different keys, different members while there are enough).
        this.#avoidSuspects = true;
        if (avoidChosen === 0) this.#avoidChosen = 1;
        try {
          index = this.#pickIndex(target, exclude);
        } finally {
          this.#avoidSuspects = false;
          this.#avoidChosen = avoidChosen >= 2 ? avoidChosen : 0;
        }
        if (index < 0) index = this.#pickIndex(target, exclude);
        this.#avoidChosen = avoidChosen;
      }
      if (removals === members.removals || index < 0) return index;
      if (attempt === 2) return -1; // a listener removing members on every pick: give up for now
    }
  }

  #pickIndex(target: string | undefined, exclude: ReadonlySet<string> | undefined): number {
    this.#pickNow = this.#options.clock.now();
    this.#pickExclude = exclude;
    this.#pick.target = target;
    if (this.#spacing) this.#pickStarts = this.#spacing.startsFor(target ?? NO_TARGET);
    const strategy = this.#strategy;
    const entries = this.#members.entries;
    if (strategy.pickIndex) {
      const index = strategy.pickIndex(this.#pick);
      if (this.#trustPicks || index === -1 || (Number.isInteger(index) && index >= 0 && index < entries.length)) return index;
      throw new ProxyPoolError(`the rotation strategy picked position ${index}, and the pool has ${entries.length} proxies`);
    }
    const picked = strategy.pick(this.#pick) as PoolEntry | undefined;
    if (picked === undefined) return -1;
    if (entries[picked.index] !== picked)
      throw new ProxyPoolError('the rotation strategy picked something that is not one of the candidates');
    return picked.index;
  }

  #notEligible(entry: PoolEntry): ProxyPoolError {
    // A custom strategy returned something it should not have: refuse rather than break the breaker.
    return new ProxyPoolError(`the rotation strategy picked ${entry.id}, which is not eligible`);
  }

  /** `isEligible(entries[index])`, answered from the row alone in the usual case. */
  #isEligibleAt(index: number): boolean {
    const members = this.#members;
    if (!(index >= 0 && index < members.entries.length)) return false;
    const data = members.table.data;
    const row = index * ROW_STRIDE;
    if (data[row + NEEDS_CHECK] !== 0 || this.#pickExclude !== undefined) return this.isEligible(members.entries[index]!);
    if (this.#limited) {
      if (data[row + IN_FLIGHT]! >= this.#maxInFlight) return false;
      const starts = this.#pickStarts;
      if (starts !== undefined && starts.lastAt(index) + this.#spacingMs > this.#pickNow) return false;
    }
    if (this.#pickNow - data[row + SCORED_AT]! > SCORE_TTL_MS) members.rescoreRow(row, this.#pickNow);
    return true;
  }

  /** What the limits say of a member now, for its metrics. */
  limitsOf(entry: PoolEntry, now: number): { maxInFlight: number | undefined; nextStartAt: Record<string, number> } {
    return this.#limits.of(entry, now);
  }

  /** Why nothing is usable now, and when something will be (see pool/unavailable.ts). */
  noProxyError(target: string | undefined, exclude: ReadonlySet<string> | undefined, prefix = ''): NoProxyAvailableError {
    return noProxyError(this.#availability, target, exclude, this.#options.clock.now(), prefix);
  }
}
