import type { CircuitState, ProxyPool } from '@proxy-pool/core';

/** What one scrape reads of the pool: counts over every proxy, and the first few proxies' own numbers. */
export interface PoolCounts {
  closed: number;
  open: number;
  halfOpen: number;
  inFlight: number;
  /** Proxies banned by at least one target right now. */
  bannedProxies: number;
  /** (proxy, target) pairs banned right now. */
  bans: number;
  size: number;
}

export interface ProxyNumbers {
  id: string;
  state: CircuitState;
  healthScore: number;
  inFlight: number;
  successes: number;
  failures: number;
}

/**
 * The parts of the pool's own per-proxy record (`pool.entries()`) a scrape reads. Reading them
 * walks the pool's rows without making an object per proxy: `snapshot()` makes one (with its
 * arrays) for each, which at 100,000 proxies costs ~10× more (see the README).
 */
interface EntryLike {
  readonly proxy: { readonly id: string };
  readonly circuit?: CircuitState;
  readonly breaker: { readonly state: CircuitState; readonly until?: number };
  readonly hasBans: boolean;
  readonly bans: ReadonlyMap<string, { readonly until: number }>;
  readonly inFlight: number;
  readonly score: number;
  readonly totalSuccesses: number;
  readonly totalFailures: number;
}

type Walkable = ProxyPool & { entries?: () => readonly EntryLike[] };

/** An open breaker whose time is up is half-open, as the pool's next look at it will find. */
function stateOf(entry: EntryLike, now: number): CircuitState {
  const circuit = entry.circuit ?? entry.breaker.state;
  if (circuit !== 'open') return circuit;
  const { until } = entry.breaker;
  return until !== undefined && now >= until ? 'half-open' : 'open';
}

/** Counts for one scrape; `perProxy` proxies' own numbers go to `each`. O(proxies), no allocation per proxy. */
export function walkPool(pool: ProxyPool, perProxy: number, each: (numbers: ProxyNumbers) => void): PoolCounts {
  const now = pool.options.clock.now();
  const counts: PoolCounts = { closed: 0, open: 0, halfOpen: 0, inFlight: 0, bannedProxies: 0, bans: 0, size: 0 };
  const entries = (pool as Walkable).entries?.();
  if (!entries) return fromSnapshot(pool, perProxy, each, counts);
  counts.size = entries.length;
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i]!;
    const state = stateOf(entry, now);
    if (state === 'closed') counts.closed++;
    else if (state === 'open') counts.open++;
    else counts.halfOpen++;
    counts.inFlight += entry.inFlight;
    if (entry.hasBans) {
      let live = 0;
      for (const ban of entry.bans.values()) if (now < ban.until) live++;
      if (live > 0) counts.bannedProxies++;
      counts.bans += live;
    }
    if (i < perProxy) {
      each({
        id: entry.proxy.id,
        state,
        healthScore: entry.score,
        inFlight: entry.inFlight,
        successes: entry.totalSuccesses,
        failures: entry.totalFailures,
      });
    }
  }
  return counts;
}

/** The same from the public `snapshot()`, for a pool without `entries()`. */
function fromSnapshot(pool: ProxyPool, perProxy: number, each: (numbers: ProxyNumbers) => void, counts: PoolCounts): PoolCounts {
  const snapshot = pool.snapshot();
  const { totals } = snapshot;
  Object.assign(counts, { closed: totals.closed, open: totals.open, halfOpen: totals.halfOpen, inFlight: totals.inFlight });
  counts.bannedProxies = totals.banned;
  counts.size = snapshot.size;
  for (const [i, m] of snapshot.proxies.entries()) {
    counts.bans += m.bannedOn.length;
    if (i < perProxy) {
      each({
        id: m.proxy,
        state: m.circuitState,
        healthScore: m.healthScore,
        inFlight: m.inFlight,
        successes: m.successfulRequests,
        failures: m.failedRequests,
      });
    }
  }
  return counts;
}
