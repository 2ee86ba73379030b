/**
 * Outcomes: what a reported success or failure does to a member. It owns the charging rules —
 * blame, failures held pending until another proxy proves the target up, target health, the
 * score, bans per (member, target) and breaker transitions — and announces each change (log
 * and events). The decisions themselves are pure functions of health/ called with the clock's
 * time; this room only applies them to the rows and records that Members keeps.
 */
import type { Logger } from 'pino';
import { blameOf, isPerTarget, isTargetSensitive } from '../failure-kinds.js';
import { nextBan, pruneBans } from '../health/bans.js';
import { type BreakerState, advance, forceOpen, onFailure, onRelease, onSuccess } from '../health/breaker.js';
import { ownBans, ownFailuresByKind } from '../health/record.js';
import { recordOutcome } from '../health/score.js';
import {
  CONSECUTIVE_FAILURES,
  NEEDS_CHECK,
  NEEDS_CHECK_BANS,
  NEEDS_CHECK_BREAKER,
  NEEDS_CHECK_OWN_LIMITS,
  NEEDS_CHECK_SUSPECT,
} from '../health/table.js';
import type { TargetHealth } from '../health/target-health.js';
import type { ResolvedOptions } from '../options.js';
import type { Outcome } from '../outcome.js';
import type { RotationStrategy } from '../rotation/strategy.js';
import type { PoolEntry } from './entry.js';
import type { ChargeVerdict } from './events.js';
import type { Gateways } from './gateways.js';
import type { Members } from './members.js';
import { NO_TARGET, type PendingPayload, type PoolEmitter } from './shared.js';

type OutcomeOptions = Pick<ResolvedOptions, 'clock' | 'random' | 'breaker' | 'bans' | 'score' | 'targetHealth' | 'healthStore'>;

export class Outcomes {
  readonly #members: Members;
  readonly #strategy: RotationStrategy;
  readonly #targets: TargetHealth<PendingPayload>;
  readonly #options: OutcomeOptions;
  readonly #emitter: PoolEmitter;
  readonly #log: Logger;
  /** Leasing's: a changed breaker may let a waiting `acquire` through. */
  readonly #wake: () => void;
  #outcomesSincePrune = 0;
  /** Sessions' outcomes are their gateways' too; their charged failures retire them. */
  readonly #gateways: Gateways;

  constructor(
    members: Members,
    strategy: RotationStrategy,
    targets: TargetHealth<PendingPayload>,
    options: OutcomeOptions,
    emitter: PoolEmitter,
    log: Logger,
    wake: () => void,
    gateways: Gateways,
  ) {
    this.#gateways = gateways;
    this.#members = members;
    this.#strategy = strategy;
    this.#targets = targets;
    this.#options = options;
    this.#emitter = emitter;
    this.#log = log;
    this.#wake = wake;
  }

  /**
   * Records an outcome. `liveRow` is the entry's row (index × ROW_STRIDE), passed in so that a
   * success (the common outcome) is recorded in the row without reading the entry object.
   * `proven`: the failure is known to be the member's already (a health check's timeout while
   * other members answered the same URL in the same round), so it skips target health.
   */
  apply(
    entry: PoolEntry,
    liveRow: number,
    outcome: Outcome,
    target: string | undefined,
    trial: boolean,
    acquiredAt?: number,
    proven = false,
  ): void {
    let row = liveRow;
    const options = this.#options;
    const members = this.#members;
    const now = options.clock.now();
    const key = target ?? NO_TARGET;
    const latencyMs = outcome.latencyMs ?? (acquiredAt === undefined ? undefined : now - acquiredAt);
    const needsCheck = members.table.data[row + NEEDS_CHECK]!;
    if ((needsCheck & NEEDS_CHECK_BANS) !== 0) {
      pruneBans(entry.bans, now, options.bans);
      entry.hasBans = entry.bans.size > 0;
    }
    if (++this.#outcomesSincePrune >= 10_000) {
      this.#outcomesSincePrune = 0;
      this.#targets.prune(now);
    }

    if (outcome.ok) {
      const numbers = members.rowAt(row);
      numbers.totalSuccesses++;
      recordOutcome(numbers, true, latencyMs, now, options.score);
      // A closed breaker with no failure to forget has nothing to learn from a success.
      if ((needsCheck & NEEDS_CHECK_BREAKER) !== 0 || members.table.data[row + CONSECUTIVE_FAILURES] !== 0) {
        this.setBreaker(entry, onSuccess(this.advance(entry, now), now, options.breaker, trial), '');
        // The breaker's listeners may have removed members, moving rows (this one's included).
        row = entry.removed ? -1 : entry.row;
      }
      if (row >= 0) {
        members.table.data[row + CONSECUTIVE_FAILURES] = 0;
        members.rescoreRow(row, now);
      }
      // Its own success does not prove its pending failures wrong, but it is no longer a stranger that failed.
      if ((needsCheck & NEEDS_CHECK_SUSPECT) !== 0) members.unsuspect(entry);
      if (options.targetHealth.enabled) this.#provenUp(key, entry, now);
      // (Only members with limits of their own can be sessions: the entry is read for them alone.)
      if ((needsCheck & NEEDS_CHECK_OWN_LIMITS) !== 0 && entry.session) this.#gateways.outcome(entry.session, true, undefined, now);
      if (this.#emitter.has('success')) this.#emitter.emit('success', { proxy: entry.proxy, target, latencyMs });
      return;
    }

    const { kind } = outcome;
    entry.totalFailures++;
    const byKind = ownFailuresByKind(entry);
    byKind[kind] = (byKind[kind] ?? 0) + 1;
    const blame = blameOf(kind);
    const payload: PendingPayload = { kind, status: outcome.status, retryAfterMs: outcome.retryAfterMs };
    let verdict: ChargeVerdict;
    // A session's refused credentials or connection are its gateway's: charged there, not to the exit.
    const gatewayFault =
      entry.session !== undefined && blame !== 'none' && this.#gateways.outcome(entry.session, false, kind, now, acquiredAt);
    if (gatewayFault) {
      verdict = 'charged';
      this.setBreaker(entry, onRelease(this.advance(entry, now), trial), '');
    } else if (blame === 'none' || blame === 'target') {
      verdict = 'blameless';
    } else if (!proven && options.targetHealth.enabled && isTargetSensitive(kind)) {
      const judged = this.#targets.onFailure(key, { proxyId: entry.id, at: now, kind, payload }, now);
      verdict = judged.verdict;
      if (judged.wentDown) {
        this.#log.warn({ target: key, proxy: entry.id, kind }, 'target is failing through several proxies: holding them blameless');
        if (this.#emitter.has('targetDown')) this.#emitter.emit('targetDown', { target: key, at: now });
        options.healthStore?.targetChanged?.(key, true);
      }
    } else {
      verdict = 'charged';
    }
    if (gatewayFault) {
      // charged to the gateway above
    } else if (verdict === 'charged') this.charge(entry, payload, key, now);
    else {
      // Picked after the others while it waits for proof (see PoolEntry.suspectUntil).
      if (verdict === 'pending' && !isPerTarget(kind)) members.suspect(entry, now + options.targetHealth.windowMs);
      // Not charged (yet): the lease's half-open trial slot is free again.
      this.setBreaker(entry, onRelease(this.advance(entry, now), trial), '');
    }
    if (this.#emitter.has('failure')) {
      this.#emitter.emit('failure', { proxy: entry.proxy, target, kind, blame, verdict, status: outcome.status, latencyMs });
    }
  }

  /** Another worker found a target down or up (see HealthStoreLink): the same verdict here, announced the same way. */
  setTargetDown(key: string, down: boolean): void {
    if (!this.#options.targetHealth.enabled) return;
    const now = this.#options.clock.now();
    if (!this.#targets.setDown(key, down, now)) return;
    this.#log.info({ target: key }, down ? 'target is down elsewhere in the fleet' : 'target is up again elsewhere in the fleet');
    const event = down ? 'targetDown' : 'targetUp';
    if (this.#emitter.has(event)) this.#emitter.emit(event, { target: key, at: now });
    if (!down) this.#wake();
  }

  /** A success proves the target up: other members' failures held pending on it are theirs. */
  #provenUp(key: string, entry: PoolEntry, now: number): void {
    const { cameUp, charge } = this.#targets.onSuccess(key, entry, now);
    if (cameUp) {
      this.#log.info({ target: key }, 'target is up again');
      if (this.#emitter.has('targetUp')) this.#emitter.emit('targetUp', { target: key, at: now });
      this.#options.healthStore?.targetChanged?.(key, false);
    }
    for (const pending of charge) {
      const other = this.#members.byId(pending.proxyId);
      if (other) {
        this.charge(other, pending.payload, key, now);
        this.#strategy.onUpdated?.(other);
      }
    }
  }

  /** A failure proven to be the member's: score, then a ban (per-target kinds) or the breaker. */
  charge(entry: PoolEntry, failure: PendingPayload, target: string, now: number): void {
    if (entry.removed) return;
    const options = this.#options;
    recordOutcome(this.#members.rowAt(entry.row), false, undefined, now, options.score);
    entry.consecutiveFailures++;
    const { kind } = failure;
    // Judged: the score and the breaker speak now. A member that has never worked stays behind
    // the untried ones meanwhile (a fresh pool's first pages should not go twice to one that failed).
    // (A ban is for one target: it makes nobody suspect elsewhere.)
    if (entry.totalSuccesses === 0 && !isPerTarget(kind)) this.#members.suspect(entry, now + options.targetHealth.windowMs);
    else this.#members.unsuspect(entry);
    if (isPerTarget(kind)) {
      const banKind = kind as 'blocked' | 'rate_limited';
      const ban = nextBan(entry.bans.get(target), banKind, now, failure.retryAfterMs, options.bans, options.random);
      ownBans(entry).set(target, ban);
      entry.hasBans = true;
      this.#log.info({ proxy: entry.id, target, kind, banMs: ban.until - now }, 'proxy banned for target');
      if (this.#emitter.has('banned')) this.#emitter.emit('banned', { proxy: entry.proxy, target, kind: banKind, until: ban.until });
      options.healthStore?.changed?.(entry.id, entry, 'bans', target);
    } else if (kind === 'proxy_auth') {
      const reason = 'the proxy refused its credentials (407): check the username and password';
      this.setBreaker(entry, forceOpen(this.advance(entry, now), now, options.breaker.authOpenMs, reason), reason);
    } else {
      const reason = `${entry.consecutiveFailures} consecutive failures, the last ${kind}${failure.status ? ` (HTTP ${failure.status})` : ''}`;
      this.setBreaker(entry, onFailure(this.advance(entry, now), now, options.breaker, options.random, reason), reason);
    }
    this.#members.rescore(entry, now);
    // A session that failed for its own exit's sake is retired and replaced: a provider has millions.
    if (entry.session)
      this.#gateways.charged(entry.session, isPerTarget(kind) ? `banned by ${target} (${kind})` : `its exit failed (${kind})`);
  }

  /** A lease ended without an outcome: it hands back its half-open trial slot, if it held one. */
  release(entry: PoolEntry, trial: boolean): void {
    this.setBreaker(entry, onRelease(this.advance(entry, this.#options.clock.now()), trial), '');
  }

  /** The breaker with time applied; announces open → half-open when it sees it. */
  advance(entry: PoolEntry, now: number): BreakerState {
    const current = entry.breaker;
    if (current.state !== 'open') return current;
    const next = advance(current, now);
    if (next !== current) this.setBreaker(entry, next, '');
    return next;
  }

  setBreaker(entry: PoolEntry, next: BreakerState, reason: string): void {
    const previous = entry.breaker;
    entry.breaker = next;
    if (previous.state === next.state && !(next.state === 'open' && previous !== next)) return;
    if (previous.state !== next.state) this.#strategy.onUpdated?.(entry);
    const proxy = entry.proxy;
    const emitter = this.#emitter;
    if (next.state === 'open') {
      const openMs = next.until - next.openedAt;
      this.#log.warn({ proxy: proxy.id, reason, openMs, from: previous.state }, 'breaker opened');
      if (emitter.has('breakerOpen')) emitter.emit('breakerOpen', { proxy, reason: reason || next.reason, until: next.until, openMs });
    } else if (next.state === 'half-open') {
      this.#log.info({ proxy: proxy.id }, 'breaker half-open: trying the proxy again');
      if (emitter.has('breakerHalfOpen')) emitter.emit('breakerHalfOpen', { proxy });
    } else {
      this.#log.info({ proxy: proxy.id }, 'breaker closed: the proxy works again');
      if (emitter.has('breakerClose')) emitter.emit('breakerClose', { proxy });
    }
    this.#options.healthStore?.changed?.(entry.id, entry, 'breaker');
    this.#wake();
  }
}
