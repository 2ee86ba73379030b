/**
 * Health checks as the pool runs them: the checker's view of the pool (its members, whether it
 * is closed, its clock) and the path a probe's outcome takes into health. A probe that gets
 * through an open breaker's member is the trial a user's job need not risk; a probe failure
 * the checker proved to be the member's (it timed out while others answered the same URL in
 * the same round) is charged at once instead of waiting in target health.
 */
import { type HealthCheckHost, HealthChecker } from '../healthcheck/health-checker.js';
import { probe } from '../healthcheck/probe.js';
import type { ResolvedOptions } from '../options.js';
import type { Outcome } from '../outcome.js';
import type { Proxy } from '../proxy.js';
import type { RotationStrategy } from '../rotation/strategy.js';
import { targetKey } from '../target.js';
import type { Members } from './members.js';
import type { Outcomes } from './outcomes.js';

export interface HealthCheckRoom {
  members: Members;
  outcomes: Outcomes;
  strategy: RotationStrategy;
  clock: ResolvedOptions['clock'];
  isClosed(): boolean;
  wake(): void;
}

export function createHealthChecker(room: HealthCheckRoom, options: NonNullable<ResolvedOptions['healthCheck']>): HealthChecker {
  const host: HealthCheckHost = {
    get proxies() {
      return room.members.proxies.slice();
    },
    get closed() {
      return room.isClosed();
    },
    reportProbe: (proxy, outcome, url, proven) => reportProbe(room, proxy, outcome, url, proven),
    sleep: (ms, signal) => room.clock.sleep(ms, signal, { unref: true }),
  };
  return new HealthChecker(host, options, probe);
}

function reportProbe(room: HealthCheckRoom, proxy: Proxy, outcome: Outcome, url: string, proven: boolean): void {
  const { members, outcomes } = room;
  const entry = members.byId(proxy.id);
  if (!entry || entry.proxy !== proxy || room.isClosed()) return;
  const now = room.clock.now();
  const breaker = outcomes.advance(entry, now);
  if (outcome.ok && breaker.state === 'open') {
    outcomes.setBreaker(entry, { state: 'half-open', since: now, trials: 0, successes: 0, streak: breaker.streak }, '');
    if (entry.removed) return; // by a listener of that event
  }
  outcomes.apply(entry, entry.row, outcome, targetKey(url), false, undefined, proven);
  room.strategy.onUpdated?.(entry);
  room.wake();
}
