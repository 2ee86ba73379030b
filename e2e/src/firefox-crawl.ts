import type { ProxyPool } from '@proxy-pool/core';
import { withProxyPool } from '@proxy-pool/puppeteer';
import type { Browser } from 'puppeteer-core';

/**
 * Puppeteer with Firefox as the goodput benchmark drives a browser (`bench/crawl-bench.ts`'s
 * `CrawlDriver`, which the bench package, on the Playwright adapter only, reaches from here):
 * the same adapter options, the farm's self-signed certificate accepted at launch.
 */
export function firefoxCrawlDriver(browser: Browser) {
  return {
    label: 'Firefox',
    wrap: (
      pool: ProxyPool,
      options: { navigationTimeoutMs: number; reuseContexts: boolean; maxIdleContexts: number; preflight?: boolean },
    ) => {
      const pooled = withProxyPool(browser, pool, options);
      return {
        run: <T>(
          task: (context: { page: { goto(url: string): Promise<unknown>; title(): Promise<string> } }) => Promise<T>,
          runOptions: { target: string },
        ) => pooled.run(task, runOptions),
        close: () => pooled.close(),
      };
    },
  };
}
