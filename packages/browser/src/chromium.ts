import type { Classification, FailureKind } from '@proxy-pool/core';

/**
 * Chromium's network error codes, as both Playwright and Puppeteer report them
 * (`net::ERR_…` in the error message, or `request.failure().errorText`), mapped to failure
 * kinds. Measured with Chromium 156: see the guide's troubleshooting section.
 */
const NET_ERRORS: Record<string, FailureKind> = {
  ERR_PROXY_CONNECTION_FAILED: 'proxy_unreachable',
  ERR_PROXY_CERTIFICATE_INVALID: 'proxy_unreachable',
  ERR_SOCKS_CONNECTION_HOST_UNREACHABLE: 'tunnel_failed',
  ERR_INVALID_AUTH_CREDENTIALS: 'proxy_auth',
  ERR_PROXY_AUTH_UNSUPPORTED: 'proxy_auth',
  ERR_PROXY_AUTH_REQUESTED: 'proxy_auth',
  ERR_NO_SUPPORTED_PROXIES: 'proxy_auth',
  ERR_MANDATORY_PROXY_CONFIGURATION_FAILED: 'proxy_unreachable',
  ERR_INVALID_HTTP_RESPONSE: 'proxy_error',
  ERR_TUNNEL_CONNECTION_FAILED: 'tunnel_failed',
  ERR_SOCKS_CONNECTION_FAILED: 'tunnel_failed',
  ERR_CONNECTION_RESET: 'connection',
  ERR_CONNECTION_CLOSED: 'connection',
  ERR_CONNECTION_ABORTED: 'connection',
  ERR_CONNECTION_FAILED: 'connection',
  ERR_EMPTY_RESPONSE: 'connection',
  ERR_SOCKET_NOT_CONNECTED: 'connection',
  ERR_NETWORK_CHANGED: 'connection',
  ERR_CONTENT_LENGTH_MISMATCH: 'connection',
  ERR_INCOMPLETE_CHUNKED_ENCODING: 'connection',
  ERR_TIMED_OUT: 'timeout',
  ERR_CONNECTION_TIMED_OUT: 'timeout',
  ERR_NAME_NOT_RESOLVED: 'target_error',
  ERR_NAME_RESOLUTION_FAILED: 'target_error',
  ERR_ADDRESS_UNREACHABLE: 'target_error',
  ERR_CONNECTION_REFUSED: 'target_error',
  ERR_CERT_AUTHORITY_INVALID: 'target_error',
  ERR_CERT_COMMON_NAME_INVALID: 'target_error',
  ERR_CERT_DATE_INVALID: 'target_error',
  ERR_CERT_INVALID: 'target_error',
  ERR_SSL_PROTOCOL_ERROR: 'target_error',
  ERR_TOO_MANY_REDIRECTS: 'target_error',
  ERR_ABORTED: 'client',
  ERR_BLOCKED_BY_CLIENT: 'client',
  ERR_BLOCKED_BY_RESPONSE: 'client',
  ERR_UNSAFE_PORT: 'client',
  ERR_INVALID_URL: 'client',
  ERR_FILE_NOT_FOUND: 'client',
};

const NET_ERROR = /net::(ERR_[A-Z0-9_]+)/;

/** The `ERR_…` code in a Chromium error message, if any. */
export function chromiumNetError(message: string): string | undefined {
  return NET_ERROR.exec(message)?.[1];
}

/**
 * Classifies a Chromium `net::ERR_…` message. `ERR_HTTP_RESPONSE_CODE_FAILURE` depends on
 * the status that came with it, so callers that have a response should classify that instead.
 */
export function classifyChromiumError(message: string): Classification | undefined {
  const code = chromiumNetError(message);
  if (!code) return undefined;
  if (code.startsWith('ERR_CERT_') || code.startsWith('ERR_SSL_')) return { kind: 'target_error', evidence: code };
  const kind = NET_ERRORS[code];
  return { kind: kind ?? 'unknown', evidence: code };
}
