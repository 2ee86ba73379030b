import type { HealthRecord } from '../health/record.js';
import type { Proxy } from '../proxy.js';
import type { Candidate } from '../rotation/strategy.js';

/** The pool's own view of one proxy: its health record plus what leases do to it. */
export class PoolEntry implements Candidate {
  readonly proxy: Proxy;
  readonly health: HealthRecord;
  inFlight = 0;
  uses = 0;
  score: number;
  /** When `score` was last computed: it depends on time, so it is refreshed when stale. */
  scoredAt: number;
  removed = false;
  /** Position in the pool's array (for O(1) removal). */
  index = -1;
  /**
   * Mirrors of the health record's breaker state and bans, kept on the entry so that
   * checking a candidate touches one object: at 100,000 proxies every extra object a pick
   * reads is a likely cache miss.
   */
  circuit: 'closed' | 'open' | 'half-open' = 'closed';
  hasBans = false;

  constructor(proxy: Proxy, health: HealthRecord, score: number, now: number) {
    this.proxy = proxy;
    this.health = health;
    this.score = score;
    this.scoredAt = now;
    this.circuit = health.breaker.state;
    this.hasBans = health.bans.size > 0;
  }

  get lastUsedAt(): number | undefined {
    return this.health.lastUsedAt;
  }

  get latencyMs(): number | undefined {
    return this.health.latencyMs;
  }
}
