import type { Classification } from './classification.js';

/** Headers a forward proxy adds to answers it makes itself (Squid, Envoy, RFC 9209). */
const PROXY_HEADERS = ['x-squid-error', 'proxy-status', 'proxy-agent', 'x-proxy-error'];

/**
 * RFC 9209 `Proxy-Status` error types that describe the far side: the proxy worked, the next
 * hop (the target, or the provider's exit) could not be reached or answered badly. Every other
 * type (`http_request_denied`, `destination_ip_prohibited`, `connection_limit_reached`,
 * `proxy_internal_error`, `proxy_configuration_error`, `proxy_loop_detected`, …) is the proxy's own.
 */
const FAR_SIDE_PROXY_STATUS = new Set([
  'dns_timeout',
  'dns_error',
  'destination_not_found',
  'destination_unavailable',
  'destination_ip_unroutable',
  'connection_refused',
  'connection_terminated',
  'connection_timeout',
  'connection_read_timeout',
  'connection_write_timeout',
  'tls_protocol_error',
  'tls_certificate_error',
  'tls_alert_received',
  'http_response_incomplete',
  'http_response_header_section_size',
  'http_response_header_size',
  'http_response_body_size',
  'http_response_trailer_section_size',
  'http_response_trailer_size',
  'http_response_transfer_coding',
  'http_response_content_coding',
  'http_response_timeout',
  'http_upgrade_failed',
  'http_protocol_error',
]);

/**
 * Squid's error pages (`X-Squid-Error: ERR_… errno`) that report the far side: the origin
 * refused or dropped the connection, its name did not resolve, it timed out. Squid 5.7 reports
 * a name that does not resolve as `ERR_READ_ERROR 0` (502) on a plain GET and `ERR_CANNOT_FORWARD`
 * on CONNECT; a closed port as `ERR_CONNECT_FAIL 111` (503). Every other code (`ERR_ACCESS_DENIED`,
 * `ERR_TOO_BIG`, `ERR_SHUTTING_DOWN`, …) is Squid's own decision.
 */
const FAR_SIDE_SQUID_ERRORS = new Set([
  'ERR_CONNECT_FAIL',
  'ERR_DNS_FAIL',
  'ERR_READ_ERROR',
  'ERR_READ_TIMEOUT',
  'ERR_WRITE_ERROR',
  'ERR_ZERO_SIZE_OBJECT',
  'ERR_CANNOT_FORWARD',
  'ERR_LIFETIME_EXP',
  'ERR_SECURE_CONNECT_FAIL',
  'ERR_GATEWAY_FAILURE',
]);

/** Who a proxy-made error answer says failed: the proxy itself, its credentials, or the far side behind it. */
export interface ProxyAnswer {
  side: 'proxy' | 'auth' | 'far';
  /** The header that said so, for the log (`X-Squid-Error ERR_CONNECT_FAIL 111`). */
  evidence: string;
}

export interface ResponseEvidence {
  status: number;
  /** Lower-case header names. */
  headers?: Record<string, string | undefined>;
  /** Body length in bytes, when known. */
  bodyLength?: number | undefined;
  /** When the response was received (for Retry-After dates). @default Date.now() */
  now?: number;
}

/** Parses Retry-After (seconds or an HTTP date) into milliseconds from now. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * Reads a proxy's own error labels: RFC 9209 `Proxy-Status` with an `error` parameter, Squid's
 * `X-Squid-Error`, and tinyproxy's error pages (`Server: tinyproxy/…` on a 4xx/5xx: tinyproxy
 * passes the target's own `Server` header through, so this one is tinyproxy's; its 500 "Unable
 * to connect" is the far side, its 401 a refused BasicAuth). Undefined when nothing labels the answer.
 */
export function proxyAnswerOf(evidence: ResponseEvidence): ProxyAnswer | undefined {
  const headers = evidence.headers ?? {};
  const proxyStatus = headers['proxy-status'];
  if (proxyStatus !== undefined) {
    // The last member is the proxy nearest to us; its `error` names what went wrong, if anything.
    const members = proxyStatus.split(',');
    const nearest = members[members.length - 1] ?? '';
    const error = /;\s*error\s*=\s*"?([a-z0-9_]+)"?/i.exec(nearest)?.[1]?.toLowerCase();
    if (error) return { side: FAR_SIDE_PROXY_STATUS.has(error) ? 'far' : 'proxy', evidence: `Proxy-Status error=${error}` };
  }
  const squid = headers['x-squid-error'];
  if (squid !== undefined) {
    const code = squid.trim().split(/\s+/)[0]?.toUpperCase() ?? '';
    return { side: FAR_SIDE_SQUID_ERRORS.has(code) ? 'far' : 'proxy', evidence: `X-Squid-Error ${squid.trim()}` };
  }
  const server = headers.server;
  if (server !== undefined && /^tinyproxy\//i.test(server.trim()) && evidence.status >= 400) {
    // tinyproxy 1.11 refuses missing or wrong BasicAuth with 401 and WWW-Authenticate (not 407).
    const side = evidence.status === 401 || evidence.status === 407 ? 'auth' : evidence.status >= 500 ? 'far' : 'proxy';
    return { side, evidence: `${server.trim()} ${evidence.status}` };
  }
  return undefined;
}

/** Whether a response was made by the proxy rather than carried from the target. */
export function looksLikeProxyAnswer(evidence: ResponseEvidence): boolean {
  const headers = evidence.headers ?? {};
  if (proxyAnswerOf(evidence)) return true;
  // A Proxy-Status without an error says the proxy carried the next hop's answer.
  if (PROXY_HEADERS.some((h) => h !== 'proxy-status' && headers[h] !== undefined)) return true;
  return evidence.bodyLength === 0;
}

/**
 * What an HTTP status says about a proxy. Undefined for a success (2xx, 3xx).
 * - 407: the proxy refused our credentials → `proxy_auth` (so does tinyproxy's 401)
 * - an error the proxy labels as the far side's (Squid's `ERR_CONNECT_FAIL`, `Proxy-Status:
 *   …; error=dns_error`, tinyproxy's "Unable to connect"): the proxy worked and the target (or
 *   the exit behind a gateway) did not answer → `tunnel_failed`, ambiguous as the same failure
 *   through a CONNECT tunnel is: charged to the proxy only when others reach that target meanwhile
 * - an error the proxy labels as its own (`ERR_ACCESS_DENIED`, `error=http_request_denied`) → `proxy_error`
 *   (a 429 stays `rate_limited`: a proxy's own rate limit is still one)
 * - 401, 403: the target refuses this client → `blocked`
 * - 429: too many requests from this IP → `rate_limited`, with Retry-After
 * - 502, 503, 504 made by the proxy (proxy headers, empty body) → `proxy_error`; from the target → `target_error`
 * - any other 4xx/5xx: the target's own → `target_error`
 */
export function classifyResponse(evidence: ResponseEvidence): Classification | undefined {
  const { status } = evidence;
  if (status < 400) return undefined;
  const headers = evidence.headers ?? {};
  if (status === 407) return { kind: 'proxy_auth', status, evidence: 'HTTP 407' };
  const retryAfterMs = status === 429 ? parseRetryAfter(headers['retry-after'], evidence.now) : undefined;
  const answer = proxyAnswerOf(evidence);
  if (answer?.side === 'auth') return { kind: 'proxy_auth', status, evidence: `HTTP ${status} from the proxy: ${answer.evidence}` };
  if (answer?.side === 'far')
    return { kind: 'tunnel_failed', status, evidence: `HTTP ${status} from the proxy: ${answer.evidence} (the far side)` };
  if (answer?.side === 'proxy' && status !== 429)
    return { kind: 'proxy_error', status, evidence: `HTTP ${status} from the proxy: ${answer.evidence}` };
  if (status === 401 || status === 403) return { kind: 'blocked', status, evidence: `HTTP ${status}` };
  if (status === 429) return { kind: 'rate_limited', status, retryAfterMs, evidence: 'HTTP 429' };
  if ((status === 502 || status === 503 || status === 504) && looksLikeProxyAnswer(evidence)) {
    return { kind: 'proxy_error', status, evidence: `HTTP ${status} from the proxy` };
  }
  return { kind: 'target_error', status, evidence: `HTTP ${status}` };
}
