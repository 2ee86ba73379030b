export { classify } from './classify.js';
export { type BlockDetector, trackContext } from './track-context.js';
export {
  type NewContextOptions,
  PooledBrowser,
  type PooledBrowserOptions,
  type RunContext,
  type RunOptions,
  withProxyPool,
} from './pooled-browser.js';
export { proxyOf } from './proxy-of.js';
