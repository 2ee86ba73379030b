import type { Random } from '../clock.js';

/**
 * A per-proxy circuit breaker as a value. Every function here is pure: it takes a state,
 * an event and the time, and returns the next state. Only the pool applies them.
 *
 *   closed ──(failureThreshold consecutive proxy failures)──▶ open
 *   open ──(openUntil reached)──▶ half-open
 *   half-open ──(successThreshold successes)──▶ closed
 *   half-open ──(any proxy failure)──▶ open, for twice as long (up to maxOpenMs)
 *
 * `streak` counts the openings since the breaker was last healthy for `resetStreakAfterMs`;
 * each doubles the next open time, with jitter so that many proxies opened together do
 * not all come back at once.
 */
export type BreakerState =
  | { readonly state: 'closed'; readonly failures: number; readonly streak: number; readonly since: number }
  | {
      readonly state: 'open';
      readonly openedAt: number;
      readonly until: number;
      readonly streak: number;
      readonly reason: string;
    }
  | { readonly state: 'half-open'; readonly since: number; readonly trials: number; readonly successes: number; readonly streak: number };

export type CircuitState = BreakerState['state'];

export interface BreakerOptions {
  /**
   * Consecutive proxy-blamed failures that open a closed breaker. @default 3 (the seed had 5;
   * in a crawl through a bad list each failure costs a whole attempt, and target health already
   * keeps a down site from opening breakers: see the goodput benchmark)
   */
  failureThreshold: number;
  /** Successes in half-open that close it. @default 2 */
  successThreshold: number;
  /** How long the first opening lasts. @default 60_000 */
  openMs: number;
  /** The cap on doubled open times. @default 900_000 (15 minutes) */
  maxOpenMs: number;
  /** Trial leases admitted at once in half-open. @default 1 */
  halfOpenMaxTrials: number;
  /** ± fraction of random jitter on open times. @default 0.2 */
  jitter: number;
  /** Closed this long, the breaker forgets its past openings. @default 600_000 (10 minutes) */
  resetStreakAfterMs: number;
  /** How long a proxy whose credentials were refused stays open: a configuration fault. @default 1_800_000 (30 minutes) */
  authOpenMs: number;
}

export const DEFAULT_BREAKER_OPTIONS: BreakerOptions = {
  failureThreshold: 3,
  successThreshold: 2,
  openMs: 60_000,
  maxOpenMs: 900_000,
  halfOpenMaxTrials: 1,
  jitter: 0.2,
  resetStreakAfterMs: 600_000,
  authOpenMs: 1_800_000,
};

export function closedBreaker(now: number): BreakerState {
  return { state: 'closed', failures: 0, streak: 0, since: now };
}

/** Applies the passage of time: an open breaker whose time is up is half-open. */
export function advance(b: BreakerState, now: number): BreakerState {
  if (b.state === 'open' && now >= b.until) {
    return { state: 'half-open', since: b.until, trials: 0, successes: 0, streak: b.streak };
  }
  return b;
}

/** Whether a new lease may use the proxy now (call on an advanced state). */
export function admits(b: BreakerState, options: BreakerOptions): boolean {
  if (b.state === 'closed') return true;
  if (b.state === 'half-open') return b.trials < options.halfOpenMaxTrials;
  return false;
}

/** A lease was handed out: in half-open it takes a trial slot. */
export function onLease(b: BreakerState): BreakerState {
  return b.state === 'half-open' ? { ...b, trials: b.trials + 1 } : b;
}

/** A lease ended with nothing to say about the proxy: its trial slot is free again. */
export function onRelease(b: BreakerState, wasTrial: boolean): BreakerState {
  return b.state === 'half-open' && wasTrial ? { ...b, trials: Math.max(0, b.trials - 1) } : b;
}

export function onSuccess(b: BreakerState, now: number, options: BreakerOptions, wasTrial: boolean): BreakerState {
  if (b.state === 'closed') return b.failures === 0 ? b : { ...b, failures: 0 };
  if (b.state === 'half-open') {
    const successes = b.successes + 1;
    const trials = wasTrial ? Math.max(0, b.trials - 1) : b.trials;
    if (successes >= options.successThreshold) return { state: 'closed', failures: 0, streak: b.streak, since: now };
    return { ...b, successes, trials };
  }
  return b;
}

function openFor(streak: number, options: BreakerOptions, random: Random): number {
  const base = Math.min(options.maxOpenMs, options.openMs * 2 ** streak);
  const spread = options.jitter * (2 * random() - 1);
  return Math.max(1, Math.round(base * (1 + spread)));
}

/** A proxy-blamed failure. `reason` goes to the log and the event. */
export function onFailure(b: BreakerState, now: number, options: BreakerOptions, random: Random, reason: string): BreakerState {
  if (b.state === 'closed') {
    const failures = b.failures + 1;
    if (failures < options.failureThreshold) return { ...b, failures };
    const streak = now - b.since >= options.resetStreakAfterMs ? 0 : b.streak;
    return { state: 'open', openedAt: now, until: now + openFor(streak, options, random), streak: streak + 1, reason };
  }
  if (b.state === 'half-open') {
    return { state: 'open', openedAt: now, until: now + openFor(b.streak, options, random), streak: b.streak + 1, reason };
  }
  return b;
}

/** Opens at once for a fixed time, whatever the state: for configuration faults such as refused credentials. */
export function forceOpen(b: BreakerState, now: number, openMs: number, reason: string): BreakerState {
  return { state: 'open', openedAt: now, until: now + openMs, streak: b.streak + 1, reason };
}

/** When an open breaker will admit a trial; undefined when it admits now or is closed. */
export function reopensAt(b: BreakerState): number | undefined {
  return b.state === 'open' ? b.until : undefined;
}
