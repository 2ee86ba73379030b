import type { FailureKind } from '../failure-kinds.js';
import { AttemptFailedError, type Classification } from './classification.js';
import { classifyResponse } from './http-status.js';
import { classifySocksError } from './socks-errors.js';

/** Node's and undici's error codes for a request made through a proxy. */
const CODES: Record<string, FailureKind> = {
  ECONNREFUSED: 'proxy_unreachable',
  EHOSTUNREACH: 'proxy_unreachable',
  ENETUNREACH: 'proxy_unreachable',
  ENOTFOUND: 'proxy_unreachable',
  EAI_AGAIN: 'proxy_unreachable',
  ECONNRESET: 'connection',
  EPIPE: 'connection',
  ECONNABORTED: 'connection',
  ETIMEDOUT: 'timeout',
  ESOCKETTIMEDOUT: 'timeout',
  UND_ERR_CONNECT_TIMEOUT: 'timeout',
  UND_ERR_HEADERS_TIMEOUT: 'timeout',
  UND_ERR_BODY_TIMEOUT: 'timeout',
  UND_ERR_SOCKET: 'connection',
  UND_ERR_CLOSED: 'connection',
  UND_ERR_RESPONSE_STATUS_CODE: 'unknown',
  ERR_TLS_CERT_ALTNAME_INVALID: 'target_error',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'target_error',
  SELF_SIGNED_CERT_IN_CHAIN: 'target_error',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'target_error',
  CERT_HAS_EXPIRED: 'target_error',
};

const TUNNEL_REFUSED = /Proxy response \((\d{3})\) !== 200/;

function statusOf(error: Record<string, unknown>): number | undefined {
  const candidates = [error.status, error.statusCode, (error.response as Record<string, unknown> | undefined)?.status];
  return candidates.find((s): s is number => typeof s === 'number' && s >= 100 && s < 600);
}

/**
 * Core's own classifier: `AttemptFailedError`, aborts, Node and undici network errors
 * (following `cause` chains, as fetch wraps them), errors that carry an HTTP status, and
 * programming errors (which are nobody's proxy's fault). Browsers' own messages (Chromium's
 * `net::ERR_…`) are `@proxy-pool/browser`'s: its `classifyBrowserError` asks that table first.
 */
export function classifyError(error: unknown, depth = 0): Classification {
  if (error instanceof AttemptFailedError) {
    return {
      kind: error.kind,
      status: error.status,
      retryAfterMs: error.retryAfterMs,
      retry: error.retry,
      consumesRetry: error.consumesRetry,
      evidence: error.message,
    };
  }
  if (typeof error !== 'object' || error === null) return { kind: 'unknown', evidence: String(error) };
  const e = error as Record<string, unknown> & { name?: string; message?: string; code?: string; cause?: unknown };
  const message = typeof e.message === 'string' ? e.message : '';

  const tunnel = TUNNEL_REFUSED.exec(message);
  if (tunnel) {
    const status = Number(tunnel[1]);
    if (status === 407) return { kind: 'proxy_auth', status, evidence: message };
    return { kind: status === 502 || status === 503 || status === 504 ? 'tunnel_failed' : 'proxy_error', status, evidence: message };
  }
  if (typeof e.code === 'string' && CODES[e.code]) return { kind: CODES[e.code]!, evidence: e.code };
  const socks = classifySocksError(message);
  if (socks) return socks;
  // Node's own message for a failed connect, passed on without its code (the `socks` library does this).
  const embedded = /^(?:Error: )?(?:connect|getaddrinfo|read|write) (E[A-Z_]+)\b/.exec(message)?.[1];
  if (embedded && CODES[embedded]) return { kind: CODES[embedded]!, evidence: embedded };
  if (e.name === 'AbortError' || e.code === 'ABORT_ERR' || e.code === 'UND_ERR_ABORTED') return { kind: 'client', evidence: e.name };
  if (e.name === 'TimeoutError') return { kind: 'timeout', evidence: message || 'TimeoutError' };
  const status = statusOf(e);
  if (status !== undefined) {
    const headers = (e.headers ?? (e.response as Record<string, unknown> | undefined)?.headers) as Record<string, string> | undefined;
    return (
      classifyResponse({ status, headers: headers && typeof headers === 'object' ? headers : undefined }) ?? { kind: 'unknown', status }
    );
  }
  if (e.cause !== undefined && depth < 5) {
    const inner = classifyError(e.cause, depth + 1);
    if (inner.kind !== 'unknown') return inner;
  }
  const programmingError =
    (error instanceof TypeError && message !== 'fetch failed') ||
    error instanceof ReferenceError ||
    error instanceof SyntaxError ||
    error instanceof RangeError;
  if (programmingError) {
    // A bug in the task, not a network failure: retrying elsewhere will not help.
    return { kind: 'client', evidence: `${e.name}: ${message}` };
  }
  return { kind: 'unknown', evidence: message || e.name };
}
