/**
 * The pool: a small coordinator over rooms with one job each. Members (pool/members.ts) keeps
 * who is in the pool and their rows; Leasing (pool/leasing.ts) picks, leases and waits;
 * Outcomes (pool/outcomes.ts) turns what happened into health; health checks
 * (pool/health-checks.ts) feed probes into the same path. The rooms share only what sits
 * below them (pool/shared.ts, entry.ts, the health table); this file wires them and holds
 * the public API, saved health and what is observed. See DESIGN.md for the vocabulary.
 */
import type { Logger } from 'pino';
import { PoolClosedError } from '../errors.js';
import { type EnvOptions, proxiesFromEnv } from '../env.js';
import { TypedEvents } from '../events.js';
import { TargetHealth } from '../health/target-health.js';
import type { HealthChecker, ProbeResult } from '../healthcheck/health-checker.js';
import type { Lease } from '../lease.js';
import { type PoolSnapshot, type ProxyMetrics, metricsOf, totalsOf } from '../metrics.js';
import { type HealthCheckOptions, type ProxyPoolOptions, type ResolvedOptions, resolveOptions } from '../options.js';
import { type Outcome, checkOutcome } from '../outcome.js';
import type { ProxyInput } from '../parse.js';
import type { Proxy } from '../proxy.js';
import { type ExecuteOptions, type RetryHost, type SessionState, type Task, executeWithRetry } from '../retry/execute.js';
import { leaseSessionState, retryHostOf } from './retry-host.js';
import { createRotation, isBuiltInRotation } from '../rotation/index.js';
import type { RotationStrategy } from '../rotation/strategy.js';
import { type PoolState, parseState } from '../state.js';
import { targetKey } from '../target.js';
import type { PoolEntry } from './entry.js';
import type { PoolEvents } from './events.js';
import { type MemberInput, parseMembers, rejectGatewaySettings } from '../gateway/member-input.js';
import { isGatewayTemplate } from '../gateway/template.js';
import { type GatewayMetrics, Gateways } from './gateways.js';
import { createHealthChecker } from './health-checks.js';
import { Leasing } from './leasing.js';
import { ownMaxInFlight } from './limits.js';
import { Members } from './members.js';
import { Outcomes } from './outcomes.js';
import { type AcquireOptions, NO_TARGET, type PendingPayload, type PickOptions, PoolEmitter, idSet } from './shared.js';

export type { AcquireOptions, PickOptions } from './shared.js';
export type { GatewayMetrics } from './gateways.js';

/**
 * A pool of proxies that learns from outcomes.
 *
 * The pool only coordinates: decisions (score, breaker transitions, bans, target health,
 * selection) are pure functions and small classes its rooms call with the time from its clock.
 */
export class ProxyPool {
  readonly options: Readonly<ResolvedOptions>;
  readonly #log: Logger;
  readonly #events = new TypedEvents<PoolEvents>();
  readonly #emitter: PoolEmitter;
  readonly #strategy: RotationStrategy;
  readonly #targets: TargetHealth<PendingPayload>;
  readonly #members: Members;
  readonly #leasing: Leasing;
  readonly #outcomes: Outcomes;
  readonly #gateways: Gateways;
  readonly #closers: Array<() => void | Promise<void>> = [];
  #checker: HealthChecker | undefined;
  #closed = false;
  /** What the retry loop leases through: the pool, with picks that claim fleet-wide limits. */
  readonly #retryHost: RetryHost;

  constructor(options: ProxyPoolOptions = {}) {
    this.options = resolveOptions(options);
    const opts = this.options;
    this.#log = opts.logger.child({ component: 'proxy-pool' });
    this.#emitter = new PoolEmitter(this.#events, this.#log);
    this.#strategy = createRotation(opts.rotation);
    this.#targets = new TargetHealth(opts.targetHealth);
    this.#members = new Members(this.#strategy, opts.healthStore, opts.score);
    const isClosed = () => this.#closed;
    this.#leasing = new Leasing(this.#members, this.#strategy, isBuiltInRotation(this.#strategy), opts, isClosed);
    const leasing = this.#leasing;
    this.#gateways = new Gateways(
      opts,
      this.#log,
      this.#emitter,
      (proxy) => this.#addMember(proxy),
      (entry) => this.#removeMember(entry),
    );
    this.#outcomes = new Outcomes(
      this.#members,
      this.#strategy,
      this.#targets,
      opts,
      this.#emitter,
      this.#log,
      () => leasing.wake(),
      this.#gateways,
    );
    this.#leasing.connect(this.#outcomes, this.#gateways);
    this.#leasing.onStickyMoved((key, from, to, reason) => {
      this.#log.info({ sticky: key, from: from?.id, to: to.id, reason }, 'sticky key moved');
      if (this.#emitter.has('stickyMoved')) this.#emitter.emit('stickyMoved', { key, from: from?.proxy, to: to.proxy, reason });
    });
    this.#retryHost = retryHostOf(this);
    opts.healthStore?.link?.({
      changed: () => leasing.wake(),
      setTargetDown: (target, down) => this.#outcomes.setTargetDown(target, down),
      setGatewayBreaker: (id, breaker) => {
        if (this.#gateways.setBreaker(id, breaker)) leasing.wake();
      },
    });
    // An empty list given on purpose is almost always a bug (an unset variable, an empty file):
    // it throws. A pool meant to be filled later leaves `proxies` out.
    if (options.proxies !== undefined) {
      for (const member of parseMembers(options.proxies, 'the proxies option')) this.#addInput(member);
    }
    const hc = opts.healthCheck;
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
    const [member] = parseMembers([input], 'pool.add()');
    return this.#addInput({ ...member!, option: 'pool.add()' });
  }

  /**
   * Removes a proxy by `Proxy`, id or any accepted form. Leases of it in flight finish quietly;
   * it is never picked again. Returns false when it was not in the pool.
   */
  remove(proxy: ProxyInput): boolean {
    const entry = this.#members.find(proxy);
    if (entry) {
      if (entry.session) entry.session.gateway.sessions.delete(entry);
      this.#removeMember(entry);
      return true;
    }
    const gateway = this.#gateways.find(proxy);
    if (!gateway) return false;
    this.#gateways.remove(gateway);
    this.#log.info({ gateway: gateway.id }, 'gateway removed');
    return true;
  }

  /** The rotating gateways (proxies with `{session}`), by id, with their live sessions' ids. */
  get gateways(): GatewayMetrics[] {
    return this.#gateways.metrics();
  }

  #removeMember(entry: PoolEntry): void {
    this.#members.remove(entry);
    this.#leasing.left(entry);
    this.#targets.forgetProxy(entry.id);
    this.#log.info({ proxy: entry.id }, 'proxy removed');
    if (this.#emitter.has('proxyRemoved')) this.#emitter.emit('proxyRemoved', { proxy: entry.proxy });
  }

  has(proxy: ProxyInput): boolean {
    return this.#members.find(proxy) !== undefined;
  }

  get size(): number {
    return this.#members.size;
  }

  /** The proxies, in the pool's order (a copy). */
  get proxies(): Proxy[] {
    return this.#members.proxies.slice();
  }

  /** A proxy input joins: a gateway (its sessions are minted as needed), or a fixed proxy with its own limits if it has any. */
  #addInput(member: MemberInput): Proxy {
    const { proxy, settings, option } = member;
    if (isGatewayTemplate(proxy)) {
      this.#gateways.add(proxy, settings, option);
      this.#leasing.wake();
      return proxy;
    }
    rejectGatewaySettings(member);
    const existing = this.#members.byId(proxy.id);
    if (existing) return existing.proxy;
    const maxInFlight = ownMaxInFlight(settings?.limits, option);
    const entry = this.#addMember(proxy)!;
    if (maxInFlight !== undefined) entry.setOwnMaxInFlight(maxInFlight);
    return proxy;
  }

  #addMember(proxy: Proxy): PoolEntry | undefined {
    const entry = this.#members.add(proxy, this.options.clock.now());
    if (!entry) return undefined;
    this.#log.debug({ proxy: proxy.id }, 'proxy added');
    if (this.#emitter.has('proxyAdded')) this.#emitter.emit('proxyAdded', { proxy });
    this.#leasing.wake();
    return entry;
  }

  // ── leasing ───────────────────────────────────────────────────────────────

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
      const leased = this.#leasing.acquire(target, idSet(options.exclude), options, (error) => {
        if (this.#emitter.has('exhausted')) this.#emitter.emit('exhausted', { target, nextAvailableAt: error.nextAvailableAt });
      });
      return this.#emitter.has('acquired') ? this.#announceAcquired(leased, target) : leased;
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Only when someone listens: the time from the call to the lease. */
  async #announceAcquired(leased: Promise<Lease>, target: string | undefined): Promise<Lease> {
    const start = this.options.clock.now();
    const lease = await leased;
    if (this.#emitter.has('acquired'))
      this.#emitter.emit('acquired', { proxy: lease.proxy, target, waitedMs: this.options.clock.now() - start });
    return lease;
  }

  /**
   * @internal — `tryAcquire` that also claims fleet-wide limits when the health store shares
   * them (then a promise: one round trip). The retry loop and the adapters pick through it.
   */
  leaseNow(options: PickOptions = {}): Lease | undefined | Promise<Lease | undefined> {
    if (this.#closed) return undefined;
    return this.#leasing.leaseNow(targetKey(options.target), idSet(options.exclude), options.sticky);
  }

  /** @internal — what a lease's member is as a gateway session (see RetryHost.sessionState), for the adapters' retry hosts. */
  sessionStateOf(lease: Lease): SessionState | undefined {
    return leaseSessionState(lease);
  }

  /** Leases a proxy now, or returns undefined: `acquire` without waiting and without throwing. */
  tryAcquire(options: PickOptions = {}): Lease | undefined {
    this.#assertOpen();
    return this.#leasing.tryLease(targetKey(options.target), idSet(options.exclude), options.sticky);
  }

  /**
   * The seed's synchronous pick: a usable proxy, or undefined. It takes no lease: report what
   * happened with `pool.report(proxy, outcome)`. Prefer `acquire` when work runs concurrently,
   * since only leases count in-flight work and hold half-open trial slots.
   */
  getProxy(options: PickOptions = {}): Proxy | undefined {
    if (this.#closed) return undefined;
    if (options.sticky !== undefined) {
      // The key's member, chosen as a lease would be; no lease is kept (none is, for getProxy).
      const lease = this.#leasing.tryLease(targetKey(options.target), idSet(options.exclude), options.sticky);
      lease?.release();
      return lease?.proxy;
    }
    return this.#leasing.pickProxy(targetKey(options.target), idSet(options.exclude));
  }

  /**
   * Runs `task(proxy, { attempt, signal, lease })` on a leased proxy and, when it fails in a
   * way worth another proxy, again on a proxy not yet tried, with exponential backoff and
   * jitter in between. Throws the task's own error for failures no other proxy would fix
   * (`target_error`, `client`), and `RetriesExhaustedError` listing every attempt otherwise.
   * A convenience: the retry loop (retry/execute.ts) sits on top of the pool and needs only
   * what its `RetryHost` names.
   */
  executeWithRetry<T>(task: Task<T>, options: ExecuteOptions = {}): Promise<T> {
    this.#assertOpen();
    return executeWithRetry(this.#retryHost, task, options);
  }

  /**
   * Forgets a sticky key: its next lease chooses a member afresh. With `retire: true` a gateway
   * session it had chosen is retired too (a crawler retired its own session, and the exit with
   * it should go). Returns whether the key was known.
   */
  forgetSticky(key: string, options: { retire?: boolean } = {}): boolean {
    const entry = this.#leasing.forgetSticky(key);
    if (!entry) return false;
    if (options.retire && entry.session && !entry.removed) this.#gateways.retire(entry.session, `its sticky key ${key} was retired`);
    return true;
  }

  // ── outcomes ──────────────────────────────────────────────────────────────

  /**
   * Reports what happened through a proxy picked with `getProxy()` (or any proxy of the pool).
   * Returns false when the proxy is not in the pool (it may have been removed meanwhile).
   */
  report(proxy: ProxyInput, outcome: Outcome, options: { target?: string | URL } = {}): boolean {
    const entry = this.#members.find(proxy);
    if (!entry || this.#closed) return false;
    this.#outcomes.apply(entry, entry.row, checkOutcome(outcome), targetKey(options.target), false);
    if (!entry.removed) this.#strategy.onUpdated?.(entry);
    this.#leasing.wake();
    if (this.#gateways.pending) this.#gateways.sweep(this.options.clock.now());
    return true;
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
    const leasing = this.#leasing;
    const checker = createHealthChecker(
      {
        members: this.#members,
        outcomes: this.#outcomes,
        strategy: this.#strategy,
        clock: this.options.clock,
        isClosed: () => this.#closed,
        wake: () => leasing.wake(),
      },
      hc,
    );
    this.#closers.push(() => checker.stop());
    return checker;
  }

  // ── saved health ──────────────────────────────────────────────────────────

  /** What the pool has learned (scores, breakers, bans), keyed by proxy id, without passwords. */
  toJSON(): PoolState {
    return { version: 1, savedAt: this.options.clock.now(), proxies: this.#members.save() };
  }

  /**
   * Restores what a pool learned before (from `toJSON()`, as an object or JSON text). Proxies
   * of the state that are not in this pool are ignored; proxies of the pool not in the state
   * keep what they have. Malformed state throws `StateRestoreError` and changes nothing.
   */
  restore(state: PoolState | string): { restored: number; ignored: number } {
    const { restored, ignored } = this.#members.restore(parseState(state).proxies, this.options.clock.now());
    this.#log.info({ restored, ignored }, 'health restored');
    this.#leasing.wake();
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

  /** What the pool knows of one proxy; undefined when it is not in the pool. */
  getMetrics(proxy: ProxyInput): ProxyMetrics | undefined {
    const entry = this.#members.find(proxy);
    if (!entry) return undefined;
    const now = this.options.clock.now();
    this.#outcomes.advance(entry, now);
    this.#members.rescore(entry, now);
    return metricsOf(entry, now, this.#leasing.limitsOf(entry, now));
  }

  /** Every proxy's metrics plus pool totals. */
  snapshot(): PoolSnapshot {
    const now = this.options.clock.now();
    const proxies = this.#members.entries.map((entry) => {
      this.#outcomes.advance(entry, now);
      this.#members.rescore(entry, now);
      return metricsOf(entry, now, this.#leasing.limitsOf(entry, now));
    });
    return { at: now, size: proxies.length, totals: totalsOf(proxies), downTargets: this.#targets.downTargets(), proxies };
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
    this.#leasing.wake();
    this.#members.detachAll();
    await Promise.all(this.#closers.map((close) => close()));
    // The store's own timers and connections (a shared store's subscriber), never the client it was given.
    await this.options.healthStore?.close?.();
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
    return this.#members.entries;
  }
}
