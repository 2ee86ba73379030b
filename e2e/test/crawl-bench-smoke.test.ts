import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { configurations, crawl } from '../../bench/crawl-bench.js';
import { launchPlaywright } from '../src/browsers.js';

// A few dozen pages of the goodput benchmark, so that it cannot rot: every configuration
// runs, and the pool fetches every page the oracle does through a bad list.
let browser: Browser;
beforeAll(async () => {
  browser = await launchPlaywright();
});
afterAll(() => browser?.close());

it('crawls a bad list with the pool and a good list with the oracle, losing no page', async () => {
  const options = { pages: 30, concurrency: 4, proxies: 20, navigationTimeoutMs: 3_000 };
  const configs = configurations(['weighted']).filter((c) => c.name === 'pool, defaults' || c.name.startsWith('oracle'));
  const [pool, oracle] = [await crawl(browser, configs[0]!, options), await crawl(browser, configs[1]!, options)];
  expect(oracle!.fetched).toBe(30);
  expect(pool!.fetched).toBe(30);
  expect(pool!.attempts).toBeGreaterThanOrEqual(30);
  expect(pool!.attempts / pool!.fetched).toBeLessThan(2);
});
