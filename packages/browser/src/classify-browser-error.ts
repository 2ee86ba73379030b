import { AttemptFailedError, type Classification, classifyError } from '@proxy-pool/core';
import { classifyChromiumError } from './chromium.js';
import { classifyFirefoxError } from './firefox.js';

/** How deep a `cause` chain is followed for a browser's message (as core's classifier does). */
const MAX_CAUSE_DEPTH = 5;

/**
 * Core's `classifyError` with Chromium's and Firefox's error tables in front of it: a
 * `net::ERR_…` or `NS_ERROR_…` message (on the error or down its `cause` chain) decides the
 * kind, anything else goes to core.
 * Core knows Node's and undici's errors and HTTP statuses only (it has no browser code);
 * give this to `pool.executeWithRetry(task, { classify: classifyBrowserError })` when the
 * task drives a browser itself. The adapters' `classify` and `run()` already use it.
 */
export function classifyBrowserError(error: unknown): Classification {
  if (!(error instanceof AttemptFailedError)) {
    let current: unknown = error;
    for (let depth = 0; depth <= MAX_CAUSE_DEPTH && typeof current === 'object' && current !== null; depth++) {
      const message = (current as { message?: unknown }).message;
      const browser = typeof message === 'string' ? (classifyChromiumError(message) ?? classifyFirefoxError(message)) : undefined;
      if (browser) return browser;
      current = (current as { cause?: unknown }).cause;
    }
  }
  return classifyError(error);
}
