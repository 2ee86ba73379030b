import type { Classification, FailureKind } from '@proxy-pool/core';

/**
 * Firefox's network error codes (`NS_ERROR_…`, `NS_BINDING_…`), as Puppeteer reports them over
 * WebDriver BiDi — in the thrown message ("Protocol error (browsingContext.navigate): unknown
 * error Error: NS_ERROR_PROXY_CONNECTION_REFUSED") and in `request.failure().errorText` — mapped
 * to the kinds Chromium's same scenarios get. Measured with Firefox ESR 153: see docs/firefox.md.
 *
 * Every navigation of a pooled context goes through a proxy, which is how these are read:
 * Firefox turns a proxy's refusal of a CONNECT into a code by its status (400/404/500 →
 * NS_ERROR_UNKNOWN_HOST, 503 → NS_ERROR_CONNECTION_REFUSED, 502 → NS_ERROR_PROXY_BAD_GATEWAY…,
 * any other → NS_ERROR_PROXY_CONNECTION_REFUSED), where Chromium says
 * `ERR_TUNNEL_CONNECTION_FAILED` for all of them. So UNKNOWN_HOST and CONNECTION_REFUSED are a
 * failed tunnel here (the proxy could not reach the site, or would not), not the site's own
 * DNS or port as they would be without a proxy.
 */
const NS_ERRORS: Record<string, FailureKind> = {
  // The proxy itself: not there, not resolvable. Firefox also says CONNECTION_REFUSED when the
  // proxy refuses the credentials it was offered (a 407 after them) — a 407 seen on the way
  // says proxy_auth first, and the adapters keep credentials out of Firefox (a local relay).
  NS_ERROR_PROXY_CONNECTION_REFUSED: 'proxy_unreachable',
  NS_ERROR_UNKNOWN_PROXY_HOST: 'proxy_unreachable',
  NS_ERROR_PROXY_AUTHENTICATION_FAILED: 'proxy_auth',
  // The proxy answered a CONNECT with an error status.
  NS_ERROR_UNKNOWN_HOST: 'tunnel_failed',
  NS_ERROR_CONNECTION_REFUSED: 'tunnel_failed',
  // The connection broke: reset, closed without an answer, cut mid-body, not HTTPS after a tunnel.
  NS_ERROR_NET_RESET: 'connection',
  NS_ERROR_NET_INTERRUPT: 'connection',
  NS_ERROR_NET_PARTIAL_TRANSFER: 'connection',
  NS_ERROR_NET_EMPTY_RESPONSE: 'connection',
  NS_ERROR_NET_INADEQUATE_SECURITY: 'connection',
  NS_ERROR_SOCKET_CREATE_FAILED: 'connection',
  NS_ERROR_NET_TIMEOUT: 'timeout',
  NS_ERROR_NET_TIMEOUT_EXTERNAL: 'timeout',
  NS_ERROR_REDIRECT_LOOP: 'target_error',
  // Nobody's proxy: a 204, a navigation replaced by another, a download, the caller's own doing.
  NS_BINDING_ABORTED: 'client',
  NS_BINDING_REDIRECTED: 'client',
  NS_BINDING_RETARGETED: 'client',
  NS_BINDING_CANCELLED_OLD_LOAD: 'client',
  NS_ERROR_ABORT: 'client',
  NS_ERROR_OFFLINE: 'client',
  NS_ERROR_PORT_ACCESS_NOT_ALLOWED: 'client',
  NS_ERROR_MALFORMED_URI: 'client',
  NS_ERROR_UNKNOWN_PROTOCOL: 'client',
  NS_ERROR_FILE_NOT_FOUND: 'client',
  NS_ERROR_DOCUMENT_NOT_CACHED: 'client',
  NS_ERROR_INTERCEPTION_FAILED: 'client',
  NS_ERROR_BLOCKED_BY_POLICY: 'client',
  NS_ERROR_CONTENT_BLOCKED: 'client',
};

/**
 * The `e=` codes of Firefox's error pages (`about:neterror?e=…`, `about:certerror?e=…`), for
 * messages and page URLs that carry no NS_ERROR code. `nssFailure2` is a TLS handshake that
 * failed, which through a proxy is a tunnel that broke (it comes with NS_ERROR_NET_RESET).
 */
const ERROR_PAGES: Record<string, FailureKind> = {
  proxyConnectFailure: 'proxy_unreachable',
  proxyResolveFailure: 'proxy_unreachable',
  dnsNotFound: 'tunnel_failed',
  connectionFailure: 'tunnel_failed',
  netReset: 'connection',
  netInterrupt: 'connection',
  nssFailure2: 'connection',
  netTimeout: 'timeout',
  nssBadCert: 'target_error',
  redirectLoop: 'target_error',
  netOffline: 'client',
  deniedPortAccess: 'client',
  malformedURI: 'client',
  unknownProtocolFound: 'client',
  blockedByPolicy: 'client',
};

const NS_CODE = /\bNS_(?:ERROR|BINDING)_[A-Z0-9_]+/g;
/** `NS_ERROR_GENERATE_FAILURE(NS_ERROR_MODULE_SECURITY, SEC_ERROR_UNKNOWN_ISSUER)` and the bare names of NSS/PKIX errors. */
const SECURITY = /\b(?:SSL_ERROR|SEC_ERROR|MOZILLA_PKIX_ERROR)_[A-Z0-9_]+/;
const ERROR_PAGE = /about:(?:neter|certer)ror\?e=([A-Za-z0-9]+)/;

/**
 * The Firefox error code in a message: an NSS/PKIX certificate error's name, else the first
 * `NS_ERROR_…`/`NS_BINDING_…` that is not a wrapper (`NS_ERROR_GENERATE_FAILURE`,
 * `NS_ERROR_MODULE_…`), else `NS_ERROR_MODULE_SECURITY` for a security failure given by number,
 * else an error page's `e=` code; undefined when there is none.
 */
export function firefoxNetError(message: string): string | undefined {
  const security = SECURITY.exec(message)?.[0];
  if (security) return security;
  for (const [code] of message.matchAll(NS_CODE)) {
    if (code !== 'NS_ERROR_GENERATE_FAILURE' && !code.startsWith('NS_ERROR_MODULE_')) return code;
  }
  // A security failure by number only: NS_ERROR_GENERATE_FAILURE(NS_ERROR_MODULE_SECURITY, 12345).
  if (message.includes('NS_ERROR_MODULE_SECURITY')) return 'NS_ERROR_MODULE_SECURITY';
  return ERROR_PAGE.exec(message)?.[1];
}

/** Classifies a message that carries a Firefox network error; undefined when it carries none. */
export function classifyFirefoxError(message: string): Classification | undefined {
  const code = firefoxNetError(message);
  if (!code) return undefined;
  const known = NS_ERRORS[code] ?? ERROR_PAGES[code];
  if (known) return { kind: known, evidence: code };
  // Families, for the codes no one measured yet.
  // The site's certificate or TLS (as Chromium's ERR_CERT_*/ERR_SSL_*).
  if (SECURITY.test(code) || code === 'NS_ERROR_MODULE_SECURITY') return { kind: 'target_error', evidence: code };
  if (code.startsWith('NS_ERROR_PROXY_')) {
    // The proxy answered a CONNECT with an error status (403 FORBIDDEN, 429 TOO_MANY_REQUESTS,
    // 501 NOT_IMPLEMENTED, 502 BAD_GATEWAY, 504 GATEWAY_TIMEOUT…): Chromium's ERR_TUNNEL_CONNECTION_FAILED.
    return { kind: 'tunnel_failed', evidence: code };
  }
  if (code.startsWith('NS_ERROR_NET_')) return { kind: 'connection', evidence: code };
  if (code.startsWith('NS_BINDING_') || code.endsWith('_URI')) return { kind: 'client', evidence: code };
  return { kind: 'unknown', evidence: code };
}
