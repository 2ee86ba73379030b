import type { Classification } from '@proxy-pool/core';

/**
 * SOCKS5 replies (RFC 1928 §6) as the `socks` library reports them, in its error message
 * ("Socks5 proxy rejected connection - ConnectionRefused"). Network unreachable (0x03), host
 * unreachable (0x04), connection refused (0x05) and TTL expired (0x06) come from the far side:
 * the proxy took the handshake and the credentials and tried the destination, which did not
 * answer. The proxy worked. Not allowed by its rules (0x02) and an unsupported command or
 * address type (0x07, 0x08) are the proxy's own refusal; a general failure (0x01) says nothing
 * of whose fault it was.
 */
const FAR_SIDE = new Set(['NetworkUnreachable', 'HostUnreachable', 'ConnectionRefused', 'TTLExpired']);
const PROXY_REFUSAL = new Set(['NotAllowed', 'CommandNotSupported', 'AddressNotSupported']);
const SOCKS5_REPLY = /Socks5 proxy rejected connection - (\w+)/i;

/**
 * What a SOCKS server's reply to CONNECT says about the proxy: `'far-side'` when the
 * destination failed (the proxy worked), a classification when the proxy refused, undefined
 * when the error is not a SOCKS reply this knows.
 */
export function socksReplyVerdict(message: string): 'far-side' | Classification | undefined {
  const reply = SOCKS5_REPLY.exec(message)?.[1];
  if (reply === undefined) return undefined;
  if (FAR_SIDE.has(reply)) return 'far-side';
  if (PROXY_REFUSAL.has(reply)) return { kind: 'proxy_error', evidence: `the SOCKS proxy refused the connection (${reply})` };
  return undefined;
}
