import type { ResponseLike } from './navigation-outcome.js';

/** A response as Playwright and Puppeteer both have it, with the request and frame it belongs to. */
interface FrameResponse extends ResponseLike {
  request(): { isNavigationRequest(): boolean };
  frame(): unknown;
}

/** Playwright's and Puppeteer's `Page`, as far as responses go. */
export interface ResponsePage {
  on?(event: 'response', listener: (response: FrameResponse) => void): unknown;
  off?(event: 'response', listener: (response: FrameResponse) => void): unknown;
  mainFrame?(): unknown;
}

/**
 * The last main-frame navigation response of a page, while watched. When `page.goto` throws,
 * Crawlee's context has no response, yet one may have come: a proxy's own 502 or 407 with an
 * empty body makes Chromium fail the navigation (`ERR_HTTP_RESPONSE_CODE_FAILURE`, which says
 * nothing of whose fault it was), and only the response's status and the proxy's labels on it
 * (`Proxy-Status`, `Via`) tell. The adapters' navigation tracker reads it the same way.
 */
export class MainFrameResponse {
  readonly #page: ResponsePage;
  readonly #listener: (response: FrameResponse) => void;
  #last: ResponseLike | undefined;

  private constructor(page: ResponsePage) {
    this.#page = page;
    this.#listener = (response) => {
      try {
        if (response.request().isNavigationRequest() && response.frame() === page.mainFrame?.()) this.#last = response;
      } catch {
        // A response without a frame (a service worker's): not the page's navigation.
      }
    };
    page.on?.('response', this.#listener);
  }

  /** Watches `page`, or undefined when it is not a page that tells its responses. */
  static watch(page: ResponsePage | undefined): MainFrameResponse | undefined {
    return page && typeof page.on === 'function' && typeof page.mainFrame === 'function' ? new MainFrameResponse(page) : undefined;
  }

  get last(): ResponseLike | undefined {
    return this.#last;
  }

  stop(): void {
    this.#page.off?.('response', this.#listener);
  }
}
