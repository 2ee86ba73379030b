import { type NavigationReport, NavigationTracker, type ProxyRoute, responseTrackerOptions } from '@proxy-pool/browser';
import type { Classification } from '@proxy-pool/core';
import type { BrowserContext, HTTPRequest, HTTPResponse, Page } from 'puppeteer-core';
import { classify } from './classify.js';

/** Decides whether a 2xx main-frame response is a block page. Return a reason, or true/false. */
export type BlockDetector = (response: HTTPResponse, page: Page) => Promise<boolean | string | undefined> | boolean | string | undefined;

export interface TrackOptions {
  report: (report: NavigationReport) => void;
  navigationTimeoutMs: number;
  isBlocked?: BlockDetector | undefined;
  detectBlocks?: boolean;
  /** Runs on every page before it is used (proxy credentials). */
  preparePage?: (page: Page) => Promise<void>;
  /** A relay in front of the proxy: its own answers are read back into the upstream's kinds. */
  route?: Pick<ProxyRoute, 'refineStatus' | 'refineError' | 'reviewStatus'> | undefined;
}

export interface ContextTracking {
  tracker: NavigationTracker<Page, HTTPRequest, HTTPResponse>;
  /** Watches a page (idempotent); resolves once the page is ready to navigate. */
  attach(page: Page): Promise<void>;
}

/**
 * Feeds core's navigation tracker from Puppeteer's events, for every page of the context:
 * pages made with `context.newPage()` are ready before it returns; pages the site opens
 * (popups, `window.open`) are picked up as their targets appear.
 */
export function trackContext(context: BrowserContext, options: TrackOptions): ContextTracking {
  const tracker = new NavigationTracker<Page, HTTPRequest, HTTPResponse>({
    report: options.report,
    navigationTimeoutMs: options.navigationTimeoutMs,
    isBlocked: options.isBlocked,
    detectBlocks: options.detectBlocks,
    classifyResponse: (response) => options.route?.refineStatus?.(response.status()) ?? classify(response),
    reviewResponse: (response) => options.route?.reviewStatus?.(response.status(), response.url()),
    classifyErrorText: (errorText): Classification | undefined => options.route?.refineError?.(errorText) ?? classify(new Error(errorText)),
    ...responseTrackerOptions<HTTPResponse>(),
  });
  const attached = new WeakMap<Page, Promise<void>>();
  const attach = (page: Page): Promise<void> => {
    const existing = attached.get(page);
    if (existing) return existing;
    const isMainFrameNavigation = (request: HTTPRequest) => {
      try {
        return request.isNavigationRequest() && request.frame() === page.mainFrame();
      } catch {
        return false;
      }
    };
    page.on('request', (request) => {
      if (!isMainFrameNavigation(request)) return;
      const chain = request.redirectChain();
      tracker.request(page, request, request.url(), chain.length > 0 ? chain[chain.length - 1] : undefined);
    });
    page.on('response', (response) => tracker.response(page, response.request(), response));
    page.on('requestfinished', (request) => tracker.finished(page, request, request.response() ?? undefined));
    page.on('requestfailed', (request) => tracker.failed(page, request, request.failure()?.errorText ?? ''));
    page.on('close', () => tracker.abandon(page));
    const ready = (options.preparePage?.(page) ?? Promise.resolve()).catch(() => undefined);
    attached.set(page, ready);
    return ready;
  };
  context.on('targetcreated', (target) => {
    void target.page().then(
      (page) => (page ? attach(page) : undefined),
      () => undefined,
    );
  });
  // Pages made through the context are watched (and their credentials set) before the caller gets them.
  const newPage = context.newPage.bind(context);
  context.newPage = async (...args: Parameters<BrowserContext['newPage']>) => {
    const page = await newPage(...args);
    await attach(page);
    return page;
  };
  return { tracker, attach };
}
