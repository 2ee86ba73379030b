export { ProxyFarm, type FarmOptions } from './farm.js';
export { FarmProxy, type ProxyMode, type ProxySpec } from './farm-proxy.js';
export { FarmRegistry, resolveFarmHost } from './registry.js';
export { TargetSite, type SeenRequest } from './target-site.js';
export { Socks5Server } from './socks5-server.js';
