import { describe, expect, it } from 'vitest';
import { classifyError } from '../src/index.js';

// The `socks` library reports what a SOCKS server answered in words only; health checks, the
// pre-flight check and the adapters' relay all read them through classifyError.
describe('classifyError on the socks library’s errors', () => {
  it.each([
    ['Socks5 Authentication failed', 'proxy_auth'],
    ['Received invalid Socks5 initial handshake (no accepted authentication type)', 'proxy_auth'],
    // the far side: the proxy worked
    ['Socks5 proxy rejected connection - ConnectionRefused', 'tunnel_failed'],
    ['Socks5 proxy rejected connection - HostUnreachable', 'tunnel_failed'],
    ['Socks5 proxy rejected connection - NetworkUnreachable', 'tunnel_failed'],
    ['Socks5 proxy rejected connection - TTLExpired', 'tunnel_failed'],
    // microsocks answers a name it cannot resolve with a general failure
    ['Socks5 proxy rejected connection - Failure', 'tunnel_failed'],
    ['Socks4 Proxy rejected connection - (RequestRejectedOrFailed)', 'tunnel_failed'],
    // the proxy's own refusal
    ['Socks5 proxy rejected connection - NotAllowed', 'proxy_error'],
    ['Socks5 proxy rejected connection - CommandNotSupported', 'proxy_error'],
    ['Received invalid Socks5 initial handshake response', 'proxy_error'],
    ['Proxy connection timed out', 'timeout'],
    ['Socket closed', 'connection'],
    // Node's own message passed on without its code: the upstream itself refused
    ['connect ECONNREFUSED 127.0.0.1:1', 'proxy_unreachable'],
    ['getaddrinfo ENOTFOUND socks.invalid', 'proxy_unreachable'],
    ['read ECONNRESET', 'connection'],
  ])('%s → %s', (message, kind) => {
    expect(classifyError(Object.assign(new Error(message), { name: 'SocksClientError' })).kind).toBe(kind);
  });

  it('does not read error codes out of arbitrary messages', () => {
    expect(classifyError(new Error('the page said ECONNREFUSED somewhere')).kind).toBe('unknown');
  });
});
