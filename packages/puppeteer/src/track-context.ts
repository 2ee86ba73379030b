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
  /** The pages are Firefox's, whose navigations end differently in places (see `firefoxResponse`). */
  firefox?: boolean | undefined;
}

/**
 * What a Firefox main-frame response means before its navigation ends, where Firefox's way
 * differs from Chromium's (measured, docs/firefox.md):
 * - a 401 or 407 leaves Firefox waiting on a credentials dialog nobody answers (Chromium fails
 *   the navigation at once): the response decides now (`blocked`, `proxy_auth`);
 * - a download never ends the navigation (Chromium aborts it): nothing to report, as in Chromium;
 * - bytes that are not HTTP come as an HTTP/0.9 200 without a single header (Chromium says
 *   ERR_INVALID_HTTP_RESPONSE): the proxy's error.
 */
function firefoxResponse(response: HTTPResponse): 'settle' | 'abandon' | Classification | undefined {
  const status = response.status();
  if (status === 401 || status === 407) return 'settle';
  const headers = response.headers();
  if (/^\s*attachment/i.test(headers['content-disposition'] ?? '')) return 'abandon';
  if (status === 200 && Object.keys(headers).length === 0) {
    return { kind: 'proxy_error', evidence: 'an answer that is not HTTP (Firefox read it as HTTP/0.9)' };
  }
  return undefined;
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
    classifyResponse: (response) => {
      const refined = options.route?.refineStatus?.(response.status());
      if (refined) return refined;
      const firefox = options.firefox ? firefoxResponse(response) : undefined;
      return typeof firefox === 'object' ? firefox : classify(response);
    },
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
    const begin = (request: HTTPRequest) => {
      const chain = request.redirectChain();
      tracker.request(page, request, request.url(), chain.length > 0 ? chain[chain.length - 1] : undefined);
    };
    /**
     * A navigation's later events can come before its `request` event: on a loaded machine,
     * Puppeteer 22 emitted a refused proxy's `requestfailed` first in 12 of 40 navigations, and
     * the failure went unreported. Such an event begins the navigation's tracking (the tracker
     * ignores the late `request` event of a request it has seen).
     */
    const follow = (request: HTTPRequest) => {
      if (!tracker.isTracking(page, request) && isMainFrameNavigation(request)) begin(request);
    };
    page.on('request', (request) => {
      if (isMainFrameNavigation(request)) begin(request);
    });
    page.on('response', (response) => {
      const request = response.request();
      follow(request);
      tracker.response(page, request, response);
      if (!options.firefox || !tracker.isTracking(page, request)) return;
      const early = firefoxResponse(response);
      if (early === 'settle') tracker.failed(page, request, '');
      else if (early === 'abandon') tracker.abandon(page);
    });
    page.on('requestfinished', (request) => {
      follow(request);
      tracker.finished(page, request, request.response() ?? undefined);
    });
    page.on('requestfailed', (request) => {
      follow(request);
      tracker.failed(page, request, request.failure()?.errorText ?? '');
    });
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
