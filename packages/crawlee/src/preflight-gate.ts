import { AdaptiveTimeout, needsPreflight, preflight, preflightOrigin } from '@proxy-pool/browser';
import { type Classification, InvalidOptionError, type Proxy, type ProxyPool } from '@proxy-pool/core';
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

  /** Whether `proxy` has not worked lately, so is worth a socket before a page: the adapters' rule (`needsPreflight`). */
  needs(proxy: Proxy): boolean {
    return needsPreflight(this.#pool, proxy);
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
