export { ProxyFarm, type FarmOptions } from './farm.js';
export { FarmProxy, type ProxyMode, type ProxySpec } from './farm-proxy.js';
export { FarmRegistry, resolveFarmHost } from './registry.js';
export { TargetSite, type SeenRequest } from './target-site.js';
export { Socks5Server } from './socks5-server.js';
export { FarmGateway, type GatewayOptions, type GatewayRequest, type GatewayStats } from './gateway.js';
export { type GatewayGrammar, parseGatewayCredentials } from './gateway-credentials.js';
export { EXIT_KINDS, type Exit, type ExitKind } from './gateway-exits.js';
