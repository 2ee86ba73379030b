import type { Classification, Outcome } from '@proxy-pool/core';
import { detectBlockPage } from './block-page.js';

/**
 * The library-independent half of a browser adapter: it follows main-frame navigations
 * from the events an adapter feeds it (Playwright's and Puppeteer's are alike), and reports
 * each one's outcome exactly once, timed and classified. Frames, subresources, downloads and
 * the caller's own aborts are never reported. Keys (`P` for pages, `R` for requests,
 * `S` for responses) are the library's own objects; the tracker never looks inside them.
 */
export interface NavigationReport {
  url: string;
  outcome: Outcome;
  classification: Classification | undefined;
}

export interface NavigationTrackerOptions<P, S> {
  /** Reports each main-frame navigation's outcome, exactly once. */
  report: (report: NavigationReport) => void;
  /** A navigation with no answer after this long is reported as a timeout. */
  navigationTimeoutMs: number;
  /** What a response says (undefined for a success). */
  classifyResponse: (response: S) => Classification | undefined;
  /**
   * A second look at a finished navigation's response that needs I/O (a relay's 599 says only
   * that its upstream failed: the relay asks the upstream). Undefined keeps `classifyResponse`'s verdict.
   */
  reviewResponse?:
    | ((response: S, classification: Classification | undefined) => Promise<Classification | undefined> | undefined)
    | undefined;
  /** Turns a Chromium error text (`net::ERR_…`) into a kind. */
  classifyErrorText: (errorText: string) => Classification | undefined;
  /** Decides whether a successful-looking response is a block page; the default reads small documents. */
  isBlocked?: ((response: S, page: P) => Promise<boolean | string | undefined> | boolean | string | undefined) | undefined;
  /** For the default block-page check: the response's content type, length and text. */
  document: { contentType(response: S): string; contentLength(response: S): number | undefined; text(response: S): Promise<string> };
  /** Whether to look for block pages at all. @default true */
  detectBlocks?: boolean;
  /** A redirect response: the next request continues the navigation. */
  isRedirect: (response: S) => boolean;
}

interface Navigation<R, S> {
  request: R;
  url: string;
  start: number;
  response: S | undefined;
  timer: ReturnType<typeof setTimeout> | undefined;
  done: boolean;
  /** The document arrived; only the block-page check is left: closing must not lose the report. */
  finishing: boolean;
}

export class NavigationTracker<P extends object, R extends object, S extends object> {
  readonly #options: NavigationTrackerOptions<P, S>;
  readonly #navigations = new Map<P, Navigation<R, S>>();
  readonly #evaluating = new Set<Promise<void>>();
  /** Requests already begun: an adapter may begin one from a later event that came first, and its own `request` event then says nothing new. */
  readonly #begun = new WeakSet<R>();
  #last: NavigationReport | undefined;
  #closed = false;

  constructor(options: NavigationTrackerOptions<P, S>) {
    this.#options = options;
  }

  /** The last navigation reported (since `forgetLast`). */
  get last(): NavigationReport | undefined {
    return this.#last;
  }

  forgetLast(): void {
    this.#last = undefined;
  }

  /** A main-frame navigation request (the adapter has checked it is one). */
  request(page: P, request: R, url: string, redirectedFrom: R | undefined): void {
    if (this.#closed || this.#begun.has(request)) return;
    this.#begun.add(request);
    const previous = this.#navigations.get(page);
    if (previous && !previous.done && redirectedFrom !== undefined && redirectedFrom === previous.request) {
      previous.request = request; // the same navigation, redirected
      previous.response = undefined;
      return;
    }
    if (previous && !previous.done && !previous.finishing) this.#settle(previous, undefined); // superseded by the caller
    const navigation: Navigation<R, S> = {
      request,
      url,
      start: performance.now(),
      response: undefined,
      timer: undefined,
      done: false,
      finishing: false,
    };
    navigation.timer = setTimeout(() => {
      if (!navigation.done && !navigation.finishing) {
        this.#settle(navigation, { kind: 'timeout', evidence: `no answer in ${this.#options.navigationTimeoutMs} ms` });
      }
    }, this.#options.navigationTimeoutMs);
    (navigation.timer as { unref?: () => void }).unref?.();
    this.#navigations.set(page, navigation);
  }

  #current(page: P, request: R): Navigation<R, S> | undefined {
    const navigation = this.#navigations.get(page);
    return navigation && !navigation.done && navigation.request === request ? navigation : undefined;
  }

  /** Whether `request` is the page's main-frame navigation in flight (adapters skip work for every other request). */
  isTracking(page: P, request: R): boolean {
    return this.#current(page, request) !== undefined;
  }

  response(page: P, request: R, response: S): void {
    const navigation = this.#current(page, request);
    if (navigation) navigation.response = response;
  }

  /**
   * The request's response body has arrived. `response` may be a promise (Playwright's
   * `request.response()` is a round trip): `idle()` waits for it from now on, so a task that
   * returns meanwhile still sees this navigation's verdict.
   */
  finished(page: P, request: R, response: S | undefined | PromiseLike<S | undefined>): void {
    if (!this.isTracking(page, request)) return;
    const evaluation = Promise.resolve(response)
      .then((late) => this.#finished(page, request, late))
      .catch(() => undefined);
    this.#evaluating.add(evaluation);
    void evaluation.finally(() => this.#evaluating.delete(evaluation));
  }

  async #finished(page: P, request: R, late: S | undefined): Promise<void> {
    const navigation = this.#current(page, request);
    if (!navigation) return;
    const response = navigation.response ?? late;
    if (!response || this.#options.isRedirect(response)) return;
    navigation.finishing = true;
    if (navigation.timer) clearTimeout(navigation.timer);
    let classification = this.#options.classifyResponse(response);
    const review = this.#options.reviewResponse?.(response, classification);
    if (review) classification = (await review) ?? classification;
    if (!classification) {
      const blocked = await this.#blockReason(response, page);
      if (blocked) classification = { kind: 'blocked', evidence: blocked };
    }
    if (!navigation.done) this.#settle(navigation, classification ?? null);
  }

  async #blockReason(response: S, page: P): Promise<string | undefined> {
    try {
      if (this.#options.isBlocked) {
        const verdict = await this.#options.isBlocked(response, page);
        return verdict ? (typeof verdict === 'string' ? verdict : 'isBlocked') : undefined;
      }
      if (this.#options.detectBlocks === false) return undefined;
      const { document } = this.#options;
      const type = document.contentType(response);
      if (type && !/html|text/i.test(type)) return undefined;
      if ((document.contentLength(response) ?? 0) > 256 * 1024) return undefined;
      return detectBlockPage(await document.text(response));
    } catch {
      return undefined; // the page moved on before we could read it
    }
  }

  failed(page: P, request: R, errorText: string): void {
    const navigation = this.#current(page, request);
    if (!navigation) return;
    // A 407 (or other status) that made the navigation fail says more than the error code.
    const fromResponse = navigation.response ? this.#options.classifyResponse(navigation.response) : undefined;
    const classification = fromResponse ?? this.#options.classifyErrorText(errorText) ?? { kind: 'unknown', evidence: errorText };
    this.#settle(navigation, classification);
  }

  /** A download started, or the page closed: the navigation in flight says nothing about the proxy. */
  abandon(page: P): void {
    const navigation = this.#navigations.get(page);
    if (navigation && !navigation.done && !navigation.finishing) this.#settle(navigation, undefined);
    if (navigation?.timer) clearTimeout(navigation.timer);
  }

  /** Resolves when every navigation whose document arrived has been reported. */
  async idle(): Promise<void> {
    while (this.#evaluating.size > 0) await Promise.all([...this.#evaluating]);
  }

  /**
   * Ends a navigation: `null` is a success, a classification a failure, `undefined` says
   * nothing about the proxy (superseded, aborted, a download) and is not reported.
   */
  #settle(navigation: Navigation<R, S>, classification: Classification | null | undefined): void {
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

  /** Ends navigations still waiting for an answer as `classification` (e.g. the caller's goto timed out). */
  settlePending(classification: Classification | undefined): void {
    for (const navigation of this.#navigations.values()) {
      if (!navigation.done && !navigation.finishing) this.#settle(navigation, classification);
    }
  }

  close(): void {
    this.settlePending(undefined);
    this.#closed = true;
  }
}
