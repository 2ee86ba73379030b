import { type Classification, classifyError } from '@proxy-pool/core';

/**
 * What proxy-chain (3.x) answers Chromium when the SOCKS upstream behind a relay fails a plain
 * http request: its own status codes (`statuses.js`), from the upstream connection's error.
 * 594 is a refused connection *to the upstream* (a refusal from the far side comes as a SOCKS
 * reply, which the `socks` library reports without an error code: 599).
 */
const RELAY_STATUSES: Record<number, Classification> = {
  590: { kind: 'proxy_error', evidence: 'the relay: the upstream answered with a status other than 200' },
  592: { kind: 'proxy_error', evidence: 'the relay: the upstream answered a status out of range' },
  593: { kind: 'proxy_unreachable', evidence: "the relay: the upstream's host name does not resolve" },
  594: { kind: 'proxy_unreachable', evidence: 'the relay: the upstream refused the connection' },
  595: { kind: 'connection', evidence: 'the relay: the connection to the upstream was reset' },
  596: { kind: 'connection', evidence: 'the relay: the connection to the upstream broke (EPIPE)' },
  597: { kind: 'proxy_auth', evidence: 'the relay: the upstream refused the credentials' },
  599: { kind: 'tunnel_failed', evidence: 'the relay: the upstream failed (or the target behind it)' },
};

/** A relay's own answer to a plain http navigation (a 59x status), as a kind; undefined for anything else. */
export function classifyRelayStatus(status: number): Classification | undefined {
  const c = RELAY_STATUSES[status];
  return c ? { ...c, status } : undefined;
}

/**
 * What the relay saw go wrong connecting to its SOCKS upstream, from the `socks` library's
 * error (the relay records it: Chromium only hears "tunnel failed" for a CONNECT), read by
 * core's `classifyError` as health checks and the pre-flight check read the same errors.
 */
export function classifyUpstreamFailure(message: string): Classification {
  const line = (message.split('\n')[0] ?? '').replace(/^\w*Error: /, '');
  const c = classifyError(new Error(line));
  if (c.kind !== 'unknown') return { ...c, evidence: `the SOCKS upstream: ${c.evidence ?? c.kind}` };
  return { kind: 'tunnel_failed', evidence: `the SOCKS upstream failed: ${line}` };
}
