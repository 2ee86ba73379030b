import { AdaptiveTimeout, PREFLIGHT_TRUST_MS, needsPreflight, preflight, preflightOrigin } from '@proxy-pool/browser';
import { type Classification, InvalidOptionError, type Proxy, type ProxyPool } from '@proxy-pool/core';

/** Vouches kept at most (each a proxy that passed a check aside and has not had a page since). */
const MAX_VOUCHED = 1_024;
/** RFC 6298's floor on a retransmission timeout, as the adapters' learned pre-flight timeout. */
const MIN_TIMEOUT_MS = 1_000;

export interface PreflightGateOptions {
  /** A fixed timeout for every check; without it the timeout learns from this pool's answers. */
  timeoutMs?: number;
  /** The learned timeout's floor. @default 1000 */
  minTimeoutMs?: number;
  /** The learned timeout's ceiling (its value before the first answer): half your navigation timeout. @default 5000 */
  maxTimeoutMs?: number;
}

/**
 * The adapters' pre-flight check, for the bridge's `newUrl`: before a proxy that has not worked
 * lately (never used, failing since its last success, idle a minute; a gateway's fresh session
 * only when its gateway has not worked lately) is handed to Crawlee, a socket checks it (see
 * `preflight` in @proxy-pool/browser). A dead, refusing, resetting or hanging proxy then costs
 * a socket, not a page and one of Crawlee's request retries.
 */
export class PreflightGate {
  readonly #pool: ProxyPool;
  readonly #timeout: AdaptiveTimeout | number;
  /** Proxies that passed a check aside, by id, with when (pool time). */
  readonly #vouched = new Map<string, number>();

  constructor(pool: ProxyPool, options: PreflightGateOptions = {}) {
    this.#pool = pool;
    for (const key of ['timeoutMs', 'minTimeoutMs', 'maxTimeoutMs'] as const) {
      const value = options[key];
      if (value !== undefined && !(value > 0)) {
        throw new InvalidOptionError(`Expected \`preflight.${key}\` to be > 0, got ${value}.`, `preflight.${key}`);
      }
    }
    const max = options.maxTimeoutMs ?? 5_000;
    this.#timeout = options.timeoutMs ?? new AdaptiveTimeout(Math.min(options.minTimeoutMs ?? MIN_TIMEOUT_MS, max), max);
  }

  /**
   * Whether `proxy` can have a page without a check: it has worked lately (the adapters' rule,
   * `needsPreflight`), or it passed a check that nothing used yet (see `vouch`; used up here).
   */
  trusts(proxy: Proxy): boolean {
    if (!needsPreflight(this.#pool, proxy)) return true;
    const at = this.#vouched.get(proxy.id);
    if (at === undefined) return false;
    this.#vouched.delete(proxy.id);
    return this.#pool.options.clock.now() - at <= PREFLIGHT_TRUST_MS;
  }

  /** `proxy` passed a check while another proxy took the page: its next page needs none (once, within a minute). */
  vouch(proxy: Proxy): void {
    const now = this.#pool.options.clock.now();
    // Vouches nobody used: dropped once there are more than proxies a pool usually checks at once.
    if (this.#vouched.size >= MAX_VOUCHED) {
      for (const [id, at] of this.#vouched) if (now - at > PREFLIGHT_TRUST_MS) this.#vouched.delete(id);
      if (this.#vouched.size >= MAX_VOUCHED) this.#vouched.clear();
    }
    this.#vouched.set(proxy.id, now);
  }

  /** Checks `proxy` toward `url`'s origin; undefined when it answered as it should, in time. */
  async check(proxy: Proxy, url: string | undefined): Promise<Classification | undefined> {
    const timeout = this.#timeout;
    const startedAt = performance.now();
    let failure = await preflight(proxy, preflightOrigin(url), typeof timeout === 'number' ? timeout : timeout.ms);
    const tookMs = performance.now() - startedAt;
    // The proxy answered but its tunnel to the target failed: the target may be down; the navigation will say.
    if (failure?.kind === 'tunnel_failed') failure = undefined;
    if (!failure && typeof timeout !== 'number' && !timeout.accept(tookMs)) {
      failure = {
        kind: 'timeout',
        evidence: `it answered in ${Math.round(tookMs)} ms, over the ${timeout.ms} ms this pool's proxies take`,
      };
    }
    return failure;
  }
}
