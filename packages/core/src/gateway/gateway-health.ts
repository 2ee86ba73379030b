/**
 * A gateway's own health, apart from its sessions'. Faults of the gateway itself — refused
 * credentials (407), refused connections, timeouts across several sessions at once — are the
 * gateway's: its breaker keeps every session out and no session is minted while it is open
 * (retiring sessions never fixes a gateway fault: no storm of fresh sessions against a gateway
 * that refuses the credentials). A session's success is the gateway's success too. Pure: a
 * state and the next state, on the time the caller gives.
 */
import type { Random } from '../clock.js';
import type { FailureKind } from '../failure-kinds.js';
import { type BreakerOptions, type BreakerState, closedBreaker, forceOpen, onFailure, onSuccess } from '../health/breaker.js';

export interface GatewayHealth {
  readonly breaker: BreakerState;
  /** Sessions that timed out (or were reset) since the gateway's last success, with when. */
  readonly failing: ReadonlyMap<string, number>;
  /**
   * When the last of those was counted. A failure counts only if its lease began after that: a
   * burst of timeouts among leases that were in flight together is one stall (the crawler's own
   * machine, one slow moment), not evidence from independent sessions.
   */
  readonly countedAt: number;
}

/** Kinds that no exit causes: the gateway's host or its account. Charged to the gateway, never to a session. */
export function isGatewayFault(kind: FailureKind): boolean {
  return kind === 'proxy_auth' || kind === 'proxy_unreachable';
}

/** Kinds a bad exit causes, but which across several sessions at once point at the gateway. */
function isSpreadFault(kind: FailureKind): boolean {
  return kind === 'timeout' || kind === 'connection';
}

export function freshGatewayHealth(now: number): GatewayHealth {
  return { breaker: closedBreaker(now), failing: new Map(), countedAt: Number.NEGATIVE_INFINITY };
}

export interface GatewayVerdict {
  next: GatewayHealth;
  /** Why the breaker opened, when this outcome opened it. */
  opened: string | undefined;
}

export function gatewayOnSuccess(health: GatewayHealth, now: number, options: BreakerOptions): GatewayHealth {
  const breaker = onSuccess(health.breaker, now, options, health.breaker.state === 'half-open');
  if (breaker === health.breaker && health.failing.size === 0) return health;
  return { breaker, failing: new Map(), countedAt: health.countedAt };
}

/**
 * A session's failure, seen from the gateway. `spreadSessions`: how many different sessions
 * failing that way, with no success in between and within `windowMs`, open the breaker.
 */
export function gatewayOnFailure(
  health: GatewayHealth,
  kind: FailureKind,
  session: string,
  now: number,
  options: BreakerOptions & { authOpenMs: number },
  random: Random,
  spread: { sessions: number; windowMs: number; openMs: number },
  leaseStartedAt?: number,
): GatewayVerdict {
  if (kind === 'proxy_auth') {
    const reason = 'the gateway refused its credentials (407): check the username and password';
    return { next: { ...health, breaker: forceOpen(health.breaker, now, options.authOpenMs, reason) }, opened: reason };
  }
  if (kind === 'proxy_unreachable') {
    const reason = 'the gateway refused connections';
    const breaker = onFailure(health.breaker, now, options, random, reason);
    return { next: { ...health, breaker }, opened: breaker.state === 'open' && health.breaker.state !== 'open' ? reason : undefined };
  }
  if (!isSpreadFault(kind)) return { next: health, opened: undefined };
  // A lease that began before the last counted failure was in flight with it: the same stall.
  if (leaseStartedAt !== undefined && leaseStartedAt < health.countedAt) return { next: health, opened: undefined };
  const failing = new Map([...health.failing].filter(([, at]) => now - at <= spread.windowMs));
  failing.set(session, now);
  if (failing.size < spread.sessions || health.breaker.state === 'open')
    return { next: { ...health, failing, countedAt: now }, opened: undefined };
  const reason = `${failing.size} sessions failed (${kind}) one after another with no success in between`;
  // Held back for seconds, not the breaker's minutes: timeouts can be the crawler's own doing.
  const lastClosed: BreakerState = { state: 'closed', since: now, streak: 0, failures: options.failureThreshold - 1 };
  const held = { ...options, openMs: spread.openMs, maxOpenMs: spread.openMs };
  return { next: { breaker: onFailure(lastClosed, now, held, random, reason), failing: new Map(), countedAt: now }, opened: reason };
}
