import { ProxyPool, RetriesExhaustedError } from '@proxy-pool/core';
import * as playwrightAdapter from '@proxy-pool/playwright';
import * as puppeteerAdapter from '@proxy-pool/puppeteer';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchPlaywright, launchPuppeteer } from '../src/browsers.js';
import { ProxyFarm } from '../src/farm/index.js';

// One behaviour suite, run with each adapter: the contract is the same.
interface AnyPage {
  goto(url: string, options?: { timeout?: number }): Promise<{ status(): number } | null>;
  title(): Promise<string>;
}
interface AnyContext {
  newPage(): Promise<AnyPage>;
  close(): Promise<void>;
}
interface AnyPooled {
  newContext(contextOptions?: object, options?: { target?: string }): Promise<AnyContext>;
  run<T>(
    task: (c: { page: AnyPage; attempt: number }) => Promise<T>,
    options?: { target?: string; contextOptions?: object; wait?: boolean },
  ): Promise<T>;
  readonly openContexts: number;
}
interface Adapter {
  name: string;
  launch(): Promise<{ close(): Promise<void> }>;
  wrap(browser: unknown, pool: ProxyPool, options?: { navigationTimeoutMs?: number }): AnyPooled;
  proxyOf(context: AnyContext): { id: string } | undefined;
  openBrowserContexts(browser: unknown): Promise<number>;
  httpsOptions: object;
}

const ADAPTERS: Adapter[] = [
  {
    name: 'playwright',
    launch: () => launchPlaywright(),
    wrap: (browser, pool, options) => playwrightAdapter.withProxyPool(browser as never, pool, options) as unknown as AnyPooled,
    proxyOf: (context) => playwrightAdapter.proxyOf(context as never),
    openBrowserContexts: async (browser) => (browser as import('playwright-core').Browser).contexts().length,
    httpsOptions: { ignoreHTTPSErrors: true },
  },
  {
    name: 'puppeteer',
    launch: () => launchPuppeteer('newest'),
    wrap: (browser, pool, options) => puppeteerAdapter.withProxyPool(browser as never, pool, options) as unknown as AnyPooled,
    proxyOf: (context) => puppeteerAdapter.proxyOf(context as never),
    // The default context is always there.
    openBrowserContexts: async (browser) => (browser as import('puppeteer-core').Browser).browserContexts().length - 1,
    httpsOptions: {},
  },
];

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);

describe.each(ADAPTERS)('$name adapter through a real local farm', (adapter) => {
  const withProxyPool = adapter.wrap;
  const proxyOf = adapter.proxyOf;
  let browser: { close(): Promise<void> };
  let farm: ProxyFarm;
  beforeAll(async () => {
    process.on('unhandledRejection', onUnhandled);
    browser = await adapter.launch();
  });
  afterEach(async () => {
    await farm?.close();
  });
  afterAll(async () => {
    await browser?.close();
    process.off('unhandledRejection', onUnhandled);
  });

  it('gives every context its own proxy, and proxyOf tells which', async () => {
    farm = await ProxyFarm.start({
      proxies: [
        { name: 'a', mode: 'good' },
        { name: 'b', mode: 'good' },
      ],
    });
    const pool = new ProxyPool({ proxies: farm.urls, rotation: 'round-robin' });
    const pooled = withProxyPool(browser, pool);
    const contexts = [await pooled.newContext(), await pooled.newContext()];
    const seenBy: string[] = [];
    for (const [i, context] of contexts.entries()) {
      const page = await context.newPage();
      await page.goto(farm.site.url(`/page/${i}`, 'who.test'));
      seenBy.push(farm.site.seen.at(-1)!.proxy!);
      expect(proxyOf(context)!.id).toBe(farm.proxies.find((p) => p.name === seenBy[i])!.id);
    }
    expect(new Set(seenBy).size).toBe(2);
    for (const c of contexts) await c.close();
    expect(pooled.openContexts).toBe(0);
    expect(pool.snapshot().totals.inFlight).toBe(0);
    await pool.close();
  });

  it('stops using a dead proxy after its first failure, and opens its breaker once it fails its threshold', async () => {
    farm = await ProxyFarm.start({ proxies: [{ name: 'dead', mode: 'refuse' }, { mode: 'good' }, { mode: 'good' }, { mode: 'good' }] });
    const pool = new ProxyPool({ proxies: farm.urls, rotation: 'round-robin', retry: { minDelayMs: 10 } });
    const pooled = withProxyPool(browser, pool, { navigationTimeoutMs: 3_000 });
    const url = farm.site.url('/page/1', 'shop.test');
    for (let i = 0; i < 15; i++) {
      await pooled.run(async ({ page }) => (await page.goto(url))?.status(), { target: url });
    }
    // It refused and never worked: the pool holds it behind the others (the cold-start rule), so
    // that the first pages do not go to it again and again.
    const dead = pool.getMetrics(farm.proxy('dead').id)!;
    expect(dead.failedRequests).toBe(1);
    // Alone, it is tried until its breaker opens, and then not any more.
    const alone = new ProxyPool({ proxies: [farm.proxy('dead').url], retry: { minDelayMs: 10 } });
    const lonely = withProxyPool(browser, alone, { navigationTimeoutMs: 3_000 });
    for (let i = 0; i < 2; i++) await lonely.run(async ({ page }) => page.goto(url), { target: url, wait: false }).catch(() => undefined);
    const metrics = alone.getMetrics(farm.proxy('dead').id)!;
    expect(metrics.circuitState).toBe('open');
    expect(metrics.failedRequests).toBe(alone.options.breaker.failureThreshold);
    await alone.close();
    await pool.close();
  });

  it('avoids a banned proxy for that site and still uses it for another', async () => {
    farm = await ProxyFarm.start({
      proxies: [{ name: 'banned', mode: 'good', bannedOn: ['shop.test'] }, { mode: 'good' }, { mode: 'good' }],
    });
    const pool = new ProxyPool({ proxies: farm.urls, rotation: 'round-robin', retry: { minDelayMs: 10 } });
    const pooled = withProxyPool(browser, pool);
    const shop = farm.site.url('/page/1', 'shop.test');
    const news = farm.site.url('/page/1', 'news.test');
    for (let i = 0; i < 9; i++) await pooled.run(async ({ page }) => page.goto(shop), { target: shop });
    const banned = pool.getMetrics(farm.proxy('banned').id)!;
    expect(banned.bannedOn).toEqual([`shop.test:${farm.site.port}`]);
    expect(banned.circuitState).toBe('closed');
    const before = farm.site.seen.filter((r) => r.host === 'shop.test' && r.proxy === 'banned').length;
    for (let i = 0; i < 6; i++) await pooled.run(async ({ page }) => page.goto(shop), { target: shop });
    expect(farm.site.seen.filter((r) => r.host === 'shop.test' && r.proxy === 'banned').length).toBe(before);
    for (let i = 0; i < 6; i++) await pooled.run(async ({ page }) => page.goto(news), { target: news });
    expect(farm.site.seen.some((r) => r.host === 'news.test' && r.proxy === 'banned')).toBe(true);
    await pool.close();
  });

  it('never lets a target’s 404 hurt a proxy', async () => {
    farm = await ProxyFarm.start({ proxies: [{ mode: 'good' }] });
    const pool = new ProxyPool({ proxies: farm.urls });
    const pooled = withProxyPool(browser, pool);
    const context = await pooled.newContext();
    const page = await context.newPage();
    for (let i = 0; i < 8; i++) await page.goto(farm.site.url(`/status/404?${i}`, 'gone.test'));
    await context.close();
    const m = pool.getMetrics(farm.proxies[0]!.id)!;
    expect(m.failuresByKind).toEqual({ target_error: 8 });
    expect(m.circuitState).toBe('closed');
    expect(m.consecutiveFailures).toBe(0);
    expect(m.healthScore).toBeCloseTo(0.5, 5);
    await pool.close();
  });

  it('does not open every breaker when the target is down, and works again when it is back', async () => {
    farm = await ProxyFarm.start({ proxies: Array.from({ length: 6 }, () => ({ mode: 'good' as const })) });
    const pool = new ProxyPool({ proxies: farm.urls, retry: { retries: 2, minDelayMs: 50 } });
    const pooled = withProxyPool(browser, pool);
    const url = farm.site.url('/page/1', 'down.test');
    await pooled.run(async ({ page }) => page.goto(url), { target: url });
    farm.site.down = true;
    const failures = await Promise.allSettled(
      Array.from({ length: 6 }, () => pooled.run(async ({ page }) => page.goto(url), { target: url })),
    );
    expect(failures.every((f) => f.status === 'rejected' && f.reason instanceof RetriesExhaustedError)).toBe(true);
    expect(pool.isTargetDown(url)).toBe(true);
    expect(pool.snapshot().totals.open).toBe(0);
    farm.site.down = false;
    await new Promise((r) => setTimeout(r, 100));
    expect(await pooled.run(async ({ page }) => (await page.goto(url))?.status(), { target: url })).toBe(200);
    expect(pool.isTargetDown(url)).toBe(false);
    await pool.close();
  });

  it('run() returns the page’s result on a good proxy after bad ones', async () => {
    farm = await ProxyFarm.start({
      proxies: [
        { name: 'refuse', mode: 'refuse' },
        { name: 'reset', mode: 'reset' },
        { name: 'good', mode: 'good' },
      ],
    });
    const pool = new ProxyPool({ proxies: farm.urls, rotation: 'round-robin', retry: { minDelayMs: 10 } });
    const pooled = withProxyPool(browser, pool);
    const attempts: number[] = [];
    const url = farm.site.url('/page/42', 'result.test');
    const title = await pooled.run(
      async ({ page, attempt }) => {
        attempts.push(attempt);
        await page.goto(url);
        return page.title();
      },
      { target: url },
    );
    expect(title).toBe('Page 42');
    // Both bad proxies fail their pre-flight checks (one refuses connections, the other resets
    // them): the task only ever runs on the good one, as the third attempt.
    expect(attempts).toEqual([3]);
    expect(pool.getMetrics(farm.proxy('refuse').id)).toMatchObject({ failedRequests: 1 });
    expect(pool.getMetrics(farm.proxy('reset').id)).toMatchObject({ failedRequests: 1 });
    expect(pooled.openContexts).toBe(0);
    await pool.close();
  });

  it('retries when the page turns out to be a block page, and reports a 407 as proxy_auth', async () => {
    farm = await ProxyFarm.start({
      proxies: [
        {
          name: 'wrong-creds',
          mode: 'good',
          credentials: { username: 'u', password: 'p' },
          listedCredentials: { username: 'u', password: 'x' },
        },
        { name: 'captcha', mode: 'good', bannedOn: ['cap.test'] },
        { name: 'good', mode: 'good', credentials: { username: 'u', password: 'p' } },
      ],
    });
    const pool = new ProxyPool({ proxies: farm.urls, rotation: 'round-robin', retry: { minDelayMs: 10 } });
    const kinds: string[] = [];
    pool.on('failure', (e) => kinds.push(e.kind));
    const pooled = withProxyPool(browser, pool);
    const url = farm.site.url('/page/7', 'cap.test');
    const title = await pooled.run(
      async ({ page }) => {
        await page.goto(url);
        return page.title();
      },
      { target: url },
    );
    expect(title).toBe('Page 7');
    expect(kinds).toEqual(['proxy_auth', 'blocked']);
    expect(pool.getMetrics(farm.proxy('wrong-creds').id)!.circuitState).toBe('open');
    await pool.close();
  });

  it('checks a SOCKS5 proxy with credentials before its relay starts, and says why it failed without the password', async () => {
    const pool = new ProxyPool({ proxies: ['socks5://u:secret@127.0.0.1:1'] });
    const pooled = withProxyPool(browser, pool);
    const error = await pooled.newContext().then(() => undefined, String);
    expect(error).toMatch(/failed the relay's check/);
    expect(error).not.toContain('secret');
    expect(pool.getMetrics(pool.proxies[0]!.id)!.failuresByKind).toMatchObject({ proxy_unreachable: 1 });
    expect(pool.snapshot().totals.inFlight).toBe(0);
    await pool.close();
    farm = await ProxyFarm.start({ proxies: [] });
  });

  it('after 50 jobs with failures, every context is closed and no promise rejection went unhandled', async () => {
    farm = await ProxyFarm.start({
      proxies: [
        { mode: 'good' },
        { mode: 'good' },
        { mode: 'refuse' },
        { mode: 'reset' },
        { mode: 'hang' },
        { mode: 'error502' },
        { mode: 'flaky', failRate: 0.5 },
      ],
      sites: [{}, { https: true }],
    });
    const pool = new ProxyPool({ proxies: farm.urls, retry: { retries: 4, minDelayMs: 20, maxDelayMs: 200 } });
    const pooled = withProxyPool(browser, pool, { navigationTimeoutMs: 3_000 });
    const job = (i: number) => {
      const site = farm.sites[i % 2]!;
      const url = site.url(`/page/${i}`, `job${i % 5}.test`);
      return pooled.run(
        async ({ page }) => {
          await page.goto(url);
          return page.title();
        },
        {
          target: url,
          contextOptions: { ignoreHTTPSErrors: true },
        },
      );
    };
    // Eight at a time, as a crawler on a 2-core machine would run them.
    const results: PromiseSettledResult<string>[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (let i = next++; i < 50; i = next++)
          results.push(
            await job(i).then(
              (value) => ({ status: 'fulfilled' as const, value }),
              (reason: unknown) => ({ status: 'rejected' as const, reason }),
            ),
          );
      }),
    );
    expect(results).toHaveLength(50);
    const fetched = results.filter((r) => r.status === 'fulfilled').length;
    expect(fetched).toBeGreaterThanOrEqual(45);
    expect(pooled.openContexts).toBe(0);
    expect(await adapter.openBrowserContexts(browser)).toBe(0);
    expect(pool.snapshot().totals.inFlight).toBe(0);
    await new Promise((r) => setTimeout(r, 200));
    expect(unhandled).toEqual([]);
    await pool.close();
  });
});
