export { classify } from './classify.js';
export { type BlockDetector, type NavigationReport, NavigationTracker } from './navigation-tracker.js';
export {
  type NewContextOptions,
  PooledBrowser,
  type PooledBrowserOptions,
  type RunContext,
  type RunOptions,
  withProxyPool,
} from './pooled-browser.js';
export { proxyOf } from './proxy-of.js';
