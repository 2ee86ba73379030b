export { classify } from './classify.js';
export { FIREFOX_LOOPBACK_PREFS } from './firefox/options.js';
export { answerProxyAuth } from './proxy-auth.js';
export {
  type LaunchOptions,
  type NewContextOptions,
  PooledBrowser,
  type PooledBrowserOptions,
  type RunContext,
  type RunOptions,
  withProxyPool,
} from './pooled-browser.js';
export { proxyOf } from './proxy-of.js';
export { type BlockDetector, type ContextTracking, trackContext } from './track-context.js';
