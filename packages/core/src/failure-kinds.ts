/**
 * What went wrong with one use of a proxy. Core defines them; adapters map browser
 * errors onto them. See DESIGN.md's table and docs/guide.md for the evidence behind each.
 */
export const FAILURE_KINDS = [
  'proxy_unreachable',
  'proxy_auth',
  'proxy_error',
  'tunnel_failed',
  'connection',
  'timeout',
  'blocked',
  'rate_limited',
  'target_error',
  'client',
  'unknown',
] as const;

export type FailureKind = (typeof FAILURE_KINDS)[number];

/**
 * Whose fault a failure is.
 * - `proxy`: the proxy's (counts toward its score and breaker)
 * - `target`: the site's own answer; the proxy carried it fine
 * - `ambiguous`: could be either; charged to the proxy only when other proxies succeed on the same target
 * - `none`: nobody's (the caller aborted, a download started)
 */
export type Blame = 'proxy' | 'target' | 'ambiguous' | 'none';

interface KindInfo {
  readonly blame: Blame;
  /** Worth another attempt on a different proxy. */
  readonly retryable: boolean;
  /** The failure may be caused by the target rather than the proxy (a down site looks like this). */
  readonly targetSensitive: boolean;
  /** Counts only against this (proxy, target) pair: a ban, not a breaker. */
  readonly perTarget: boolean;
}

const KIND_INFO: Record<FailureKind, KindInfo> = {
  proxy_unreachable: { blame: 'proxy', retryable: true, targetSensitive: false, perTarget: false },
  proxy_auth: { blame: 'proxy', retryable: true, targetSensitive: false, perTarget: false },
  proxy_error: { blame: 'proxy', retryable: true, targetSensitive: true, perTarget: false },
  tunnel_failed: { blame: 'ambiguous', retryable: true, targetSensitive: true, perTarget: false },
  connection: { blame: 'proxy', retryable: true, targetSensitive: true, perTarget: false },
  timeout: { blame: 'ambiguous', retryable: true, targetSensitive: true, perTarget: false },
  blocked: { blame: 'proxy', retryable: true, targetSensitive: true, perTarget: true },
  rate_limited: { blame: 'proxy', retryable: true, targetSensitive: false, perTarget: true },
  target_error: { blame: 'target', retryable: false, targetSensitive: false, perTarget: false },
  client: { blame: 'none', retryable: false, targetSensitive: false, perTarget: false },
  unknown: { blame: 'ambiguous', retryable: true, targetSensitive: true, perTarget: false },
};

export function isFailureKind(value: unknown): value is FailureKind {
  return typeof value === 'string' && Object.hasOwn(KIND_INFO, value);
}

export function blameOf(kind: FailureKind): Blame {
  return KIND_INFO[kind].blame;
}

/** Whether a job that failed this way is worth retrying on another proxy. */
export function isRetryable(kind: FailureKind): boolean {
  return KIND_INFO[kind].retryable;
}

/** Whether a down or blocking target could have produced this failure. */
export function isTargetSensitive(kind: FailureKind): boolean {
  return KIND_INFO[kind].targetSensitive;
}

/** Whether this failure counts against the (proxy, target) pair only: it bans, it does not trip the breaker. */
export function isPerTarget(kind: FailureKind): boolean {
  return KIND_INFO[kind].perTarget;
}
