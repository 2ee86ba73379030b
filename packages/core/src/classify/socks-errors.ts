import type { Classification } from './classification.js';

/**
 * SOCKS5 replies (RFC 1928 §6) that come from the far side: the proxy took the handshake and
 * the credentials, tried the destination, and the destination did not answer. The proxy worked.
 */
const FAR_SIDE_REPLIES = new Set(['NetworkUnreachable', 'HostUnreachable', 'ConnectionRefused', 'TTLExpired']);
/** Replies that are the proxy's own refusal (its rules, or what it does not support). */
const PROXY_REPLIES = new Set(['NotAllowed', 'CommandNotSupported', 'AddressNotSupported']);

const REJECTED = /Socks[45] proxy rejected connection - \(?(\w+)\)?/i;

/**
 * The `socks` library's errors (its messages are its only evidence: no codes), as health
 * checks, the pre-flight check and the adapters' SOCKS relay meet them:
 * - "Socks5 Authentication failed", "no accepted authentication type" → `proxy_auth`
 * - a reply that the destination failed (unreachable, refused, TTL expired) → `tunnel_failed`
 *   (ambiguous: the target, or the proxy's network); a general failure (0x01) too
 * - a reply that the proxy will not (not allowed, unsupported), or an answer that is not SOCKS → `proxy_error`
 * - "Proxy connection timed out" → `timeout`; "Socket closed" → `connection`
 * Undefined for anything else (Node's `connect ECONNREFUSED …` is read by its code).
 */
export function classifySocksError(message: string): Classification | undefined {
  if (/Socks5 Authentication failed/i.test(message)) return { kind: 'proxy_auth', evidence: 'the SOCKS proxy refused the credentials' };
  if (/no accepted authentication type/i.test(message)) {
    return { kind: 'proxy_auth', evidence: 'the SOCKS proxy accepts none of the offered authentication methods' };
  }
  const reply = REJECTED.exec(message)?.[1];
  if (reply !== undefined) {
    if (PROXY_REPLIES.has(reply)) return { kind: 'proxy_error', evidence: `the SOCKS proxy refused the connection (${reply})` };
    const far = FAR_SIDE_REPLIES.has(reply) ? 'the destination did not answer' : 'whose fault is not said';
    return { kind: 'tunnel_failed', evidence: `the SOCKS proxy could not connect (${reply}: ${far})` };
  }
  if (/Proxy connection timed out/i.test(message)) return { kind: 'timeout', evidence: 'the SOCKS proxy did not answer in time' };
  if (/^Socket closed$/i.test(message.trim())) return { kind: 'connection', evidence: 'the SOCKS proxy closed the connection' };
  if (/Received invalid Socks[45]/i.test(message)) return { kind: 'proxy_error', evidence: message };
  return undefined;
}
