import type { FailureKind } from './failure-kinds.js';
import { isBanned } from './health/bans.js';
import type { CircuitState } from './health/breaker.js';
import type { PoolEntry } from './pool/entry.js';

/** What the pool knows of one proxy. Holds its id, never its password. */
export interface ProxyMetrics {
  /** The proxy's id: `protocol://[user@]host:port`. */
  proxy: string;
  /** Successful / all reported outcomes, over the proxy's lifetime in the pool (0 before any). */
  successRate: number;
  /** In [0, 1]; see docs/guide.md for how it is computed. */
  healthScore: number;
  /** Exponentially weighted average of successful requests' latency, in ms (0 before any). */
  avgResponseTime: number;
  totalRequests: number;
  successfulRequests: number;
  failedRequests: number;
  /** Failures charged to the proxy in a row. */
  consecutiveFailures: number;
  consecutiveSuccesses: number;
  circuitState: CircuitState;
  /** When an open breaker will let a trial through. */
  circuitOpenUntil: number | undefined;
  inFlight: number;
  lastUsedAt: number | undefined;
  lastSuccessAt: number | undefined;
  lastFailureAt: number | undefined;
  failuresByKind: Partial<Record<FailureKind, number>>;
  /** Targets that ban this proxy right now. */
  bannedOn: string[];
  /** Its limit of leases at once (`limits.maxInFlight`, or its own), undefined for none. */
  maxInFlight: number | undefined;
  /** Per target, when it may next start a lease there (`limits.minIntervalMs`), where that is still ahead. */
  nextStartAt: Record<string, number>;
  /** For a rotating gateway's session: the gateway's id. */
  gateway?: string;
  /** For a rotating gateway's session: the session id filled into its credentials. */
  session?: string;
}

export function metricsOf(
  entry: PoolEntry,
  now: number,
  limits: { maxInFlight: number | undefined; nextStartAt: Record<string, number> },
): ProxyMetrics {
  const health = entry;
  const { breaker } = health;
  const bannedOn: string[] = [];
  for (const [target, ban] of health.bans) if (isBanned(ban, now)) bannedOn.push(target);
  return {
    proxy: entry.proxy.id,
    successRate: health.totalRequests === 0 ? 0 : health.totalSuccesses / health.totalRequests,
    healthScore: entry.score,
    avgResponseTime: health.latencyMs ?? 0,
    totalRequests: health.totalRequests,
    successfulRequests: health.totalSuccesses,
    failedRequests: health.totalFailures,
    consecutiveFailures: health.consecutiveFailures,
    consecutiveSuccesses: health.consecutiveSuccesses,
    circuitState: breaker.state,
    circuitOpenUntil: breaker.state === 'open' ? breaker.until : undefined,
    inFlight: entry.inFlight,
    lastUsedAt: health.lastUsedAt,
    lastSuccessAt: health.lastSuccessAt,
    lastFailureAt: health.lastFailureAt,
    failuresByKind: { ...health.failuresByKind },
    bannedOn,
    maxInFlight: limits.maxInFlight,
    nextStartAt: limits.nextStartAt,
    ...(entry.session ? { gateway: entry.session.gateway.id, session: entry.session.id } : {}),
  };
}

export interface PoolSnapshot {
  at: number;
  size: number;
  totals: {
    requests: number;
    successes: number;
    failures: number;
    inFlight: number;
    closed: number;
    open: number;
    halfOpen: number;
    /** Proxies banned on at least one target. */
    banned: number;
  };
  /** Targets that are failing through every proxy right now. */
  downTargets: string[];
  proxies: ProxyMetrics[];
}

/** The pool's totals over its proxies' metrics. */
export function totalsOf(proxies: readonly ProxyMetrics[]): PoolSnapshot['totals'] {
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
  return totals;
}
