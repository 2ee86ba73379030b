import { type Socket, connect as netConnect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { type Classification, type Proxy, type ProxyPool, classifyError, classifyResponse, socksConnect } from '@proxy-pool/core';
import { type PreflightOrigin, preflightOrigin } from './preflight-origin.js';
import { socksReplyVerdict } from './socks-reply.js';

/** A proxy that succeeded this recently is trusted without a pre-flight check. */
export const PREFLIGHT_TRUST_MS = 60_000;

/**
 * When a pre-flight check is worth a socket: `proxy` has not worked lately — never used,
 * failing since its last success, or no success for `trustMs`. A gateway's fresh session is
 * checked only when its gateway has not worked lately: the check would ask the gateway, which
 * has just worked for its other sessions (an exit's own faults show on its first navigation
 * as cheaply). The one rule for everything that checks before a navigation (the adapters'
 * `run()`, the Crawlee bridge's `newUrl`); false for a proxy the pool does not have.
 */
export function needsPreflight(pool: ProxyPool, proxy: Proxy | string, trustMs = PREFLIGHT_TRUST_MS): boolean {
  const m = pool.getMetrics(typeof proxy === 'string' ? proxy : proxy.id); // by id: a Map lookup, no parsing
  if (!m) return false;
  const now = pool.options.clock.now();
  const { lastSuccessAt, lastFailureAt } = m;
  if (lastSuccessAt === undefined) {
    if (m.gateway === undefined) return true;
    const at = pool.gateways.find((g) => g.id === m.gateway)?.lastSuccessAt;
    return at === undefined || now - at > trustMs;
  }
  if (lastFailureAt !== undefined && lastFailureAt >= lastSuccessAt) return true;
  return now - lastSuccessAt > trustMs;
}

/** The head of a proxy's answer to CONNECT is small; anything longer is not a proxy talking. */
const MAX_HEAD_BYTES = 8_192;

/**
 * A cheap look at a proxy before a browser context is spent on it. In a crawl through a bad
 * list the costly part of a dead proxy is not the failed navigation (a refused connection
 * fails in milliseconds) but the browser context opened for it, a renderer process each: on
 * a machine where Chromium is the bottleneck that is most of what the bad proxies cost (see
 * the goodput benchmark). A socket costs next to nothing.
 *
 * What it does is what Chromium would do first anyway, and never a request to the target:
 * - HTTP(S) proxy and an `https:` target: `CONNECT host:port` with the proxy's credentials,
 *   and the status of the answer, read as core's `classifyResponse` reads a proxy's labels
 *   (407 or tinyproxy's 401 → `proxy_auth`; Squid's `ERR_CONNECT_FAIL`/`ERR_CANNOT_FORWARD`,
 *   tinyproxy's 500, `Proxy-Status` far-side errors, unlabelled 502/503/504 → `tunnel_failed`:
 *   the far side; the proxy's own labels and other statuses → `proxy_error`; not an HTTP
 *   answer → `proxy_error`).
 * - HTTP(S) proxy and an `http:` target: the same CONNECT, but only to see that the proxy talks:
 *   Chromium will send it a plain request, not CONNECT, and many proxies refuse tunnels to port
 *   80, so any HTTP answer (403 included) or a clean close passes; silence (a hanging proxy,
 *   which a connection alone would pass, and which then costs a whole navigation timeout), a
 *   reset, something that is not HTTP, and 407 (its credentials are wrong) fail.
 * - HTTP(S) proxy and no target: only a connection to the proxy (TLS for an https proxy).
 * - SOCKS proxy: the SOCKS handshake and connect to the target (the same thing Chromium does),
 *   or only a connection to the proxy without a target. A reply that the destination failed
 *   (network or host unreachable, connection refused, TTL expired) passes: the proxy took the
 *   handshake and the credentials and tried; the navigation will say what the target did.
 * The target is where the job's pages go (see `preflightOrigin`): a URL is checked on its
 * port (443 for https, 80 for http, or the one it names); a bare site (`shop.example`, whose
 * scheme is unknown) on the port it names or 443, and only for an answer from the proxy.
 * Returns undefined when the proxy answered as it should, else what went wrong as a kind.
 */
export async function preflight(
  proxy: Proxy,
  target: URL | string | PreflightOrigin | undefined,
  timeoutMs: number,
): Promise<Classification | undefined> {
  const origin = typeof target === 'object' && !(target instanceof URL) ? target : preflightOrigin(target);
  let socket: Socket | undefined;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<Classification>((resolve) => {
    timer = setTimeout(
      () => resolve({ kind: 'timeout', evidence: `the proxy did not answer a pre-flight check in ${timeoutMs} ms` }),
      timeoutMs,
    );
    timer.unref();
  });
  const check = (async (): Promise<Classification | undefined> => {
    try {
      const socks = proxy.protocol === 'socks4' || proxy.protocol === 'socks5';
      if (socks && origin) {
        const { socket: tunnel } = await socksConnect(proxy, origin.host, origin.port, timeoutMs);
        socket = tunnel;
        tunnel.on('error', () => undefined);
        return undefined;
      }
      socket = await connected(
        proxy.protocol === 'https'
          ? tlsConnect({ host: proxy.host, port: proxy.port, servername: proxy.host, rejectUnauthorized: false })
          : netConnect({ host: proxy.host, port: proxy.port }),
        proxy.protocol === 'https' ? 'secureConnect' : 'connect',
      );
      if (socks || !origin) return undefined;
      const host = origin.host.includes(':') ? `[${origin.host}]` : origin.host;
      return await tunnelVerdict(socket, proxy, `${host}:${origin.port}`, !origin.tunnel);
    } catch (error) {
      // The socks library says what happened in words ("connect ECONNREFUSED …", "Socks5 Authentication failed"), not codes.
      const message = String((error as Error)?.message ?? error);
      const reply = socksReplyVerdict(message);
      if (reply === 'far-side') return undefined;
      if (reply) return reply;
      const c = classifyError(error);
      if (c.kind !== 'unknown') return c;
      const code = /\b(E[A-Z]+)\b/.exec(message)?.[1];
      if (code) {
        const byCode = classifyError(Object.assign(new Error(message), { code }));
        if (byCode.kind !== 'unknown') return byCode;
      }
      if (/timed? ?out/i.test(message)) return { kind: 'timeout', evidence: message };
      if (/auth/i.test(message)) return { kind: 'proxy_auth', evidence: message };
      return { kind: 'tunnel_failed', evidence: message };
    }
  })();
  try {
    return await Promise.race([check, timeout]);
  } finally {
    clearTimeout(timer);
    socket?.destroy();
    // A check still connecting when the timeout won: drop its socket when it arrives.
    void check.then(() => socket?.destroy());
  }
}

/** The header fields of an answer's head, names in lower case. */
function headersOf(head: string): Record<string, string> {
  const headers: Record<string, string> = {};
  const end = head.indexOf('\r\n\r\n');
  for (const line of head
    .slice(0, end === -1 ? undefined : end)
    .split('\r\n')
    .slice(1)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return headers;
}

function connected<S extends Socket>(socket: S, event: 'connect' | 'secureConnect' = 'connect'): Promise<S> {
  // An error after the verdict (the socket is being torn down) must not become an uncaught exception.
  socket.on('error', () => undefined);
  return new Promise((resolve, reject) => {
    socket.once(event, () => {
      socket.off('error', reject);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

/**
 * Sends CONNECT and reads the answer's status line. `aliveIsEnough`: the tunnel itself is not
 * needed (an http target), only proof that the proxy answers HTTP with credentials it accepts.
 */
function tunnelVerdict(socket: Socket, proxy: Proxy, authority: string, aliveIsEnough: boolean): Promise<Classification | undefined> {
  return new Promise((resolve, reject) => {
    let head = '';
    const onData = (chunk: Buffer) => {
      head += chunk.toString('latin1');
      const end = head.indexOf('\r\n\r\n');
      if (end === -1 && head.length < MAX_HEAD_BYTES) return;
      socket.off('data', onData);
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(head);
      if (!status) {
        resolve({ kind: 'proxy_error', evidence: 'the proxy answered CONNECT with something that is not HTTP' });
        return;
      }
      const code = Number(status[1]);
      if (code >= 200 && code < 300) return void resolve(undefined);
      // The answer to CONNECT is always the proxy's own; its labels (X-Squid-Error,
      // Proxy-Status, tinyproxy's pages) say whether it failed or the far side did.
      const c = classifyResponse({ status: code, headers: headersOf(head) });
      if (c?.kind === 'proxy_auth') {
        resolve({ kind: 'proxy_auth', status: code, evidence: `the proxy refused its credentials (${c.evidence}) on CONNECT` });
      } else if (aliveIsEnough) {
        resolve(undefined);
      } else {
        const labelled = c?.kind === 'tunnel_failed' || c?.kind === 'proxy_error';
        resolve({
          kind: labelled ? c.kind : code === 502 || code === 503 || code === 504 ? 'tunnel_failed' : 'proxy_error',
          status: code,
          evidence: `the proxy answered CONNECT ${authority} with ${labelled ? c.evidence : code}`,
        });
      }
    };
    socket.on('data', onData);
    socket.once('error', reject);
    socket.once('end', () => {
      // A proxy that does not do CONNECT may just hang up: alive, for an http target.
      if (aliveIsEnough) resolve(undefined);
      else reject(Object.assign(new Error('the proxy closed the connection during CONNECT'), { code: 'ECONNRESET' }));
    });
    const authorization = proxy.authorization;
    const credentials = authorization === undefined ? '' : `Proxy-Authorization: ${authorization}\r\n`;
    socket.write(`CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n${credentials}\r\n`);
  });
}
