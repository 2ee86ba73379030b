import pino, { type Logger } from 'pino';
import { type Clock, type Random, systemClock } from './clock.js';
import { InvalidOptionError } from './errors.js';
import { type BanOptions, DEFAULT_BAN_OPTIONS } from './health/bans.js';
import { type BreakerOptions, DEFAULT_BREAKER_OPTIONS } from './health/breaker.js';
import type { HealthStore } from './health/record.js';
import { checkOptionNames } from './option-names.js';
import { DEFAULT_SCORE_OPTIONS, type ScoreOptions, type ScoreWeights } from './health/score.js';
import { DEFAULT_TARGET_HEALTH_OPTIONS, type TargetHealthOptions } from './health/target-health.js';
import type { ProxyInput } from './parse.js';
import type { RotationName } from './rotation/index.js';
import type { RotationStrategy } from './rotation/strategy.js';

export interface RetryOptions {
  /** Attempts after the first. @default 3 */
  retries: number;
  /** Pause before the first retry. @default 1_000 */
  minDelayMs: number;
  /** The cap on pauses. @default 60_000 */
  maxDelayMs: number;
  /** Growth of the pause per retry. @default 2 */
  factor: number;
  /** Full jitter: each pause is drawn uniformly from [delay/2, delay]. @default true */
  jitter: boolean;
}

export const DEFAULT_RETRY_OPTIONS: RetryOptions = { retries: 3, minDelayMs: 250, maxDelayMs: 60_000, factor: 2, jitter: true };

export interface HealthCheckOptions {
  /** The URL every proxy is probed with. */
  url: string;
  /** Between rounds. @default 300_000 (5 minutes) */
  intervalMs?: number;
  /** Per probe. @default 5_000 */
  timeoutMs?: number;
  /** Probes at once. @default 10 */
  concurrency?: number;
  /** Statuses that count as healthy. @default any 2xx or 3xx */
  expectStatus?: number | readonly number[] | ((status: number) => boolean);
  /** Probe once right after the pool is built. @default false */
  runOnStart?: boolean;
  /** Check the health-check URL's TLS certificate (turn off for a self-signed intranet target). @default true */
  rejectUnauthorized?: boolean;
}

/**
 * Per-proxy limits, which prevent bans instead of detecting them. Unset: no limit.
 * A gateway's object form may set its own (`{ server, …, limits }`).
 */
export interface LimitOptions {
  /** Leases at once on one proxy (providers cap connections per proxy; a plan's "threads"). */
  maxInFlight?: number | undefined;
  /** At least this long between two lease starts of one proxy for the same target (sites rate-limit per IP). */
  minIntervalMs?: number | undefined;
}

export interface ResolvedLimits {
  /** `Infinity` when unset. */
  maxInFlight: number;
  /** 0 when unset. */
  minIntervalMs: number;
}

/** Defaults for every rotating gateway (a proxy whose username or password holds `{session}`). */
export interface GatewayOptions {
  /** Live sessions at most per gateway. @default 10 */
  sessions?: number | undefined;
  /**
   * A session is retired this long after it was minted, before the provider silently swaps its
   * exit. @default 540_000 (9 minutes: providers' usual sticky lifetime is 10 minutes, less a margin)
   */
  sessionTtlMs?: number | undefined;
  /** A session unused this long is retired (providers drop idle sessions after about 60 s). @default 50_000 */
  idleTtlMs?: number | undefined;
  /** Makes a session id. @default 8 random lowercase letters and digits (what the strictest providers accept) */
  sessionId?: (() => string) | undefined;
}

export interface ResolvedGatewayOptions {
  sessions: number;
  sessionTtlMs: number;
  idleTtlMs: number;
  sessionId: (() => string) | undefined;
}

export const DEFAULT_GATEWAY_OPTIONS: Omit<ResolvedGatewayOptions, 'sessionId'> = {
  sessions: 10,
  sessionTtlMs: 540_000,
  idleTtlMs: 50_000,
};

export interface ProxyPoolOptions {
  /**
   * Proxies: an array of strings / `{ server, username, password }`, or a list in text (one per
   * line). An empty list throws `ProxyParseError`; leave the option out to start empty and `add()` later.
   */
  proxies?: string | readonly ProxyInput[];
  /** @default 'weighted' */
  rotation?: RotationName | RotationStrategy;
  retry?: Partial<RetryOptions>;
  breaker?: Partial<BreakerOptions>;
  bans?: Partial<BanOptions>;
  score?: Partial<Omit<ScoreOptions, 'weights'>> & { weights?: Partial<ScoreWeights> };
  /** Telling a down target from bad proxies; `false` charges every failure to its proxy. */
  targetHealth?: Partial<TargetHealthOptions> | false;
  /** Active probes through every proxy; off unless given. */
  healthCheck?: HealthCheckOptions;
  /** How long `acquire` waits for a proxy to become usable by default. @default 60_000 */
  maxWaitMs?: number;
  /** A pino logger; the pool logs nothing without one. */
  logger?: Logger;
  /** Injected time, for tests. @default the system clock */
  clock?: Clock;
  /** Injected randomness, for tests. @default Math.random */
  random?: Random;
  /**
   * Told when a proxy's health record starts and stops being live, so that it can keep health
   * beyond the pool's lifetime or share it (`MemoryHealthStore` keeps it across remove/add and
   * between pools of one process). @default none: a removed proxy's health is forgotten
   */
  healthStore?: HealthStore;
  /** Per-proxy limits (connections at once, spacing per site). @default none */
  limits?: LimitOptions;
  /** Defaults for rotating gateways' sessions. */
  gateway?: GatewayOptions;
}

export interface ResolvedOptions {
  rotation: RotationName | RotationStrategy;
  retry: RetryOptions;
  breaker: BreakerOptions;
  bans: BanOptions;
  score: ScoreOptions;
  targetHealth: TargetHealthOptions;
  healthCheck: (Required<Omit<HealthCheckOptions, 'expectStatus'>> & { expectStatus: (status: number) => boolean }) | undefined;
  maxWaitMs: number;
  logger: Logger;
  clock: Clock;
  random: Random;
  healthStore: HealthStore | undefined;
  limits: ResolvedLimits;
  gateway: ResolvedGatewayOptions;
}

function check(condition: boolean, option: string, expectation: string, value: unknown): void {
  if (condition) return;
  const shown = typeof value === 'number' ? value : typeof value === 'function' ? 'a function' : JSON.stringify(value);
  throw new InvalidOptionError(`Expected \`${option}\` to be ${expectation}, got ${shown}.`, option);
}

function number(option: string, value: unknown, { min = 0, integer = false, max = Number.POSITIVE_INFINITY, above = false } = {}): void {
  check(typeof value === 'number' && !Number.isNaN(value), option, 'a number', value);
  const n = value as number;
  check(!integer || Number.isInteger(n), option, 'an integer', value);
  const lower = above ? n > min : n >= min;
  check(lower && n <= max, option, max === Number.POSITIVE_INFINITY ? `${above ? '>' : '≥'} ${min}` : `between ${min} and ${max}`, value);
}

/** An object option (`retry`, `limits`…): an object whose keys are all known. */
function section(option: string, value: unknown, known: readonly string[]): void {
  if (value === undefined) return;
  check(typeof value === 'object' && value !== null && !Array.isArray(value), option, 'an object', value);
  checkOptionNames(value as object, known, `${option}.`);
}

const TOP_LEVEL = [
  'proxies',
  'rotation',
  'retry',
  'breaker',
  'bans',
  'score',
  'targetHealth',
  'healthCheck',
  'maxWaitMs',
  'logger',
  'clock',
  'random',
  'healthStore',
  'limits',
  'gateway',
] as const satisfies readonly (keyof ProxyPoolOptions)[];
const HEALTH_CHECK_KEYS = ['url', 'intervalMs', 'timeoutMs', 'concurrency', 'expectStatus', 'runOnStart', 'rejectUnauthorized'] as const;
const LIMIT_KEYS = ['maxInFlight', 'minIntervalMs'] as const;
const GATEWAY_KEYS = ['sessions', 'sessionTtlMs', 'idleTtlMs', 'sessionId'] as const;

/** Checks and resolves `limits` (the pool's, or a proxy's own in its object form, named by `option`). */
export function resolveLimits(limits: LimitOptions | undefined, option = 'limits', base?: ResolvedLimits): ResolvedLimits {
  section(option, limits, LIMIT_KEYS);
  const maxInFlight = limits?.maxInFlight ?? base?.maxInFlight ?? Number.POSITIVE_INFINITY;
  const minIntervalMs = limits?.minIntervalMs ?? base?.minIntervalMs ?? 0;
  if (limits?.maxInFlight !== undefined) number(`${option}.maxInFlight`, maxInFlight, { min: 1, integer: true });
  if (limits?.minIntervalMs !== undefined) number(`${option}.minIntervalMs`, minIntervalMs, { min: 0, above: true });
  return { maxInFlight, minIntervalMs };
}

/** Checks and resolves gateway settings (the pool's defaults, or one gateway's own, named by `option`). */
export function resolveGateway(
  gateway: GatewayOptions | undefined,
  option = 'gateway',
  base?: ResolvedGatewayOptions,
): ResolvedGatewayOptions {
  section(option, gateway, GATEWAY_KEYS);
  const resolved: ResolvedGatewayOptions = {
    sessions: gateway?.sessions ?? base?.sessions ?? DEFAULT_GATEWAY_OPTIONS.sessions,
    sessionTtlMs: gateway?.sessionTtlMs ?? base?.sessionTtlMs ?? DEFAULT_GATEWAY_OPTIONS.sessionTtlMs,
    idleTtlMs: gateway?.idleTtlMs ?? base?.idleTtlMs ?? DEFAULT_GATEWAY_OPTIONS.idleTtlMs,
    sessionId: gateway?.sessionId ?? base?.sessionId,
  };
  number(`${option}.sessions`, resolved.sessions, { min: 1, integer: true });
  number(`${option}.sessionTtlMs`, resolved.sessionTtlMs, { min: 0, above: true });
  number(`${option}.idleTtlMs`, resolved.idleTtlMs, { min: 0, above: true });
  check(
    resolved.sessionId === undefined || typeof resolved.sessionId === 'function',
    `${option}.sessionId`,
    'a function',
    resolved.sessionId,
  );
  return resolved;
}

function defined<T extends object>(partial: Partial<T> | undefined): Partial<T> {
  // `{ openMs: undefined }` means "the default", as it does in most option objects.
  return Object.fromEntries(Object.entries(partial ?? {}).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function statusMatcher(expect: HealthCheckOptions['expectStatus']): (status: number) => boolean {
  if (expect === undefined) return (status) => status >= 200 && status < 400;
  if (typeof expect === 'function') return expect;
  const set = new Set(typeof expect === 'number' ? [expect] : expect);
  return (status) => set.has(status);
}

/** One place where defaults meet the user's options, and where bad options are caught. */
export function resolveOptions(options: ProxyPoolOptions): ResolvedOptions {
  check(typeof options === 'object' && options !== null, 'options', 'an object', options);
  checkOptionNames(options, TOP_LEVEL);
  section('retry', options.retry, Object.keys(DEFAULT_RETRY_OPTIONS));
  section('breaker', options.breaker, Object.keys(DEFAULT_BREAKER_OPTIONS));
  section('bans', options.bans, Object.keys(DEFAULT_BAN_OPTIONS));
  section('score', options.score, Object.keys(DEFAULT_SCORE_OPTIONS));
  section('score.weights', options.score?.weights, Object.keys(DEFAULT_SCORE_OPTIONS.weights));
  if (options.targetHealth !== false) section('targetHealth', options.targetHealth, Object.keys(DEFAULT_TARGET_HEALTH_OPTIONS));
  section('healthCheck', options.healthCheck, HEALTH_CHECK_KEYS);
  const retry = { ...DEFAULT_RETRY_OPTIONS, ...defined(options.retry) };
  number('retry.retries', retry.retries, { integer: true });
  number('retry.minDelayMs', retry.minDelayMs);
  number('retry.maxDelayMs', retry.maxDelayMs);
  number('retry.factor', retry.factor, { min: 1 });
  check(retry.maxDelayMs >= retry.minDelayMs, 'retry.maxDelayMs', `≥ retry.minDelayMs (${retry.minDelayMs})`, retry.maxDelayMs);

  const breaker = { ...DEFAULT_BREAKER_OPTIONS, ...defined(options.breaker) };
  number('breaker.failureThreshold', breaker.failureThreshold, { min: 1, integer: true });
  number('breaker.successThreshold', breaker.successThreshold, { min: 1, integer: true });
  number('breaker.openMs', breaker.openMs, { min: 1 });
  number('breaker.maxOpenMs', breaker.maxOpenMs, { min: breaker.openMs });
  number('breaker.halfOpenMaxTrials', breaker.halfOpenMaxTrials, { min: 1, integer: true });
  number('breaker.jitter', breaker.jitter, { max: 1 });
  number('breaker.resetStreakAfterMs', breaker.resetStreakAfterMs);
  number('breaker.authOpenMs', breaker.authOpenMs, { min: 1 });

  const bans = { ...DEFAULT_BAN_OPTIONS, ...defined(options.bans) };
  for (const key of ['blockedMs', 'rateLimitedMs', 'maxBanMs', 'forgetAfterMs'] as const) number(`bans.${key}`, bans[key]);
  number('bans.jitter', bans.jitter, { max: 1 });

  const { weights: partialWeights, ...scoreRest } = options.score ?? {};
  const score: ScoreOptions = {
    ...DEFAULT_SCORE_OPTIONS,
    ...defined(scoreRest),
    weights: { ...DEFAULT_SCORE_OPTIONS.weights, ...defined(partialWeights) },
  };
  for (const [key, w] of Object.entries(score.weights)) number(`score.weights.${key}`, w);
  const weightSum = Object.values(score.weights).reduce((a, b) => a + b, 0);
  check(weightSum > 0, 'score.weights', 'weights with a positive sum', score.weights);
  number('score.halfLifeMs', score.halfLifeMs, { min: 1 });
  number('score.referenceLatencyMs', score.referenceLatencyMs, { min: 1 });
  number('score.recencyHalfLifeMs', score.recencyHalfLifeMs, { min: 1 });
  number('score.consistencyTarget', score.consistencyTarget, { min: 1 });

  const targetHealth =
    options.targetHealth === false
      ? { ...DEFAULT_TARGET_HEALTH_OPTIONS, enabled: false }
      : { ...DEFAULT_TARGET_HEALTH_OPTIONS, ...defined(options.targetHealth) };
  number('targetHealth.windowMs', targetHealth.windowMs, { min: 1 });
  number('targetHealth.downAfterProxies', targetHealth.downAfterProxies, { min: 2, integer: true });
  number('targetHealth.backoffMs', targetHealth.backoffMs);
  number('targetHealth.maxBackoffMs', targetHealth.maxBackoffMs);

  let healthCheck: ResolvedOptions['healthCheck'];
  if (options.healthCheck !== undefined) {
    const hc = options.healthCheck;
    check(typeof hc?.url === 'string', 'healthCheck.url', 'a URL string', hc?.url);
    try {
      new URL(hc.url);
    } catch {
      check(false, 'healthCheck.url', 'a valid absolute URL', hc.url);
    }
    healthCheck = {
      url: hc.url,
      intervalMs: hc.intervalMs ?? 300_000,
      timeoutMs: hc.timeoutMs ?? 5_000,
      concurrency: hc.concurrency ?? 10,
      runOnStart: hc.runOnStart ?? false,
      rejectUnauthorized: hc.rejectUnauthorized ?? true,
      expectStatus: statusMatcher(hc.expectStatus),
    };
    number('healthCheck.intervalMs', healthCheck.intervalMs, { min: 1 });
    number('healthCheck.timeoutMs', healthCheck.timeoutMs, { min: 1 });
    number('healthCheck.concurrency', healthCheck.concurrency, { min: 1, integer: true });
  }

  const maxWaitMs = options.maxWaitMs ?? 60_000;
  number('maxWaitMs', maxWaitMs);

  return {
    rotation: options.rotation ?? 'weighted',
    retry,
    breaker,
    bans,
    score,
    targetHealth,
    healthCheck,
    maxWaitMs,
    logger: options.logger ?? pino({ enabled: false }),
    clock: options.clock ?? systemClock,
    random: options.random ?? Math.random,
    healthStore: options.healthStore,
    limits: resolveLimits(options.limits),
    gateway: resolveGateway(options.gateway),
  };
}
