export { ChildServer, freePort } from './child-server.js';
export { NxdomainDns } from './dns-nxdomain.js';
export { type SquidOptions, startSquid } from './squid.js';
export { type TinyproxyOptions, startTinyproxy } from './tinyproxy.js';
export { startMicrosocks } from './microsocks.js';
