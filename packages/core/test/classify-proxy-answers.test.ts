import { describe, expect, it } from 'vitest';
import { classifyResponse, looksLikeProxyAnswer } from '../src/index.js';
import { proxyAnswerOf } from '../src/classify/http-status.js';

// What real proxy software answers (measured: docs/real-proxies.md): the proxy's own errors are
// the proxy's; a proxy saying the far side is unreachable worked, and that failure is ambiguous.
describe('classifyResponse on answers real proxies make', () => {
  it.each([
    // Squid 5.7, target port closed (plain GET)
    [{ status: 503, headers: { 'x-squid-error': 'ERR_CONNECT_FAIL 111', via: '1.1 vm (squid/5.7)' }, bodyLength: 3072 }, 'tunnel_failed'],
    // Squid 5.7, target name does not resolve (plain GET): it says "read error"
    [{ status: 502, headers: { 'x-squid-error': 'ERR_READ_ERROR 0' }, bodyLength: 3048 }, 'tunnel_failed'],
    [{ status: 503, headers: { 'x-squid-error': 'ERR_DNS_FAIL 0' }, bodyLength: 3000 }, 'tunnel_failed'],
    [{ status: 504, headers: { 'x-squid-error': 'ERR_READ_TIMEOUT 0' } }, 'tunnel_failed'],
    // Squid's own policy: an ACL denies the destination
    [{ status: 403, headers: { 'x-squid-error': 'ERR_ACCESS_DENIED 0' }, bodyLength: 3100 }, 'proxy_error'],
    [{ status: 407, headers: { 'x-squid-error': 'ERR_CACHE_ACCESS_DENIED 0' } }, 'proxy_auth'],
    [{ status: 503, headers: { 'x-squid-error': 'ERR_SHUTTING_DOWN 0' } }, 'proxy_error'],
    // tinyproxy 1.11: target port closed or name unresolvable
    [{ status: 500, headers: { server: 'tinyproxy/1.11.1' }, bodyLength: 400 }, 'tunnel_failed'],
    // tinyproxy 1.11: BasicAuth missing or wrong (401 with WWW-Authenticate, not 407)
    [{ status: 401, headers: { server: 'tinyproxy/1.11.1', 'www-authenticate': 'Basic realm="Tinyproxy"' } }, 'proxy_auth'],
    // tinyproxy 1.11: CONNECT to a port not in ConnectPort ("403 Access violation")
    [{ status: 403, headers: { server: 'tinyproxy/1.11.1' } }, 'proxy_error'],
    // the target's own 500 carried by tinyproxy keeps the target's Server header
    [{ status: 500, headers: { server: 'nginx', via: '1.1 vm (tinyproxy/1.11.1)' }, bodyLength: 400 }, 'target_error'],
    // RFC 9209 Proxy-Status: far side
    [{ status: 502, headers: { 'proxy-status': 'edge; error=dns_error; rcode=NXDOMAIN' } }, 'tunnel_failed'],
    [{ status: 502, headers: { 'proxy-status': 'edge; error=destination_not_found' } }, 'tunnel_failed'],
    [{ status: 503, headers: { 'proxy-status': 'edge; error=destination_unavailable' } }, 'tunnel_failed'],
    [{ status: 502, headers: { 'proxy-status': 'edge; error=connection_refused' } }, 'tunnel_failed'],
    [{ status: 504, headers: { 'proxy-status': 'edge; error="connection_timeout"' } }, 'tunnel_failed'],
    // RFC 9209 Proxy-Status: the proxy's own
    [{ status: 500, headers: { 'proxy-status': 'edge; error=proxy_internal_error' } }, 'proxy_error'],
    [{ status: 500, headers: { 'proxy-status': 'edge; error=proxy_configuration_error' } }, 'proxy_error'],
    [{ status: 403, headers: { 'proxy-status': 'edge; error=http_request_denied' } }, 'proxy_error'],
    [{ status: 403, headers: { 'proxy-status': 'edge; error=destination_ip_prohibited' } }, 'proxy_error'],
    [{ status: 429, headers: { 'proxy-status': 'edge; error=connection_limit_reached', 'retry-after': '3' } }, 'rate_limited'],
    // the nearest proxy (last member) decides: the CDN in front of the target failed, our proxy carried it
    [{ status: 502, headers: { 'proxy-status': 'cdn; error=connection_refused, gateway' } }, 'target_error'],
    // Proxy-Status without an error: the proxy carried the target's own 502
    [{ status: 502, headers: { 'proxy-status': 'gateway; received-status=502' }, bodyLength: 900 }, 'target_error'],
    [{ status: 403, headers: { via: '1.1 vm (squid/5.7)' }, bodyLength: 500 }, 'blocked'],
  ])('%j → %s', (evidence, kind) => {
    expect(classifyResponse(evidence)?.kind).toBe(kind);
  });

  it('names the header that decided, and keeps the Retry-After of a proxy 429', () => {
    expect(classifyResponse({ status: 503, headers: { 'x-squid-error': 'ERR_CONNECT_FAIL 111' } })?.evidence).toContain(
      'X-Squid-Error ERR_CONNECT_FAIL 111',
    );
    expect(
      classifyResponse({ status: 429, headers: { 'proxy-status': 'p; error=connection_limit_reached', 'retry-after': '3' } })?.retryAfterMs,
    ).toBe(3_000);
  });

  it('tells the proxy from the far side, and a carried answer from a made one', () => {
    expect(proxyAnswerOf({ status: 503, headers: { 'x-squid-error': 'ERR_CONNECT_FAIL 111' } })?.side).toBe('far');
    expect(proxyAnswerOf({ status: 403, headers: { 'x-squid-error': 'ERR_ACCESS_DENIED 0' } })?.side).toBe('proxy');
    expect(proxyAnswerOf({ status: 200, headers: { via: '1.1 vm (squid/5.7)' } })).toBeUndefined();
    expect(looksLikeProxyAnswer({ status: 502, headers: { 'proxy-status': 'gateway' }, bodyLength: 10 })).toBe(false);
    expect(looksLikeProxyAnswer({ status: 502, headers: { 'proxy-agent': 'x' }, bodyLength: 10 })).toBe(true);
  });
});
