import type { FailureKind } from '@proxy-pool/core';

/**
 * What each verdict means, in one line: the troubleshooting table of docs/guide.md
 * ("what it means"), so that a verdict here reads as it does in a crawl.
 */
export const VERDICTS: Readonly<Record<'ok' | FailureKind, string>> = {
  ok: 'the proxy carried the request and the URL answered 2xx/3xx',
  proxy_unreachable: 'nothing answers at the proxy address',
  proxy_auth: 'the proxy refused the credentials',
  proxy_error: 'the proxy answered with its own error page or garbage',
  tunnel_failed: 'the proxy refused to open a tunnel to the site, or the site is down',
  connection: 'the connection was reset or closed mid-way',
  timeout: 'no answer in time',
  blocked: 'the site refused this proxy (401/403, captcha, empty page)',
  rate_limited: 'the site answered 429: too many requests through this proxy',
  target_error: "the site's own error (404, 500, DNS, bad certificate): check --url",
  client: 'aborted before it finished',
  unknown: 'unrecognized failure',
};
