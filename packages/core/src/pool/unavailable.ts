/**
 * Why no member is usable now, and when one will be: what `NoProxyAvailableError` says and when
 * a waiting `acquire` looks again. Reads the rooms through a narrow view; decides nothing.
 */
import { NoProxyAvailableError } from '../errors.js';
import { isBanned } from '../health/bans.js';
import { type BreakerOptions, type BreakerState, admits } from '../health/breaker.js';
import type { PoolEntry } from './entry.js';
import { type HeldBy, NO_TARGET } from './shared.js';

export interface AvailabilityView {
  readonly entries: readonly PoolEntry[];
  readonly breaker: BreakerOptions;
  /** The member's breaker with time applied. */
  advance(entry: PoolEntry, now: number): BreakerState;
  heldBy(entry: PoolEntry, target: string | undefined, now: number): HeldBy | undefined;
  /** When the member at `index` may next start a lease for the target key (spacing). */
  nextStartAt(key: string, index: number): number;
  /** For a gateway's session: until when its gateway holds it back, and why. */
  gatewayHold(entry: PoolEntry, now: number): { until: number; reason: string } | undefined;
}

/** When the earliest member not excluded becomes usable for this target; undefined if none will by itself. */
export function nextAvailableAt(
  view: AvailabilityView,
  target: string | undefined,
  exclude: ReadonlySet<string> | undefined,
  now: number,
): number | undefined {
  let next: number | undefined;
  const key = target ?? NO_TARGET;
  for (const entry of view.entries) {
    if (exclude?.has(entry.id)) continue;
    const breaker = view.advance(entry, now);
    let at = breaker.state === 'open' ? breaker.until : now;
    if (breaker.state === 'half-open' && !admits(breaker, view.breaker)) continue; // frees up when a trial ends
    const ban = entry.bans.get(key);
    if (ban && ban.until > at) at = ban.until;
    const gateway = view.gatewayHold(entry, now);
    if (gateway) at = Math.max(at, gateway.until);
    const held = view.heldBy(entry, target, now);
    if (held === 'maxInFlight') continue; // frees up when one of its leases ends, which wakes the waiters
    if (held === 'minIntervalMs') at = Math.max(at, view.nextStartAt(key, entry.index));
    if (next === undefined || at < next) next = at;
  }
  return next;
}

export function noProxyError(
  view: AvailabilityView,
  target: string | undefined,
  exclude: ReadonlySet<string> | undefined,
  now: number,
  prefix = '',
): NoProxyAvailableError {
  const entries = view.entries;
  let open = 0;
  let trials = 0;
  let banned = 0;
  let excluded = 0;
  let busy = 0;
  let spaced = 0;
  let gatewayHeld = 0;
  let gatewayReason = '';
  // Why breakers are open, by reason (the count of failures in a row left out): the first thing a user needs to know.
  const reasons = new Map<string, number>();
  for (const entry of entries) {
    if (exclude?.has(entry.id)) {
      excluded++;
      continue;
    }
    const breaker = view.advance(entry, now);
    const gateway = view.gatewayHold(entry, now);
    if (breaker.state === 'open') {
      open++;
      const reason = breaker.reason.replace(/^\d+ consecutive failures, /, '');
      if (reason) reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
    } else if (gateway) {
      gatewayHeld++;
      gatewayReason = gateway.reason;
    } else if (!admits(breaker, view.breaker)) trials++;
    else if (isBanned(entry.bans.get(target ?? NO_TARGET), now)) banned++;
    else {
      const held = view.heldBy(entry, target, now);
      if (held === 'maxInFlight') busy++;
      else if (held === 'minIntervalMs') spaced++;
    }
  }
  const next = nextAvailableAt(view, target, exclude, now);
  const parts = [
    open && `${open} with an open breaker${openReasons(reasons, open)}`,
    gatewayHeld && `${gatewayHeld} sessions of a gateway at fault (${gatewayReason})`,
    trials && `${trials} half-open with their trial in flight`,
    banned && `${banned} banned by ${target}`,
    busy && `${busy} at their limit of leases at once (limits.maxInFlight)`,
    spaced && `${spaced} spaced out for ${target ?? 'any target'} (limits.minIntervalMs)`,
    excluded && `${excluded} excluded`,
  ].filter(Boolean);
  const why = entries.length === 0 ? 'the pool is empty' : `of ${entries.length}: ${parts.join(', ')}`;
  const when = next === undefined ? '' : ` The next one is usable in ${Math.max(0, Math.ceil((next - now) / 1000))} s.`;
  const limit: HeldBy | undefined = busy === 0 && spaced === 0 ? undefined : busy >= spaced ? 'maxInFlight' : 'minIntervalMs';
  return new NoProxyAvailableError(`${prefix}no proxy is usable${target ? ` for ${target}` : ''} (${why}).${when}`, {
    nextAvailableAt: next,
    target,
    limit,
  });
}

/** ` (the proxy refused its credentials…)`, or the two most common reasons with their counts. */
function openReasons(reasons: ReadonlyMap<string, number>, open: number): string {
  if (reasons.size === 0) return '';
  const sorted = [...reasons].sort((a, b) => b[1] - a[1]);
  if (sorted.length === 1 && sorted[0]![1] === open) return `: ${sorted[0]![0]}`;
  const shown = sorted.slice(0, 2).map(([reason, n]) => `${n}: ${reason}`);
  if (sorted.length > 2) shown.push('…');
  return ` (${shown.join('; ')})`;
}
