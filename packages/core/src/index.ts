export type { Clock, Random } from './clock.js';
export { systemClock } from './clock.js';
export type { EnvOptions } from './env.js';
export { proxiesFromEnv } from './env.js';
export {
  ERROR_CODES,
  type AttemptRecord,
  type ErrorCode,
  InvalidOptionError,
  NoProxyAvailableError,
  PoolClosedError,
  ProxyParseError,
  ProxyPoolError,
  RetriesExhaustedError,
  StateRestoreError,
  UnsupportedProxyError,
} from './errors.js';
export {
  type Blame,
  FAILURE_KINDS,
  type FailureKind,
  blameOf,
  isFailureKind,
  isPerTarget,
  isRetryable,
  isTargetSensitive,
} from './failure-kinds.js';
export { type GetNextProxy, toGetNextProxy } from './get-next-proxy.js';
export type { Ban, BanOptions } from './health/bans.js';
export type { BreakerOptions, BreakerState, CircuitState } from './health/breaker.js';
export type { HealthRecord, HealthStore, HealthStoreLink, LimitAnswer, LimitClaim } from './health/record.js';
export { MemoryHealthStore } from './health/memory-store.js';
export { type ScoreOptions, type ScoreWeights, healthScore, scoreFactors } from './health/score.js';
export type { TargetHealthOptions } from './health/target-health.js';
export { Lease } from './lease.js';
export type { PoolSnapshot, ProxyMetrics } from './metrics.js';
export type { GatewayOptions, HealthCheckOptions, LimitOptions, ProxyPoolOptions, RetryOptions } from './options.js';
export type { FailureOutcome, FailureReport, Outcome, SuccessOutcome, SuccessReport } from './outcome.js';
export { type ProxyInput, type ProxyObjectInput, parseProxy, parseProxyList, redactProxyInput } from './parse.js';
export type { ChargeVerdict, PoolEvents, PoolEventName } from './pool/events.js';
export { type AcquireOptions, type GatewayMetrics, type PickOptions, ProxyPool } from './pool/pool.js';
export { Proxy, type ProxyProtocol, type ServerForm } from './proxy.js';
export { ROTATION_NAMES, type RotationName, createRotation } from './rotation/index.js';
export { LeastUsed } from './rotation/least-used.js';
export { PowerOfTwo } from './rotation/power-of-two.js';
export { RandomRotation } from './rotation/random.js';
export { RoundRobin } from './rotation/round-robin.js';
export {
  type Candidate,
  type PickContext,
  type RotationStrategy,
  candidateAt,
  drawBudget,
  sampleEligible,
  sampleEligibleIndex,
  scanFrom,
  scanIndexFrom,
  viewAt,
} from './rotation/strategy.js';
export { WeightedRotation } from './rotation/weighted.js';
export { targetKey } from './target.js';
export { AttemptFailedError, type Classification, type Classifier } from './classify/classification.js';
export { type ResponseEvidence, classifyResponse, looksLikeProxyAnswer, parseRetryAfter } from './classify/http-status.js';
export { classifyError } from './classify/node-errors.js';
export { backoffDelay } from './retry/backoff.js';
export {
  type AttemptContext,
  type ExecuteOptions,
  type RetryHost,
  type SessionState,
  type Task,
  executeWithRetry,
} from './retry/execute.js';
export type { ProbeResult } from './healthcheck/health-checker.js';
export { type ProbeOptions, probe } from './healthcheck/probe.js';
export { type PoolState, type SavedHealth, parseState } from './state.js';
/** A TCP connection through a SOCKS4/5 proxy: what health checks and the browser kit's pre-flight check share. */
export { socksConnect } from './healthcheck/socks-connector.js';
