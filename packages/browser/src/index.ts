export { AdaptiveTimeout } from './adaptive-timeout.js';
export { type BrowserSession, type RunInSessionsOptions, type SessionTaskContext, runInSessions } from './attempt-runner.js';
export { BLOCK_PAGE_MAX_BYTES, detectBlockPage } from './block-page.js';
export { chromiumNetError, classifyChromiumError } from './chromium.js';
export { classifyFirefoxError, firefoxNetError } from './firefox.js';
export { classifyBrowserError } from './classify-browser-error.js';
export { type NavigationReport, NavigationTracker, type NavigationTrackerOptions } from './navigation-tracker.js';
export {
  type AdapterOptions,
  type BaseRunOptions,
  type ContextLeaseOptions,
  type OpenedContext,
  PooledBrowserBase,
  type PooledBrowserBaseOptions,
} from './pooled-browser-base.js';
export { needsPreflight, PREFLIGHT_TRUST_MS, preflight } from './preflight.js';
export {
  type ProxyRoute,
  RelayManager,
  SocksRelay,
  classifyRelayStatus,
  relayUpstreamUrl,
  classifyUpstreamFailure,
  needsRelay,
} from './relay/index.js';
export { type PreflightOrigin, preflightOrigin } from './preflight-origin.js';
export { type ResponseLike, classifyResponseLike, isResponseLike, responseTrackerOptions } from './response-like.js';
export type { WaitOptions } from './waiting.js';
