import type { Random } from '../clock.js';

/**
 * Per-(proxy, target) bans: a site that blocked or rate-limited a proxy keeps it out for a
 * cooldown that doubles with each repeated ban, while the proxy keeps serving other sites.
 * Pure functions over a small record; the pool owns one map of them per proxy.
 */
export interface Ban {
  readonly until: number;
  /** How many bans in a row (the next one lasts twice as long). */
  readonly level: number;
  readonly kind: 'blocked' | 'rate_limited';
  readonly at: number;
}

export interface BanOptions {
  /** First ban after a `blocked` outcome. @default 300_000 (5 minutes) */
  blockedMs: number;
  /** First ban after a `rate_limited` outcome without Retry-After. @default 30_000 */
  rateLimitedMs: number;
  /** The cap on doubled bans. @default 3_600_000 (1 hour) */
  maxBanMs: number;
  /** A ban that ended this long ago is forgotten: the next one starts small again. @default 3_600_000 */
  forgetAfterMs: number;
  /** ± fraction of jitter. @default 0.1 */
  jitter: number;
}

export const DEFAULT_BAN_OPTIONS: BanOptions = {
  blockedMs: 300_000,
  rateLimitedMs: 30_000,
  maxBanMs: 3_600_000,
  forgetAfterMs: 3_600_000,
  jitter: 0.1,
};

export function nextBan(
  previous: Ban | undefined,
  kind: Ban['kind'],
  now: number,
  retryAfterMs: number | undefined,
  options: BanOptions,
  random: Random,
): Ban {
  const level = previous && now - previous.until < options.forgetAfterMs ? previous.level + 1 : 0;
  const base = kind === 'blocked' ? options.blockedMs : options.rateLimitedMs;
  const grown = Math.min(options.maxBanMs, base * 2 ** level) * (1 + options.jitter * (2 * random() - 1));
  // The site's own Retry-After is a floor: coming back earlier only earns another 429.
  const duration = Math.max(Math.round(grown), retryAfterMs ?? 0);
  return { until: now + duration, level, kind, at: now };
}

export function isBanned(ban: Ban | undefined, now: number): boolean {
  return ban !== undefined && now < ban.until;
}

/** Drops bans that are over and old enough to forget, so that the map does not grow forever. */
export function pruneBans(bans: Map<string, Ban>, now: number, options: BanOptions): void {
  for (const [target, ban] of bans) {
    if (now - ban.until >= options.forgetAfterMs) bans.delete(target);
  }
}
