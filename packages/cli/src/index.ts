export { type CheckOptions, type CheckResult, checkProxies, usableStatus, verdictOf } from './check.js';
export { FORMATS, type Format, type JsonResult, formatResults, toJsonResult } from './format.js';
export { SESSION_PLACEHOLDER, isGateway, newSessionId, sessionOf } from './gateway.js';
export { byLatency, countVerdicts } from './order.js';
export { proxyLine } from './out-file.js';
export { DEFAULT_URL, DEFAULTS, EXIT, type Io, USAGE, main } from './run.js';
export { VERDICTS } from './verdicts.js';
