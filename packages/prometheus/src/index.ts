export { DEFAULT_PER_PROXY_MAX, type PoolMetricsOptions } from './options.js';
export { type AcquiredEvent, type PoolMetrics, registerPoolMetrics } from './register.js';
