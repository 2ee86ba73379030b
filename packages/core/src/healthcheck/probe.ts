import { Agent, ProxyAgent, type Dispatcher, request } from 'undici';
import { classifyResponse } from '../classify/http-status.js';
import { classifyError } from '../classify/node-errors.js';
import type { Outcome } from '../outcome.js';
import type { Proxy } from '../proxy.js';
import { socksConnector } from './socks-connector.js';

export interface ProbeOptions {
  url: string;
  timeoutMs: number;
  expectStatus: (status: number) => boolean;
  signal?: AbortSignal | undefined;
  /** For HTTPS targets with certificates of their own making (tests, intranets). @default true */
  rejectUnauthorized?: boolean;
}

function dispatcherFor(proxy: Proxy, options: ProbeOptions): Dispatcher {
  const tls = { rejectUnauthorized: options.rejectUnauthorized ?? true };
  if (proxy.protocol === 'socks4' || proxy.protocol === 'socks5') {
    return new Agent({ connect: socksConnector(proxy, options.timeoutMs, tls.rejectUnauthorized), connections: 1 });
  }
  return new ProxyAgent({ uri: proxy.server, token: proxy.authorization, requestTls: tls, proxyTls: tls, connections: 1 });
}

/** One request through one proxy; what happened, as an outcome. Never throws. */
export async function probe(proxy: Proxy, options: ProbeOptions): Promise<Outcome> {
  const dispatcher = dispatcherFor(proxy, options);
  const timeout = AbortSignal.timeout(options.timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  const started = performance.now();
  try {
    // The signal goes to undici, and is also raced: a tunnel the proxy never answers does not heed it.
    const response = await raceAbort(
      request(options.url, { dispatcher, signal, headersTimeout: options.timeoutMs, bodyTimeout: options.timeoutMs }),
      signal,
    );
    const body = await raceAbort(response.body.arrayBuffer(), signal);
    const latencyMs = Math.round(performance.now() - started);
    if (options.expectStatus(response.statusCode)) return { ok: true, latencyMs };
    const headers = Object.fromEntries(Object.entries(response.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : v]));
    const c = classifyResponse({ status: response.statusCode, headers, bodyLength: body.byteLength }) ?? {
      kind: 'target_error' as const,
      status: response.statusCode,
    };
    return { ok: false, kind: c.kind, status: c.status, retryAfterMs: c.retryAfterMs, latencyMs };
  } catch (error) {
    const latencyMs = Math.round(performance.now() - started);
    if (options.signal?.aborted) return { ok: false, kind: 'client', latencyMs };
    if (timeout.aborted) return { ok: false, kind: 'timeout', latencyMs };
    const c = classifyError(error);
    return { ok: false, kind: c.kind, status: c.status, latencyMs };
  } finally {
    dispatcher.destroy().catch(() => undefined);
  }
}

function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  promise.catch(() => undefined);
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
