import { Configuration, PlaywrightCrawler, type ProxyConfiguration } from '@crawlee/playwright';
import { PuppeteerCrawler } from '@crawlee/puppeteer';
import { chromium } from 'playwright';
import puppeteer from 'puppeteer-core';
import { CHROMIUM_ARGS, chromiumPath } from './chromium.js';

export interface CrawleeRun {
  fetched: number;
  /** Requests that failed for good (every retry used). */
  failed: number;
  seconds: number;
  /** Navigations attempted (every try of every request). */
  attempts: number;
  /** Proxy URL of every attempt, in order. */
  proxies: string[];
  /** Crawlee session id of every attempt, in order. */
  sessions: Array<string | undefined>;
}

export interface CrawleeRunOptions {
  concurrency: number;
  navigationTimeoutSecs: number;
  /** Which of Crawlee's browser crawlers. @default 'playwright' */
  crawler?: 'playwright' | 'puppeteer';
  /** @default 8 */
  maxRequestRetries?: number;
  /** Crawlee's SessionPool options (e.g. `maxPoolSize`). */
  sessionPoolOptions?: Record<string, unknown>;
  /** Chromium flags beyond CHROMIUM_ARGS (e.g. `--ignore-certificate-errors` for the farm's self-signed https site). */
  extraArgs?: string[];
  /** Called with the crawling context of every page fetched, after it was counted. */
  onPage?: (context: { session?: { id: string; retire(): void } | undefined }) => void;
}

/**
 * A PlaywrightCrawler (or PuppeteerCrawler) over `urls` with real Chromium: Crawlee's own setup, with a proxy per
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
  options: CrawleeRunOptions,
): Promise<CrawleeRun> {
  let fetched = 0;
  let failed = 0;
  let attempts = 0;
  const proxies: string[] = [];
  const sessions: Array<string | undefined> = [];
  const common = {
    proxyConfiguration: setup.proxyConfiguration,
    maxConcurrency: options.concurrency,
    minConcurrency: options.concurrency,
    maxRequestRetries: options.maxRequestRetries ?? 8,
    navigationTimeoutSecs: options.navigationTimeoutSecs,
    requestHandlerTimeoutSecs: 30,
    browserPoolOptions: { useFingerprints: false },
    preNavigationHooks: [
      (context: { proxyInfo?: { url: string }; session?: { id: string } }) => {
        attempts++;
        if (context.proxyInfo) proxies.push(context.proxyInfo.url);
        sessions.push(context.session?.id);
      },
      ...((setup.preNavigationHooks ?? []) as never[]),
    ],
    postNavigationHooks: (setup.postNavigationHooks ?? []) as never[],
    errorHandler: setup.errorHandler as never,
    failedRequestHandler: () => {
      failed++;
    },
    ...(options.sessionPoolOptions ? { sessionPoolOptions: options.sessionPoolOptions } : {}),
    requestHandler: async (context: { page: { title(): Promise<string> }; session?: { id: string; retire(): void } }) => {
      await context.page.title();
      fetched++;
      options.onPage?.(context);
    },
  };
  const configuration = new Configuration({ persistStorage: false, purgeOnStart: true, logLevel: 1 } as never);
  const launchOptions = { executablePath: chromiumPath(), args: [...CHROMIUM_ARGS, ...(options.extraArgs ?? [])] };
  const crawler =
    options.crawler === 'puppeteer'
      ? new PuppeteerCrawler(
          { ...(common as object), launchContext: { launcher: puppeteer, launchOptions, useIncognitoPages: true } },
          configuration,
        )
      : new PlaywrightCrawler(
          { ...(common as object), launchContext: { launcher: chromium, launchOptions, useIncognitoPages: true } },
          configuration,
        );
  const start = performance.now();
  await crawler.run(urls);
  await crawler.teardown();
  return { fetched, failed, seconds: (performance.now() - start) / 1000, attempts, proxies, sessions };
}
