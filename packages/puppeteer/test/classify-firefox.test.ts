import { classifyBrowserError } from '@proxy-pool/browser';
import { describe, expect, it } from 'vitest';
import { classify } from '../src/index.js';

/** Puppeteer's message for a failed navigation over WebDriver BiDi, as measured with Firefox ESR 153. */
const bidi = (code: string) =>
  new Error(
    `Protocol error (browsingContext.navigate): unknown error Error: ${code} #onNavigationCommitted@chrome://remote/content/shared/Navigate.sys.mjs:387:28`,
  );

describe("Firefox's errors, as the Puppeteer adapter classifies them", () => {
  it.each([
    // Measured (docs/firefox.md), each beside the kind Chromium's same scenario gets.
    ['NS_ERROR_PROXY_CONNECTION_REFUSED', 'proxy_unreachable'],
    ['NS_ERROR_UNKNOWN_PROXY_HOST', 'proxy_unreachable'],
    ['NS_ERROR_PROXY_BAD_GATEWAY', 'tunnel_failed'],
    ['NS_ERROR_PROXY_FORBIDDEN', 'tunnel_failed'],
    ['NS_ERROR_PROXY_TOO_MANY_REQUESTS', 'tunnel_failed'],
    ['NS_ERROR_PROXY_NOT_IMPLEMENTED', 'tunnel_failed'],
    ['NS_ERROR_PROXY_GATEWAY_TIMEOUT', 'tunnel_failed'],
    ['NS_ERROR_UNKNOWN_HOST', 'tunnel_failed'],
    ['NS_ERROR_CONNECTION_REFUSED', 'tunnel_failed'],
    ['NS_ERROR_NET_RESET', 'connection'],
    ['NS_ERROR_NET_PARTIAL_TRANSFER', 'connection'],
    ['NS_BINDING_ABORTED', 'client'],
    ['NS_ERROR_GENERATE_FAILURE(NS_ERROR_MODULE_SECURITY, MOZILLA_PKIX_ERROR_SELF_SIGNED_CERT)', 'target_error'],
    // Families, for codes not measured here.
    ['NS_ERROR_PROXY_SERVICE_UNAVAILABLE', 'tunnel_failed'],
    ['NS_ERROR_PROXY_AUTHENTICATION_FAILED', 'proxy_auth'],
    ['NS_ERROR_NET_INTERRUPT', 'connection'],
    ['NS_ERROR_NET_TIMEOUT', 'timeout'],
    ['NS_ERROR_GENERATE_FAILURE(NS_ERROR_MODULE_SECURITY, SEC_ERROR_UNKNOWN_ISSUER)', 'target_error'],
    ['NS_ERROR_GENERATE_FAILURE(NS_ERROR_MODULE_SECURITY, SSL_ERROR_BAD_CERT_DOMAIN)', 'target_error'],
    ['NS_ERROR_GENERATE_FAILURE(NS_ERROR_MODULE_SECURITY, 2153394164)', 'target_error'],
    ['NS_ERROR_PORT_ACCESS_NOT_ALLOWED', 'client'],
    ['NS_ERROR_TRACKING_URI', 'client'],
    ['NS_BINDING_RETARGETED', 'client'],
    ['NS_ERROR_REDIRECT_LOOP', 'target_error'],
    ['NS_ERROR_SOMETHING_NEW', 'unknown'],
  ])('%s → %s', (code, kind) => {
    expect(classify(bidi(code))?.kind).toBe(kind);
    // The same from a request's errorText (no wrapping), and through the kit's classifier.
    expect(classify(new Error(code))?.kind).toBe(kind);
    expect(classifyBrowserError(new Error('crawl failed', { cause: bidi(code) })).kind).toBe(kind);
  });

  it("reads an error page's code where there is no NS_ERROR code", () => {
    expect(classify(new Error('navigated to about:neterror?e=proxyConnectFailure&u=http%3A//a.test/'))?.kind).toBe('proxy_unreachable');
    expect(classify(new Error('about:neterror?e=netReset&u=x'))?.kind).toBe('connection');
    expect(classify(new Error('about:certerror?e=nssBadCert&u=https%3A//a.test/'))?.kind).toBe('target_error');
    expect(classify(new Error('about:neterror?e=netTimeout'))?.kind).toBe('timeout');
  });

  it('names the code it went by, and leaves BiDi errors without one to the rest', () => {
    expect(classify(bidi('NS_ERROR_NET_RESET'))?.evidence).toBe('NS_ERROR_NET_RESET');
    expect(classify(bidi('NS_ERROR_GENERATE_FAILURE(NS_ERROR_MODULE_SECURITY, SEC_ERROR_EXPIRED_CERTIFICATE)'))?.evidence).toBe(
      'SEC_ERROR_EXPIRED_CERTIFICATE',
    );
    expect(classify(new Error('Protocol error (browsingContext.navigate): unknown error Error: something broke'))?.kind).toBe('unknown');
    expect(classify(Object.assign(new Error('Navigation timeout of 4000 ms exceeded'), { name: 'TimeoutError' }))?.kind).toBe('timeout');
    // Chromium's table still comes first.
    expect(classify(new Error('net::ERR_TUNNEL_CONNECTION_FAILED at https://a.test/'))?.kind).toBe('tunnel_failed');
  });

  it('takes a page or frame closed mid-navigation for the caller’s doing', () => {
    const closed = Object.assign(new Error('Frame detached.'), { name: 'TargetCloseError' });
    expect(classify(closed)).toMatchObject({ kind: 'client' });
    expect(classify(new Error('Protocol error (browsingContext.navigate): no such frame'))?.kind).toBe('client');
  });

  it('retries a page Firefox could not open (nobody’s proxy: not reported, another attempt)', () => {
    const error = new Error(
      'Protocol error (browsingContext.create): no such frame DiscardedBrowsingContextError: BrowsingContext does no longer exist RemoteError@chrome://remote/content/shared/RemoteError.sys.mjs:8:8',
    );
    expect(classify(error)).toMatchObject({ kind: 'client', retry: true });
  });
});
