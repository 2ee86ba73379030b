import { chromiumNetError, classifyBrowserError, classifyChromiumError, classifyResponseLike, isResponseLike } from '@proxy-pool/browser';
import type { Classification } from '@proxy-pool/core';

/**
 * What a Puppeteer error or main-frame response says about the proxy; undefined for a
 * response that is a success. Exported for code that navigates its own way.
 *
 * As with Playwright, plus Puppeteer's own forms: `TimeoutError` ("Navigation timeout of N ms
 * exceeded"), a download reported as `net::ERR_ABORTED` (→ `client`), a 407 that arrives as an
 * ordinary response (→ `proxy_auth`), and a closed target or session (→ `client`). Firefox's
 * errors come over WebDriver BiDi wrapped as "Protocol error (browsingContext.navigate): unknown
 * error Error: NS_ERROR_…" and are read by their NS_ERROR code (the browser kit's Firefox table);
 * a page closed mid-navigation there is a `TargetCloseError` ("Frame detached").
 */
export function classify(input: unknown): Classification | undefined {
  if (isResponseLike(input)) return classifyResponseLike(input);
  if (typeof input !== 'object' || input === null) return classifyBrowserError(input);
  const error = input as Error;
  const message = error.message ?? '';
  if (/Browser disconnected|Connection closed|Target crashed|Page crashed|browser has disconnected/i.test(message)) {
    return { kind: 'client', retry: true, evidence: 'the browser crashed or disconnected' };
  }
  // Firefox, loaded, now and then fails to open a page ("Protocol error (browsingContext.create):
  // no such frame DiscardedBrowsingContextError"): the browser's hiccup, worth another attempt.
  if (/\(browsingContext\.create\)/.test(message)) {
    return { kind: 'client', retry: true, evidence: 'the browser could not open a page' };
  }
  if (
    error.name === 'TargetCloseError' ||
    /Target closed|Session closed|detached Frame|Frame detached|Navigating frame was detached|Execution context was destroyed|no such frame|DiscardedBrowsingContext/i.test(
      message,
    )
  ) {
    return { kind: 'client', evidence: 'closed or interrupted by the caller' };
  }
  if (chromiumNetError(message)) return classifyChromiumError(message);
  if (error.name === 'TimeoutError') return { kind: 'timeout', evidence: message.split('\n')[0] };
  return classifyBrowserError(error);
}
