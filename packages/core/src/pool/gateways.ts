/**
 * Gateways: rotating gateways and their sessions. A gateway is not a member; its sessions are
 * (each its own score, breaker and bans). This room mints sessions lazily — every gateway keeps
 * one idle session ready while it has fewer than `sessions` live, so picks always see it —
 * retires them (a ban or a charged failure: a provider has millions of exits, waiting one out
 * is waste; `sessionTtlMs` after minting, before the provider swaps the exit silently;
 * `idleTtlMs` unused), and keeps the gateway's own breaker, which holds every session back and
 * mints none while the gateway itself is at fault. Retirements wait for a safe point (`sweep`),
 * never happening in the middle of a pick or an outcome.
 */
import type { Logger } from 'pino';
import type { FailureKind } from '../failure-kinds.js';
import { freshGatewayHealth, gatewayOnFailure, gatewayOnSuccess, isGatewayFault } from '../gateway/gateway-health.js';
import type { MemberSettings } from '../gateway/member-input.js';
import type { Gateway, SessionInfo } from '../gateway/types.js';
import { SESSION_ID_PATTERN, gatewayId, randomSessionId, sessionProxy } from '../gateway/template.js';
import { InvalidOptionError } from '../errors.js';
import { type BreakerState, admits, advance } from '../health/breaker.js';
import { type ResolvedOptions, resolveGateway } from '../options.js';
import { type ProxyInput, parseProxy } from '../parse.js';
import type { Proxy } from '../proxy.js';
import type { PoolEntry } from './entry.js';
import { ownMaxInFlight } from './limits.js';
import type { PoolEmitter } from './shared.js';

/** What `pool.gateways` tells of each rotating gateway. Ids only, never a password. */
export interface GatewayMetrics {
  id: string;
  /** Its live sessions' ids. */
  sessions: string[];
  minted: number;
  retired: number;
  /** The gateway's own breaker (refused credentials or connections, failures across sessions). */
  circuitState: 'closed' | 'open' | 'half-open';
  /** When a session of it last succeeded. */
  lastSuccessAt: number | undefined;
}

/** How long timeouts across sessions hold a gateway back: seconds (they can be the crawler's own stall). */
const SPREAD_OPEN_MS = 10_000;

type GatewayRoomOptions = Pick<ResolvedOptions, 'clock' | 'random' | 'breaker' | 'gateway' | 'targetHealth' | 'healthStore'>;

export class Gateways {
  readonly #byId = new Map<string, Gateway>();
  readonly #options: GatewayRoomOptions;
  readonly #log: Logger;
  readonly #emitter: PoolEmitter;
  /** The pool's own adding and removing of members (with their events and logs). */
  readonly #add: (proxy: Proxy) => PoolEntry | undefined;
  readonly #remove: (entry: PoolEntry) => void;
  #retiring = 0;
  #nextSweepAt = 0;

  constructor(
    options: GatewayRoomOptions,
    log: Logger,
    emitter: PoolEmitter,
    add: (proxy: Proxy) => PoolEntry | undefined,
    remove: (entry: PoolEntry) => void,
  ) {
    this.#options = options;
    this.#log = log;
    this.#emitter = emitter;
    this.#add = add;
    this.#remove = remove;
  }

  get size(): number {
    return this.#byId.size;
  }

  get list(): Gateway[] {
    return [...this.#byId.values()];
  }

  byId(id: string): Gateway | undefined {
    return this.#byId.get(id);
  }

  /** Another worker's verdict on a gateway's own breaker (see HealthStoreLink). Returns whether it applied. */
  setBreaker(id: string, breaker: BreakerState): boolean {
    const gateway = this.#byId.get(id);
    if (!gateway || gateway.health.breaker === breaker) return false;
    const wasOpen = gateway.health.breaker.state !== 'closed';
    gateway.health = { ...gateway.health, breaker, failing: breaker.state === 'closed' ? new Map() : gateway.health.failing };
    const now = this.#options.clock.now();
    if (breaker.state === 'open') this.#log.info({ gateway: id }, 'gateway breaker opened elsewhere in the fleet');
    else if (breaker.state === 'closed' && wasOpen) {
      this.#log.info({ gateway: id }, 'gateway breaker closed elsewhere in the fleet');
      this.#ensureReady(gateway, now);
    }
    return true;
  }

  /** The gateway an input names: its id, or its template in any accepted form. */
  find(input: ProxyInput): Gateway | undefined {
    if (typeof input === 'string' && this.#byId.has(input)) return this.#byId.get(input);
    try {
      return this.#byId.get(gatewayId(parseProxy(input)));
    } catch {
      return undefined;
    }
  }

  metrics(): GatewayMetrics[] {
    return this.list.map((g) => ({
      id: g.id,
      sessions: [...g.sessions].map((entry) => entry.id),
      minted: g.minted,
      retired: g.retired,
      circuitState: g.health.breaker.state,
      lastSuccessAt: g.lastSuccessAt,
    }));
  }

  /** A gateway joins (or is there already): its first session is minted now. */
  add(template: Proxy, settings: MemberSettings | undefined, option: string): Gateway {
    const id = gatewayId(template);
    const existing = this.#byId.get(id);
    if (existing) return existing;
    const { limits: ownLimits, ...sessionSettings } = settings ?? {};
    const resolved = resolveGateway(sessionSettings, option, this.#options.gateway);
    const maxInFlight = ownMaxInFlight(ownLimits, option);
    const gateway: Gateway = {
      id,
      template,
      settings: resolved,
      sessionMaxInFlight: maxInFlight ?? 1,
      health: freshGatewayHealth(this.#options.clock.now()),
      sessions: new Set(),
      minted: 0,
      retired: 0,
      lastSuccessAt: undefined,
    };
    this.#byId.set(id, gateway);
    this.#log.info({ gateway: id, sessions: resolved.sessions }, 'gateway added');
    this.#ensureReady(gateway, this.#options.clock.now());
    return gateway;
  }

  /** The gateway goes, with every session it has. */
  remove(gateway: Gateway): void {
    this.#byId.delete(gateway.id);
    for (const entry of [...gateway.sessions]) this.#retireNow(entry, 'its gateway was removed');
  }

  /** Whether a session may take a lease now: its gateway admits work, and it is not being retired or past its time. */
  admits(entry: PoolEntry, session: SessionInfo, now: number): boolean {
    if (session.retiring !== undefined) return false;
    const gateway = session.gateway;
    const { sessionTtlMs, idleTtlMs } = gateway.settings;
    if (now - session.mintedAt >= sessionTtlMs) return this.#markRetiring(session, `reached its lifetime (${sessionTtlMs} ms)`);
    // Idle since its last lease began or ended (a session never used has no exit yet: nothing to drop).
    const lastActive = Math.max(entry.lastUsedAt ?? -1, entry.lastSuccessAt ?? -1, entry.lastFailureAt ?? -1);
    if (entry.inFlight === 0 && lastActive >= 0 && now - lastActive >= idleTtlMs)
      return this.#markRetiring(session, `idle for ${idleTtlMs} ms`);
    const breaker = this.#gatewayBreaker(gateway, now);
    if (breaker.state === 'closed') return true;
    // Half-open: one trial at a time across the gateway's sessions.
    return admits(breaker, this.#options.breaker) && this.#inFlight(gateway) === 0;
  }

  /** Until when a session's gateway holds it back (its breaker is open), and why; undefined when it does not. */
  hold(session: SessionInfo, now: number): { until: number; reason: string } | undefined {
    const breaker = this.#gatewayBreaker(session.gateway, now);
    return breaker.state === 'open' ? { until: breaker.until, reason: breaker.reason } : undefined;
  }

  /** A session was leased: the gateway keeps one idle session ready while it may mint. */
  leased(session: SessionInfo, now: number): void {
    this.#ensureReady(session.gateway, now);
  }

  /**
   * A session's outcome, seen from its gateway. Returns true when the failure is the gateway's
   * own (refused credentials or connections): then it is not the session's to pay for.
   */
  outcome(session: SessionInfo, ok: boolean, kind: FailureKind | undefined, now: number, leaseStartedAt?: number): boolean {
    const gateway = session.gateway;
    const before: string = gateway.health.breaker.state;
    if (ok) {
      gateway.lastSuccessAt = now;
      gateway.health = gatewayOnSuccess(gateway.health, now, this.#options.breaker);
      if (before !== 'closed' && gateway.health.breaker.state === 'closed') {
        this.#log.info({ gateway: gateway.id }, 'gateway breaker closed: the gateway works again');
        this.#options.healthStore?.gatewayChanged?.(gateway.id, gateway.health.breaker);
        this.#ensureReady(gateway, now);
      }
      return false;
    }
    const spread = {
      sessions: Math.max(3, this.#options.breaker.failureThreshold),
      windowMs: this.#options.targetHealth.windowMs,
      openMs: Math.min(this.#options.breaker.openMs, SPREAD_OPEN_MS),
    };
    const verdict = gatewayOnFailure(
      gateway.health,
      kind!,
      session.id,
      now,
      this.#options.breaker,
      this.#options.random,
      spread,
      leaseStartedAt,
    );
    gateway.health = verdict.next;
    if (verdict.opened) {
      const b = gateway.health.breaker;
      const until = b.state === 'open' ? b.until : now;
      this.#log.warn({ gateway: gateway.id, reason: verdict.opened, openMs: until - now }, 'gateway breaker opened');
      this.#options.healthStore?.gatewayChanged?.(gateway.id, b);
      if (this.#emitter.has('gatewayOpen')) this.#emitter.emit('gatewayOpen', { gateway: gateway.id, reason: verdict.opened, until });
    }
    return isGatewayFault(kind!);
  }

  /** A failure was charged to the session (a ban, or a fault of its exit): it is retired and replaced. */
  charged(session: SessionInfo, why: string): void {
    this.#markRetiring(session, why);
  }

  /** Retires a session on request (its sticky key's owner is done with it: a crawler retired its own session). */
  retire(session: SessionInfo, why: string): void {
    this.#markRetiring(session, why);
    this.sweep(this.#options.clock.now());
  }

  /** Whether retirements wait for a sweep. */
  get pending(): boolean {
    return this.#retiring > 0;
  }

  /**
   * The safe point: retires what was marked (once idle), checks lifetimes every second at most,
   * and mints a ready session for each gateway that may.
   */
  sweep(now: number): void {
    if (this.#byId.size === 0) return;
    if (this.#retiring === 0 && now < this.#nextSweepAt) return;
    this.#nextSweepAt = now + 1_000;
    for (const gateway of this.#byId.values()) {
      for (const entry of [...gateway.sessions]) {
        const session = entry.session!;
        if (session.retiring === undefined) this.admits(entry, session, now); // marks the ones past their time
        if (session.retiring !== undefined && entry.inFlight === 0) this.#retireNow(entry, session.retiring);
      }
      this.#ensureReady(gateway, now);
    }
  }

  #markRetiring(session: SessionInfo, why: string): false {
    if (session.retiring === undefined) {
      session.retiring = why;
      this.#retiring++;
    }
    return false;
  }

  #retireNow(entry: PoolEntry, why: string): void {
    const session = entry.session!;
    if (session.retiring !== undefined) this.#retiring--;
    session.retiring ??= why;
    session.gateway.sessions.delete(entry);
    session.gateway.retired++;
    this.#log.info({ proxy: entry.id, gateway: session.gateway.id, why }, 'session retired');
    if (this.#emitter.has('sessionRetired'))
      this.#emitter.emit('sessionRetired', { proxy: entry.proxy, gateway: session.gateway.id, reason: why });
    if (!entry.removed) this.#remove(entry);
  }

  #gatewayBreaker(gateway: Gateway, now: number) {
    const next = advance(gateway.health.breaker, now);
    if (next !== gateway.health.breaker) {
      gateway.health = { ...gateway.health, breaker: next };
      this.#log.info({ gateway: gateway.id }, 'gateway breaker half-open: trying the gateway again');
    }
    return next;
  }

  #inFlight(gateway: Gateway): number {
    let n = 0;
    for (const entry of gateway.sessions) n += entry.inFlight;
    return n;
  }

  /** Mints a session when the gateway has none idle and usable, has room, and may be used at all. */
  #ensureReady(gateway: Gateway, now: number): void {
    if (!this.#byId.has(gateway.id)) return;
    const breaker = this.#gatewayBreaker(gateway, now);
    if (breaker.state === 'open') return; // no session against a gateway at fault
    let live = 0;
    for (const entry of gateway.sessions) {
      const session = entry.session!;
      if (session.retiring !== undefined) continue;
      live++;
      if (entry.inFlight === 0 && entry.circuit === 'closed') return; // one is ready
    }
    // Half-open: one session for the trial is enough.
    if (breaker.state === 'half-open' && live > 0) return;
    if (gateway.sessions.size >= gateway.settings.sessions) return;
    this.#mint(gateway, now);
  }

  #mint(gateway: Gateway, now: number): void {
    const make = gateway.settings.sessionId;
    for (let attempt = 0; attempt < 8; attempt++) {
      const id = make ? make() : randomSessionId(this.#options.random);
      if (typeof id !== 'string' || !SESSION_ID_PATTERN.test(id)) {
        throw new InvalidOptionError(
          `Expected the gateway's \`sessionId\` function to return 1–64 letters, digits, '_' or '-', got ${JSON.stringify(id)}.`,
          'gateway.sessionId',
        );
      }
      const entry = this.#add(sessionProxy(gateway.template, gateway.id, id));
      if (!entry) continue; // that id is taken: draw again
      entry.session = { gateway, id, mintedAt: now, retiring: undefined };
      entry.setOwnMaxInFlight(gateway.sessionMaxInFlight);
      gateway.sessions.add(entry);
      gateway.minted++;
      this.#log.debug({ proxy: entry.id, gateway: gateway.id }, 'session minted');
      return;
    }
  }
}
