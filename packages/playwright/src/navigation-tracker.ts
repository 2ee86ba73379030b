import { type Classification, type Outcome, detectBlockPage } from '@proxy-pool/core';
import type { BrowserContext, Page, Request, Response } from 'playwright-core';
import { classify } from './classify.js';

/** Decides whether a successful-looking main-frame response is a block page. Return a reason, or true/false. */
export type BlockDetector = (response: Response, page: Page) => Promise<boolean | string | undefined> | boolean | string | undefined;

export interface NavigationReport {
  url: string;
  outcome: Outcome;
  classification: Classification | undefined;
}

interface Navigation {
  request: Request;
  url: string;
  start: number;
  response: Response | undefined;
  timer: NodeJS.Timeout | undefined;
  done: boolean;
  /** The document arrived; only the block-page check is left, and closing the context must not lose the report. */
  finishing: boolean;
}

export interface TrackerOptions {
  /** Reports each main-frame navigation's outcome, exactly once. */
  report: (report: NavigationReport) => void;
  isBlocked: BlockDetector | undefined;
  /** A navigation with no answer after this long is reported as a timeout. */
  navigationTimeoutMs: number;
  /** Whether to read small 2xx documents to look for block pages. */
  detectBlocks: boolean;
}

/**
 * Watches every main-frame navigation of every page of a context (popups included) and
 * reports each one's outcome once: timed, classified, with the target's URL. Frames,
 * subresources, downloads and aborts (the caller's own doing) are not reported.
 */
export class NavigationTracker {
  readonly #options: TrackerOptions;
  readonly #navigations = new Map<Page, Navigation>();
  readonly #evaluating = new Set<Promise<void>>();
  #last: NavigationReport | undefined;
  #closed = false;

  constructor(context: BrowserContext, options: TrackerOptions) {
    this.#options = options;
    for (const page of context.pages()) this.#attach(page);
    context.on('page', (page) => this.#attach(page));
  }

  /** The last navigation reported in this context. */
  get last(): NavigationReport | undefined {
    return this.#last;
  }

  #attach(page: Page): void {
    page.on('request', (request) => this.#onRequest(page, request));
    page.on('response', (response) => this.#onResponse(page, response));
    page.on('requestfinished', (request) => {
      const evaluation = this.#onFinished(page, request).catch(() => undefined);
      this.#evaluating.add(evaluation);
      void evaluation.finally(() => this.#evaluating.delete(evaluation));
    });
    page.on('requestfailed', (request) => this.#onFailed(page, request));
    page.on('download', () => this.#drop(page));
    page.on('close', () => this.#drop(page));
  }

  #isMainFrameNavigation(page: Page, request: Request): boolean {
    try {
      return request.isNavigationRequest() && request.frame() === page.mainFrame();
    } catch {
      return false; // service-worker requests have no frame
    }
  }

  #onRequest(page: Page, request: Request): void {
    if (this.#closed || !this.#isMainFrameNavigation(page, request)) return;
    const previous = this.#navigations.get(page);
    if (previous && !previous.done && request.redirectedFrom() === previous.request) {
      previous.request = request; // the same navigation, redirected
      previous.response = undefined;
      return;
    }
    if (previous && !previous.done) this.#settle(previous, undefined); // superseded: the caller navigated away
    const navigation: Navigation = {
      request,
      url: request.url(),
      start: performance.now(),
      response: undefined,
      timer: undefined,
      done: false,
      finishing: false,
    };
    navigation.timer = setTimeout(() => this.#timeout(navigation), this.#options.navigationTimeoutMs);
    navigation.timer.unref();
    this.#navigations.set(page, navigation);
  }

  #current(page: Page, request: Request): Navigation | undefined {
    const navigation = this.#navigations.get(page);
    return navigation && !navigation.done && navigation.request === request ? navigation : undefined;
  }

  #onResponse(page: Page, response: Response): void {
    const navigation = this.#current(page, response.request());
    if (navigation) navigation.response = response;
  }

  async #onFinished(page: Page, request: Request): Promise<void> {
    const navigation = this.#current(page, request);
    if (!navigation) return;
    const response = navigation.response ?? (await request.response().catch(() => null)) ?? undefined;
    if (!response) return;
    const status = response.status();
    if (status >= 300 && status < 400 && response.headers().location) return; // a redirect: the next request continues it
    navigation.finishing = true;
    if (navigation.timer) clearTimeout(navigation.timer);
    let classification = classify(response);
    if (!classification) {
      const blocked = await this.#blockReason(response, page);
      if (blocked) classification = { kind: 'blocked', status, evidence: blocked };
    }
    if (navigation.done) return;
    this.#settle(navigation, classification ?? null);
  }

  async #blockReason(response: Response, page: Page): Promise<string | undefined> {
    try {
      if (this.#options.isBlocked) {
        const verdict = await this.#options.isBlocked(response, page);
        if (verdict) return typeof verdict === 'string' ? verdict : 'isBlocked';
        return undefined;
      }
      if (!this.#options.detectBlocks) return undefined;
      const type = response.headers()['content-type'] ?? '';
      if (type && !/html|text/i.test(type)) return undefined;
      const length = Number(response.headers()['content-length'] ?? Number.NaN);
      if (length > 256 * 1024) return undefined;
      return detectBlockPage(await response.text());
    } catch {
      return undefined; // the page moved on before we could read it
    }
  }

  #onFailed(page: Page, request: Request): void {
    const navigation = this.#current(page, request);
    if (!navigation) return;
    const errorText = request.failure()?.errorText ?? '';
    // A 407 (or other status) that made the navigation fail: the response tells more than the code.
    const fromResponse = navigation.response ? classify(navigation.response) : undefined;
    const classification = fromResponse ?? classify(new Error(errorText));
    this.#settle(navigation, classification ?? { kind: 'unknown', evidence: errorText });
  }

  #timeout(navigation: Navigation): void {
    if (!navigation.done) this.#settle(navigation, { kind: 'timeout', evidence: `no answer in ${this.#options.navigationTimeoutMs} ms` });
  }

  #drop(page: Page): void {
    const navigation = this.#navigations.get(page);
    if (navigation && !navigation.done && !navigation.finishing) this.#settle(navigation, undefined);
    if (navigation?.timer) clearTimeout(navigation.timer);
  }

  /** Resolves when every navigation whose document has arrived has been reported. */
  async idle(): Promise<void> {
    while (this.#evaluating.size > 0) await Promise.all([...this.#evaluating]);
  }

  /**
   * Ends a navigation: `null` is a success, a classification a failure, `undefined` says
   * nothing about the proxy (superseded, aborted, a download) and is not reported.
   */
  #settle(navigation: Navigation, classification: Classification | null | undefined): void {
    navigation.done = true;
    if (navigation.timer) clearTimeout(navigation.timer);
    if (classification === undefined || (this.#closed && !navigation.finishing)) return;
    if (classification !== null && classification.kind === 'client') return;
    const latencyMs = Math.round(performance.now() - navigation.start);
    const outcome: Outcome =
      classification === null
        ? { ok: true, latencyMs }
        : { ok: false, kind: classification.kind, status: classification.status, retryAfterMs: classification.retryAfterMs, latencyMs };
    const report: NavigationReport = { url: navigation.url, outcome, classification: classification ?? undefined };
    this.#last = report;
    this.#options.report(report);
  }

  /** Ends any navigation still in flight as `kind` (e.g. the caller's goto timed out), then stops. */
  settlePending(classification: Classification | undefined): void {
    for (const navigation of this.#navigations.values())
      if (!navigation.done && !navigation.finishing) this.#settle(navigation, classification);
  }

  close(): void {
    this.settlePending(undefined);
    this.#closed = true;
  }
}
