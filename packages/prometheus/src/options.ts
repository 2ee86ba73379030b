import { Registry, register } from 'prom-client';

export interface PoolMetricsOptions {
  /** Where the series are registered. @default prom-client's default `register` */
  registry?: Registry;
  /** Put before every series name. @default 'proxy_pool_' */
  prefix?: string;
  /**
   * Series per proxy (health score, state, in flight, requests), labelled by proxy id: only when
   * asked, and capped, because 100,000 proxies are 100,000 series. `true` means `{ max: 1000 }`;
   * a number is the cap. The first `max` proxies in the pool's order get series.
   * @default false
   */
  perProxy?: boolean | number | { max: number };
  /** Buckets of `latency_seconds`. @default [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] */
  latencyBuckets?: number[];
  /** Buckets of `acquire_wait_seconds`. @default [0.001, 0.01, 0.1, 0.5, 1, 5, 10, 30, 60] */
  acquireWaitBuckets?: number[];
}

export interface ResolvedMetricsOptions {
  registry: Registry;
  prefix: string;
  /** 0 when per-proxy series are off. */
  perProxyMax: number;
  latencyBuckets: number[];
  acquireWaitBuckets: number[];
}

export const DEFAULT_PER_PROXY_MAX = 1_000;

const defaults = {
  prefix: 'proxy_pool_',
  latencyBuckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  acquireWaitBuckets: [0.001, 0.01, 0.1, 0.5, 1, 5, 10, 30, 60],
};

function perProxyMax(value: PoolMetricsOptions['perProxy']): number {
  if (value === undefined || value === false) return 0;
  if (value === true) return DEFAULT_PER_PROXY_MAX;
  const max = typeof value === 'number' ? value : value?.max;
  if (typeof max !== 'number' || !Number.isInteger(max) || max < 1) {
    throw new RangeError(
      `Expected \`perProxy\` to be a boolean, a positive whole number or { max: <positive whole number> }, got ${JSON.stringify(value)}.`,
    );
  }
  return max;
}

export function resolveMetricsOptions(options: PoolMetricsOptions): ResolvedMetricsOptions {
  const prefix = options.prefix ?? defaults.prefix;
  if (typeof prefix !== 'string' || !/^([a-zA-Z_:][a-zA-Z0-9_:]*)?$/.test(prefix)) {
    throw new TypeError(`Expected \`prefix\` to be a Prometheus name prefix ([a-zA-Z_:][a-zA-Z0-9_:]*), got ${JSON.stringify(prefix)}.`);
  }
  const registry = options.registry ?? register;
  if (!(registry instanceof Registry) && typeof (registry as Partial<Registry>).registerMetric !== 'function') {
    throw new TypeError('Expected `registry` to be a prom-client Registry.');
  }
  return {
    registry,
    prefix,
    perProxyMax: perProxyMax(options.perProxy),
    latencyBuckets: options.latencyBuckets ?? defaults.latencyBuckets,
    acquireWaitBuckets: options.acquireWaitBuckets ?? defaults.acquireWaitBuckets,
  };
}
