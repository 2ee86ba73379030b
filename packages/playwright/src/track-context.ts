import { type NavigationReport, NavigationTracker, type ProxyRoute, responseTrackerOptions } from '@proxy-pool/browser';
import type { Classification } from '@proxy-pool/core';
import type { BrowserContext, Page, Request, Response } from 'playwright-core';
import { classify } from './classify.js';

/** Decides whether a 2xx main-frame response is a block page. Return a reason, or true/false. */
export type BlockDetector = (response: Response, page: Page) => Promise<boolean | string | undefined> | boolean | string | undefined;

export interface TrackOptions {
  report: (report: NavigationReport) => void;
  navigationTimeoutMs: number;
  isBlocked?: BlockDetector | undefined;
  detectBlocks?: boolean;
  /** A relay in front of the proxy: its own answers are read back into the upstream's kinds. */
  route?: Pick<ProxyRoute, 'refineStatus' | 'refineError' | 'reviewStatus'> | undefined;
}

/** Feeds core's navigation tracker from Playwright's events, for every page of the context (popups included). */
export function trackContext(context: BrowserContext, options: TrackOptions): NavigationTracker<Page, Request, Response> {
  const tracker = new NavigationTracker<Page, Request, Response>({
    report: options.report,
    navigationTimeoutMs: options.navigationTimeoutMs,
    isBlocked: options.isBlocked,
    detectBlocks: options.detectBlocks,
    classifyResponse: (response) => options.route?.refineStatus?.(response.status()) ?? classify(response),
    reviewResponse: (response) => options.route?.reviewStatus?.(response.status(), response.url()),
    classifyErrorText: (errorText): Classification | undefined => options.route?.refineError?.(errorText) ?? classify(new Error(errorText)),
    ...responseTrackerOptions<Response>(),
  });
  const attach = (page: Page) => {
    const isMainFrameNavigation = (request: Request) => {
      try {
        return request.isNavigationRequest() && request.frame() === page.mainFrame();
      } catch {
        return false; // service-worker requests have no frame
      }
    };
    page.on('request', (request) => {
      if (isMainFrameNavigation(request)) tracker.request(page, request, request.url(), request.redirectedFrom() ?? undefined);
    });
    page.on('response', (response) => tracker.response(page, response.request(), response));
    page.on('requestfinished', (request) => {
      // request.response() is a round trip to the browser: only for the navigation being tracked.
      if (!tracker.isTracking(page, request)) return;
      tracker.finished(
        page,
        request,
        request.response().then((response) => response ?? undefined),
      );
    });
    page.on('requestfailed', (request) => tracker.failed(page, request, request.failure()?.errorText ?? ''));
    page.on('download', () => tracker.abandon(page));
    page.on('close', () => tracker.abandon(page));
  };
  for (const page of context.pages()) attach(page);
  context.on('page', attach);
  return tracker;
}
