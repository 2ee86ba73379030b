import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProxyFarm } from '../../../e2e/src/farm/index.js';
import { ProxyPool, type RotationStrategy, sampleEligible } from '../src/index.js';

// Real probes through real local HTTP proxies against a local target.
describe('active health checks', () => {
  let farm: ProxyFarm;
  beforeAll(async () => {
    farm = await ProxyFarm.start({
      proxies: [
        { name: 'good', mode: 'good' },
        { name: 'refusing', mode: 'refuse' },
        { name: 'hanging', mode: 'hang' },
        { name: 'auth-ok', mode: 'good', credentials: { username: 'u', password: 'right' } },
        {
          name: 'auth-wrong',
          mode: 'good',
          credentials: { username: 'u', password: 'right' },
          listedCredentials: { username: 'u', password: 'wrong' },
        },
      ],
      sites: [{}, { https: true }],
    });
  });
  afterAll(() => farm.close());

  it('probes every proxy through a real request and classifies what it finds', async () => {
    const pool = new ProxyPool({ proxies: farm.urls, healthCheck: { url: farm.site.url('/page/1', 'health.test'), timeoutMs: 1_000 } });
    const results = await pool.checkHealth();
    const byName = Object.fromEntries(results.map((r) => [farm.byId(r.proxy.id)!.name, r.outcome]));
    expect(byName.good).toMatchObject({ ok: true });
    expect(byName['auth-ok']).toMatchObject({ ok: true });
    expect(byName.refusing).toMatchObject({ ok: false, kind: 'proxy_unreachable' });
    expect(byName.hanging).toMatchObject({ ok: false, kind: 'timeout' });
    expect(byName['auth-wrong']).toMatchObject({ ok: false, kind: 'proxy_auth' });
    expect(pool.getMetrics(farm.proxy('auth-wrong').id)!.circuitState).toBe('open');
    expect(pool.getMetrics(farm.proxy('good').id)!.successfulRequests).toBe(1);
    await pool.close();
  });

  it("opens a hanging proxy's breaker when others answer the same URL in the same round, and not when none does", async () => {
    const url = farm.site.url('/page/1', 'health.test');
    const hanging = farm.proxy('hanging').id;
    const mixed = new ProxyPool({ proxies: [farm.proxy('good').url, farm.proxy('hanging').url], breaker: { failureThreshold: 2 } });
    for (let round = 0; round < 2; round++) await mixed.checkHealth({ url, timeoutMs: 1_000 });
    expect(mixed.getMetrics(hanging)).toMatchObject({ circuitState: 'open', consecutiveFailures: 2 });
    await mixed.close();

    // Nothing answered: the URL may be down, so the timeouts wait for proof as real work's do.
    const alone = new ProxyPool({ proxies: [farm.proxy('hanging').url], breaker: { failureThreshold: 2 } });
    for (let round = 0; round < 2; round++) await alone.checkHealth({ url, timeoutMs: 1_000 });
    expect(alone.getMetrics(hanging)).toMatchObject({ circuitState: 'closed', consecutiveFailures: 0 });
    await alone.close();
  });

  it('tells the rotation strategy of what each probe found', async () => {
    const updated = new Set<string>();
    const rotation: RotationStrategy = {
      pick: (context) => sampleEligible(context, 8),
      onUpdated: (candidate) => updated.add(candidate.proxy.id),
    };
    const pool = new ProxyPool({ proxies: [farm.proxy('good').url, farm.proxy('refusing').url], rotation });
    await pool.checkHealth({ url: farm.site.url('/page/1', 'health.test'), timeoutMs: 1_000 });
    expect([...updated].sort()).toEqual([farm.proxy('good').id, farm.proxy('refusing').id].sort());
    await pool.close();
  });

  it('probes https targets through CONNECT tunnels', async () => {
    const pool = new ProxyPool({ proxies: [farm.proxy('good').url, farm.proxy('auth-wrong').url] });
    const results = await pool.checkHealth({
      url: farm.sites[1]!.url('/page/2', 'secure.test'),
      rejectUnauthorized: false,
      timeoutMs: 2_000,
    });
    expect(results.map((r) => r.outcome.ok).sort()).toEqual([false, true]);
    expect(results.find((r) => !r.outcome.ok)!.outcome).toMatchObject({ kind: 'proxy_auth', status: 407 });
    await pool.close();
  });

  it('brings a proxy with an open breaker back when probes get through', async () => {
    const pool = new ProxyPool({ proxies: [farm.proxy('good').url], healthCheck: { url: farm.site.url('/page/1', 'health.test') } });
    const id = farm.proxy('good').id;
    for (let i = 0; i < 5; i++) pool.report(id, { ok: false, kind: 'proxy_unreachable' });
    expect(pool.getMetrics(id)!.circuitState).toBe('open');
    await pool.checkHealth();
    expect(pool.getMetrics(id)!.circuitState).toBe('half-open');
    await pool.checkHealth();
    expect(pool.getMetrics(id)!.circuitState).toBe('closed');
    await pool.close();
  });

  it('runs on its interval, never overlaps probes of one proxy, respects concurrency, and stops at close', async () => {
    const site = farm.site;
    site.maxActive = 0;
    site.maxActivePerProxy = 0;
    const goodUrls = [farm.proxy('good').url, farm.proxy('auth-ok').url];
    const extra = await Promise.all([farm.addProxy({ mode: 'good' }), farm.addProxy({ mode: 'good' })]);
    const pool = new ProxyPool({
      proxies: [...goodUrls, ...extra.map((p) => p.url)],
      healthCheck: { url: site.url('/slow/150', 'health.test'), intervalMs: 100, timeoutMs: 2_000, concurrency: 2, runOnStart: true },
    });
    // A round asked for by hand while the timer's round runs skips the proxies being probed.
    await Promise.all([pool.checkHealth(), pool.checkHealth()]);
    // The timer goes on by itself: wait for its probes (events, not a guess at how long a busy machine takes).
    await new Promise<void>((resolve) => {
      const off = pool.on('success', ({ proxy }) => {
        if (proxy.id === farm.proxy('good').id && pool.getMetrics(proxy)!.totalRequests >= 3) {
          off();
          resolve();
        }
      });
    });
    expect(pool.getMetrics(farm.proxy('good').id)!.totalRequests).toBeGreaterThanOrEqual(3);
    expect(site.maxActive).toBeLessThanOrEqual(2 + 2); // the timer's round and the manual ones, 2 each at most
    expect(site.maxActivePerProxy).toBe(1);
    await pool.close();
    const after = pool.snapshot().totals.requests;
    await new Promise((r) => setTimeout(r, 400));
    expect(pool.snapshot().totals.requests).toBe(after);
  });

  it('only ever runs `concurrency` probes at once', async () => {
    const site = farm.site;
    site.maxActive = 0;
    const extra = await Promise.all(Array.from({ length: 6 }, () => farm.addProxy({ mode: 'good' })));
    const pool = new ProxyPool({ proxies: extra.map((p) => p.url) });
    // Each probe holds the site for 600 ms: probes started together overlap even on a busy machine.
    await pool.checkHealth({ url: site.url('/slow/600', 'health.test'), concurrency: 3 });
    expect(site.maxActive).toBe(3);
    await pool.close();
  });
});
