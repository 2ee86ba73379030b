import type { Logger } from 'pino';
import { NoProxyAvailableError, PoolClosedError, ProxyPoolError } from '../errors.js';
import { blameOf, isPerTarget, isTargetSensitive } from '../failure-kinds.js';
import { type EnvOptions, proxiesFromEnv } from '../env.js';
import { TypedEvents } from '../events.js';
import { isBanned, nextBan, pruneBans } from '../health/bans.js';
import { ownBans, ownFailuresByKind } from '../health/record.js';
import { type BreakerState, admits, advance, forceOpen, onFailure, onLease, onRelease, onSuccess } from '../health/breaker.js';
import { healthScore, recordOutcome } from '../health/score.js';
import {
  CONSECUTIVE_FAILURES,
  HealthRow,
  HealthTable,
  IN_FLIGHT,
  LAST_USED_AT,
  NEEDS_CHECK,
  NEEDS_CHECK_BANS,
  NEEDS_CHECK_BREAKER,
  ROW_STRIDE,
  SCORE,
  SCORED_AT,
  USES,
} from '../health/table.js';
import { TargetHealth } from '../health/target-health.js';
import { type HealthCheckHost, HealthChecker, type ProbeResult } from '../healthcheck/health-checker.js';
import { probe } from '../healthcheck/probe.js';
import { LEASE_ENTRY, LEASE_INDEX, LEASE_REMOVALS, Lease, type LeaseOwner } from '../lease.js';
import { type PoolSnapshot, type ProxyMetrics, metricsOf } from '../metrics.js';
import { type HealthCheckOptions, type ProxyPoolOptions, type ResolvedOptions, resolveOptions } from '../options.js';
import { type FailureOutcome, type Outcome, checkOutcome } from '../outcome.js';
import { type ProxyInput, parseProxy, parseProxyList } from '../parse.js';
import type { Proxy } from '../proxy.js';
import { type ExecuteOptions, type Task, executeWithRetry } from '../retry/execute.js';
import { createRotation, isBuiltInRotation } from '../rotation/index.js';
import type { Candidate, PickContext, RotationStrategy } from '../rotation/strategy.js';
import { type PoolState, applyHealth, parseState, saveHealth } from '../state.js';
import { targetKey } from '../target.js';
import { CandidateView } from './candidate-view.js';
import { PoolEntry } from './entry.js';
import type { ChargeVerdict, PoolEvents } from './events.js';

/** Scores depend on time (decay, recency): one older than this is recomputed when looked at. */
const SCORE_TTL_MS = 5_000;
/** Outcomes without a target share this key for target health and bans. */
const NO_TARGET = '*';
const MAX_TIMER_MS = 2_147_483_647;

export interface AcquireOptions {
  /** The URL (or host) the work is for: bans and target health are per target. */
  target?: string | URL | undefined;
  /** Proxies (or their ids) not to use. */
  exclude?: Iterable<Proxy | string> | undefined;
  signal?: AbortSignal | undefined;
  /** Wait for a proxy to become usable (default), or throw `NoProxyAvailableError` at once. @default true */
  wait?: boolean;
  /** The longest wait. @default the pool's `maxWaitMs` */
  maxWaitMs?: number;
}

export type PickOptions = Omit<AcquireOptions, 'signal' | 'wait' | 'maxWaitMs'>;

interface PendingPayload {
  kind: FailureOutcome['kind'];
  status: number | undefined;
  retryAfterMs: number | undefined;
}

/**
 * A pool of proxies that learns from outcomes. See DESIGN.md for the vocabulary.
 *
 * The pool only coordinates: decisions (score, breaker transitions, bans, target health,
 * selection) are pure functions and small classes it calls with the time from its clock.
 */
export class ProxyPool implements LeaseOwner {
  readonly options: Readonly<ResolvedOptions>;
  readonly #log: Logger;
  readonly #events = new TypedEvents<PoolEvents>();
  readonly #entries: PoolEntry[] = [];
  /** `entries[i].proxy`, so that a lease gets its proxy without reading the entry. */
  readonly #proxies: Proxy[] = [];
  readonly #byId = new Map<string, PoolEntry>();
  /** Every proxy's health numbers, one row each (see health/table.ts). */
  readonly #table = new HealthTable();
  /** Points at whichever row an outcome is being recorded in (see #rowAt). */
  readonly #cursor = new HealthRow(this.#table, 0);
  /** What a built-in strategy's onUpdated is given on the hot path (see CandidateView). */
  readonly #view = new CandidateView(this.#table, this.#proxies);
  /** What `PickContext.viewAt` points (apart from #view, so that a hook never moves a pick's view). */
  readonly #pickView = new CandidateView(this.#table, this.#proxies);
  readonly #strategy: RotationStrategy;
  /** A built-in strategy's pick needs no second eligibility check (a custom one's gets it). */
  readonly #trustPicks: boolean;
  readonly #targets: TargetHealth<PendingPayload>;
  readonly #waiters = new Set<() => void>();
  readonly #closers: Array<() => void | Promise<void>> = [];
  #checker: HealthChecker | undefined;
  #nextLeaseId = 1;
  /** Proxies removed so far: a lease whose count still matches knows its proxy has not moved. */
  #removals = 0;
  #closed = false;
  #outcomesSincePrune = 0;

  // The pick context is reused across picks: picking must not allocate per proxy.
  #pickNow = 0;
  #pickExclude: ReadonlySet<string> | undefined;
  readonly #pick: PickContext & { target: string | undefined };

  constructor(options: ProxyPoolOptions = {}) {
    this.options = resolveOptions(options);
    this.#log = this.options.logger.child({ component: 'proxy-pool' });
    this.#strategy = createRotation(this.options.rotation);
    this.#trustPicks = isBuiltInRotation(this.#strategy);
    this.#targets = new TargetHealth(this.options.targetHealth);
    const random = this.options.random;
    this.#pick = {
      candidates: this.#entries,
      target: undefined,
      isEligible: (candidate: Candidate) => this.#isEligible(candidate as PoolEntry),
      isEligibleAt: (index: number) => this.#isEligibleAt(index),
      viewAt: (index: number) => this.#pickView.at(index),
      random,
    };
    // An empty list given on purpose is almost always a bug (an unset variable, an empty file):
    // it throws. A pool meant to be filled later leaves `proxies` out.
    if (options.proxies !== undefined) {
      for (const proxy of parseProxyList(options.proxies, { source: 'the proxies option' })) this.#addProxy(proxy);
    }
    const hc = this.options.healthCheck;
    if (hc) {
      this.#checker = this.#healthChecker(hc);
      this.#checker.start(hc.runOnStart);
    }
  }

  /**
   * A pool whose proxies come from `PROXIES` (comma or newline separated) or `PROXY_FILE`,
   * in the environment or a `.env` file. Other options as for the constructor.
   */
  static fromEnv(options: Omit<ProxyPoolOptions, 'proxies'> & EnvOptions = {}): ProxyPool {
    const { env, envFile, cwd, ...rest } = options;
    return new ProxyPool({ ...rest, proxies: proxiesFromEnv({ env, envFile, cwd }) });
  }

  // ── membership ────────────────────────────────────────────────────────────

  /** Adds a proxy (any accepted form). Adding one that is already there returns it unchanged. */
  add(input: ProxyInput): Proxy {
    this.#assertOpen();
    return this.#addProxy(parseProxy(input));
  }

  /**
   * Removes a proxy by `Proxy`, id or any accepted form. Leases of it in flight finish quietly;
   * it is never picked again. Returns false when it was not in the pool.
   */
  remove(proxy: ProxyInput): boolean {
    const entry = this.#entryOf(proxy);
    if (!entry) return false;
    entry.removed = true;
    this.#removals++;
    this.#byId.delete(entry.id);
    this.options.healthStore?.detach(entry.id, entry);
    // Rows stay in candidate order (row = index × ROW_STRIDE), so that a pick by index reads the
    // row without reading the entry first: the last proxy moves into the gap, with its row.
    const gap = entry.row;
    entry.detachRow();
    const last = this.#entries.pop()!;
    const lastProxy = this.#proxies.pop()!;
    this.#strategy.onRemoved?.(entry);
    if (last !== entry) {
      this.#table.copyRow(last.row, gap);
      last.row = gap;
      this.#entries[entry.index] = last;
      this.#proxies[entry.index] = lastProxy;
      last.index = entry.index;
      this.#strategy.onUpdated?.(last);
    }
    this.#table.truncate();
    this.#targets.forgetProxy(entry.id);
    this.#log.info({ proxy: entry.id }, 'proxy removed');
    if (this.#events.has('proxyRemoved')) this.#emit('proxyRemoved', { proxy: entry.proxy });
    return true;
  }

  has(proxy: ProxyInput): boolean {
    return this.#entryOf(proxy) !== undefined;
  }

  get size(): number {
    return this.#entries.length;
  }

  /** The proxies, in the pool's order (a copy). */
  get proxies(): Proxy[] {
    return this.#entries.map((entry) => entry.proxy);
  }

  #addProxy(proxy: Proxy): Proxy {
    const existing = this.#byId.get(proxy.id);
    if (existing) return existing.proxy;
    const now = this.options.clock.now();
    const entry = new PoolEntry(proxy, this.#table, now);
    this.options.healthStore?.attach(proxy.id, entry);
    this.#rescore(entry, now);
    entry.index = this.#entries.length;
    this.#entries.push(entry);
    this.#proxies.push(proxy);
    this.#byId.set(proxy.id, entry);
    this.#strategy.onAdded?.(entry);
    this.#log.debug({ proxy: proxy.id }, 'proxy added');
    if (this.#events.has('proxyAdded')) this.#emit('proxyAdded', { proxy });
    this.#wake();
    return proxy;
  }

  #entryOf(proxy: ProxyInput | undefined): PoolEntry | undefined {
    if (proxy === undefined) return undefined;
    if (typeof proxy === 'string') {
      const byId = this.#byId.get(proxy);
      if (byId) return byId;
    }
    try {
      return this.#byId.get(parseProxy(proxy).id);
    } catch {
      return undefined;
    }
  }

  // ── picking ───────────────────────────────────────────────────────────────

  /**
   * Leases a proxy for one piece of work. Waits (bounded by `maxWaitMs` and the signal) while
   * none is usable, waking as soon as one is: a breaker half-opens, a ban ends, a lease ends,
   * a proxy is added. With `wait: false` it throws `NoProxyAvailableError` at once.
   */
  acquire(options: AcquireOptions = {}): Promise<Lease> {
    try {
      this.#assertOpen();
      options.signal?.throwIfAborted();
      const target = targetKey(options.target);
      const exclude = idSet(options.exclude);
      // The common case stays off the async machinery: one resolved promise, no await.
      const lease = this.#tryLease(target, exclude);
      if (lease) return Promise.resolve(lease);
      const error = this.#noProxyError(target, exclude);
      if (this.#events.has('exhausted')) this.#emit('exhausted', { target, nextAvailableAt: error.nextAvailableAt });
      if (options.wait === false) return Promise.reject(error);
      return this.#waitForLease(target, exclude, options);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Leases a proxy now, or returns undefined: `acquire` without waiting and without throwing. */
  tryAcquire(options: PickOptions = {}): Lease | undefined {
    this.#assertOpen();
    return this.#tryLease(targetKey(options.target), idSet(options.exclude));
  }

  /**
   * The seed's synchronous pick: a usable proxy, or undefined. It takes no lease: report what
   * happened with `pool.report(proxy, outcome)`. Prefer `acquire` when work runs concurrently,
   * since only leases count in-flight work and hold half-open trial slots.
   */
  getProxy(options: PickOptions = {}): Proxy | undefined {
    if (this.#closed) return undefined;
    const index = this.#selectIndex(targetKey(options.target), idSet(options.exclude));
    if (index < 0) return undefined;
    const entry = this.#entries[index]!;
    if (!this.#trustPicks && !this.#isEligible(entry)) throw this.#notEligible(entry);
    entry.uses++;
    entry.lastUsedAt = this.#pickNow;
    this.#strategy.onUpdated?.(entry);
    return entry.proxy;
  }

  /**
   * The strategy's pick as a position in #entries, -1 for none. A pick can announce a breaker
   * going half-open, and a listener can remove proxies then, moving others: a position picked
   * across such a change is picked again.
   */
  #selectIndex(target: string | undefined, exclude: ReadonlySet<string> | undefined): number {
    for (let attempt = 0; ; attempt++) {
      const removals = this.#removals;
      const index = this.#pickIndex(target, exclude);
      if (removals === this.#removals || index < 0) return index;
      if (attempt === 2) return -1; // a listener removing proxies on every pick: give up for now
    }
  }

  #pickIndex(target: string | undefined, exclude: ReadonlySet<string> | undefined): number {
    this.#pickNow = this.options.clock.now();
    this.#pickExclude = exclude;
    this.#pick.target = target;
    const strategy = this.#strategy;
    if (strategy.pickIndex) {
      const index = strategy.pickIndex(this.#pick);
      if (this.#trustPicks || index === -1 || (Number.isInteger(index) && index >= 0 && index < this.#entries.length)) return index;
      throw new ProxyPoolError(`the rotation strategy picked position ${index}, and the pool has ${this.#entries.length} proxies`);
    }
    const picked = strategy.pick(this.#pick) as PoolEntry | undefined;
    if (picked === undefined) return -1;
    if (this.#entries[picked.index] !== picked)
      throw new ProxyPoolError('the rotation strategy picked something that is not one of the candidates');
    return picked.index;
  }

  #notEligible(entry: PoolEntry): ProxyPoolError {
    // A custom strategy returned something it should not have: refuse rather than break the breaker.
    return new ProxyPoolError(`the rotation strategy picked ${entry.id}, which is not eligible`);
  }

  /**
   * The hot path. Everything but a half-open trial is read and written in the proxy's row, by
   * index, and the lease gets its proxy from #proxies: the entry object is not read at all
   * (at 100,000 proxies picked at random it would be one more cache miss per pick).
   */
  #tryLease(target: string | undefined, exclude: ReadonlySet<string> | undefined): Lease | undefined {
    const index = this.#selectIndex(target, exclude);
    if (index < 0) return undefined;
    const entry = this.#entries[index]!;
    if (!this.#trustPicks && !this.#isEligible(entry)) throw this.#notEligible(entry);
    const now = this.#pickNow;
    const data = this.#table.data;
    const row = index * ROW_STRIDE;
    let trial = false;
    if ((data[row + NEEDS_CHECK]! & NEEDS_CHECK_BREAKER) !== 0 && entry.circuit === 'half-open') {
      trial = true;
      entry.breaker = onLease(entry.breaker);
    }
    data[row + IN_FLIGHT]! += 1;
    data[row + USES]! += 1;
    data[row + LAST_USED_AT] = now;
    this.#updatedAt(index, entry);
    const lease = new Lease(this, this.#nextLeaseId++, this.#proxies[index]!, target, now, trial);
    lease[LEASE_ENTRY] = entry;
    lease[LEASE_INDEX] = index;
    lease[LEASE_REMOVALS] = this.#removals;
    return lease;
  }

  /** The cursor, pointed at a row. Point it again before each use: a listener called in between may have moved it. */
  #rowAt(row: number): HealthRow {
    const cursor = this.#cursor;
    cursor.row = row;
    return cursor;
  }

  /** `#isEligible(candidates[index])`, answered from the row alone in the usual case. */
  #isEligibleAt(index: number): boolean {
    const entries = this.#entries;
    if (!(index >= 0 && index < entries.length)) return false;
    const data = this.#table.data;
    const row = index * ROW_STRIDE;
    if (data[row + NEEDS_CHECK] !== 0 || this.#pickExclude !== undefined) return this.#isEligible(entries[index]!);
    if (this.#pickNow - data[row + SCORED_AT]! > SCORE_TTL_MS) this.#rescoreRow(row, this.#pickNow);
    return true;
  }

  #isEligible(entry: PoolEntry): boolean {
    if (entry.removed) return false;
    if (this.#pickExclude?.has(entry.id)) return false;
    const now = this.#pickNow;
    if (entry.circuit !== 'closed' && !admits(this.#advance(entry, now), this.options.breaker)) return false;
    if (entry.hasBans && isBanned(entry.bans.get(this.#pick.target ?? NO_TARGET), now)) return false;
    if (now - entry.scoredAt > SCORE_TTL_MS) this.#rescore(entry, now);
    return true;
  }

  async #waitForLease(target: string | undefined, exclude: ReadonlySet<string> | undefined, options: AcquireOptions): Promise<Lease> {
    const { clock } = this.options;
    const deadline = clock.now() + (options.maxWaitMs ?? this.options.maxWaitMs);
    for (;;) {
      const now = clock.now();
      const next = this.#nextAvailableAt(target, exclude, now);
      if (now >= deadline)
        throw this.#noProxyError(target, exclude, `waited ${Math.round(options.maxWaitMs ?? this.options.maxWaitMs)} ms; `);
      // Sleep until the earliest proxy is due (at least 1 ms: never spin), or until something changes.
      const until = Math.min(deadline, next ?? Number.POSITIVE_INFINITY);
      await this.#waitForChange(Math.min(MAX_TIMER_MS, Math.max(1, until - now)), options.signal);
      this.#assertOpen();
      const lease = this.#tryLease(target, exclude);
      if (lease) return lease;
    }
  }

  async #waitForChange(ms: number, signal: AbortSignal | undefined): Promise<void> {
    signal?.throwIfAborted();
    const woken = new AbortController();
    const wake = () => woken.abort();
    this.#waiters.add(wake);
    try {
      await this.options.clock.sleep(ms, signal ? AbortSignal.any([signal, woken.signal]) : woken.signal);
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      if (!woken.signal.aborted) throw error;
    } finally {
      this.#waiters.delete(wake);
    }
  }

  #wake(): void {
    if (this.#waiters.size === 0) return;
    for (const wake of [...this.#waiters]) wake();
  }

  /** When the earliest excluded-or-not proxy becomes usable for this target; undefined if none will by itself. */
  #nextAvailableAt(target: string | undefined, exclude: ReadonlySet<string> | undefined, now: number): number | undefined {
    let next: number | undefined;
    const key = target ?? NO_TARGET;
    for (const entry of this.#entries) {
      if (exclude?.has(entry.id)) continue;
      const breaker = this.#advance(entry, now);
      let at = breaker.state === 'open' ? breaker.until : now;
      if (breaker.state === 'half-open' && !admits(breaker, this.options.breaker)) continue; // frees up when a trial ends
      const ban = entry.bans.get(key);
      if (ban && ban.until > at) at = ban.until;
      if (next === undefined || at < next) next = at;
    }
    return next;
  }

  #noProxyError(target: string | undefined, exclude: ReadonlySet<string> | undefined, prefix = ''): NoProxyAvailableError {
    const now = this.options.clock.now();
    let open = 0;
    let trials = 0;
    let banned = 0;
    let excluded = 0;
    for (const entry of this.#entries) {
      if (exclude?.has(entry.id)) {
        excluded++;
        continue;
      }
      const breaker = this.#advance(entry, now);
      if (breaker.state === 'open') open++;
      else if (!admits(breaker, this.options.breaker)) trials++;
      else if (isBanned(entry.bans.get(target ?? NO_TARGET), now)) banned++;
    }
    const next = this.#nextAvailableAt(target, exclude, now);
    const parts = [
      open && `${open} with an open breaker`,
      trials && `${trials} half-open with their trial in flight`,
      banned && `${banned} banned by ${target}`,
      excluded && `${excluded} excluded`,
    ].filter(Boolean);
    const why = this.#entries.length === 0 ? 'the pool is empty' : `of ${this.#entries.length}: ${parts.join(', ')}`;
    const when = next === undefined ? '' : ` The next one is usable in ${Math.max(0, Math.ceil((next - now) / 1000))} s.`;
    return new NoProxyAvailableError(`${prefix}no proxy is usable${target ? ` for ${target}` : ''} (${why}).${when}`, {
      nextAvailableAt: next,
      target,
    });
  }

  /**
   * Runs `task(proxy, { attempt, signal, lease })` on a leased proxy and, when it fails in a
   * way worth another proxy, again on a proxy not yet tried, with exponential backoff and
   * jitter in between. Throws the task's own error for failures no other proxy would fix
   * (`target_error`, `client`), and `RetriesExhaustedError` listing every attempt otherwise.
   */
  executeWithRetry<T>(task: Task<T>, options: ExecuteOptions = {}): Promise<T> {
    this.#assertOpen();
    return executeWithRetry(this, task, options);
  }

  // ── outcomes ──────────────────────────────────────────────────────────────

  /**
   * Reports what happened through a proxy picked with `getProxy()` (or any proxy of the pool).
   * Returns false when the proxy is not in the pool (it may have been removed meanwhile).
   */
  report(proxy: ProxyInput, outcome: Outcome, options: { target?: string | URL } = {}): boolean {
    const entry = this.#entryOf(proxy);
    if (!entry || this.#closed) return false;
    this.#apply(entry, entry.row, checkOutcome(outcome), targetKey(options.target), false);
    this.#strategy.onUpdated?.(entry);
    this.#wake();
    return true;
  }

  /** @internal — a lease ends here, exactly once. */
  settle(lease: Lease, outcome: Outcome | undefined): boolean {
    const entry = lease[LEASE_ENTRY] as PoolEntry;
    let index = lease[LEASE_INDEX];
    // No proxy removed since the lease began (the usual case): its proxy is still at that index,
    // known without reading per-proxy memory (checking #entries[index] instead cost a fifth of
    // the pick-and-report benchmark's time at 100,000 proxies). Otherwise it may have moved into
    // a removed proxy's place, or been removed: then its lease finishes quietly.
    if (lease[LEASE_REMOVALS] !== this.#removals) {
      if (entry.removed) return true;
      index = entry.index;
    }
    const data = this.#table.data;
    const row = index * ROW_STRIDE;
    data[row + IN_FLIGHT] = Math.max(0, data[row + IN_FLIGHT]! - 1);
    const removals = this.#removals;
    if (!this.#closed) {
      if (outcome) this.#apply(entry, row, outcome, lease.target, lease.trial, lease.acquiredAt);
      // A release changes nothing unless it hands back a half-open trial slot (or sees a breaker's time run out).
      else if (lease.trial || (data[row + NEEDS_CHECK]! & NEEDS_CHECK_BREAKER) !== 0) {
        this.#setBreaker(entry, onRelease(this.#advance(entry, this.options.clock.now()), lease.trial), '');
      }
    }
    // After the outcome: a strategy that indexes scores sees the new one. (An event listener
    // may have removed proxies meanwhile: then the index is found again, or the proxy is gone.)
    if (this.#removals === removals) this.#updatedAt(index, entry);
    else if (!entry.removed) this.#strategy.onUpdated?.(entry);
    if (this.#waiters.size > 0) this.#wake();
    return true;
  }

  /** The strategy's onUpdated on the hot path: a built-in one reads the row through the view, a custom one gets the entry. */
  #updatedAt(index: number, entry: PoolEntry): void {
    const strategy = this.#strategy;
    if (strategy.onUpdated) strategy.onUpdated(this.#trustPicks ? this.#view.at(index) : entry);
  }

  /**
   * Records an outcome. `row` is the entry's row (index × ROW_STRIDE), passed in so that a
   * success (the common outcome) is recorded in the row without reading the entry object.
   */
  #apply(entry: PoolEntry, liveRow: number, outcome: Outcome, target: string | undefined, trial: boolean, acquiredAt?: number): void {
    let row = liveRow;
    const now = this.options.clock.now();
    const health = entry;
    const key = target ?? NO_TARGET;
    const latencyMs = outcome.latencyMs ?? (acquiredAt === undefined ? undefined : now - acquiredAt);
    const needsCheck = this.#table.data[row + NEEDS_CHECK]!;
    if ((needsCheck & NEEDS_CHECK_BANS) !== 0) {
      pruneBans(health.bans, now, this.options.bans);
      entry.hasBans = health.bans.size > 0;
    }
    if (++this.#outcomesSincePrune >= 10_000) {
      this.#outcomesSincePrune = 0;
      this.#targets.prune(now);
    }

    if (outcome.ok) {
      const numbers = this.#rowAt(row);
      numbers.totalSuccesses++;
      recordOutcome(numbers, true, latencyMs, now, this.options.score);
      // A closed breaker with no failure to forget has nothing to learn from a success.
      if ((needsCheck & NEEDS_CHECK_BREAKER) !== 0 || this.#table.data[row + CONSECUTIVE_FAILURES] !== 0) {
        this.#setBreaker(entry, onSuccess(this.#advance(entry, now), now, this.options.breaker, trial), '');
        // The breaker's listeners may have removed proxies, moving rows (this one's included).
        row = entry.removed ? -1 : entry.row;
      }
      if (row >= 0) {
        this.#table.data[row + CONSECUTIVE_FAILURES] = 0;
        this.#rescoreRow(row, now);
      }
      if (this.options.targetHealth.enabled) {
        const { cameUp, charge } = this.#targets.onSuccess(key, entry, now);
        if (cameUp) {
          this.#log.info({ target: key }, 'target is up again');
          if (this.#events.has('targetUp')) this.#emit('targetUp', { target: key, at: now });
        }
        for (const pending of charge) {
          const other = this.#byId.get(pending.proxyId);
          if (other) {
            this.#charge(other, pending.payload, key, now);
            this.#strategy.onUpdated?.(other);
          }
        }
      }
      if (this.#events.has('success')) this.#emit('success', { proxy: entry.proxy, target, latencyMs });
      return;
    }

    const { kind } = outcome;
    health.totalFailures++;
    const byKind = ownFailuresByKind(health);
    byKind[kind] = (byKind[kind] ?? 0) + 1;
    const blame = blameOf(kind);
    const payload: PendingPayload = { kind, status: outcome.status, retryAfterMs: outcome.retryAfterMs };
    let verdict: ChargeVerdict;
    if (blame === 'none' || blame === 'target') {
      verdict = 'blameless';
    } else if (this.options.targetHealth.enabled && isTargetSensitive(kind)) {
      const judged = this.#targets.onFailure(key, { proxyId: entry.id, at: now, kind, payload }, now);
      verdict = judged.verdict;
      if (judged.wentDown) {
        this.#log.warn({ target: key, proxy: entry.id, kind }, 'target is failing through several proxies: holding them blameless');
        if (this.#events.has('targetDown')) this.#emit('targetDown', { target: key, at: now });
      }
    } else {
      verdict = 'charged';
    }
    if (verdict === 'charged') this.#charge(entry, payload, key, now);
    // Not charged (yet): the lease's half-open trial slot is free again.
    else this.#setBreaker(entry, onRelease(this.#advance(entry, now), trial), '');
    if (this.#events.has('failure')) {
      this.#emit('failure', { proxy: entry.proxy, target, kind, blame, verdict, status: outcome.status, latencyMs });
    }
  }

  /** A failure proven to be the proxy's: score, then a ban (per-target kinds) or the breaker. */
  #charge(entry: PoolEntry, failure: PendingPayload, target: string, now: number): void {
    if (entry.removed) return;
    const health = entry;
    recordOutcome(this.#rowAt(entry.row), false, undefined, now, this.options.score);
    health.consecutiveFailures++;
    const { kind } = failure;
    if (isPerTarget(kind)) {
      const banKind = kind as 'blocked' | 'rate_limited';
      const ban = nextBan(health.bans.get(target), banKind, now, failure.retryAfterMs, this.options.bans, this.options.random);
      ownBans(health).set(target, ban);
      entry.hasBans = true;
      this.#log.info({ proxy: entry.id, target, kind, banMs: ban.until - now }, 'proxy banned for target');
      if (this.#events.has('banned')) this.#emit('banned', { proxy: entry.proxy, target, kind: banKind, until: ban.until });
    } else if (kind === 'proxy_auth') {
      const reason = 'the proxy refused its credentials (407): check the username and password';
      this.#setBreaker(entry, forceOpen(this.#advance(entry, now), now, this.options.breaker.authOpenMs, reason), reason);
    } else {
      const reason = `${health.consecutiveFailures} consecutive failures, the last ${kind}${failure.status ? ` (HTTP ${failure.status})` : ''}`;
      this.#setBreaker(entry, onFailure(this.#advance(entry, now), now, this.options.breaker, this.options.random, reason), reason);
    }
    this.#rescore(entry, now);
  }

  #rescore(entry: PoolEntry, now: number): void {
    // A removed proxy's row is no longer the table's (an event listener may remove a proxy mid-outcome).
    if (!entry.removed) this.#rescoreRow(entry.row, now);
  }

  /** #rescore for a live proxy's row, without reading its entry. */
  #rescoreRow(row: number, now: number): void {
    const data = this.#table.data;
    data[row + SCORE] = healthScore(this.#rowAt(row), now, this.options.score);
    data[row + SCORED_AT] = now;
  }

  /** The breaker with time applied; announces open → half-open when it sees it. */
  #advance(entry: PoolEntry, now: number): BreakerState {
    const current = entry.breaker;
    if (current.state !== 'open') return current;
    const next = advance(current, now);
    if (next !== current) this.#setBreaker(entry, next, '');
    return next;
  }

  #setBreaker(entry: PoolEntry, next: BreakerState, reason: string): void {
    const previous = entry.breaker;
    entry.breaker = next;
    if (previous.state === next.state && !(next.state === 'open' && previous !== next)) return;
    if (previous.state !== next.state) this.#strategy.onUpdated?.(entry);
    const proxy = entry.proxy;
    if (next.state === 'open') {
      const openMs = next.until - next.openedAt;
      this.#log.warn({ proxy: proxy.id, reason, openMs, from: previous.state }, 'breaker opened');
      if (this.#events.has('breakerOpen')) this.#emit('breakerOpen', { proxy, reason: reason || next.reason, until: next.until, openMs });
    } else if (next.state === 'half-open') {
      this.#log.info({ proxy: proxy.id }, 'breaker half-open: trying the proxy again');
      if (this.#events.has('breakerHalfOpen')) this.#emit('breakerHalfOpen', { proxy });
    } else {
      this.#log.info({ proxy: proxy.id }, 'breaker closed: the proxy works again');
      if (this.#events.has('breakerClose')) this.#emit('breakerClose', { proxy });
    }
    this.#wake();
  }

  // ── health checks ─────────────────────────────────────────────────────────

  /**
   * Probes every proxy once now (through a real request to the health-check URL) and feeds
   * the outcomes into the pool. Uses the `healthCheck` options, or those given here.
   */
  async checkHealth(options?: HealthCheckOptions): Promise<ProbeResult[]> {
    this.#assertOpen();
    if (options) return this.#healthChecker(resolveOptions({ healthCheck: options }).healthCheck!).checkAll();
    if (!this.#checker) throw new TypeError('Expected a `healthCheck: { url }` option (on the pool, or passed to checkHealth).');
    return this.#checker.checkAll();
  }

  #healthChecker(hc: NonNullable<ResolvedOptions['healthCheck']>): HealthChecker {
    const host: HealthCheckHost = {
      get proxies() {
        return pool.proxies;
      },
      get closed() {
        return pool.closed;
      },
      reportProbe: (proxy, outcome, url) => this.#reportProbe(proxy, outcome, url),
      sleep: (ms, signal) => this.options.clock.sleep(ms, signal, { unref: true }),
    };
    const pool = this;
    const checker = new HealthChecker(host, hc, probe);
    this.#closers.push(() => checker.stop());
    return checker;
  }

  #reportProbe(proxy: Proxy, outcome: Outcome, url: string): void {
    const entry = this.#byId.get(proxy.id);
    if (!entry || entry.proxy !== proxy || this.#closed) return;
    const now = this.options.clock.now();
    const breaker = this.#advance(entry, now);
    // A probe that gets through an open breaker's proxy is the trial a user job need not risk.
    if (outcome.ok && breaker.state === 'open') {
      this.#setBreaker(entry, { state: 'half-open', since: now, trials: 0, successes: 0, streak: breaker.streak }, '');
      if (entry.removed) return; // by a listener of that event
    }
    this.#apply(entry, entry.row, outcome, targetKey(url), false);
    this.#strategy.onUpdated?.(entry);
    this.#wake();
  }

  // ── saved health ──────────────────────────────────────────────────────────

  /** What the pool has learned (scores, breakers, bans), keyed by proxy id, without passwords. */
  toJSON(): PoolState {
    const proxies: PoolState['proxies'] = {};
    for (const entry of this.#entries) proxies[entry.id] = saveHealth(entry);
    return { version: 1, savedAt: this.options.clock.now(), proxies };
  }

  /**
   * Restores what a pool learned before (from `toJSON()`, as an object or JSON text). Proxies
   * of the state that are not in this pool are ignored; proxies of the pool not in the state
   * keep what they have. Malformed state throws `StateRestoreError` and changes nothing.
   */
  restore(state: PoolState | string): { restored: number; ignored: number } {
    const parsed = parseState(state);
    let restored = 0;
    let ignored = 0;
    const now = this.options.clock.now();
    for (const [id, saved] of Object.entries(parsed.proxies)) {
      const entry = this.#byId.get(id);
      if (!entry) {
        ignored++;
        continue;
      }
      applyHealth(entry, saved);
      this.#rescore(entry, now);
      this.#strategy.onUpdated?.(entry);
      restored++;
    }
    this.#log.info({ restored, ignored }, 'health restored');
    this.#wake();
    return { restored, ignored };
  }

  /** A pool built with `options` that starts from a saved state. */
  static restore(state: PoolState | string, options: ProxyPoolOptions = {}): ProxyPool {
    const parsed = parseState(state);
    const pool = new ProxyPool(options);
    pool.restore(parsed);
    return pool;
  }

  // ── observing ─────────────────────────────────────────────────────────────

  on<K extends keyof PoolEvents>(event: K, listener: PoolEvents[K]): () => void {
    return this.#events.on(event, listener);
  }

  once<K extends keyof PoolEvents>(event: K, listener: PoolEvents[K]): () => void {
    return this.#events.once(event, listener);
  }

  #emit<K extends keyof PoolEvents>(event: K, payload: Parameters<PoolEvents[K]>[0]): void {
    this.#events.emit(event, payload, (error) => this.#log.error({ err: error, event }, 'an event listener threw'));
  }

  /** What the pool knows of one proxy; undefined when it is not in the pool. */
  getMetrics(proxy: ProxyInput): ProxyMetrics | undefined {
    const entry = this.#entryOf(proxy);
    if (!entry) return undefined;
    const now = this.options.clock.now();
    this.#advance(entry, now);
    this.#rescore(entry, now);
    return metricsOf(entry, now);
  }

  /** Every proxy's metrics plus pool totals. */
  snapshot(): PoolSnapshot {
    const now = this.options.clock.now();
    const proxies = this.#entries.map((entry) => {
      this.#advance(entry, now);
      this.#rescore(entry, now);
      return metricsOf(entry, now);
    });
    const totals = { requests: 0, successes: 0, failures: 0, inFlight: 0, closed: 0, open: 0, halfOpen: 0, banned: 0 };
    for (const m of proxies) {
      totals.requests += m.totalRequests;
      totals.successes += m.successfulRequests;
      totals.failures += m.failedRequests;
      totals.inFlight += m.inFlight;
      if (m.circuitState === 'closed') totals.closed++;
      else if (m.circuitState === 'open') totals.open++;
      else totals.halfOpen++;
      if (m.bannedOn.length > 0) totals.banned++;
    }
    return { at: now, size: proxies.length, totals, downTargets: this.#targets.downTargets(), proxies };
  }

  /** Whether a target is failing through every proxy right now. */
  isTargetDown(target: string | URL): boolean {
    return this.#targets.isDown(targetKey(target) ?? NO_TARGET);
  }

  /** How long a job should pause before retrying this target (0 when it is not down). */
  targetBackoffMs(target: string | URL | undefined): number {
    return this.#targets.backoffMs(targetKey(target) ?? NO_TARGET, this.options.clock.now());
  }

  // ── lifecycle ─────────────────────────────────────────────────────────────

  get closed(): boolean {
    return this.#closed;
  }

  /** @internal — things to stop at close (health checks). */
  onClose(closer: () => void | Promise<void>): void {
    this.#closers.push(closer);
  }

  /** Stops health checks and wakes waiting `acquire` calls (they throw `PoolClosedError`). Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#wake();
    const store = this.options.healthStore;
    if (store) for (const entry of this.#entries) store.detach(entry.id, entry);
    await Promise.all(this.#closers.map((close) => close()));
    this.#events.clear();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  #assertOpen(): void {
    if (this.#closed) throw new PoolClosedError('the pool is closed');
  }

  /** @internal */
  get logger(): Logger {
    return this.#log;
  }

  /** @internal — for the state saver and the health checker. */
  entries(): readonly PoolEntry[] {
    return this.#entries;
  }
}

function idSet(exclude: Iterable<Proxy | string> | undefined): ReadonlySet<string> | undefined {
  if (exclude === undefined) return undefined;
  const ids = new Set<string>();
  for (const item of exclude) ids.add(typeof item === 'string' ? item : item.id);
  return ids.size === 0 ? undefined : ids;
}
