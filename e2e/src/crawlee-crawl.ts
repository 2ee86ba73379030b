import { Configuration, PlaywrightCrawler, type ProxyConfiguration } from '@crawlee/playwright';
import { PuppeteerCrawler } from '@crawlee/puppeteer';
import { chromium } from 'playwright';
import puppeteer from 'puppeteer-core';
import { CHROMIUM_ARGS, chromiumPath } from './chromium.js';

/** One attempt of one request, timed (ms since the crawl started): what the benchmark's breakdown reads. */
export interface CrawleeAttempt {
  url: string;
  /** The proxy URL Crawlee was handed (undefined: newUrl threw). */
  proxy?: string | undefined;
  /** When Crawlee asked the proxy configuration for a URL, and when it had one. */
  askedAt: number;
  proxyAt?: number | undefined;
  /** When the page was open and its navigation began (the first pre-navigation hook). */
  navigationAt?: number | undefined;
  /** When the navigation answered (the first post-navigation hook) or failed (the error handlers). */
  settledAt?: number | undefined;
  /** When the request handler returned (a fetched page). */
  doneAt?: number | undefined;
  status?: number | undefined;
  error?: string | undefined;
}

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
  /** Every request attempt, timed; only with `trace`. */
  trace: CrawleeAttempt[];
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
  onPage?: (context: { session?: { id: string; retire(): void } | undefined }) => void | Promise<void>;
  /** Time every attempt (`CrawleeRun.trace`). @default false */
  trace?: boolean;
}

interface TracedContext {
  request: object;
  proxyInfo?: { url: string } | undefined;
  session?: { id: string } | undefined;
  response?: { status(): number } | null | undefined;
}

/**
 * A PlaywrightCrawler (or PuppeteerCrawler) over `urls` with real Chromium: Crawlee's own setup, with a proxy per
 * page (`useIncognitoPages`), and whatever proxy configuration and hooks are given.
 */
export async function crawlWithCrawlee(
  urls: string[],
  setup: {
    proxyConfiguration: ProxyConfiguration;
    preNavigationHooks?: Array<(context: never, gotoOptions?: never) => unknown>;
    postNavigationHooks?: Array<(context: never) => unknown>;
    errorHandler?: (context: never, error: Error) => unknown;
    failedRequestHandler?: (context: never, error: Error) => unknown;
  },
  options: CrawleeRunOptions,
): Promise<CrawleeRun> {
  let fetched = 0;
  let failed = 0;
  let attempts = 0;
  const proxies: string[] = [];
  const sessions: Array<string | undefined> = [];
  const trace: CrawleeAttempt[] = [];
  /** Each request's attempt in progress (Crawlee hands the same Request object to newUrl and to the hooks). */
  const current = new WeakMap<object, CrawleeAttempt>();
  let start = performance.now();
  const now = () => Math.round(performance.now() - start);
  const settle = (context: TracedContext, error?: Error) => {
    const attempt = current.get(context.request);
    if (attempt && attempt.settledAt === undefined) {
      attempt.settledAt = now();
      if (error) attempt.error = error.message.split('\n')[0]?.slice(0, 160);
    }
  };
  if (options.trace) {
    // Times newUrl (the bridge's pre-flight checks happen in there) without changing what it returns.
    const configuration = setup.proxyConfiguration as unknown as {
      newProxyInfo(sessionId: unknown, opts?: { request?: { url: string } }): Promise<{ url: string } | undefined>;
    };
    const newProxyInfo = configuration.newProxyInfo.bind(configuration);
    configuration.newProxyInfo = async (sessionId, opts) => {
      const request = opts?.request;
      const attempt: CrawleeAttempt | undefined = request ? { url: request.url, askedAt: now() } : undefined;
      if (request && attempt) {
        current.set(request, attempt);
        trace.push(attempt);
      }
      try {
        const info = await newProxyInfo(sessionId, opts);
        if (attempt) Object.assign(attempt, { proxy: info?.url, proxyAt: now() });
        return info;
      } catch (error) {
        if (attempt) Object.assign(attempt, { proxyAt: now(), settledAt: now(), error: `newUrl: ${(error as Error).message}` });
        throw error;
      }
    };
  }
  const common = {
    proxyConfiguration: setup.proxyConfiguration,
    maxConcurrency: options.concurrency,
    minConcurrency: options.concurrency,
    maxRequestRetries: options.maxRequestRetries ?? 8,
    navigationTimeoutSecs: options.navigationTimeoutSecs,
    requestHandlerTimeoutSecs: 30,
    browserPoolOptions: { useFingerprints: false },
    preNavigationHooks: [
      (context: TracedContext) => {
        attempts++;
        if (context.proxyInfo) proxies.push(context.proxyInfo.url);
        sessions.push(context.session?.id);
        const attempt = current.get(context.request);
        if (attempt) attempt.navigationAt = now();
      },
      ...((setup.preNavigationHooks ?? []) as never[]),
    ],
    postNavigationHooks: [
      (context: TracedContext) => {
        settle(context);
        const attempt = current.get(context.request);
        if (attempt) attempt.status = context.response?.status();
      },
      ...((setup.postNavigationHooks ?? []) as never[]),
    ],
    errorHandler: async (context: TracedContext, error: Error) => {
      settle(context, error);
      await setup.errorHandler?.(context as never, error);
    },
    failedRequestHandler: async (context: TracedContext, error: Error) => {
      settle(context, error);
      failed++;
      await setup.failedRequestHandler?.(context as never, error);
    },
    ...(options.sessionPoolOptions ? { sessionPoolOptions: options.sessionPoolOptions } : {}),
    requestHandler: async (context: TracedContext & { page: { title(): Promise<string> }; session?: { id: string; retire(): void } }) => {
      await context.page.title();
      fetched++;
      const attempt = current.get(context.request);
      if (attempt) attempt.doneAt = now();
      await options.onPage?.(context);
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
  start = performance.now();
  await crawler.run(urls);
  await crawler.teardown();
  return { fetched, failed, seconds: (performance.now() - start) / 1000, attempts, proxies, sessions, trace };
}
