import { chromiumNetError, classifyBrowserError, classifyChromiumError, classifyResponseLike, isResponseLike } from '@proxy-pool/browser';
import type { Classification } from '@proxy-pool/core';

/**
 * What a Playwright error or main-frame response says about the proxy, as a failure kind;
 * undefined for a response that is a success. Exported for code that navigates its own way:
 *
 *   try { const r = await page.goto(url); const c = classify(r); … } catch (e) { classify(e) }
 *
 * - `net::ERR_…` codes as Chromium 156 reports them (proxy refused, tunnel failed, reset, auth…)
 * - Playwright's `TimeoutError` → `timeout`
 * - responses: 407 → `proxy_auth`; 401/403 → `blocked`; 429 → `rate_limited`; a proxy's own
 *   502/503/504 → `proxy_error`; the target's 4xx/5xx → `target_error`
 * - "Download is starting", aborts, a closed page → `client` (nobody's proxy's fault)
 * - a browser that crashed or disconnected → `client`, retried
 */
export function classify(input: unknown): Classification | undefined {
  if (isResponseLike(input)) return classifyResponseLike(input);
  if (!(input instanceof Error) && (typeof input !== 'object' || input === null)) return classifyBrowserError(input);
  const error = input as Error;
  const message = error.message ?? '';
  if (/Download is starting/i.test(message)) return { kind: 'client', evidence: 'download' };
  if (/Browser has been closed|browser has disconnected|Target crashed|Page crashed/i.test(message)) {
    return { kind: 'client', retry: true, evidence: 'the browser crashed or disconnected' };
  }
  if (/Target page, context or browser has been closed|Navigation interrupted|frame was detached/i.test(message)) {
    return { kind: 'client', evidence: 'closed or interrupted by the caller' };
  }
  if (/Browser does not support socks5 proxy authentication/i.test(message)) {
    return { kind: 'proxy_auth', evidence: 'Chromium cannot authenticate to SOCKS5 proxies' };
  }
  const code = chromiumNetError(message);
  if (code === 'ERR_HTTP_RESPONSE_CODE_FAILURE') return { kind: 'unknown', evidence: code }; // the response says more; see the tracker
  if (code) return classifyChromiumError(message);
  if (error.name === 'TimeoutError') return { kind: 'timeout', evidence: message.split('\n')[0] };
  return classifyBrowserError(error);
}
