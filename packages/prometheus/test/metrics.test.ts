import { ProxyPool } from '@proxy-pool/core';
import { FakeClock } from '@proxy-pool/core/testing';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { registerPoolMetrics } from '../src/index.js';
import { parseExposition, valueOf } from './exposition.js';

const PROXIES = Array.from({ length: 6 }, (_, i) => `http://user${i}:SECRET-${i}@10.0.0.${i + 1}:8080`);
const pools: ProxyPool[] = [];

function setup(options: Parameters<typeof registerPoolMetrics>[1] = {}) {
  const clock = new FakeClock(1_000_000);
  const pool = new ProxyPool({
    proxies: PROXIES,
    clock,
    breaker: { failureThreshold: 1, openMs: 60_000, jitter: 0 },
    targetHealth: { downAfterProxies: 2 },
  });
  pools.push(pool);
  const registry = new Registry();
  const metrics = registerPoolMetrics(pool, { registry, ...options });
  const [p0, p1, p2, p3, p4] = pool.proxies;
  return { clock, pool, registry, metrics, p0: p0!, p1: p1!, p2: p2!, p3: p3!, p4: p4! };
}

afterEach(async () => {
  for (const pool of pools.splice(0)) await pool.close();
});

const scrape = async (registry: Registry) => {
  const text = await registry.metrics();
  expect(text).not.toContain('SECRET');
  return parseExposition(text);
};

describe('registerPoolMetrics', () => {
  it('counts outcomes by kind, latencies, breaker states, bans, targets down and exhaustion', async () => {
    const { clock, pool, registry, p0, p1, p2, p3, p4 } = setup();
    pool.report(p0, { ok: true, latencyMs: 120 }, { target: 'https://a.test/' });
    pool.report(p0, { ok: true, latencyMs: 2_000 }, { target: 'https://a.test/' });
    pool.report(p1, { ok: false, kind: 'proxy_unreachable' }, { target: 'https://a.test/' });
    pool.report(p2, { ok: false, kind: 'rate_limited', status: 429 }, { target: 'https://a.test/' });
    pool.report(p3, { ok: false, kind: 'timeout' }, { target: 'https://down.test/' });
    pool.report(p4, { ok: false, kind: 'timeout' }, { target: 'https://down.test/' });
    await expect(pool.acquire({ wait: false, exclude: pool.proxies })).rejects.toThrow();

    // A scrape walks the pool's own rows: no snapshot (an object per proxy) on this path.
    const snapshot = vi.spyOn(pool, 'snapshot');
    let m = await scrape(registry);
    expect(snapshot).not.toHaveBeenCalled();
    expect(m.get('proxy_pool_outcomes_total')?.type).toBe('counter');
    expect(valueOf(m, 'proxy_pool_outcomes_total', { kind: 'success' })).toBe(2);
    expect(valueOf(m, 'proxy_pool_outcomes_total', { kind: 'proxy_unreachable' })).toBe(1);
    expect(valueOf(m, 'proxy_pool_outcomes_total', { kind: 'rate_limited' })).toBe(1);
    expect(valueOf(m, 'proxy_pool_outcomes_total', { kind: 'timeout' })).toBe(2);
    expect(valueOf(m, 'proxy_pool_outcomes_total', { kind: 'client' })).toBe(0); // every kind has its series from the start
    expect(m.get('proxy_pool_latency_seconds')?.type).toBe('histogram');
    expect(valueOf(m, 'proxy_pool_latency_seconds_count')).toBe(2);
    expect(valueOf(m, 'proxy_pool_latency_seconds_sum')).toBeCloseTo(2.12);
    expect(valueOf(m, 'proxy_pool_latency_seconds_bucket', { le: '0.25' })).toBe(1);
    expect(valueOf(m, 'proxy_pool_proxies', { state: 'closed' })).toBe(5);
    expect(valueOf(m, 'proxy_pool_proxies', { state: 'open' })).toBe(1);
    expect(valueOf(m, 'proxy_pool_proxies', { state: 'half-open' })).toBe(0);
    expect(valueOf(m, 'proxy_pool_banned_proxies')).toBe(1);
    expect(valueOf(m, 'proxy_pool_bans')).toBe(1);
    expect(valueOf(m, 'proxy_pool_targets_down')).toBe(1);
    expect(valueOf(m, 'proxy_pool_exhausted_total')).toBe(1);
    expect(valueOf(m, 'proxy_pool_acquire_wait_seconds_count')).toBe(0);
    expect(valueOf(m, 'proxy_pool_in_flight')).toBe(0);
    expect(m.has('proxy_pool_proxy_health_score')).toBe(false);

    // Time alone: the open breaker is due for a trial, the ban is over; a success brings the target back.
    await clock.advance(120_000);
    pool.report(p0, { ok: true, latencyMs: 50 }, { target: 'https://down.test/' });
    const lease = await pool.acquire({ target: 'https://a.test/' });
    m = await scrape(registry);
    expect(valueOf(m, 'proxy_pool_proxies', { state: 'half-open' })).toBe(1);
    expect(valueOf(m, 'proxy_pool_proxies', { state: 'open' })).toBe(0);
    expect(valueOf(m, 'proxy_pool_bans')).toBe(0);
    expect(valueOf(m, 'proxy_pool_targets_down')).toBe(0);
    expect(valueOf(m, 'proxy_pool_in_flight')).toBe(1);
    lease.release();
  });

  it('adds per-proxy series only when asked, up to the cap, and drops those of removed proxies', async () => {
    const { pool, registry, p0, p1 } = setup({ perProxy: { max: 4 } });
    pool.report(p0, { ok: true, latencyMs: 100 });
    pool.report(p1, { ok: false, kind: 'proxy_unreachable' });
    let m = await scrape(registry);
    const scores = m.get('proxy_pool_proxy_health_score')!.samples;
    expect(scores.map((s) => s.labels.proxy)).toEqual(pool.proxies.slice(0, 4).map((p) => p.id));
    expect(valueOf(m, 'proxy_pool_proxy_series_omitted')).toBe(2);
    expect(valueOf(m, 'proxy_pool_proxy_state', { proxy: p1.id, state: 'open' })).toBe(1);
    expect(m.get('proxy_pool_proxy_state')!.samples.filter((s) => s.labels.proxy === p1.id)).toHaveLength(1);
    expect(valueOf(m, 'proxy_pool_proxy_requests_total', { proxy: p0.id, result: 'success' })).toBe(1);
    expect(valueOf(m, 'proxy_pool_proxy_requests_total', { proxy: p1.id, result: 'failure' })).toBe(1);

    pool.remove(p0);
    m = await scrape(registry);
    expect(m.get('proxy_pool_proxy_health_score')!.samples.map((s) => s.labels.proxy)).not.toContain(p0.id);
    expect(valueOf(m, 'proxy_pool_proxy_series_omitted')).toBe(1);
  });

  it('unregisters: no series left, no listener left', async () => {
    const { pool, registry, metrics, p0 } = setup({ perProxy: true, prefix: 'crawl_' });
    expect(metrics.names).toContain('crawl_outcomes_total');
    expect(metrics.names).toContain('crawl_proxy_health_score');
    metrics.unregister();
    metrics.unregister();
    expect((await registry.metrics()).trim()).toBe('');
    pool.report(p0, { ok: true, latencyMs: 1 });
    // The same names register again on the same registry once the first set is gone.
    registerPoolMetrics(pool, { registry, prefix: 'crawl_' }).unregister();
  });

  it('reads the same counts through snapshot() when the pool has no entries()', async () => {
    const { pool, registry, p1, p2 } = setup();
    pool.report(p1, { ok: false, kind: 'proxy_unreachable' });
    pool.report(p2, { ok: false, kind: 'rate_limited' }, { target: 'https://a.test/' });
    const publicOnly = {
      options: pool.options,
      snapshot: () => pool.snapshot(),
      on: pool.on.bind(pool),
      isTargetDown: pool.isTargetDown.bind(pool),
    } as unknown as ProxyPool;
    const other = new Registry();
    registerPoolMetrics(publicOnly, { registry: other, perProxy: 2 });
    const [a, b] = await Promise.all([registry.metrics(), other.metrics()]);
    const pick = (text: string) => text.split('\n').filter((l) => /^proxy_pool_(proxies|bans|banned_proxies|in_flight)\b/.test(l));
    expect(pick(b)).toEqual(pick(a));
    expect(b).toContain(`proxy_pool_proxy_state{proxy="${p1.id}",state="open"} 1`);
  });

  it("feeds acquire_wait_seconds from the pool's acquired event", async () => {
    const clock = new FakeClock();
    const pool = new ProxyPool({ proxies: PROXIES.slice(0, 1), clock, limits: { maxInFlight: 1 } });
    pools.push(pool);
    const registry = new Registry();
    const metrics = registerPoolMetrics(pool, { registry });
    const first = await pool.acquire(); // at once
    const second = pool.acquire(); // waits for the first to end
    await clock.advance(2_500);
    first.success();
    (await second).success();
    const m = parseExposition(await registry.metrics());
    expect(valueOf(m, 'proxy_pool_acquire_wait_seconds_count')).toBe(2);
    expect(valueOf(m, 'proxy_pool_acquire_wait_seconds_bucket', { le: '0.001' })).toBe(1);
    expect(valueOf(m, 'proxy_pool_acquire_wait_seconds_bucket', { le: '1' })).toBe(1);
    expect(valueOf(m, 'proxy_pool_acquire_wait_seconds_bucket', { le: '5' })).toBe(2);
    metrics.unregister();
  });

  it('validates its options', () => {
    const pool = new ProxyPool({ proxies: PROXIES });
    pools.push(pool);
    const registry = new Registry();
    expect(() => registerPoolMetrics(pool, { registry, prefix: 'bad-prefix' })).toThrow(TypeError);
    expect(() => registerPoolMetrics(pool, { registry, perProxy: 0 })).toThrow(/perProxy/);
    expect(() => registerPoolMetrics(pool, { registry, perProxy: { max: 1.5 } })).toThrow(RangeError);
  });
});

describe('the exposition reader the tests use', () => {
  it('rejects what Prometheus would', () => {
    const ok = '# HELP a_total A.\n# TYPE a_total counter\na_total{kind="x"} 1\n';
    expect(valueOf(parseExposition(ok), 'a_total', { kind: 'x' })).toBe(1);
    expect(() => parseExposition('a_total 1\n')).toThrow(/no # TYPE/);
    expect(() => parseExposition('# TYPE a gauge\na{kind=x} 1\n')).toThrow(/malformed labels/);
    expect(() => parseExposition('# TYPE a gauge\na one\n')).toThrow(/not a number/);
    expect(() => parseExposition('# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n')).toThrow(
      /cumulative/,
    );
  });
});

describe('the Grafana dashboard', () => {
  it('queries only series that registerPoolMetrics registers', async () => {
    const { readFile } = await import('node:fs/promises');
    const dashboard = JSON.parse(await readFile(new URL('../grafana/proxy-pool.json', import.meta.url), 'utf8')) as {
      panels: Array<{ title: string; targets: Array<{ expr: string }> }>;
    };
    const { metrics } = setup({ perProxy: true });
    const used = new Set<string>();
    for (const panel of dashboard.panels) {
      expect(panel.targets.length, panel.title).toBeGreaterThan(0);
      for (const { expr } of panel.targets)
        for (const [name] of expr.matchAll(/proxy_pool_[a-z_]+/g)) used.add(name.replace(/_(bucket|sum|count)$/, ''));
    }
    expect([...used].filter((name) => !metrics.names.includes(name))).toEqual([]);
    for (const series of [
      'proxy_pool_outcomes_total',
      'proxy_pool_proxies',
      'proxy_pool_latency_seconds',
      'proxy_pool_acquire_wait_seconds',
      'proxy_pool_bans',
      'proxy_pool_targets_down',
    ]) {
      expect(used).toContain(series);
    }
  });
});

describe('a name already taken', () => {
  it('throws, and leaves neither series nor listeners behind', async () => {
    const { pool, registry, p0 } = setup();
    const { Gauge } = await import('prom-client');
    const other = new Registry();
    new Gauge({ name: 'twice_proxies', help: 'taken', registers: [other] });
    expect(() => registerPoolMetrics(pool, { registry: other, prefix: 'twice_' })).toThrow(/twice_proxies/);
    expect(other.getMetricsAsArray().map((m) => m.name)).toEqual(['twice_proxies']);
    // The first registration still counts; the failed one does not.
    pool.report(p0, { ok: true, latencyMs: 10 });
    expect(valueOf(parseExposition(await registry.metrics()), 'proxy_pool_outcomes_total', { kind: 'success' })).toBe(1);
  });
});
