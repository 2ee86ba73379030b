import { describe, expect, it } from 'vitest';
import { AttemptFailedError, classifyError, classifyResponse, parseRetryAfter } from '../src/index.js';

describe('classifyError', () => {
  it.each([
    [Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:8080'), { code: 'ECONNREFUSED' }), 'proxy_unreachable'],
    [Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }), 'connection'],
    [Object.assign(new Error('t'), { code: 'ETIMEDOUT' }), 'timeout'],
    [Object.assign(new Error('Headers Timeout Error'), { code: 'UND_ERR_HEADERS_TIMEOUT' }), 'timeout'],
    [Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }), 'connection'],
    [Object.assign(new Error('Proxy response (407) !== 200 when HTTP Tunneling'), { code: 'UND_ERR_ABORTED' }), 'proxy_auth'],
    [Object.assign(new Error('Proxy response (502) !== 200 when HTTP Tunneling'), { code: 'UND_ERR_ABORTED' }), 'tunnel_failed'],
    [new TypeError('fetch failed', { cause: Object.assign(new Error('x'), { code: 'ECONNREFUSED' }) }), 'proxy_unreachable'],
    // Chromium's messages are @proxy-pool/browser's (classifyBrowserError): core has no browser code.
    [new Error('page.goto: net::ERR_PROXY_CONNECTION_FAILED at http://a.test/'), 'unknown'],
    [Object.assign(new Error('Timeout 3000ms exceeded.'), { name: 'TimeoutError' }), 'timeout'],
    [new DOMException('aborted', 'AbortError'), 'client'],
    [Object.assign(new Error('Forbidden'), { status: 403 }), 'blocked'],
    [Object.assign(new Error('Too many'), { response: { status: 429, headers: { 'retry-after': '7' } } }), 'rate_limited'],
    [new AttemptFailedError('blocked', { status: 200 }), 'blocked'],
    [new TypeError("Cannot read properties of undefined (reading 'x')"), 'client'],
    [new Error('something odd'), 'unknown'],
    ['a string', 'unknown'],
  ])('%s → %s', (error, kind) => {
    expect(classifyError(error).kind).toBe(kind);
  });

  it('keeps the Retry-After of a 429', () => {
    expect(classifyError(Object.assign(new Error('x'), { response: { status: 429, headers: { 'retry-after': '7' } } })).retryAfterMs).toBe(
      7_000,
    );
  });
});

describe('classifyResponse', () => {
  it.each([
    [{ status: 200 }, undefined],
    [{ status: 301 }, undefined],
    [{ status: 407 }, 'proxy_auth'],
    [{ status: 401 }, 'blocked'],
    [{ status: 403 }, 'blocked'],
    [{ status: 429 }, 'rate_limited'],
    [{ status: 404 }, 'target_error'],
    [{ status: 500 }, 'target_error'],
    [{ status: 502, bodyLength: 1200 }, 'target_error'],
    [{ status: 502, bodyLength: 0 }, 'proxy_error'],
    // A proxy labelling the far side as failing worked: ambiguous (see classify-proxy-answers.test.ts).
    [{ status: 503, headers: { 'x-squid-error': 'ERR_DNS_FAIL 0' }, bodyLength: 3000 }, 'tunnel_failed'],
    [{ status: 504, headers: { 'proxy-status': 'edge; error=connection_timeout' }, bodyLength: 10 }, 'tunnel_failed'],
    [{ status: 502, headers: { 'proxy-status': 'edge; error=proxy_internal_error' }, bodyLength: 10 }, 'proxy_error'],
  ])('%j → %s', (evidence, kind) => {
    expect(classifyResponse(evidence)?.kind).toBe(kind);
  });

  it('parses Retry-After in seconds and as a date', () => {
    expect(parseRetryAfter('120')).toBe(120_000);
    expect(parseRetryAfter(new Date(10_000 + 30_000).toUTCString(), 10_000)).toBe(30_000);
    expect(parseRetryAfter('soon')).toBeUndefined();
  });
});
