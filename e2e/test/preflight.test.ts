import { ProxyPool } from '@proxy-pool/core';
import { withProxyPool } from '@proxy-pool/playwright';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { launchPlaywright } from '../src/browsers.js';
import { ProxyFarm } from '../src/farm/index.js';

// run() checks a proxy it has no recent success with before spending a browser context on it.
let browser: Browser;
let farm: ProxyFarm;
beforeAll(async () => {
  browser = await launchPlaywright();
  farm = await ProxyFarm.start({
    proxies: [
      { name: 'refusing', mode: 'refuse' },
      { name: 'hanging', mode: 'hang' },
      { name: 'good', mode: 'good' },
    ],
    sites: [{ https: true }],
  });
});
afterAll(async () => {
  await farm?.close();
  await browser?.close();
});

async function crawlOnce(preflight: boolean): Promise<{ contexts: number; title: string; pool: ProxyPool }> {
  let contexts = 0;
  const counting = new Proxy(browser, {
    get(target, key) {
      if (key === 'newContext') {
        return (...args: Parameters<Browser['newContext']>) => {
          contexts++;
          return target.newContext(...args);
        };
      }
      const value = Reflect.get(target, key);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  // Round-robin: the refusing proxy first, then the hanging one, then the good one.
  const pool = new ProxyPool({ proxies: farm.urls, rotation: 'round-robin', retry: { retries: 3, minDelayMs: 10, maxDelayMs: 10 } });
  const pooled = withProxyPool(counting, pool, { navigationTimeoutMs: 2_000, preflight });
  const url = farm.site.url('/page/3', 'preflight.test');
  try {
    const title = await pooled.run(
      async ({ page }) => {
        await page.goto(url);
        return page.title();
      },
      { target: url, contextOptions: { ignoreHTTPSErrors: true } },
    );
    return { contexts, title, pool };
  } finally {
    await pooled.close();
  }
}

it('spends no browser context on a refusing or a hanging proxy, and reports them', async () => {
  const { contexts, title, pool } = await crawlOnce(true);
  expect(title).toBe('Page 3');
  expect(contexts).toBe(1);
  expect(pool.getMetrics(farm.proxy('refusing').id)).toMatchObject({ failedRequests: 1 });
  expect(pool.getMetrics(farm.proxy('hanging').id)!.totalRequests).toBe(1);
  await pool.close();
});

it('opens a context for each attempt with the check turned off', async () => {
  const { contexts, title, pool } = await crawlOnce(false);
  expect(title).toBe('Page 3');
  expect(contexts).toBe(3);
  await pool.close();
});

/** A job that loads `url` (the farm's https site) through `pooled` and returns the page's title. */
function titleOf(pooled: ReturnType<typeof withProxyPool>, url: string): () => Promise<string> {
  return () =>
    pooled.run(
      async ({ page }) => {
        await page.goto(url);
        return page.title();
      },
      { target: url, contextOptions: { ignoreHTTPSErrors: true } },
    );
}

it('learns how long a check takes: a hanging proxy costs the 1 s floor, not half the navigation timeout', async () => {
  // Round-robin: the good proxy first (its check answers in a few ms), then the hanging one.
  const pool = new ProxyPool({
    proxies: [farm.proxy('good').url, farm.proxy('hanging').url],
    rotation: 'round-robin',
    retry: { retries: 3, minDelayMs: 10, maxDelayMs: 10 },
  });
  const pooled = withProxyPool(browser, pool, { navigationTimeoutMs: 10_000 }); // before any answer: 5 s
  const job = titleOf(pooled, farm.site.url('/page/4', 'preflight.test'));
  try {
    expect(await job()).toBe('Page 4');
    const startedAt = Date.now();
    expect(await job()).toBe('Page 4'); // the hanging proxy's check, then the good one again
    const elapsed = Date.now() - startedAt;
    expect(pool.getMetrics(farm.proxy('hanging').id)).toMatchObject({ failedRequests: 1 });
    expect(elapsed).toBeGreaterThanOrEqual(1_000);
    expect(elapsed).toBeLessThan(4_000);
  } finally {
    await pooled.close();
    await pool.close();
  }
});

it('fails a slow proxy checked alongside the first good one: answers are judged by what the pool knows when they arrive', async () => {
  const slowFarm = await ProxyFarm.start({
    proxies: [
      { name: 'good', mode: 'good' },
      { name: 'slow', mode: 'slow', delayMs: 1_500 },
    ],
    sites: [{ https: true }],
  });
  const pool = new ProxyPool({ proxies: slowFarm.urls, rotation: 'round-robin', retry: { retries: 3, minDelayMs: 10, maxDelayMs: 10 } });
  const pooled = withProxyPool(browser, pool, { navigationTimeoutMs: 10_000 }); // before any answer: 5 s
  const job = titleOf(pooled, slowFarm.site.url('/page/5', 'preflight.test'));
  try {
    // Both checks start before any answer; the good one answers in milliseconds, the slow one in 1.5 s.
    expect(await Promise.all([job(), job()])).toEqual(['Page 5', 'Page 5']);
    expect(pool.getMetrics(slowFarm.proxy('slow').id)).toMatchObject({ failedRequests: 1, successfulRequests: 0 });
    expect(pool.getMetrics(slowFarm.proxy('slow').id)!.failuresByKind).toEqual({ timeout: 1 });
  } finally {
    await pooled.close();
    await pool.close();
    await slowFarm.close();
  }
});
