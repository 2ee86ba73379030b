import { Configuration, PlaywrightCrawler, type ProxyConfiguration } from '@crawlee/playwright';
import { chromium } from 'playwright';
import { CHROMIUM_ARGS, chromiumPath } from './chromium.js';

export interface CrawleeRun {
  fetched: number;
  seconds: number;
  /** Navigations attempted (every try of every request). */
  attempts: number;
  /** Proxy URL of every attempt, in order. */
  proxies: string[];
}

/**
 * A PlaywrightCrawler over `urls` with real Chromium: Crawlee's own setup, with a proxy per
 * page (`useIncognitoPages`), and whatever proxy configuration and hooks are given.
 */
export async function crawlWithCrawlee(
  urls: string[],
  setup: {
    proxyConfiguration: ProxyConfiguration;
    preNavigationHooks?: Array<(context: never) => unknown>;
    postNavigationHooks?: Array<(context: never) => unknown>;
    errorHandler?: (context: never, error: Error) => unknown;
  },
  options: { concurrency: number; navigationTimeoutSecs: number },
): Promise<CrawleeRun> {
  let fetched = 0;
  let attempts = 0;
  const proxies: string[] = [];
  const crawler = new PlaywrightCrawler(
    {
      proxyConfiguration: setup.proxyConfiguration,
      maxConcurrency: options.concurrency,
      minConcurrency: options.concurrency,
      maxRequestRetries: 8,
      navigationTimeoutSecs: options.navigationTimeoutSecs,
      requestHandlerTimeoutSecs: 30,
      launchContext: {
        launcher: chromium,
        launchOptions: { executablePath: chromiumPath(), args: CHROMIUM_ARGS },
        useIncognitoPages: true,
      },
      browserPoolOptions: { useFingerprints: false },
      preNavigationHooks: [
        (context: { proxyInfo?: { url: string } }) => {
          attempts++;
          if (context.proxyInfo) proxies.push(context.proxyInfo.url);
        },
        ...((setup.preNavigationHooks ?? []) as never[]),
      ],
      postNavigationHooks: (setup.postNavigationHooks ?? []) as never[],
      errorHandler: setup.errorHandler as never,
      requestHandler: async ({ page }) => {
        await page.title();
        fetched++;
      },
    },
    new Configuration({ persistStorage: false, purgeOnStart: true, logLevel: 1 } as never),
  );
  const start = performance.now();
  await crawler.run(urls);
  await crawler.teardown();
  return { fetched, seconds: (performance.now() - start) / 1000, attempts, proxies };
}
