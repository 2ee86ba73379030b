export { type ProxyRoute, RelayManager, needsRelay } from './relay-manager.js';
export { classifyRelayStatus, classifyUpstreamFailure } from './relay-verdicts.js';
export { SocksRelay, relayUpstreamUrl } from './socks-relay.js';
