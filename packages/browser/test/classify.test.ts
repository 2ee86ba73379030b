import { AttemptFailedError } from '@proxy-pool/core';
import { describe, expect, it } from 'vitest';
import { classifyBrowserError, classifyChromiumError } from '../src/index.js';

describe('classifyChromiumError', () => {
  it('maps every net::ERR code of the reference table', () => {
    const table: Record<string, string> = {
      ERR_PROXY_CONNECTION_FAILED: 'proxy_unreachable',
      ERR_INVALID_AUTH_CREDENTIALS: 'proxy_auth',
      ERR_NO_SUPPORTED_PROXIES: 'proxy_auth',
      ERR_PROXY_AUTH_UNSUPPORTED: 'proxy_auth',
      ERR_INVALID_HTTP_RESPONSE: 'proxy_error',
      ERR_TUNNEL_CONNECTION_FAILED: 'tunnel_failed',
      ERR_SOCKS_CONNECTION_FAILED: 'tunnel_failed',
      ERR_CONNECTION_RESET: 'connection',
      ERR_CONNECTION_CLOSED: 'connection',
      ERR_EMPTY_RESPONSE: 'connection',
      ERR_SOCKET_NOT_CONNECTED: 'connection',
      ERR_TIMED_OUT: 'timeout',
      ERR_NAME_NOT_RESOLVED: 'target_error',
      ERR_CERT_AUTHORITY_INVALID: 'target_error',
      ERR_ABORTED: 'client',
      ERR_BLOCKED_BY_CLIENT: 'client',
      ERR_UNSAFE_PORT: 'client',
    };
    for (const [code, kind] of Object.entries(table)) expect(classifyChromiumError(`net::${code} at x`)?.kind, code).toBe(kind);
  });
});

describe('classifyBrowserError', () => {
  it.each([
    [new Error('page.goto: net::ERR_PROXY_CONNECTION_FAILED at http://a.test/'), 'proxy_unreachable'],
    [new Error('net::ERR_TUNNEL_CONNECTION_FAILED at https://a.test/'), 'tunnel_failed'],
    [new Error('net::ERR_CERT_AUTHORITY_INVALID at https://a.test/'), 'target_error'],
    [new Error('net::ERR_SOMETHING_NEW'), 'unknown'],
    [new Error('crawl failed', { cause: new Error('net::ERR_CONNECTION_RESET at https://a.test/') }), 'connection'],
    // Everything else is core's.
    [Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:8080'), { code: 'ECONNREFUSED' }), 'proxy_unreachable'],
    [Object.assign(new Error('Timeout 3000ms exceeded.'), { name: 'TimeoutError' }), 'timeout'],
    [new AttemptFailedError('blocked', { message: 'net::ERR_CONNECTION_RESET in a message' }), 'blocked'],
    ['a string', 'unknown'],
  ])('%s → %s', (error, kind) => {
    expect(classifyBrowserError(error).kind).toBe(kind);
  });
});
