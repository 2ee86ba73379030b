export { type CrawleeBridge, type CrawleeBridgeOptions, crawleeBridge } from './bridge.js';
