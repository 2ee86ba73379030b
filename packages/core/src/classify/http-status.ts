import type { Classification } from './classification.js';

/** Headers a forward proxy adds to answers it makes itself (Squid, Envoy, RFC 9209). */
const PROXY_HEADERS = ['x-squid-error', 'proxy-status', 'proxy-agent', 'x-proxy-error'];

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

/** Whether a response was made by the proxy rather than carried from the target. */
export function looksLikeProxyAnswer(evidence: ResponseEvidence): boolean {
  const headers = evidence.headers ?? {};
  if (PROXY_HEADERS.some((h) => headers[h] !== undefined)) return true;
  return evidence.bodyLength === 0;
}

/**
 * What an HTTP status says about a proxy. Undefined for a success (2xx, 3xx).
 * - 407: the proxy refused our credentials → `proxy_auth`
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
  if (status === 401 || status === 403) return { kind: 'blocked', status, evidence: `HTTP ${status}` };
  if (status === 429) {
    return { kind: 'rate_limited', status, retryAfterMs: parseRetryAfter(headers['retry-after'], evidence.now), evidence: 'HTTP 429' };
  }
  if ((status === 502 || status === 503 || status === 504) && looksLikeProxyAnswer(evidence)) {
    return { kind: 'proxy_error', status, evidence: `HTTP ${status} from the proxy` };
  }
  return { kind: 'target_error', status, evidence: `HTTP ${status}` };
}
