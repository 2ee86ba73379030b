/**
 * `limits` held fleet-wide: the pool asks once a lease passed its own limits (one round trip,
 * only when limits apply: see `HealthStore.claim` in core), and one Lua script answers for the
 * whole fleet on Redis server time.
 *
 * - Leases at once: a sorted set per proxy of claim tokens (`<worker>:<lease id>`) scored by
 *   when they expire. A worker that crashes never releases its claims: they expire after
 *   `claimTtlMs`, and a live worker pushes its open claims' expiry forward every `refreshMs`,
 *   so that a long navigation keeps its place.
 * - Spacing: a key per (proxy, target) set to the start's time with a PX of `minIntervalMs`:
 *   while it exists the next start must wait what is left of it.
 * - Redis down or slow: the claim is granted (`ok`), so the limits of each worker still hold and
 *   no acquire waits on an outage; releases sent meanwhile are lost, and their claims expire.
 */
import type { LimitAnswer, LimitClaim } from '@proxy-pool/core';
import { Script } from './scripts.js';

const NOW = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`;

/**
 * KEYS: [in-flight set, start key]. ARGV: token, maxInFlight ('' for none), minIntervalMs, claimTtlMs.
 * Returns {1} granted, or {0, limit, retryInMs}.
 */
const CLAIM = `${NOW}
local max = tonumber(ARGV[2])
local interval = tonumber(ARGV[3])
local ttl = tonumber(ARGV[4])
if max then
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
  if redis.call('ZCARD', KEYS[1]) >= max then
    local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
    local left = tonumber(first[2]) - now
    return {0, 'maxInFlight', math.max(1, math.min(left, 250))}
  end
end
if interval > 0 then
  local left = redis.call('PTTL', KEYS[2])
  if left > 0 then return {0, 'minIntervalMs', left} end
  redis.call('SET', KEYS[2], now, 'PX', interval)
end
if max then
  redis.call('ZADD', KEYS[1], now + ttl, ARGV[1])
  redis.call('PEXPIRE', KEYS[1], ttl)
end
return {1}
`;

/** KEYS: [in-flight set]. ARGV: token. */
const RELEASE = `redis.call('ZREM', KEYS[1], ARGV[1])
return 1
`;

/** KEYS: in-flight sets. ARGV: claimTtlMs, then a token for each key. Pushes the claims' expiry forward (only those still there). */
const REFRESH = `${NOW}
local ttl = tonumber(ARGV[1])
for i, key in ipairs(KEYS) do
  if redis.call('ZSCORE', key, ARGV[i + 1]) then
    redis.call('ZADD', key, 'XX', now + ttl, ARGV[i + 1])
    redis.call('PEXPIRE', key, ttl)
  end
end
return 1
`;

export const LIMIT_SCRIPTS = { claim: new Script(CLAIM), release: new Script(RELEASE), refresh: new Script(REFRESH) } as const;

/** Runs a script (EVALSHA, EVAL when unknown); undefined when Redis did not answer in time. */
export type RunScript = (script: Script, keys: string[], args: string[]) => Promise<unknown>;

export interface FleetLimitsOptions {
  run: RunScript;
  /** The namespace's key prefix (`proxy-pool:{ns}:`). */
  prefix: string;
  workerId: string;
  /** How long a claim outlives its last refresh (a crashed worker's leases come back after it). */
  claimTtlMs: number;
}

export class FleetLimits {
  readonly #run: RunScript;
  readonly #prefix: string;
  readonly #workerId: string;
  readonly #ttlMs: number;
  /** This worker's granted claims that still count, by token (refreshed, released). */
  readonly #open = new Map<string, string>();

  constructor(options: FleetLimitsOptions) {
    this.#run = options.run;
    this.#prefix = options.prefix;
    this.#workerId = options.workerId;
    this.#ttlMs = options.claimTtlMs;
  }

  get openClaims(): number {
    return this.#open.size;
  }

  async claim(claim: LimitClaim): Promise<LimitAnswer> {
    const token = this.#token(claim);
    const inFlight = this.#inFlightKey(claim.proxyId);
    const reply = await this.#run(
      LIMIT_SCRIPTS.claim,
      [inFlight, `${this.#prefix}start:${claim.proxyId}|${claim.target}`],
      [token, claim.maxInFlight === undefined ? '' : String(claim.maxInFlight), String(claim.minIntervalMs), String(this.#ttlMs)],
    );
    // No answer (Redis down, slow, restarting): granted here; each worker's own limits still hold.
    if (!Array.isArray(reply)) return { ok: true };
    if (Number(reply[0]) === 1) {
      if (claim.maxInFlight !== undefined) this.#open.set(token, inFlight);
      return { ok: true };
    }
    const limit = reply[1] === 'minIntervalMs' ? 'minIntervalMs' : 'maxInFlight';
    return { ok: false, limit, retryInMs: Math.max(1, Number(reply[2]) || 1) };
  }

  release(claim: LimitClaim): void {
    const token = this.#token(claim);
    const key = this.#open.get(token);
    if (key === undefined) return; // nothing counted (no maxInFlight, or granted while Redis was down)
    this.#open.delete(token);
    void this.#run(LIMIT_SCRIPTS.release, [key], [token]).catch(() => {});
  }

  /** Pushes this worker's open claims' expiry forward (on the store's resync period). */
  async refresh(): Promise<void> {
    if (this.#open.size === 0) return;
    const tokens = [...this.#open.keys()];
    const keys = tokens.map((token) => this.#open.get(token)!);
    await this.#run(LIMIT_SCRIPTS.refresh, keys, [String(this.#ttlMs), ...tokens]).catch(() => {});
  }

  #token(claim: LimitClaim): string {
    return `${this.#workerId}:${claim.leaseId}`;
  }

  #inFlightKey(proxyId: string): string {
    return `${this.#prefix}inflight:${proxyId}`;
  }
}
