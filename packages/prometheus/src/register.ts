import { FAILURE_KINDS, type PoolEvents, type ProxyPool } from '@proxy-pool/core';
import { Counter, Gauge, Histogram, type Metric } from 'prom-client';
import { type PoolMetricsOptions, resolveMetricsOptions } from './options.js';
import { type PoolCounts, walkPool } from './pool-walk.js';

/** The pool's `acquired` event: a lease handed out by `acquire()`, and how long it waited for it. */
export type AcquiredEvent = Parameters<PoolEvents['acquired']>[0];

/** What `registerPoolMetrics` returns: the series' names, and the way to take them back out. */
export interface PoolMetrics {
  /** Every series name registered, prefix included. */
  readonly names: readonly string[];
  /** Stops listening to the pool and removes every series from the registry. Idempotent. */
  unregister(): void;
  [Symbol.dispose](): void;
}

const STATES = ['closed', 'open', 'half-open'] as const;

/**
 * Registers the pool's series on a prom-client registry (see the README for each one):
 * outcomes by kind and the latency histogram from the pool's events, the breaker states,
 * bans and targets down read at scrape time, per-proxy series only when asked.
 */
export function registerPoolMetrics(pool: ProxyPool, options: PoolMetricsOptions = {}): PoolMetrics {
  const { registry, prefix, perProxyMax, latencyBuckets, acquireWaitBuckets } = resolveMetricsOptions(options);
  const registers = [registry];
  const metrics: Metric[] = [];
  const add = <M extends Metric>(metric: M): M => {
    metrics.push(metric);
    return metric;
  };
  const unsubscribe: Array<() => void> = [];
  const nameOf = (metric: Metric) => (metric as unknown as { name: string }).name;
  try {
    // ── from events: counted as they happen ───────────────────────────────────
    // An outcome adds 1 to a plain number; the counter takes the sums at scrape time (prom-client
    // hashes the labels on every inc(), which would cost more than the pool's own bookkeeping).
    const KINDS = ['success', ...FAILURE_KINDS] as const;
    const kindIndex = new Map<string, number>(KINDS.map((kind, i) => [kind, i]));
    const pending = new Float64Array(KINDS.length);
    const unknownIndex = kindIndex.get('unknown')!;
    add(
      new Counter({
        name: `${prefix}outcomes_total`,
        help: 'Outcomes reported to the pool (work and health checks), by kind: success or a failure kind.',
        labelNames: ['kind'],
        registers,
        collect() {
          for (let i = 0; i < KINDS.length; i++) {
            this.inc({ kind: KINDS[i]! }, pending[i]!);
            pending[i] = 0;
          }
        },
      }),
    );
    const latency = add(
      new Histogram({
        name: `${prefix}latency_seconds`,
        help: 'Latency of successful outcomes, in seconds.',
        buckets: latencyBuckets,
        registers,
      }),
    );
    const acquireWait = add(
      new Histogram({
        name: `${prefix}acquire_wait_seconds`,
        help: 'How long acquire() waited for a usable proxy, in seconds.',
        buckets: acquireWaitBuckets,
        registers,
      }),
    );
    const exhausted = add(
      new Counter({
        name: `${prefix}exhausted_total`,
        help: 'Requests for a proxy that found none usable at once (acquire then waits, getProxy returns undefined).',
        registers,
      }),
    );
    exhausted.inc(0);

    unsubscribe.push(
      pool.on('success', ({ latencyMs }) => {
        pending[0]! += 1;
        if (latencyMs !== undefined) latency.observe(latencyMs / 1000);
      }),
      pool.on('failure', ({ kind }) => {
        pending[kindIndex.get(kind) ?? unknownIndex]! += 1;
      }),
      pool.on('exhausted', () => exhausted.inc()),
    );
    unsubscribe.push(pool.on('acquired', ({ waitedMs }) => acquireWait.observe(Math.max(0, waitedMs) / 1000)));

    // Targets down: kept from the pool's events (a target stays down until one comes up), checked at scrape.
    const downTargets = new Set<string>(pool.snapshot().downTargets);
    unsubscribe.push(
      pool.on('targetDown', ({ target }) => downTargets.add(target)),
      pool.on('targetUp', ({ target }) => downTargets.delete(target)),
    );

    // ── at scrape time: one walk over the pool feeds every gauge below ────────
    // The first collect of a scrape walks; the others of the same scrape read its counts. A
    // series that asks a second time is in the next scrape: then the pool is walked again.
    let scraped: PoolCounts | undefined;
    const readers = new Set<string>();
    const perProxy = perProxyMax > 0 ? perProxySeries(prefix, registers, add, (name) => counts(name)) : undefined;
    const counts = (reader: string): PoolCounts => {
      if (!scraped || readers.has(reader)) {
        readers.clear();
        perProxy?.reset();
        scraped = walkPool(pool, perProxyMax, (p) => perProxy?.set(p));
        perProxy?.omitted.set(Math.max(0, scraped.size - perProxyMax));
      }
      readers.add(reader);
      return scraped;
    };
    add(
      new Gauge({
        name: `${prefix}proxies`,
        help: 'Proxies in the pool, by breaker state (an open breaker whose time is up counts as half-open).',
        labelNames: ['state'],
        registers,
        collect() {
          const c = counts(`${prefix}proxies`);
          this.set({ state: 'closed' }, c.closed);
          this.set({ state: 'open' }, c.open);
          this.set({ state: 'half-open' }, c.halfOpen);
        },
      }),
    );
    const fromWalk = (name: string, help: string, read: (c: PoolCounts) => number) =>
      add(
        new Gauge({
          name: `${prefix}${name}`,
          help,
          registers,
          collect() {
            this.set(read(counts(`${prefix}${name}`)));
          },
        }),
      );
    fromWalk('in_flight', 'Leases in flight.', (c) => c.inFlight);
    fromWalk('banned_proxies', 'Proxies banned by at least one target right now.', (c) => c.bannedProxies);
    fromWalk('bans', '(proxy, target) pairs banned right now.', (c) => c.bans);
    add(
      new Gauge({
        name: `${prefix}targets_down`,
        help: 'Targets failing through every proxy right now (their failures are held blameless).',
        registers,
        collect() {
          for (const target of downTargets) if (!pool.isTargetDown(target)) downTargets.delete(target);
          this.set(downTargets.size);
        },
      }),
    );
  } catch (error) {
    // A name already taken (or a bad bucket list): take back what was registered, then throw.
    for (const off of unsubscribe) off();
    for (const metric of metrics) registry.removeSingleMetric(nameOf(metric));
    throw error;
  }
  const names = metrics.map(nameOf);
  let done = false;
  const unregister = () => {
    if (done) return;
    done = true;
    for (const off of unsubscribe) off();
    for (const name of names) registry.removeSingleMetric(name);
  };
  return { names, unregister, [Symbol.dispose]: unregister };
}

/** The capped per-proxy series, labelled by proxy id (never a password). */
function perProxySeries(
  prefix: string,
  registers: NonNullable<ConstructorParameters<typeof Gauge>[0]['registers']>,
  add: <M extends Metric>(m: M) => M,
  walk: (reader: string) => void,
) {
  const collect = function (this: Metric) {
    walk((this as unknown as { name: string }).name);
  };
  const score = add(
    new Gauge({
      name: `${prefix}proxy_health_score`,
      help: "A proxy's health score, in [0, 1].",
      labelNames: ['proxy'],
      registers,
      collect,
    }),
  );
  const state = add(
    new Gauge({
      name: `${prefix}proxy_state`,
      help: "A proxy's breaker state: 1 on the series of its current state.",
      labelNames: ['proxy', 'state'],
      registers,
      collect,
    }),
  );
  const inFlight = add(
    new Gauge({ name: `${prefix}proxy_in_flight`, help: "A proxy's leases in flight.", labelNames: ['proxy'], registers, collect }),
  );
  const requests = add(
    new Counter({
      name: `${prefix}proxy_requests_total`,
      help: "A proxy's outcomes since it joined the pool, by result (success, failure).",
      labelNames: ['proxy', 'result'],
      registers,
      collect,
    }),
  );
  const omitted = add(
    new Gauge({
      name: `${prefix}proxy_series_omitted`,
      help: 'Proxies left without per-proxy series by the perProxy cap.',
      registers,
      collect,
    }),
  );
  return {
    omitted,
    reset() {
      // Proxies removed since the last scrape (or now past the cap) must not linger.
      score.reset();
      state.reset();
      inFlight.reset();
      requests.reset();
    },
    set(p: { id: string; state: (typeof STATES)[number]; healthScore: number; inFlight: number; successes: number; failures: number }) {
      score.set({ proxy: p.id }, p.healthScore);
      state.set({ proxy: p.id, state: p.state }, 1);
      inFlight.set({ proxy: p.id }, p.inFlight);
      requests.inc({ proxy: p.id, result: 'success' }, p.successes);
      requests.inc({ proxy: p.id, result: 'failure' }, p.failures);
    },
  };
}
