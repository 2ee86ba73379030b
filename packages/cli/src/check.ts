import { type FailureKind, type Outcome, type ProbeOptions, type Proxy, probe } from '@proxy-pool/core';
import { isGateway, newSessionId, sessionOf } from './gateway.js';

/** What one entry of the list came to. A gateway's verdict is drawn from the sessions probed through it. */
export interface CheckResult {
  proxy: Proxy;
  ok: boolean;
  /** The failure kind, when not ok (a gateway's: the most frequent among its sessions). */
  kind?: FailureKind;
  /** How long the request took, when ok (a gateway's: the median of its working sessions). */
  latencyMs?: number;
  /** The HTTP status of a failure answered with one. */
  status?: number;
  /** For a gateway: its sessions that worked, of those probed. */
  sessions?: { ok: number; total: number };
}

export interface CheckOptions {
  url: string;
  timeoutMs: number;
  /** Probes at once (each session of a gateway is one probe). */
  concurrency: number;
  /** Sessions probed per gateway. @default 3 */
  sessionsPerGateway?: number;
  signal?: AbortSignal;
  /** Called as each entry's verdict is known, in the order they finish. */
  onResult?: (result: CheckResult) => void;
  /** @default the pool's own probe */
  prober?: (proxy: Proxy, options: ProbeOptions) => Promise<Outcome>;
  /** @default true */
  rejectUnauthorized?: boolean;
}

/** 2xx and 3xx: the probe does not follow redirects, and a redirect proves the proxy carried the request. */
export const usableStatus = (status: number): boolean => status >= 200 && status < 400;

/**
 * Probes every proxy once (every gateway `sessionsPerGateway` times, with fresh sessions),
 * at most `concurrency` probes at once, with the pool's own probe and classifier. Resolves
 * with one result per proxy, in the list's order. Each probe closes its sockets when done.
 */
export async function checkProxies(proxies: readonly Proxy[], options: CheckOptions): Promise<CheckResult[]> {
  const sessions = options.sessionsPerGateway ?? 3;
  const prober = options.prober ?? probe;
  const probeOptions: ProbeOptions = {
    url: options.url,
    timeoutMs: options.timeoutMs,
    expectStatus: usableStatus,
    signal: options.signal,
    rejectUnauthorized: options.rejectUnauthorized ?? true,
  };
  const jobs: Array<{ entry: number; proxy: Proxy }> = [];
  const outcomes: Outcome[][] = proxies.map(() => []);
  const expected: number[] = [];
  for (const [entry, proxy] of proxies.entries()) {
    const gateway = isGateway(proxy);
    expected.push(gateway ? sessions : 1);
    if (gateway) for (let i = 0; i < sessions; i++) jobs.push({ entry, proxy: sessionOf(proxy, newSessionId()) });
    else jobs.push({ entry, proxy });
  }
  const results: CheckResult[] = new Array(proxies.length);
  let next = 0;
  const worker = async () => {
    while (next < jobs.length && !options.signal?.aborted) {
      const job = jobs[next++]!;
      const outcome = await prober(job.proxy, probeOptions);
      const done = outcomes[job.entry]!;
      done.push(outcome);
      if (done.length === expected[job.entry]) {
        const result = verdictOf(proxies[job.entry]!, done);
        results[job.entry] = result;
        options.onResult?.(result);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency, jobs.length)) }, worker));
  return results.filter(Boolean);
}

/** One proxy's verdict from its probes' outcomes (one for a fixed proxy, several for a gateway). */
export function verdictOf(proxy: Proxy, outcomes: readonly Outcome[]): CheckResult {
  const gateway = outcomes.length > 1 || isGateway(proxy);
  const latencies = outcomes.flatMap((o) => (o.ok && o.latencyMs !== undefined ? [o.latencyMs] : []));
  const okCount = outcomes.filter((o) => o.ok).length;
  const result: CheckResult = { proxy, ok: okCount > 0 };
  if (result.ok) {
    latencies.sort((a, b) => a - b);
    if (latencies.length > 0) result.latencyMs = latencies[Math.floor((latencies.length - 1) / 2)]!;
  } else {
    const counts = new Map<FailureKind, number>();
    let top: { kind: FailureKind; status: number | undefined } | undefined;
    for (const o of outcomes) {
      if (o.ok) continue;
      const n = (counts.get(o.kind) ?? 0) + 1;
      counts.set(o.kind, n);
      if (!top || n > counts.get(top.kind)!) top = { kind: o.kind, status: o.status };
    }
    if (top) {
      result.kind = top.kind;
      if (top.status !== undefined) result.status = top.status;
    }
  }
  if (gateway) result.sessions = { ok: okCount, total: outcomes.length };
  return result;
}
